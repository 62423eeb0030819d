"""Decoders turn a body's byte chunks into the items a DataStream yields.

- `sse`: server-sent events with JSON data, each event's payload (chat, completions, audio);
- `sse-events`: the same events as `{"event": name, "data": payload}`, named by their
  `event:` field or else their payload's `type` (responses, assistants runs);
- `jsonl`: JSON Lines (batch output, file content), one value a line;
- `bytes`: the raw chunks as they arrive (audio speech, file downloads).

A decoder makes parsers (`parsing`): fed a body's chunks as they arrive, from a blocking
read or an `async for`, a parser hands back every item the bytes complete, so each item
leaves as soon as its bytes are in; bytes it cannot decode are a StreamError, which never takes
the items before it along. `decode(chunks)` is the same as a generator. A text decoder also
says where the items end in a run of bytes (`boundary`), so a DataStream can let go of the
oldest bytes it keeps without cutting an item in two.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import jsonlib
from .errors import StreamError
from .parsing import Parser, iterate
from .sse import SSEParser, sse_boundary

__all__ = [
    "BYTES",
    "DECODERS",
    "JSON_LINES",
    "SSE",
    "SSE_EVENTS",
    "BytesParser",
    "Decoder",
    "JSONLinesParser",
    "Parser",
    "decoder_named",
]

_LONG_LINE = 1 << 20  # a JSON line held this long is read by _long_line
_SHOWN = 120  # how much of an offending line an error message shows


@dataclass(frozen=True)
class Decoder:
    """A named way to decode a body. `parser()` makes the push form for one body (see
    `parsing`): what a DataStream drives, whatever moves the bytes; `decode(chunks)` is
    the pull form, a generator over the same parser.

    `binary` decoders yield bytes, and a DataStream's `next_value` then returns up to
    `num` bytes instead of a list of `num` items.

    `boundary(data)` is the offset just past the last item that a parser fed `data` has
    returned (0 when none): bytes before it hold whole items only, and decoding may start
    again there. A decoder without one is never cut.

    `media_type` is the content type a body for it must have, when it needs one (an SSE
    decoder reads nothing in a JSON or HTML body).
    """

    name: str
    parser: Callable[[], Parser]
    binary: bool = False
    boundary: Optional[Callable[[bytes], int]] = None
    media_type: Optional[str] = None

    def decode(self, chunks: Iterable[bytes]) -> Iterator[Any]:
        """The items of a body given as chunks, each as soon as its bytes are in."""
        return iterate(self.parser(), chunks)


class BytesParser:
    """The chunks themselves, skipping empty ones."""

    __slots__ = ()

    done = False  # a binary body ends when its bytes do

    def feed(self, chunk: bytes) -> tuple[bytes, ...]:
        return (chunk,) if chunk else ()

    def end(self) -> tuple[bytes, ...]:
        return ()


def decode_bytes(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks themselves, skipping empty ones."""
    return iterate(BytesParser(), chunks)


