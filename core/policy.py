"""The policy around one call, written once for every client: what to do next, never how.

A call is a generator of *actions*. The client that drives it carries each one out, blocking
or awaiting, and sends back what happened:

- `Send`: send this prepared request through this transport; send back the Response,
  or the exception the transport raised (as a value: never thrown in);
- `Wait`: wait this many seconds before the next try; send back None;
- `ReadStart`: feed the start of this body to `start` until it says stop, then close
  the body; send back None, or the exception the reading raised;
- `ReadAll`: read the whole body (and close it); send back its bytes;
- `Close`: close this response unread; send back None;
- `GetKey`: call this key provider (awaiting what it returns, on the async client);
  send back the key, or the exception it raised (as a value).

The call ends as a generator ends: its return value is the answer (the Response, or the
parsed body), and an error is raised from it. The policy holds the retry loop and its waits,
the total deadline, the hooks, the logging, the status and answer checks of
`openaistream.answers`, the scrubbing of secrets and the lease on the transport; it never
sends, sleeps, reads or closes a body itself, so that a blocking client and an awaiting one
share it (the sans-I/O shape of h11 and wsproto).

A driver sends what happened from outside any `except` block (what the policy raises would
chain the exception being handled), and closes the generator when it stops driving it early
(its own error, a KeyboardInterrupt, a cancelled task): that lets the transport go.

Reading a body the policy hands on is guarded by a `BodyGuard`: the client iterates, the
guard says what each chunk and each error means.
"""

from __future__ import annotations

import json as jsonlib
import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, TypeVar, Union

from . import answers
from .config import ClientConfig, KeyProvider, checked_headers, header_text
from .errors import APIConnectionError, APIError, APITimeoutError, OpenAIError, StreamError
from .http import SECRET_HEADERS, AsyncResponse, Request, Response
from .raw import RawResponse
from .redact import Redactor, request_secrets
from .retries import RetryPolicy

if TYPE_CHECKING:
    from .connections import Connections, Lease
    from .log import CallLog

__all__ = [
    "PARSERS",
    "Action",
    "BodyGuard",
    "CallPolicy",
    "Close",
    "GetKey",
    "Hooks",
    "ReadAll",
    "ReadStart",
    "Send",
    "Steps",
    "Wait",
]

T = TypeVar("T")
# What the policy handles, for either client: it reads a response's status and headers only.
# The actions carry the client's own kind (a Transport and Responses, or the async ones).
AnyResponse = Union[Response, AsyncResponse]
E = TypeVar("E", bound=APIError)

# How an answer that is not streamed is parsed (see OpenAI.request).
PARSERS = ("auto", "json", "text", "bytes")


class Send:
    """Send `request` through `transport`."""

    __slots__ = ("request", "transport")

    def __init__(self, transport: Any, request: Request) -> None:
        self.transport = transport
        self.request = request

    def __repr__(self) -> str:
        return f"Send({self.request!r})"


