"""The client: configuration, resources from plugins, and the one path every call takes.

client.chat.create(...)            a resource plugin builds the call
  -> client.request(...)           URL, headers, JSON body
  -> client.send(request)          hooks, logging, retries, status errors
  -> transport.send(request)       bytes as they arrive
  -> the JSON body, or a DataStream of decoded items
"""

from __future__ import annotations

import copy
import functools
import json as jsonlib
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union
from urllib.parse import urlencode

from . import answers
from .chooser import TransportChooser
from .config import (
    ClientConfig,
    api_url,
    check_verbosity,
    checked_headers,
    header_text,
    proxy_from_address,
)
from .decoders import decoder_named
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    OpenAIError,
    PluginError,
    StreamError,
)
from .http import SECRET_HEADERS, Body, Request, Response, Timeout, Transport
from .log import CallLog
from .redact import Redactor, mask_secret, mask_url, request_secrets
from .resource import Resource, check_path
from .retries import RetryPolicy
from .stream import DataStream, check_num

if TYPE_CHECKING:
    from .multipart import Multipart  # built by the resources that upload
    from .registry import Registry

__all__ = ["OpenAI"]

E = TypeVar("E", bound=APIError)


class OpenAI:
    """A client for the OpenAI API. Resources are attributes, one for each resource plugin
    loaded (or each one named in ``plugins``); ``client.resources`` lists them, and so does
    ``dir(client)``. The built-in ones:

    - ``assistants``: assistants (``/assistants``)
    - ``audio``: speech, transcriptions and translations (``/audio``)
    - ``batches``: batch jobs, and their input and output files (``/batches``)
    - ``chat``: chat completions, streamed or not (``/chat/completions``)
    - ``embeddings``: embeddings (``/embeddings``)
    - ``files``: uploads, downloads and file contents (``/files``)
    - ``fine_tuning``: fine-tuning jobs (``/fine_tuning/jobs``)
    - ``images``: image generation and edits (``/images``)
    - ``messages``: the messages of a thread (``/threads/{thread_id}/messages``)
    - ``models``: the models there are (``/models``)
    - ``moderations``: moderation (``/moderations``)
    - ``responses``: the Responses API, streamed or not (``/responses``)
    - ``runs``: the runs of a thread, streamed or not (``/threads/{thread_id}/runs``)
    - ``threads``: threads (``/threads``)

    Arguments fall back to the environment: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
    ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``. ``transport`` is a registered transport's name
    (default ``"urllib3"``) or an object with ``send`` and ``close``. ``max_retries`` is a
    number or a :class:`RetryPolicy`. ``verbosity`` (0-3) is the default for every call.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        transport: Union[str, Transport, None] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[str] = None,
        cassette: Optional[str] = None,
        record_mode: Optional[str] = None,
        plugins: Optional[list[str]] = None,
        timeout: Union[Timeout, float, None] = None,
        max_retries: Union[int, RetryPolicy] = 2,
        verbosity: int = 0,
    ) -> None:
        # Plugins (and pluggy) load with the first client, not at import.
        from .registry import get_registry

        self._registry: Registry = get_registry()
        self._config = ClientConfig.resolve(
            api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            proxy=proxy,
            ca_bundle=ca_bundle,
            timeout=timeout,
            verbosity=verbosity,
            # A cassette may need no key (replaying); the transport says so if it records.
            key_required=cassette is None,
            proxy_schemes=self._registry.proxy_schemes("sync"),
        )
        self._retry = RetryPolicy.of(max_retries)
        if record_mode is not None and cassette is None:
            raise ValueError("record_mode is given without a cassette to record into")
        self._chooser = TransportChooser(
            self._registry,
            transport,
            cassette=None if cassette is None else os.fspath(cassette),
            record_mode=record_mode,
        )
        self._connections = self._chooser.connect(self._config)
        self._resources = self._build_resources(plugins)

    # -- resources -----------------------------------------------------------------------

    def _build_resources(self, plugins: Optional[list[str]]) -> dict[str, Resource]:
        classes = self._registry.resource_classes(plugins)
        taken = [name for name in classes if hasattr(type(self), name)]
        if taken:
            raise PluginError(f"resource names clash with client attributes: {', '.join(taken)}")
        return {name: cls(self) for name, cls in classes.items()}

    def __getattr__(self, name: str) -> Any:
        resources = self.__dict__.get("_resources", {})
        if name in resources:
            return resources[name]
        raise AttributeError(
            f"OpenAI client has no resource or attribute {name!r}; "
            f"resources: {', '.join(sorted(resources)) or 'none'}"
        )

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._resources))

    @property
    def resources(self) -> dict[str, Resource]:
        """The resources of this client, by name."""
        return dict(self._resources)

    # -- configuration (the R package's methods) -------------------------------------------

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def verbosity(self) -> int:
        return self._config.verbosity

    @verbosity.setter
    def verbosity(self, value: int) -> None:
        self._config.verbosity = check_verbosity(value)

    def set_api_key(self, api_key: str) -> None:
        """Use another API key from now on (surrounding whitespace is dropped)."""
        key = header_text("api_key", api_key)
        if not key:
            raise ValueError("api_key must be a non-empty string")
        self._config.api_key = key

    def get_api_key(self) -> str:
        """The API key, masked (``sk-...abcd``); empty when there is none (replaying)."""
        return mask_secret(self._config.api_key) if self._config.api_key else ""

    def set_proxy(self, proxy_ip: str, proxy_port: Union[int, str]) -> None:
        """Send requests through the HTTP proxy at ``proxy_ip:proxy_port`` from now on: this
        client and every client it shares its connections with (``with_options``)."""
        if self._chooser.given is not None:
            raise OpenAIError("set_proxy needs a named transport; this client was given an object")
        proxy = proxy_from_address(proxy_ip, proxy_port)
        self._connections.switch(self._chooser.build(proxy, self._config), proxy)

    def get_proxy(self) -> Optional[str]:
        """The proxy URL in use (password masked), or None."""
        return mask_url(self._connections.proxy)

    def get_api_endpoints(self) -> dict[str, str]:
        """Each resource's endpoint URL, by resource name."""
        return {
            name: api_url(self._config.base_url, type(resource).endpoint)
            for name, resource in sorted(self._resources.items())
        }

    def with_options(
        self,
        *,
        timeout: Union[Timeout, float, None] = None,
        max_retries: Union[int, RetryPolicy, None] = None,
        verbosity: Optional[int] = None,
    ) -> OpenAI:
        """A client for some calls with other timeouts, retries or verbosity, sharing this
        one's connections and proxy (closing either closes them; ``set_proxy`` on either
        changes both)::

            client.with_options(timeout=Timeout(total=30), max_retries=0).chat.create(...)
        """
        clone = copy.copy(self)
        clone._config = replace(
            self._config,
            timeout=self._config.timeout if timeout is None else Timeout.of(timeout),
            verbosity=self._config.verbosity if verbosity is None else check_verbosity(verbosity),
        )
        clone._retry = self._retry if max_retries is None else RetryPolicy.of(max_retries)
        clone._resources = {
            name: type(resource)(clone) for name, resource in self._resources.items()
        }
        return clone

    # -- transport (chosen in openaistream.chooser) ----------------------------------------

    @property
    def _transport(self) -> Optional[Transport]:
        """The transport in use (None while an environment proxy that cannot be used stands
        in the way). For tests and for debugging."""
        return self._connections.transport

    def close(self) -> None:
        """Close the connections this client holds; it opens new ones if used again."""
        self._connections.close()

    def __enter__(self) -> OpenAI:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    # -- the call path ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[dict[str, Any]] = None,
        multipart: Optional[Multipart] = None,
        headers: Optional[dict[str, str]] = None,
        stream: bool = False,
        decoder: str = "sse",
        num: int = 2,
        parse: str = "auto",
        verbosity: Optional[int] = None,
    ) -> Any:
        """Call the API and return what it answered.

        The body is ``json`` (any JSON-serialisable value) or ``multipart`` (a
        :class:`Multipart`, streamed); ``params`` go in the query string; ``headers`` are added
        to the client's. Not streamed, the answer is parsed by ``parse``: ``"auto"`` (JSON for
        JSON content types, text for ``text/*``, bytes otherwise), ``"json"``, ``"text"`` or
        ``"bytes"``. With ``stream=True`` it is a DataStream decoding the body with
        ``decoder`` (``"sse"``, ``"sse-events"``, ``"jsonl"`` or ``"bytes"``) as it arrives.
        """
        level = self._config.verbosity if verbosity is None else check_verbosity(verbosity)
        chosen = decoder_named(decoder) if stream else None
        if stream:
            check_num(num)
        if parse not in _PARSERS:
            raise ValueError(f"parse must be one of {', '.join(_PARSERS)}, not {parse!r}")
        request = self.build_request(
            method,
            path,
            json=json,
            params=params,
            multipart=multipart,
            headers=headers,
            stream=stream,
        )
        log = CallLog(level, self._config.redactor()) if level else None
        response = self.send(request, log=log)
        if chosen is not None:
            reason = answers.not_a_stream(response.headers, chosen.media_type)
            if reason is not None:
                raise self._mismatch(StreamError, reason, response, log)
            return DataStream(response, chosen, num, log=log)
        reason = answers.not_json(response.headers) if parse in ("auto", "json") else None
        if reason is not None:
            raise self._mismatch(APIError, reason, response, log)
        body = response.read()
        if log is not None:
            log.response_body(body)
        return self._parsed(response, body, parse)

    def build_request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[dict[str, Any]] = None,
        multipart: Optional[Multipart] = None,
        headers: Optional[dict[str, str]] = None,
        stream: bool = False,
    ) -> Request:
        """The complete Request for a path under the base URL (whose query, if any, every
        request keeps, before ``params``)."""
        extra = checked_headers(headers or {}, "headers")
        query = urlencode(query_pairs(params or {}))
        url = api_url(self._config.base_url, check_path(path), query)
        sent = self._config.headers()
        body: Body = None
        if json is not None:
            try:
                body = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            except (TypeError, ValueError) as exc:
                raise TypeError(f"the request body for {method} {path} is not JSON: {exc}") from exc
            sent["Content-Type"] = "application/json"
        elif multipart is not None:
            body = multipart
            sent["Content-Type"] = multipart.content_type
            sent["Content-Length"] = str(multipart.length)
        sent["Accept"] = "text/event-stream" if stream else "application/json"
        sent.update(extra)
        return Request(method, url, sent, body, timeout=self._config.timeout)

    def send(self, request: Request, *, log: Optional[CallLog] = None) -> Response:
        """Send a request with hooks, logging and retries; return the Response as soon as its
        headers are in, or raise the typed error for a status >= 300. A total timeout bounds
        every attempt, every wait between them, and the reading of the body.

        Everything the transport raises, from ``send`` or from the body, passes here: no
        secret the request carried leaves in an error."""
        total = request.timeout.total
        deadline = None if total is None else time.monotonic() + total
        # A body given as an iterable is consumed by the first try: it cannot be sent again.
        max_retries = self._retry.max_retries if _replayable(request) else 0
        lease = self._connections.lease()
        kept = False  # the returned response holds the lease until it is closed
        try:
            for attempt in range(max_retries + 1):
                sent = self._prepared(request, deadline)
                if log is not None:
                    log.request(sent, attempt)
                response, failure = _sent(lease.transport, sent)
                if failure is not None:
                    if not isinstance(failure, APIConnectionError) or (
                        attempt == max_retries
                        or not self._wait(
                            attempt + 1, None, f"connection error: {failure}", log, deadline
                        )
                    ):
                        raise self._redactor(sent).exception(failure)
                    continue
                assert response is not None
                try:
                    self._registry.after_response(sent, response)
                except BaseException:
                    response.close()  # the hook's error is the answer; the body goes unread
                    raise
                kept = not answers.is_failure(response.status)
                release = lease.release if kept else None
                # The redactor only when an error needs it: every call would pay for it.
                redactor = functools.partial(self._redactor, sent)
                response = _guarded(response, redactor, deadline, total, release)
                if log is not None:
                    log.response(response)
                if kept:
                    return response
                error = self._status_error(response, log, redactor())
                if (
                    attempt == max_retries
                    or not self._retry.retries_status(response.status, response.headers)
                    or not self._wait(
                        attempt + 1, response.headers, f"status {response.status}", log, deadline
                    )
                ):
                    raise error
            raise AssertionError("unreachable: the loop returns or raises")
        finally:
            if not kept:
                lease.release()

    def _prepared(self, request: Request, deadline: Optional[float]) -> Request:
        """One attempt's request: a copy of the request as built (so hooks need not be
        idempotent), its timeouts cut to the deadline, after the before_request hooks, whose
        headers are checked as the caller's are."""
        sent = replace(request, headers=dict(request.headers), deadline=deadline)
        if deadline is not None:
            sent.timeout = request.timeout.within(deadline - time.monotonic())
        self._registry.before_request(sent)
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

    def _redactor(self, request: Request) -> Redactor:
        """What must not show from this request: the client's secrets and the request's own
        (secret headers, cookies, credential query parameters, a hook may have added)."""
        redactor = self._config.redactor()
        return redactor.with_secrets(request_secrets(request.url, request.headers, SECRET_HEADERS))

    def _wait(
        self,
        retry: int,
        headers: Optional[dict[str, str]],
        reason: str,
        log: Optional[CallLog],
        deadline: Optional[float],
    ) -> bool:
        """Sleep before a retry; False, without sleeping, when the wait would end past the
        call's deadline (the last error is then the answer)."""
        wait = self._retry.wait(retry, headers)
        if deadline is not None and time.monotonic() + wait >= deadline:
            return False
        if log is not None:
            log.retry(retry, wait, reason)
        time.sleep(wait)
        return True

    def _status_error(
        self, response: Response, log: Optional[CallLog], redactor: Redactor
    ) -> APIError:
        start = _read_start(response)
        if log is not None:
            log.response_body(start.data)
        error = answers.status_failure(response.status, response.headers, start)
        return _scrubbed(error, redactor)

    def _mismatch(self, cls: type[E], reason: str, response: Response, log: Optional[CallLog]) -> E:
        """The error for an answer that is not what was asked for (an HTML page, a JSON body
        to a stream request), with the start of its body, read no further."""
        start = _read_start(response)
        if log is not None:
            log.response_body(start.data)
        error = answers.mismatch_error(cls, reason, response.headers, start)
        return _scrubbed(error, self._config.redactor())

    def _parsed(self, response: Response, body: bytes, parse: str) -> Any:
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
            raise _scrubbed(error, self._config.redactor()) from None

    def __repr__(self) -> str:
        return (
            f"<OpenAI base_url={self._config.base_url!r} api_key={self.get_api_key()!r} "
            f"resources={sorted(self._resources)}>"
        )


