"""What the two clients share: configuration, resources from plugins, the R package's methods,
building a request, and the policy of a call. Neither sends, sleeps nor reads here: that is
the one thing `OpenAI` (blocking, client.py) and `AsyncOpenAI` (awaiting, aclient.py) do
differently, each driving the same `CallPolicy`.

A resource plugin is written once for both: its methods return what `request` returns,
which is the answer on `OpenAI` and an awaitable of it on `AsyncOpenAI`; a method that
makes more than one call hands its steps to `run` (see `ClientBase.run()`).
"""

from __future__ import annotations

import copy
import json as jsonlib
import os
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, TypeVar, Union, cast
from urllib.parse import urlencode

from .chooser import TransportChooser
from .config import (
    ApiKey,
    ClientConfig,
    api_url,
    check_verbosity,
    checked_headers,
    checked_key_provider,
    header_text,
    merge_headers,
    proxy_from_address,
)
from .connections import close_now
from .decoders import Decoder, decoder_named
from .errors import OpenAIError, PluginError
from .http import Body, Request, Timeout
from .log import CallLog
from .policy import PARSERS, BodyGuard, CallPolicy, Steps
from .redact import mask_url
from .resource import Resource, check_path, current_call_options
from .retention import KeepOption, checked_keep
from .retries import RetryPolicy
from .stream import check_num

if TYPE_CHECKING:
    from .multipart import Multipart  # built by the resources that upload
    from .registry import Registry

__all__ = ["Call", "ClientBase", "query_pairs", "refuse_awaitable"]

C = TypeVar("C", bound="ClientBase")
T = TypeVar("T")
# The constructor's options that make its configuration (ClientConfig.resolve's).
_CONFIG_OPTIONS = (
    "api_key", "base_url", "organization", "project", "proxy", "ca_bundle", "timeout",
    "verbosity", "default_headers", "default_query", "webhook_secret",
)  # fmt: skip
# The options with_options can change on a client that keeps sharing its connections; the
# others (transport, proxy, ca_bundle, cassette, record_mode) make a client of its own.
_SHARING_OPTIONS = frozenset({
    "api_key", "base_url", "organization", "project", "default_headers", "default_query",
    "timeout", "max_retries", "verbosity", "keep", "plugins", "webhook_secret",
})  # fmt: skip


@dataclass
class Call:
    """One call, checked and ready to drive (`request` builds it): its steps, and for a
    stream the decoder and the batch size of the stream the client makes of the response."""

    steps: Steps[Any]
    decoder: Optional[Decoder]
    num: int
    log: Optional[CallLog]
    keep: KeepOption = None
    raw: bool = False  # answer a RawResponse (with_raw_response)


