# ruff: noqa: E501 - command lines read best on one line
"""The openaistream command as a user meets it: streamed chat, uploads and downloads, the
output of lists, errors, verbosity, plugins, the cassette main job, and the installed script
in a subprocess (incremental output, Ctrl-C)."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from openaistream.cli import cli, main
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.api import answer, last
from tests.support.plugins import install_plugin
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "openaistream"
CHAT = recordings.body("chat_completions_stream/text_include_usage")


def invoke(httpserver: HTTPServer, *args: str, input: Optional[str] = None) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], input=input, catch_exceptions=False)


def test_chat_streams_the_answer(httpserver: HTTPServer) -> None:
    answer(httpserver, CHAT, content_type="text/event-stream")
    result = invoke(
        httpserver, "chat", "Say this is a test", "-m", "gpt-4", "--system", "Be terse.",
        "--max-tokens", "20", "--temperature", "0.5", "-o", 'stream_options={"include_usage": true}',
    )  # fmt: skip
    assert result.exit_code == 0
    assert result.output == '"This is a test."\n'
    assert json.loads(last(httpserver).get_data()) == {
        "model": "gpt-4",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Say this is a test"},
        ],
        "max_tokens": 20,
        "temperature": 0.5,
        "stream_options": {"include_usage": True},
        "stream": True,
    }


def test_chat_reads_the_prompt_from_stdin_and_can_wait_for_the_whole_answer(
    httpserver: HTTPServer,
) -> None:
    answer(httpserver, json.loads(recordings.body("chat_completions/basic")))
    result = invoke(httpserver, "chat", "-", "--no-stream", input="What is up?\n")
    assert result.exit_code == 0
    body = json.loads(last(httpserver).get_data())
    assert body["messages"] == [{"role": "user", "content": "What is up?\n"}]
    assert "stream" not in body
    completion = json.loads(recordings.body("chat_completions/basic"))
    assert result.output == completion["choices"][0]["message"]["content"] + "\n"


def test_chat_with_two_answers_prints_both(httpserver: HTTPServer) -> None:
    answer(
        httpserver,
        recordings.body("chat_completions_stream/n2_include_usage"),
        content_type="text/event-stream",
    )
    result = invoke(httpserver, "chat", "Weather?", "-n", "2")
    assert result.exit_code == 0
    assert result.output.count("--- choice ") == 2
    assert json.loads(last(httpserver).get_data())["n"] == 2


def test_chat_json_prints_each_chunk_as_a_json_line(httpserver: HTTPServer) -> None:
    answer(httpserver, CHAT, content_type="text/event-stream")
    result = invoke(httpserver, "--json", "chat", "Say this is a test")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["object"] for line in lines] == ["chat.completion.chunk"] * 8


def test_runs_and_responses_print_their_deltas(httpserver: HTTPServer) -> None:
    answer(
        httpserver,
        recordings.body("assistants_stream/run_code_interpreter"),
        content_type="text/event-stream",
    )
    result = invoke(httpserver, "runs", "create", "thread_1", "asst_1", "--stream")
    assert result.exit_code == 0 and len(result.output.strip()) > 10
    assert json.loads(last(httpserver).get_data()) == {"assistant_id": "asst_1", "stream": True}

    recording = recordings.load("responses_stream/text_gpt55")
    answer(httpserver, recordings.body(recording), content_type="text/event-stream")
    result = invoke(httpserver, "responses", "create", "Hi", "-m", "gpt-5.5")
    events = list(recordings.reference_events(recordings.body(recording)))
    text = "".join(json.loads(d)["delta"] for n, d in events if n == "response.output_text.delta")
    assert result.output == text + "\n"


def test_files_upload_and_content(httpserver: HTTPServer, tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 100)
    answer(httpserver, {"id": "file-1", "object": "file"})
    result = invoke(httpserver, "files", "upload", str(path), "--purpose", "batch")
    assert result.exit_code == 0
    assert json.loads(result.output)["id"] == "file-1"
    assert last(httpserver).files["file"].read() == path.read_bytes()
    assert last(httpserver).form["purpose"] == "batch"
    assert "uploading" not in result.output  # no progress bar when stderr is no terminal

    answer(httpserver, b"line one\nline two\n", content_type="application/octet-stream")
    assert (
        invoke(httpserver, "files", "retrieve-content", "file-1").stdout_bytes
        == b"line one\nline two\n"
    )
    answer(httpserver, b"line one\nline two\n", content_type="application/octet-stream")
    target = tmp_path / "out.jsonl"
    assert (
        invoke(httpserver, "files", "retrieve-content", "file-1", "-o", str(target)).exit_code == 0
    )
    assert target.read_bytes() == b"line one\nline two\n"


def test_audio_speech_to_a_file_and_transcription(httpserver: HTTPServer, tmp_path: Path) -> None:
    mp3 = recordings.body("audio_speech/mp3")
    answer(httpserver, mp3, content_type="audio/mpeg")
    target = tmp_path / "hello.mp3"
    result = invoke(
        httpserver, "audio", "speech", "Hello, world!", "-o", str(target), "-p", "speed=1.2"
    )
    assert result.exit_code == 0
    assert target.read_bytes() == mp3
    assert json.loads(last(httpserver).get_data())["speed"] == 1.2

    answer(httpserver, json.loads(recordings.body("audio_transcription/json")))
    result = invoke(httpserver, "audio", "transcription", str(target), "-o", "language=en")
    assert result.output == "Hello, world! This is a test.\n"
    assert last(httpserver).form["language"] == "en"
    answer(httpserver, b"Hello, world!\n", content_type="text/plain")
    assert invoke(httpserver, "audio", "translation", str(target)).output == "Hello, world!\n"


def test_images_saved_from_b64(httpserver: HTTPServer, tmp_path: Path) -> None:
    png = b"\x89PNG fake bytes"
    encoded = base64.b64encode(png).decode()
    answer(httpserver, {"created": 1, "data": [{"b64_json": encoded}, {"b64_json": encoded}]})
    result = invoke(
        httpserver, "images", "create", "otter", "-o", str(tmp_path / "otter.png"), "-p", "n=2"
    )
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["otter-1.png", "otter-2.png"]
    assert (tmp_path / "otter-1.png").read_bytes() == png


def test_fine_tuning_events_follow_until_the_job_ends(httpserver: HTTPServer) -> None:
    first = {
        "data": [
            {"id": "e2", "created_at": 2, "level": "info", "message": "Step 1"},
            {"id": "e1", "created_at": 1, "level": "info", "message": "Created"},
        ]
    }
    second = {"data": [{"id": "e3", "created_at": 3, "level": "info", "message": "Done"}, *first["data"]]}  # fmt: skip
    answer(httpserver, first)
    answer(httpserver, {"id": "ftjob-1", "status": "running"})
    answer(httpserver, second)
    answer(httpserver, {"id": "ftjob-1", "status": "succeeded"})
    result = invoke(
        httpserver, "fine-tuning", "events", "ftjob-1", "--follow", "--interval", "0.01"
    )
    assert result.exit_code == 0
    rows = [re.split(r"\s{2,}", line) for line in result.output.splitlines()]
    # Oldest first; the second page's old events are not printed again.
    assert [row[-1] for row in rows if row[0] != "created_at"] == ["Created", "Step 1", "Done"]
    assert [r.path for r, _ in httpserver.log] == [
        "/v1/fine_tuning/jobs/ftjob-1/events", "/v1/fine_tuning/jobs/ftjob-1",
        "/v1/fine_tuning/jobs/ftjob-1/events", "/v1/fine_tuning/jobs/ftjob-1",
    ]  # fmt: skip


def test_an_api_error_is_one_line_and_a_non_zero_exit(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/v1/models").respond_with_data(
        recordings.body("errors/401_invalid_api_key_responses"),
        status=401,
        content_type="application/json",
        headers={"x-request-id": "req_401"},
    )
    code = main(["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "models", "list"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("Error: 401 invalid_api_key: ")
    assert err.rstrip().endswith("(request id req_401)")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert API_KEY not in err

    code = main(
        ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "-vvv", "models", "list"]
    )
    assert code == 1
    assert "Traceback" in capsys.readouterr().err


def test_usage_errors_say_what_to_do(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["models", "list"]) == 2
    assert "no API key: pass --api-key or set OPENAI_API_KEY" in capsys.readouterr().err
    assert main(["--api-key", API_KEY, "files", "upload", str(tmp_path / "nope.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["--api-key", API_KEY, "chat", "hi", "-o", "novalue"]) == 2
    assert "'novalue' is not KEY=VALUE" in capsys.readouterr().err
    assert main(["--api-key", API_KEY, "--proxy", "gopher://x:1", "models", "list"]) == 2
    assert "proxy must start with" in capsys.readouterr().err


def test_verbose_logs_go_to_stderr_without_the_key(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answer(httpserver, {"data": []})
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    assert main([*base, "-vv", "models", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"data": []}
    assert "http.request" in err and "http.response.body" in err
    assert API_KEY not in err and "sk-...CRET" in err


def test_the_main_job_replays_the_shipped_cassette_with_no_key_or_network() -> None:
    cassette = ROOT / "examples" / "cassettes" / "chat_joke.json"
    result = CliRunner().invoke(
        cli,
        [
            "--cassette",
            str(cassette),
            "chat",
            "-m",
            "gpt-3.5-turbo",
            "Tell me a joke about opentelemetry",
        ],
    )
    assert result.exit_code == 0
    assert result.output.startswith("Why did the developer break up with Opentelemetry?")


COMMANDS_PLUGIN = """
    import click
    import openaistream

    @openaistream.hookimpl
    def register_commands(cli):
        @cli.command()
        @click.argument("name")
        def greet(name):
            '''Say hello.'''
            click.echo(f"hello {name}")