class JSONLinesParser:
    """The push form of JSON Lines (see `parsing`): one JSON value per line; blank lines are
    skipped, a last line needs no newline. Like the SSE parser, `feed` cuts the lines at
    once and decodes each as the caller takes it."""

    __slots__ = ("_error", "_held", "_held_size", "_offset", "done")

    def __init__(self) -> None:
        self.done = False
        self._error: Optional[StreamError] = None  # what stopped the parser
        self._held: list[bytes] = []  # the start of a line still arriving
        self._held_size = 0
        self._offset = 0  # of the held bytes (or the next chunk) in the body

    def feed(self, chunk: bytes) -> Iterable[Any]:
        """The values of the lines the bytes so far complete; take them all before feeding
        more."""
        if self.done:
            if self._error is not None:
                raise self._error
            return ()
        held = self._held
        held.append(chunk)
        self._held_size += len(chunk)
        if chunk.find(b"\n") < 0:  # find(), not "in": see SSEParser.feed
            return ()
        offset = self._offset
        first: Iterable[Any] = ()  # a long line, decoded before the lines after it
        if self._held_size - len(chunk) > _LONG_LINE:
            first, chunk, used = self._long_line(held, offset)
            offset += used
        else:
            chunk = b"".join(held)
        lines = chunk.split(b"\n")
        rest = lines.pop()
        self._held = [rest] if rest else []
        self._held_size = len(rest)
        self._offset = offset + len(chunk) - len(rest)
        values = self._values(lines, offset)
        return itertools.chain(first, values) if first else values

    def _values(self, lines: list[bytes], offset: int) -> Iterator[Any]:
        """The values of `lines`, the first starting at `offset`."""
        loads = jsonlib.loads
        for line in lines:
            text = line.strip()
            if text:
                try:
                    value = loads(text)
                except ValueError as exc:
                    error = _not_json(text, offset, exc)
                    self._stop(error)
                    raise error from exc
                yield value
            offset += len(line) + 1

    def end(self) -> tuple[Any, ...]:
        """The value of the last line, which needs no newline; raises the error that stopped
        the parser."""
        if self._error is not None:
            raise self._error
        held, self._held, self.done = self._held, [], True
        if self._held_size > _LONG_LINE:
            return self._long_line(held, self._offset)[0]
        return tuple(self._values([b"".join(held)], self._offset)) if held else ()

    def _long_line(self, held: list[bytes], offset: int) -> _LongLine:
        try:
            return _long_line(held, offset)
        except StreamError as exc:
            self._stop(exc)
            raise

    def _stop(self, error: StreamError) -> None:
        self.done, self._error = True, error
        self._held, self._held_size = [], 0


def decode_json_lines(chunks: Iterable[bytes]) -> Iterator[Any]:
    """One JSON value per line; blank lines are skipped, a last line needs no newline."""
    return iterate(JSONLinesParser(), chunks)


def json_lines_boundary(data: bytes) -> int:
    """Past the last newline: every line before it has been decoded."""
    return data.rfind(b"\n") + 1


# (the value of a long line, or nothing when it is blank; the bytes after it; its length)
_LongLine = tuple[tuple[Any, ...], bytes, int]


def _long_line(held: list[bytes], offset: int) -> _LongLine:
    """The value of the first line of the held chunks, a long one (none when it is blank),
    the bytes after it and how many bytes it took with its newline.

    Each copy of a long line costs its size again: the chunks are joined once (and let go:
    `held` is emptied), the line decoded to text straight from the joined bytes, which are
    let go before json parses the text (orjson reserves about twelve times the length of a
    long string while it parses one; the values are the same).
    """
    buffer = b"".join(held)
    # The chunks before the last hold no newline: the line ends in the last one, or the body.
    end = buffer.find(b"\n", max(0, len(buffer) - len(held[-1])))
    held.clear()
    end = len(buffer) if end < 0 else end
    try:
        text = str(memoryview(buffer)[:end], "utf-8")
    except UnicodeDecodeError as exc:
        raise _not_json(buffer[: _SHOWN + 1], offset, exc) from exc
    rest = buffer[end + 1 :]
    del buffer
    if not text or text.isspace():
        return (), rest, end + 1
    try:
        value = json.loads(text)  # whitespace around the value is json's to skip
    except ValueError as exc:
        raise _not_json(text[: _SHOWN + 1].encode(), offset, exc) from exc
    del text
    return (value,), rest, end + 1


def _not_json(text: bytes, offset: int, exc: Exception) -> StreamError:
    shown = repr(text[:_SHOWN]) + ("..." if len(text) > _SHOWN else "")
    return StreamError(
        f"the line at byte {offset} is not valid JSON ({exc}): {shown}", offset=offset
    )


SSE = Decoder("sse", SSEParser, boundary=sse_boundary, media_type="text/event-stream")
SSE_EVENTS = Decoder(
    "sse-events",
    functools.partial(SSEParser, named=True),
    boundary=sse_boundary,
    media_type="text/event-stream",
)
JSON_LINES = Decoder("jsonl", JSONLinesParser, boundary=json_lines_boundary)
BYTES = Decoder("bytes", BytesParser, binary=True)
DECODERS = {decoder.name: decoder for decoder in (SSE, SSE_EVENTS, JSON_LINES, BYTES)}


def decoder_named(name: str) -> Decoder:
    try:
        return DECODERS[name]
    except KeyError:
        raise ValueError(
            f"decoder must be one of {', '.join(sorted(DECODERS))}, not {name!r}"
        ) from None