_PARSERS = ("auto", "json", "text", "bytes")


def _sent(
    transport: Transport, request: Request
) -> tuple[Optional[Response], Optional[BaseException]]:
    """(the response, or what the transport raised). The exception is handed back, not
    raised here, so that what the core raises in its place does not chain it as context."""
    try:
        return transport.send(request), None
    except Exception as exc:
        return None, exc


def _guarded(
    response: Response,
    redactor: Callable[[], Redactor],
    deadline: Optional[float],
    total: Optional[float],
    release: Optional[Callable[[], None]],
) -> Response:
    """The response, its body ending in APITimeoutError once the call's deadline passes, and
    any error from reading it scrubbed of secrets; closing it lets the transport go."""

    def chunks() -> Iterator[bytes]:
        try:
            if deadline is None:
                yield from response
                return
            for chunk in response:
                if time.monotonic() > deadline:
                    raise APITimeoutError(
                        f"the call took longer than its total timeout of {total} s"
                    )
                yield chunk
            return
        except Exception as exc:
            failure = _body_fault(exc) if isinstance(exc, _TRANSPORT_FAULTS) else exc
        raise redactor().exception(failure)

    def close() -> None:
        try:
            response.close()
        finally:
            if release is not None:
                release()

    return _GuardedResponse(response, chunks(), close)


