"""HTTP/1.1 as the urllib3 transports read it, stricter than http.client, and the means to cut
an exchange short from another thread. Loaded with urllib3, on the first request.

- The head of a response: interim answers (`1xx`, such as `103 Early Hints` or `102
  Processing`) are read past with their headers, where http.client skips only `100` and
  would take the interim answer for the real one, leaving the real one unread on a pooled
  connection for the next call; `101` (never asked for) is an error; a head cut by a hang-up
  is an error, not a complete answer with no body.
- Chunked framing: a chunk-size line that is not a hexadecimal number, a payload not followed
  by its line end, an overlong size line or trailer section are errors that say so, for our
  own reader (`dechunked()`) and for http.client's (used under urllib3 when a body is
  compressed).
- An `Exchange`: one request's hold on the connection it uses, so that the caller's
  `close()` from another thread or the call's deadline can end a read blocked on the socket
  by shutting the socket down. Per-read timeouts cannot bound a server that drips one byte at
  a time, and closing a buffered reader waits for the read in progress.

One mechanism for every pool: `watched_pools()` derives, from the pool classes a pool
manager would use (direct, through an HTTP proxy, or SOCKS), classes whose connections read
responses with `StrictResponse` and report to the exchange of the request using them.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from urllib3.connection import HTTPConnection
    from urllib3.connectionpool import HTTPConnectionPool

    _ConnectionBase = HTTPConnection
    _PoolBase = HTTPConnectionPool
else:
    _ConnectionBase = _PoolBase = object

__all__ = [
    "BrokenFraming",
    "BrokenHead",
    "Exchange",
    "HTTPException",
    "StrictResponse",
    "WireError",
    "dechunked",
    "watched_pools",
]

READ_SIZE = 64 * 1024
MAX_SIZE_LINE = 4096  # a chunk-size line with its extensions; real ones are a few bytes
MAX_TRAILERS = 64 * 1024
_MAX_LINE = 65536  # a header line, as http.client bounds it
_MAX_HEADERS = 100  # header lines in an interim answer, as http.client bounds a final one
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_HEX_CR = _HEX_DIGITS + b"\r"


HTTPException = http.client.HTTPException  # for the transport, which does not load http.client


class WireError(HTTPException):
    """A response that breaks HTTP/1.1 in a way this module checks. An HTTPException, so
    that urllib3 handles it as it handles http.client's own (the connection is discarded)."""


class BrokenHead(WireError):
    """The status line and headers are not a complete, final answer."""


