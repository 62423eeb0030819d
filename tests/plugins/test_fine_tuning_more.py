"""client.fine_tuning's methods of issue 15 beyond a plain operation, on both clients: pause and
resume send no body, a checkpoint's name is one path segment, bad calls fail before any
network, and their commands (a list of projects, a grader as JSON)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.plugins.calls.fine_tuning_more import CHECKPOINT, JOB, PROJECT, STRING_CHECK
from tests.support.api import answer, last, query

PERMISSIONS = f"/v1/fine_tuning/checkpoints/{CHECKPOINT}/permissions"


@pytest.mark.parametrize("method", ["pause", "resume"])
def test_pause_and_resume_send_no_body(httpserver: HTTPServer, client: Any, method: str) -> None:
    job = {"id": JOB, "object": "fine_tuning.job", "status": "paused"}
    answer(httpserver, job)
    assert getattr(client.fine_tuning, method)(JOB) == job
    request = last(httpserver)
    assert (request.method, request.path) == ("POST", f"/v1/fine_tuning/jobs/{JOB}/{method}")
    assert request.get_data() == b""


def test_a_checkpoint_name_is_one_path_segment(httpserver: HTTPServer, client: Any) -> None:
    answer(httpserver, {"object": "list", "data": []})
    client.fine_tuning.checkpoint_permissions_list(CHECKPOINT, project_id=PROJECT)
    request = last(httpserver)
    assert request.environ["RAW_URI"].split("?")[0] == (
        "/v1/fine_tuning/checkpoints/ft%3Agpt-4o-mini-2024-07-18%3Aorg%3Aweather%3AB7R9VjQd"
        "/permissions"
    )
    assert query(request) == {"project_id": [PROJECT]}


def test_a_bad_call_is_refused_by_name_before_any_network(
    httpserver: HTTPServer, client: Any
) -> None:
    fine_tuning = client.fine_tuning
    with pytest.raises(ValueError, match="job_id must not be empty"):
        fine_tuning.pause("")
    with pytest.raises(TypeError, match="job_id must be a string"):
        fine_tuning.resume(None)
    with pytest.raises(TypeError, match="missing a required argument: 'project_ids'"):
        fine_tuning.checkpoint_permissions_create(CHECKPOINT)
    with pytest.raises(TypeError, match="missing a required argument: 'permission_id'"):
        fine_tuning.checkpoint_permissions_delete(CHECKPOINT)
    with pytest.raises(TypeError, match="missing a required argument: 'model_sample'"):
        fine_tuning.alpha_graders_run(STRING_CHECK)
    with pytest.raises(TypeError, match="grader is required, not None"):
        fine_tuning.alpha_graders_validate(None)
    assert httpserver.log == []


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "fine-tuning"]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


GRADER = json.dumps(STRING_CHECK)


@pytest.mark.parametrize(
    ("args", "method", "path", "body"),
    [
        (["pause", JOB], "POST", f"/v1/fine_tuning/jobs/{JOB}/pause", None),
        (["resume", JOB], "POST", f"/v1/fine_tuning/jobs/{JOB}/resume", None),
        (["checkpoints", JOB, "-o", "limit=2"], "GET", f"/v1/fine_tuning/jobs/{JOB}/checkpoints",
         None),
        (["checkpoint-permissions-list", CHECKPOINT], "GET", PERMISSIONS, None),
        (["checkpoint-permissions-create", CHECKPOINT, PROJECT, "proj_2"], "POST", PERMISSIONS,
         {"project_ids": [PROJECT, "proj_2"]}),
        (["checkpoint-permissions-delete", CHECKPOINT, "cp_1"], "DELETE", PERMISSIONS + "/cp_1",
         None),
        (["alpha-graders-validate", GRADER], "POST", "/v1/fine_tuning/alpha/graders/validate",
         {"grader": STRING_CHECK}),
        (["alpha-graders-run", GRADER, "positive", "-o", 'item={"label":"positive"}'], "POST",
         "/v1/fine_tuning/alpha/graders/run",
         {"grader": STRING_CHECK, "model_sample": "positive", "item": {"label": "positive"}}),
    ],
)  # fmt: skip
def test_each_command_sends_its_request(
    httpserver: HTTPServer, args: list[str], method: str, path: str, body: Any
) -> None:
    answer(httpserver, {"ok": True})
    result = invoke(httpserver, *args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ok": True}
    request = last(httpserver)
    assert (request.method, request.path) == (method, path)
    assert (None if body is None else json.loads(request.get_data())) == body


def test_the_lists_print_tables_of_their_own_columns(httpserver: HTTPServer) -> None:
    answer(httpserver, {"object": "list", "data": [
        {"id": "cp_1", "object": "checkpoint.permission", "created_at": 1721764867,
         "project_id": PROJECT},
    ]})  # fmt: skip
    answer(httpserver, {"object": "list", "data": [
        {"id": "ftckpt_1", "step_number": 1000, "fine_tuned_model_checkpoint": CHECKPOINT,
         "created_at": 1721764800},
    ]})  # fmt: skip
    result = invoke(httpserver, "checkpoint-permissions-list", CHECKPOINT)
    assert result.output.splitlines() == [
        "id    project_id                     created_at",
        f"cp_1  {PROJECT}  1721764867",
    ]
    result = invoke(httpserver, "checkpoints", JOB)
    assert result.output.splitlines()[0].split() == [
        "id", "step_number", "fine_tuned_model_checkpoint", "created_at"
    ]  # fmt: skip


def test_a_grader_that_is_not_a_json_object_is_a_usage_error(httpserver: HTTPServer) -> None:
    for grader in ("{type", "[1, 2]"):
        result = CliRunner().invoke(
            cli, ["--api-key", API_KEY, "fine-tuning", "alpha-graders-validate", grader]
        )
        assert result.exit_code == 2
        assert "GRADER" in result.output
    result = CliRunner().invoke(
        cli, ["--api-key", API_KEY, "fine-tuning", "checkpoint-permissions-create", CHECKPOINT]
    )
    assert result.exit_code == 2
    assert "PROJECT_IDS" in result.output
    assert httpserver.log == []
