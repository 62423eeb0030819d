"""client.evals: a run's cancel (``POST`` on the run itself) sends no body, required
arguments are checked before any network, and the commands take JSON objects as ``-o``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import answer, last, query

CONFIG = {"type": "stored_completions", "metadata": {"usecase": "chatbot"}}
GRADER = {"type": "string_check", "name": "Exact", "input": "{{sample.output_text}}",
          "reference": "{{item.ground_truth}}", "operation": "eq"}  # fmt: skip
SOURCE = {"type": "jsonl", "source": {"type": "file_id", "id": "file-1"}}


def test_cancelling_a_run_posts_to_the_run_with_no_body(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, {"id": "evalrun_1", "status": "canceled"})

    assert client.evals.runs_cancel("eval_1", "evalrun_1")["status"] == "canceled"

    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/evals/eval_1/runs/evalrun_1")
    assert request.get_data() == b"" and "Content-Type" not in request.headers


def test_create_sends_its_required_arguments_and_the_rest_in_the_body(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, {"id": "eval_1"})
    client.evals.create(CONFIG, [GRADER], name="Sentiment")
    assert json.loads(last(httpserver).get_data()) == {
        "data_source_config": CONFIG, "testing_criteria": [GRADER], "name": "Sentiment",
    }  # fmt: skip


def test_missing_or_bad_arguments_fail_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    with pytest.raises(TypeError, match="missing a required argument: 'testing_criteria'"):
        client.evals.create(CONFIG)
    with pytest.raises(TypeError, match="data_source is required, not None"):
        client.evals.runs_create("eval_1", None)
    with pytest.raises(ValueError, match="run_id must not be empty"):
        client.evals.runs_cancel("eval_1", " ")
    with pytest.raises(TypeError, match="missing a required argument: 'output_item_id'"):
        client.evals.output_items_retrieve("eval_1", "evalrun_1")
    assert httpserver.log == []


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def test_create_and_runs_create_take_their_objects_as_json(httpserver: HTTPServer) -> None:
    answer(httpserver, {"id": "eval_1"})
    answer(httpserver, {"id": "evalrun_1"})

    created = invoke(
        httpserver, "evals", "create", "-o", f"data_source_config={json.dumps(CONFIG)}",
        "-o", f"testing_criteria={json.dumps([GRADER])}", "-o", "name=Sentiment",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert json.loads(last(httpserver).get_data()) == {
        "data_source_config": CONFIG, "testing_criteria": [GRADER], "name": "Sentiment",
    }  # fmt: skip

    run = invoke(
        httpserver, "evals", "runs-create", "eval_1", "-o", f"data_source={json.dumps(SOURCE)}"
    )
    assert run.exit_code == 0, run.output
    assert last(httpserver).path == "/v1/evals/eval_1/runs"
    assert json.loads(last(httpserver).get_data()) == {"data_source": SOURCE}


def test_a_create_without_its_objects_is_an_error_that_names_them(httpserver: HTTPServer) -> None:
    from openaistream.cli import main

    assert (
        main(["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "evals", "create"])
        == 2
    )
    assert httpserver.log == []


def test_runs_cancel_and_output_items_list(httpserver: HTTPServer) -> None:
    answer(httpserver, {"id": "evalrun_1", "status": "canceled"})
    answer(httpserver, {"object": "list", "data": [{"id": "outputitem_1", "status": "fail"}]})

    cancelled = invoke(httpserver, "evals", "runs-cancel", "eval_1", "evalrun_1")
    assert cancelled.exit_code == 0 and last(httpserver).method == "POST"
    assert last(httpserver).get_data() == b""

    listed = invoke(
        httpserver, "evals", "output-items-list", "eval_1", "evalrun_1", "-o", "status=fail"
    )
    assert listed.exit_code == 0 and "outputitem_1" in listed.output
    assert last(httpserver).path == "/v1/evals/eval_1/runs/evalrun_1/output_items"
    assert query(last(httpserver)) == {"status": ["fail"]}
