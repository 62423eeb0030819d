"""Structured outputs: the strict JSON schema the API requires, built from a JSON schema dict or
from any type pydantic can describe, the request pieces that carry it, and the answer's JSON
text read back into that type.

A *source* is what a user describes the output with: a JSON schema as a dict (no library
needed), or, when pydantic (v2) is installed, a type its `TypeAdapter` can describe (a
`BaseModel` subclass, a dataclass, a `TypedDict`, `list[Model]`...). pydantic is imported
only when a source is not a dict.

Strict mode accepts a subset of JSON schema, and asks of every object schema that it forbids other
keys and requires every property (an optional field is written as a union with null).
[`strict_json_schema()`][openaistream.structured.strict_json_schema] rewrites a schema to that
shape, following the rules openai-python's `to_strict_json_schema` applies (the rules, not its
code): see that function.

This module knows no resource: the chat and responses plugins build their `parse` methods on
it. Nothing here runs at `import openaistream`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any, Optional

__all__ = [
    "Described",
    "function_tool",
    "parse_json",
    "response_format",
    "source_of",
    "strict_json_schema",
    "text_format",
]

# What the API takes as a schema or function name (its documented pattern).
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class Described(dict):  # type: ignore[type-arg]
    """A request piece (a response format, a function tool) that is a plain dict to every JSON
    encoder and to the API, and remembers what it was described from (`source`: the type or
    the schema dict), so that `parse` can read the answer back into that type."""

    def __init__(self, value: dict[str, Any], source: Any) -> None:
        super().__init__(value)
        self.source = source


def strict_json_schema(schema_or_type: Any) -> dict[str, Any]:
    """The strict JSON schema for a schema dict (a new dict: the caller's is left unchanged) or
    a type pydantic can describe.

    Every schema in it, however deeply nested (under `properties`, `items`,
    `prefixItems`, `anyOf`, `allOf`, `$defs` and `definitions`), is rewritten so that:

    - an object schema has `additionalProperties: false` (unless it says otherwise) and
      `required` lists every one of its properties;
    - an `allOf` of a single entry is replaced by that entry;
    - a `default` of null is dropped (the field is nullable already: the API rejects it);
    - a `$ref` beside other keywords (a description, say) is replaced by the schema it
      points to, those keywords winning, since the API takes a `$ref` only on its own.
    """
    if isinstance(schema_or_type, dict):
        schema = copy.deepcopy(schema_or_type)
    else:
        schema = _adapter(schema_or_type, "schema_or_type").json_schema()
    return _strict(schema, (), schema)


def _strict(schema: Any, path: tuple[str, ...], root: dict[str, Any]) -> dict[str, Any]:
    """`schema` made strict in place (it is a copy, or pydantic's fresh output)."""
    if not isinstance(schema, dict):
        where = "/".join(path) or "the root"
        raise TypeError(f"a JSON schema must be a dict, not {schema!r} (at {where})")
    for keyword in ("$defs", "definitions"):
        named = schema.get(keyword)
        if isinstance(named, dict):
            for name, inner in named.items():
                _strict(inner, (*path, keyword, name), root)
    kind = schema.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    if is_object and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    properties = schema.get("properties")
    if isinstance(properties, dict):
        schema["required"] = list(properties)
        for name, inner in properties.items():
            properties[name] = _strict(inner, (*path, "properties", name), root)
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strict(schema["items"], (*path, "items"), root)
    for keyword in ("prefixItems", "anyOf", "allOf"):
        entries = schema.get(keyword)
        if isinstance(entries, list):
            schema[keyword] = [
                _strict(entry, (*path, keyword, str(index)), root)
                for index, entry in enumerate(entries)
            ]
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        del schema["allOf"]
        schema.update(all_of[0])
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    ref = schema.get("$ref")
    if isinstance(ref, str) and len(schema) > 1:
        # The keywords beside the $ref win over those of the schema it points to; the result
        # is made strict again, as what it points to may not be yet (a definition of a
        # definition) or may be shared.
        resolved = copy.deepcopy(_resolve(ref, root))
        del schema["$ref"]
        merged = {**resolved, **schema}
        schema.clear()
        schema.update(merged)
        return _strict(schema, path, root)
    return schema


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    """The schema a local `$ref` (`#/$defs/Name`) points to in `root`."""
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs (#/...) can be resolved, not {ref!r}")
    found: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")  # JSON pointer escapes
        if not isinstance(found, dict) or part not in found:
            raise ValueError(f"the $ref {ref!r} points to nothing in the schema")
        found = found[part]
    if not isinstance(found, dict):
        raise ValueError(f"the $ref {ref!r} points to {found!r}, not a schema")
    return found


def response_format(type_or_schema: Any, name: Optional[str] = None) -> Described:
    """Chat completions' `response_format` for a strict JSON schema:

    ```json
    {"type": "json_schema", "json_schema": {"name": ..., "schema": ..., "strict": True}}
    ```

    `name` defaults to the type's name, or the schema's `title`, or `"response"`."""
    schema = strict_json_schema(_checked(type_or_schema, "type_or_schema"))
    named = _name(name, type_or_schema, schema, "response")
    body = {"name": named, "schema": schema, "strict": True}
    return Described({"type": "json_schema", "json_schema": body}, type_or_schema)


def text_format(type_or_schema: Any, name: Optional[str] = None) -> Described:
    """The Responses API's `text.format` for a strict JSON schema: `{"type": "json_schema", "name":
    ..., "schema": ..., "strict": True}`; `name` as for
    [`response_format()`][openaistream.structured.response_format]."""
    chat = response_format(type_or_schema, name)
    return Described({"type": "json_schema", **chat["json_schema"]}, type_or_schema)


def function_tool(
    type_or_schema: Any, name: Optional[str] = None, description: Optional[str] = None
) -> Described:
    """A strict function tool whose parameters are described by a type or a JSON schema, in
    chat completions' shape (`responses.parse` takes it too):

    ```json
    {"type": "function", "function": {"name": ..., "description": ...,
                                      "parameters": ..., "strict": True}}
    ```

    `name` defaults to the type's name or the schema's `title`; `description` to the
    schema's own (a pydantic model's docstring). `chat.parse` and `responses.parse` add
    the call's arguments, read into the type, as `parsed_arguments`."""
    schema = strict_json_schema(_checked(type_or_schema, "type_or_schema"))
    function: dict[str, Any] = {"name": _name(name, type_or_schema, schema, None)}
    if description is None:
        description = schema.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise TypeError(f"description must be a string, not {type(description).__name__}")
        function["description"] = description
    function.update(parameters=schema, strict=True)
    return Described({"type": "function", "function": function}, type_or_schema)


def parse_json(text: Any, type_or_schema: Any) -> Any:
    """`text` (the JSON an answer holds) read into the type, validated by pydantic, or, for a
    schema dict, decoded as JSON (the API has held it to the schema). A text that is not
    valid JSON, or not valid for the type, raises what `json` or pydantic raises (both are
    `ValueError`s)."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"the JSON to parse must be a string, not {type(text).__name__}")
    if isinstance(type_or_schema, dict):
        return json.loads(text)
    return _adapter(type_or_schema, "type_or_schema").validate_json(text)


def source_of(value: Any) -> Any:
    """What a `Described` piece was built from; any other value is its own source."""
    return value.source if isinstance(value, Described) else value


def _checked(type_or_schema: Any, argument: str) -> Any:
    """A source, or a clear error naming `argument`: a dict, or anything but a plain value
    (which could only be a mistake, such as a schema passed as a JSON string)."""
    if isinstance(type_or_schema, (str, bytes, int, float, list, tuple)) or type_or_schema is None:
        raise TypeError(
            f"{argument} must be a JSON schema dict or a type pydantic can describe, "
            f"not {type_or_schema!r}"
        )
    if not isinstance(type_or_schema, dict):
        _adapter(type_or_schema, argument)  # a clear error now, not when the answer comes
    return type_or_schema


def _name(given: Optional[str], source: Any, schema: dict[str, Any], default: Optional[str]) -> str:
    """The name the API is sent: the one given (checked), else one derived from the source."""
    if given is not None:
        if not isinstance(given, str) or not _NAME.fullmatch(given):
            raise ValueError(
                f"name must be 1 to 64 letters, digits, '_' or '-' (what the API takes), "
                f"not {given!r}"
            )
        return given
    found = None if isinstance(source, dict) else getattr(source, "__name__", None)
    if not isinstance(found, str) or not found:
        title = schema.get("title")
        found = title if isinstance(title, str) and title else default
    if not found:
        raise ValueError("name is required: the schema has no title to name the function by")
    return re.sub(r"[^a-zA-Z0-9_-]", "_", found)[:64]


def _adapter(source: Any, argument: str) -> Any:
    """pydantic's TypeAdapter for `source` (cached: building one walks the whole type)."""
    try:
        hash(source)
    except TypeError:
        return _new_adapter(source, argument)
    return _cached_adapter(source, argument)


@functools.lru_cache(maxsize=128)
def _cached_adapter(source: Any, argument: str) -> Any:
    return _new_adapter(source, argument)


def _new_adapter(source: Any, argument: str) -> Any:
    try:
        import pydantic
    except ImportError:
        raise TypeError(
            f"{argument} is {source!r}, not a JSON schema dict; a type needs pydantic 2 "
            "(pip install 'openaistream[structured]')"
        ) from None
    if isinstance(source, pydantic.TypeAdapter):
        return source
    try:
        adapter = pydantic.TypeAdapter(source)
        adapter.json_schema()  # fails here for a type pydantic validates but cannot describe
    except pydantic.PydanticUserError as exc:
        raise TypeError(
            f"{argument} must be a JSON schema dict or a type pydantic can describe; "
            f"pydantic cannot describe {source!r}: {str(exc).splitlines()[0]}"
        ) from exc
    return adapter
