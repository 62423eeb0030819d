"""The async network transport: aiohttp, one pooled `ClientSession` per transport (keep-alive,
its C HTTP parser), separate connect and read timeouts and the call's deadline, HTTP proxies
(CONNECT for HTTPS targets; credentials from the proxy URL sent as Proxy-Authorization) and
SOCKS proxies (socks4, socks4a, socks5, socks5h, through `aiohttp-socks`), TLS verified
against the system's CAs or a `ca_bundle`. It serves the async client, as the urllib3 and
SOCKS transports serve the blocking one, and behaves as they do.

aiohttp is an optional extra (`pip install 'openaistream[async]'`): it is imported when the
first transport is built, and its session is made inside the running event loop with the
first request. Loading this plugin imports neither aiohttp nor asyncio.

What aiohttp would do on its own and this transport does not: follow redirects, keep cookies,
read the environment's proxy settings (the core chose the proxy), add its own `User-Agent`,
`Accept` or `Content-Type`. The request goes out with the headers it was given, plus
`Host`, the body's framing and, as the blocking transport sends it, `Accept-Encoding:
identity` when the request names no encoding; a compressed answer is decoded all the same.

Body bytes are handed on as they arrive (`readany`: whatever aiohttp has, never a wait to
fill a buffer). A response read to its end leaves its connection in the pool; one closed
before its end, or whose task was cancelled in a read, is aborted at once (no TLS goodbye to
wait for), so no one reads the rest of that body as the start of theirs.
"""

from __future__ import annotations

import base64
import sys
import time
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Optional, Union
from urllib.parse import unquote, urlsplit

import openaistream
from openaistream import APIConnectionError, APITimeoutError, Request, TransportOptions
from openaistream.http import AsyncResponse
from openaistream.transports.urllib3 import _host, _past_deadline, without_userinfo

if TYPE_CHECKING:
    import asyncio

    import aiohttp

__all__ = ["AiohttpTransport"]

# aiohttp adds these unless told not to; the request carries its own or means none.
_SKIPPED_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
_SOCKS = {  # scheme: (python-socks' proxy type, whether the proxy resolves host names)
    "socks4": ("SOCKS4", False),
    "socks4a": ("SOCKS4", True),
    "socks5": ("SOCKS5", False),
    "socks5h": ("SOCKS5", True),
}
_INSTALL = "pip install 'openaistream[async]'"
_READ_SIZE = 16 * 1024  # bytes a socket read takes at most (see _capped)
# What aiohttp buffers of a body before it stops reading the connection (twice this; the rest
# of a socket read waits unparsed, in one piece). Its default, 64 KiB, let each of a thousand
# streams the loop was behind on hold ~270 KB, most of it in one small object per HTTP chunk;
# 16 KiB holds ~125 KB, and reads no slower (docs/performance.md).
_READ_BUFSIZE = 16 * 1024


