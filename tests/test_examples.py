"""Every script in examples/ runs offline, as a user would run it, and does what it says.

Each runs in its own process from an empty folder, with no API key, no proxy variables, and a
base URL where nothing listens: only its cassette can answer. What it prints (or writes) is
checked against the recordings the cassettes were made from."""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.faults import until_hung_up
from tests.support.proxies import free_port
from tests.support.recordings import EXAMPLE_JOKE
from tests.support.servers import Conn, RawServer, chunk, head

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOWHERE = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there


def sse_text(name: str, pick: Callable[[str, dict], str]) -> str:
    """The text a recorded stream carries, by the plain reference parser."""
    return "".join(
        pick(event, json.loads(data))
        for event, data in recordings.reference_events(recordings.body(name))
        if data != "[DONE]"
    )


def message_text(event: str, data: dict) -> str:
    if event != "thread.message.delta":
        return ""
    return "".join(p["text"]["value"] for p in data["delta"]["content"] if p["type"] == "text")


def example_env(**settings: str) -> dict[str, str]:
    """No key, no proxy, a base URL where nothing listens; then ``settings``."""
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.pop("OPENAI_API_KEY", None)
    env["OPENAI_BASE_URL"] = NOWHERE
    env["PYTHONIOENCODING"] = "utf-8"
    return {**env, **settings}


