"""Stream helpers for the Responses API: the text as it comes, the events, and the final
response once the stream ends.

`client.responses.stream(...)` returns a `ResponseStream` (OpenAI) or, awaited or entered with
`async with`, an `AsyncResponseStream` (AsyncOpenAI); either can also be built over a stream a
caller already holds, `ResponseStream(client.responses.create(..., stream=True))` or a background
response read again with `responses.retrieve(..., stream=True)`. `text_deltas()`,
[`events()`][openaistream.plugins.fine_tuning.FineTuning.events] and `final_response()` do the same
over any iterable of a stream's items.

The API's own event names are the ones openai-python users know, so the events are the API's
payloads as it sent them (`event["type"] == "response.output_text.delta"`,
`event["delta"]`), nothing added. The stream's items may be named (`{"event": name,
"data": payload}`, what `responses.create` yields) or bare payloads (the `"sse"`
decoder): both are read.

The final response is the `response` of the stream's last terminal event:

- `response.completed`: the response;
- `response.incomplete`: the response too, with `status` "incomplete" and
  `incomplete_details.reason` (`max_output_tokens`, `content_filter`): what was made
  before the cut is real output, and the reason is in it;
- `response.failed`: an `APIError` with the response's `error` (`message`, `code`;
  `body` is that error object); the failed response is the last of `received`;
- none of them (a stream that ended without one): a `StreamError`.

A completed response without `output` (a gateway may leave it out) gets the items of the
stream's `response.output_item.done` events, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Optional

from openaistream.errors import APIError, StreamError

from .stream_helper import AsyncHelper, Event, SyncHelper

if TYPE_CHECKING:
    from openaistream.astream import AsyncDataStream
    from openaistream.stream import DataStream

__all__ = [
    "AsyncResponseStream",
    "ResponseStream",
    "ResponsesReader",
    "events",
    "final_response",
    "text_deltas",
]

TEXT_DELTA = "response.output_text.delta"
ITEM_DONE = "response.output_item.done"
FAILED = "response.failed"
TERMINAL = frozenset({"response.completed", "response.incomplete", FAILED})


def events(items: Iterable[Any]) -> Iterator[Event]:
    """The payload of each item, as the API sent it."""
    for item in items:
        yield named(item)[1]


def text_deltas(items: Iterable[Any]) -> Iterator[str]:
    """The output text as it came, piece by piece."""
    for item in items:
        text = text_delta(item)
        if text:
            yield text


def final_response(items: Iterable[Any]) -> dict[str, Any]:
    """The final response of a whole stream's items (see the module's docstring)."""
    reader = ResponsesReader()
    for item in items:
        reader.add(item)
    return reader.final()


def named(item: Any) -> tuple[Optional[str], Any]:
    """The event name and payload of an item, named (`{"event", "data"}`) or bare."""
    if isinstance(item, dict):
        if len(item) == 2 and "event" in item and "data" in item:
            return item["event"], item["data"]
        kind = item.get("type")
        return (kind if isinstance(kind, str) else None), item
    return None, item


def text_delta(item: Any) -> Optional[str]:
    """The text an `response.output_text.delta` item carries."""
    name, payload = named(item)
    if name != TEXT_DELTA or not isinstance(payload, dict):
        return None
    delta = payload.get("delta")
    return delta if isinstance(delta, str) else None


class ResponseStream(SyncHelper):
    """A Responses stream with helpers, blocking: `for text in s.text_deltas()`, `for
    event in s` (or `s.events()`), `s.final()` for the response, `with` to close it."""

    def __init__(self, stream: DataStream[Any]) -> None:
        super().__init__(stream, ResponsesReader())

    def text_deltas(self) -> Iterator[str]:
        """The output text as it arrives, piece by piece."""
        return self._texts(text_delta)

    def get_final_response(self) -> dict[str, Any]:
        """The same as `final()` (openai-python's name)."""
        return self.final()


class AsyncResponseStream(AsyncHelper):
    """A Responses stream with helpers, in an event loop: `async for text in
    s.text_deltas()`, `async for event in s`, `await s.final()`, `async with`."""

    def __init__(self, stream: AsyncDataStream[Any]) -> None:
        super().__init__(stream, ResponsesReader())

    def text_deltas(self) -> AsyncIterator[str]:
        """The output text as it arrives, piece by piece."""
        return self._texts(text_delta)

    async def get_final_response(self) -> dict[str, Any]:
        """The same as `final()` (openai-python's name)."""
        return await self.final()


class ResponsesReader:
    """The last terminal event of a Responses stream, and its finished output items."""

    def __init__(self) -> None:
        self._last: Optional[tuple[str, Any]] = None
        self._items: dict[int, Any] = {}

    def add(self, item: Any) -> None:
        name, payload = named(item)
        if name in TERMINAL:
            self._last = (str(name), payload)
        elif name == ITEM_DONE and isinstance(payload, dict):
            at = payload.get("output_index")
            self._items[at if isinstance(at, int) else len(self._items)] = payload.get("item")

    def feed(self, item: Any) -> list[Event]:
        self.add(item)
        return [named(item)[1]]

    def end(self) -> list[Event]:
        return []  # the API says every moment itself

    def final(self) -> dict[str, Any]:
        if self._last is None:
            raise StreamError(
                "the stream ended without response.completed, response.incomplete or "
                "response.failed: there is no final response"
            )
        name, payload = self._last
        response = payload.get("response") if isinstance(payload, dict) else None
        if not isinstance(response, dict):
            raise StreamError(f"the {name} event carries no response object")
        if name == FAILED:
            raise _failed(response)
        if response.get("output") is None and self._items:
            response = {**response, "output": [self._items[at] for at in sorted(self._items)]}
        return response


def _failed(response: dict[str, Any]) -> APIError:
    error = response.get("error")
    details = error if isinstance(error, dict) else {}
    message = details.get("message") or "the response failed"
    code = details.get("code")
    return APIError(
        f"the response failed: {message}",
        code=code if isinstance(code, str) else None,
        body=error,
    )