class AiohttpTransport:
    """Sends requests with aiohttp, awaited. Built by the core from TransportOptions."""

    # The proxies it takes, as it declares them when it registers.
    proxy_schemes: tuple[str, ...] = ("http", *_SOCKS)

    def __init__(self, options: TransportOptions) -> None:
        scheme = urlsplit(options.proxy).scheme if options.proxy else None
        if scheme is not None and scheme not in self.proxy_schemes:
            raise ValueError(f"the {type(self).__name__} does not take {scheme}:// proxies")
        try:
            import aiohttp
        except ImportError as exc:
            raise ImportError(f"the aiohttp transport needs aiohttp: {_INSTALL}") from exc
        if scheme in _SOCKS:
            try:
                import aiohttp_socks  # noqa: F401 - checked now, used with the first request
            except ImportError as exc:
                raise ImportError(f"SOCKS proxies need aiohttp-socks: {_INSTALL}") from exc
        self.options = options
        self._aiohttp = aiohttp
        import yarl  # aiohttp's own URL type

        self._yarl = yarl
        self._session: Optional[aiohttp.ClientSession] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._watches: weakref.WeakKeyDictionary[Any, _Watch] = weakref.WeakKeyDictionary()
        self._proxy: Optional[str] = None  # an HTTP proxy, without its credentials
        self._proxy_headers: Optional[dict[str, str]] = None
        if scheme == "http" and options.proxy:
            self._proxy, self._proxy_headers = _http_proxy(options.proxy)

    async def send(self, request: Request) -> AsyncResponse:
        session = self._session_here()
        left = None
        if request.deadline is not None:
            left = request.deadline - time.monotonic()
            if left <= 0:
                raise _past_deadline(request)
        exchange = _Exchange(self.options.proxy)
        try:
            raw = await session.request(
                request.method,
                # As built: yarl would otherwise decode what the core quoted (%3A in an ID)
                # and drop dot segments.
                self._yarl.URL(request.url, encoded=True),
                headers=self._sent_headers(request),
                data=_payload(request.body),
                proxy=self._proxy,
                proxy_headers=self._proxy_headers,  # for CONNECT
                timeout=self._timeout(request, left),
                allow_redirects=False,
                trace_request_ctx=exchange,
            )
        except Exception as exc:
            raise self._failure(exc, request, exchange) from exc
        if raw.status == 407 and self.options.proxy:
            _discard(raw)
            raise APIConnectionError(
                f"the proxy at {_host(self.options.proxy)} refused the credentials "
                "(407 Proxy Authentication Required)"
            )
        if raw.status == 101:
            _discard(raw)
            raise APIConnectionError(
                "the server switched protocols (101), which was never asked for "
                f"(from {_host(request.url)})"
            )
        body = _Body(raw, self, request, exchange)
        self._watch(raw, body)
        return AsyncResponse(
            raw.status,
            _joined(raw.headers),
            body,
            close=lambda: _aclose(raw),
            info=exchange.info,
        )

    def _watch(self, raw: aiohttp.ClientResponse, body: _Body) -> None:
        """Follow the connection the body is read from (see `_Watch`): one watch per
        connection, for the body being read on it now."""
        connection = raw.connection
        protocol = connection.protocol if connection is not None else None
        if protocol is None:  # the body is whole already: the connection is back in the pool
            return
        watch = self._watches.get(protocol)
        if watch is None:
            closed = protocol.closed
            if closed is None or closed.done():  # lost already: the body was told
                return
            watch = self._watches[protocol] = _Watch()
            closed.add_done_callback(watch.lost)
        watch.body = body
        body.watch = watch

    def _session_here(self) -> aiohttp.ClientSession:
        """The session, made in the running loop the first time (and after `aclose`)."""
        import asyncio

        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and not session.closed and self._loop is not loop:
            if self._loop is None or not self._loop.is_closed():
                raise RuntimeError(
                    "this transport's connections belong to another event loop: close the "
                    "client (await client.close()) in that loop before using it in this one"
                )
            session = None  # its loop is gone, and its connections with it
        if session is None or session.closed:
            session = self._session = self._new_session()
            self._loop = loop
        return session

    def _new_session(self) -> aiohttp.ClientSession:
        aiohttp = self._aiohttp
        tracing = aiohttp.TraceConfig()
        tracing.on_connection_create_end.append(_connected)
        tracing.on_connection_reuseconn.append(_reused)
        session = aiohttp.ClientSession(
            connector=self._connector(),
            cookie_jar=aiohttp.DummyCookieJar(),  # cookies are never kept between calls
            auto_decompress=True,
            skip_auto_headers=_SKIPPED_HEADERS,
            trust_env=False,  # the core chose the proxy, from the environment or not
            timeout=aiohttp.ClientTimeout(total=None),  # each request brings its own
            trace_configs=[tracing],
            read_bufsize=_READ_BUFSIZE,
        )
        # aiohttp sends an idempotent request again, once, when a pooled connection fails
        # before the answer; the core's retry policy decides that (aiohttp's own test client
        # turns it off the same way).
        if hasattr(session, "_retry_connection"):  # aiohttp 3.9 to 3.14 at least
            session._retry_connection = False
        return session

    def _connector(self) -> aiohttp.BaseConnector:
        """Unlimited connections (the blocking transport never makes a call wait for one
        either); SOCKS proxies through aiohttp-socks."""
        import ssl

        context: Union[ssl.SSLContext, bool] = True  # verified against the system's CAs
        if self.options.ca_bundle is not None:
            context = ssl.create_default_context(cafile=self.options.ca_bundle)
        pool: dict[str, Any] = {
            "limit": 0,
            "ssl": context,
            # A TLS connection closed when its answer ends (the server said
            # "Connection: close") is closed gracefully, in the background; on the Pythons
            # whose asyncio can leave such a close unfinished (before 3.12.8), aiohttp tracks
            # them and aborts those left when the pool closes.
            "enable_cleanup_closed": getattr(
                self._aiohttp.connector, "NEEDS_CLEANUP_CLOSED", sys.version_info < (3, 12, 8)
            ),
        }
        proxy = urlsplit(self.options.proxy or "")
        if proxy.scheme not in _SOCKS:
            return _capped(self._aiohttp.TCPConnector(**pool))
        from aiohttp_socks import ProxyConnector, ProxyType

        kind, remote_names = _SOCKS[proxy.scheme]
        return _capped(
            ProxyConnector(
                host=proxy.hostname or "",
                port=proxy.port or 1080,
                proxy_type=getattr(ProxyType, kind),
                username=unquote(proxy.username) if proxy.username is not None else None,
                password=unquote(proxy.password) if proxy.password is not None else None,
                rdns=remote_names,
                **pool,
            )
        )

    def _sent_headers(self, request: Request) -> dict[str, str]:
        """The request's headers; `Accept-Encoding: identity` when it names no encoding (as
        http.client adds under urllib3); the proxy's credentials when an http:// URL goes to
        an HTTP proxy as is (aiohttp sends them only on a CONNECT, for https:// URLs)."""
        headers = request.headers
        added: dict[str, str] = {}
        if not any(name.lower() == "accept-encoding" for name in headers):
            added["Accept-Encoding"] = "identity"
        if self._proxy_headers is not None and request.url[:5].lower() == "http:":
            added.update(self._proxy_headers)
        return {**headers, **added} if added else headers

    def _timeout(self, request: Request, left: Optional[float]) -> aiohttp.ClientTimeout:
        """connect: the connection, its proxy and TLS included; read: the silence allowed
        between two pieces of the answer; total: what is left until the deadline, for the
        whole exchange, body included (never rounded up, as aiohttp would a long one)."""
        timeout = request.timeout
        return self._aiohttp.ClientTimeout(
            total=left,
            connect=timeout.connect,
            sock_connect=timeout.connect,
            sock_read=timeout.read,
            ceil_threshold=float("inf"),
        )

    def _failure(self, exc: Exception, request: Request, exchange: _Exchange) -> Exception:
        """This library's error for what aiohttp, aiohttp-socks or the socket raised while
        sending or reading: the one place their exceptions are mapped. The deadline first
        (aiohttp's total timeout, or any fault once it has passed), then the fault itself.
        A bug, not a fault of the network, is returned as it is."""
        import asyncio

        aiohttp = self._aiohttp
        socks = self._socks_failure(exc, request.url)
        if socks is not None:
            return socks
        if not isinstance(exc, (asyncio.TimeoutError, OSError, aiohttp.ClientError)):
            return exc
        host = _host(request.url)
        ours = isinstance(exc, aiohttp.ServerTimeoutError)  # connect or read, not total
        timed_out = isinstance(exc, asyncio.TimeoutError)
        deadline = request.deadline
        if deadline is not None and ((timed_out and not ours) or time.monotonic() >= deadline):
            return _past_deadline(request)
        if timed_out and exchange.connected:
            return APITimeoutError(f"{host} sent nothing for longer than the read timeout")
        if timed_out:
            return APITimeoutError(f"connecting to {host}{self._through()} timed out")
        if isinstance(exc, aiohttp.ClientHttpProxyError):  # the proxy's answer to CONNECT
            proxy = _host(self.options.proxy or "")
            if exc.status == 407:
                return APIConnectionError(
                    f"the proxy at {proxy} refused the credentials "
                    "(407 Proxy Authentication Required)"
                )
            return APIConnectionError(
                f"could not reach {host} through the proxy at {proxy}: {exc.status} {exc.message}"
            )
        if isinstance(exc, aiohttp.ClientProxyConnectionError):
            return APIConnectionError(
                f"could not reach {host} through the proxy at {_host(self.options.proxy or '')}: "
                f"{_os_reason(exc)}"
            )
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return APIConnectionError(
                f"the TLS connection to {host} failed: {exc.certificate_error}"
            )
        if isinstance(exc, aiohttp.ClientSSLError):
            return APIConnectionError(f"the TLS connection to {host} failed: {_os_reason(exc)}")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return APIConnectionError(f"could not connect to {host}: {_os_reason(exc)}")
        if isinstance(exc, aiohttp.ClientPayloadError):
            return APIConnectionError(f"{_payload_reason(exc)} (from {host})")
        if isinstance(exc, aiohttp.ClientResponseError):  # aiohttp's parser refused the bytes
            return APIConnectionError(f"{_parser_reason(exc.message)} (from {host})")
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            if isinstance(exc.message, str):  # nothing of the answer had come
                return APIConnectionError(f"{host} closed the connection without an answer")
            return APIConnectionError(
                f"the connection closed in the middle of the response headers (from {host})"
            )
        return APIConnectionError(f"the connection to {host} failed: {exc}")

    def _socks_failure(self, exc: Exception, url: str) -> Optional[APIConnectionError]:
        """This library's error for one of aiohttp-socks', which come through aiohttp as they
        are, saying which side failed: the proxy itself, its handshake, or the way beyond
        it. None for any other exception."""
        proxy = urlsplit(self.options.proxy or "")
        if proxy.scheme not in _SOCKS:
            return None
        import asyncio

        import aiohttp_socks

        where = f"the SOCKS proxy at {proxy.hostname}:{proxy.port}"
        if isinstance(exc, aiohttp_socks.ProxyTimeoutError):
            return APITimeoutError(f"connecting through {where} timed out")
        if isinstance(exc, aiohttp_socks.ProxyConnectionError):
            return APIConnectionError(f"{where} refused the connection: {exc}")
        hung_up = isinstance(exc, asyncio.IncompleteReadError)  # python-socks lets it through
        if not hung_up and not isinstance(exc, aiohttp_socks.ProxyError):
            return None
        reason = "it hung up" if hung_up else str(exc)
        if hung_up or "auth" in reason.lower() or "closed unexpectedly" in reason.lower():
            # A refusal says so; some proxies just hang up on credentials they do not take.
            user = f" for user {unquote(proxy.username)!r}" if proxy.username else ""
            return APIConnectionError(
                f"{where} ended the handshake: it refused the credentials{user}, or wants some "
                f"({reason})"
            )
        return APIConnectionError(f"could not reach {_host(url)} through {where}: {reason}")

    def _through(self) -> str:
        proxy = urlsplit(self.options.proxy or "")
        if proxy.scheme in _SOCKS:
            return f" through the SOCKS proxy at {proxy.hostname}:{proxy.port}"
        if self.options.proxy:
            return f" through the proxy at {_host(self.options.proxy)}"
        return ""

    async def aclose(self) -> None:
        """Close the pooled connections (a later request opens new ones)."""
        session, self._session = self._session, None
        loop, self._loop = self._loop, None
        if session is None or session.closed or (loop is not None and loop.is_closed()):
            return
        connector = session.connector
        if connector is not None:
            # Aborted, without the TLS goodbye: a graceful TLS close of a tunnelled connection
            # (CONNECT, SOCKS) may still be going on when the loop ends, its socket left open.
            try:
                closing = connector.close(abort_ssl=True)
            except TypeError:  # aiohttp before 3.13
                closing = connector.close()
            await closing
        await session.close()


