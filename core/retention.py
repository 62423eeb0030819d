"""What a DataStream keeps of a body, so that an error can carry the items delivered before it.

The stream keeps the bytes as they arrived, not the decoded items: bytes cost a few hundred a
chat event and nothing at garbage collection, and they are decoded again only when `received`
is asked for. A budget bounds them, so a stream of any length runs in flat memory:

- the bytes are kept in two generations, each starting where an item starts;
- when the newer one outgrows half the budget, it is cut after its last whole item; the older
  one is let go (its items counted in `omitted`), the whole items become the older one and
  the part of an item still arriving starts the newer one.

So the items of the last half budget, at least, are always there, and a body smaller than
half the budget is kept whole. Memory peaks at one budget, while the newer generation is
joined to be cut.

An item longer than half the budget does not fit in it: when the newer generation is cut and
holds nothing but the start of such an item, everything kept is let go, and the stream keeps
only its last chunk (to find where the next item starts) until an item ends; then keeping
starts again after it. What was let go is counted in `omitted`. So a 50 MB event costs the
stream nothing beyond the budget (keeping its bytes until the next cut cost them once more).
"""

from __future__ import annotations

import sys
from typing import Any, Optional, Union

from .decoders import Decoder, json_lines_boundary
from .errors import APIError
from .sse import sse_boundary

__all__ = ["KEEP_BYTES", "KeptBytes", "checked_keep", "client_keep", "keep_budget"]

# 2 MiB: the last 1 to 2 MiB of a body (4,000 to 8,000 chat chunks, more than most answers
# have) for at most about 2 MiB of memory, however long the stream.
KEEP_BYTES = 2 << 20

KeepOption = Union[bool, int, None]


def checked_keep(keep: Any) -> KeepOption:
    """A `keep` option as a client takes it (for every stream it makes), or a clear error
    naming it; whether a number suits a binary stream is checked when the stream is made."""
    if keep is None or isinstance(keep, bool) or (isinstance(keep, int) and keep >= 0):
        return keep  # type: ignore[no-any-return]
    raise ValueError(f"keep must be True, False, None or a number of bytes >= 0, not {keep!r}")


def client_keep(keep: KeepOption, decoder: Decoder) -> KeepOption:
    """A client's `keep` for one of its streams: a number of bytes applies to streams of
    items; a binary stream, whose chunks have no item to cut at, keeps its default there."""
    if isinstance(keep, int) and not isinstance(keep, bool) and decoder.boundary is None:
        return None
    return keep


def keep_budget(keep: KeepOption, decoder: Decoder) -> Optional[int]:
    """The byte budget a `keep` option means; None keeps everything.

    None is the default: `KEEP_BYTES` for text streams, nothing for binary ones (whose bytes
    the caller writes somewhere as they come). True keeps the whole body, False nothing, and a
    number is a budget in bytes.
    """
    if keep is None:
        return 0 if decoder.binary else KEEP_BYTES
    if keep is True:
        return None
    if keep is False:
        return 0
    if isinstance(keep, int) and keep >= 0:
        if keep and decoder.boundary is None:
            # A binary stream's items are the chunks as they came: there is no whole item to
            # cut at, so it keeps everything or nothing.
            raise ValueError(f"keep for a {decoder.name} stream is True or False, not {keep!r}")
        return keep
    raise ValueError(f"keep must be True, False, None or a number of bytes >= 0, not {keep!r}")


# The boundaries that find the last place a marker ends (a blank line, a newline).
_LAST_MARKER = (sse_boundary, json_lines_boundary)


