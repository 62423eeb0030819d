"""Send every call through a SOCKS5 proxy (an SSH tunnel, Tor, a corporate gateway).

A ``socks5h://`` proxy URL picks the SOCKS transport by itself (``h``: the proxy resolves the
host name); ``http://`` and ``https://`` proxies use the default transport with CONNECT.
HTTPS_PROXY / ALL_PROXY in the environment work too, and NO_PROXY is honoured.

Runs offline: a replayed cassette never reaches the proxy (it is used when recording or live).
Live, start a proxy (``ssh -D 1080 somehost``), set OPENAI_API_KEY and pass ``--live``.

    python examples/socks_proxy.py [--live] [socks5h://127.0.0.1:1080]
"""

from __future__ import annotations

import sys
from pathlib import Path

import openaistream

CASSETTE = Path(__file__).parent / "cassettes" / "chat_joke.json"


def run(client: openaistream.OpenAI) -> None:
    print(f"proxy: {client.get_proxy()}")
    messages = [{"role": "user", "content": "Tell me a joke about opentelemetry"}]
    with client.chat.create(messages, "gpt-3.5-turbo", stream=True) as stream:
        for chunk in stream:
            print(chunk["choices"][0]["delta"].get("content") or "", end="", flush=True)
    print()


if __name__ == "__main__":
    given = [a for a in sys.argv[1:] if a != "--live"]
    proxy = given[0] if given else "socks5h://127.0.0.1:1080"
    cassette = None if "--live" in sys.argv else CASSETTE
    with openaistream.OpenAI(proxy=proxy, cassette=cassette) as client:
        run(client)
