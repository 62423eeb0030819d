"""Faulty servers for the reliability tests, each a RawServer handler that misbehaves in one
precise way on the wire. Handlers answer every request on a connection the same way."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Sequence
from typing import Callable, Optional

from tests.support.servers import LAST_CHUNK, Conn, Handler, chunk, head

EVENT = b'data: {"n": %d}\n\n'


def events(count: int, start: int = 1) -> bytes:
    return b"".join(EVENT % n for n in range(start, start + count))


def close_before_status_line() -> Handler:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.sock.close()

    return handler


def headers_then_reset() -> Handler:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        conn.reset()

    return handler


def part_then_reset(body: bytes) -> Handler:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(body))
        conn.reset()

    return handler


def truncated_chunk(body: bytes) -> Handler:
    """A chunk that announces more bytes than it sends, then the connection ends."""

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(body) + b"%x\r\n" % 500 + b'data: {"n": 99')
        conn.sock.shutdown(2)

    return handler


def stall_after(body: bytes, release: threading.Event) -> Handler:
    """Send ``body``, then stay silent (until the test lets go)."""

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(body))
        release.wait(30)

    return handler


def statuses(
    answers: Sequence[tuple[int, dict[str, str], bytes]], final: Optional[bytes] = None
) -> Handler:
    """Answer successive requests (on any connection) with the given statuses in order."""
    lock = threading.Lock()
    remaining = list(answers)

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            with lock:
                status, headers, body = remaining.pop(0) if remaining else (200, {}, final or b"{}")
            extra = {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                **headers,
            }
            conn.send(head(status, extra, chunked=False) + body)

    return handler


def sse_body(*parts: bytes) -> Handler:
    """A 200 SSE answer whose body is ``parts``, one HTTP chunk each."""

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            conn.send(head(200) + b"".join(chunk(p) for p in parts if p) + LAST_CHUNK)

    return handler


def gzip_json(value: object) -> Handler:
    body = gzip.compress(json.dumps(value).encode())

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
                       "Content-Length": str(len(body))}  # fmt: skip
            conn.send(head(200, headers, chunked=False) + body)

    return handler


EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
PROCESSING = b"HTTP/1.1 102 Processing\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def numbered_sse(n: int) -> bytes:
    """A whole SSE answer whose one event names the call it answers."""
    return (
        head(200) + chunk(b'data: {"call": %d}\n\n' % n) + chunk(b"data: [DONE]\n\n") + LAST_CHUNK
    )


def numbered_json(n: int) -> bytes:
    """A whole JSON answer (Content-Length) naming the call it answers."""
    body = b'{"call": %d}' % n
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    return head(200, headers, chunked=False) + body


def interim_answers(
    interims: Sequence[bytes], answer: Callable[[int], bytes], pieces: int = 1
) -> Handler:
    """Answer the n-th request on a connection with the interim (1xx) answers, then
    ``answer(n)``; each cut into ``pieces`` separate writes when asked (TCP segments)."""

    def handler(conn: Conn) -> None:
        n = 0
        while conn.read_request() is not None:
            n += 1
            for data in [*interims, answer(n)]:
                step = max(1, -(-len(data) // pieces))
                for at in range(0, len(data), step):
                    conn.send(data[at : at + step])
                    if pieces > 1:
                        time.sleep(0.01)

    return handler


def raw_answer(data: bytes, then_close: bool = True) -> Handler:
    """Answer every request with exactly ``data``; then hang up, or wait for the client to."""

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            conn.send(data)
            if then_close:
                conn.sock.shutdown(socket.SHUT_RDWR)
                return

    return handler


def drip(prefix: bytes, stop: threading.Event, seconds: float = 15.0) -> Handler:
    """Send ``prefix``, then one more byte every 0.2 s (each well within a read timeout)
    for ``seconds``, or until the client hangs up or the test stops it."""

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(prefix)
        ends = time.monotonic() + seconds
        while time.monotonic() < ends and not stop.wait(0.2):
            conn.send(b"x")

    return handler


def until_hung_up(conn: Conn, seconds: float) -> bool:
    """Wait up to ``seconds`` for the client to close the connection; True if it did."""
    conn.sock.settimeout(seconds)
    try:
        return conn.sock.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def endless_events(hung_up: threading.Event, seconds: float = 5.0) -> Handler:
    """A stream that sends an event every 20 ms until the client hangs up (then sets
    ``hung_up``) or ``seconds`` pass."""

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        ends = time.monotonic() + seconds
        n = 0
        while time.monotonic() < ends:
            n += 1
            try:
                conn.send(chunk(EVENT % n))
            except OSError:
                hung_up.set()
                return
            if until_hung_up(conn, 0.02):
                hung_up.set()
                return

    return handler


def silent_after_first_event(hung_up: threading.Event, seconds: float = 5.0) -> Handler:
    """One event, then silence; sets ``hung_up`` when the client closes the connection.
    Later connections get a whole answer."""

    def handler(conn: Conn) -> None:
        conn.read_request()
        if conn.server.connections > 1:
            conn.send(numbered_sse(2))
            return
        conn.send(head(200) + chunk(EVENT % 1))
        if until_hung_up(conn, seconds):
            hung_up.set()

    return handler
