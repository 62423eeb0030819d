"""Server-sent events with JSON data, decoded as the bytes arrive.

The rules are the WHATWG event-stream rules: lines end in CR, LF or CRLF; a blank line ends an
event; `data:` lines of one event join with "\\n"; lines starting with `:` are comments; a
leading BOM is dropped; an event with no data is not dispatched. On top of them, the OpenAI
conventions: `[DONE]` ends the stream, each event's data is JSON, and an error can arrive in
three shapes (a payload with an `"error"` key, an `event: error`, a payload whose `type`
is `"error"`), raised as [`APIError`][openaistream.errors.APIError].

The decoding is `SSEParser`, the push form of `parsing`: fed the body's chunks by
whoever reads them (a blocking loop, an `async for`), it returns the events they complete.
`decode_sse()` and `decode_sse_events()` are the same as generators over chunks.

Two shapes, chosen by the caller, never by the stream: `decode_sse` (`SSEParser()`)
yields each event's JSON payload; `decode_sse_events` (`SSEParser(named=True)`) yields
`{"event": name, "data": payload}`, the name being the event's `event:` field or, when it
has none, the payload's `"type"` (None when neither). Servers differ on `event:` lines (the
OpenAI API names every Responses event, the LiteLLM proxy none), and the payload's `type`
carries the same name either way.

The hot path: almost every stream is LF-only and almost every event is one `data: {...}`
line (or `event:` then `data:`). A chunk that is one such event, as most servers send them,
is decoded at once, without a generator. A read of many events that holds nothing but
`data:` lines (a Content-Length body) is cut at `\n\ndata: ` in one split, which hands out
the values themselves; anything else is cut at blank lines and read line by line. A stream
that uses CR switches for good to a loop that finds the ends of its events with a regular
expression; both loops join the bytes of an event once, when its end is in sight, so decoding
is linear in the body whatever its line endings. An event longer than 1 MiB is read without
copies of itself: see `_take_long()`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Callable, Optional

from . import jsonlib
from .errors import APIError, StreamError
from .parsing import iterate

__all__ = [
    "SSEParser",
    "decode_sse",
    "decode_sse_events",
    "sse_boundary",
    "stream_error_from_payload",
]

_BOM = b"\xef\xbb\xbf"
_DONE = b"[DONE]"
_SHOWN = 120  # how much of an offending line an error message shows
# An event this long (its bytes held before its end arrives) is read by _take_long.
_LONG = 1 << 20
# A line ending and then an empty line: where an event ends. A CR followed by LF is one
# ending, never a CR ending and an empty line; a CR at the end of the bytes counts at once
# (the LF that may follow it is then an empty line, which dispatches nothing).
_BLANK_LINE = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r|\n)")

# (start, end) of the first blank line in the bytes, from a position before it on.
Blank = Callable[[bytes, int], "tuple[int, int]"]


class _Done(Exception):
    """Raised inside the parser when [DONE] arrives."""


def decode_sse(chunks: Iterable[bytes]) -> Iterator[Any]:
    """Yield the JSON payload of each event of an SSE body given as byte chunks, each as soon
    as it is complete. An `event:` name does not change what is yielded."""
    return iterate(SSEParser(), chunks)


def decode_sse_events(chunks: Iterable[bytes]) -> Iterator[Any]:
    """Yield `{"event": name, "data": payload}` for each event of an SSE body, each as soon
    as it is complete: the name is the `event:` field, else the payload's `"type"`."""
    return iterate(SSEParser(named=True), chunks)