class ClientBase(ABC):
    """The parts of a client that do no I/O. A subclass says which transports it can use
    (`serves`, and its default), how a response's body is read under the core's guard
    (`_guarded`), and drives calls (`request`, `send`, `run`)."""

    serves: ClassVar[str] = "sync"
    default_transport: ClassVar[str] = "urllib3"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Both clients' docstrings (what help() shows) take their arguments and the built-in
        # resources from here: written once, they cannot drift apart.
        super().__init_subclass__(**kwargs)
        if cls.__doc__:
            arguments = _ARGUMENTS.replace("{default_transport}", cls.default_transport)
            cls.__doc__ = cls.__doc__.replace(
                "    {builtin_resources}\n", _BUILTIN_RESOURCES
            ).replace("    {arguments}\n", arguments)

    _sharing_options = _SHARING_OPTIONS  # see with_options
    _raw = False  # a with_raw_response client
    _raw_client: Optional[ClientBase] = None  # this one's with_raw_response, once asked for

    def __init__(
        self,
        api_key: Optional[ApiKey] = None,
        *,
        base_url: Optional[str] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        transport: Any = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[str] = None,
        cassette: Optional[str] = None,
        record_mode: Optional[str] = None,
        plugins: Optional[list[str]] = None,
        timeout: Union[Timeout, float, None] = None,
        max_retries: Union[int, RetryPolicy] = 2,
        verbosity: int = 0,
        keep: KeepOption = None,
        default_headers: Optional[dict[str, Optional[str]]] = None,
        default_query: Optional[dict[str, Any]] = None,
        webhook_secret: Optional[str] = None,
    ) -> None:
        # Plugins (and pluggy) load with the first client, not at import.
        from .registry import get_registry

        # What with_options builds a client of its own from.
        self._given: dict[str, Any] = {
            "transport": transport, "ca_bundle": ca_bundle, "cassette": cassette,
            "record_mode": record_mode, "plugins": plugins,
        }  # fmt: skip
        self._registry: Registry = get_registry()
        arguments = {
            "api_key": api_key, "base_url": base_url, "organization": organization,
            "project": project, "proxy": proxy, "ca_bundle": ca_bundle, "timeout": timeout,
            "verbosity": verbosity, "default_headers": default_headers,
            "default_query": default_query, "webhook_secret": webhook_secret,
        }  # fmt: skip
        self._config = self._configured(arguments)
        self._retry = RetryPolicy.of(max_retries)
        self._keep = checked_keep(keep)
        if record_mode is not None and cassette is None:
            raise ValueError("record_mode is given without a cassette to record into")
        self._chooser = TransportChooser(
            self._registry,
            transport,
            cassette=None if cassette is None else os.fspath(cassette),
            record_mode=record_mode,
            serves=self.serves,
            default=self.default_transport,
        )
        # Shared with the clients derived from this one, as the connections are.
        self._retiring = self._retirement()
        self._connections = self._chooser.connect(self._config, self._retiring)
        self._resources = self._build_resources(plugins)

    def _configured(self, arguments: dict[str, Any]) -> ClientConfig:
        """The configuration from the constructor's arguments (all of them: `_resolve`
        takes those it knows)."""
        config = self._resolve(
            {name: arguments[name] for name in _CONFIG_OPTIONS},
            # A cassette may need no key (replaying); the transport says so if it records.
            key_required=self._given["cassette"] is None,
            proxy_schemes=self._registry.proxy_schemes(self.serves),
        )
        self._check_provider(config.key_provider)
        return config

    def _resolve(self, options: dict[str, Any], **checks: Any) -> ClientConfig:
        """The configuration from its options (a subclass, such as Azure's, reads options
        of its own first)."""
        return ClientConfig.resolve(**options, **checks)

    def _check_provider(self, provider: Any) -> None:
        """A coroutine function cannot give keys to the blocking client: said at once."""
        if provider is None or self.serves != "sync":
            return
        import inspect  # only a client given a key provider asks

        if inspect.iscoroutinefunction(provider) or inspect.iscoroutinefunction(
            getattr(provider, "__call__", None)  # noqa: B004 - an object with async __call__
        ):
            raise TypeError(
                "api_key is a coroutine function, which the blocking client cannot await: "
                "give a plain function, or use AsyncOpenAI"
            )

    def _retirement(self) -> Callable[[Any], None]:
        """What closes a transport that `set_proxy` replaced, once its calls are done."""
        return close_now

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
            f"{type(self).__name__} client has no resource or attribute {name!r}; "
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
        """The API's root every path is joined to, as given or from `OPENAI_BASE_URL`."""
        return self._config.base_url

    @property
    def webhook_secret(self) -> Optional[str]:
        """The secret `webhooks.verify_signature` uses when given none (None: it reads
        `OPENAI_WEBHOOK_SECRET`). Never shown in a repr or an error."""
        return self._config.webhook_secret

    @property
    def verbosity(self) -> int:
        """How much every call prints, 0 to 3, unless the call says otherwise; settable."""
        return self._config.verbosity

    @verbosity.setter
    def verbosity(self, value: int) -> None:
        self._config.verbosity = check_verbosity(value)

    def set_api_key(self, api_key: ApiKey) -> None:
        """Use another API key from now on (surrounding whitespace is dropped), or a function
        that gives the key for every attempt (see the constructor's `api_key`)."""
        provider = checked_key_provider(api_key)
        if provider is not None:
            self._check_provider(provider)
            self._config.api_key, self._config.key_provider = "", provider
            return
        key = header_text("api_key", api_key)
        if not key:
            raise ValueError("api_key must be a non-empty string")
        self._config.api_key, self._config.key_provider = key, None

    def get_api_key(self) -> str:
        """The API key, masked (`sk-...abcd`); empty when there is none (replaying)."""
        return self._config.shown_key()

    def set_proxy(self, proxy_ip: str, proxy_port: Union[int, str]) -> None:
        """Send requests through the HTTP proxy at `proxy_ip:proxy_port` from now on: this
        client and every client it shares its connections with (`with_options`)."""
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

    def with_options(self: C, **options: Any) -> C:
        """A client for some calls with other options: any of the constructor's. Given only
        `api_key`, `base_url`, `organization`, `project`, `default_headers`,
        `default_query`, `timeout`, `max_retries`, `verbosity`, `keep` or
        `plugins`, it shares this one's connections and proxy (closing either closes them;
        `set_proxy` on either changes both); given a `transport`, `proxy`,
        `ca_bundle`, `cassette` or `record_mode`, it is a client with connections of
        its own (close it too):

        ```python
        client.with_options(timeout=Timeout(total=30), max_retries=0).chat.create(...)
        relay = client.with_options(keep=False)  # streams forwarded as they come
        tenant = client.with_options(default_headers={"X-Tenant": "a"})
        ```

        `copy` is the same method (openai-python's name)."""
        arguments = self._arguments()
        unknown = sorted(set(options) - set(arguments))
        if unknown:
            raise TypeError(
                f"with_options() got {', '.join(map(repr, unknown))}; the options are "
                f"{', '.join(sorted(arguments))}"
            )
        if not self._sharing_options.issuperset(options):
            return type(self)(**{**arguments, **options})
        return self._derived(options)

    copy = with_options

    def _arguments(self) -> dict[str, Any]:
        """The constructor's arguments that would build a client like this one now."""
        config = self._config
        return {
            **self._given,
            "api_key": config.key_provider or config.api_key or None,
            "base_url": config.base_url,
            "organization": config.organization,
            "project": config.project,
            "proxy": self._connections.proxy,
            "timeout": config.timeout,
            "max_retries": self._retry,
            "verbosity": config.verbosity,
            "keep": self._keep,
            "default_headers": config.default_headers,
            "default_query": config.default_query,
            "webhook_secret": config.webhook_secret,
        }

    def _derived(self: C, options: dict[str, Any]) -> C:
        """A copy of this client, sharing its connections, with these options changed."""
        arguments = {**self._arguments(), **options}
        clone = copy.copy(self)
        clone._given = {**self._given, "plugins": arguments["plugins"]}
        clone._config = clone._configured(arguments)
        clone._retry = RetryPolicy.of(arguments["max_retries"])
        clone._keep = checked_keep(arguments["keep"])
        clone._made_policy = clone._raw_client = None
        clone._resources = clone._build_resources(arguments["plugins"])
        return clone

    @property
    def with_raw_response(self: C) -> C:
        """This client answering a [`RawResponse`][openaistream.raw.RawResponse] for every call:
        status, headers (rate limits), request id and elapsed time beside the answer, which
        `parse()` gives:

        ```python
        raw = client.with_raw_response.chat.create(messages, model="gpt-4o-mini")
        print(raw.request_id, raw.headers["x-ratelimit-remaining-tokens"])
        completion = raw.parse()
        ```

        It shares this client's connections and options (`client.chat.with_raw_response`
        is the same for one resource)."""
        if self._raw:
            return self
        raw = self._raw_client
        if raw is None:
            raw = copy.copy(self)
            raw._raw, raw._made_policy = True, None
            raw._resources = {name: type(r)(raw) for name, r in self._resources.items()}
            self._raw_client = raw
        return cast(C, raw)

    @property
    def _transport(self) -> Any:
        """The transport in use (None while an environment proxy that cannot be used stands
        in the way). For tests and for debugging."""
        return self._connections.transport

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
        extra_headers: Optional[dict[str, Optional[str]]] = None,
        extra_query: Optional[dict[str, Any]] = None,
        extra_body: Optional[dict[str, Any]] = None,
        timeout: Union[Timeout, float, None] = None,
    ) -> Any:
        """Call the API and return what it answered (on `AsyncOpenAI`, an awaitable of it).

        Every resource method comes here; call it for a path no resource covers. Every argument
        is checked before any network, on both clients.

        Args:
            method: The HTTP method, as `"GET"` or `"POST"`.
            path: The path below the client's `base_url`, as `"/models"`.
            json: The body, any JSON-serialisable value.
            params: Query parameters.
            multipart: A form body, streamed (instead of `json`).
            headers: Headers added to the client's for this call.
            stream: Answer a stream that decodes the body as it arrives: a
                [`DataStream`][openaistream.stream.DataStream] (an
                [`AsyncDataStream`][openaistream.astream.AsyncDataStream] on `AsyncOpenAI`).
            decoder: How a stream decodes the body: `"sse"`, `"sse-events"`, `"jsonl"` or
                `"bytes"`.
            num: The batch size of the stream's `next_value` (items, or bytes when binary).
            parse: How an answer not streamed is read: `"auto"` (JSON for JSON content types,
                text for `text/*`, bytes otherwise), `"json"`, `"text"` or `"bytes"`.
            verbosity: How much this call prints, 0 to 3 (else the client's).
            extra_headers: More headers; a None value removes a header the client would send.
            extra_query: More query parameters.
            extra_body: Keys added to a JSON object body.
            timeout: A [`Timeout`][openaistream.http.Timeout], or seconds, for this call.

        Returns:
            The parsed answer, or the stream with `stream=True`.

        Raises:
            APIStatusError: The server answered a status of 300 or more: the subclass for it
                (`RateLimitError` for 429, ...), with the status, body and request ID.
            APIConnectionError: The server could not be reached or stopped answering
                (`APITimeoutError` for a timeout), after the retries.
            ValueError: An argument is not valid; the error names it.
        """
        called = current_call_options()
        if called:  # what the caller gave the resource method running now wins
            extra_headers = called.get("extra_headers", extra_headers)
            extra_query = called.get("extra_query", extra_query)
            extra_body = called.get("extra_body", extra_body)
            timeout = called.get("timeout", timeout)
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
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        log = CallLog(level, self._config.redactor()) if level else None
        raw = self._raw
        if chosen is None:
            steps = self._policy().call(request, log, parse=parse, raw=raw)
        else:
            media_type = chosen.media_type
            steps = self._policy().call(request, log, stream=True, media_type=media_type, raw=raw)
        return self._execute(Call(steps, chosen, num, log, self._keep, raw))

    @abstractmethod
    def _execute(self, call: Call) -> Any:
        """Drive a call: blocking, or as an awaitable."""

    @abstractmethod
    def _wait(self, seconds: float) -> Any:
        """Pause for `seconds`: blocking, or as an awaitable (`Resource.wait`)."""

    @abstractmethod
    def _gather(self, calls: Any, limit: int, context: Any) -> Any:
        """Make `calls` side by side (`Resource.gather`): in threads, or as tasks."""

    @abstractmethod
    def run(self, procedure: Procedure[Any]) -> Any:
        """Carry out the steps of a resource method that makes more than one call."""

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
        extra_headers: Optional[dict[str, Optional[str]]] = None,
        extra_query: Optional[dict[str, Any]] = None,
        extra_body: Optional[dict[str, Any]] = None,
        timeout: Union[Timeout, float, None] = None,
    ) -> Request:
        """The complete Request for a path under the base URL (whose query, if any, every
        request keeps, before the default query, `params` and `extra_query`)."""
        extra = checked_headers(headers, "headers") if headers else {}
        url = api_url(self._config.base_url, check_path(path), self._query(params, extra_query))
        sent = self._config.headers()
        body: Body = None
        if extra_body is not None:
            json = _with_extra_body(json, extra_body, multipart)
        if json is not None:
            try:
                body = _JSON.encode(json).encode()
            except (TypeError, ValueError) as exc:
                raise TypeError(f"the request body for {method} {path} is not JSON: {exc}") from exc
            sent["Content-Type"] = "application/json"
        elif multipart is not None:
            if self.serves == "sync" and multipart.awaits_progress:
                raise TypeError(
                    "progress is a coroutine function, which the blocking client cannot "
                    "await: pass a plain function, or upload with AsyncOpenAI"
                )
            body = multipart
            sent["Content-Type"] = multipart.content_type
            sent["Content-Length"] = str(multipart.length)
        sent["Accept"] = "text/event-stream" if stream else "application/json"
        if extra:
            sent.update(extra)
        if extra_headers:
            merge_headers(sent, checked_headers(extra_headers, "extra_headers", removable=True))
        chosen = self._config.timeout if timeout is None else Timeout.of(timeout)
        return Request(method, url, sent, body, timeout=chosen)

    def _query(self, params: Optional[dict[str, Any]], extra: Optional[dict[str, Any]]) -> str:
        """The query string of a call: the default query, the parameters, `extra_query`
        (a later one wins a name an earlier one has)."""
        default = self._config.default_query
        if extra is not None and not isinstance(extra, dict):
            raise TypeError(f"extra_query must be a dict, not {type(extra).__name__}")
        if not (default or params or extra):
            return ""
        return urlencode(query_pairs({**default, **(params or {}), **(extra or {})}))

    # The call policy, and the retries and configuration it was built for.
    _made_policy: Optional[tuple[RetryPolicy, ClientConfig, CallPolicy]] = None

    def _policy(self) -> CallPolicy:
        """The policy of this client's calls, built once for its retries and configuration
        (a derived client, `with_options`, has its own; the registry and the connections
        are shared for life)."""
        made = self._made_policy
        if made is None or made[0] is not self._retry or made[1] is not self._config:
            policy = CallPolicy(
                self._registry, self._retry, self._connections, self._config, self._guarded
            )
            made = self._made_policy = (self._retry, self._config, policy)
        return made[2]

    @abstractmethod
    def _guarded(self, response: Any, guard: BodyGuard) -> Any:
        """The response, its body read under the core's guard, the way this client reads."""

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} base_url={self._config.base_url!r} "
            f"api_key={self.get_api_key()!r} resources={sorted(self._resources)}>"
        )


