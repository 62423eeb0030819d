"""client.chat.stream and client.responses.stream, on both clients, against real recorded
streams served locally: the text deltas join to the final object, the events come in the
order of the moments they name, the final object is what a whole stream adds up to, closing
early lets go, and a stream that breaks off raises StreamError with what it delivered.

The streams are the recordings in tests/fixtures/recordings (see its README for sources and
licences). None holds a refusal or a failed response: those two are built from recorded
streams (see ``refusal_body`` and ``failed_body``), their shapes as the API sends them.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any, Optional

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.plugins import chat_stream, responses_stream
from openaistream.plugins.chat import accumulate
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.servers import Conn, RawServer, head

MESSAGES = [{"role": "user", "content": "Say this is a test"}]
CHAT = [n for n in recordings.sse_names() if n.startswith("chat_completions_stream/")]
RESPONSES = [n for n in recordings.sse_names() if n.startswith("responses_stream/")]
TEXT = "chat_completions_stream/text_include_usage"
TOOLS = "chat_completions_stream/parallel_tool_calls"
HELLO = "responses_stream/text_gpt55"


def sse(payloads: list[Any], names: Optional[list[str]] = None) -> bytes:
    """A stream body: each payload an event (with its ``event:`` line, given names), then
    ``[DONE]`` for chat."""
    lines = []
    for at, payload in enumerate(payloads):
        named = f"event: {names[at]}\n" if names else ""
        lines.append(f"{named}data: {json.dumps(payload)}\n\n")
    if names is None:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def chunks_of(name: str) -> list[dict[str, Any]]:
    return recordings.reference_items(recordings.body(name))[0]


def payloads_of(raw: bytes) -> list[dict[str, Any]]:
    return [item["data"] for item in recordings.reference_items(raw, named=True)[0]]


def refusal_body() -> bytes:
    """No recording holds a refusal. This is text_include_usage's chunks (ids, model, usage
    chunk, finish chunk) with the answer moved from ``content`` to ``refusal``, as the API
    streams one: a role chunk with ``"content": null, "refusal": ""``, then refusal deltas."""
    built = []
    for chunk in copy.deepcopy(chunks_of(TEXT)):
        for choice in chunk["choices"]:
            delta = choice["delta"]
            if "role" in delta:
                delta.update(content=None, refusal="")
            elif "content" in delta:
                delta["refusal"] = delta.pop("content")
        built.append(chunk)
    return sse(built)


def failed_body() -> bytes:
    """No recording holds a failed response. This is text_gpt55 with its last event,
    ``response.completed``, turned into the ``response.failed`` the API sends instead."""
    items = recordings.reference_items(recordings.body(HELLO), named=True)[0]
    names = [item["event"] for item in items]
    payloads = [item["data"] for item in copy.deepcopy(items)]
    last = payloads[-1]
    last["type"] = names[-1] = "response.failed"
    last["response"].update(
        status="failed", output=[], error={"code": "server_error", "message": "The model broke"}
    )
    return sse(payloads, names)


def serve(
    httpserver: HTTPServer, path: str, body: bytes, headers: Optional[dict[str, str]] = None
) -> None:
    httpserver.expect_oneshot_request(f"/v1/{path}", method="POST").respond_with_data(
        body, content_type="text/event-stream; charset=utf-8", headers=headers or {}
    )


def serve_recording(httpserver: HTTPServer, name: str) -> dict[str, Any]:
    recording = recordings.load(name)
    path = "chat/completions" if name.startswith("chat") else "responses"
    kept = {k: v for k, v in recording["response"]["headers"].items() if k.startswith("x-")}
    serve(httpserver, path, recordings.body(recording), kept)
    return recording


def sent(httpserver: HTTPServer) -> dict[str, Any]:
    ((request, _),) = httpserver.log
    return json.loads(request.data)  # type: ignore[no-any-return]


# -- chat --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHAT)
def test_chat_text_deltas_join_to_the_content_of_the_final_completion(
    name: str, httpserver: HTTPServer, client: Any
) -> None:
    recording = serve_recording(httpserver, name)
    with client.chat.stream(MESSAGES, "gpt-4o-mini", temperature=0.2) as s:
        text = "".join(s.text_deltas())
        final = s.final()
        assert s.get_state() == "complete"
        assert s.request_id == recording["response"]["headers"].get("x-request-id")

    assert final == accumulate(chunks_of(name))
    assert text == (final["choices"][0]["message"]["content"] or "" if final["choices"] else "")
    assert sent(httpserver) == {
        "model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0.2, "stream": True
    }  # fmt: skip


def test_chat_text_deltas_of_another_choice(httpserver: HTTPServer, client: Any) -> None:
    serve_recording(httpserver, "chat_completions_stream/n2_include_usage")
    with client.chat.stream(MESSAGES, "gpt-4o-mini", n=2) as s:
        text = "".join(s.text_deltas(choice=1))
        final = s.get_final_completion()
    assert sent(httpserver)["n"] == 2
    assert text == final["choices"][1]["message"]["content"]
    assert text.startswith("I'm unable to provide real-time weather updates as my")


def test_chat_events_of_a_text_stream(httpserver: HTTPServer, client: Any) -> None:
    serve_recording(httpserver, TEXT)
    chunks = chunks_of(TEXT)
    with client.chat.stream(MESSAGES, "gpt-4") as s:
        events = list(s)

    assert [e["chunk"] for e in events if e["type"] == "chunk"] == chunks
    moments = [e for e in events if e["type"] != "chunk"]
    content = accumulate(chunks)["choices"][0]["message"]["content"]
    assert content == '"This is a test."'
    deltas = [e for e in moments if e["type"] == "content.delta"]
    assert "".join(e["delta"] for e in deltas) == content
    joined = ""
    for event in deltas:  # each snapshot is the content so far
        joined += event["delta"]
        assert event["snapshot"] == joined
        assert event["choice_index"] == 0
    assert moments[-1] == {"type": "content.done", "choice_index": 0, "content": content}
    # content.done follows the finish chunk, before the usage chunk.
    done_at = events.index(moments[-1])
    assert events[done_at - 1]["chunk"]["choices"][0]["finish_reason"] == "stop"
    assert events[done_at + 1]["chunk"]["usage"]["total_tokens"] > 0


def test_chat_events_of_two_tool_calls(httpserver: HTTPServer, client: Any) -> None:
    serve_recording(httpserver, TOOLS)
    with client.chat.stream(MESSAGES, "gpt-3.5-turbo", tools=[]) as s:
        moments = [e for e in s.events() if e["type"] != "chunk"]
        final = s.final()

    calls = final["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["arguments"] for c in calls] == [
        '{"location": "San Francisco"}', '{"location": "Boston"}'
    ]  # fmt: skip
    delta, done = "tool_calls.function.arguments.delta", "tool_calls.function.arguments.done"
    assert [(e["type"], e["index"]) for e in moments] == [
        *[(delta, 0)] * 7, (done, 0), *[(delta, 1)] * 6, (done, 1)
    ]  # fmt: skip
    for index, call in enumerate(calls):
        deltas = [e for e in moments if e["type"] == delta and e["index"] == index]
        assert "".join(e["arguments_delta"] for e in deltas) == call["function"]["arguments"]
        assert deltas[-1]["arguments"] == call["function"]["arguments"]
        assert {e["name"] for e in deltas} == {"get_current_weather"}
        (finished,) = [e for e in moments if e["type"] == done and e["index"] == index]
        assert finished == {
            "type": done, "choice_index": 0, "index": index, "id": call["id"],
            "name": "get_current_weather", "arguments": call["function"]["arguments"],
        }  # fmt: skip


def test_chat_events_of_a_refusal(httpserver: HTTPServer, client: Any) -> None:
    serve(httpserver, "chat/completions", refusal_body())
    with client.chat.stream(MESSAGES, "gpt-4o") as s:
        moments = [e for e in s if e["type"] != "chunk"]
        final = s.final()

    message = final["choices"][0]["message"]
    assert message["content"] is None
    assert message["refusal"] == '"This is a test."'
    assert [e["type"] for e in moments] == ["refusal.delta"] * 5 + ["refusal.done"]
    assert moments[-2]["snapshot"] == message["refusal"]
    assert moments[-1] == {"type": "refusal.done", "choice_index": 0, "refusal": message["refusal"]}


def test_chat_stream_events_are_those_of_the_pure_function(
    httpserver: HTTPServer, client: Any
) -> None:
    serve_recording(httpserver, TOOLS)
    with client.chat.stream(MESSAGES, "gpt-3.5-turbo") as s:
        events = list(s.events())
    assert events == list(chat_stream.events(chunks_of(TOOLS)))


def test_chat_stream_ended_without_a_finish_reason_closes_what_is_open(
    httpserver: HTTPServer, client: Any
) -> None:
    # A lenient server's stream: the recorded chunks without the finish chunk.
    chunks = [c for c in chunks_of(TEXT) if not (c["choices"] and c["choices"][0]["finish_reason"])]
    serve(httpserver, "chat/completions", sse(chunks))
    with client.chat.stream(MESSAGES, "gpt-4") as s:
        events = list(s)
    assert events[-1] == {"type": "content.done", "choice_index": 0, "content": '"This is a test."'}


# -- responses ---------------------------------------------------------------------------


def output_text(response: dict[str, Any]) -> str:
    return "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


@pytest.mark.parametrize("name", RESPONSES)
def test_responses_text_deltas_join_to_the_text_of_the_final_response(
    name: str, httpserver: HTTPServer, client: Any
) -> None:
    recording = serve_recording(httpserver, name)
    with client.responses.stream("gpt-4o-mini", "Say hello", store=False) as s:
        text = "".join(s.text_deltas())
        final = s.get_final_response()
        assert s.request_id == recording["response"]["headers"].get("x-request-id")

    terminal = payloads_of(recordings.body(name))[-1]
    assert terminal["type"] in ("response.completed", "response.incomplete")
    assert final == terminal["response"]
    assert text == output_text(final)
    assert sent(httpserver) == {
        "model": "gpt-4o-mini", "input": "Say hello", "store": False, "stream": True
    }  # fmt: skip


def test_responses_events_are_the_api_payloads(httpserver: HTTPServer, client: Any) -> None:
    name = "responses_stream/function_call_arguments"
    serve_recording(httpserver, name)
    with client.responses.stream("gpt-5.5", "Multiply 1231 by 2331") as s:
        events = list(s)
        final = s.final()
    assert events == payloads_of(recordings.body(name))
    arguments = "".join(
        e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"
    )
    (call,) = [item for item in final["output"] if item["type"] == "function_call"]
    assert json.loads(arguments) == json.loads(call["arguments"])


def test_an_incomplete_response_is_final_with_its_reason(
    httpserver: HTTPServer, client: Any
) -> None:
    serve_recording(httpserver, "responses_stream/incomplete_max_output_tokens")
    with client.responses.stream("gpt-4o", "Tell a story", max_output_tokens=16) as s:
        final = s.final()
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert output_text(final).startswith("In the bustling city of Detroit")


def test_a_failed_response_raises_the_api_error(httpserver: HTTPServer, client: Any) -> None:
    serve(httpserver, "responses", failed_body(), {"x-request-id": "req_failed1"})
    with client.responses.stream("gpt-5.5", "ping") as s:
        assert "".join(s.text_deltas()) == "pong"  # the events all came
        with pytest.raises(openaistream.APIError, match="The model broke") as caught:
            s.final()
    error = caught.value
    assert type(error) is openaistream.APIError
    assert error.code == "server_error"
    assert error.request_id == "req_failed1"
    assert error.received[-1]["data"]["response"]["status"] == "failed"


def test_a_stream_without_a_terminal_event_has_no_final_response(
    httpserver: HTTPServer, client: Any
) -> None:
    raw = recordings.body(HELLO)
    cut = raw[: raw.index(b"event: response.completed")]
    serve(httpserver, "responses", cut)
    with client.responses.stream("gpt-5.5", "ping") as s:
        assert "".join(s.text_deltas()) == "pong"
        with pytest.raises(openaistream.StreamError, match=r"without response\.completed"):
            s.final()
        assert len(s.received) == 8


def test_a_completed_response_without_output_gets_the_finished_items(
    httpserver: HTTPServer, client: Any
) -> None:
    items = recordings.reference_items(recordings.body(HELLO), named=True)[0]
    payloads = [item["data"] for item in copy.deepcopy(items)]
    expected = payloads[-1]["response"]["output"]
    del payloads[-1]["response"]["output"]  # as a gateway may send it
    serve(httpserver, "responses", sse(payloads, [item["event"] for item in items]))
    with client.responses.stream("gpt-5.5", "ping") as s:
        assert s.final()["output"] == expected


# -- both --------------------------------------------------------------------------------


def test_streams_carry_their_request_id(httpserver: HTTPServer, client: Any) -> None:
    serve_recording(httpserver, TEXT)
    with client.chat.create(MESSAGES, "gpt-4", stream=True) as stream:
        assert stream.request_id == "req_c367cf360ee88481fb7cd6c5d45bf9dc"
        assert stream.request_id == stream.headers["x-request-id"]
    serve(httpserver, "chat/completions", recordings.body(TEXT))  # no x-request-id
    with client.chat.create(MESSAGES, "gpt-4", stream=True) as stream:
        assert stream.request_id is None
        assert stream.status == 200


def test_closing_early_lets_the_stream_go_and_leaves_no_final(
    httpserver: HTTPServer, client: Any
) -> None:
    serve_recording(httpserver, "chat_completions_stream/text_no_charset_2024")
    with client.chat.stream(MESSAGES, "gpt-3.5-turbo") as s:
        deltas = s.text_deltas()
        first = [next(deltas), next(deltas)]
    assert s.get_state() == "closed"
    assert "".join(first) == "".join(chat_stream.text_deltas(s.received))
    with pytest.raises(openaistream.StreamError, match="'closed', not read to its end"):
        s.final()
    assert list(s) == []


def test_a_loop_left_early_and_final_reads_the_rest(httpserver: HTTPServer, client: Any) -> None:
    name = "chat_completions_stream/text_no_charset_2024"
    serve_recording(httpserver, name)
    with client.chat.stream(MESSAGES, "gpt-3.5-turbo") as s:
        for at, _ in enumerate(s.text_deltas()):
            if at == 2:
                break
        assert s.get_state() == "open"
        assert s.final() == accumulate(chunks_of(name))


def test_a_stream_that_breaks_off_raises_stream_error_with_what_came(make_client: Any) -> None:
    raw = recordings.body(TEXT)
    cut = raw.index(b"\n\n", raw.index(b"\n\n", raw.index(b"\n\n") + 2) + 2) + 40  # 3 events

    def handler(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(head(200, {"Content-Length": str(len(raw))}, chunked=False))
            conn.send(raw[:cut])  # then the connection closes, the body short

    with RawServer(handler) as server:
        client = make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0)
        pieces = []
        s = client.chat.stream(MESSAGES, "gpt-4")
        with pytest.raises(openaistream.StreamError) as caught:
            for text in s.text_deltas():
                pieces.append(text)
        assert s.get_state() == "error"
        s.close()
    assert caught.value.received == chunks_of(TEXT)[:3]
    assert "".join(pieces) == '"This is'
    assert accumulate(caught.value.received)["choices"][0]["message"]["content"] == '"This is'


def test_bad_arguments_fail_before_any_network(httpserver: HTTPServer, client: Any) -> None:
    with pytest.raises(TypeError, match="always streams"):
        client.chat.stream(MESSAGES, "gpt-4", stream=True)
    with pytest.raises(TypeError, match="messages must be a list"):
        client.chat.stream("Hello", "gpt-4")
    with pytest.raises(TypeError, match="always streams"):
        client.responses.stream("gpt-4o", "Hello", stream=False)
    with pytest.raises(TypeError, match="model must be a string"):
        client.responses.stream(None, "Hello")
    assert httpserver.log == []


# -- what only one kind of client does ---------------------------------------------------


def test_the_pure_functions_read_a_stream_the_caller_holds(httpserver: HTTPServer) -> None:
    serve_recording(httpserver, TEXT)
    serve_recording(httpserver, HELLO)
    with openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0) as client:
        with client.chat.create(MESSAGES, "gpt-4", stream=True) as stream:
            assert "".join(chat_stream.text_deltas(stream)) == '"This is a test."'
        with client.responses.create("gpt-5.5", "ping", stream=True) as stream:
            assert responses_stream.final_response(stream)["status"] == "completed"


def test_async_with_needs_no_await_and_a_held_stream_takes_a_helper(httpserver: HTTPServer) -> None:
    serve_recording(httpserver, TEXT)
    serve_recording(httpserver, HELLO)
    serve_recording(httpserver, TOOLS)

    async def main() -> tuple[str, list[str], Any]:
        async with openaistream.AsyncOpenAI(
            API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0
        ) as client:
            async with client.chat.stream(MESSAGES, "gpt-4") as s:  # as in openai-python
                text = "".join([piece async for piece in s.text_deltas()])
                assert isinstance(s, chat_stream.AsyncChatStream)
            assert s.get_state() == "complete"
            async with await client.responses.stream("gpt-5.5", "ping") as r:
                types = [event["type"] async for event in r]
                assert (await r.final())["status"] == "completed"
            held = await client.chat.create(MESSAGES, "gpt-3.5", stream=True)
            async with chat_stream.AsyncChatStream(held) as helper:
                final = await helper.get_final_completion()
            return text, types, final

    text, types, final = asyncio.run(main())
    assert text == '"This is a test."'
    assert types == [p["type"] for p in payloads_of(recordings.body(HELLO))]
    assert final == accumulate(chunks_of(TOOLS))