class SSEParser:
    """The push form of the SSE decoders (see `parsing`): `feed` the body's chunks, get
    back the events they complete; `named` chooses the shape of the items.

    `feed` cuts what it is given into blocks at once and holds the start of an event still
    arriving; the events of a run of blocks are decoded as the caller takes them, so a chunk
    of hundreds of events never holds them all at once. The offset of any bytes that end
    where the bytes fed so far end is `fed` less their length: error messages name it.
    """

    __slots__ = ("_cr", "_error", "_fed", "_head", "_held", "_held_size", "_named", "_plain",
                 "_tail", "done")  # fmt: skip

    def __init__(self, named: bool = False) -> None:
        self.done = False
        self._named = named
        self._error: Optional[APIError] = None  # what stopped the parser, if not [DONE]
        self._head: Optional[bytes] = b""  # the first bytes, until a BOM is ruled out
        self._cr = False  # the stream has used CR: the CR loop reads it from then on
        self._plain = False  # the LF loop reads the next chunk, unless it holds a CR
        self._fed = 0  # bytes of the body fed so far
        self._held: list[bytes] = []  # the start of an event still arriving
        self._held_size = 0
        self._tail = b""  # for the CR loop: the last two bytes held

    def feed(self, chunk: bytes) -> Iterable[Any]:
        """The events the bytes so far complete; take them all before feeding more."""
        # find(), not "in": for bytes, "in" first tries its operand as an integer, and the
        # TypeError it makes and drops costs more than the search (0.2 us against 0.1 us).
        if not self._plain or chunk.find(b"\r") >= 0:
            return self._feed_other(chunk)
        self._fed += len(chunk)
        if self._held:
            return self._feed_held(chunk)
        # The hot path: nothing held, a chunk of whole events (most often one).
        first = chunk.find(b"\n")
        end = len(chunk) - 2
        if first == end and chunk[-1] == 10 and chunk[:6] == b"data: ":
            # One chunk an event, as most streams send them: "data: {...}" decoded here and
            # now, as _data_events would, without a generator or a call.
            data = chunk[6:end]
            if data and data != _DONE:
                try:
                    payload = jsonlib.loads_for(data)(data)
                except ValueError:  # orjson may refuse what json takes: json decides
                    payload = self._json_decides(data, chunk[:end], self._fed - len(chunk))
                if (
                    payload.__class__ is dict
                    and ("error" in payload or "type" in payload)  # most events stop here
                    and _is_error(payload)
                ):
                    error = stream_error_from_payload(payload)
                    raise self._failed(error, chunk[:end], self._fed - len(chunk))
                return (_named(None, payload) if self._named else payload,)
        return self._cut(chunk, self._fed - len(chunk))

    def _cut(self, buffer: bytes, origin: int) -> Iterable[Any]:
        """The events of `buffer`, the bytes from `origin` on, up to its last blank line;
        the bytes after that are held for the next chunk."""
        end = buffer.rfind(b"\n\n")
        rest = buffer[end + 2 :] if end >= 0 else buffer
        if rest:
            self._held = [rest]
            self._held_size = len(rest)
        return self._events(buffer[:end], origin) if end >= 0 else ()

    def _events(self, whole: bytes, origin: int) -> Iterator[Any]:
        """The events of `whole`, complete events joined by blank lines (at `origin`)."""
        loads = jsonlib.loads_for(whole)
        if whole[:6] == b"data: ":
            # Most bodies are nothing but "data: {...}" lines: cut at the blank line and the
            # field name at once, their values need no slicing; one search of their bytes
            # together makes sure no value holds another line.
            values = whole.split(b"\n\ndata: ")
            values[0] = values[0][6:]
            if b"".join(values).find(b"\n") < 0:
                return self._data_events(values, loads, origin)
        return self._lf_events(whole.split(b"\n\n"), loads, origin)

    def _feed_held(self, chunk: bytes) -> Iterable[Any]:
        """A chunk after the start of an event: held until an event ends in it, then joined
        (once, so a long event arriving in many chunks is copied once, not once a chunk)."""
        held = self._held
        if not chunk:
            return ()  # held[-1] stays the last byte seen, for the check below
        straddles = chunk[:1] == b"\n" and held[-1][-1:] == b"\n"
        held.append(chunk)
        self._held_size += len(chunk)
        if not straddles and chunk.find(b"\n\n") < 0:
            return ()
        first: Iterable[Any] = ()  # a long event, decoded before the blocks after it
        if self._held_size - len(chunk) > _LONG:
            first, buffer = self._long_event(_lf_blank)
        else:
            buffer = b"".join(held)
        self._held, self._held_size = [], 0
        if self.done:
            return first
        events = self._cut(buffer, self._fed - len(buffer))
        return itertools.chain(first, events) if first else events

    def _json_decides(self, data: bytes, block: bytes, offset: int) -> Any:
        """json's value for `data`, which orjson refused, or its error, stopping here."""
        try:
            return jsonlib.stdlib_loads(data)
        except ValueError as exc:
            raise self._failed(exc, block, offset) from exc

    def _data_events(
        self, values: list[bytes], loads: Callable[[bytes], Any], origin: int
    ) -> Iterator[Any]:
        """The events of `values`, the values of single "data:" lines cut from `origin`."""
        named = self._named
        data = b""
        try:
            for data in values:
                try:
                    payload = loads(data)
                except ValueError:  # rarely: [DONE], an empty value, what orjson refuses
                    if data == _DONE:
                        raise _Done from None
                    if not data:
                        continue  # an empty data field carries nothing to decode
                    payload = jsonlib.stdlib_loads(data)  # json decides
                if (
                    payload.__class__ is dict
                    and ("error" in payload or "type" in payload)  # most events stop here
                    and _is_error(payload)
                ):
                    raise stream_error_from_payload(payload)
                yield _named(None, payload) if named else payload
        except _Done:
            self._stop(None)
        except (APIError, ValueError) as exc:  # ValueError: JSONDecodeError, UnicodeDecodeError
            offset = _offset_of(data, values, origin, len(b"\n\ndata: "))
            raise self._failed(exc, b"data: " + data, offset)  # noqa: B904 - _failed chains it

    def _lf_events(
        self, blocks: list[bytes], loads: Callable[[bytes], Any], origin: int
    ) -> Iterator[Any]:
        """The events of `blocks`, cut at LF LF from bytes at `origin`."""
        named = self._named
        block = b""
        try:
            for block in blocks:
                found = _parse_block(block)
                if found is None or not found[1]:
                    continue
                event, data = found
                if data == _DONE:
                    raise _Done
                try:
                    payload = loads(data)
                except ValueError:  # orjson may refuse what json takes: json decides
                    payload = jsonlib.stdlib_loads(data)
                yield _shaped(event, payload, named)
        except _Done:
            self._stop(None)
        except (APIError, ValueError) as exc:  # ValueError: JSONDecodeError, UnicodeDecodeError
            offset = _offset_of(block, blocks, origin, len(b"\n\n"))
            raise self._failed(exc, block, offset)  # noqa: B904 - _failed chains it

    def end(self) -> tuple[Any, ...]:
        """The body is over: its last event, when its last bytes are whole lines without the
        blank line after them; raises the error that stopped the parser, or a StreamError
        for a body cut in the middle of a line."""
        if self._error is not None:
            raise self._error
        if self.done:
            return ()
        if self._head is not None:  # the body was shorter than a BOM, or empty
            self._held = [self._head] if self._head else []
            self._fed = len(self._head)
            self._head = None
        held = self._held
        self._stop(None)
        if not held:
            return ()
        block = b"".join(held)
        offset = self._fed - len(block)
        try:
            found = _last_event(block, offset)
            return (_item(*found, self._named),) if found is not None and found[1] else ()
        except _Done:
            return ()
        except (APIError, ValueError) as exc:
            raise self._failed(exc, block, offset)  # noqa: B904 - _failed chains it

    def _feed_other(self, chunk: bytes) -> Iterable[Any]:
        """A chunk the LF loop does not read: at the start, after the end, or one of a stream
        that uses CR."""
        if self._error is not None:
            raise self._error
        if self.done or not chunk:
            return ()  # bytes after [DONE] are not decoded
        if self._head is not None:
            head = self._head + chunk
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._head = head
                return ()  # a BOM may still be arriving
            self._head = None
            if head.startswith(_BOM):
                head = head[len(_BOM) :]
                self._fed = len(_BOM)
            self._plain = True
            chunk = head
            if not chunk:
                return ()
        if chunk.find(b"\r") < 0 and not self._cr:
            return self.feed(chunk)
        if not self._cr:
            self._cr, self._plain = True, False
            self._tail = b"".join(self._held[-2:])[-2:]  # a blank line may start there
        self._fed += len(chunk)
        return self._feed_cr(chunk)

    def _feed_cr(self, chunk: bytes) -> Iterable[Any]:
        """The events a chunk of a stream that uses CR completes, found by a regular
        expression, so a CR ends a line at once (a DataStream's kept bytes are cut on that
        promise)."""
        held = self._held
        tail = self._tail
        straddles = tail + chunk[:2]
        self._tail = (tail + chunk)[-2:] if len(chunk) < 2 else chunk[-2:]
        held.append(chunk)
        self._held_size += len(chunk)
        if (b"\n" not in chunk and b"\r" not in chunk) or not (
            _BLANK_LINE.search(chunk) or _BLANK_LINE.search(straddles)
        ):
            return ()  # no event ends in this chunk
        first: Iterable[Any] = ()
        if self._held_size - len(chunk) > _LONG:
            first, buffer = self._long_event(_cr_blank)
        else:
            buffer = b"".join(held)
        spans = [match.span() for match in _BLANK_LINE.finditer(buffer)]
        rest = buffer[spans[-1][1] :] if spans else buffer
        self._held = [rest] if rest else []
        self._held_size = len(rest)
        self._tail = rest[-2:]
        if not spans or self.done:
            return first
        events = self._cr_events(buffer, spans)
        return itertools.chain(first, events) if first else events

    def _cr_events(self, buffer: bytes, spans: list[tuple[int, int]]) -> Iterator[Any]:
        """The events of `buffer`, each ended by a blank line at one of `spans`."""
        origin = self._fed - len(buffer)
        named = self._named
        start = 0
        block = b""
        try:
            for blank, after in spans:
                block = buffer[start:blank]
                found = _parse_block(_lf(block) if b"\r" in block else block)
                if found is not None and found[1]:
                    yield _item(*found, named)
                start = after
        except _Done:
            self._stop(None)
        except (APIError, ValueError) as exc:
            raise self._failed(exc, block, origin + start)  # noqa: B904 - _failed chains it

    def _long_event(self, blank: Blank) -> tuple[tuple[Any, ...], bytes]:
        """The first event of the held bytes, a long one: (what it yields, the bytes after
        it). See `_take_long()`.

        Its text is parsed by json, whatever jsonlib would choose: the values are the same,
        and orjson reserves about twelve times the length of a long string while it parses
        one. No name here holds the text once it is parsed.
        """
        offset = self._fed - self._held_size
        try:
            event, text, rest = _take_long(self._held, blank, offset)
            if not text:
                return (), rest
            if text == "[DONE]":
                raise _Done
            try:
                payload = json.loads(text)
            except ValueError as exc:
                raise _undecodable(text[: _SHOWN + 1].encode(), offset, exc) from exc
            del text
            return (_shaped(event, payload, self._named),), rest
        except _Done:
            self._stop(None)
            return (), b""
        except APIError as exc:
            raise self._failed(exc, b"", offset)  # noqa: B904 - it is the error itself

    def _failed(self, exc: Exception, block: bytes, offset: int) -> APIError:
        """Stop on `exc`, raised while decoding `block` at `offset`: the error to raise,
        which `end` and `feed` raise again if they are called."""
        if isinstance(exc, APIError):
            error = exc
        else:
            error = _undecodable(block, offset, exc)
            error.__cause__ = exc
        self._stop(error)
        return error

    def _stop(self, error: Optional[APIError]) -> None:
        """Decode nothing more: [DONE] arrived (no error), or `error` did."""
        self.done = True
        self._error = error
        self._held, self._held_size, self._plain = [], 0, False


