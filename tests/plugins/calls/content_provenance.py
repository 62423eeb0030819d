"""The call of the ``content_provenance_checks`` resource: a file uploaded as a form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.plugins.calls import Call

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

VOICE = b"ID3" + bytes(64)


def _checked(client: Any, tmp: Path) -> Any:
    image = tmp / "otter.png"
    image.write_bytes(PNG)
    return client.content_provenance_checks.create(image)


CALLS = {
    "content_provenance_checks.create": Call(_checked, "POST /content_provenance_checks", tmp=True),
    "content_provenance_checks.create (bytes)": Call(
        lambda c: c.content_provenance_checks.create(("voice.mp3", VOICE, "audio/mpeg")),
        "POST /content_provenance_checks",
    ),
}