"""


def test_a_plugin_command_appears_and_runs_and_plugins_lists_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = install_plugin(tmp_path, monkeypatch, "greeter", COMMANDS_PLUGIN)
    runner = CliRunner()
    assert "greet" in runner.invoke(cli, ["--help"]).output
    assert runner.invoke(cli, ["greet", "world"]).output == "hello world\n"
    listed = json.loads(runner.invoke(cli, ["plugins"]).output)
    assert listed == [
        {"name": "greeter", "version": "1.0", "source": module, "hooks": ["register_commands"]}
    ]
    everything = json.loads(runner.invoke(cli, ["plugins", "--all"]).output)
    chat = next(p for p in everything if p["name"] == "chat")
    assert chat["source"] == "built-in"
    assert chat["hooks"] == ["register_commands", "register_resources"]


def test_help_imports_no_plugin_transport_or_http_library() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from openaistream.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out: main(['--help'])\n"
        "loaded = [m for m in sys.modules if m.startswith(('openaistream.plugins.', "
        "'openaistream.transports.')) or m in ('urllib3', 'pluggy', 'structlog', 'socks')]\n"
        "print(loaded, 'chat' in out.getvalue())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] True"


class Holding:
    """A chat stream server that sends its first delta, then holds the rest until released
    (or five seconds pass)."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.release = threading.Event()
        self.closed_by_client = threading.Event()
        self.server = RawServer(self.handle)

    def handle(self, conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        self.holding.set()
        conn.send(
            chunk(b'data: {"choices": [{"index": 0, "delta": {"content": "FIRST-DELTA"}}]}\n\n')
        )
        if not self.release.wait(5):
            return
        self.holding.clear()
        try:
            for _ in range(50):
                conn.send(
                    chunk(b'data: {"choices": [{"index": 0, "delta": {"content": " more"}}]}\n\n')
                )
                time.sleep(0.02)
            conn.send(LAST_CHUNK)
        except OSError:
            self.closed_by_client.set()


# A shell starts a background job with SIGINT ignored, and an ignored signal stays ignored
# across exec, so a suite run as one would hand that on; Python then installs no Ctrl-C
# handler. The script is started as a terminal starts it: SIGINT back to its default, then exec.
DEFAULT_SIGINT_THEN_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def run_script(server: RawServer) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.url + "/v1"}
    return subprocess.Popen(
        [sys.executable, "-c", DEFAULT_SIGINT_THEN_EXEC, str(SCRIPT), "chat", "hi"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


def read_until(proc: subprocess.Popen[bytes], marker: bytes, seconds: float = 10) -> bytes:
    got = bytearray()
    done = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        while marker not in got:
            byte = proc.stdout.read(1)
            if not byte:
                break
            got.extend(byte)
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(seconds)
    return bytes(got)


def test_the_installed_script_prints_the_first_delta_before_the_rest_is_sent() -> None:
    holder = Holding()
    with holder.server:
        proc = run_script(holder.server)
        first = read_until(proc, b"FIRST-DELTA")
        still_holding = holder.holding.is_set()
        holder.release.set()
        out, err = proc.communicate(timeout=30)
    assert first == b"FIRST-DELTA"
    assert still_holding
    assert proc.returncode == 0, err
    assert out == b" more" * 50 + b"\n"


def test_ctrl_c_during_a_stream_exits_130_and_closes_the_connection() -> None:
    holder = Holding()
    with holder.server:
        proc = run_script(holder.server)
        assert read_until(proc, b"FIRST-DELTA") == b"FIRST-DELTA"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        holder.release.set()
        holder.closed_by_client.wait(5)
    assert proc.returncode == 130
    assert b"Interrupted." in err and b"Traceback" not in err
    assert holder.closed_by_client.is_set()


def test_images_edit_and_variation_upload_the_image(httpserver: HTTPServer, tmp_path: Path) -> None:
    image, mask = tmp_path / "otter.png", tmp_path / "mask.png"
    image.write_bytes(b"\x89PNG image")
    mask.write_bytes(b"\x89PNG mask")
    answer(httpserver, {"created": 1, "data": [{"url": "https://example.invalid/1.png"}]})
    result = invoke(
        httpserver, "images", "edit", str(image), "Add a hat", "--mask", str(mask), "-p", "n=1"
    )
    assert json.loads(result.output)["data"][0]["url"].endswith("1.png")
    request = last(httpserver)
    assert request.path == "/v1/images/edits"
    assert request.form.to_dict() == {"prompt": "Add a hat", "n": "1"}
    assert request.files["image"].read() == b"\x89PNG image"
    assert request.files["mask"].read() == b"\x89PNG mask"

    answer(httpserver, {"created": 1, "data": []})
    assert invoke(httpserver, "images", "variation", str(image)).exit_code == 0
    assert last(httpserver).path == "/v1/images/variations"
    assert last(httpserver).files["image"].read() == b"\x89PNG image"