def _capped(connector: aiohttp.BaseConnector) -> aiohttp.BaseConnector:
    """The connector, its connections reading at most `_READ_SIZE` bytes a socket read.

    asyncio reads up to 256 KiB at a time, and aiohttp holds what it read until the stream's
    reader takes it: a loop behind on a thousand fast streams held ~150 KB of each, where
    16 KiB reads hold ~57 KB, at the same events/s (docs/performance.md). Neither library
    makes the size a setting: this sets the plain-socket transport's `max_size` as each
    connection is made, and does nothing where a version has neither that attribute nor the
    connector's protocol factory (a TLS connection keeps asyncio's own size)."""
    factory = getattr(connector, "_factory", None)
    if not callable(factory):
        return connector

    def protocol(*args: Any, **kwargs: Any) -> Any:
        made = factory(*args, **kwargs)
        connection_made = made.connection_made

        def with_small_reads(transport: Any) -> None:
            if isinstance(getattr(transport, "max_size", None), int):
                transport.max_size = _READ_SIZE
            connection_made(transport)

        made.connection_made = with_small_reads
        return made

    setattr(connector, "_factory", protocol)  # noqa: B010 - private, checked above
    return connector


class _Exchange:
    """One request as aiohttp's tracing signals follow it: whether it has its connection yet
    (a timeout before is a connect timeout, after a read timeout) and what it reports."""

    __slots__ = ("connected", "info")

    def __init__(self, proxy: Optional[str]) -> None:
        self.connected = False
        self.info: dict[str, Any] = {"connection": "new"}
        if proxy:
            self.info["proxy"] = proxy  # masked where it is logged


