"""The default transport: urllib3, one pooled PoolManager per client (keep-alive,
thread-safe), separate connect and read timeouts, HTTP and HTTPS proxies (CONNECT for HTTPS
targets; credentials from the proxy URL sent as Proxy-Authorization), TLS verified against
the system's CAs or a ``ca_bundle``.

urllib3's own retries and redirects are off: the core retries, and the API does not
redirect. urllib3 itself is imported when the first transport is built, not when the plugin
loads, so that building a client stays cheap.

Body bytes are handed on as urllib3 has them, without waiting to fill a buffer: one read per
HTTP chunk for chunked bodies, ``read1`` (whatever has arrived) for the others. A plain
``read(65536)`` would hold back an SSE event until 64 KiB had arrived.
"""

from __future__ import annotations

import socket
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable, Optional, cast
from urllib.parse import unquote, urlsplit

import openaistream
from openaistream import (
    APIConnectionError,
    APITimeoutError,
    Request,
    Response,
    TransportOptions,
)

if TYPE_CHECKING:
    import urllib3

__all__ = ["Urllib3Transport"]

_READ_SIZE = 64 * 1024
_POOL_SIZE = 32  # connections kept per host: enough for a thread pool sharing one client


class Urllib3Transport:
    """Sends requests with urllib3. Built by the core from TransportOptions."""

    # The proxies this transport can use; the core picks another transport for the others.
    proxy_schemes: tuple[str, ...] = ("http", "https")

    def __init__(self, options: TransportOptions) -> None:
        scheme = urlsplit(options.proxy).scheme if options.proxy else None
        if scheme is not None and scheme not in self.proxy_schemes:
            raise ValueError(f"the {type(self).__name__} does not take {scheme}:// proxies")
        self.options = options
        # urllib3 and the pools come with the first request: building a client stays cheap.
        self._manager_lock = threading.Lock()
        self._pool_manager: Optional[urllib3.PoolManager] = None
        # Sockets already used once: a request on one of them reused a pooled connection.
        self._seen_sockets: weakref.WeakSet[Any] = weakref.WeakSet()

    @property
    def _pool(self) -> urllib3.PoolManager:
        with self._manager_lock:
            if self._pool_manager is None:
                import urllib3

                self._urllib3 = urllib3
                self._pool_manager = self._manager(urllib3, self.options)
            return self._pool_manager

    def send(self, request: Request) -> Response:
        pool = self._pool
        library = self._urllib3
        try:
            raw = pool.urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=request.headers,
                # Not forced: urllib3 sends a body of known Content-Length as is, and falls
                # back to chunked encoding for an iterable of unknown length.
                chunked=False,
                retries=False,
                redirect=False,
                preload_content=False,
                decode_content=True,
                timeout=library.Timeout(connect=request.timeout.connect, read=request.timeout.read),
            )
        except library.exceptions.HTTPError as exc:
            raise self._error(exc, request.url) from exc
        raw = cast("urllib3.HTTPResponse", raw)  # what urlopen returns for HTTP/1.1
        if raw.status == 407 and self.options.proxy:
            _release(raw)
            raise APIConnectionError(
                f"the proxy at {_host(self.options.proxy)} refused the credentials "
                "(407 Proxy Authentication Required)"
            )
        headers = {name: raw.headers[name] for name in raw.headers}
        return Response(
            raw.status,
            headers,
            self._body(raw, request.url),
            close=lambda: _release(raw),
            info=self._info(raw),
            quick_reads=lambda seconds: _shorten_reads(raw, seconds),
        )

    def _info(self, raw: urllib3.BaseHTTPResponse) -> dict[str, Any]:
        connection = getattr(raw, "connection", None)
        sock = getattr(connection, "sock", None)
        info: dict[str, Any] = {"connection": "new"}
        if sock is not None:
            if sock in self._seen_sockets:
                info["connection"] = "reused"
            else:
                self._seen_sockets.add(sock)
        if self.options.proxy:
            info["proxy"] = self.options.proxy
        return info

    def _body(self, raw: urllib3.HTTPResponse, url: str) -> Iterator[bytes]:
        try:
            fp = getattr(raw._fp, "fp", None)  # the socket's buffered reader
            if raw.chunked and fp is not None and "content-encoding" not in raw.headers:
                # At the end, mark the response read, as http.client does after the last chunk.
                yield from _dechunked(fp, raw._fp._close_conn)  # type: ignore[union-attr]
            elif raw.chunked and raw.supports_chunked_reads():
                yield from raw.read_chunked(decode_content=True)
            else:
                read1 = raw.read1
                chunk = read1(_READ_SIZE)
                while chunk:
                    yield chunk
                    chunk = read1(_READ_SIZE)
        except self._urllib3.exceptions.HTTPError as exc:
            raise self._error(exc, url) from exc
        except (TimeoutError, socket.timeout) as exc:  # one class from Python 3.10 on
            raise APITimeoutError(
                f"{_host(url)} sent nothing for longer than the read timeout"
            ) from exc
        except OSError as exc:
            raise APIConnectionError(f"the connection to {_host(url)} failed: {exc}") from exc

    def _manager(self, urllib3: Any, options: TransportOptions) -> urllib3.PoolManager:
        """The pool manager: direct, or through an HTTP(S) proxy."""
        if not options.proxy:
            return urllib3.PoolManager(**pool_options(options))
        proxy = urlsplit(options.proxy)
        headers = None
        if proxy.username is not None:
            credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
            headers = urllib3.make_headers(proxy_basic_auth=credentials)
        # The credentials travel in Proxy-Authorization only, never in a URL urllib3 may log.
        return urllib3.ProxyManager(
            without_userinfo(options.proxy), proxy_headers=headers, **pool_options(options)
        )

    def _error(self, exc: Exception, url: str) -> APIConnectionError:
        """This library's error for a urllib3 error."""
        from urllib3 import exceptions

        if isinstance(exc, exceptions.ProxyError) and self.options.proxy:
            proxy = _host(self.options.proxy)
            if "407" in _reason(exc):
                return APIConnectionError(
                    f"the proxy at {proxy} refused the credentials "
                    "(407 Proxy Authentication Required)"
                )
            return APIConnectionError(
                f"could not reach {_host(url)} through the proxy at {proxy}: {_reason(exc)}"
            )
        return _mapped(exc, url)

    def close(self) -> None:
        # PoolManager.clear() only forgets its pools (their sockets close when collected);
        # close each one so that closing the client closes its connections now.
        with self._manager_lock:
            manager, self._pool_manager = self._pool_manager, None
        if manager is None:
            return
        pools = manager.pools
        for key in pools.keys():  # noqa: SIM118 - the container cannot be iterated
            pool = pools.get(key)
            if pool is not None:
                pool.close()
        manager.clear()


