"""The value types a transport speaks: Request, Response, Timeout, and the Transport protocol.

A transport knows these types and its own HTTP library, nothing else of the core. The core
builds a Request, hands it to `transport.send` and gets a Response whose body is an iterator
of raw byte chunks, yielded as they arrive and never buffered whole.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol, Union, runtime_checkable

from .errors import APIConnectionError, OpenAIError
from .redact import mask_secret, mask_url

__all__ = [
    "AsyncResponse",
    "AsyncTransport",
    "AsyncTransportFactory",
    "Body",
    "Network",
    "Request",
    "Response",
    "Timeout",
    "Transport",
    "TransportFactory",
    "TransportOptions",
]

# A request body: bytes, or an iterable of bytes sent as they are produced (uploads).
Body = Union[bytes, Iterable[bytes], None]

# Header names whose values are secrets (credentials, and cookies, which often carry a
# session); they are masked wherever a Request or a Response is shown or logged.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie", "set-cookie"}
)


@dataclass(frozen=True)
class Timeout:
    """How long a call may wait, in seconds: `OpenAI(timeout=Timeout(...))` for every call,
    `timeout=` on one call for that call.

    The defaults suit LLM streams: a connection comes in seconds or not at all, while a
    model may think for minutes before its first token, so the read timeout is long and a
    call as a whole is not limited unless asked. A wait that runs out raises
    `APITimeoutError`, and what a stream had received stays on the error.

    Args:
        connect: For a connection (and the proxy's, through one).
        read: Between two reads of the answer; for a stream, how long the server may stay
            silent between chunks (a stall ends there).
        total: For the whole call, retries, the waits between them and the reading of a
            stream included; None for no limit.

    Raises:
        ValueError: A value that is not a positive number (or None, for `total`).
    """

    connect: float = 5.0
    read: float = 600.0
    total: Optional[float] = None

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            value = getattr(self, name)
            if value is None and name == "total":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"timeout {name} must be a positive number, not {value!r}")

    @classmethod
    def of(cls, value: Union[Timeout, float, int, None]) -> Timeout:
        """A Timeout from what a user passes: None for the defaults, a number for connect
        and read."""
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"timeout must be a positive number or a Timeout, not {value!r}")
        return cls(connect=float(value), read=float(value))

    def within(self, seconds: float) -> Timeout:
        """This timeout with connect and read cut to what is left of a total."""
        left = max(seconds, 0.001)
        return Timeout(min(self.connect, left), min(self.read, left), self.total)


@dataclass
class Request:
    """One HTTP request, complete: the URL is absolute and the headers are final. Every body
    is read as it arrives, so a transport treats all requests alike.

    `deadline`, when the call has a total timeout, is the `time.monotonic()` value by
    which the whole call must end: a transport ends any wait there (connecting, a status line
    or headers that drip in, each read of the body) with `APITimeoutError`.
    Hooks (`before_request`) may change `headers` and `url` in place.
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None
    timeout: Timeout = field(default_factory=Timeout)
    deadline: Optional[float] = None

    def __repr__(self) -> str:
        return f"Request({self.method} {self.url}, headers={shown_headers(self.headers)!r})"


class Response:
    """An HTTP response whose body is read as it arrives.

    `headers` has lower-case names. Iterating yields the raw body chunks once, each as soon as the
    transport has it. `info` carries what the transport wants to report (for example `{"connection":
    "reused"}`), logged at verbosity 3. `quick_reads(seconds)`, when the transport gives it,
    shortens the wait of the reads that follow (see
    [`finish()`][openaistream.http.Response.finish]).
    """

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        chunks: Iterable[bytes],
        close: Callable[[], None] = lambda: None,
        info: Optional[dict[str, Any]] = None,
        quick_reads: Optional[Callable[[float], None]] = None,
    ) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self._chunks = iter(chunks)
        self._close = close
        self.quick_reads = quick_reads
        self.closed = False
        self._closing = threading.Lock()
        self.info: dict[str, Any] = info or {}

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def read(self) -> bytes:
        """The whole rest of the body, then close."""
        try:
            return b"".join(self._chunks)
        finally:
            self.close()

    def finish(self, limit: int = 64 * 1024, seconds: float = 1.0) -> None:
        """Close a body whose content has ended by its own rules (an SSE `[DONE]`): what
        little is left of it (the last empty chunk) is read first, so the connection can be
        reused, but no more than `limit` bytes, nor a wait of more than `seconds` for them:
        a server that says [DONE] and then neither ends the body nor hangs up costs its
        connection, not the caller's time."""
        if self.closed:
            return
        try:
            if self.quick_reads is not None:
                self.quick_reads(seconds)
            read = 0
            for chunk in self._chunks:
                read += len(chunk)
                if read > limit:
                    break
        except APIConnectionError:  # a timeout or a cut while draining: the connection goes
            pass
        self.close()

    def close(self) -> None:
        """Release the connection: back to the pool when the body was read to its end,
        discarded otherwise. Safe to call twice, and from any thread: a read of the body
        blocked in another thread then ends (at once with the network transports) with an
        `APIConnectionError`."""
        with self._closing:
            if self.closed:
                return
            self.closed = True
        self._close()

    def __repr__(self) -> str:
        return f"Response(status={self.status}, headers={self.headers!r})"


