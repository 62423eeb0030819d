"""Streamed responses keep one shape whatever the server sends. The OpenAI API puts an
``event:`` line before every event; the LiteLLM proxy sends the same payloads without one (the
payload's ``type`` names it). The items, and what the CLI prints, are the same either way.

The streams are the real recordings in tests/fixtures/recordings/responses_stream (each file
names its source), served as recorded and with their ``event:`` lines taken out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.api import answer, last

SSE = "text/event-stream; charset=utf-8"
RESPONSES = [name for name in recordings.sse_names() if name.startswith("responses_stream/")]


def without_event_lines(body: bytes) -> bytes:
    """The body as the LiteLLM proxy sends it: the same events, no ``event:`` lines."""
    lines = body.splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith(b"event:"))


def streamed(httpserver: HTTPServer, client: openaistream.OpenAI, body: bytes) -> list[Any]:
    answer(httpserver, body, content_type=SSE)
    with client.responses.create("gpt-4o-mini", "hi", stream=True) as stream:
        return list(stream)


@pytest.mark.parametrize("name", RESPONSES)
def test_the_items_are_the_same_with_or_without_event_lines(
    httpserver: HTTPServer, client: openaistream.OpenAI, name: str
) -> None:
    recorded = recordings.body(name)
    bare = without_event_lines(recorded)
    assert b"\nevent:" in recorded and b"event:" not in bare
    items = streamed(httpserver, client, recorded)
    assert streamed(httpserver, client, bare) == items
    assert [item["data"] for item in items] == [
        json.loads(data) for _, data in recordings.reference_events(recorded)
    ]
    # The documented loop reads every event by its name.
    assert all(item["event"] == item["data"]["type"] for item in items)


def test_a_background_response_read_again_has_the_same_shape(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    bare = without_event_lines(recordings.body("responses_stream/hello_world_gpt4o_mini"))
    answer(httpserver, bare, content_type=SSE)
    events = list(client.responses.retrieve("resp_1", stream=True))
    assert events[0]["event"] == "response.created"
    assert events[-1]["event"] == "response.completed"


def recorded_text(name: str) -> str:
    """The text of a recorded response, by the reference parser."""
    events = recordings.reference_events(recordings.body(name))
    deltas = (json.loads(data) for _, data in events)
    return "".join(d["delta"] for d in deltas if d["type"] == "response.output_text.delta")


@pytest.mark.parametrize("event_lines", [True, False], ids=["OpenAI", "LiteLLM proxy"])
def test_the_cli_prints_the_text_either_way(httpserver: HTTPServer, event_lines: bool) -> None:
    name = "responses_stream/text_gpt55"
    body = recordings.body(name)
    answer(httpserver, body if event_lines else without_event_lines(body), content_type=SSE)
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    command = ["responses", "create", "-m", "MODEL", "hi"]
    result = CliRunner().invoke(cli, [*base, *command], catch_exceptions=False)
    assert result.exit_code == 0
    text = recorded_text(name)
    assert text  # the recording has text to print
    assert result.output == text + "\n"


def test_input_tokens_and_compact_send_their_bodies(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, {"object": "response.input_tokens", "input_tokens": 11})
    counted = client.responses.input_tokens(model="gpt-5", input="Tell me a joke.")
    assert counted["input_tokens"] == 11
    assert json.loads(last(httpserver).get_data()) == {"model": "gpt-5", "input": "Tell me a joke."}

    answer(httpserver, {"object": "response.compaction", "output": []})
    client.responses.compact("gpt-5.1", previous_response_id="resp_123")
    assert last(httpserver).path == "/v1/responses/compact"
    assert json.loads(last(httpserver).get_data()) == {
        "model": "gpt-5.1",
        "previous_response_id": "resp_123",
    }


def test_compact_without_a_model_is_refused_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    with pytest.raises(TypeError, match="'model'"):
        client.responses.compact(input="Hi")
    with pytest.raises(TypeError, match="model is required"):
        client.responses.compact(None, input="Hi")
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("command", "path", "body"),
    [
        (["input-tokens", "-o", "model=gpt-5", "-o", "input=Hi"], "/v1/responses/input_tokens",
         {"model": "gpt-5", "input": "Hi"}),
        (["compact", "gpt-5.1", "-o", "previous_response_id=resp_1"], "/v1/responses/compact",
         {"model": "gpt-5.1", "previous_response_id": "resp_1"}),
    ],
)  # fmt: skip
def test_the_cli_counts_input_tokens_and_compacts(
    httpserver: HTTPServer, command: list[str], path: str, body: dict[str, Any]
) -> None:
    answer(httpserver, {"input_tokens": 3})
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    result = CliRunner().invoke(cli, [*base, "responses", *command], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"input_tokens": 3}
    assert (last(httpserver).path, json.loads(last(httpserver).get_data())) == (path, body)
