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
from tests.support.api import answer

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
