"""Record the examples' cassettes again, from real recorded API answers, with no network.

A local server on 127.0.0.1 answers each example's calls with the bodies of the recordings in
``tests/fixtures/recordings`` (sources and licences in its README; streams are sent in the
chunks the recorders stored); each example runs against it through the replay transport in
``record`` mode, so a cassette holds exactly what its example sends and receives.

    python examples/cassettes/record.py

For maintainers: run it when an example's calls change. See README.md here for what each
cassette holds.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import openaistream

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
RECORDINGS = EXAMPLES.parent / "tests" / "fixtures" / "recordings"

# An answer: (status, content type, the body's chunks).
Answer = tuple[int, str, list[bytes]]


def recorded(name: str) -> Answer:
    """A recording's status, content type and body, in the chunks its recorder stored."""
    response = json.loads((RECORDINGS / f"{name}.json").read_text(encoding="utf-8"))["response"]
    if "body_base64" in response:
        chunks = [base64.b64decode(response["body_base64"])]
    elif "chunks" in response:
        chunks = [chunk.encode() for chunk in response["chunks"]]
    else:
        chunks = [response["body_text"].encode()]
    return response["status"], response["headers"]["content-type"], chunks


def sse_file(path: Path) -> Answer:
    events = path.read_bytes().split(b"\n\n")[:-1]
    return 200, "text/event-stream", [event + b"\n\n" for event in events]


def as_json(value: Any) -> Answer:
    return 200, "application/json", [json.dumps(value, ensure_ascii=False).encode()]


def batch_answers() -> dict[tuple[str, str], Answer]:
    """The batch objects follow the examples of OpenAI's spec (createBatch, retrieveBatch); the
    output line wraps the recorded chat completion chat_completions/basic."""
    completion = json.loads(recorded("chat_completions/basic")[2][0])
    batch = {
        "id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions",
        "errors": None, "input_file_id": "file-abc123", "completion_window": "24h",
        "status": "validating", "output_file_id": None, "error_file_id": None,
        "created_at": 1711471533, "in_progress_at": None, "expires_at": None,
        "finalizing_at": None, "completed_at": None, "failed_at": None, "expired_at": None,
        "cancelling_at": None, "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": None,
    }  # fmt: skip
    done = {
        **batch, "status": "completed", "output_file_id": "file-cvaTdG",
        "in_progress_at": 1711471538, "expires_at": 1711557933, "finalizing_at": 1711493133,
        "completed_at": 1711493163, "request_counts": {"total": 1, "completed": 1, "failed": 0},
    }  # fmt: skip
    line = {
        "id": "batch_req_abc123", "custom_id": "request-1",
        "response": {"status_code": 200, "request_id": "req_abc123", "body": completion},
        "error": None,
    }  # fmt: skip
    uploaded = {
        "id": "file-abc123", "object": "file", "bytes": input_size(), "created_at": 1677610602,
        "expires_at": None, "filename": "batch_input.jsonl", "purpose": "batch",
    }  # fmt: skip
    return {
        ("POST", "/v1/files"): as_json(uploaded),
        ("POST", "/v1/batches"): as_json(batch),
        ("GET", "/v1/batches/batch_abc123"): as_json(done),
        ("GET", "/v1/files/file-cvaTdG/content"): (
            200, "application/octet-stream", [json.dumps(line).encode() + b"\n"]
        ),
    }  # fmt: skip


def input_size() -> int:
    """The size of the batch input file the example writes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch_input.jsonl"
        question = [{"role": "user", "content": "Tell me a joke about opentelemetry"}]
        client = openaistream.OpenAI("sk-recording-examples")
        client.batches.write_input(path, [{"model": "gpt-3.5-turbo", "messages": question}])
        return path.stat().st_size


RUN = "/v1/threads/thread_6oUGUBxLwhyApwhYBhWjHI5f/runs/run_oyfV44CrJXYJkvb2qsd80LvJ"

# Each cassette: the example that records it, and what the server answers to its calls.
CASSETTES: dict[str, tuple[str, Any]] = {
    "chat_joke": ("stream_chat", lambda: {
        ("POST", "/v1/chat/completions"): sse_file(EXAMPLES / "recorded" / "chat_joke.sse"),
    }),
    "assistants_run_tools": ("assistants_run_tools", lambda: {
        ("POST", "/v1/threads/runs"):
            recorded("assistants_stream/create_thread_and_run_requires_action"),
        ("POST", RUN + "/submit_tool_outputs"): recorded("assistants_stream/submit_tool_outputs"),
    }),
    "audio_speech": ("audio_speech", lambda: {
        ("POST", "/v1/audio/speech"): recorded("audio_speech/mp3"),
    }),
    "upload_with_progress": ("upload_with_progress", lambda: {
        ("POST", "/v1/files"): recorded("files/upload_non_ascii_filename"),
    }),
    "batch_input_output": ("batch_input_output", batch_answers),
}  # fmt: skip


@contextlib.contextmanager
def serving(answers: dict[tuple[str, str], Answer]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            self.read_body()
            status, content_type, chunks = answers[(self.command, self.path.split("?")[0])]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        def read_body(self) -> None:
            if "Content-Length" in self.headers:
                self.rfile.read(int(self.headers["Content-Length"]))
                return
            while self.headers.get("Transfer-Encoding") == "chunked":
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    return

        do_GET = do_POST = answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record(cassette: str, script: str, answers: dict[tuple[str, str], Answer]) -> None:
    path = HERE / f"{cassette}.json"
    path.unlink(missing_ok=True)
    with serving(answers) as url, tempfile.TemporaryDirectory() as folder:
        client = openaistream.OpenAI(
            "sk-recording-examples", base_url=url, cassette=path, record_mode="record"
        )
        here = Path.cwd()
        os.chdir(folder)  # the examples write their files in the current folder
        try:
            with client:
                example(script).run(client)
        finally:
            os.chdir(here)
    print(f"recorded {path.relative_to(EXAMPLES.parent)}", file=sys.stderr)


if __name__ == "__main__":
    for cassette, (script, answers) in CASSETTES.items():
        record(cassette, script, answers())