def pool_options(options: TransportOptions) -> dict[str, Any]:
    return {
        "num_pools": 10,
        "maxsize": _POOL_SIZE,
        "retries": False,
        "ca_certs": options.ca_bundle,
    }


def without_userinfo(url: str) -> str:
    """The URL without ``user:password@``."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _dechunked(fp: Any, at_end: Callable[[], None]) -> Iterator[bytes]:
    """The payload of a chunked body, read from the socket in one ``read1`` at a time
    (whatever has arrived, up to 64 KiB) and handed on at once: several events a read when
    the server is ahead, one when it is not, never one waiting for the next. urllib3's own
    reader costs a chain of Python calls per HTTP chunk, the largest cost left per event.

    ``at_end`` is called once the last chunk and the trailers are read, so that the
    connection can go back to the pool.
    """
    buffer = b""
    pos = 0  # where the unread part of the buffer starts
    left = 0  # payload bytes still to come in this chunk; negative: CRLF bytes still to skip
    while True:
        data = fp.read1(_READ_SIZE)
        if not data:
            raise APIConnectionError("the connection closed in the middle of a chunked body")
        buffer = buffer[pos:] + data if pos < len(buffer) else data
        pos, size = 0, len(buffer)
        pieces = []
        while pos < size:
            if left > 0:
                piece = buffer[pos : pos + left]
                pieces.append(piece)
                pos += len(piece)
                left -= len(piece)
                if left == 0:
                    left = -2  # the CRLF after the payload
                continue
            if left < 0:
                skip = min(-left, size - pos)
                pos += skip
                left += skip
                continue
            end = buffer.find(b"\r\n", pos)
            if end < 0:
                break
            length = int(buffer[pos:end].split(b";", 1)[0], 16)
            pos = end + 2
            if length == 0:
                if pieces:
                    yield b"".join(pieces)
                _read_trailers(fp, buffer[pos:])
                at_end()
                return
            left = length
        if pieces:
            yield b"".join(pieces)


def _read_trailers(fp: Any, rest: bytes) -> None:
    """Read the trailer section that follows the last chunk, up to its empty line."""
    while not (rest.startswith(b"\r\n") or b"\r\n\r\n" in rest):
        data = fp.read1(_READ_SIZE)
        if not data:
            break
        rest += data


def _shorten_reads(raw: urllib3.HTTPResponse, seconds: float) -> None:
    """Wait at most ``seconds`` for the reads left of this response. urllib3 sets the socket's
    timeout again for the next request on the connection."""
    sock = getattr(raw.connection, "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _release(raw: urllib3.HTTPResponse) -> None:
    """Back to the pool when the body was read to its end; otherwise the connection is
    closed, so that no one reads the rest of this body as the start of theirs."""
    if not raw.isclosed():
        raw.close()
    raw.release_conn()


def _mapped(exc: Exception, url: str) -> APIConnectionError:
    """This library's error for a urllib3 error."""
    from urllib3 import exceptions

    host = _host(url)
    if isinstance(exc, exceptions.NewConnectionError):
        return APIConnectionError(f"could not connect to {host}: {_reason(exc)}")
    if isinstance(exc, exceptions.ConnectTimeoutError):
        return APITimeoutError(f"connecting to {host} timed out")
    if isinstance(exc, exceptions.ReadTimeoutError):
        return APITimeoutError(f"{host} sent nothing for longer than the read timeout")
    if isinstance(exc, exceptions.ProxyError):
        return APIConnectionError(f"the proxy failed on the way to {host}: {_reason(exc)}")
    if isinstance(exc, exceptions.SSLError):
        return APIConnectionError(f"the TLS connection to {host} failed: {_reason(exc)}")
    return APIConnectionError(f"the connection to {host} failed: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "original_error", None) or exc
    return str(reason)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url


@openaistream.hookimpl
def register_transports(register: Any) -> None:
    register("urllib3", Urllib3Transport)
