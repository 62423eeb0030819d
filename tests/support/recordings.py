"""Loading the recorded API interactions in tests/fixtures/recordings (see its README)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"
# The recorded answer the examples' chat cassette was made from (see examples/recorded).
EXAMPLE_JOKE = ROOT.parents[2] / "examples" / "recorded" / "chat_joke.sse"


def load(name: str) -> dict[str, Any]:
    """A recording by its path under the recordings folder, without ``.json``."""
    return json.loads((ROOT / f"{name}.json").read_text(encoding="utf-8"))


def body(name_or_recording: Any) -> bytes:
    recording = load(name_or_recording) if isinstance(name_or_recording, str) else name_or_recording
    response = recording["response"]
    if "body_base64" in response:
        return base64.b64decode(response["body_base64"])
    return response["body_text"].encode("utf-8")


def sse_names() -> list[str]:
    """Every recording whose body is server-sent events."""
    names = []
    for path in sorted(ROOT.glob("*/*.json")):
        if "sse_check" in json.loads(path.read_text(encoding="utf-8")):
            names.append(f"{path.parent.name}/{path.stem}")
    return names


def reference_events(raw: bytes) -> list[tuple[str, str]]:
    """A deliberately plain second parser, to check the real one against: (event name,
    data) for every event, by normalising line endings and splitting on blank lines."""
    text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    events = []
    for block in text.split("\n\n"):
        name, data = "", []
        for line in block.split("\n"):
            if line.startswith(":") or not line:
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                name = value
        if data:
            events.append((name, "\n".join(data)))
    return events


def chat_text(chunks: Any) -> str:
    """The content of the first choice of streamed chat.completion.chunk dicts, joined."""
    return "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)


def example_joke() -> str:
    """The answer in examples/recorded/chat_joke.sse, by the reference parser."""
    events = reference_events(EXAMPLE_JOKE.read_bytes())
    return chat_text(json.loads(data) for _, data in events if data != "[DONE]")


def reference_items(raw: bytes, named: bool = False) -> tuple[list[Any], bool]:
    """What a stream of ``raw`` must yield, by the reference parser and the OpenAI rules on
    top of it: each event's JSON payload (``named``: ``{"event": name, "data": payload}``,
    the name the ``event:`` field or else the payload's ``type``) until ``[DONE]`` or an
    error event; and whether the stream ends in that error."""
    items: list[Any] = []
    for name, data in reference_events(raw):
        if data == "[DONE]":
            return items, False
        payload = json.loads(data)
        kind = payload.get("type") if isinstance(payload, dict) else None
        if (
            name == "error"
            or kind == "error"
            or (isinstance(payload, dict) and payload.get("error") is not None)
        ):
            return items, True
        items.append({"event": name or kind, "data": payload} if named else payload)
    return items, False
