"""The frame of the stream helpers (`chat.stream`, `responses.stream`): a helper wraps a
DataStream (blocking) or an AsyncDataStream (awaited) and a reader, the sans-I/O state that
turns each item of the stream into events, text and, once the stream ends, its final object.

The frame holds what every helper shares, on either kind of stream: reading (the events,
the text, the rest of the stream for the final object), closing, and the stream's status,
headers and request id. What the items mean is the reader's (`chat_stream`,
`responses_stream`). The stream underneath is the helper's `stream`: a caller may read it
through the helper's iterators, one at a time; each item goes to whichever reads it, and
every item read, by any of them, counts for the final object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, Protocol, TypeVar

from openaistream.errors import APIError, StreamError
from openaistream.stream import DataStream

if TYPE_CHECKING:
    from openaistream.astream import AsyncDataStream

__all__ = ["AsyncHelper", "Opening", "Reader", "SyncHelper", "opened"]

Event = dict[str, Any]
TextOf = Callable[[Any], Optional[str]]  # the text an item carries, if any


class Reader(Protocol):
    """The sans-I/O half of a helper: fed the stream's items one at a time."""

    def add(self, item: Any) -> None:
        """Count `item` towards the final object (and nothing else: the fast path)."""

    def feed(self, item: Any) -> list[Event]:
        """Count `item`, and the events it makes, in order."""

    def end(self) -> list[Event]:
        """The events the stream's end makes (what was still open is done)."""

    def final(self) -> dict[str, Any]:
        """The final object of the items counted, or the error that there is none."""


class _Frame:
    """What both kinds of helper hold and show: the stream, its reader, and whether the end
    of the stream has been seen."""

    def __init__(self, stream: Any, reader: Reader) -> None:
        self.stream = stream
        self._reader = reader
        self._ended = False

    @property
    def status(self) -> int:
        return int(self.stream.status)

    @property
    def headers(self) -> dict[str, str]:
        return self.stream.headers  # type: ignore[no-any-return]

    @property
    def request_id(self) -> Optional[str]:
        """The response's `x-request-id`, or None when the server sent none."""
        return self.stream.request_id  # type: ignore[no-any-return]

    @property
    def received(self) -> list[Any]:
        return self.stream.received  # type: ignore[no-any-return]

    @property
    def omitted(self) -> int:
        return int(self.stream.omitted)

    def get_state(self) -> str:
        return str(self.stream.get_state())

    def _end_events(self) -> list[Event]:
        """The events of the stream's end, once, and only if it did end (not closed early)."""
        if self._ended or self.stream.get_state() != "complete":
            return []
        self._ended = True
        return self._reader.end()

    def _final(self) -> dict[str, Any]:
        """The final object, once the stream has been read: an error if it did not end."""
        self._end_events()
        state = self.stream.get_state()
        try:
            if state != "complete":
                raise StreamError(
                    f"the stream is {state!r}, not read to its end: there is no final object"
                )
            return self._reader.final()
        except APIError as error:
            # What the stream delivered goes with the error, as with any error mid-stream.
            error.received, error.omitted = self.stream.received, self.stream.omitted
            error.request_id = error.request_id or self.stream.request_id
            raise

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {self.stream!r}>"


class SyncHelper(_Frame):
    """A helper over a DataStream: iterate it for its events, `final()` for the object,
    `with` (or `close()`) to let the connection go."""

    stream: DataStream[Any]

    def __init__(self, stream: DataStream[Any], reader: Reader) -> None:
        super().__init__(stream, reader)

    def events(self) -> Iterator[Event]:
        """The events of the rest of the stream, as plain dicts, as its items arrive."""
        feed = self._reader.feed
        for item in self.stream:
            yield from feed(item)
        yield from self._end_events()

    def _texts(self, text_of: TextOf) -> Iterator[str]:
        add = self._reader.add
        for item in self.stream:
            add(item)
            text = text_of(item)
            if text:
                yield text
        self._end_events()

    def final(self) -> dict[str, Any]:
        """Read the rest of the stream and return its final object."""
        add = self._reader.add
        for item in self.stream:
            add(item)
        return self._final()

    def until_done(self) -> SyncHelper:
        """Read the rest of the stream (for its final object); the helper itself."""
        self.final()
        return self

    def close(self) -> None:
        """Let the connection go; a stream not read to its end is not reused."""
        self.stream.close()

    def __iter__(self) -> Iterator[Event]:
        return self.events()

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class AsyncHelper(_Frame):
    """A helper over an AsyncDataStream: `async for` its events, `await final()` for
    the object, `async with` (or `await aclose()`) to let the connection go."""

    stream: AsyncDataStream[Any]

    def __init__(self, stream: AsyncDataStream[Any], reader: Reader) -> None:
        super().__init__(stream, reader)

    async def events(self) -> AsyncIterator[Event]:
        """The events of the rest of the stream, as plain dicts, as its items arrive."""
        feed = self._reader.feed
        async for item in self.stream:
            for event in feed(item):
                yield event
        for event in self._end_events():
            yield event

    async def _texts(self, text_of: TextOf) -> AsyncIterator[str]:
        add = self._reader.add
        async for item in self.stream:
            add(item)
            text = text_of(item)
            if text:
                yield text
        self._end_events()

    async def final(self) -> dict[str, Any]:
        """Read the rest of the stream and return its final object."""
        add = self._reader.add
        async for item in self.stream:
            add(item)
        return self._final()

    async def until_done(self) -> AsyncHelper:
        """Read the rest of the stream (for its final object); the helper itself."""
        await self.final()
        return self

    async def aclose(self) -> None:
        """Let the connection go; a stream not read to its end is not reused."""
        await self.stream.aclose()

    async def close(self) -> None:
        """The same as `aclose()` (openai-python's async helpers call it `close`)."""
        await self.stream.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self.events()

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()


H = TypeVar("H", bound=AsyncHelper)


class Opening(Generic[H]):
    """What a helper method returns on AsyncOpenAI: `await` it for the helper, or enter it
    directly, `async with client.chat.stream(...) as s`, as openai-python's stream
    managers are entered (leaving the block closes the stream)."""

    def __init__(self, started: Awaitable[Any], make: Callable[[Any], H]) -> None:
        self._started = started
        self._make = make
        self._helper: Optional[H] = None

    async def _open(self) -> H:
        if self._helper is None:  # the request is awaited once, however often this is
            self._helper = self._make(await self._started)
        return self._helper

    def __await__(self) -> Generator[Any, None, H]:
        return self._open().__await__()

    async def __aenter__(self) -> H:
        return await self._open()

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self._helper is not None:
            await self._helper.aclose()


def opened(
    started: Any, sync_helper: Callable[[Any], Any], async_helper: Callable[[Any], H]
) -> Any:
    """The helper over what a streamed call returned: a DataStream now (OpenAI), or an
    Opening of the AsyncDataStream to come (AsyncOpenAI)."""
    if isinstance(started, DataStream):
        return sync_helper(started)
    return Opening(started, async_helper)