def _offset_of(part: bytes, parts: list[bytes], start: int, separator: int) -> int:
    """Where the event of `part`, one of `parts`, is in the body: the parts were cut from
    bytes at offset `start`, each event taking its part's length and `separator` bytes.
    Counted when an error needs it, not an event at a time. Found by identity: a part an
    error comes from holds data, so it is its own object (only the empty and one-byte bytes
    are shared, and an equal one before it would have failed first)."""
    for other in parts:
        if other is part:
            return start
        start += len(other) + separator
    return start


def sse_boundary(data: bytes) -> int:
    """The offset just past the last blank line the decoder has acted on once it has read
    `data`: every event before it has been dispatched, none after it."""
    if b"\r" not in data:
        blank = data.rfind(b"\n\n")
    else:
        # A line ending and an empty line: LF LF, CR CR or LF CR (CR LF is one ending). The
        # decoder acts on a CR at once, so a blank line ends at its CR, even if LF follows.
        blank = max(data.rfind(b"\n\n"), data.rfind(b"\r\r"), data.rfind(b"\n\r"))
    return blank + 2 if blank >= 0 else 0


def _lf(block: bytes) -> bytes:
    """A block with its line endings made LF (within a block, line endings only end lines)."""
    return block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _parse_block(block: bytes) -> Optional[tuple[Optional[str], bytes]]:
    """The (event name, data) of one LF-separated block, or None when it carries no data."""
    if block[:6] == b"data: " and block.find(b"\n") < 0:
        return None, block[6:]
    # The common named event, "event: x\ndata: {...}", without a loop.
    if block[:7] == b"event: ":
        newline = block.find(b"\n")
        if block[newline + 1 : newline + 7] == b"data: " and block.find(b"\n", newline + 1) < 0:
            return block[7:newline].decode(), block[newline + 7 :]
    fields = _Fields()
    for line in block.split(b"\n"):
        fields.add(line)
    return fields.dispatch()


