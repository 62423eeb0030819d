"""What `chat.parse` and `responses.parse` send, and how they read the answer: the helpers
of those two methods (this module registers no resource).

Each turns a `response_format` / `text_format` and a list of `tools` into what the API is
sent (strict schemas, as plain dicts) and a `Reading`: which source to parse the answer's
content with, and which for each function tool's arguments. The sources and schemas come from
`openaistream.structured`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional

from openaistream.errors import (
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    RefusalError,
)
from openaistream.structured import (
    Described,
    function_tool,
    parse_json,
    response_format,
    text_format,
)

__all__ = [
    "Reading",
    "chat_request",
    "read_chat",
    "read_response",
    "responses_request",
]

# Ready format dicts, sent as they are and read as JSON: no JSON schema has these types.
_READY = ("json_schema", "json_object")
_NO_SOURCE = object()  # parse nothing: no format was asked for


@dataclass
class Reading:
    """How to read an answer: `content` is the source of the answer's JSON (`_NO_SOURCE`
    when none was asked for), `arguments` that of each function tool's arguments, by
    name (a type, or a schema dict: then the arguments are decoded as JSON)."""

    content: Any = _NO_SOURCE
    arguments: dict[str, Any] = field(default_factory=dict)


def chat_request(
    format_given: Any, tools: Optional[Iterable[Any]]
) -> tuple[dict[str, Any], Reading]:
    """The `response_format` and `tools` entries of a chat body, and how to read its
    answer. `format_given`: a type, a JSON schema dict, what `response_format()` built,
    or a ready `{"type": "json_schema" | "json_object", ...}` dict (sent as it is)."""
    sent: dict[str, Any] = {}
    reading = Reading()
    if format_given is not None:
        fmt = _format(format_given, "response_format", chat=True)
        sent["response_format"], reading.content = dict(fmt), _source(fmt)
    if tools is not None:
        sent["tools"] = [_chat_tool(tool, index, reading) for index, tool in _listed(tools)]
    return sent, reading


def responses_request(
    format_given: Any, tools: Optional[Iterable[Any]], text: Any
) -> tuple[dict[str, Any], Reading]:
    """The `text` and `tools` entries of a Responses body, and how to read its answer.
    `text` is the caller's own `text` parameter (`verbosity`...), kept beside the
    format."""
    sent: dict[str, Any] = {}
    reading = Reading()
    if text is not None and not isinstance(text, dict):
        raise TypeError(f"text must be a dict, not {type(text).__name__}")
    if format_given is not None:
        if text and "format" in text:
            raise ValueError("give text_format or text['format'], not both")
        fmt = _format(format_given, "text_format", chat=False)
        reading.content = _source(fmt)
        fmt = dict(fmt)
        sent["text"] = {**(text or {}), "format": fmt}
    elif text is not None:
        sent["text"] = text
    if tools is not None:
        sent["tools"] = [_responses_tool(tool, index, reading) for index, tool in _listed(tools)]
    return sent, reading


def read_chat(completion: Any, reading: Reading) -> Any:
    """The `chat.completion` with `parsed` on each choice's message and
    `parsed_arguments` on each function tool call; a typed error for an answer cut by its
    length limit, stopped by the content filter, or refused."""
    if not isinstance(completion, dict):
        return completion
    for choice in completion.get("choices") or ():
        reason = choice.get("finish_reason")
        if reason == "length":
            raise LengthFinishReasonError(completion=completion)
        if reason == "content_filter":
            raise ContentFilterFinishReasonError(completion=completion)
        message = choice.get("message") or {}
        if message.get("refusal"):
            raise RefusalError(message["refusal"], completion=completion)
        content = message.get("content")
        message["parsed"] = _parsed(content, reading.content)
        for call in message.get("tool_calls") or ():
            function = call.get("function")
            if call.get("type", "function") == "function" and isinstance(function, dict):
                function["parsed_arguments"] = _arguments(function, reading)
    return completion


def read_response(response: Any, reading: Reading) -> Any:
    """The response with `output_parsed` (the text of its last answering message, parsed)
    and `parsed_arguments` on each function call; a typed error for a response incomplete
    for its token limit or the content filter, or holding a refusal."""
    if not isinstance(response, dict):
        return response
    if response.get("status") == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        if reason == "max_output_tokens":
            raise LengthFinishReasonError(completion=response)
        if reason == "content_filter":
            raise ContentFilterFinishReasonError(completion=response)
    answer: Optional[dict[str, Any]] = None
    for item in response.get("output") or ():
        if item.get("type") == "function_call":
            item["parsed_arguments"] = _arguments(item, reading)
        if item.get("type") != "message":
            continue
        for part in item.get("content") or ():
            if part.get("type") == "refusal":
                raise RefusalError(part.get("refusal") or "", completion=response)
        # A message of another phase (commentary before the answer) is not the answer.
        if item.get("phase") in (None, "final_answer"):
            answer = item
    text = None
    if answer is not None:
        parts = answer.get("content") or ()
        text = "".join(p.get("text") or "" for p in parts if p.get("type") == "output_text")
    if isinstance(response.get("output"), list):  # a response, not some other answer
        response["output_parsed"] = _parsed(text, reading.content)
    return response


def _parsed(text: Any, source: Any) -> Any:
    if source is _NO_SOURCE or not text:
        return None
    return parse_json(text, source)


def _arguments(function: dict[str, Any], reading: Reading) -> Any:
    """A function call's arguments read into its tool's source; None for a tool parse was not
    given as strict (its arguments need not be JSON at all)."""
    name = function.get("name")
    source = reading.arguments.get(name, _NO_SOURCE) if isinstance(name, str) else _NO_SOURCE
    if source is _NO_SOURCE:
        return None
    return parse_json(function.get("arguments") or "", source)


def _chat_tool(tool: Any, index: int, reading: Reading) -> dict[str, Any]:
    """One tool as chat sends it; a strict function tool's source noted for its arguments."""
    if not isinstance(tool, dict):
        tool = function_tool(tool)
    function = tool.get("function")
    if tool.get("type") == "function" and isinstance(function, dict):
        _note(reading, function, tool, index)
    return dict(tool)


