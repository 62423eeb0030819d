"""The base of every resource a plugin registers (`client.chat`, `client.models`, ...).

A resource turns a Python call into an API request through `self.request` (the client's
`request`, with the resource's extra headers), which does the rest: headers, hooks, retries,
logging, errors, and decoding. A minimal resource:

```python
class Models(openaistream.Resource):
    endpoint = "/models"

    def list(self, *, verbosity=None):
        return self.request("GET", "/models", verbosity=verbosity)
```
"""

from __future__ import annotations

import contextvars
import functools
import os
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, TypeVar, Union
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from .clientbase import ClientBase

__all__ = [
    "CALL_OPTIONS",
    "PathLike",
    "Resource",
    "check_flag",
    "check_input",
    "check_path",
    "check_text",
    "current_call_options",
    "local",
    "path_for",
    "path_segment",
]


# A local file's path as a method takes it: a string or a pathlib.Path.
PathLike = Union[str, os.PathLike[str]]

# The per-call options every public method of a resource takes, as openai-python's do. They
# go to the request, never into its body or query: the names are reserved.
CALL_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout")
_RESERVED = frozenset(CALL_OPTIONS)
# The per-call options of the resource method running now (in this thread or task): set by
# the method's wrapper, read by the client's ``request`` (current_call_options) whatever the
# method's own arguments are.
_CALL_OPTIONS: contextvars.ContextVar[Optional[dict[str, Any]]] = contextvars.ContextVar(
    "openaistream_call_options", default=None
)
F = TypeVar("F", bound=Callable[..., Any])


class Resource:
    """One OpenAI resource, bound to a client: subclass it in a plugin and register the class
    with the `register_resources` hook; the client builds it with itself as the argument.

    Every public method of a subclass also takes the per-call options of `CALL_OPTIONS`
    (`extra_headers`, `extra_query`, `extra_body`, `timeout`) without declaring them:
    they are taken off the arguments before the method runs and applied to each request it
    sends, so they never reach its `**params`, the body or the query. A method that works
    offline (`@local`) takes none.

    Attributes:
        endpoint: Its path under the base URL, as the client's `get_api_endpoints()` reports
            it.
        extra_headers: Headers sent with every request it makes (`OpenAI-Beta:
            assistants=v2` for the Assistants family).
        client: The client it is bound to: its `request`, `send` and `run` make the calls.
    """

    endpoint: ClassVar[str] = ""
    extra_headers: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if getattr(value, "__openaistream_operation__", None) and value.__name__ == "call":
                # A method made by openaistream.operation: named as the attribute it is.
                value.__name__, value.__qualname__ = name, f"{cls.__qualname__}.{name}"
                value.__module__ = cls.__module__
            if _is_call_method(name, value):
                setattr(cls, name, _taking_call_options(value))

    def __init__(self, client: ClientBase) -> None:
        self.client = client

    @property
    def with_raw_response(self: R) -> R:
        """This resource on `client.with_raw_response`: each method answers a
        [`RawResponse`][openaistream.raw.RawResponse] (status, headers, request id, elapsed time;
        `parse()` for the answer)."""
        return type(self)(self.client.with_raw_response)

    def request(self, method: str, path: str, **options: Any) -> Any:
        """Call the API: the one way a resource's methods do, so this resource's
        `extra_headers` and the caller's per-call options go with every request it sends.
        `options` are those of `OpenAI.request` (`json`, `params`, `multipart`,
        `headers`, `stream`, `decoder`, `num`, `parse`, `verbosity`). What it
        returns is the method's answer, so a method that returns it unchanged serves both
        clients: the answer on `OpenAI`, an awaitable of it on `AsyncOpenAI`. Arguments
        are checked when it is called, on either client, before any network."""
        return self.client.request(method, path, **self._with_call_options(options))

    def run(self, procedure: Any) -> Any:
        """Carry out a method that makes more than one call (or calls and then works on the
        answer, as a download writes a stream to a file): `procedure` is a generator that
        yields what `self.request` (or a stream's method) returned and is sent back the
        result. See `OpenAI.run`; on `AsyncOpenAI` this returns an awaitable. The calls
        it makes carry the per-call options the method was given."""
        if self.client._raw:
            procedure.close()
            raise TypeError(
                "with_raw_response is for methods of one call; this one makes several (or "
                "works on the answer): call it on the client itself"
            )
        if _CALL_OPTIONS.get() is not None:
            procedure = _InContext(procedure, contextvars.copy_context())
        return self.client.run(procedure)

    def wait(self, seconds: float) -> Any:
        """For the steps of a method given to `run`: `yield self.wait(seconds)` pauses
        them (a poll's wait between two calls), blocking on `OpenAI`, awaited on
        `AsyncOpenAI` (the event loop runs on)."""
        return self.client._wait(seconds)

    def gather(self, calls: Iterable[Callable[[], Any]], limit: int) -> Any:
        """For the steps of a method given to `run`: `results = yield self.gather(calls,
        limit)` makes the calls side by side, at most `limit` at a time, and is sent back
        what they answered, in the order of `calls`. Each call is a function of no
        arguments that makes one request (`lambda: self.retrieve(job_id)`); `calls` is
        read as workers free up, so a generator of a thousand calls holds one per worker.

        On `OpenAI` the calls run in `limit` threads; on `AsyncOpenAI` in `limit`
        tasks of the running loop. When a call raises, no other is started, the error is
        raised here, and the calls still running are stopped: tasks are cancelled (their
        connections let go), threads finish the request they are in (a thread cannot be
        stopped) before it is raised. The calls carry the per-call options of the method."""
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be a whole number, not {limit!r}")
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        # The workers run in copies of this context: the method's per-call options go with
        # their requests, as they do with the method's own.
        return self.client._gather(calls, limit, contextvars.copy_context())

    def _with_call_options(self, options: dict[str, Any]) -> dict[str, Any]:
        if self.extra_headers:
            options["headers"] = {**self.extra_headers, **(options.get("headers") or {})}
        for where in ("json", "params"):
            # A method that builds its body or query from **params not through the wrapper
            # (a helper function) must not send the reserved names either.
            given = options.get(where)
            if type(given) is dict and not _RESERVED.isdisjoint(given):
                options[where] = {k: v for k, v in given.items() if k not in _RESERVED}
                for name in _RESERVED.intersection(given):
                    options.setdefault(name, given[name])
        return options

    def __repr__(self) -> str:
        return f"<{type(self).__name__} resource at {self.client.base_url}{self.endpoint}>"


