"""Stream a chat completion with no network and no API key.

A small HTTP server on 127.0.0.1 answers with a real recorded stream, sent one event per
HTTP chunk with a short pause between them, so you can watch the answer arrive. The client
code is exactly what you would write against api.openai.com; only ``base_url`` differs.

    python examples/stream_chat_offline.py
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openaistream

RECORDED = (Path(__file__).parent / "recorded" / "chat_joke.sse").read_bytes()


class ReplayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in RECORDED.split(b"\n\n")[:-1]:
            data = event + b"\n\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            time.sleep(0.02)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the terminal for the answer


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ReplayHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        with openaistream.OpenAI(api_key="sk-offline-example", base_url=base_url) as client:
            messages = [{"role": "user", "content": "Tell me a joke about opentelemetry"}]
            with client.chat.create(messages, "gpt-3.5-turbo", stream=True) as stream:
                for chunk in stream:
                    for choice in chunk["choices"]:
                        print(choice["delta"].get("content") or "", end="", flush=True)
            print()
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
