"""What the two clients share: configuration, resources from plugins, the R package's methods,
building a request, and the policy of a call. Neither sends, sleeps nor reads here: that is
the one thing ``OpenAI`` (blocking, client.py) and ``AsyncOpenAI`` (awaiting, aclient.py) do
differently, each driving the same :class:`~openaistream.policy.CallPolicy`.

A resource plugin is written once for both: its methods return what ``request`` returns,
which is the answer on ``OpenAI`` and an awaitable of it on ``AsyncOpenAI``; a method that
makes more than one call hands its steps to ``run`` (see :meth:`ClientBase.run`).
"""

from __future__ import annotations

import copy
import json as jsonlib
import os
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, TypeVar, Union
from urllib.parse import urlencode

from .chooser import TransportChooser
from .config import (
    ClientConfig,
    api_url,
    check_verbosity,
    checked_headers,
    header_text,
    proxy_from_address,
)
from .connections import close_now
from .decoders import Decoder, decoder_named
from .errors import OpenAIError, PluginError
from .http import Body, Request, Timeout
from .log import CallLog
from .policy import PARSERS, BodyGuard, CallPolicy, Steps
from .redact import mask_secret, mask_url
from .resource import Resource, check_path
from .retention import KeepOption, checked_keep
from .retries import RetryPolicy
from .stream import check_num

if TYPE_CHECKING:
    from .multipart import Multipart  # built by the resources that upload
    from .registry import Registry

__all__ = ["Call", "ClientBase", "query_pairs", "refuse_awaitable"]

C = TypeVar("C", bound="ClientBase")
_UNCHANGED: Any = object()  # with_options: keep what the client has
T = TypeVar("T")


@dataclass
class Call:
    """One call, checked and ready to drive (``request`` builds it): its steps, and for a
    stream the decoder and the batch size of the stream the client makes of the response."""

    steps: Steps[Any]
    decoder: Optional[Decoder]
    num: int
    log: Optional[CallLog]
    keep: KeepOption = None


class ClientBase(ABC):
    """The parts of a client that do no I/O. A subclass says which transports it can use
    (``serves``, and its default), how a response's body is read under the core's guard
    (``_guarded``), and drives calls (``request``, ``send``, ``run``)."""

    serves: ClassVar[str] = "sync"
    default_transport: ClassVar[str] = "urllib3"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Both clients' docstrings (what help() shows) list the built-in resources, from here.
        super().__init_subclass__(**kwargs)
        if cls.__doc__:
            cls.__doc__ = cls.__doc__.replace("    {builtin_resources}\n", _BUILTIN_RESOURCES)

    def __init__(
        self,
        api_key: Optional[str] = None,
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
            proxy_schemes=self._registry.proxy_schemes(self.serves),
        )
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

    def _retirement(self) -> Callable[[Any], None]:
        """What closes a transport that ``set_proxy`` replaced, once its calls are done."""
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
        self: C,
        *,
        timeout: Union[Timeout, float, None] = None,
        max_retries: Union[int, RetryPolicy, None] = None,
        verbosity: Optional[int] = None,
        keep: Any = _UNCHANGED,
    ) -> C:
        """A client for some calls with other timeouts, retries, verbosity or ``keep`` (what
        its streams keep for ``received``), sharing this one's connections and proxy (closing
        either closes them; ``set_proxy`` on either changes both)::

            client.with_options(timeout=Timeout(total=30), max_retries=0).chat.create(...)
            relay = client.with_options(keep=False)  # streams forwarded as they come
        """
        clone = copy.copy(self)
        clone._config = replace(
            self._config,
            timeout=self._config.timeout if timeout is None else Timeout.of(timeout),
            verbosity=self._config.verbosity if verbosity is None else check_verbosity(verbosity),
        )
        clone._retry = self._retry if max_retries is None else RetryPolicy.of(max_retries)
        clone._keep = self._keep if keep is _UNCHANGED else checked_keep(keep)
        clone._resources = {
            name: type(resource)(clone) for name, resource in self._resources.items()
        }
        return clone

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
    ) -> Any:
        """Call the API and return what it answered (on ``AsyncOpenAI``, an awaitable of it).

        The body is ``json`` (any JSON-serialisable value) or ``multipart`` (a
        :class:`Multipart`, streamed); ``params`` go in the query string; ``headers`` are added
        to the client's. Not streamed, the answer is parsed by ``parse``: ``"auto"`` (JSON for
        JSON content types, text for ``text/*``, bytes otherwise), ``"json"``, ``"text"`` or
        ``"bytes"``. With ``stream=True`` it is a DataStream (an AsyncDataStream) decoding
        the body with ``decoder`` (``"sse"``, ``"sse-events"``, ``"jsonl"`` or ``"bytes"``)
        as it arrives. Every argument is checked here, before any network, on both clients.
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
            steps = self._policy().call(request, log, parse=parse)
        else:
            steps = self._policy().call(request, log, stream=True, media_type=chosen.media_type)
        return self._execute(Call(steps, chosen, num, log, self._keep))

    @abstractmethod
    def _execute(self, call: Call) -> Any:
        """Drive a call: blocking, or as an awaitable."""

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
        return Request(method, url, sent, body, timeout=self._config.timeout)

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
                self._guarded,
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
    - ``webhooks``: verifying the webhooks OpenAI sends, and reading their events (no calls)
"""

# The steps of a resource method that makes more than one call (see ``run``).
Procedure = Generator[Any, Any, T]

# What json.dumps(separators=(",", ":"), ensure_ascii=False) builds on every call.
_JSON = jsonlib.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def refuse_awaitable(value: Any, message: str) -> None:
    """Raise TypeError(message) if ``value`` is awaitable where a blocking caller needs the
    thing itself (an async client's answer in a ``for`` loop); a coroutine is closed first, so
    the mistake is said once, here, not again as a "never awaited" warning."""
    if hasattr(value, "__await__"):
        if hasattr(value, "close"):
            value.close()
        raise TypeError(message)


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
