"""The client: configuration, resources from plugins, and the one path every call takes.

client.chat.create(...)            a resource plugin builds the call
  -> client.request(...)           URL, headers, JSON body
  -> CallPolicy (policy.py)        hooks, logging, retries, deadline, status errors, scrubbing:
                                   it says what to do next, and knows nothing of I/O
  -> _driven(...) here             does it, blocking: transport.send, sleep, read
  -> the JSON body, or a DataStream of decoded items

The transport comes from chooser.py; the connections a client shares with the clients derived
from it, from connections.py.
"""

from __future__ import annotations

import copy
import json as jsonlib
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union
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
    OpenAIError,
    PluginError,
)
from .http import Body, Request, Response, Timeout, Transport
from .log import CallLog
from .policy import PARSERS, BodyGuard, CallPolicy, ReadStart, Send, Steps, Wait
from .redact import mask_secret, mask_url
from .resource import Resource, check_path
from .retries import RetryPolicy
from .stream import DataStream, check_num

if TYPE_CHECKING:
    from .multipart import Multipart  # built by the resources that upload
    from .registry import Registry

__all__ = ["OpenAI"]

T = TypeVar("T")


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
        if parse not in PARSERS:
            raise ValueError(f"parse must be one of {', '.join(PARSERS)}, not {parse!r}")
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
        if chosen is None:
            return _driven(self._policy().call(request, log, parse=parse))
        steps = self._policy().call(request, log, stream=True, media_type=chosen.media_type)
        return DataStream(_driven(steps), chosen, num, log=log)

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
        extra = checked_headers(headers, "headers") if headers else {}
        query = urlencode(query_pairs(params)) if params else ""
        url = api_url(self._config.base_url, check_path(path), query)
        sent = self._config.headers()
        body: Body = None
        if json is not None:
            try:
                body = _JSON.encode(json).encode()
            except (TypeError, ValueError) as exc:
                raise TypeError(f"the request body for {method} {path} is not JSON: {exc}") from exc
            sent["Content-Type"] = "application/json"
        elif multipart is not None:
            body = multipart
            sent["Content-Type"] = multipart.content_type
            sent["Content-Length"] = str(multipart.length)
        sent["Accept"] = "text/event-stream" if stream else "application/json"
        if extra:
            sent.update(extra)
        return Request(method, url, sent, body, timeout=self._config.timeout)

    def send(self, request: Request, *, log: Optional[CallLog] = None) -> Response:
        """Send a request with hooks, logging and retries; return the Response as soon as its
        headers are in, or raise the typed error for a status >= 300. A total timeout bounds
        every attempt, every wait between them, and the reading of the body.

        Everything the transport raises, from ``send`` or from the body, passes here: no
        secret the request carried leaves in an error."""
        return _driven(self._policy().send(request, log))

    # The call policy, and the retries and configuration it was built for.
    _made_policy: Optional[tuple[RetryPolicy, ClientConfig, CallPolicy]] = None

    def _policy(self) -> CallPolicy:
        """The policy of this client's calls, built once for its retries and configuration
        (a derived client, ``with_options``, has its own; the registry and the connections
        are shared for life)."""
        made = self._made_policy
        if made is None or made[0] is not self._retry or made[1] is not self._config:
            policy = CallPolicy(
                self._registry,
                self._retry,
                self._connections,
                self._config.redactor,
                _GuardedResponse,
            )
            made = self._made_policy = (self._retry, self._config, policy)
        return made[2]

    def __repr__(self) -> str:
        return (
            f"<OpenAI base_url={self._config.base_url!r} api_key={self.get_api_key()!r} "
            f"resources={sorted(self._resources)}>"
        )


# What json.dumps(separators=(",", ":"), ensure_ascii=False) builds on every call.
_JSON = jsonlib.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _driven(steps: Steps[T]) -> T:
    """Carry out what the policy of a call asks, blocking, until it answers or raises."""
    told: Any = None
    try:
        while True:
            action = steps.send(told)
            if isinstance(action, Send):
                told = _sent(action.transport, action.request)
            elif isinstance(action, Wait):
                time.sleep(action.seconds)
                told = None
            elif isinstance(action, ReadStart):
                told = _read_start(action.response, action.start)
            else:
                told = action.response.read()
    except StopIteration as answered:
        return answered.value  # type: ignore[no-any-return]
    finally:
        steps.close()  # driving stopped early (an interrupt): the policy lets the transport go


def _sent(transport: Transport, request: Request) -> Union[Response, Exception]:
    """The response, or what the transport raised. The exception is handed back, not raised
    here, so that what the policy raises in its place does not chain it as context."""
    try:
        return transport.send(request)
    except Exception as exc:
        return exc


def _read_start(response: Response, start: answers.BodyStart) -> Optional[Exception]:
    """Feed the start of a body to ``start`` until it has enough, then close the body (its
    connection is not kept); None, or what the reading raised."""
    try:
        for chunk in response:
            if not start.feed(chunk):
                break
    except Exception as exc:
        return exc
    finally:
        response.close()
    return None


def _guarded_chunks(response: Response, guard: BodyGuard) -> Iterator[bytes]:
    """The body's chunks as the guard allows them, and what it raises in place of an error."""
    try:
        if guard.deadline is None:
            yield from response
            return
        for chunk in response:
            guard.check_time()
            yield chunk
        return
    except Exception as exc:
        failure = guard.failure(exc)
    raise failure


class _GuardedResponse(Response):
    """A response read through the core's guard: closed when its transport's response is
    (a recording transport closes the streams left open when it closes)."""

    def __init__(self, inner: Response, guard: BodyGuard):
        self._inner = inner
        self._guard = guard
        self._closed = False
        super().__init__(
            inner.status,
            inner.headers,
            _guarded_chunks(inner, guard),
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
            try:
                self._inner.close()
            finally:
                self._guard.closed()


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
