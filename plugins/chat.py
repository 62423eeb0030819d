"""The `chat` resource: chat completions, streamed or not, the accumulation of a
streamed answer into the shape a non-streamed call returns, and the stored completions (those
created with `store=True`): list, retrieve, update, delete, and their messages.

Paths from the OpenAPI spec: `POST|GET /chat/completions`,
`GET|POST|DELETE /chat/completions/{completion_id}`,
`GET /chat/completions/{completion_id}/messages`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from typing import Any, Callable, Optional

import openaistream
from openaistream.operation import operation
from openaistream.resource import check_flag, check_text

_STORED = "/chat/completions/{completion_id}"


class Chat(openaistream.Resource):
    """Chat completions, streamed or not, and the completions stored with `store=True`, as
    `client.chat`.

    `create` answers the `chat.completion`, or with `stream=True` a
    [`DataStream`][openaistream.stream.DataStream] of its chunks; `stream` adds helpers (the text
    deltas, the final completion), `parse` reads an answer that follows a strict JSON schema into
    its type, and `accumulate` adds streamed chunks up into a completion. `list`, `retrieve`,
    `update`, `delete` and `messages` work on the stored completions.

    ```python
    answer = client.chat.create([{"role": "user", "content": "Hello"}], "gpt-4o-mini")
    print(answer["choices"][0]["message"]["content"])
    ```
    """

    endpoint = "/chat/completions"

    def create(
        self,
        messages: Sequence[dict[str, Any]],
        model: str,
        stream: bool = False,
        n: int = 1,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """A completion for the conversation in `messages`.

        Not streamed: the `chat.completion` as a dict. Streamed: a DataStream of
        `chat.completion.chunk` dicts as they arrive; `num` is how many
        `stream.next_value` returns at a time. `n` is the number of choices the API
        generates (it works streamed too: chunks carry `choices[].index`). `params`
        carries any other API parameter (`temperature`, `tools`, `stream_options`...).
        """
        _check_messages(messages)
        check_text("model", model)
        check_flag("stream", stream)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, not {n!r}")
        body: dict[str, Any] = {"model": model, "messages": list(messages), **params}
        if n != 1:
            body["n"] = n
        if stream:
            body["stream"] = True
        return self.request(
            "POST", "/chat/completions", json=body, stream=stream, num=num, verbosity=verbosity
        )

    def stream(
        self,
        messages: Sequence[dict[str, Any]],
        model: str,
        *,
        n: int = 1,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """A streamed completion with helpers (`openaistream.plugins.chat_stream`): on `OpenAI` a
        `ChatStream`; on `AsyncOpenAI` an awaitable of an `AsyncChatStream`, which `async with` also
        enters. `s.text_deltas()`, the events (`for event in s`), `s.final()`: the completion
        `accumulate` builds. The arguments are those of
        [`create()`][openaistream.plugins.chat.Chat.create], which always streams here."""
        from .chat_stream import AsyncChatStream, ChatStream
        from .stream_helper import opened

        if "stream" in params:
            raise TypeError("chat.stream always streams: leave out stream=")
        started = self.create(
            messages, model, stream=True, n=n, num=num, verbosity=verbosity, **params
        )
        return opened(started, ChatStream, AsyncChatStream)

    def parse(
        self,
        messages: Sequence[dict[str, Any]],
        model: str,
        response_format: Any = None,
        *,
        tools: Optional[Iterable[Any]] = None,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """A completion whose answer follows a strict JSON schema, read back into its type.

        `response_format`: a JSON schema dict, a type pydantic can describe (a model, a
        dataclass, a TypedDict), or what `openaistream.response_format()` built; it is sent
        as the strict schema the API requires. `tools`: tool dicts, or types (and
        `openaistream.function_tool()`'s) for strict function tools. Returns the
        `chat.completion` with `parsed` on each choice's message (the content read into
        the type; decoded JSON for a schema dict) and `parsed_arguments` on each call of a
        strict function tool. Raises `LengthFinishReasonError`,
        `ContentFilterFinishReasonError` or `RefusalError` when there is nothing to parse.
        Never streamed. See docs/structured-outputs.md.
        """
        from .structured import chat_request, read_chat

        _check_messages(messages)
        check_text("model", model)
        if "stream" in params:
            raise TypeError("parse does not stream: use create(stream=True) for a stream")
        sent, reading = chat_request(response_format, tools)
        body: dict[str, Any] = {"model": model, "messages": list(messages), **params, **sent}

        def steps() -> Generator[Any, Any, Any]:
            request = self.request("POST", "/chat/completions", json=body, verbosity=verbosity)
            return read_chat((yield request), reading)

        return self.run(steps())

    @staticmethod
    def accumulate(chunks: Iterable[dict[str, Any]]) -> dict[str, Any]:
        """The `chat.completion` that streamed `chat.completion.chunk` dicts add up to: each
        choice's content, refusal and audio joined, its tool calls assembled from their
        deltas, and `usage` when the stream carried it."""
        return accumulate(chunks)

    # The stored completions (``store=True``). Last in the class: ``list`` names a method here.
    list = operation(
        "GET", "/chat/completions", doc="List stored completions (model=, metadata=, after=)."
    )
    retrieve = operation("GET", _STORED, doc="Show a stored completion.")
    update = operation("POST", _STORED, "metadata", doc="Replace a stored completion's metadata.")
    delete = operation("DELETE", _STORED, doc="Delete a stored completion.")
    messages = operation(
        "GET", _STORED + "/messages", doc="List a stored completion's messages (after=, limit=)."
    )


def _check_messages(messages: object) -> None:
    if isinstance(messages, (str, bytes, dict)) or not isinstance(messages, Sequence):
        raise TypeError(
            "messages must be a list of message dicts such as "
            f'[{{"role": "user", "content": "Hello"}}], not {type(messages).__name__}'
        )
    if not messages:
        raise ValueError("messages must not be empty")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise TypeError(f"messages[{index}] must be a dict, not {type(message).__name__}")


# Delta fields that are set once, not concatenated, however often a server repeats them.
_REPLACED = frozenset({"role", "id", "type", "index", "expires_at"})
# Chunk fields that describe one chunk, not the completion.
_PER_CHUNK = frozenset({"object", "choices", "obfuscation"})


def accumulate(chunks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Add streamed `chat.completion.chunk` dicts up into one `chat.completion`.

    For every choice: `message` with the content, refusal, audio transcript and data
    concatenated, tool calls assembled from their deltas by index, `finish_reason` and
    `logprobs`; at the top: id, model, created, system fingerprint and `usage` when the
    stream carried it (`stream_options={"include_usage": True}`).
    """
    added = Accumulation()
    for chunk in chunks:
        added.add(chunk)
    return added.completion()


