"""Every CLI command against a local server: the request it sends and what it prints."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import answer, last, query

LIST = {
    "object": "list",
    "data": [{"id": "obj_1", "status": "ok", "created_at": 1, "model": "gpt-4o", "name": "n"}],
}
BETA = "assistants=v2"

# (arguments, method, path, query, JSON body or None, beta header)
COMMANDS: list[tuple[list[str], str, str, dict[str, list[str]], Optional[dict[str, Any]], bool]] = [
    (["models", "list"], "GET", "/v1/models", {}, None, False),
    (["models", "retrieve", "gpt-4o"], "GET", "/v1/models/gpt-4o", {}, None, False),
    (["models", "delete", "ft:x"], "DELETE", "/v1/models/ft:x", {}, None, False),
    (
        ["files", "list", "-o", "purpose=batch"],
        "GET",
        "/v1/files",
        {"purpose": ["batch"]},
        None,
        False,
    ),
    (["files", "retrieve", "file-1"], "GET", "/v1/files/file-1", {}, None, False),
    (["files", "delete", "file-1"], "DELETE", "/v1/files/file-1", {}, None, False),
    (
        ["fine-tuning", "create", "gpt-4o-mini", "file-t", "-o", "suffix=x"],
        "POST",
        "/v1/fine_tuning/jobs",
        {},
        {
            "model": "gpt-4o-mini",
            "training_file": "file-t",
            "suffix": "x",
            "hyperparameters": {"n_epochs": 1},
        },
        False,
    ),
    (
        ["fine-tuning", "list", "-o", "limit=2"],
        "GET",
        "/v1/fine_tuning/jobs",
        {"limit": ["2"]},
        None,
        False,
    ),
    (
        ["fine-tuning", "retrieve", "ftjob-1"],
        "GET",
        "/v1/fine_tuning/jobs/ftjob-1",
        {},
        None,
        False,
    ),
    (
        ["fine-tuning", "cancel", "ftjob-1"],
        "POST",
        "/v1/fine_tuning/jobs/ftjob-1/cancel",
        {},
        None,
        False,
    ),
    (
        ["embeddings", "create", "text-embedding-3-small", "hello"],
        "POST",
        "/v1/embeddings",
        {},
        {"model": "text-embedding-3-small", "input": "hello"},
        False,
    ),
    (
        ["moderations", "create", "some text", "-o", "model=omni-moderation-latest"],
        "POST",
        "/v1/moderations",
        {},
        {"input": "some text", "model": "omni-moderation-latest"},
        False,
    ),
    (
        ["images", "create", "an otter", "-p", "n=1"],
        "POST",
        "/v1/images/generations",
        {},
        {"prompt": "an otter", "n": 1},
        False,
    ),
    (
        ["assistants", "create", "gpt-4o", "-o", "name=Tutor"],
        "POST",
        "/v1/assistants",
        {},
        {"model": "gpt-4o", "name": "Tutor"},
        True,
    ),
    (["assistants", "list"], "GET", "/v1/assistants", {}, None, True),
    (["assistants", "retrieve", "asst_1"], "GET", "/v1/assistants/asst_1", {}, None, True),
    (
        ["assistants", "modify", "asst_1", "-o", "instructions=Be brief."],
        "POST",
        "/v1/assistants/asst_1",
        {},
        {"instructions": "Be brief."},
        True,
    ),
    (["assistants", "delete", "asst_1"], "DELETE", "/v1/assistants/asst_1", {}, None, True),
    (["threads", "create"], "POST", "/v1/threads", {}, {}, True),
    (["threads", "retrieve", "thread_1"], "GET", "/v1/threads/thread_1", {}, None, True),
    (
        ["threads", "modify", "thread_1", "-o", 'metadata={"a": "b"}'],
        "POST",
        "/v1/threads/thread_1",
        {},
        {"metadata": {"a": "b"}},
        True,
    ),
    (["threads", "delete", "thread_1"], "DELETE", "/v1/threads/thread_1", {}, None, True),
    (
        ["messages", "create", "thread_1", "user", "Hello"],
        "POST",
        "/v1/threads/thread_1/messages",
        {},
        {"role": "user", "content": "Hello"},
        True,
    ),
    (
        ["messages", "list", "thread_1", "-o", "order=asc"],
        "GET",
        "/v1/threads/thread_1/messages",
        {"order": ["asc"]},
        None,
        True,
    ),
    (
        ["messages", "retrieve", "thread_1", "msg_1"],
        "GET",
        "/v1/threads/thread_1/messages/msg_1",
        {},
        None,
        True,
    ),
    (
        ["messages", "modify", "thread_1", "msg_1", "-o", 'metadata={"k": "v"}'],
        "POST",
        "/v1/threads/thread_1/messages/msg_1",
        {},
        {"metadata": {"k": "v"}},
        True,
    ),
    (
        ["messages", "delete", "thread_1", "msg_1"],
        "DELETE",
        "/v1/threads/thread_1/messages/msg_1",
        {},
        None,
        True,
    ),
    (
        ["runs", "create", "thread_1", "asst_1"],
        "POST",
        "/v1/threads/thread_1/runs",
        {},
        {"assistant_id": "asst_1"},
        True,
    ),
    (["runs", "list", "thread_1"], "GET", "/v1/threads/thread_1/runs", {}, None, True),
    (
        ["runs", "retrieve", "thread_1", "run_1"],
        "GET",
        "/v1/threads/thread_1/runs/run_1",
        {},
        None,
        True,
    ),
    (
        ["runs", "modify", "thread_1", "run_1", "-o", 'metadata={"k": "v"}'],
        "POST",
        "/v1/threads/thread_1/runs/run_1",
        {},
        {"metadata": {"k": "v"}},
        True,
    ),
    (
        ["runs", "cancel", "thread_1", "run_1"],
        "POST",
        "/v1/threads/thread_1/runs/run_1/cancel",
        {},
        None,
        True,
    ),
    (
        ["runs", "create-thread", "asst_1", "-o", 'thread={"messages": []}'],
        "POST",
        "/v1/threads/runs",
        {},
        {"assistant_id": "asst_1", "thread": {"messages": []}},
        True,
    ),
    (
        [
            "runs",
            "submit-tool-outputs",
            "thread_1",
            "run_1",
            '[{"tool_call_id": "c1", "output": "ok"}]',
        ],
        "POST",
        "/v1/threads/thread_1/runs/run_1/submit_tool_outputs",
        {},
        {"tool_outputs": [{"tool_call_id": "c1", "output": "ok"}]},
        True,
    ),
    (
        ["runs", "steps-list", "thread_1", "run_1"],
        "GET",
        "/v1/threads/thread_1/runs/run_1/steps",
        {},
        None,
        True,
    ),
    (
        ["runs", "steps-retrieve", "thread_1", "run_1", "step_1"],
        "GET",
        "/v1/threads/thread_1/runs/run_1/steps/step_1",
        {},
        None,
        True,
    ),
    (["responses", "retrieve", "resp_1"], "GET", "/v1/responses/resp_1", {}, None, False),
    (["responses", "delete", "resp_1"], "DELETE", "/v1/responses/resp_1", {}, None, False),
    (["responses", "cancel", "resp_1"], "POST", "/v1/responses/resp_1/cancel", {}, None, False),
    (
        ["responses", "input-items", "resp_1"],
        "GET",
        "/v1/responses/resp_1/input_items",
        {},
        None,
        False,
    ),
    (
        ["responses", "create", "Hi", "--no-stream"],
        "POST",
        "/v1/responses",
        {},
        {"model": "gpt-4o-mini", "input": "Hi"},
        False,
    ),
    (
        ["batches", "create", "file-in", "/v1/chat/completions"],
        "POST",
        "/v1/batches",
        {},
        {
            "input_file_id": "file-in",
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
        False,
    ),
    (["batches", "list"], "GET", "/v1/batches", {}, None, False),
    (["batches", "retrieve", "batch_1"], "GET", "/v1/batches/batch_1", {}, None, False),
    (["batches", "cancel", "batch_1"], "POST", "/v1/batches/batch_1/cancel", {}, None, False),
]


def invoke(httpserver: HTTPServer, *args: str, input: Optional[str] = None) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], input=input, catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[0][:2]) for c in COMMANDS])
def test_each_command_sends_its_request_and_prints_the_answer(
    httpserver: HTTPServer, command: tuple[Any, ...]
) -> None:
    args, method, path, expected_query, body, beta = command
    answer(httpserver, LIST)
    result = invoke(httpserver, *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == LIST
    request = last(httpserver)
    assert (request.method, request.path) == (method, path)
    assert query(request) == expected_query
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers.get("OpenAI-Beta") == (BETA if beta else None)
    if body is None:
        assert request.get_data() == b""
    else:
        assert json.loads(request.get_data()) == body


def test_list_commands_print_a_table_by_default(httpserver: HTTPServer) -> None:
    answer(httpserver, {"object": "list", "data": [
        {"id": "gpt-4o", "owned_by": "system", "created": 1715367049},
        {"id": "ft:gpt-4o:acme", "owned_by": "acme", "created": 1},
    ]})  # fmt: skip
    result = invoke(httpserver, "models", "list")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "id              owned_by  created",
        "gpt-4o          system    1715367049",
        "ft:gpt-4o:acme  acme      1",
    ]