async def _connected(session: Any, context: Any, params: Any) -> None:
    context.trace_request_ctx.connected = True


async def _reused(session: Any, context: Any, params: Any) -> None:
    exchange = context.trace_request_ctx
    exchange.connected = True
    exchange.info["connection"] = "reused"


class _Body:
    """The body of one response, as an async iterator of the chunks aiohttp has, each as
    soon as it has it. An iterator class, not an async generator: nothing is left for the
    loop to finalize when a reader stops halfway."""

    __slots__ = ("_content", "_error", "_exchange", "_raw", "_request", "_transport", "watch")

    def __init__(
        self,
        raw: aiohttp.ClientResponse,
        transport: AiohttpTransport,
        request: Request,
        exchange: _Exchange,
    ) -> None:
        self._raw = raw
        self._content = raw.content
        self._transport = transport
        self._request = request
        self._exchange = exchange
        self._error: Optional[Exception] = None  # to raise once the bytes before it are out
        self.watch: Optional[_Watch] = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._error is not None:
            raise self._error
        try:
            chunk = await self._content.readany()
        except Exception as exc:
            self._done()
            _discard(self._raw)
            error = self._error = self._transport._failure(exc, self._request, self._exchange)
            if error is not exc:
                error.__cause__ = exc
            kept = _unread(self._content)
            if kept:  # bytes that arrived before the fault are the caller's
                return kept
            raise error from error.__cause__
        except BaseException:  # cancelled in the read: the connection goes now
            self._done()
            _discard(self._raw)
            raise
        if chunk:
            return chunk
        self._done()
        raise StopAsyncIteration

    def _done(self) -> None:
        watch, self.watch = self.watch, None
        if watch is not None and watch.body is self:
            watch.body = None

    def lost(self) -> None:
        """The connection is gone. aiohttp tells the body why, unless its parser refused the
        bytes that followed: then it tells the connection only, and a read would wait
        forever (aiohttp 3.9 to 3.14, with its C parser)."""
        content = self._content
        if content.is_eof() or content.exception() is not None:
            return
        chunked = "chunked" in self._raw.headers.get("Transfer-Encoding", "").lower()
        what = "the chunked framing of the body is broken" if chunked else "the body is broken"
        host = _host(self._request.url)
        content.set_exception(
            APIConnectionError(f"{what}: aiohttp's parser refused it (from {host})")
        )