# The built-in resources, as each client's docstring lists them (indented as it is).
_BUILTIN_RESOURCES = """\
    - `assistants`: assistants (`/assistants`)
    - `audio`: speech, transcriptions, translations and custom voices (`/audio`)
    - `batches`: batch jobs, and their input and output files (`/batches`)
    - `bulk`: a file of requests run at the rate limit, or through the Batch API (no one path)
    - `chat`: chat completions, streamed or not, and stored ones (`/chat/completions`)
    - `chatkit`: ChatKit sessions and threads, beta (`/chatkit`)
    - `completions`: legacy text completions, streamed or not (`/completions`)
    - `containers`: code interpreter containers and their files (`/containers`)
    - `content_provenance_checks`: provenance signals in a file (`/content_provenance_checks`)
    - `conversations`: conversations and their items (`/conversations`)
    - `embeddings`: embeddings (`/embeddings`)
    - `evals`: evals, their runs and output items (`/evals`)
    - `files`: uploads, downloads and file contents (`/files`)
    - `fine_tuning`: fine-tuning jobs (`/fine_tuning/jobs`)
    - `images`: image generation and edits (`/images`)
    - `messages`: the messages of a thread (`/threads/{thread_id}/messages`)
    - `models`: the models there are (`/models`)
    - `moderations`: moderation (`/moderations`)
    - `realtime`: Realtime client secrets, sessions and calls, not the WebSocket (`/realtime`)
    - `responses`: the Responses API, streamed or not (`/responses`)
    - `runs`: the runs of a thread, streamed or not (`/threads/{thread_id}/runs`)
    - `skills`: skills, their versions and their files (`/skills`)
    - `threads`: threads (`/threads`)
    - `uploads`: files of up to 8 GB, sent in parallel parts (`/uploads`)
    - `vector_stores`: vector stores for file search: files, batches, search (`/vector_stores`)
    - `videos`: video generation (Sora) and video content (`/videos`)
    - `webhooks`: verifying the webhooks OpenAI sends, and reading their events (no calls)
"""

