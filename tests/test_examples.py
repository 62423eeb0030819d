"""Every script in examples/ runs offline, as a user would run it, and does what it says.

Each runs in its own process from an empty folder, with no API key, no proxy variables, and a
base URL where nothing listens: only its cassette can answer. What it prints (or writes) is
checked against the recordings the cassettes were made from."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.support import recordings

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


def run_example(script: str, folder: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.pop("OPENAI_API_KEY", None)
    env["OPENAI_BASE_URL"] = NOWHERE
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=folder, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120,
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


def test_every_example_has_a_test_here() -> None:
    scripts = {path.stem for path in EXAMPLES.glob("*.py")}
    tested = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    assert scripts <= tested, f"examples without a test: {sorted(scripts - tested)}"


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_says_how_to_run_it(script: str) -> None:
    text = (EXAMPLES / script).read_text(encoding="utf-8")
    assert f"examples/{script}" in text.split('"""')[1]
