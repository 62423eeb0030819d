"""A local chat API for bulk runs on pytest-httpserver: it answers each request with a
chat.completion naming the request's ``user`` (bulk tests put the custom id there), counts
what it answered, and fails the requests a test names as told."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

URL = "/v1/chat/completions"


def chat_line(custom_id: str, content: str = "hi", **body: Any) -> dict[str, Any]:
    """One input line: a chat request whose ``user`` is its custom id."""
    request = {"model": "gpt-4o-mini", "user": custom_id, "max_tokens": 8}
    request["messages"] = [{"role": "user", "content": content}]
    return {"custom_id": custom_id, "method": "POST", "url": URL, "body": {**request, **body}}


def write_input(path: Path, count: int, prefix: str = "r") -> list[str]:
    """An input of ``count`` chat requests; their custom ids."""
    ids = [f"{prefix}-{number}" for number in range(count)]
    path.write_text("".join(json.dumps(chat_line(custom_id)) + "\n" for custom_id in ids))
    return ids


def read_output(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class ChatAPI:
    """``install(httpserver)``; then ``answered`` counts the 200s by custom id, ``tries``
    every request by custom id, and ``fail(custom_id, status, times)`` makes the next
    ``times`` requests of that id answer ``status`` (-1: for ever)."""

    def __init__(self, latency: float = 0.0, headers: Optional[dict[str, str]] = None) -> None:
        self.latency = latency
        self.headers = headers or {}
        self.answered: Counter[str] = Counter()
        self.tries: Counter[str] = Counter()
        self.seen_at: dict[str, list[float]] = {}
        self._faults: dict[str, tuple[int, int, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def install(self, httpserver: HTTPServer) -> ChatAPI:
        httpserver.expect_request(URL, method="POST").respond_with_handler(self.handle)
        return self

    def fail(
        self, custom_id: str, status: int, times: int = -1, headers: Optional[dict[str, str]] = None
    ) -> None:
        self._faults[custom_id] = (status, times, headers or {})

    def handle(self, request: Request) -> Response:
        if self.latency:
            time.sleep(self.latency)
        body = json.loads(request.data)
        user = body.get("user", "")
        with self._lock:
            self.tries[user] += 1
            self.seen_at.setdefault(user, []).append(time.monotonic())
            fault = self._faults.get(user)
            if fault is not None and fault[1] != 0:
                status, times, headers = fault
                self._faults[user] = (status, times - 1 if times > 0 else times, headers)
                error = {"message": f"failure {status} for {user}", "type": "test", "code": None}
                return _json({"error": error}, status, {**self.headers, **headers})
            self.answered[user] += 1
            number = sum(self.answered.values())
        answer = {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": user}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
        return _json(answer, 200, {**self.headers, "x-request-id": f"req_{number}"})


def _json(body: Any, status: int, headers: dict[str, str]) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")


def interrupt_when(
    command: list[str], ready: Callable[[], bool], how: signal.Signals
) -> tuple[int, bytes]:
    """Run ``command`` in a process of its own, send it ``how`` once ``ready()`` holds (within
    30 s), and wait for it to end: its exit status and what it wrote on stderr."""
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not ready() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert run.poll() is None, "the run ended before it could be interrupted"
        run.send_signal(how)
        _, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    return run.returncode, stderr