async def _closed_already() -> None:
    return None


class AsyncResponse:
    """The async counterpart of [`Response`][openaistream.http.Response], for a transport that
    serves the async client: `status` and `headers` as there; `async for chunk in response` yields
    the raw body chunks once, each as soon as it arrives; `await aread()`, `await aclose()` and
    `await afinish()` do what `read`, `close` and `finish` do.

    `aclose` must not wait on the network: it discards a connection whose body was not read
    to its end (a cancelled task closes its stream through it, within milliseconds). A read
    in progress when the response is closed ends with `APIConnectionError`.
    """

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        chunks: AsyncIterable[bytes],
        close: Callable[[], Awaitable[None]] = _closed_already,
        info: Optional[dict[str, Any]] = None,
    ) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self._chunks = chunks.__aiter__()
        self._close = close
        self.closed = False
        self.info: dict[str, Any] = info or {}

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks

    async def aread(self) -> bytes:
        """The whole rest of the body, then close."""
        try:
            return b"".join([chunk async for chunk in self._chunks])
        finally:
            await self.aclose()

    async def afinish(self, limit: int = 64 * 1024, seconds: float = 1.0) -> None:
        """As [`Response.finish()`][openaistream.http.Response.finish]: read what little is left of
        a body whose content has ended by its own rules (at most `limit` bytes, waiting at most
        `seconds`), so its connection can be reused; then close."""
        import asyncio  # here: `import openaistream` loads no asyncio

        if self.closed:
            return

        async def drain() -> None:
            read = 0
            async for chunk in self._chunks:
                read += len(chunk)
                if read > limit:
                    return

        try:
            # A timeout or a cut while draining: the connection goes, not the caller's time.
            with contextlib.suppress(asyncio.TimeoutError, APIConnectionError):
                await _within(seconds, drain())
        finally:  # cancelled while draining, too
            await self.aclose()

    async def aclose(self) -> None:
        """Release the connection: back to the pool when the body was read to its end,
        discarded otherwise. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        await self._close()

    def __repr__(self) -> str:
        return f"AsyncResponse(status={self.status}, headers={self.headers!r})"


async def _within(seconds: float, work: Awaitable[None]) -> None:
    """`work`, awaited in this task, ended by `asyncio.TimeoutError` after `seconds`.
    Not `asyncio.wait_for`: before Python 3.12, when the work ended in the turn its task was
    cancelled, it returned and dropped the cancellation."""
    import asyncio

    timeout = getattr(asyncio, "timeout", None)
    if timeout is not None:  # Python 3.11+
        async with timeout(seconds):
            await work
        return
    task = asyncio.current_task()
    assert task is not None
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        await work
    except asyncio.CancelledError:
        if expired:
            raise asyncio.TimeoutError from None
        raise
    finally:
        timer.cancel()


@dataclass(frozen=True)
class TransportOptions:
    """What a transport factory is given: the proxy URL (credentials included, never to be
    shown), the timeouts, the CA bundle for private certificate authorities, the cassette
    and record mode a recording transport uses (it checks the mode: the core passes it on),
    and `network`: the transport the client would otherwise use, to build with
    `network()`, for a transport that wraps another."""

    proxy: Optional[str] = None
    timeout: Timeout = field(default_factory=Timeout)
    ca_bundle: Optional[str] = None
    cassette: Optional[str] = None
    record_mode: Optional[str] = None
    network: Optional[Network] = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"TransportOptions(proxy={mask_url(self.proxy)!r}, timeout={self.timeout!r})"


@dataclass(frozen=True)
class Network:
    """The network transport a wrapping transport sends through: the factory and options the
    client chose for its proxy, built when `network()` is called. It holds values only, so
    what wraps it never reaches back into the client.

    `unusable`: why it cannot be built (an environment proxy that cannot be used): building
    it raises `APIConnectionError`, so the calls fail, not the client. `keyless`: why
    nothing sent through it can succeed (the client has no API key): `check_key()` raises
    it, for a transport that knows when it is built that it will send (one that records)."""

    factory: TransportFactory
    options: TransportOptions
    unusable: Optional[str] = None
    keyless: Optional[str] = None

    def __call__(self) -> Transport:
        if self.unusable is not None:
            raise APIConnectionError(self.unusable)
        return self.factory(self.options)

    def check_key(self) -> None:
        if self.keyless is not None:
            raise OpenAIError(self.keyless)


@runtime_checkable
class Transport(Protocol):
    """Sends a Request and returns its Response as soon as the status line and headers are
    in. Errors are this library's: `APIConnectionError` or `APITimeoutError`, raised from
    `send` or from iterating the body."""

    def send(self, request: Request) -> Response:
        """Send `request` and return as soon as the status line and headers are in.

        Args:
            request: What to send; its `timeout` and `deadline` bound every wait.

        Returns:
            The response, its body not yet read: iterating it reads the body as it arrives.

        Raises:
            APIConnectionError: The request could not be sent or its answer not read.
            APITimeoutError: A timeout of `request.timeout`, or its `deadline`, passed.
        """

    def close(self) -> None:
        """Close every connection the transport holds; a response still being read ends."""


TransportFactory = Callable[[TransportOptions], Transport]


@runtime_checkable
class AsyncTransport(Protocol):
    """The async counterpart of [`Transport`][openaistream.http.Transport], registered with
    `serves="async"`: `await send(request)` returns an
    [`AsyncResponse`][openaistream.http.AsyncResponse] as soon as the status line and headers are
    in; `await aclose()` closes its connections. Errors are this library's, as for a sync transport,
    from `send` or from iterating the body; `request.deadline` is honoured the same way. Cancelling
    a task blocked in `send` or in a read of the body closes that connection."""

    async def send(self, request: Request) -> AsyncResponse:
        """Send `request` and return as soon as the status line and headers are in.

        Args:
            request: What to send; its `timeout` and `deadline` bound every wait.

        Returns:
            The response, its body not yet read: `async for` reads the body as it arrives.

        Raises:
            APIConnectionError: The request could not be sent or its answer not read.
            APITimeoutError: A timeout of `request.timeout`, or its `deadline`, passed.
        """

    async def aclose(self) -> None:
        """Close every connection the transport holds; a response still being read ends."""


AsyncTransportFactory = Callable[[TransportOptions], AsyncTransport]


def shown_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers as they may be shown: secret values masked."""
    return {
        name: mask_secret(value) if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }
