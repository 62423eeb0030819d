"""The base of every resource a plugin registers (``client.chat``, ``client.models``, ...).

A resource turns a Python call into an API request through ``self.request`` (the client's
``request``, with the resource's extra headers), which does the rest: headers, hooks, retries,
logging, errors, and decoding. A minimal resource::

    class Models(openaistream.Resource):
        endpoint = "/models"

        def list(self, *, verbosity=None):
            return self.request("GET", "/models", verbosity=verbosity)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from .clientbase import ClientBase

__all__ = [
    "Resource",
    "check_flag",
    "check_input",
    "check_path",
    "check_text",
    "path_for",
    "path_segment",
]


class Resource:
    """One OpenAI resource, bound to a client. ``endpoint`` is its path under the base URL,
    as ``get_api_endpoints()`` reports it; ``extra_headers`` go with every request it sends
    (``OpenAI-Beta: assistants=v2`` for the Assistants family)."""

    endpoint: ClassVar[str] = ""
    extra_headers: ClassVar[dict[str, str]] = {}

    def __init__(self, client: ClientBase) -> None:
        self.client = client

    def request(self, method: str, path: str, **options: Any) -> Any:
        """Call the API: the one way a resource's methods do, so this resource's
        ``extra_headers`` go with every request it sends. ``options`` are those of
        ``OpenAI.request`` (``json``, ``params``, ``multipart``, ``headers``, ``stream``,
        ``decoder``, ``num``, ``parse``, ``verbosity``). What it returns is the method's
        answer, so a method that returns it unchanged serves both clients: the answer on
        ``OpenAI``, an awaitable of it on ``AsyncOpenAI``. Arguments are checked when it is
        called, on either client, before any network."""
        return self.client.request(method, path, **self._with_headers(options))

    def run(self, procedure: Any) -> Any:
        """Carry out a method that makes more than one call (or calls and then works on the
        answer, as a download writes a stream to a file): ``procedure`` is a generator that
        yields what ``self.request`` (or a stream's method) returned and is sent back the
        result. See ``OpenAI.run``; on ``AsyncOpenAI`` this returns an awaitable."""
        return self.client.run(procedure)

    def _with_headers(self, options: dict[str, Any]) -> dict[str, Any]:
        if self.extra_headers:
            options["headers"] = {**self.extra_headers, **(options.get("headers") or {})}
        return options

    def __repr__(self) -> str:
        return f"<{type(self).__name__} resource at {self.client.base_url}{self.endpoint}>"


def path_segment(name: str, value: Any) -> str:
    """An ID checked and quoted for use as one URL path segment, or a clear error naming the
    argument, before any network: a wrong type, an empty or blank value, or a dot segment.

    ``.`` and ``..`` (and anything that decodes to them, such as ``%2e``) are refused: URL
    libraries and servers remove dot segments, so ``models.retrieve("..")`` would reach
    another endpoint than the one the method names, and a delete could land on a collection.
    Every other character is percent-encoded, ``/``, ``?`` and ``#`` included, so the ID
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
    """``value`` percent-decoded until nothing changes: a server or proxy that decodes twice
    must not find a dot segment either. Each round shortens the text, so this ends."""
    while True:
        decoded = unquote(value)
        if decoded == value:
            return value
        value = decoded


def path_for(template: str, **ids: Any) -> str:
    """A path from a template such as ``/threads/{thread_id}/runs/{run_id}``, each ID
    checked and quoted by :func:`path_segment`: what every resource builds its paths with."""
    return template.format(**{name: path_segment(name, value) for name, value in ids.items()})


def check_path(path: str) -> str:
    """A path as the client sends it: one that names its own endpoint. Every request passes
    here, so a plugin that builds a path without :func:`path_for` cannot send a dot segment
    either (``/models/..`` would reach ``/`` once a URL library or server removes it)."""
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
    """A True/False argument such as ``stream``, or a clear error that names it."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value


def check_input(name: str, value: Any) -> Any:
    """An ``input`` the API takes as a string or a list (of strings, tokens or items)."""
    if not isinstance(value, (str, list)) or not value:
        raise TypeError(f"{name} must be a non-empty string or list, not {value!r}")
    return value