class KeptBytes:
    """The bytes of one body, kept within a budget; see the module's docstring."""

    __slots__ = ("_cut_at", "_dropping", "_half", "_newer", "_newer_size", "_newer_start",
                 "_older", "_older_count", "_tail", "decoder", "omitted")  # fmt: skip

    def __init__(self, decoder: Decoder, budget: Optional[int]) -> None:
        self.decoder = decoder
        self.omitted = 0  # items let go with older generations
        self._older: list[bytes] = []  # chunks of whole items
        self._older_count = 0
        self._newer: list[bytes] = []
        self._newer_size = 0
        self._newer_start = 0  # items delivered before the newer generation began
        self._half = budget // 2 if budget is not None else sys.maxsize
        self._cut_at = self._half
        self._dropping = False  # an item too long to keep is arriving: see _drop
        self._tail = b""  # while dropping, the last bytes before the newer chunk

    def add(self, chunk: bytes, delivered: int) -> None:
        """Keep `chunk`, the next bytes of the body; `delivered` items have been yielded.

        The stream feeds a chunk to the decoder's parser only once it has delivered every item
        the parser returned for the bytes before it, which is what makes the decoder's
        `boundary` the place to cut.
        """
        if self._dropping:
            self._resume(delivered)
        elif self._newer_size > self._cut_at:
            self._cut(delivered)
        self._newer.append(chunk)
        self._newer_size += len(chunk)

    def omitted_of(self, delivered: int) -> int:
        """How many of the `delivered` items are not kept (the oldest)."""
        return delivered if self._dropping else self.omitted

    def _cut(self, delivered: int) -> None:
        # The older generation goes first, so memory holds at most the newer one twice (its
        # chunks and their join), one budget.
        self.omitted += self._older_count
        self._older, self._older_count = [], 0
        chunks, self._newer = self._newer, []
        whole, rest = _cut_in_last(self.decoder, chunks)
        if whole is None:
            data = b"".join(chunks)
            del chunks[:]  # the join replaces them
            boundary = self.decoder.boundary
            cut = boundary(data) if boundary is not None else 0
            if cut == 0:
                self._drop(data)
                return
            whole, rest = [data[:cut]], data[cut:]
        self._older = whole
        self._older_count = delivered - self._newer_start
        self._newer = [rest] if rest else []
        self._newer_size = len(rest)
        self._newer_start = delivered
        self._cut_at = self._half

    def _drop(self, data: bytes) -> None:
        """Let go of `data`, the start of one item longer than half the budget: nothing is
        kept until an item ends (every item delivered until then is omitted)."""
        self._dropping = True
        self._tail = data[-3:]  # enough to see an item's end straddle two chunks
        self._newer, self._newer_size = [], 0

    def _resume(self, delivered: int) -> None:
        """While dropping: keep again from the end of the last item the newer chunk ended,
        if it ended one; else let that chunk go too."""
        boundary = self.decoder.boundary
        assert boundary is not None  # a decoder without one never cuts, so never drops
        data = self._tail + b"".join(self._newer)
        cut = boundary(data)
        if cut <= len(self._tail):  # no item ends in the newer chunk (one in the tail has)
            self._tail = data[-3:]
            self._newer, self._newer_size = [], 0
            return
        self._dropping = False
        self.omitted = delivered
        rest = data[cut:]
        self._newer = [rest] if rest else []
        self._newer_size = len(rest)
        self._newer_start = delivered
        self._cut_at = self._half

    def items(self, delivered: int) -> list[Any]:
        """The items kept, decoded again: the last `delivered - omitted` of those delivered."""
        if self._dropping:
            return []
        older = _decoded(self.decoder, self._older, self._older_count)
        return older + _decoded(self.decoder, self._newer, delivered - self._newer_start)


def _cut_in_last(decoder: Decoder, chunks: list[bytes]) -> tuple[Optional[list[bytes]], bytes]:
    """(the chunks of whole items, the bytes after them) when the last item to end, ends in
    the last chunk, as it nearly always does: the chunks are kept as they are, not joined
    (a copy of the whole generation, every cut), and only the last one is cut. (None, b"")
    when it does not, or when the decoder's boundary may not be found from a chunk alone:
    the built-in ones find the last place a marker ends, which a chunk's own bytes show
    unless the marker straddles two chunks (then none is found in the last alone)."""
    if decoder.boundary not in _LAST_MARKER or not chunks:
        return None, b""
    last = chunks[-1]
    cut = decoder.boundary(last)
    if cut == 0:
        return None, b""
    if cut == len(last):
        return chunks, b""
    chunks[-1] = last[:cut]
    return chunks, last[cut:]


def _decoded(decoder: Decoder, chunks: list[bytes], count: int) -> list[Any]:
    """The first `count` items the chunks hold (all were delivered): decoding stops there,
    before the bytes of anything after them (an item still arriving, an error the stream has
    raised or will)."""
    items: list[Any] = []
    if count <= 0:
        return items
    parser = decoder.parser()
    try:
        for chunk in chunks:
            for item in parser.feed(chunk):
                items.append(item)
                if len(items) == count:
                    return items
            if parser.done:
                break
    except APIError:
        pass  # not expected before count items; what came before it is in
    return items
