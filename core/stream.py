"""DataStream: the items of a streamed response, as they arrive.

Generic over a Response and a Decoder. It is an iterator and a context manager, and keeps the
R package's methods: `next_value` (a list of up to `num` items; for binary streams up to
`num` bytes), `get_state()` and `close()`.

Nothing received is lost: every error raised while reading carries `received`, the items
delivered before it, and `omitted`, how many delivered items `received` no longer holds.
The stream keeps the body's bytes for it within a budget (see `retention`): a body of up to
1 MiB is kept whole, a longer one keeps its last 1 to 2 MiB, and memory stays flat however long
the stream runs. `keep` sets the budget: True keeps everything, False nothing (the default
for binary streams, whose bytes the caller writes somewhere), a number is bytes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, Optional, TypeVar, Union, cast

from .decoders import SSE, Decoder
from .errors import APIConnectionError, APIError, APITimeoutError, StreamError
from .http import Response
from .retention import KeepOption, KeptBytes, keep_budget

if TYPE_CHECKING:
    from .log import CallLog

__all__ = ["DataStream", "check_num"]

T = TypeVar("T")


R = TypeVar("R")  # the response read: a Response, or an AsyncResponse (AsyncDataStream)


class _Progress(Generic[R]):
    """What a stream's reading generator shares with the DataStream (or AsyncDataStream). The
    generator holds this, never the stream: the two would otherwise hold each other, and a
    stream left in a `for` loop by `break`, with no reference kept, would hold its
    connection until the garbage collector found the cycle. Without one, the stream goes at
    once, its generator is closed and the connection let go."""

    __slots__ = ("decoder", "delivered", "keep", "kept", "log", "response", "state")

    def __init__(
        self, response: R, decoder: Decoder, keep: KeepOption, log: Optional[CallLog]
    ) -> None:
        self.response = response
        self.decoder = decoder
        self.keep = keep
        self.log = log
        self.kept: Optional[KeptBytes] = None  # once reading starts, unless keep is off
        self.delivered = 0
        self.state = "open"

    @property
    def received(self) -> list[Any]:
        return [] if self.kept is None else self.kept.items(self.delivered)

    @property
    def omitted(self) -> int:
        return self.delivered if self.kept is None else self.kept.omitted_of(self.delivered)


class StreamBase(Generic[T, R]):
    """What DataStream and AsyncDataStream share: the progress their reading generator holds,
    the views of it, and the part of a binary chunk `next_value` has begun. Only the
    reading differs: blocking, or awaited."""

    def __init__(
        self,
        response: R,
        decoder: Decoder = SSE,
        num: int = 2,
        *,
        keep: KeepOption = None,
        log: Optional[CallLog] = None,
    ) -> None:
        self.num = check_num(num)
        keep_budget(keep, decoder)  # a bad value fails here, not at the first read
        self._progress: _Progress[R] = _Progress(response, decoder, keep, log)
        # A binary chunk that next_value has handed out only part of, and how much of it.
        self._leftover = b""
        self._taken = 0

    @property
    def response(self) -> R:
        """The transport's response the stream reads its body from."""
        return self._progress.response

    @property
    def decoder(self) -> Decoder:
        """How the body is decoded into items: its `name` is `"sse"`, `"sse-events"`,
        `"jsonl"` or `"bytes"`."""
        return self._progress.decoder

    @property
    def keep(self) -> KeepOption:
        """What of the body to keep for `received`; may be changed until reading starts."""
        return self._progress.keep

    @keep.setter
    def keep(self, value: KeepOption) -> None:
        self._progress.keep = value

    @property
    def status(self) -> int:
        """The HTTP status of the response (a stream is only made of a success)."""
        return self._progress.response.status  # type: ignore[attr-defined, no-any-return]

    @property
    def headers(self) -> dict[str, str]:
        """The response's headers, their names in lower case."""
        return self._progress.response.headers  # type: ignore[attr-defined, no-any-return]

    @property
    def request_id(self) -> Optional[str]:
        """The response's `x-request-id` (what OpenAI's support asks for), or None when the
        server sent none."""
        return self.headers.get("x-request-id")

    @property
    def received(self) -> list[T]:
        """The items delivered so far, all of them unless `omitted` says otherwise."""
        return self._progress.received

    @property
    def omitted(self) -> int:
        """How many of the items delivered so far `received` no longer holds (the oldest)."""
        return self._progress.omitted

    def get_state(self) -> str:
        """ "open", "complete" (read to its end), "closed" (closed before the end, or, for an
        async stream, its task cancelled) or "error"."""
        return self._progress.state

    def _next_slice(self, chunk: Optional[bytes]) -> bytes:
        """The next `num` bytes for next_value: from `chunk` when the one begun is used up
        (a position in the chunk, not a re-slice of its rest, which would copy it again and
        again)."""
        if chunk is not None:
            self._leftover, self._taken = chunk, 0
        start, self._taken = self._taken, self._taken + self.num
        return self._leftover[start : self._taken]

    def _leftover_pending(self) -> bool:
        return self._taken < len(self._leftover)

    def _rest_of_leftover(self) -> bytes:
        """What next_value has not handed out of its chunk, handed out now."""
        rest = self._leftover[self._taken :]
        self._leftover, self._taken = b"", 0
        return rest

    def __repr__(self) -> str:
        progress = self._progress
        return (
            f"<{type(self).__name__} {progress.decoder.name} state={progress.state} "
            f"delivered={progress.delivered}>"
        )


