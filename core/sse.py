"""Server-sent events with JSON data, decoded as the bytes arrive.

The rules are the WHATWG event-stream rules: lines end in CR, LF or CRLF; a blank line ends an
event; ``data:`` lines of one event join with "\\n"; lines starting with ``:`` are comments; a
leading BOM is dropped; an event with no data is not dispatched. On top of them, the OpenAI
conventions: ``[DONE]`` ends the stream, each event's data is JSON, and an error can arrive in
three shapes (a payload with an ``"error"`` key, an ``event: error``, a payload whose ``type``
is ``"error"``), raised as :class:`APIError`.

An event without an ``event:`` field yields its JSON payload; a named event yields
``{"event": name, "data": payload}``.

The hot path: almost every stream is LF-only and almost every event is one ``data: {...}``
line (or ``event:`` then ``data:``). Those are cut out of whole blocks with ``bytes.split`` and
decoded directly. Anything else goes through the full line parser, and a stream that uses CR
switches to it for good.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any, Optional

from . import jsonlib
from .errors import APIError, StreamError

__all__ = ["decode_sse", "sse_boundary", "stream_error_from_payload"]

_BOM = b"\xef\xbb\xbf"
_DONE = b"[DONE]"
_SHOWN = 120  # how much of an offending line an error message shows


class _Done(Exception):
    """Raised inside the decoder when [DONE] arrives."""


def decode_sse(chunks: Iterable[bytes]) -> Iterator[Any]:
    """Yield the events of an SSE body given as byte chunks, each as soon as it is complete."""
    source = iter(chunks)
    head, offset = _skip_bom(source)
    if head:
        source = itertools.chain([head], source)
    held: Optional[list[bytes]] = None  # the start of an event still arriving
    block = b""
    try:
        for chunk in source:
            if b"\r" in chunk:
                yield from _decode_lines(b"".join(held or ()) + chunk, source, offset)
                return
            if held is not None:
                # Join only once a separator is in sight, so one long event that arrives in
                # many chunks is copied once, not once a chunk.
                straddles = chunk[:1] == b"\n" and held[-1][-1:] == b"\n"
                held.append(chunk)
                if not straddles and b"\n\n" not in chunk:
                    continue
                chunk = b"".join(held)
            blocks = chunk.split(b"\n\n")
            loads = jsonlib.loads_for(chunk)
            rest = blocks.pop()
            held = [rest] if rest else None
            for block in blocks:
                if block[:6] == b"data: " and b"\n" not in block:
                    # The common case, "data: {...}" alone, decoded here: this loop runs once
                    # an event, and a call to _item would cost more than the checks it makes.
                    data = block[6:]
                    if data == _DONE:
                        raise _Done
                    if data:  # an empty data field carries nothing to decode
                        payload = loads(data)
                        if payload.__class__ is dict and (
                            payload.get("error") is not None or payload.get("type") == "error"
                        ):
                            raise stream_error_from_payload(payload)
                        yield payload
                else:
                    found = _parse_block(block)
                    if found is not None and found[1]:
                        yield _item(*found)
                offset += len(block) + 2
    except _Done:
        # The stream's own end; what is left of the body is the caller's to finish.
        return
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise _undecodable(block, offset, exc) from exc
    if held is not None:
        # The body ended without a blank line after its last bytes.
        yield from _decode_lines(b"".join(held), source, offset)


def sse_boundary(data: bytes) -> int:
    """The offset just past the last blank line the decoder has acted on once it has read
    ``data``: every event before it has been dispatched, none after it."""
    if b"\r" not in data:
        blank = data.rfind(b"\n\n")
        return blank + 2 if blank >= 0 else 0
    lines = data.splitlines(keepends=True)
    if lines and lines[-1][-1:] != b"\n":
        lines.pop()  # held back by the decoder: no ending yet, or a CR whose LF may follow
    end = position = 0
    for line in lines:
        position += len(line)
        if line in (b"\n", b"\r", b"\r\n"):
            end = position
    return end


def _skip_bom(source: Iterator[bytes]) -> tuple[bytes, int]:
    """The first bytes of the body without a leading BOM, and the offset they start at."""
    head = b""
    while len(head) < len(_BOM) and _BOM.startswith(head):
        chunk = next(source, None)
        if chunk is None:
            break
        head += chunk
    if head.startswith(_BOM):
        return head[len(_BOM) :], len(_BOM)
    return head, 0


def _parse_block(block: bytes) -> Optional[tuple[Optional[str], bytes]]:
    """The (event name, data) of one LF-separated block, or None when it carries no data."""
    # The common named event, "event: x\ndata: {...}", without a loop.
    if block[:7] == b"event: ":
        newline = block.find(b"\n")
        if block[newline + 1 : newline + 7] == b"data: " and block.find(b"\n", newline + 1) < 0:
            return block[7:newline].decode(), block[newline + 7 :]
    fields = _Fields()
    for line in block.split(b"\n"):
        fields.add(line)
    return fields.dispatch()


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


def _item(event: Optional[str], data: bytes) -> Any:
    """What one event with data yields; raises _Done at [DONE] and the API's error for an
    error event."""
    if data == _DONE:
        raise _Done
    payload = jsonlib.loads(data)
    if event == "error" or (
        payload.__class__ is dict
        and (payload.get("error") is not None or payload.get("type") == "error")
    ):
        raise stream_error_from_payload(payload)
    return payload if event is None else {"event": event, "data": payload}


def _decode_lines(buffer: bytes, source: Iterator[bytes], offset: int) -> Iterator[Any]:
    """The full parser, line by line: for streams that use CR or CRLF line endings, and for
    the last bytes of a body that did not end with a blank line."""
    fields = _Fields()
    line = data = b""
    start = offset  # where the event being read starts
    try:
        # The buffer first, on its own: every event it completes leaves before the next chunk
        # is asked for (a DataStream's kept bytes are cut on that promise).
        for chunk in itertools.chain([b""], source, [None]):
            final = chunk is None
            lines = (buffer + chunk if chunk else buffer).splitlines(keepends=True)
            # Keep the last line back while it may be incomplete: no line ending yet, or a CR
            # whose LF is still on its way.
            buffer = lines.pop() if lines and not final and lines[-1][-1:] != b"\n" else b""
            for line in lines:
                offset += len(line)
                content = line.rstrip(b"\r\n")
                if content:
                    fields.add(content)
                    continue
                found = fields.dispatch()
                if found is not None and found[1]:
                    data = found[1]
                    yield _item(*found)
                start = offset
        if line[-1:] not in (b"\r", b"\n", b""):
            cut = offset - len(line)
            raise StreamError(
                f"the stream ended in the middle of a line at byte {cut}: {_shown(line)}",
                offset=cut,
            )
        # Complete lines with no blank line after them: a lenient server's last event.
        found = fields.dispatch()
        if found is not None and found[1]:
            data = found[1]
            yield _item(*found)
    except _Done:
        return
    except ValueError as exc:
        raise _undecodable(data, start, exc) from exc


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
    try:
        line.decode()
        reason = "is not valid JSON"
    except UnicodeDecodeError:
        reason = "is not valid UTF-8"
    return StreamError(f"an event at byte {offset} {reason} ({exc}): {_shown(line)}", offset=offset)


def _shown(line: bytes) -> str:
    text = repr(line[:_SHOWN])
    return text + ("..." if len(line) > _SHOWN else "")