def run_example(script: str, folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=folder, env=example_env(), capture_output=True, text=True, encoding="utf-8",
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_stream_chat(tmp_path: Path) -> None:
    assert run_example("stream_chat.py", tmp_path) == recordings.example_joke() + "\n"


def test_assistants_run_tools(tmp_path: Path) -> None:
    out = run_example("assistants_run_tools.py", tmp_path)
    answer = sse_text("assistants_stream/submit_tool_outputs", message_text)
    assert "[tools answered: warm and sunny]\n" + answer in out
    assert out.rstrip().endswith("[run run_oyfV44CrJXYJkvb2qsd80LvJ completed]")


def test_audio_speech(tmp_path: Path) -> None:
    out = run_example("audio_speech.py", tmp_path)
    recorded = recordings.load("audio_speech/mp3")["response"]["body_base64"]
    assert (tmp_path / "speech.mp3").read_bytes() == base64.b64decode(recorded)
    assert out == f"speech.mp3: {len(base64.b64decode(recorded))} bytes of audio/mpeg\n"


def test_upload_with_progress(tmp_path: Path) -> None:
    out = run_example("upload_with_progress.py", tmp_path)
    size = (tmp_path / "你好.txt").stat().st_size
    assert f"uploading 你好.txt: {size}/{size} bytes" in out
    answer = json.loads(recordings.body("files/upload_non_ascii_filename"))
    assert out.endswith(f"\n{answer['id']}: 你好.txt, processed\n")


def test_batch_input_output(tmp_path: Path) -> None:
    out = run_example("batch_input_output.py", tmp_path)
    lines = (tmp_path / "batch_input.jsonl").read_text().splitlines()
    assert [json.loads(line)["custom_id"] for line in lines] == ["request-1"]
    completion = json.loads(recordings.body("chat_completions/basic"))
    content = completion["choices"][0]["message"]["content"]
    assert out.splitlines() == [
        "batch_abc123: 1 request(s), validating",
        "batch_abc123: completed",
        f"request-1: {content}",
    ]


def test_socks_proxy(tmp_path: Path) -> None:
    out = run_example("socks_proxy.py", tmp_path, "socks5h://127.0.0.1:1")
    assert out == f"proxy: socks5h://127.0.0.1:1\n{recordings.example_joke()}\n"


def test_replay_in_a_test(tmp_path: Path) -> None:
    """Run as a user runs it, from a copy with its cassette: pytest writes the bytecode of a
    test module it rewrites beside it, and nothing of a test run belongs in examples/."""
    shutil.copy(EXAMPLES / "replay_in_a_test.py", tmp_path)
    (tmp_path / "cassettes").mkdir()
    shutil.copy(EXAMPLES / "cassettes" / "chat_joke.json", tmp_path / "cassettes")
    before = sorted(EXAMPLES.rglob("*"))
    # Bytecode on, as on most machines: pytest then writes beside the module it rewrites.
    unset = ("OPENAI_API_KEY", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "replay_in_a_test.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert sorted(EXAMPLES.rglob("*")) == before


class RelayServer:
    """examples/relay_server.py run as a user runs it, in its own process on a free port,
    warnings as errors; stopped with Ctrl-C (SIGINT) when the ``with`` block ends, after
    which ``returncode`` and ``stderr`` are what it left."""

    def __init__(self, folder: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.returncode: Optional[int] = None
        self.stderr = ""
        self._process = subprocess.Popen(
            [sys.executable, "-W", "error", str(EXAMPLES / "relay_server.py"),
             "--port", str(self.port), *args],
            cwd=folder, env=example_env(**env), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )  # fmt: skip

    def __enter__(self) -> RelayServer:
        for _ in range(600):  # until it listens: 60 s at most
            assert self._process.poll() is None, self._process.communicate()[1]
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise AssertionError(f"the relay server did not listen: {self.stderr}")

    def __exit__(self, *exc: object) -> None:
        self._process.send_signal(signal.SIGINT)
        try:
            self.stderr = self._process.communicate(timeout=30)[1]
        except subprocess.TimeoutExpired:
            self._process.kill()
            self.stderr = self._process.communicate()[1]
        self.returncode = self._process.returncode

    def get(self, target: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def test_relay_server(tmp_path: Path) -> None:
    with RelayServer(tmp_path) as server:
        page_status, page = server.get("/")
        status, body = server.get("/chat?prompt=Tell%20me%20a%20joke%20about%20opentelemetry")
    assert (page_status, status) == (200, 200)
    assert b'new EventSource("/chat?prompt="' in page
    events = recordings.reference_events(body)
    assert "".join(json.loads(data) for name, data in events if not name) == (
        recordings.example_joke()
    )
    assert events[-1] == ("done", "{}")
    assert "relay ended: upstream stream complete" in server.stderr
    # Stopped by Ctrl-C: the app's client closed in its lifespan, nothing left open.
    assert server.returncode == 0, server.stderr
    assert "Unclosed" not in server.stderr and "Traceback" not in server.stderr, server.stderr


def test_relay_server_closes_the_upstream_stream_when_the_browser_goes_away(
    tmp_path: Path,
) -> None:
    """Live, against a local API that sends the answer's first words and then waits: the
    browser reads them and leaves; the relay's connection to the API closes."""
    first_two = b"".join(block + b"\n\n" for block in EXAMPLE_JOKE.read_bytes().split(b"\n\n")[:2])
    hung_up = threading.Event()

    def api(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(first_two))
        if until_hung_up(conn, 60):
            hung_up.set()

    with (
        RawServer(api) as upstream,
        RelayServer(
            tmp_path, "--live", OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=f"{upstream.url}/v1"
        ) as server,
    ):
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as browser:
            browser.sendall(b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            while b'data: "Why"' not in received:
                data = browser.recv(4096)
                assert data, received
                received += data
        assert hung_up.wait(60), "the relay kept reading from the API"
    assert "relay ended: upstream stream closed; text pieces relayed: 1" in server.stderr
    assert upstream.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert server.returncode == 0, server.stderr


def test_every_example_has_a_test_here() -> None:
    scripts = {path.stem for path in EXAMPLES.glob("*.py")}
    tested = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    assert scripts <= tested, f"examples without a test: {sorted(scripts - tested)}"


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_says_how_to_run_it(script: str) -> None:
    text = (EXAMPLES / script).read_text(encoding="utf-8")
    assert f"examples/{script}" in text.split('"""')[1]
