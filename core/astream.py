"""AsyncDataStream: the items of a streamed response as they arrive, read in an event loop.

The async counterpart of DataStream, point for point: `async for`, `async with`,
`await aclose()`, `get_state()`, `status`, `headers`, `request_id`, the R-style
batches as `await next_value()`, `received` and `omitted` on every error raised
mid-stream (within the same `keep` budget), and `await write_to(...)` for binary streams.

It drives the decoder's push form (`parsing`) over an AsyncResponse: each chunk is kept for
`received`, fed to the parser, every item it completes handed on, and `done` checked;
`end()` once the body is over. How the stream ends decides the connection's fate: after
the stream's own end (SSE `[DONE]`) or the body's, `afinish()` gives it back to the pool;
after anything else (an error, `aclose()`, a cancelled task, a loop left by `break`) it
is discarded by `aclose()`.

Cancellation is the async "stop" button. A task cancelled while it awaits the next item (by
`task.cancel()`, `asyncio.wait_for` or `asyncio.timeout`) closes the response at once;
the stream is then "closed" and the CancelledError goes on up, never swallowed. A loop left by
`break` with no reference to the stream kept leaves its reading generator to the event
loop, which finalizes it (its async generator hooks) on its next turns, closing the response;
`async with` closes it at once.

Importing this module loads no asyncio: nothing here needs it, and `openaistream` loads the
module only when `AsyncDataStream` is first asked for.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, Optional, TypeVar, Union, cast

from .decoders import SSE, Decoder
from .errors import APIError, StreamError
from .http import AsyncResponse
from .retention import KeepOption, KeptBytes, keep_budget
from .stream import StreamBase, _Progress, _with_received

if TYPE_CHECKING:
    from .log import CallLog

__all__ = ["AsyncDataStream"]

T = TypeVar("T")


class AsyncDataStream(StreamBase[T, AsyncResponse]):
    """Iterate it with `async for`, or await `next_value()` batches; close it (`await
    aclose()`, or `async with`) to let the connection go when you stop early.

    `aclose()` may be awaited from another task while one task waits for the stream's next
    item: that read ends at once, the reading loop ends quietly (no exception in either task)
    and `get_state()` is "closed". The connection is closed, never reused.
    """

    def __init__(
        self,
        response: AsyncResponse,
        decoder: Decoder = SSE,
        num: int = 2,
        *,
        keep: KeepOption = None,
        log: Optional[CallLog] = None,
    ) -> None:
        super().__init__(response, decoder, num, keep=keep, log=log)
        # The generator's own type: aclose() asks it whether a task is running it.
        self._items = cast("AsyncGeneratorType[Any, None]", _aread(self._progress))

    def __aiter__(self) -> AsyncIterator[T]:
        # The generator itself, so an async for runs without a Python-level __anext__ per item.
        if self._leftover_pending():
            return _after(cast(T, self._rest_of_leftover()), self._items)
        return self._items

    async def __anext__(self) -> T:
        if self._leftover_pending():
            return cast(T, self._rest_of_leftover())
        return cast(T, await self._items.__anext__())

    async def next_value(self) -> Any:
        """The next batch: a list of up to `num` items (empty once the stream is done), or,
        for a binary stream, up to `num` bytes (`b""` once done).

        A method to await, `await stream.next_value()`, where DataStream's `next_value` is
        a property: a property cannot be awaited without handing out a coroutine that is easy
        to leave unawaited.
        """
        if self.decoder.binary:
            return await self._next_bytes()
        batch: list[Any] = []
        async for item in self._items:  # leaving by break does not close the generator
            batch.append(item)
            if len(batch) == self.num:
                break
        return batch

    async def _next_bytes(self) -> bytes:
        if self._leftover_pending():
            return self._next_slice(None)
        try:
            chunk = cast(bytes, await self._items.__anext__())
        except StopAsyncIteration:
            chunk = b""
        return self._next_slice(chunk)

    async def write_to(self, target: Union[str, os.PathLike[str], BinaryIO]) -> int:
        """Write the rest of a binary stream to a file as it arrives; the bytes written.

        A path is written to a temporary file beside it, renamed into place once the stream
        is complete: a download that fails (or whose task is cancelled) never leaves a
        partial file under the name. A stream closed (from another task) before its end is a
        StreamError here, not a quiet end: the file would not be whole.

        The file is written with ordinary blocking writes, one per chunk as it arrives: for
        a local file they take microseconds and hold the event loop no longer than that. For
        a slow file system, iterate the stream and write through a thread yourself. A write
        that fails (a full disk), or a cancelled task, closes the stream.
        """
        if not self.decoder.binary:
            raise TypeError("write_to is for binary streams; this one yields decoded items")
        if not isinstance(target, (str, os.PathLike)):
            return await self._copy_to(target)
        from pathlib import Path  # here, not at import: most streams are never written out

        final = Path(target)
        partial = final.with_name(f".{final.name}.partial")
        try:
            with partial.open("wb") as file:
                written = await self._copy_to(file)
            partial.replace(final)
        finally:
            partial.unlink(missing_ok=True)  # gone already when the rename succeeded
        return written

    async def _copy_to(self, file: BinaryIO) -> int:
        written = 0
        try:
            async for chunk in self:
                file.write(cast(bytes, chunk))
                written += len(cast(bytes, chunk))
        except BaseException:
            await self.aclose()
            raise
        if self._progress.state == "closed":  # by another task: the copy is not whole
            error = StreamError(f"the stream was closed after {written} bytes, before its end")
            error.received, error.omitted = self.received, self.omitted
            raise error
        return written

    async def aclose(self) -> None:
        """Stop reading and let the connection go; an unfinished one is not reused. Safe to
        await from another task than the one reading (see the class's docstring)."""
        progress = self._progress
        _closed(progress)
        # Closing the response ends a read another task is waiting for; that task's
        # generator then ends quietly, seeing the state, and is left to it.
        await progress.response.aclose()
        if not self._items.ag_running:
            # Waiting at an item, or never started: end it now rather than when collected.
            await self._items.aclose()

    async def close(self) -> None:
        """The same as [`aclose()`][openaistream.astream.AsyncDataStream.aclose] (openai-python's
        async streams call it `close`)."""
        await self.aclose()

    async def __aenter__(self) -> AsyncDataStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()


async def _aread(progress: _Progress[AsyncResponse]) -> AsyncGenerator[Any, None]:
    """The items of the stream, as its AsyncDataStream yields them (a function, not a method:
    see _Progress). The loop of DataStream's `_read`: it feeds the decoder's parser each
    chunk as it arrives and hands on every item the chunk completes before it reads the next
    one (what the kept bytes are cut on)."""
    log = progress.log
    budget = keep_budget(progress.keep, progress.decoder)
    kept = None
    if budget != 0:
        kept = progress.kept = KeptBytes(progress.decoder, budget)
    parser = progress.decoder.parser()
    try:
        async for chunk in progress.response:
            if kept is not None:
                kept.add(chunk, progress.delivered)
            for item in parser.feed(chunk):
                progress.delivered += 1
                if log is not None:
                    log.stream_item(item)
                yield item
                if progress.state != "open":
                    return  # closed meanwhile: the items the parser still has are not wanted
            if parser.done:
                break
        # The body is over, or the stream's own end came: a lenient server's last event,
        # or the error of a body cut short.
        for item in parser.end():
            progress.delivered += 1
            if log is not None:
                log.stream_item(item)
            yield item
    except APIError as exc:
        if progress.state == "closed":
            return  # closed by the caller, from another task while a read waited
        progress.state = "error"
        error = _with_received(exc, progress)
        if error is exc:
            raise
        raise error from exc
    except BaseException:  # cancelled, closed at an item (aclose, break, collected), a bug
        _closed(progress)
        raise
    finally:
        await _let_go(progress)
    if progress.state == "open":  # not closed by another task meanwhile
        progress.state = "complete"
        if log is not None:
            log.stream_end(progress.delivered)


async def _let_go(progress: _Progress[AsyncResponse]) -> None:
    """The response's end: finished (its connection back to the pool) when the parser saw the
    stream's end, discarded otherwise, never reused half-read."""
    response = progress.response
    if progress.state != "open":
        await response.aclose()
        return
    try:
        await response.afinish()
    except BaseException:  # cancelled while draining: the connection goes all the same
        _closed(progress)
        await response.aclose()
        raise


def _closed(progress: _Progress[Any]) -> None:
    """The stream closed before its end, by whatever means: said once, and logged."""
    if progress.state == "open":
        progress.state = "closed"
        if progress.log is not None:
            progress.log.stream_closed(progress.delivered)


async def _after(first: T, rest: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """`first`, then the items of `rest`: the part of a chunk next_value left, then the
    stream."""
    yield first
    async for item in rest:
        yield item
