"""Stream helpers for chat completions: the text as it comes, the events of the moments that
matter, and the completion once the stream ends, over a stream of `chat.completion.chunk`.

`client.chat.stream(...)` returns a `ChatStream` (OpenAI) or, awaited or entered with `async with`,
an `AsyncChatStream` (AsyncOpenAI); either can also be built over a stream a caller already holds
(`ChatStream(client.chat.create(..., stream=True))`). The functions
[`events()`][openaistream.plugins.fine_tuning.FineTuning.events] and `text_deltas()` do the same
over any iterable of chunks, as `openaistream.plugins.chat.accumulate()` does for the completion.

The events are plain dicts, named as openai-python's chat stream events are:

- `{"type": "chunk", "chunk": chunk}` for every chunk, first;
- `content.delta` (`delta`, `snapshot`: the content so far) and `content.done`
  (`content`);
- `refusal.delta` (`delta`, `snapshot`) and `refusal.done` (`refusal`);
- `tool_calls.function.arguments.delta` (`index`, `id`, `name`, `arguments`: the
  arguments so far, `arguments_delta`) and `tool_calls.function.arguments.done`
  (`index`, `id`, `name`, `arguments`).

Each but `chunk` carries `choice_index` (`n` > 1 interleaves the choices). A delta event
comes for every non-empty delta (and for every tool call delta: the first names the call).
A choice's content and refusal are done when its first tool call starts or it finishes; a
tool call is done when the next one starts (the API sends them one after another) or the
choice finishes; whatever a stream that ends without a `finish_reason` left open is done
at its end. A done event comes before the delta that follows it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, Optional

from .chat import Accumulation
from .stream_helper import AsyncHelper, Event, SyncHelper

if TYPE_CHECKING:
    from openaistream.astream import AsyncDataStream
    from openaistream.stream import DataStream

__all__ = ["AsyncChatStream", "ChatReader", "ChatStream", "events", "text_deltas"]


def events(chunks: Iterable[dict[str, Any]]) -> Iterator[Event]:
    """The events of a stream of chunks (see the module's docstring), as they come."""
    reader = ChatReader()
    for chunk in chunks:
        yield from reader.feed(chunk)
    yield from reader.end()


def text_deltas(chunks: Iterable[dict[str, Any]], choice: int = 0) -> Iterator[str]:
    """The content of choice `choice` of a stream of chunks, piece by piece: joined, the
    `content` of `accumulate()`'s message."""
    for chunk in chunks:
        text = content_delta(chunk, choice)
        if text:
            yield text


def content_delta(chunk: dict[str, Any], choice: int = 0) -> Optional[str]:
    """The content delta of choice `choice` in one chunk, if it carries one."""
    for delta_choice in chunk.get("choices") or ():
        if delta_choice.get("index", 0) == choice:
            content = (delta_choice.get("delta") or {}).get("content")
            return content if isinstance(content, str) else None
    return None


class ChatStream(SyncHelper):
    """A chat stream with helpers, blocking: `for text in s.text_deltas()`, `for event in
    s` (or `s.events()`), `s.final()` for the completion, `with` to close it."""

    def __init__(self, stream: DataStream[Any]) -> None:
        super().__init__(stream, ChatReader())

    def text_deltas(self, choice: int = 0) -> Iterator[str]:
        """The content of choice `choice` as it arrives, piece by piece."""
        return self._texts(partial(content_delta, choice=choice))

    def get_final_completion(self) -> dict[str, Any]:
        """The same as `final()` (openai-python's name)."""
        return self.final()

    @property
    def current_completion_snapshot(self) -> dict[str, Any]:
        """The completion of the chunks read so far (built when asked: a copy)."""
        return self._reader.final()


class AsyncChatStream(AsyncHelper):
    """A chat stream with helpers, in an event loop: `async for text in s.text_deltas()`,
    `async for event in s`, `await s.final()`, `async with` to close it."""

    def __init__(self, stream: AsyncDataStream[Any]) -> None:
        super().__init__(stream, ChatReader())

    def text_deltas(self, choice: int = 0) -> AsyncIterator[str]:
        """The content of choice `choice` as it arrives, piece by piece."""
        return self._texts(partial(content_delta, choice=choice))

    async def get_final_completion(self) -> dict[str, Any]:
        """The same as `final()` (openai-python's name)."""
        return await self.final()

    @property
    def current_completion_snapshot(self) -> dict[str, Any]:
        """The completion of the chunks read so far (built when asked: a copy)."""
        return self._reader.final()


class ChatReader(Accumulation):
    """The completion so far and where each choice is in it, fed one chunk at a time:
    `add` counts a chunk as `accumulate()` does, so
    `final()` is what `accumulate` makes of the chunks counted; `feed` counts it and
    says what it means."""

    def __init__(self) -> None:
        super().__init__()
        self._places: dict[int, _Place] = {}

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        self.add(chunk)
        said: list[Event] = [{"type": "chunk", "chunk": chunk}]
        for delta_choice in chunk.get("choices") or ():
            index = delta_choice.get("index", 0)
            place = self._places.get(index)
            if place is None:
                place = self._places[index] = _Place(index)
            place.moments(self.choices[index]["message"], delta_choice, said)
        return said

    def end(self) -> list[Event]:
        said: list[Event] = []
        for index in sorted(self._places):
            place = self._places[index]
            if not place.finished:
                place.finish(self.choices[index]["message"], said)
        return said

    def final(self) -> dict[str, Any]:
        """The completion of the chunks counted, as `accumulate` shapes it."""
        return self.completion()


class _Place:
    """Where one choice is: which tool call is being streamed, and what is done."""

    __slots__ = ("call", "calls_done", "content_done", "finished", "index", "refusal_done")

    def __init__(self, index: int) -> None:
        self.index = index
        self.call: Optional[int] = None  # the index of the tool call being streamed
        self.calls_done: set[int] = set()
        self.content_done = self.refusal_done = self.finished = False

    def moments(
        self, message: dict[str, Any], delta_choice: dict[str, Any], said: list[Event]
    ) -> None:
        """The events of one choice's delta, the message already counting it."""
        delta = delta_choice.get("delta") or {}
        content = delta.get("content")
        if content and isinstance(content, str):
            said.append({
                "type": "content.delta", "choice_index": self.index,
                "delta": content, "snapshot": message["content"],
            })  # fmt: skip
        refusal = delta.get("refusal")
        if refusal and isinstance(refusal, str):
            said.append({
                "type": "refusal.delta", "choice_index": self.index,
                "delta": refusal, "snapshot": message["refusal"],
            })  # fmt: skip
        for call_delta in delta.get("tool_calls") or ():
            self._call_moment(message, call_delta, said)
        if delta_choice.get("finish_reason") is not None:
            self.finish(message, said)

    def _call_moment(self, message: dict[str, Any], call_delta: Any, said: list[Event]) -> None:
        at = call_delta.get("index") if isinstance(call_delta, dict) else None
        if not isinstance(at, int):
            return  # the API numbers every tool call delta; one without is only counted
        if at != self.call:
            self._texts_done(message, said)
            self._call_done(message, said)
            self.call = at
        call = _call_at(message, at)
        function = call.get("function")
        if isinstance(function, dict):
            said.append({
                "type": "tool_calls.function.arguments.delta", "choice_index": self.index,
                "index": at, "id": call.get("id"), "name": function.get("name"),
                "arguments": function.get("arguments") or "",
                "arguments_delta": (call_delta.get("function") or {}).get("arguments") or "",
            })  # fmt: skip

    def finish(self, message: dict[str, Any], said: list[Event]) -> None:
        self.finished = True
        self._texts_done(message, said)
        self._call_done(message, said)

    def _texts_done(self, message: dict[str, Any], said: list[Event]) -> None:
        content, refusal = message.get("content"), message.get("refusal")
        if not self.content_done and content and isinstance(content, str):
            self.content_done = True
            said.append({"type": "content.done", "choice_index": self.index, "content": content})
        if not self.refusal_done and refusal and isinstance(refusal, str):
            self.refusal_done = True
            said.append({"type": "refusal.done", "choice_index": self.index, "refusal": refusal})

    def _call_done(self, message: dict[str, Any], said: list[Event]) -> None:
        at = self.call
        if at is None or at in self.calls_done:
            return
        self.calls_done.add(at)
        call = _call_at(message, at)
        function = call.get("function")
        if isinstance(function, dict):
            said.append({
                "type": "tool_calls.function.arguments.done", "choice_index": self.index,
                "index": at, "id": call.get("id"), "name": function.get("name"),
                "arguments": function.get("arguments") or "",
            })  # fmt: skip


def _call_at(message: dict[str, Any], at: int) -> dict[str, Any]:
    """The tool call numbered `at` so far (each keeps its delta's `index` until the end)."""
    for call in message.get("tool_calls") or ():
        if isinstance(call, dict) and call.get("index") == at:
            return call
    return {}