# Both clients' arguments, as their docstrings list them (indented as they are): the API
# reference's table of them. The environment variables are read when an argument is None.
_ARGUMENTS = """\
    Args:
        api_key: The API key (else `OPENAI_API_KEY`), sent as a bearer token; or a function
            called for the key of every attempt (a token that expires). No key at all is an
            error before any network, except when replaying a cassette.
        base_url: The API's root (else `OPENAI_BASE_URL`, else `https://api.openai.com/v1`):
            any OpenAI-compatible server. A query in it (`?api-version=...`) is kept on every
            request; user info (`user:pw@`) is refused.
        organization: Sent as `OpenAI-Organization` (else `OPENAI_ORG_ID`).
        project: Sent as `OpenAI-Project` (else `OPENAI_PROJECT_ID`).
        transport: A registered transport's name (default `"{default_transport}"`) or an object
            with the transport contract ([`Transport`][openaistream.http.Transport] or
            [`AsyncTransport`][openaistream.http.AsyncTransport]).
        proxy: A proxy URL: `http://user:pass@host:port`, `socks5h://...` (`socks://` means
            `socks5h://`). Else `HTTPS_PROXY`, `HTTP_PROXY` or `ALL_PROXY`, with `NO_PROXY`.
        ca_bundle: A PEM file of certificate authorities to trust instead of the system's.
        cassette: A cassette file: the client replays it (or records it, see `record_mode`)
            instead of using the network.
        record_mode: `"replay"` (the default), `"record"`, `"once"` or `"new"`; needs a
            `cassette`.
        plugins: The names of the resource plugins to attach; by default every one loaded.
        timeout: A [`Timeout`][openaistream.http.Timeout], or a number of seconds for both its
            connect and read timeouts.
        max_retries: How many times a failed attempt is retried (a connection error, 408, 409,
            429, 5xx), or a [`RetryPolicy`][openaistream.retries.RetryPolicy].
        verbosity: How much every call prints, 0 to 3, unless the call says otherwise.
        keep: What every stream keeps of its body for `received` on an error: None (up to 2 MiB
            of a text stream), False (nothing: a relay that forwards what it reads), True (all),
            or a number of bytes.
        default_headers: Headers sent with every request; a value of None removes a header the
            client would send.
        default_query: Query parameters sent with every request.
        webhook_secret: The secret `webhooks.verify_signature` checks with when given none
            (else `OPENAI_WEBHOOK_SECRET`).

    Raises:
        ValueError: An argument (or the environment variable it falls back to) is not valid;
            the error names it, and shows no secret.
        TypeError: An argument of the wrong type, named.
        PluginError: `plugins` or `transport` names no registered plugin; the error lists
            those there are.
"""

