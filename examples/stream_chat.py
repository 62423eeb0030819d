"""Stream a chat completion and print the answer as it arrives.

Runs offline: the client replays ``cassettes/chat_joke.json``, a real answer recorded once.
To ask the real API instead, set OPENAI_API_KEY and run it with ``--live``.

    python examples/stream_chat.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import openaistream

CASSETTE = Path(__file__).parent / "cassettes" / "chat_joke.json"


def run(client: openaistream.OpenAI) -> None:
    messages = [{"role": "user", "content": "Tell me a joke about opentelemetry"}]
    with client.chat.create(messages, "gpt-3.5-turbo", stream=True) as stream:
        for chunk in stream:
            for choice in chunk["choices"]:
                print(choice["delta"].get("content") or "", end="", flush=True)
    print()


if __name__ == "__main__":
    # Replayed from the cassette, no key needed; with --live, the API (set OPENAI_API_KEY).
    with openaistream.OpenAI(cassette=None if "--live" in sys.argv else CASSETTE) as client:
        run(client)
