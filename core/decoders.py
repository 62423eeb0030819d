"""Decoders turn a body's byte chunks into the items a DataStream yields.

- ``sse``: server-sent events with JSON data, each event's payload (chat, completions, audio);
- ``sse-events``: the same events as ``{"event": name, "data": payload}``, named by their
  ``event:`` field or else their payload's ``type`` (responses, assistants runs);
- ``jsonl``: JSON Lines (batch output, file content), one value a line;
- ``bytes``: the raw chunks as they arrive (audio speech, file downloads).

A decoder is a generator function over the chunks, so each item leaves as soon as its bytes
are in; it raises StreamError for bytes it cannot decode. A text decoder also says where the
items end in a run of bytes (``boundary``), so a DataStream can let go of the oldest bytes it
keeps without cutting an item in two.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import jsonlib
from .errors import StreamError
from .sse import decode_sse, decode_sse_events, sse_boundary

__all__ = ["BYTES", "DECODERS", "JSON_LINES", "SSE", "SSE_EVENTS", "Decoder", "decoder_named"]

_LONG_LINE = 1 << 20  # a JSON line held this long is read by _long_line
_SHOWN = 120  # how much of an offending line an error message shows


@dataclass(frozen=True)
class Decoder:
    """A named way to decode a body. ``binary`` decoders yield bytes, and a DataStream's
    ``next_value`` then returns up to ``num`` bytes instead of a list of ``num`` items.

    ``boundary(data)`` is the offset just past the last item that ``decode`` has yielded once
    it has read ``data`` (0 when none): bytes before it hold whole items only, and decoding
    may start again there. A decoder without one is never cut.

    ``media_type`` is the content type a body for it must have, when it needs one (an SSE
    decoder reads nothing in a JSON or HTML body).
    """

    name: str
    decode: Callable[[Iterable[bytes]], Iterator[Any]]
    binary: bool = False
    boundary: Optional[Callable[[bytes], int]] = None
    media_type: Optional[str] = None


def decode_bytes(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks themselves, skipping empty ones."""
    for chunk in chunks:
        if chunk:
            yield chunk


def decode_json_lines(chunks: Iterable[bytes]) -> Iterator[Any]:
    """One JSON value per line; blank lines are skipped, a last line needs no newline."""
    held: list[bytes] = []
    held_size = 0
    offset = 0
    for chunk in chunks:
        held.append(chunk)
        held_size += len(chunk)
        if b"\n" not in chunk:
            continue
        if held_size - len(chunk) > _LONG_LINE:
            chunk, used = yield from _long_line(held, offset)
            offset += used
        else:
            chunk = b"".join(held)
        lines = chunk.split(b"\n")
        rest = lines.pop()
        held = [rest] if rest else []
        held_size = len(rest)
        for line in lines:
            yield from _json_line(line, offset)
            offset += len(line) + 1
    if held_size > _LONG_LINE:
        yield from _long_line(held, offset)
    elif held:
        yield from _json_line(b"".join(held), offset)


def json_lines_boundary(data: bytes) -> int:
    """Past the last newline: every line before it has been decoded."""
    return data.rfind(b"\n") + 1


def _json_line(line: bytes, offset: int) -> Iterator[Any]:
    text = line.strip()
    if not text:
        return
    try:
        yield jsonlib.loads(text)
    except ValueError as exc:
        raise _not_json(text, offset, exc) from exc


def _long_line(held: list[bytes], offset: int) -> Generator[Any, None, tuple[bytes, int]]:
    """Yield the value of the first line of the held chunks, a long one; return the bytes
    after it and how many bytes it took with its newline.

    Each copy of a long line costs its size again: the chunks are joined once (and let go:
    ``held`` is emptied), the line decoded to text straight from the joined bytes, which are
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
    if text and not text.isspace():
        try:
            value = json.loads(text)  # whitespace around the value is json's to skip
        except ValueError as exc:
            raise _not_json(text[: _SHOWN + 1].encode(), offset, exc) from exc
        del text
        yield value
    return rest, end + 1


def _not_json(text: bytes, offset: int, exc: Exception) -> StreamError:
    shown = repr(text[:_SHOWN]) + ("..." if len(text) > _SHOWN else "")
    return StreamError(
        f"the line at byte {offset} is not valid JSON ({exc}): {shown}", offset=offset
    )


SSE = Decoder("sse", decode_sse, boundary=sse_boundary, media_type="text/event-stream")
SSE_EVENTS = Decoder(
    "sse-events", decode_sse_events, boundary=sse_boundary, media_type="text/event-stream"
)
JSON_LINES = Decoder("jsonl", decode_json_lines, boundary=json_lines_boundary)
BYTES = Decoder("bytes", decode_bytes, binary=True)
DECODERS = {decoder.name: decoder for decoder in (SSE, SSE_EVENTS, JSON_LINES, BYTES)}


def decoder_named(name: str) -> Decoder:
    try:
        return DECODERS[name]
    except KeyError:
        raise ValueError(
            f"decoder must be one of {', '.join(sorted(DECODERS))}, not {name!r}"
        ) from None