# The steps of a resource method that makes more than one call (see ``run``).
Procedure = Generator[Any, Any, T]

# What json.dumps(separators=(",", ":"), ensure_ascii=False) builds on every call.
_JSON = jsonlib.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _with_extra_body(json: Any, extra: Any, multipart: Optional[Multipart]) -> Any:
    """The JSON body with `extra_body`'s keys added (a request with no body gets them as
    its body), or a clear error where they cannot go."""
    if not isinstance(extra, dict):
        raise TypeError(f"extra_body must be a dict, not {type(extra).__name__}")
    if multipart is not None:
        raise TypeError(
            "extra_body adds keys to a JSON body, and this request uploads a form: pass the "
            "extra fields as the method's own arguments"
        )
    if json is None:
        return dict(extra)
    if not isinstance(json, dict):
        raise TypeError(
            f"extra_body adds keys to a JSON object, and this request's body is a "
            f"{type(json).__name__}"
        )
    return {**json, **extra}


def refuse_awaitable(value: Any, message: str) -> None:
    """Raise TypeError(message) if `value` is awaitable where a blocking caller needs the
    thing itself (an async client's answer in a `for` loop); a coroutine is closed first, so
    the mistake is said once, here, not again as a "never awaited" warning."""
    if hasattr(value, "__await__"):
        if hasattr(value, "close"):
            value.close()
        raise TypeError(message)


def query_pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    """Query parameters as the API reads them: booleans as true/false, lists as repeated
    `name[]`, dicts as `name[key]`; None is left out."""
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