def _responses_tool(tool: Any, index: int, reading: Reading) -> dict[str, Any]:
    """One tool as Responses sends it: a chat-shaped function tool (`function_tool()`'s) is
    flattened to the Responses shape (name, parameters and strict beside the type)."""
    if not isinstance(tool, dict):
        tool = function_tool(tool)
    function = tool.get("function")
    if tool.get("type") != "function":
        return dict(tool)
    if isinstance(function, dict):
        flat = {"type": "function", **function}
        if isinstance(tool, Described):
            flat = Described(flat, tool.source)
        tool = flat
    _note(reading, tool, tool, index)
    return dict(tool)


def _note(reading: Reading, function: dict[str, Any], tool: dict[str, Any], index: int) -> None:
    """Remember the source of a strict function's arguments: the type it was built from, or
    its parameters schema."""
    name = function.get("name")
    if not isinstance(name, str):
        raise ValueError(f"tools[{index}] is a function tool without a name")
    if isinstance(tool, Described):
        reading.arguments[name] = tool.source
    elif function.get("strict") is True and isinstance(function.get("parameters"), dict):
        reading.arguments[name] = function["parameters"]


def _format(given: Any, argument: str, *, chat: bool) -> dict[str, Any]:
    """The format to send, in chat's shape or the Responses API's: built from a type or a
    schema; rebuilt from what the other shape's builder made; or a ready format dict in the
    API's own shape (no JSON schema has these types), sent as it is."""
    build = response_format if chat else text_format
    if isinstance(given, Described):
        if given.get("type") != "json_schema":
            raise TypeError(f"{argument} must be a format, not a {given.get('type')} tool")
        schema_holder = given.get("json_schema", given)
        if ("json_schema" in given) == chat:
            return given
        return build(given.source, schema_holder.get("name"))
    if isinstance(given, dict) and given.get("type") in _READY:
        return given
    if isinstance(given, (str, bytes, int, float, list, tuple)):
        raise TypeError(
            f"{argument} must be a JSON schema dict or a type pydantic can describe, not {given!r}"
        )
    return build(given)


def _source(fmt: dict[str, Any]) -> Any:
    """The source to read the answer with: what a built format was built from; a ready
    format's answer is read as JSON."""
    return fmt.source if isinstance(fmt, Described) else {}


def _listed(tools: Any) -> Iterable[tuple[int, Any]]:
    if isinstance(tools, (str, bytes, dict)) or not isinstance(tools, Iterable):
        raise TypeError(f"tools must be a list of tools, not {type(tools).__name__}")
    return enumerate(tools)