class _Watch:
    """The body being read on one connection, told when the connection is lost: the one way
    to learn that aiohttp's parser gave up on a body (see `_Body.lost()`)."""

    __slots__ = ("body",)

    def __init__(self) -> None:
        self.body: Optional[_Body] = None

    def lost(self, closed: asyncio.Future[None]) -> None:
        if not closed.cancelled():
            closed.exception()  # seen: a connection lost with an error is no one's error here
        body, self.body = self.body, None
        if body is not None:
            body.lost()


def _unread(content: Any) -> bytes:
    """What aiohttp buffered before a failure it reports first (its reads raise the failure
    and drop the rest): a private buffer, read only here, and only if it is what it was."""
    buffer = getattr(content, "_buffer", None)
    if not buffer or not all(isinstance(piece, bytes) for piece in buffer):
        return b""
    kept = b"".join(buffer)
    buffer.clear()
    return kept


def _discard(raw: aiohttp.ClientResponse) -> None:
    """Close the connection of a response not read to its end: aborted, so that it is gone
    from this loop's next turn (a TLS close would wait for the server's goodbye first)."""
    connection = raw.connection
    if connection is not None:
        transport = connection.transport
        if transport is not None:
            transport.abort()
    raw.close()


async def _aclose(raw: aiohttp.ClientResponse) -> None:
    """Back to the pool when the body was read to its end (aiohttp has released it then);
    discarded otherwise."""
    if raw.connection is not None:
        _discard(raw)
    else:
        raw.release()


