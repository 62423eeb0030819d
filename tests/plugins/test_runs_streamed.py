"""Streamed assistants runs and responses, served from the recordings: named events, the
beta header, and the stream flag in the body."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.support import recordings
from tests.support.api import answer, last

SSE = "text/event-stream; charset=utf-8"
INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"


def serve(httpserver: HTTPServer, name: str) -> dict:
    recording = recordings.load(name)
    answer(httpserver, recordings.body(recording), content_type=SSE)
    return recording


def test_a_streamed_run_yields_named_events(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    recording = serve(httpserver, "assistants_stream/run_code_interpreter")
    thread_id = recording["request"]["url_path"].split("/")[3]
    with client.runs.create(thread_id, "asst_1", stream=True) as stream:
        events = list(stream)
    request = last(httpserver)
    assert request.headers["OpenAI-Beta"] == "assistants=v2"
    assert json.loads(request.get_data()) == {"assistant_id": "asst_1", "stream": True}
    names = [event["event"] for event in events]
    assert names[0] == "thread.run.created"
    assert names[-1] == "thread.run.completed"
    assert "thread.message.delta" in names and "thread.run.step.delta" in names
    assert "done" not in names  # event: done / data: [DONE] ends the stream
    text = "".join(
        part["text"]["value"]
        for event in events
        if event["event"] == "thread.message.delta"
        for part in event["data"]["delta"]["content"]
        if part["type"] == "text"
    )
    assert text


def test_create_thread_and_run_then_submit_tool_outputs(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve(httpserver, "assistants_stream/create_thread_and_run_requires_action")
    events = list(client.runs.create_thread("asst_1", stream=True, thread={"messages": []}))
    assert events[0]["event"] == "thread.created"
    action = events[-1]
    assert action["event"] == "thread.run.requires_action"
    run = action["data"]
    call = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]
    assert last(httpserver).path == "/v1/threads/runs"

    serve(httpserver, "assistants_stream/submit_tool_outputs")
    outputs = [{"tool_call_id": call["id"], "output": "Sunny, 22C"}]
    events = list(
        client.runs.submit_tool_outputs(run["thread_id"], run["id"], outputs, stream=True)
    )
    request = last(httpserver)
    assert request.path == f"/v1/threads/{run['thread_id']}/runs/{run['id']}/submit_tool_outputs"
    assert json.loads(request.get_data()) == {"tool_outputs": outputs, "stream": True}
    assert events[-1]["event"] == "thread.run.completed"


def test_the_include_query_of_a_streamed_run(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    recording = serve(httpserver, "assistants_stream/run_with_include_query")
    thread_id = recording["request"]["url_path"].split("/")[3]
    # The recorded request: the same query, sent by the official .NET client.
    assert recording["request"]["query"] == {"include[]": INCLUDE}
    events = list(client.runs.create(thread_id, "asst_1", stream=True, include=[INCLUDE]))
    assert last(httpserver).args.to_dict(flat=False) == {"include[]": [INCLUDE]}
    assert events[-1]["event"] == "thread.run.completed"


def test_create_tread_is_a_deprecated_alias(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, {"id": "run_1", "object": "thread.run"})
    with pytest.warns(DeprecationWarning, match="create_thread"):
        run = client.runs.create_tread("asst_1")
    assert run["id"] == "run_1"
    assert last(httpserver).path == "/v1/threads/runs"


def test_a_streamed_response_yields_its_semantic_events(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    recording = serve(httpserver, "responses_stream/text_gpt55")
    body = recording["request"]["body_json"]
    events = list(client.responses.create(body["model"], body["input"], stream=True))
    assert json.loads(last(httpserver).get_data())["stream"] is True
    names = [event["event"] for event in events]
    assert names[0] == "response.created" and names[-1] == "response.completed"
    text = "".join(e["data"]["delta"] for e in events if e["event"] == "response.output_text.delta")
    done = next(e["data"]["text"] for e in events if e["event"] == "response.output_text.done")
    assert text == done


def test_an_incomplete_response_ends_without_done(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve(httpserver, "responses_stream/incomplete_max_output_tokens")
    stream = client.responses.create(
        "gpt-4o-mini", "Write a long story", stream=True, max_output_tokens=16
    )
    events = list(stream)
    assert events[-1]["event"] == "response.incomplete"
    assert stream.get_state() == "complete"


def test_retrieve_a_background_response_as_a_stream(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve(httpserver, "responses_stream/hello_world_gpt4o_mini")
    events = list(client.responses.retrieve("resp_1", stream=True, starting_after=3))
    assert last(httpserver).args.to_dict() == {"stream": "true", "starting_after": "3"}
    assert events[-1]["event"] == "response.completed"


def test_an_error_status_on_a_streamed_response(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    recording = recordings.load("errors/400_model_not_found_responses")
    answer(httpserver, recordings.body(recording), status=400)
    with pytest.raises(openaistream.BadRequestError) as caught:
        client.responses.create("gpt-nope", "Hi", stream=True)
    assert caught.value.code == "model_not_found"


def test_a_run_streamed_without_event_lines_keeps_its_shape(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    # A server that sends no event: lines: each item is still {"event": ..., "data": ...}
    # (a run's payload has no "type" naming the event, so the name is then None or the
    # payload's own type).
    recorded = recordings.body("assistants_stream/run_code_interpreter")
    lines = recorded.splitlines(keepends=True)
    bare = b"".join(line for line in lines if not line.startswith(b"event:"))
    answer(httpserver, bare, content_type=SSE)
    events = list(client.runs.create("thread_1", "asst_1", stream=True))
    payloads = [json.loads(d) for _, d in recordings.reference_events(recorded) if d != "[DONE]"]
    assert [sorted(event) for event in events] == [["data", "event"]] * len(payloads)
    assert [event["data"] for event in events] == payloads
