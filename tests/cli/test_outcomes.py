# ruff: noqa: E501 - command lines and event streams read best on one line
"""Every command ends in output or in one line of error: when a parameter changes what a
method returns (``-p stream=true``), when it names what the command sets itself, when a
command is mistyped or called by its old name, when something unexpected fails, and when
the reader of the output goes away."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.cli import cli, main
from tests.conftest import API_KEY
from tests.support.api import answer, last, query
from tests.support.plugins import install_plugin

PARTIAL, FINAL = (
    base64.b64encode(b"partial image").decode(),
    base64.b64encode(b"final image").decode(),
)
IMAGE_EVENTS = [
    (
        "image_generation.partial_image",
        {"type": "image_generation.partial_image", "b64_json": PARTIAL, "partial_image_index": 0},
    ),
    (
        "image_generation.completed",
        {"type": "image_generation.completed", "b64_json": FINAL, "size": "1024x1024"},
    ),
]


def sse(events: list[tuple[str, dict[str, Any]]], *, named: bool = True) -> bytes:
    """An SSE body; ``named=False`` leaves out the ``event:`` lines, as some servers do."""
    blocks = [
        (f"event: {name}\n" if named else "") + f"data: {json.dumps(data)}\n\n"
        for name, data in events
    ]
    return "".join(blocks).encode()


def run(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """The console script's main, as a user runs it: exit code, stdout, stderr."""
    code = main(["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- a parameter that changes what the method returns -------------------------------------------


def test_images_create_with_stream_prints_each_event_as_it_arrives(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answer(httpserver, sse(IMAGE_EVENTS), content_type="text/event-stream")
    code, out, err = run(
        httpserver,
        capsys,
        "images",
        "create",
        "An otter",
        "-p",
        "stream=true",
        "-p",
        "partial_images=1",
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2
    assert PARTIAL in lines[0] and FINAL in lines[1]
    assert all(json.loads(line) for line in lines)
    assert json.loads(last(httpserver).get_data())["stream"] is True


@pytest.mark.parametrize("named", [True, False], ids=["event lines", "no event lines"])
def test_images_create_with_stream_and_output_saves_the_final_image(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], tmp_path: Path, named: bool
) -> None:
    answer(httpserver, sse(IMAGE_EVENTS, named=named), content_type="text/event-stream")
    target = tmp_path / "otter.png"
    code, out, err = run(
        httpserver, capsys, "images", "create", "An otter", "-p", "stream=true", "-o", str(target)
    )
    assert (code, out, err) == (0, f"{target}\n", "")
    assert target.read_bytes() == b"final image"


def test_a_generic_command_given_stream_prints_the_stream(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    events = [("response.output_text.delta", {"type": "response.output_text.delta", "delta": "Hi"})]
    answer(httpserver, sse(events), content_type="text/event-stream")
    code, out, err = run(httpserver, capsys, "responses", "retrieve", "resp_1", "-o", "stream=true")
    assert (code, err) == (0, "")
    assert [json.dumps(json.loads(line)).count('"Hi"') for line in out.splitlines()] == [1]
    assert query(last(httpserver)) == {"stream": ["true"]}


def test_audio_transcription_streamed_prints_the_text_as_it_arrives(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    recording = tmp_path / "hello.mp3"
    recording.write_bytes(b"ID3 audio")
    events = [
        ("transcript.text.delta", {"type": "transcript.text.delta", "delta": "Hello,"}),
        ("transcript.text.delta", {"type": "transcript.text.delta", "delta": " world!"}),
        ("transcript.text.done", {"type": "transcript.text.done", "text": "Hello, world!"}),
    ]
    answer(httpserver, sse(events, named=False), content_type="text/event-stream")
    code, out, err = run(
        httpserver,
        capsys,
        "audio",
        "transcription",
        str(recording),
        "-m",
        "gpt-4o-transcribe",
        "-o",
        "stream=true",
    )
    assert (code, out, err) == (0, "Hello, world!\n", "")


SET_BY_THE_COMMAND = [
    (["chat", "hi", "-o", "stream=false"], "-o: 'stream' is set by --no-stream, not by -o"),
    (["chat", "hi", "-o", "model=gpt-4o"], "'model' is set by -m/--model"),
    (["chat", "hi", "-o", "n=2"], "'n' is set by -n"),
    (["responses", "create", "hi", "-o", "stream=true"], "'stream' is set by --no-stream"),
    (["runs", "create", "thread_1", "asst_1", "-o", "stream=true"], "'stream' is set by --stream"),
    (
        ["runs", "create-thread", "asst_1", "-o", "assistant_id=asst_2"],
        "'assistant_id' is set by ASSISTANT_ID",
    ),
    (
        ["audio", "speech", "hi", "-o", "out.mp3", "-p", "stream=false"],
        "-p: 'stream' is set by the command itself",
    ),
    (
        ["audio", "speech", "hi", "-o", "out.mp3", "-p", "stream_format=sse"],
        "-p: stream_format: this command writes the audio itself",
    ),
    (
        ["images", "create", "an otter", "-p", "prompt=a seal"],
        "-p: 'prompt' is set by PROMPT, not by -p",
    ),
    (["models", "retrieve", "gpt-4o", "-o", "model=gpt-4"], "'model' is set by MODEL"),
    (["images", "create", "an otter", "-p", "novalue"], "-p: 'novalue' is not KEY=VALUE"),
]


@pytest.mark.parametrize(
    ("args", "message"),
    SET_BY_THE_COMMAND,
    ids=[" ".join(a[:2] + a[-1:]) for a, _ in SET_BY_THE_COMMAND],
)
def test_a_parameter_the_command_sets_itself_is_a_usage_error_before_any_request(
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(httpserver, capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert httpserver.log == []


# -- anything unexpected ------------------------------------------------------------------------


def test_an_unexpected_failure_is_one_line_and_a_nonzero_exit(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answer(httpserver, [1, 2])  # JSON, but not the object the command expects
    code, _, err = run(httpserver, capsys, "images", "create", "An otter")
    assert code == 1
    assert err.startswith("Error: AttributeError: ") and err.count("\n") == 1, err
    answer(httpserver, [1, 2])
    code, _, err = run(httpserver, capsys, "-vvv", "images", "create", "An otter")
    assert code == 1
    assert "Traceback" in err and "Error: AttributeError: " in err


BROKEN_PLUGIN = """
    import openaistream

    @openaistream.hookimpl
    def register_commands(cli):
        @cli.command()
        def broken():
            raise KeyError("choices")
"""


def test_a_failing_third_party_command_is_one_line_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin(tmp_path, monkeypatch, "broken", BROKEN_PLUGIN)
    assert main(["broken"]) == 1
    assert (
        capsys.readouterr().err
        == "Error: KeyError: 'choices' (an unexpected error; -vvv shows where)\n"
    )


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["modles", "list"], "No such command 'modles'. Did you mean 'models'?"),
        (["fine-tunning", "list"], "Did you mean 'fine-tuning'?"),
        (["models", "retreive", "gpt-4o"], "No such command 'retreive'. Did you mean 'retrieve'?"),
        (["models", "gett", "gpt-4o"], "Did you mean 'retrieve'?"),  # close to an old name
        (["audio", "transcribe-it", "x.mp3"], "Did you mean 'transcription'?"),
    ],
)
def test_a_mistyped_command_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str], args: list[str], suggestion: str
) -> None:
    assert main(args) == 2
    assert suggestion in capsys.readouterr().err


def test_a_command_like_nothing_gets_no_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zzzz"]) == 2
    err = capsys.readouterr().err
    assert "No such command 'zzzz'." in err and "Did you mean" not in err


@pytest.mark.parametrize(
    ("variable", "value"),
    [("OPENAISTREAM_BLOCK_PLUGINS", "chat"), ("OPENAISTREAM_LOAD_PLUGINS", "models")],
)
def test_a_command_whose_plugin_is_not_loaded_is_neither_listed_nor_suggested(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    assert re.search(r"^  models ", listed, re.MULTILINE)
    assert not re.search(r"^  chat ", listed, re.MULTILINE)
    assert main(["chat", "hi"]) == 2
    err = capsys.readouterr().err
    # chat itself is not suggested (chatkit, a plugin of its own, may be)
    assert "No such command 'chat'." in err and not re.search(r"Did you mean .*'chat'[? ]", err)
    assert main(["models", "--help"]) == 0


def resource_groups() -> dict[str, click.Group]:
    ctx = click.Context(cli)
    found = {}
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        if isinstance(command, click.Group):
            found[name] = command
    return found


def test_every_command_is_named_after_the_method_it_calls() -> None:
    client = openaistream.OpenAI(API_KEY, base_url="http://127.0.0.1:9/v1")
    with client:
        for group_name, group in resource_groups().items():
            resource = getattr(client, group_name.replace("-", "_"))
            for name in group.list_commands(click.Context(group)):
                assert callable(getattr(resource, name.replace("-", "_"), None)), (
                    f"{group_name} {name}"
                )


OLD_NAMES = [
    ("models", "get", "retrieve"), ("files", "get", "retrieve"), ("files", "content", "retrieve-content"),
    ("fine-tuning", "get", "retrieve"), ("audio", "transcribe", "transcription"), ("audio", "translate", "translation"),
    ("assistants", "get", "retrieve"), ("threads", "get", "retrieve"), ("messages", "get", "retrieve"),
    ("runs", "get", "retrieve"), ("runs", "steps-get", "steps-retrieve"), ("responses", "get", "retrieve"),
    ("batches", "get", "retrieve"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("group", "old", "new"), OLD_NAMES, ids=[f"{g} {o}" for g, o, _ in OLD_NAMES]
)
def test_old_command_names_still_work_unlisted(group: str, old: str, new: str) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, [group, "--help"]).output
    assert f"  {new} " in listed
    assert f"  {old} " not in listed
    assert (
        runner.invoke(cli, [group, old, "--help"]).output.split("\n", 1)[1]
        == runner.invoke(cli, [group, new, "--help"]).output.split("\n", 1)[1]
    )


def test_an_old_name_calls_the_same_method(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answer(httpserver, {"id": "gpt-4o", "object": "model"})
    code, out, err = run(httpserver, capsys, "models", "get", "gpt-4o")
    assert (code, err) == (0, "")
    assert json.loads(out)["id"] == "gpt-4o"
    assert last(httpserver).path == "/v1/models/gpt-4o"


# -- the reader goes away -----------------------------------------------------------------------


def test_a_reader_that_goes_away_ends_the_command_quietly(httpserver: HTTPServer) -> None:
    """``openaistream models list | head -1``: no error line, no traceback at exit (click
    sees to it; this guards it)."""
    rows = [{"id": f"model-{i}", "owned_by": "system", "created": i} for i in range(2000)]
    answer(httpserver, {"object": "list", "data": rows})
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "openaistream", "--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "models", "list"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.close()  # before the child can have written anything
    _, err = proc.communicate(timeout=60)
    assert err == b""
    assert proc.returncode == 1