def _payload(body: Any) -> Any:
    """What aiohttp sends: bytes as they are (with their Content-Length); an iterable of
    bytes, sync or async, as it produces them (chunked, unless the request gave a length)."""
    if body is None or isinstance(body, (bytes, bytearray, memoryview)):
        return body
    if isinstance(body, AsyncIterable):
        return body
    return _Upload(body)


class _Upload:
    """A sync iterable of bytes, as the async iterable aiohttp sends from."""

    __slots__ = ("_parts",)

    def __init__(self, parts: Iterable[bytes]) -> None:
        self._parts: Iterator[bytes] = iter(parts)

    def __aiter__(self) -> _Upload:
        return self

    async def __anext__(self) -> bytes:
        for part in self._parts:
            if part:
                return bytes(part)
        raise StopAsyncIteration


def _joined(headers: Any) -> dict[str, str]:
    """The headers by name, repeated ones joined with `, ` (as urllib3 gives them)."""
    joined: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _http_proxy(proxy: str) -> tuple[str, Optional[dict[str, str]]]:
    """The proxy URL without its credentials, and the credentials apart, as the headers for
    the proxy: they travel in Proxy-Authorization only, never in a URL an exception may show."""
    parts = urlsplit(proxy)
    if parts.username is None:
        return without_userinfo(proxy), None
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    # Latin-1, as urllib3 encodes them for the blocking transport.
    token = base64.b64encode(credentials.encode("latin-1")).decode("ascii")
    return without_userinfo(proxy), {"Proxy-Authorization": f"Basic {token}"}


def _os_reason(exc: Any) -> str:
    error = getattr(exc, "os_error", None)
    return str(getattr(error, "strerror", None) or error or exc)


def _parser_reason(message: str) -> str:
    """What aiohttp's parser found wrong, in its first line (the others point at the byte)."""
    first = message.strip().partition("\n")[0].rstrip(":")
    if "chunk" in first.lower():
        return f"the chunked framing of the body is broken: {first}"
    return f"the response is not valid HTTP/1.1: {first}"


def _payload_reason(exc: BaseException) -> str:
    """What went wrong in a body, from aiohttp's payload error and its cause."""
    cause = exc.__cause__ or exc.__context__ or exc
    detail = str(getattr(cause, "message", None) or cause).strip().partition("\n")[0]
    if "not enough data" in detail.lower():
        return f"the connection closed in the middle of the body: {detail}"
    if type(cause).__name__ == "TransferEncodingError" or "chunk" in detail.lower():
        return f"the chunked framing of the body is broken: {detail}"
    return f"the body could not be read: {detail}"


@openaistream.hookimpl
def register_transports(register: Any) -> None:
    register(
        "aiohttp", AiohttpTransport, serves="async", proxy_schemes=AiohttpTransport.proxy_schemes
    )