def _last_event(rest: bytes, offset: int) -> Optional[tuple[Optional[str], bytes]]:
    """The event in the last bytes of a body that did not end with a blank line: complete
    lines are an event (a lenient server's last one); a line cut short is a StreamError."""
    if rest[-1:] not in (b"\n", b"\r"):
        start = max(rest.rfind(b"\n"), rest.rfind(b"\r")) + 1
        raise StreamError(
            f"the stream ended in the middle of a line at byte {offset + start}: "
            f"{_shown(rest[start:])}",
            offset=offset + start,
        )
    return _parse_block(_lf(rest))


class _Fields:
    """The fields of the event being read, line by line, by the WHATWG rules."""

    __slots__ = ("data", "event")

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.event = b""

    def add(self, line: bytes) -> None:
        if not line or line[:1] == b":":
            return
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self.data.append(value)
        elif name == b"event":
            self.event = value
        # "id" and "retry" steer reconnection, which a one-shot API call does not do;
        # any other field is ignored, as the rules say.

    def dispatch(self) -> Optional[tuple[Optional[str], bytes]]:
        data, event = self.data, self.event
        self.data, self.event = [], b""
        if not data:
            return None
        return (event.decode() or None), b"\n".join(data)


def _item(event: Optional[str], data: bytes, named: bool) -> Any:
    """What one event with data yields; raises _Done at [DONE] and the API's error for an
    error event."""
    if data == _DONE:
        raise _Done
    return _shaped(event, jsonlib.loads(data), named)


