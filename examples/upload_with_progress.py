"""Upload a file with a progress report. The file is read from disk as it is sent, so a file
of gigabytes costs no more memory than a small one; names need not be ASCII.

Runs offline against ``cassettes/upload_with_progress.json`` (a real upload of "你好.txt").
Live, set OPENAI_API_KEY and pass ``--live``.

    python examples/upload_with_progress.py    # writes 你好.txt here, then uploads it
"""

from __future__ import annotations

import sys
from pathlib import Path

import openaistream

CASSETTE = Path(__file__).parent / "cassettes" / "upload_with_progress.json"


def run(client: openaistream.OpenAI) -> None:
    path = Path("你好.txt")
    path.write_text("Hello from openaistream, 你好!\n", encoding="utf-8")
    total = path.stat().st_size
    sent = 0

    def progress(n: int) -> None:
        nonlocal sent
        sent += n
        print(f"\ruploading {path.name}: {sent}/{total} bytes", end="", flush=True)

    uploaded = client.files.upload(path, "assistants", progress=progress)
    print(f"\n{uploaded['id']}: {uploaded['filename']}, {uploaded['status']}")


if __name__ == "__main__":
    # Replayed from the cassette, no key needed; with --live, the API (set OPENAI_API_KEY).
    with openaistream.OpenAI(cassette=None if "--live" in sys.argv else CASSETTE) as client:
        run(client)