R = TypeVar("R", bound=Resource)


def current_call_options() -> Optional[dict[str, Any]]:
    """The per-call options of the resource method running now, if it was given any: every
    request it makes (through `self.request` or `self.client.request`) carries them."""
    return _CALL_OPTIONS.get()


def local(method: F) -> F:
    """Mark a resource method that sends nothing (it verifies, builds or parses locally):
    it takes no per-call options, and passing one is the TypeError of an unknown argument."""
    method.__openaistream_local__ = True  # type: ignore[attr-defined]
    return method


def _is_call_method(name: str, value: Any) -> bool:
    """Whether a class attribute is a public method that calls the API (a plain function,
    not a static or class method, a property, or a method marked `@local`)."""
    return (
        not name.startswith("_")
        and callable(value)
        and isinstance(value, type(_is_call_method))
        and not getattr(value, "__openaistream_local__", False)
        and not getattr(value, "__openaistream_call_options__", False)
    )


def _taking_call_options(method: F) -> F:
    """`method` taking the per-call options too: they are taken off its arguments and
    set for the requests it sends (and those of the methods it calls), in this thread or
    task only."""

    @functools.wraps(method)
    def with_call_options(self: Resource, *args: Any, **kwargs: Any) -> Any:
        if not kwargs or _RESERVED.isdisjoint(kwargs):
            return method(self, *args, **kwargs)
        given = {name: kwargs.pop(name) for name in CALL_OPTIONS if name in kwargs}
        outer = _CALL_OPTIONS.get()
        token = _CALL_OPTIONS.set({**outer, **given} if outer else given)
        try:
            return method(self, *args, **kwargs)
        finally:
            _CALL_OPTIONS.reset(token)

    with_call_options.__openaistream_call_options__ = True  # type: ignore[attr-defined]
    return with_call_options  # type: ignore[return-value]


class _InContext(Generator[Any, Any, Any]):
    """A procedure (see `Resource.run`) whose every step runs in the context it was made
    in: the calls it makes when the client drives it (later, on the async client) carry the
    per-call options of the method that made it."""

    def __init__(self, procedure: Generator[Any, Any, Any], context: contextvars.Context):
        self._procedure = procedure
        self._context = context

    def send(self, value: Any) -> Any:
        return self._context.run(self._procedure.send, value)

    def throw(self, *exc: Any) -> Any:  # type: ignore[override]
        return self._context.run(self._procedure.throw, *exc)

    def close(self) -> None:
        self._context.run(self._procedure.close)


def path_segment(name: str, value: Any) -> str:
    """An ID checked and quoted for use as one URL path segment, or a clear error naming the
    argument, before any network: a wrong type, an empty or blank value, or a dot segment.

    `.` and `..` (and anything that decodes to them, such as `%2e`) are refused: URL
    libraries and servers remove dot segments, so `models.retrieve("..")` would reach
    another endpoint than the one the method names, and a delete could land on a collection.
    Every other character is percent-encoded, `/`, `?` and `#` included, so the ID
    stays one segment.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty or only whitespace")
    decoded = _fully_decoded(value)
    if decoded in (".", ".."):
        shown = repr(value) if value == decoded else f"{value!r} (it decodes to {decoded!r})"
        raise ValueError(
            f"{name} must not be {shown}: a dot segment would send the request to another path"
        )
    return quote(value, safe="")


def _fully_decoded(value: str) -> str:
    """`value` percent-decoded until nothing changes: a server or proxy that decodes twice
    must not find a dot segment either. Each round shortens the text, so this ends."""
    while True:
        decoded = unquote(value)
        if decoded == value:
            return value
        value = decoded


def path_for(template: str, **ids: Any) -> str:
    """A path from a template such as `/threads/{thread_id}/runs/{run_id}`, each ID
    checked and quoted by `path_segment()`: what every resource builds its paths with."""
    return template.format(**{name: path_segment(name, value) for name, value in ids.items()})


def check_path(path: str) -> str:
    """A path as the client sends it: one that names its own endpoint. Every request passes
    here, so a plugin that builds a path without `path_for()` cannot send a dot segment
    either (`/models/..` would reach `/` once a URL library or server removes it)."""
    if "." not in path and "%" not in path:
        return path  # nothing that is, or decodes to, a dot
    for segment in path.split("?", 1)[0].split("/"):
        if _fully_decoded(segment) in (".", ".."):
            raise ValueError(
                f"the path {path!r} has a dot segment, which would send the request to "
                "another endpoint; build paths with openaistream.resource.path_for"
            )
    return path


def check_text(name: str, value: Any) -> str:
    """A required string argument, or a clear error that names it."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def check_flag(name: str, value: Any) -> bool:
    """A True/False argument such as `stream`, or a clear error that names it."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value


def check_input(name: str, value: Any) -> Any:
    """An `input` the API takes as a string or a list (of strings, tokens or items)."""
    if not isinstance(value, (str, list)) or not value:
        raise TypeError(f"{name} must be a non-empty string or list, not {value!r}")
    return value
