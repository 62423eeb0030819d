"""Faulty servers for the reliability tests, each a RawServer handler that misbehaves in one
precise way on the wire. Handlers answer every request on a connection the same way."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Sequence
from typing import Optional

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