class Wait:
    """Wait `seconds` before the next try."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Wait({self.seconds!r})"


class ReadStart:
    """Feed the body of `response` to `start` chunk by chunk until `start.feed` returns
    False or the body ends, then close the response."""

    __slots__ = ("response", "start")

    def __init__(self, response: Any, start: answers.BodyStart) -> None:
        self.response = response
        self.start = start

    def __repr__(self) -> str:
        return f"ReadStart({self.response!r}, at most {self.start.limit} bytes)"


class ReadAll:
    """Read the whole body of `response`, and close it."""

    __slots__ = ("response",)

    def __init__(self, response: Any) -> None:
        self.response = response

    def __repr__(self) -> str:
        return f"ReadAll({self.response!r})"


class Close:
    """Close `response` unread."""

    __slots__ = ("response",)

    def __init__(self, response: Any) -> None:
        self.response = response

    def __repr__(self) -> str:
        return f"Close({self.response!r})"


class GetKey:
    """Call `provider` for the key of the next attempt."""

    __slots__ = ("provider",)

    def __init__(self, provider: KeyProvider) -> None:
        self.provider = provider

    def __repr__(self) -> str:
        return "GetKey()"


Action = Union[Send, Wait, ReadStart, ReadAll, Close, GetKey]
# A call: yields actions, is sent what happened, returns the answer.
Steps = Generator[Action, Any, T]


class Hooks(Protocol):
    """The middleware hooks a call runs (the plugin registry)."""

    def before_request(self, request: Request) -> None: ...

    def after_response(self, request: Request, response: Any) -> None: ...


class BodyGuard:
    """The core's rules for reading one body: it ends in APITimeoutError once the call's
    deadline passes; any error from reading it is scrubbed of secrets, and a transport's own
    ValueError or ConnectionError becomes the connection error it is; closing it lets the
    transport go. The client iterates the body and asks."""

    __slots__ = ("_clock", "_redactor", "_release", "_total", "deadline")

    def __init__(
        self,
        deadline: Optional[float],
        total: Optional[float],
        redactor: Callable[[], Redactor],
        release: Optional[Callable[[], None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.deadline = deadline  # None: no chunk needs checking
        self._total = total
        self._redactor = redactor
        self._release = release
        self._clock = clock

    def check_time(self) -> None:
        """Before a chunk is handed on: raise APITimeoutError if the deadline has passed."""
        if self.deadline is not None and self._clock() > self.deadline:
            raise APITimeoutError(f"the call took longer than its total timeout of {self._total} s")

    def failure(self, exc: Exception) -> BaseException:
        """What to raise in place of an exception from reading the body."""
        failure = _body_fault(exc) if isinstance(exc, _TRANSPORT_FAULTS) else exc
        return self._redactor().exception(failure)

    def closed(self) -> None:
        """The body was closed: the call is over."""
        if self._release is not None:
            self._release()


class CallPolicy:
    """The policy of one client's calls: its hooks, retries, connections and secrets.

    `guarded` wraps a response so that its body is read through a `BodyGuard`, the
    way the driving client reads (blocking or awaiting); `clock` is `time.monotonic`,
    or a stand-in in tests."""

    __slots__ = (
        "_clock", "_config", "_connections", "_guarded", "_hooks", "_redactor", "_retry",
    )  # fmt: skip

    def __init__(
        self,
        hooks: Hooks,
        retry: RetryPolicy,
        connections: Connections,
        config: ClientConfig,
        guarded: Callable[[Any, BodyGuard], AnyResponse],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hooks = hooks
        self._retry = retry
        self._connections = connections
        self._config = config  # read at each call: set_api_key changes it in place
        self._redactor = config.redactor
        self._guarded = guarded
        self._clock = clock

    # -- the answer asked for ------------------------------------------------------------

    def call(
        self,
        request: Request,
        log: Optional[CallLog],
        *,
        stream: bool = False,
        media_type: Optional[str] = None,
        parse: str = "auto",
        raw: bool = False,
    ) -> Steps[Any]:
        """One call through to its answer: with `stream`, the Response once its headers say it is
        the stream asked for (`media_type`, or any body when None), for the client to decode;
        otherwise the body, parsed by `parse` (one of `PARSERS`). With `raw`, a
        [`RawResponse`][openaistream.raw.RawResponse] that holds that answer (for a stream, the
        Response, which the client replaces by its stream)."""
        started = self._clock()
        response = yield from self.send(request, log)
        if stream:
            reason = answers.not_a_stream(response.headers, media_type)
            if reason is not None:
                raise (yield from self._mismatch(StreamError, reason, response, log))
            if raw:
                return self._raw(request, response, started, None, response)
            return response
        reason = answers.not_json(response.headers) if parse in ("auto", "json") else None
        if reason is not None:
            raise (yield from self._mismatch(APIError, reason, response, log))
        body: bytes = yield ReadAll(response)
        if log is not None:
            log.response_body(body)
        parsed = self._parsed(response, body, parse)
        return self._raw(request, response, started, body, parsed) if raw else parsed

    def _raw(
        self, request: Request, response: AnyResponse, started: float, body: Any, parsed: Any
    ) -> RawResponse:
        elapsed = self._clock() - started
        return RawResponse(
            request.method, request.url, response.status, response.headers, elapsed, body, parsed
        )

    def _mismatch(
        self, cls: type[E], reason: str, response: AnyResponse, log: Optional[CallLog]
    ) -> Steps[E]:
        """The error for an answer that is not what was asked for (an HTML page, a JSON body
        to a stream request), with the start of its body, read no further."""
        start = yield from self._body_start(response, log)
        error = answers.mismatch_error(cls, reason, response.headers, start)
        return _scrubbed(error, self._redactor())

    def _parsed(self, response: AnyResponse, body: bytes, parse: str) -> Any:
        kind = response.headers.get("content-type", "")
        if parse == "auto":
            parse = "json" if "json" in kind else "text" if kind.startswith("text/") else "bytes"
        if parse == "bytes":
            return body
        if parse == "text":
            return body.decode("utf-8", "replace")
        try:
            return jsonlib.loads(body.decode()) if body else None
        except ValueError as exc:
            start = answers.BodyStart()
            start.feed(body)
            error = answers.mismatch_error(
                APIError, f"the API sent a body that is not valid JSON ({exc})", response.headers,
                start,
            )  # fmt: skip
            raise _scrubbed(error, self._redactor()) from None

    # -- sending, with retries -------------------------------------------------------------

    def send(self, request: Request, log: Optional[CallLog]) -> Steps[AnyResponse]:
        """Send a request with hooks, logging and retries; return the Response as soon as its
        headers are in, or raise the typed error for a status >= 300. A total timeout bounds
        every attempt, every wait between them, and the reading of the body.

        Everything the transport raises, from `send` or from the body, passes here: no
        secret the request carried leaves in an error."""
        total = request.timeout.total
        deadline = None if total is None else self._clock() + total
        # A body given as an iterable is consumed by the first try: it cannot be sent again.
        max_retries = self._retry.max_retries if _replayable(request) else 0
        lease = self._connections.lease()
        kept = False  # the returned response holds the lease until it is closed
        try:
            for attempt in range(max_retries + 1):
                last = attempt == max_retries
                key = None
                if self._config.key_provider is not None:
                    key = yield from self._key(self._config.key_provider, log)
                sent = self._prepared(request, deadline, key)
                if log is not None:
                    log.request(sent, attempt)
                told = yield Send(lease.transport, sent)
                if isinstance(told, BaseException):
                    if not isinstance(told, APIConnectionError) or last:
                        raise self._request_redactor(sent).exception(told)
                    wait = self._wait(attempt + 1, None, f"connection error: {told}", log, deadline)
                    if wait is None:
                        raise self._request_redactor(sent).exception(told)
                    yield wait
                    continue
                try:
                    self._hooks.after_response(sent, told)
                except BaseException:
                    yield Close(told)  # the hook's error is the answer; the body goes unread
                    raise
                response = self._answered(sent, told, lease, deadline, total)
                kept = not answers.is_failure(response.status)
                if log is not None:
                    log.response(response)
                if kept:
                    return response
                error = yield from self._status_error(sent, response, log)
                if last or not self._retry.retries_status(response.status, response.headers):
                    raise error
                wait = self._wait(
                    attempt + 1, response.headers, f"status {response.status}", log, deadline
                )
                if wait is None:
                    raise error
                yield wait
            raise AssertionError("unreachable: the loop returns or raises")
        finally:
            if not kept:
                lease.release()

    def _key(self, provider: KeyProvider, log: Optional[CallLog]) -> Steps[str]:
        """The key a provider gives for one attempt, checked as header text; a provider
        that fails or gives no key ends the call, naming what went wrong, not the key."""
        given = yield GetKey(provider)
        if isinstance(given, BaseException):
            raise OpenAIError(
                f"the api_key provider raised {type(given).__name__}; nothing was sent"
            ) from given
        if not isinstance(given, str):
            raise OpenAIError(
                f"the api_key provider returned {type(given).__name__}, not a key (a string); "
                "nothing was sent"
            )
        key = header_text("the key the api_key provider returned", given)
        if not key:
            raise OpenAIError("the api_key provider returned an empty key; nothing was sent")
        if log is not None:
            log.hide(key)
        return key

    def _prepared(self, request: Request, deadline: Optional[float], key: Optional[str]) -> Request:
        """One attempt's request: a copy of the request as built (so hooks need not be
        idempotent), with this attempt's key if a provider gave one, its timeouts cut to the
        deadline, after the before_request hooks, whose headers are checked as the caller's
        are."""
        sent = _copied(request, deadline)
        if key is not None:
            sent.headers[self._config.key_header] = self._config.key_prefix + key
            request = _copied(sent, deadline)  # the key is not a change a hook made
        if deadline is not None:
            sent.timeout = request.timeout.within(deadline - self._clock())
        self._hooks.before_request(sent)
        # What the hooks set is checked as the caller's headers were; what was built is
        # checked already.
        changed = {
            name: value
            for name, value in sent.headers.items()
            if request.headers.get(name) is not value
        }
        if changed:
            where = "headers after the before_request hooks"
            sent.headers.update(checked_headers(changed, where))
        if sent.url is not request.url:
            sent.url = header_text("the URL after the before_request hooks", sent.url) or ""
        return sent

    def _answered(
        self,
        sent: Request,
        response: AnyResponse,
        lease: Lease,
        deadline: Optional[float],
        total: Optional[float],
    ) -> AnyResponse:
        """The response guarded; a success keeps the lease until it is closed."""
        release = None if answers.is_failure(response.status) else lease.release

        # The redactor only when an error needs it: every call would pay for it.
        def redactor() -> Redactor:
            return self._request_redactor(sent)

        return self._guarded(response, BodyGuard(deadline, total, redactor, release, self._clock))

    def _request_redactor(self, request: Request) -> Redactor:
        """What must not show from this request: the client's secrets and the request's own
        (secret headers, cookies, credential query parameters, a hook may have added)."""
        secrets = request_secrets(request.url, request.headers, SECRET_HEADERS)
        return self._redactor().with_secrets(secrets)

    def _wait(
        self,
        retry: int,
        headers: Optional[dict[str, str]],
        reason: str,
        log: Optional[CallLog],
        deadline: Optional[float],
    ) -> Optional[Wait]:
        """The wait before a retry; None when it would end past the call's deadline (the
        last error is then the answer)."""
        wait = self._retry.wait(retry, headers)
        if deadline is not None and self._clock() + wait >= deadline:
            return None
        if log is not None:
            log.retry(retry, wait, reason)
        return Wait(wait)

    def _status_error(
        self, sent: Request, response: AnyResponse, log: Optional[CallLog]
    ) -> Steps[APIError]:
        start = yield from self._body_start(response, log)
        error = answers.status_failure(response.status, response.headers, start)
        return _scrubbed(error, self._request_redactor(sent))

    def _body_start(
        self, response: AnyResponse, log: Optional[CallLog]
    ) -> Steps[answers.BodyStart]:
        """The start of a body that only explains an error: at most `BODY_KEPT` bytes, and
        what came before a timeout or a hang-up; the connection is not kept (the rest
        unread)."""
        start = answers.BodyStart()
        failure = yield ReadStart(response, start)
        if failure is not None:
            if not isinstance(failure, APIConnectionError):
                raise failure
            start.cut()  # the call's deadline, a stall, a hang-up: what came will do
        if log is not None:
            log.response_body(start.data)
        return start


# What a transport that maps not all of its library's errors may let out of a body: a
# decoder would take a ValueError for bad data, and neither would keep what was received.
# Other exceptions (an OSError from a full disk while a cassette is written) stay as they are.
_TRANSPORT_FAULTS = (ValueError, ConnectionError)


def _body_fault(exc: Exception) -> APIConnectionError:
    """A transport's own exception from reading a body (a third-party transport's ValueError),
    as the connection error it is: a stream then keeps what it received, and no decoder takes
    it for bad data."""
    error = APIConnectionError(
        f"the transport failed while reading the body: {type(exc).__name__}: {exc}"
    )
    error.__cause__ = exc
    return error


def _copied(request: Request, deadline: Optional[float]) -> Request:
    """A copy of the request with headers of its own and this deadline: what
    `dataclasses.replace` makes, at half its cost (it runs on every call)."""
    sent: Request = object.__new__(Request)
    sent.__dict__.update(request.__dict__)
    sent.headers = dict(request.headers)
    sent.deadline = deadline
    return sent


def _scrubbed(error: E, redactor: Redactor) -> E:
    """The error with any secret removed from its message and body."""
    error.message = redactor.text(error.message)
    error.body = redactor.data(error.body)
    error.args = (error.message,)
    return error


def _replayable(request: Request) -> bool:
    """Whether the body can be sent again: bytes, or an iterable that starts afresh each time
    (a Multipart does), not a one-shot iterator."""
    body = request.body
    return body is None or type(body) is bytes or not isinstance(body, Iterator)
