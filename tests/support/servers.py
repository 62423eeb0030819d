"""A raw-socket HTTP server on loopback, driven by the test, for what pytest-httpserver
cannot do: exact bytes on the wire, pauses mid-body, cut connections.

Each connection is answered by ``handler(conn)``; ``conn.read_request()`` reads one request,
``conn.send(...)`` writes bytes. Everything is bounded: accept and reads time out, and
``close()`` (or leaving the ``with`` block) stops the server and joins its threads.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

TIMEOUT = 5.0  # seconds any single wait in the server may last


@dataclass
class RawRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Conn:
    sock: socket.socket
    server: RawServer
    _buffer: bytes = b""
    requests: list[RawRequest] = field(default_factory=list)

    def read_request(self) -> Optional[RawRequest]:
        """The next request on this connection, or None if the client closed it."""
        while b"\r\n\r\n" not in self._buffer:
            data = self._recv()
            if not data:
                return None
            self._buffer += data
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            data = self._recv()
            if not data:
                break
            self._buffer += data
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        request = RawRequest(method, target, headers, body)
        self.requests.append(request)
        self.server.requests.append(request)
        return request

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except (socket.timeout, OSError):
            return b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        """Close abruptly: an RST, as a crashed server or a dropped link looks."""
        self.sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        self.sock.close()


Handler = Callable[[Conn], None]


class RawServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[RawRequest] = []
        self.connections = 0
        self.errors: list[BaseException] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            sock.settimeout(TIMEOUT)
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            self.handler(Conn(sock, self))
        except OSError:
            pass  # the client went away: part of what these tests do
        except BaseException as exc:  # a bug in a test's handler must fail the test
            self.errors.append(exc)
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        self._stopping.set()
        self._accepter.join(TIMEOUT)
        self._listener.close()
        for thread in self._threads:
            thread.join(TIMEOUT)
        if self.errors:
            raise self.errors[0]

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def head(
    status: int = 200, headers: Optional[dict[str, str]] = None, chunked: bool = True
) -> bytes:
    """A status line and headers; chunked transfer encoding unless told otherwise."""
    lines = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}"]
    all_headers = {"Content-Type": "text/event-stream; charset=utf-8"}
    if chunked:
        all_headers["Transfer-Encoding"] = "chunked"
    all_headers.update(headers or {})
    lines += [f"{name}: {value}" for name, value in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One HTTP chunk (data must not be empty: an empty chunk ends the body)."""
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


def serve_body(
    parts: list[bytes],
    *,
    chunked: bool = True,
    status: int = 200,
    headers: Optional[dict[str, str]] = None,
) -> Handler:
    """A handler that answers every request on a connection with ``parts`` as the body: one
    HTTP chunk each when chunked, else one Content-Length body written part by part."""

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            body = b"".join(parts)
            extra = dict(headers or {})
            if not chunked:
                extra["Content-Length"] = str(len(body))
            conn.send(head(status, extra, chunked=chunked))
            for part in parts:
                conn.send(chunk(part) if chunked else part)
            if chunked:
                conn.send(LAST_CHUNK)

    return handler