def _shaped(event: Optional[str], payload: Any, named: bool) -> Any:
    if event == "error" or (
        payload.__class__ is dict
        and (payload.get("error") is not None or payload.get("type") == "error")
    ):
        raise stream_error_from_payload(payload)
    return _named(event, payload) if named else payload


def _is_error(payload: dict[str, Any]) -> bool:
    """Whether a payload is the API's error: an `"error"` that is not null, or a `"type"`
    of `"error"`. The hot path calls it only for a payload with either key: two lookups,
    where most events stop, cost less than the two calls of `get`."""
    return payload.get("error") is not None or payload.get("type") == "error"


def _named(event: Optional[str], payload: Any) -> dict[str, Any]:
    """The item of a named stream: the event's name, else the payload's type."""
    if event is None and payload.__class__ is dict:
        kind = payload.get("type")
        event = kind if isinstance(kind, str) else None
    return {"event": event, "data": payload}


# -- long events ------------------------------------------------------------------------------


def _lf_blank(buffer: bytes, since: int) -> tuple[int, int]:
    start = buffer.find(b"\n\n", since)
    return start, start + 2


def _cr_blank(buffer: bytes, since: int) -> tuple[int, int]:
    match = _BLANK_LINE.search(buffer, since)
    assert match is not None  # the caller saw it
    return match.span()