class BrokenFraming(WireError):
    """The chunked framing of a body is broken."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the chunked framing of the body is broken: {what}")


def chunk_size(line: bytes) -> int:
    """The size a chunk-size line announces (its line end and extensions allowed). Liberal
    about blanks and a bare LF, strict about the number itself: `int()` would take `-5`,
    `0x5` or `5_0` and mis-frame everything after."""
    if len(line) > MAX_SIZE_LINE:
        raise BrokenFraming(f"a chunk-size line is longer than {MAX_SIZE_LINE} bytes")
    digits = line.partition(b";")[0].strip(b" \t\r\n")
    if not digits or len(digits) > 16 or digits.translate(None, _HEX_DIGITS):
        shown = line.rstrip(b"\r\n")[:40]
        raise BrokenFraming(f"the chunk-size line {shown!r} is not a hexadecimal number")
    return int(digits, 16)


def _not_a_line_end() -> BrokenFraming:
    return BrokenFraming("a chunk's payload is not followed by a line end (a wrong chunk size)")


def dechunked(fp: Any, at_end: Callable[[], None]) -> Iterator[bytes]:
    """The payload of a chunked body, read from the socket in one `read1` at a time
    (whatever has arrived, up to 64 KiB) and handed on at once: several events a read when
    the server is ahead, one when it is not, never one waiting for the next. urllib3's own
    reader costs a chain of Python calls per HTTP chunk, the largest cost left per event.

    `at_end` is called once the last chunk and the trailers are read and nothing follows
    them, so that the connection can go back to the pool; a connection with bytes no one asked
    for, or cut inside the trailers, is not.
    """
    buffer = b""
    pos = 0  # where the unread part of the buffer starts
    left = 0  # payload bytes still to come in this chunk; -1: its line end is next
    while True:
        data = fp.read1(READ_SIZE)
        if not data:
            raise WireError("the connection closed in the middle of a chunked body")
        buffer = buffer[pos:] + data if pos < len(buffer) else data
        pos, size = 0, len(buffer)
        pieces: list[bytes] = []
        try:
            while pos < size:
                if left > 0:
                    piece = buffer[pos : pos + left]
                    pieces.append(piece)
                    pos += len(piece)
                    left -= len(piece)
                    if left == 0:
                        left = -1
                    continue
                if left < 0:  # CRLF, or a bare LF, after the payload
                    if buffer[pos] == 0x0A:
                        pos += 1
                    elif buffer[pos] != 0x0D:
                        raise _not_a_line_end()
                    elif pos + 1 == size:
                        break  # the LF is still to come
                    elif buffer[pos + 1] == 0x0A:
                        pos += 2
                    else:
                        raise _not_a_line_end()
                    left = 0
                    continue
                end = buffer.find(b"\n", pos)
                if end < 0:
                    if size - pos > MAX_SIZE_LINE:
                        chunk_size(buffer[pos:])  # raises: too long
                    break
                line = buffer[pos:end]
                if len(line) <= 17 and not line.translate(None, _HEX_CR):  # digits, CR
                    try:
                        length = int(line, 16)  # the common case, without a call
                    except ValueError:  # empty, or a CR out of place
                        length = chunk_size(line)
                else:
                    length = chunk_size(line)
                pos = end + 1
                if length == 0:
                    if pieces:
                        yield b"".join(pieces)
                        pieces = []
                    if _read_trailers(fp, buffer[pos:]):
                        at_end()
                    return
                left = length
        except BrokenFraming:
            if pieces:  # what came before the fault is the caller's
                yield b"".join(pieces)
            raise
        if pieces:
            yield b"".join(pieces)


def _read_trailers(fp: Any, rest: bytes) -> bool:
    """Read the trailer section that follows the last chunk, up to its empty line. True when
    it ended so and nothing followed it: the connection is then accounted for."""
    while True:
        end = _end_of_trailers(rest)
        if end >= 0:
            return end == len(rest)
        if len(rest) > MAX_TRAILERS:
            raise BrokenFraming(f"the trailers are longer than {MAX_TRAILERS // 1024} KiB")
        data = fp.read1(READ_SIZE)
        if not data:
            return False  # the payload is whole; the connection is not reused
        rest += data


def _end_of_trailers(rest: bytes) -> int:
    """Where the trailer section in `rest` ends (after its empty line), or -1."""
    if rest.startswith(b"\r\n"):
        return 2
    if rest.startswith(b"\n"):
        return 1
    ends = [at + len(mark) for mark in (b"\n\r\n", b"\n\n") for at in (rest.find(mark),) if at >= 0]
    return min(ends) if ends else -1


class _HeadReader:
    """The response's reader while its head is read: the end of the connection after the
    status line is an error (http.client takes it for the end of the headers)."""

    def __init__(self, fp: Any) -> None:
        self.fp = fp
        self.started = False

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self.fp.readline(limit)
        if not line and self.started:
            raise BrokenHead("the connection closed in the middle of the response headers")
        self.started = True
        return line


class StrictResponse(http.client.HTTPResponse):
    """http.client's response, reading past interim answers and checking its head and its
    chunked framing (see the module's docstring)."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        fp = self.fp
        self.fp = _HeadReader(fp)  # type: ignore[assignment]
        try:
            super().begin()
        finally:
            self.fp = fp

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if status == 101:
                raise BrokenHead("the server switched protocols (101), which was never asked for")
            if not 100 <= status < 200:
                return version, status, reason
            self._skip_interim_headers()

    def _skip_interim_headers(self) -> None:
        for _ in range(_MAX_HEADERS + 1):
            line = self.fp.readline(_MAX_LINE + 1)
            if not line:
                raise BrokenHead("the connection closed in the middle of an interim 1xx answer")
            if len(line) > _MAX_LINE:
                raise BrokenHead("an interim 1xx answer has a header line over 64 KiB")
            if line in (b"\r\n", b"\n"):
                return
        raise BrokenHead(f"an interim 1xx answer has more than {_MAX_HEADERS} headers")

    # The chunked reader below serves urllib3's reads of a compressed chunked body.

    def _read_next_chunk_size(self) -> int:
        line = self.fp.readline(MAX_SIZE_LINE + 1)
        if not line.endswith(b"\n") and len(line) <= MAX_SIZE_LINE:
            raise http.client.IncompleteRead(b"")  # the connection ended inside the line
        return chunk_size(line)

    def _get_chunk_left(self) -> Optional[int]:
        chunk_left: Optional[int] = self.chunk_left  # type: ignore[has-type]
        if not chunk_left:
            if chunk_left is not None:  # a chunk's payload was read: its line end is next
                self._read_line_end()
            chunk_left = self._read_next_chunk_size()
            if chunk_left == 0:
                self._read_and_discard_trailer()
                self._close_conn()  # type: ignore[attr-defined]
                chunk_left = None
            self.chunk_left = chunk_left
        return chunk_left

    def _read_line_end(self) -> None:
        end = self.fp.read(1)
        if end == b"\r":
            end += self.fp.read(1)
        if end not in (b"\r\n", b"\n"):
            if end in (b"", b"\r"):
                raise http.client.IncompleteRead(b"")
            raise _not_a_line_end()

    def _read_and_discard_trailer(self) -> None:
        read = 0
        while read <= MAX_TRAILERS:
            line = self.fp.readline(_MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                return
            read += len(line)
        raise BrokenFraming(f"the trailers are longer than {MAX_TRAILERS // 1024} KiB")


_sending = threading.local()  # the exchange of the request this thread is sending


class Exchange:
    """One request and its response on one connection, which another thread can cut short:
    the caller's close (`cut("close")`) or, when the call has a deadline, a timer at it
    (`cut("deadline")`). Cutting shuts the connection's socket down, so a read or a write
    blocked on it ends at once; `cut_by` then says why.

    The connection is known from the moment the pool hands it out (see `watched_pools()`)
    until it goes back to the pool; after that, cutting does nothing. `end()` stops the timer
    and waits for its thread: call it once the exchange is over.
    """

    __slots__ = ("_connection", "_lock", "_timer", "cut_by")

    def __init__(self, deadline: Optional[float] = None) -> None:
        self._lock = threading.Lock()
        self._connection: Optional[_WatchedConnection] = None
        self._timer: Optional[threading.Timer] = None
        self.cut_by: Optional[str] = None
        if deadline is not None:  # no thread for calls without a deadline
            timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self.cut, ("deadline",))
            timer.daemon = True
            timer.start()
            self._timer = timer

    def sending(self) -> None:
        """Mark this exchange as the one the current thread's next connection serves."""
        _sending.exchange = self

    @staticmethod
    def sent() -> None:
        _sending.exchange = None

    def cut(self, why: str) -> None:
        with self._lock:
            if self.cut_by is None:
                self.cut_by = why
            if self._connection is not None:
                _shut_down(self._connection)

    def end(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join()

    def _attach(self, connection: _WatchedConnection) -> None:
        with self._lock:
            self._connection = connection
            connection.exchange = self
            if self.cut_by is not None:
                _shut_down(connection)

    def _connected(self, connection: _WatchedConnection) -> None:
        # A cut while the socket was being made found none to shut down: shut it now.
        with self._lock:
            if self.cut_by is not None and self._connection is connection:
                _shut_down(connection)

    def _detach(self, connection: _WatchedConnection) -> None:
        with self._lock:
            if self._connection is connection:
                self._connection = None
            connection.exchange = None


def _shut_down(connection: Any) -> None:
    sock = connection.sock
    while sock is not None and not isinstance(sock, socket.socket):
        sock = getattr(sock, "socket", None)  # TLS within TLS wraps the socket
    if sock is not None:
        # socket.socket's own shutdown: ssl.SSLSocket's would drop its TLS state under a
        # reader in another thread, which then fails with a ValueError, not EOF.
        with contextlib.suppress(OSError):  # closed already
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedConnection(_ConnectionBase):
    """A connection that reads responses strictly and tells its exchange when its socket is
    made."""

    response_class = StrictResponse
    exchange: Optional[Exchange] = None
    checked_out = False

    def connect(self) -> None:
        super().connect()
        exchange = self.exchange
        if exchange is not None:
            exchange._connected(self)

    def _tunnel(self) -> None:
        super()._tunnel()  # type: ignore[misc]
        # http.client reads the proxy's CONNECT answer itself and takes a hang-up inside its
        # headers for their end. A tunnel cut short by the exchange (its deadline, a close)
        # must not go on to TLS: wrapping a shut-down socket fails in ways that leave the
        # TLS socket unclosed.
        exchange = self.exchange
        if exchange is not None and exchange.cut_by is not None:
            raise WireError(f"the proxy's tunnel was cut short ({exchange.cut_by})")


_checkout = threading.Lock()


class _WatchedPool(_PoolBase):
    """A pool that gives each connection it hands out to the exchange of the request, and
    takes it back once only (a response closed in one thread while read in another is
    released by both)."""

    def _get_conn(self, timeout: Optional[float] = None) -> Any:
        connection: _WatchedConnection = super()._get_conn(timeout)  # type: ignore[assignment]
        connection.checked_out = True
        exchange: Optional[Exchange] = getattr(_sending, "exchange", None)
        if exchange is not None:
            exchange._attach(connection)
        return connection

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            with _checkout:
                if not conn.checked_out:
                    return  # back already
                conn.checked_out = False
            exchange = conn.exchange
            if exchange is not None:
                exchange._detach(conn)
        super()._put_conn(conn)


_watched: dict[type, type] = {}


def watched_pools(pools: Mapping[str, type]) -> dict[str, type]:
    """The pool classes to use instead of `pools` (a pool manager's
    `pool_classes_by_scheme`): the same, with watched connections."""
    return {scheme: _watched_pool(pool) for scheme, pool in pools.items()}


def _watched_pool(pool: type) -> type:
    made = _watched.get(pool)
    if made is None:
        base = pool.ConnectionCls  # type: ignore[attr-defined]
        connection = type(base.__name__, (_WatchedConnection, base), {})
        made = type(pool.__name__, (_WatchedPool, pool), {"ConnectionCls": connection})
        _watched[pool] = made
    return made