class Accumulation:
    """A `chat.completion` added up one chunk at a time (what `accumulate()` does, and the
    stream helpers too): `add` a chunk, ask for the `completion` so far.

    The choices hold containers of their own, copied from the chunks, so that a list (a
    choice's logprobs, a token a chunk) grows in place: rebuilt for every chunk, it made a
    long stream's adding up quadratic. The caller's chunks are never changed."""

    def __init__(self) -> None:
        self.top: dict[str, Any] = {"object": "chat.completion"}
        self.choices: dict[int, dict[str, Any]] = {}

    def add(self, chunk: dict[str, Any]) -> None:
        top = self.top
        for key, value in chunk.items():
            if key not in _PER_CHUNK and (value is not None or key not in top):
                top[key] = value
        for delta_choice in chunk.get("choices") or ():
            index = delta_choice.get("index", 0)
            choice = self.choices.get(index)
            if choice is None:
                choice = self.choices[index] = {
                    "index": index, "message": {}, "logprobs": None, "finish_reason": None
                }  # fmt: skip
            _merge(choice["message"], delta_choice.get("delta") or {})
            if delta_choice.get("finish_reason") is not None:
                choice["finish_reason"] = delta_choice["finish_reason"]
            if delta_choice.get("logprobs") is not None:
                choice["logprobs"] = _merged(choice["logprobs"], delta_choice["logprobs"])

    def completion(self) -> dict[str, Any]:
        """The completion of the chunks added, in containers of its own: more chunks may
        come, and they do not change a completion already given."""
        completion = dict(self.top)
        choices = []
        for index in sorted(self.choices):
            choice = _own(self.choices[index])
            message = choice["message"]
            message.setdefault("role", "assistant")
            message.setdefault("content", None)
            if message.get("tool_calls"):
                # A delta's position marker, not part of the message.
                message["tool_calls"] = [
                    {key: _own(value) for key, value in call.items() if key != "index"}
                    for call in message["tool_calls"]
                ]
            choices.append(choice)
        completion["choices"] = choices
        return completion


def _merge(into: dict[str, Any], delta: dict[str, Any]) -> None:
    for key, value in delta.items():
        into[key] = _merged(into.get(key), value, key)


def _merged(old: Any, new: Any, key: str = "") -> Any:
    """`new` added to `old`, which is the accumulation's own: strings concatenate, dicts
    merge and lists extend in place, tool calls join by index; set-once fields and anything
    else take the newest value, copied."""
    if key == "tool_calls" and isinstance(new, list):
        # By index from the first chunk on: one chunk may carry several deltas of one call
        # (servers that batch deltas do), the first with its id and name.
        return _merged_by_index(old if isinstance(old, list) else [], new)
    if old is None or new is None or key in _REPLACED:
        return old if new is None else _own(new)
    if isinstance(old, str) and isinstance(new, str):
        return old + new
    if isinstance(old, dict) and isinstance(new, dict):
        _merge(old, new)
        return old
    if isinstance(old, list) and isinstance(new, list):
        old.extend(new)
        return old
    return _own(new)


def _merged_by_index(old: list[Any], new: list[Any]) -> list[Any]:
    """Tool call deltas added to the calls so far (one per index, in `old`, kept in index
    order)."""
    calls = {call.get("index", position): call for position, call in enumerate(old)}
    for call in new:
        index = call.get("index", len(calls))
        calls[index] = _merged(calls.get(index, {}), call)
    return [calls[index] for index in sorted(calls)]


def _own(value: Any) -> Any:
    """`value` with dicts of its own all the way down, and lists of its own whose items are
    shared: what is merged into is a dict, and a list only grows (a tool call, the one item
    merged into, is built by `_merged_by_index` from dicts of its own)."""
    if isinstance(value, dict):
        return {key: _own(item) for key, item in value.items()}
    if isinstance(value, list):
        return list(value)
    return value


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("chat", Chat)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.chat import command  # only the command line loads click

    cli.add_command(command())
