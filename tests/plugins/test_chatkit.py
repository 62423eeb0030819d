"""client.chatkit: every request carries the ChatKit beta header (and a caller's own
extra_headers win), a session's cancel sends no body, required arguments are checked before
any network, and the commands send a workflow given as JSON."""

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

BETA = "chatkit_beta=v1"
WORKFLOW = {"id": "wf_68df4b13b3588190a09d19288d4610ec", "version": "1"}
SESSION = {"id": "cksess_123", "object": "chatkit.session", "client_secret": "ek_1"}

CALLS = {
    "sessions_create": lambda c: c.chatkit.sessions_create(WORKFLOW, "user_123"),
    "sessions_cancel": lambda c: c.chatkit.sessions_cancel("cksess_123"),
    "threads_list": lambda c: c.chatkit.threads_list(user="user_123"),
    "threads_retrieve": lambda c: c.chatkit.threads_retrieve("cthr_1"),
    "threads_delete": lambda c: c.chatkit.threads_delete("cthr_1"),
    "threads_list_items": lambda c: c.chatkit.threads_list_items("cthr_1", limit=2),
}


@pytest.mark.parametrize("method", sorted(CALLS))
def test_every_request_carries_the_chatkit_beta_header(
    method: str, httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, SESSION)
    CALLS[method](client)
    assert last(httpserver).headers["OpenAI-Beta"] == BETA


def test_a_callers_own_beta_header_wins(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, SESSION)
    client.chatkit.threads_list(extra_headers={"OpenAI-Beta": "chatkit_beta=v2"})
    assert last(httpserver).headers.getlist("OpenAI-Beta") == ["chatkit_beta=v2"]


def test_a_session_is_created_from_its_workflow_and_user_and_cancelled_with_no_body(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, SESSION)
    answer(httpserver, {**SESSION, "status": "cancelled"})

    assert client.chatkit.sessions_create(user="user_123", workflow=WORKFLOW) == SESSION
    assert json.loads(last(httpserver).get_data()) == {"workflow": WORKFLOW, "user": "user_123"}

    assert client.chatkit.sessions_cancel("cksess_123")["status"] == "cancelled"
    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/chatkit/sessions/cksess_123/cancel")
    assert request.get_data() == b"" and "Content-Type" not in request.headers


def test_missing_or_bad_arguments_fail_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    with pytest.raises(TypeError, match="missing a required argument: 'user'"):
        client.chatkit.sessions_create(WORKFLOW)
    with pytest.raises(TypeError, match="workflow is required, not None"):
        client.chatkit.sessions_create(None, "user_123")
    with pytest.raises(ValueError, match="session_id must not be"):
        client.chatkit.sessions_cancel("..")
    with pytest.raises(TypeError, match="thread_id must be a string"):
        client.chatkit.threads_list_items(7)
    assert httpserver.log == []


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


@pytest.mark.parametrize(
    ("given", "sent"),
    [(WORKFLOW["id"], {"id": WORKFLOW["id"]}), (json.dumps(WORKFLOW), WORKFLOW)],
    ids=["an id", "an object"],
)
def test_sessions_create_takes_a_workflow_id_or_object_and_a_user(
    given: str, sent: Any, httpserver: HTTPServer
) -> None:
    answer(httpserver, SESSION)

    result = invoke(
        httpserver,
        "chatkit",
        "sessions-create",
        given,
        "user_123",
        "-o",
        'rate_limits={"max_requests_per_1_minute": 5}',
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == SESSION
    assert json.loads(last(httpserver).get_data()) == {
        "workflow": sent, "user": "user_123", "rate_limits": {"max_requests_per_1_minute": 5},
    }  # fmt: skip
    assert last(httpserver).headers["OpenAI-Beta"] == BETA


def test_sessions_create_refuses_a_broken_workflow_object(httpserver: HTTPServer) -> None:
    result = invoke(httpserver, "chatkit", "sessions-create", "{oops", "user_123")
    assert (
        result.exit_code == 2
        and "WORKFLOW" in result.output
        and "not a JSON object" in result.output
    )
    assert httpserver.log == []


def test_thread_commands_send_their_ids_and_options(httpserver: HTTPServer) -> None:
    answer(
        httpserver, {"object": "list", "data": [{"id": "cthi_1", "type": "chatkit.user_message"}]}
    )
    answer(httpserver, SESSION)

    items = invoke(httpserver, "chatkit", "threads-list-items", "cthr_1", "-o", "order=asc")
    assert items.exit_code == 0 and "cthi_1" in items.output
    assert last(httpserver).path == "/v1/chatkit/threads/cthr_1/items"
    assert query(last(httpserver)) == {"order": ["asc"]}

    cancelled = invoke(httpserver, "chatkit", "sessions-cancel", "cksess_123")
    assert cancelled.exit_code == 0 and last(httpserver).get_data() == b""