class _GuardedResponse(Response):
    """A response read through the core's guard: closed when its transport's response is
    (a recording transport closes the streams left open when it closes)."""

    def __init__(self, inner: Response, chunks: Iterator[bytes], close: Callable[[], None]):
        self._inner = inner
        self._closed = False
        super().__init__(
            inner.status,
            inner.headers,
            chunks,
            close=close,
            info=inner.info,
            quick_reads=inner.quick_reads,
        )

    @property  # type: ignore[override]
    def closed(self) -> bool:
        return self._closed or self._inner.closed

    @closed.setter
    def closed(self, value: bool) -> None:
        self._closed = value

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()


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


def _read_start(response: Response) -> answers.BodyStart:
    """The start of a body that only explains an error: at most ``BODY_KEPT`` bytes, and
    what came before a timeout or a hang-up; the connection is not kept (the rest unread)."""
    start = answers.BodyStart()
    try:
        for chunk in response:
            if not start.feed(chunk):
                break
    except APIConnectionError:  # the call's deadline, a stall, a hang-up: what came will do
        start.cut()
    finally:
        response.close()
    return start


def _scrubbed(error: E, redactor: Redactor) -> E:
    """The error with any secret removed from its message and body."""
    error.message = redactor.text(error.message)
    error.body = redactor.data(error.body)
    error.args = (error.message,)
    return error


def _replayable(request: Request) -> bool:
    """Whether the body can be sent again: bytes, or an iterable that starts afresh each time
    (a Multipart does), not a one-shot iterator."""
    return not isinstance(request.body, Iterator)


def query_pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    """Query parameters as the API reads them: booleans as true/false, lists as repeated
    ``name[]``, dicts as ``name[key]``; None is left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            name = key if key.endswith("[]") else f"{key}[]"
            for item in value:
                pairs.extend(query_pairs({name: item}))
        elif isinstance(value, dict):
            pairs.extend(query_pairs({f"{key}[{sub}]": item for sub, item in value.items()}))
        elif isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        else:
            pairs.append((key, str(value)))
    return pairs