def _take_long(
    held: list[bytes], blank: Blank, offset: int
) -> tuple[Optional[str], Optional[str], bytes]:
    """The first event of the held chunks, a long one: (its name, its data as text or None
    when it has none, the bytes after it).

    Each copy of a long event costs its size again, so this one makes as few as it can: the
    chunks are joined (and let go: `held` is emptied) and the data is decoded to text
    straight from the joined bytes, which are let go before the caller parses the text.
    Memory peaks at twice the event, and at the text and the parsed value after.
    """
    buffer = b"".join(held)
    # The chunks before the last hold no blank line, or it would have been acted on: only
    # their last bytes can start the one that ends this event.
    end, after = blank(buffer, max(0, len(buffer) - len(held[-1]) - 3))
    held.clear()
    event, spans = _field_spans(buffer, end)
    text = None
    if spans:
        view = memoryview(buffer)
        if len(spans) == 1:
            data: Any = view[spans[0][0] : spans[0][1]]
        else:
            data = b"\n".join([view[start:stop] for start, stop in spans])
        try:
            text = str(data, "utf-8")
        except UnicodeDecodeError as exc:
            raise _undecodable(bytes(data[: _SHOWN + 1]), offset, exc) from exc
    try:
        name = event.decode() or None
    except UnicodeDecodeError as exc:
        raise _undecodable(event, offset, exc) from exc
    return name, text, buffer[after:]


def _field_spans(buffer: bytes, end: int) -> tuple[bytes, list[tuple[int, int]]]:
    """The `event:` value and the (start, stop) of each `data:` value in `buffer[:end]`,
    one event's lines, by the same rules as `_Fields`, without copying the lines."""
    event = b""
    spans = []
    for start, stop in _line_spans(buffer, end):
        if start == stop or buffer[start : start + 1] == b":":
            continue
        colon = buffer.find(b":", start, stop)
        name_end, value = (stop, stop) if colon < 0 else (colon, colon + 1)
        if value < stop and buffer[value : value + 1] == b" ":
            value += 1
        name = buffer[start:name_end] if name_end - start <= 5 else b""  # "data", "event"
        if name == b"data":
            spans.append((value, stop))
        elif name == b"event":
            event = buffer[value:stop]
    return event, spans


def _line_spans(buffer: bytes, end: int) -> Iterator[tuple[int, int]]:
    """The (start, stop) of each line of `buffer[:end]`, whatever its line ending."""
    start = 0
    lf = _found(buffer.find(b"\n", 0, end), end)
    cr = _found(buffer.find(b"\r", 0, end), end)
    while True:
        stop = min(lf, cr)
        yield start, stop
        if stop >= end:
            return
        start = stop + 2 if stop == cr and lf == cr + 1 else stop + 1
        # Each ending is searched for once past the last one found: linear in the block.
        if lf < start:
            lf = _found(buffer.find(b"\n", start, end), end)
        if cr < start:
            cr = _found(buffer.find(b"\r", start, end), end)


def _found(position: int, end: int) -> int:
    return end if position < 0 else position


# -- errors -----------------------------------------------------------------------------------


def stream_error_from_payload(payload: Any) -> APIError:
    """The APIError an error event carries: the API's message, code and type."""
    details = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(details, dict):
        details = payload if isinstance(payload, dict) else {"message": str(payload)}
    code = details.get("code")
    kind = details.get("type")
    return APIError(
        str(details.get("message") or "the API sent an error in the stream"),
        code=None if code is None else str(code),
        type=None if kind is None or kind == "error" else str(kind),
        body=payload,
    )


def _undecodable(line: bytes, offset: int, exc: Exception) -> StreamError:
    reason = "is not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else "is not valid JSON"
    return StreamError(f"an event at byte {offset} {reason} ({exc}): {_shown(line)}", offset=offset)


def _shown(line: bytes) -> str:
    text = repr(line[:_SHOWN])
    return text + ("..." if len(line) > _SHOWN else "")
