"""Resource methods described rather than written: one line per API operation.

Most operations of the API are the same method written again: check the IDs of the path, take the
required arguments by name and the rest as keywords, send them as the JSON body (or the query string
of a GET), maybe stream. [`operation()`][openaistream.operation.operation] makes that method from
its description, with a real signature (`help()` and editors show it) and the same checks, errors
and per-call options as a method written by hand:

```python
class VectorStores(openaistream.Resource):
    endpoint = "/vector_stores"

    create = operation("POST", "/vector_stores", doc="A vector store.")
    retrieve = operation("GET", "/vector_stores/{vector_store_id}")
    search = operation("POST", "/vector_stores/{vector_store_id}/search", "query")
```

`client.vector_stores.search("vs_1", "otters", max_num_results=5)` sends `POST
/vector_stores/vs_1/search` with `{"query": "otters", "max_num_results": 5}`. A method
that needs more (several calls, polling, work on the answer) is written by hand beside them.
Third-party plugins use it as the built-in ones do.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import Any, Callable, Optional

from .resource import path_for

__all__ = ["operation"]

_IDS = re.compile(r"{(\w+)}")
_QUERY_METHODS = frozenset({"GET", "DELETE"})  # their other arguments go in the query
_DECODERS = ("sse", "sse-events", "jsonl", "bytes")


def operation(
    method: str,
    path: str,
    *required: str,
    stream: Optional[str] = None,
    content: bool = False,
    files: Sequence[str] = (),
    query: Sequence[str] = (),
    body: bool = True,
    doc: str = "",
) -> Callable[..., Any]:
    """A resource method for the operation `method path`.

    Its arguments: the path's IDs (`{vector_store_id}`), then the `required` ones, by
    position or by name; every other keyword goes to the API as it is (the JSON body, or the
    query string for GET and DELETE, or the names in `query` for the others), and
    `verbosity=`. `stream`: the decoder of the operation's stream (`"sse"`,
    `"sse-events"`, ...): the method takes `stream=True` (sent as `"stream": true`)
    and `num`. `content`: the answer is binary (a file's content): bytes, or with
    `stream=True` a stream of them to `write_to` a file. `files`: the required
    arguments that are uploaded (a path, bytes, an open binary file or a
    `(filename, content[, content_type])` tuple): the body is then a multipart form.
    `body=False`: an operation that takes no body (`POST .../cancel`): nothing is sent
    but the path, and other keywords go in the query.
    """
    method = method.upper()
    ids = tuple(_IDS.findall(path))
    if stream is not None and stream not in _DECODERS:
        raise ValueError(f"stream must be one of {', '.join(_DECODERS)}, not {stream!r}")
    if stream is not None and content:
        raise ValueError("content is already a stream of bytes: give stream or content")
    if not body and (required or files):
        raise ValueError("an operation without a body takes no required body arguments")
    unknown = sorted(set(files) - set(required))
    if unknown:
        raise ValueError(f"files names arguments that are not required ones: {unknown}")
    in_query = method in _QUERY_METHODS or not body
    shape = _Shape(
        method, path, ids, required, stream, content, tuple(files), tuple(query), in_query
    )
    signature = shape.signature()

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as exc:  # "missing a required argument: 'vector_store_id'"
            raise TypeError(f"{call.__qualname__}(): {exc}") from None
        bound.apply_defaults()
        return shape.send(self, bound.arguments)

    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__doc__ = shape.docstring(doc)
    call.__openaistream_operation__ = f"{method} {path}"  # type: ignore[attr-defined]
    return call


class _Shape:
    """What one operation takes and sends."""

    def __init__(
        self,
        method: str,
        path: str,
        ids: tuple[str, ...],
        required: tuple[str, ...],
        stream: Optional[str],
        content: bool,
        files: tuple[str, ...],
        query: tuple[str, ...],
        in_query: bool,
    ) -> None:
        self.method = method
        self.path = path
        self.ids = ids
        self.required = required
        self.stream = stream
        self.content = content
        self.files = files
        self.query = query
        self.in_query = in_query  # the other arguments go in the query, not a body

    def signature(self) -> inspect.Signature:
        positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [inspect.Parameter("self", positional)]
        parameters += [inspect.Parameter(name, positional) for name in self.ids + self.required]
        if self.stream is not None or self.content:
            # A binary stream's next_value gives up to num bytes (as files.retrieve_content).
            num = 64 * 1024 if self.content else 2
            parameters.append(inspect.Parameter("stream", keyword, default=False))
            parameters.append(inspect.Parameter("num", keyword, default=num))
        parameters.append(inspect.Parameter("verbosity", keyword, default=None))
        parameters.append(inspect.Parameter("params", inspect.Parameter.VAR_KEYWORD))
        return inspect.Signature(parameters)

    def docstring(self, doc: str) -> str:
        sent = "the query" if self.in_query else "the body"
        told = f"`{self.method} {self.path}`; other keyword arguments go in {sent}."
        return f"{doc}\n\n{told}" if doc else told

    def send(self, resource: Any, arguments: dict[str, Any]) -> Any:
        params: dict[str, Any] = dict(arguments.get("params", {}))
        streamed = arguments.get("stream", False)
        if not isinstance(streamed, bool):
            raise TypeError(f"stream must be True or False, not {streamed!r}")
        path = path_for(self.path, **{name: arguments[name] for name in self.ids})
        given = {name: arguments[name] for name in self.required}
        for name, value in given.items():
            if value is None:
                raise TypeError(f"{name} is required, not None")
        options: dict[str, Any] = {"verbosity": arguments.get("verbosity")}
        if streamed:
            options.update(stream=True, num=arguments["num"])
            options["decoder"] = "bytes" if self.content else self.stream
        elif self.content:
            options["parse"] = "bytes"
        query = {name: params.pop(name) for name in self.query if name in params}
        if self.files:
            options["multipart"] = self._form(given, params)
        elif self.in_query:
            query.update(given, **params)
            if streamed and not self.content:
                query["stream"] = True
        else:
            body = {**given, **params}
            if streamed and not self.content:
                body["stream"] = True
            options["json"] = body
        if query:
            options["params"] = query
        return resource.request(self.method, path, **options)

    def _form(self, given: dict[str, Any], params: dict[str, Any]) -> Any:
        from .multipart import Multipart, checked_upload  # only uploads load it

        uploads = {name: checked_upload(name, given[name]) for name in self.files}
        fields = {name: value for name, value in given.items() if name not in uploads}
        return Multipart({**fields, **params}, uploads)
