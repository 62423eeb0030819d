"""DataStream: the items of a streamed response, as they arrive.

Generic over a Response and a Decoder. It is an iterator and a context manager, and keeps the
R package's methods: ``next_value`` (a list of up to ``num`` items; for binary streams up to
``num`` bytes), ``get_state()`` and ``close()``.

Nothing received is lost: every error raised while reading carries ``received``, the items
delivered before it, and ``omitted``, how many delivered items ``received`` no longer holds.
The stream keeps the body's bytes for it within a budget (see ``retention``): a body of up to
1 MiB is kept whole, a longer one keeps its last 1 to 2 MiB, and memory stays flat however long
the stream runs. ``keep`` sets the budget: True keeps everything, False nothing (the default
for binary streams, whose bytes the caller writes somewhere), a number is bytes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
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


class DataStream(Generic[T]):
    """Iterate it, or take ``next_value`` batches; close it (or use ``with``) to let the
    connection go when you stop early."""

    def __init__(
        self,
        response: Response,
        decoder: Decoder = SSE,
        num: int = 2,
        *,
        keep: KeepOption = None,
        log: Optional[CallLog] = None,
    ) -> None:
        self.response = response
        self.decoder = decoder
        self.num = check_num(num)
        keep_budget(keep, decoder)  # a bad value fails here, not at the first read
        self.keep = keep  # may be changed until reading starts
        self._kept: Optional[KeptBytes] = None  # once reading starts, unless keep is off
        self._delivered = 0
        self._state = "open"
        self._log = log
        self._leftover = b""
        self._items: Iterator[T] = self._read()

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def headers(self) -> dict[str, str]:
        return self.response.headers

    def __iter__(self) -> Iterator[T]:
        # The generator itself, so a for loop runs without a Python-level __next__ per item.
        return self._items

    def __next__(self) -> T:
        return next(self._items)

    @property
    def received(self) -> list[T]:
        """The items delivered so far, all of them unless ``omitted`` says otherwise."""
        return [] if self._kept is None else self._kept.items(self._delivered)

    @property
    def omitted(self) -> int:
        """How many of the items delivered so far ``received`` no longer holds (the oldest)."""
        return self._delivered if self._kept is None else self._kept.omitted_of(self._delivered)

    def _read(self) -> Iterator[T]:
        log = self._log
        budget = keep_budget(self.keep, self.decoder)
        chunks: Iterable[bytes] = self.response
        if budget != 0:
            self._kept = KeptBytes(self.decoder, budget)
            chunks = self._keeping(chunks, self._kept)
        try:
            for item in self.decoder.decode(chunks):
                self._delivered += 1
                if log is not None:
                    log.stream_item(item)
                yield item
        except APIError as exc:
            self._state = "error"
            error = self._with_received(exc)
            if error is exc:
                raise
            raise error from exc
        except BaseException:  # closed early, interrupted, or a bug in a caller's hook
            if self._state == "open":
                self._state = "closed"
            raise
        finally:
            if self._state == "open":
                # The decoder saw the end ([DONE] or the end of the body): read what is left
                # (briefly) so the connection goes back to the pool.
                self.response.finish()
            else:
                self.response.close()  # anything else is discarded, never reused half-read
        self._state = "complete"
        if log is not None:
            log.stream_end(self._delivered)

    def _keeping(self, chunks: Iterable[bytes], kept: KeptBytes) -> Iterator[bytes]:
        for chunk in chunks:
            kept.add(chunk, self._delivered)
            yield chunk

    def _with_received(self, exc: APIError) -> APIError:
        if isinstance(exc, APIConnectionError) and not isinstance(exc, APITimeoutError):
            exc = StreamError(f"the connection was lost mid-stream: {exc}")
        exc.received = self.received
        exc.omitted = self.omitted
        return exc

    @property
    def next_value(self) -> Any:
        """The next batch: a list of up to ``num`` items (empty once the stream is done), or,
        for a binary stream, up to ``num`` bytes (``b""`` once done)."""
        if self.decoder.binary:
            return self._next_bytes()
        return list(itertools.islice(self._items, self.num))

    def _next_bytes(self) -> bytes:
        if not self._leftover:
            self._leftover = cast(bytes, next(self._items, b""))
        taken, self._leftover = self._leftover[: self.num], self._leftover[self.num :]
        return taken

    def write_to(self, target: Union[str, os.PathLike[str], BinaryIO]) -> int:
        """Write the rest of a binary stream to a file as it arrives; the bytes written.

        A path is written to a temporary file beside it, renamed into place once the stream
        is complete: a download that fails never leaves a partial file under the name.
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
        for chunk in self._items:
            file.write(cast(bytes, chunk))
            written += len(cast(bytes, chunk))
        return written

    def get_state(self) -> str:
        """ "open", "complete" (read to its end), "closed" (closed before the end) or "error"."""
        return self._state

    def close(self) -> None:
        """Stop reading and let the connection go; an unfinished one is not reused."""
        if self._state == "open":
            self._state = "closed"
            if self._log is not None:
                self._log.stream_closed(self._delivered)
        close = getattr(self._items, "close", None)
        if close is not None:
            close()
        self.response.close()

    def __enter__(self) -> DataStream[T]:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DataStream {self.decoder.name} state={self._state} delivered={self._delivered}>"


def check_num(num: object) -> int:
    """``num`` as next_value takes it: a positive integer."""
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"num must be a positive integer, not {num!r}")
    return num