class DataStream(StreamBase[T, Response]):
    """Iterate it, or take `next_value` batches; close it (or use `with`) to let the
    connection go when you stop early.

    `close()` may be called from any thread, for example by a stop button while another
    thread reads the stream: a read blocked waiting for the server ends at once, the reading
    loop ends quietly (no exception in either thread) and `get_state()` is "closed". The
    connection is closed, never reused.
    """

    def __init__(
        self,
        response: Response,
        decoder: Decoder = SSE,
        num: int = 2,
        *,
        keep: KeepOption = None,
        log: Optional[CallLog] = None,
    ) -> None:
        super().__init__(response, decoder, num, keep=keep, log=log)
        self._items: Iterator[T] = _read(self._progress)

    def __iter__(self) -> Iterator[T]:
        # The generator itself, so a for loop runs without a Python-level __next__ per item.
        if self._leftover_pending():
            return itertools.chain([cast(T, self._rest_of_leftover())], self._items)
        return self._items

    def __next__(self) -> T:
        if self._leftover_pending():
            return cast(T, self._rest_of_leftover())
        return next(self._items)

    @property
    def next_value(self) -> Any:
        """The next batch: a list of up to `num` items (empty once the stream is done), or,
        for a binary stream, up to `num` bytes (`b""` once done)."""
        if self.decoder.binary:
            return self._next_bytes()
        return list(itertools.islice(self._items, self.num))

    def _next_bytes(self) -> bytes:
        if self._leftover_pending():
            return self._next_slice(None)
        return self._next_slice(cast(bytes, next(self._items, b"")))

    def write_to(self, target: Union[str, os.PathLike[str], BinaryIO]) -> int:
        """Write the rest of a binary stream to a file as it arrives; the bytes written.

        A path is written to a temporary file beside it, renamed into place once the stream
        is complete: a download that fails never leaves a partial file under the name. A
        stream closed (from another thread) before its end is a StreamError here, not a
        quiet end: the file would not be whole. A write that fails (a full disk) closes the
        stream: the rest has nowhere to go.
        """
        if not self.decoder.binary:
            raise TypeError("write_to is for binary streams; this one yields decoded items")
        if not isinstance(target, (str, os.PathLike)):
            return self._copy_to(target)
        from pathlib import Path  # here, not at import: most streams are never written out

        final = Path(target)
        partial = final.with_name(f".{final.name}.partial")
        try:
            with partial.open("wb") as file:
                written = self._copy_to(file)
            partial.replace(final)
        finally:
            partial.unlink(missing_ok=True)  # gone already when the rename succeeded
        return written

    def _copy_to(self, file: BinaryIO) -> int:
        written = 0
        try:
            for chunk in self:
                file.write(cast(bytes, chunk))
                written += len(cast(bytes, chunk))
        except BaseException:
            self.close()
            raise
        if self._progress.state == "closed":  # by another thread: the copy is not whole
            error = StreamError(f"the stream was closed after {written} bytes, before its end")
            error.received, error.omitted = self.received, self.omitted
            raise error
        return written

    def close(self) -> None:
        """Stop reading and let the connection go; an unfinished one is not reused. Safe from
        any thread (see the class's docstring)."""
        progress = self._progress
        if progress.state == "open":
            progress.state = "closed"
            if progress.log is not None:
                progress.log.stream_closed(progress.delivered)
        # The generator is left alone: another thread may be running it. Closing the
        # response ends its read, and the generator ends quietly, seeing the state.
        progress.response.close()

    def __enter__(self) -> DataStream[T]:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def _read(progress: _Progress[Response]) -> Iterator[Any]:
    """The items of the stream, as its DataStream yields them (a function, not a method: see
    _Progress). It feeds the decoder's parser each chunk as it arrives and hands on every item
    the chunk completes before it reads the next one (what the kept bytes are cut on)."""
    log = progress.log
    budget = keep_budget(progress.keep, progress.decoder)
    kept = None
    if budget != 0:
        kept = progress.kept = KeptBytes(progress.decoder, budget)
    parser = progress.decoder.parser()
    try:
        for chunk in progress.response:
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
        # or the error of a body cut short. (The loop above, once more: it runs once.)
        for item in parser.end():
            progress.delivered += 1
            if log is not None:
                log.stream_item(item)
            yield item
    except APIError as exc:
        if progress.state == "closed":
            return  # closed by the caller, maybe from another thread while a read waited
        progress.state = "error"
        error = _with_received(exc, progress)
        if error is exc:
            raise
        raise error from exc
    except BaseException:  # closed early, interrupted, or a bug in a caller's hook
        if progress.state == "open":
            progress.state = "closed"
        raise
    finally:
        if progress.state == "open":
            # The parser saw the end ([DONE] or the end of the body): read what is left
            # (briefly) so the connection goes back to the pool.
            progress.response.finish()
        else:
            progress.response.close()  # anything else is discarded, never reused half-read
    if progress.state == "open":  # not closed by another thread meanwhile
        progress.state = "complete"
        if log is not None:
            log.stream_end(progress.delivered)


def _with_received(exc: APIError, progress: _Progress[Any]) -> APIError:
    if isinstance(exc, APIConnectionError) and not isinstance(exc, APITimeoutError):
        exc = StreamError(f"the stream broke off: {exc}")
    exc.received = progress.received
    exc.omitted = progress.omitted
    return exc


def check_num(num: object) -> int:
    """`num` as next_value takes it: a positive integer."""
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"num must be a positive integer, not {num!r}")
    return num
