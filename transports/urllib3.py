"""The default transport: urllib3, one pooled PoolManager per client (keep-alive,
thread-safe), separate connect and read timeouts, HTTP and HTTPS proxies (CONNECT for HTTPS
targets; credentials from the proxy URL sent as Proxy-Authorization), TLS verified against
the system's CAs or a `ca_bundle`.

urllib3's own retries and redirects are off: the core retries, and the API does not
redirect. urllib3 itself is imported when the first transport is built, not when the plugin
loads, so that building a client stays cheap.

Body bytes are handed on as urllib3 has them, without waiting to fill a buffer: one read per
HTTP chunk for chunked bodies, `read1` (whatever has arrived) for the others. A plain
`read(65536)` would hold back an SSE event until 64 KiB had arrived.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Optional, cast
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
_NUM_POOLS = 10  # hosts whose connections are kept


class Urllib3Transport:
    """Sends requests with urllib3. Built by the core from TransportOptions."""

    # The proxies this transport can use, as it declares them when it registers; the core
    # picks another transport for the others.
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
        # The connection pool of each origin ("http://host:port"), found once: the pool
        # manager would parse the URL and build the pool's key on every request.
        self._origin_pools: dict[str, Any] = {}

    @property
    def _pool(self) -> urllib3.PoolManager:
        with self._manager_lock:
            if self._pool_manager is None:
                import urllib3

                from openaistream.transports import wire

                self._urllib3, self._wire = urllib3, wire
                manager = self._manager(urllib3, self.options)
                # Every pool, direct, proxied or SOCKS, reads responses through the wire module.
                manager.pool_classes_by_scheme = wire.watched_pools(manager.pool_classes_by_scheme)
                self._pool_manager = manager
            return self._pool_manager

    def send(self, request: Request) -> Response:
        pool = self._pool
        library, wire = self._urllib3, self._wire
        timeout = request.timeout
        if request.deadline is not None:
            left = request.deadline - time.monotonic()
            if left <= 0:
                raise _past_deadline(request)
            timeout = timeout.within(left)
        # Another thread may cut the exchange short: the caller's close, or the deadline.
        exchange = wire.Exchange(request.deadline)
        exchange.sending()
        try:
            target, url = self._target(pool, request.url)
            raw = target.urlopen(
                request.method,
                url,
                body=request.body,
                headers=request.headers,
                # Not forced: urllib3 sends a body of known Content-Length as is, and falls
                # back to chunked encoding for an iterable of unknown length.
                chunked=False,
                retries=False,
                redirect=False,
                preload_content=False,
                decode_content=True,
                timeout=library.Timeout(connect=timeout.connect, read=timeout.read),
                # What the pool manager passes its pools (a connection pool's own urlopen
                # would refuse another host, and redirects are the manager's, off here).
                assert_same_host=False,
            )
        except library.exceptions.HTTPError as exc:
            exchange.end()
            raise self._failure(exc, request, exchange) from exc
        except BaseException:
            exchange.end()
            raise
        finally:
            exchange.sent()
        raw = cast("urllib3.HTTPResponse", raw)  # what urlopen returns for HTTP/1.1
        if raw.status == 407 and self.options.proxy:
            _release(raw, exchange)
            raise APIConnectionError(
                f"the proxy at {_host(self.options.proxy)} refused the credentials "
                "(407 Proxy Authentication Required)"
            )
        headers = {name: raw.headers[name] for name in raw.headers}
        return Response(
            raw.status,
            headers,
            self._body(raw, request, exchange),
            close=lambda: _release(raw, exchange),
            info=self._info(raw),
            quick_reads=lambda seconds: _shorten_reads(raw, seconds),
        )

    def _target(self, manager: urllib3.PoolManager, url: str) -> tuple[Any, str]:
        """The connection pool of the URL's origin and the path (with the query) to ask it
        for, as the pool manager would find them; the manager itself, and the whole URL,
        behind a proxy (it sends the proxy what it must) or for a URL with credentials."""
        if self.options.proxy:
            return manager, url
        slash = url.find("/", url.find("://") + 3)
        origin, path = (url, "/") if slash < 0 else (url[:slash], url[slash:])
        pools = self._origin_pools
        pool = pools.get(origin)
        if pool is None or pool.pool is None:  # new here, or closed
            if "@" in origin:
                return manager, url
            # As many as the manager keeps (it lets the least recently used go, to be closed
            # when no one holds it): past that, the oldest found here is found again.
            if len(pools) >= _NUM_POOLS:
                del pools[next(iter(pools))]
            pool = pools[origin] = manager.connection_from_url(origin)
        return pool, path

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

    def _body(self, raw: urllib3.HTTPResponse, request: Request, exchange: Any) -> Iterator[bytes]:
        try:
            fp = getattr(raw._fp, "fp", None)  # the socket's buffered reader
            plain = fp is not None and "content-encoding" not in raw.headers
            if raw.chunked and plain:
                # At the end, mark the response read, as http.client does after the last chunk.
                yield from self._wire.dechunked(fp, raw._fp._close_conn)  # type: ignore[union-attr]
            elif plain:
                yield from _plain_body(raw._fp)
            else:
                # A compressed body: urllib3 decodes, http.client (StrictResponse) unchunks.
                read1 = raw.read1
                chunk = read1(_READ_SIZE)
                while chunk:
                    yield chunk
                    chunk = read1(_READ_SIZE)
            if exchange.cut_by is not None:  # reads cut short may look like the end
                raise APIConnectionError("the exchange was cut short")
        except Exception as exc:
            error = self._failure(exc, request, exchange)
            if error is exc:
                raise
            raise error from exc
        finally:
            exchange.end()

    def _failure(self, exc: Exception, request: Request, exchange: Any) -> Exception:
        """This library's error for what went wrong while sending or reading: the cut of
        another thread first (a read cut short fails in many ways), then the fault itself."""
        deadline = request.deadline
        if exchange.cut_by == "deadline" or (deadline is not None and time.monotonic() >= deadline):
            return _past_deadline(request)
        if exchange.cut_by == "close":
            return APIConnectionError("the response was closed while it was being read")
        if isinstance(exc, APIConnectionError):
            return exc
        if isinstance(exc, self._urllib3.exceptions.HTTPError):
            return self._error(exc, request.url)
        host = _host(request.url)
        if isinstance(exc, self._wire.WireError):
            return APIConnectionError(f"{exc} (from {host})")
        if isinstance(exc, (TimeoutError, socket.timeout)):  # one class from Python 3.10 on
            return APITimeoutError(f"{host} sent nothing for longer than the read timeout")
        if isinstance(exc, (OSError, self._wire.HTTPException)):
            return APIConnectionError(f"the connection to {host} failed: {exc}")
        return exc  # not a fault of the network: a bug, shown as it is

    def _manager(self, urllib3: Any, options: TransportOptions) -> urllib3.PoolManager:
        """The pool manager: direct, or through an HTTP(S) proxy."""
        if not options.proxy:
            return urllib3.PoolManager(**pool_options(options))
        proxy = urlsplit(options.proxy)
        headers = None
        if proxy.username is not None:
            credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
            basic = urllib3.make_headers(proxy_basic_auth=credentials)["proxy-authorization"]
            # Named as RFC 9110 writes it: some proxies (pproxy) read the CONNECT's header
            # by its exact case, and refuse urllib3's lower-case one with a 407.
            headers = {"Proxy-Authorization": basic}
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
        for pool in list(self._origin_pools.values()):
            pool.close()  # the manager may have let some go already
        self._origin_pools.clear()
        pools = manager.pools
        for key in pools.keys():  # noqa: SIM118 - the container cannot be iterated
            pool = pools.get(key)
            if pool is not None:
                pool.close()
        manager.clear()


def pool_options(options: TransportOptions) -> dict[str, Any]:
    return {
        "num_pools": _NUM_POOLS,
        "maxsize": _POOL_SIZE,
        "retries": False,
        "ca_certs": options.ca_bundle,
    }


def without_userinfo(url: str) -> str:
    """The URL without `user:password@`."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _shorten_reads(raw: urllib3.HTTPResponse, seconds: float) -> None:
    """Wait at most `seconds` for the reads left of this response. urllib3 sets the socket's
    timeout again for the next request on the connection."""
    sock = getattr(raw.connection, "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _plain_body(response: Any) -> Iterator[bytes]:
    """An uncompressed body that is not chunked, read from http.client's response under
    urllib3's, which has nothing to do for it (its read1 is a chain of Python calls). With a
    Content-Length, the body ends where the length says, without one more read to see it
    end; the connection is then marked read, as http.client does, so it goes back to the
    pool. Without one, it ends when the server closes the connection."""
    read1 = response.read1
    while True:
        chunk = read1(_READ_SIZE)
        left = response.length  # None without a Content-Length
        if left == 0:
            response._close_conn()
        if not chunk:
            if left:  # the connection closed before the length said
                from http.client import IncompleteRead  # loaded by urllib3 already

                raise IncompleteRead(b"", left)
            return
        yield chunk
        if left == 0:
            return


def _release(raw: urllib3.HTTPResponse, exchange: Any) -> None:
    """Back to the pool when the body was read to its end; otherwise the connection is
    closed, so that no one reads the rest of this body as the start of theirs. Safe from any
    thread: a read blocked in another one ends at once (the socket is shut down first)."""
    if not raw.isclosed():
        exchange.cut("close")
        raw.close()
    raw.release_conn()
    exchange.end()


def _past_deadline(request: Request) -> APITimeoutError:
    total = request.timeout.total
    if total is None:
        return APITimeoutError("the call went on past its deadline")
    return APITimeoutError(f"the call took longer than its total timeout of {total} s")


def _mapped(exc: Exception, url: str) -> APIConnectionError:
    """This library's error for a urllib3 error."""
    from urllib3 import exceptions

    from openaistream.transports.wire import WireError

    host = _host(url)
    wire = next((arg for arg in exc.args if isinstance(arg, WireError)), None)
    if wire is not None:  # urllib3 wraps the errors of the wire module in ProtocolError
        return APIConnectionError(f"{wire} (from {host})")
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
    register(
        "urllib3", Urllib3Transport, serves="sync", proxy_schemes=Urllib3Transport.proxy_schemes
    )
