"""Speak a sentence into an MP3 file, written as the audio arrives (never whole in memory).
A download that fails leaves no partial file under the name.

Runs offline against ``cassettes/audio_speech.json`` (real gpt-4o-mini-tts audio). Live, set
OPENAI_API_KEY and pass ``--live``.

    python examples/audio_speech.py            # writes speech.mp3 here
"""

from __future__ import annotations

import sys
from pathlib import Path

import openaistream

CASSETTE = Path(__file__).parent / "cassettes" / "audio_speech.json"


def run(client: openaistream.OpenAI) -> None:
    stream = client.audio.speech(
        "Hello, world!", "gpt-4o-mini-tts", "alloy", stream=True, response_format="mp3"
    )
    with stream:
        written = stream.write_to("speech.mp3")
    print(f"speech.mp3: {written} bytes of {stream.headers.get('content-type')}")


if __name__ == "__main__":
    # Replayed from the cassette, no key needed; with --live, the API (set OPENAI_API_KEY).
    with openaistream.OpenAI(cassette=None if "--live" in sys.argv else CASSETTE) as client:
        run(client)
