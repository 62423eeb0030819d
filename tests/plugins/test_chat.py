"""client.chat against a local server: the request sent, the answer returned, streamed and
not, n > 1, and accumulation into the non-streamed shape."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as WRequest
from werkzeug import Response as WResponse

import openaistream
from openaistream.plugins.chat import Accumulation, accumulate
from tests.conftest import API_KEY
from tests.support import recordings

MESSAGES = [{"role": "user", "content": "Say this is a test"}]


def serve_recording(httpserver: HTTPServer, name: str, **expect: Any) -> None:
    recording = recordings.load(name)
    response = recording["response"]
    httpserver.expect_oneshot_request(
        "/v1/chat/completions", method="POST", **expect
    ).respond_with_data(
        recordings.body(recording),
        status=response["status"],
        content_type=response["headers"]["content-type"],
    )


def test_not_streamed_returns_the_completion_and_sends_what_the_api_expects(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve_recording(httpserver, "chat_completions/basic")
    completion = client.chat.create(MESSAGES, model="gpt-4o-mini", temperature=0.2)

    assert completion == json.loads(recordings.body("chat_completions/basic"))
    ((request, _),) = httpserver.log
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"openaistream/{openaistream.__version__}"
    assert json.loads(request.data) == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,
        "temperature": 0.2,
    }


def test_streamed_yields_every_chunk_and_sends_stream_true(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve_recording(httpserver, "chat_completions_stream/text_include_usage")
    with client.chat.create(
        MESSAGES, "gpt-4", stream=True, stream_options={"include_usage": True}
    ) as stream:
        chunks = list(stream)

    body = json.loads(httpserver.log[0][0].data)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert "n" not in body
    assert [c["object"] for c in chunks] == ["chat.completion.chunk"] * 8
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == '"This is a test."'
    assert stream.get_state() == "complete"


def test_n2_streamed_is_accumulated_into_two_choices(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve_recording(httpserver, "chat_completions_stream/n2_include_usage")
    stream = client.chat.create(MESSAGES, "gpt-4o-mini", stream=True, n=2, num=5)
    first = stream.next_value
    completion = client.chat.accumulate(first + list(stream))

    assert json.loads(httpserver.log[0][0].data)["n"] == 2
    assert len(first) == 5
    assert [c["index"] for c in completion["choices"]] == [0, 1]
    for choice in completion["choices"]:
        assert choice["finish_reason"] == "stop"
        assert choice["message"]["role"] == "assistant"
        assert len(choice["message"]["content"]) > 20
    assert (
        completion["choices"][0]["message"]["content"]
        != completion["choices"][1]["message"]["content"]
    )
    assert completion["usage"]["completion_tokens"] > 0
    assert completion["object"] == "chat.completion"


def test_accumulated_text_matches_the_concatenated_deltas() -> None:
    chunks = list(
        openaistream.DataStream(
            openaistream.Response(
                200, {}, [recordings.body("chat_completions_stream/n2_include_usage")]
            )
        )
    )
    completion = accumulate(chunks)
    for index in (0, 1):
        deltas = [
            choice["delta"].get("content") or ""
            for chunk in chunks
            for choice in chunk["choices"]
            if choice["index"] == index
        ]
        assert completion["choices"][index]["message"]["content"] == "".join(deltas)


def test_tool_calls_are_assembled_into_the_non_streamed_shape() -> None:
    streamed = accumulate(_decoded("chat_completions_stream/parallel_tool_calls"))
    message = streamed["choices"][0]["message"]
    assert streamed["choices"][0]["finish_reason"] == "tool_calls"
    assert message["content"] is None
    assert [set(call) for call in message["tool_calls"]] == [{"id", "type", "function"}] * 2
    for call in message["tool_calls"]:
        assert call["type"] == "function"
        assert call["id"].startswith("call_")
        assert isinstance(json.loads(call["function"]["arguments"]), dict)
    names = [call["function"]["name"] for call in message["tool_calls"]]
    # The non-streamed recording of the same request has the same shape.
    plain = json.loads(recordings.body("chat_completions/parallel_tool_calls"))["choices"][0]
    assert names == [call["function"]["name"] for call in plain["message"]["tool_calls"]]
    assert set(streamed["choices"][0]) == set(plain)


def test_a_single_tool_call_with_usage() -> None:
    streamed = accumulate(_decoded("chat_completions_stream/tool_call_include_usage"))
    (call,) = streamed["choices"][0]["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) is not None
    assert streamed["usage"]["total_tokens"] > 0
    assert "obfuscation" not in streamed


def folded(chunks: list[Any]) -> list[Any]:
    """The chunks as a server that batches deltas sends them (vLLM with speculative decoding):
    each pair of tool-call chunks in a row becomes one chunk carrying both deltas, for the
    same index; the first of each call then carries its id, name and first fragment."""
    out: list[Any] = []
    pending = None
    for chunk in copy.deepcopy(chunks):
        choices = chunk.get("choices") or [{}]
        calls = choices[0].get("delta", {}).get("tool_calls")
        if calls and pending is not None:
            pending["choices"][0]["delta"]["tool_calls"].extend(calls)
            pending = None
            continue
        out.append(chunk)
        pending = chunk if calls else None
    return out


@pytest.mark.parametrize(
    "name",
    [
        "chat_completions_stream/parallel_tool_calls",
        "chat_completions_stream/tool_call_include_usage",
    ],
)
def test_two_deltas_of_one_tool_call_in_one_chunk(name: str) -> None:
    chunks = _decoded(name)
    batched = folded(chunks)
    assert len(batched) < len(chunks)
    assert any(
        [call["index"] for call in chunk["choices"][0]["delta"]["tool_calls"]] == [0, 0]
        and "id" in chunk["choices"][0]["delta"]["tool_calls"][0]
        for chunk in batched
        if chunk["choices"] and chunk["choices"][0]["delta"].get("tool_calls")
    )
    as_sent = copy.deepcopy(batched)
    completion = accumulate(batched)
    assert completion == accumulate(chunks)
    for call in completion["choices"][0]["message"]["tool_calls"]:
        assert call["id"].startswith("call_") and call["function"]["name"]
        assert isinstance(json.loads(call["function"]["arguments"]), dict)
    assert batched == as_sent  # the caller's chunks are read, never changed


def test_logprobs_are_joined_token_by_token() -> None:
    chunks = _decoded("chat_completions_stream/logprobs_top3_include_usage")
    tokens = [
        entry["token"]
        for chunk in chunks
        for choice in chunk.get("choices", [])
        for entry in (choice.get("logprobs") or {}).get("content") or ()
    ]
    assert len(tokens) > 2
    choice = accumulate(chunks)["choices"][0]
    assert [entry["token"] for entry in choice["logprobs"]["content"]] == tokens
    assert all(len(entry["top_logprobs"]) == 3 for entry in choice["logprobs"]["content"])
    assert "".join(tokens) == choice["message"]["content"]


@pytest.mark.parametrize(
    "name",
    [
        "chat_completions_stream/logprobs_top3_include_usage",
        "chat_completions_stream/parallel_tool_calls",
        "chat_completions_stream/audio_output",
    ],
)
def test_a_completion_given_is_not_changed_by_later_chunks(name: str) -> None:
    # The running state grows in place (a long stream's logprobs would otherwise be copied
    # for every chunk): what it gave out, and the caller's chunks, must not grow with it.
    chunks = _decoded(name)
    as_sent = copy.deepcopy(chunks)
    added = Accumulation()
    given, as_given = [], []
    every = max(1, len(chunks) // 20)  # some twenty completions along the way
    for number, chunk in enumerate(chunks, 1):
        added.add(chunk)
        if number % every == 0 or number == len(chunks):
            given.append(added.completion())
            as_given.append(copy.deepcopy(given[-1]))
    assert given == as_given
    assert given[-1] == accumulate(chunks)
    assert chunks == as_sent


def test_audio_deltas_are_joined() -> None:
    chunks = _decoded("chat_completions_stream/audio_output")
    streamed = accumulate(chunks)
    audio = streamed["choices"][0]["message"]["audio"]
    transcript = "".join(
        choice["delta"].get("audio", {}).get("transcript", "")
        for chunk in chunks
        for choice in chunk.get("choices", [])
    )
    assert audio["transcript"] == transcript and transcript
    assert audio["id"].startswith("audio_")


def _decoded(name: str) -> list[Any]:
    response = openaistream.Response(200, {}, [recordings.body(name)])
    return list(openaistream.DataStream(response))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "names"),
    [
        (("hello", "gpt-4o"), {}, TypeError, "messages"),
        (({"role": "user"}, "gpt-4o"), {}, TypeError, "messages"),
        (([], "gpt-4o"), {}, ValueError, "messages"),
        ((["hi"], "gpt-4o"), {}, TypeError, "messages[0]"),
        ((MESSAGES, 4), {}, TypeError, "model"),
        ((MESSAGES, "gpt-4o"), {"stream": "yes"}, TypeError, "stream"),
        ((MESSAGES, "gpt-4o"), {"n": 0}, ValueError, "n must"),
        ((MESSAGES, "gpt-4o"), {"num": 0, "stream": True}, ValueError, "num"),
        ((MESSAGES, "gpt-4o"), {"verbosity": 5}, ValueError, "verbosity"),
    ],
)
def test_bad_arguments_fail_before_any_network(
    httpserver: HTTPServer,
    client: openaistream.OpenAI,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    names: str,
) -> None:
    with pytest.raises(error, match=names.replace("[", r"\[").replace("]", r"\]")):
        client.chat.create(*args, **kwargs)
    assert httpserver.log == []


def test_a_failed_streamed_request_raises_the_status_error(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve_recording(httpserver, "errors/404_model_not_found_chat")
    with pytest.raises(openaistream.NotFoundError) as caught:
        client.chat.create(MESSAGES, "gpt-nonexistent", stream=True)
    assert caught.value.status == 404
    assert caught.value.code == "model_not_found"
    assert "does not exist" in caught.value.message


def test_streamed_body_reaches_the_caller_through_a_werkzeug_generator(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    def handler(request: WRequest) -> WResponse:
        def body() -> Any:
            for i in range(3):
                yield f'data: {{"i": {i}, "choices": []}}\n\n'.encode()
            yield b"data: [DONE]\n\n"

        return WResponse(body(), content_type="text/event-stream")

    httpserver.expect_oneshot_request("/v1/chat/completions").respond_with_handler(handler)
    stream = client.chat.create(MESSAGES, "gpt-4o", stream=True, num=2)
    assert stream.next_value == [{"i": 0, "choices": []}, {"i": 1, "choices": []}]
    assert stream.next_value == [{"i": 2, "choices": []}]
    assert stream.next_value == []
    assert stream.get_state() == "complete"


def test_a_server_that_ignores_stream_true_is_reported_not_silent(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve_recording(httpserver, "chat_completions/basic")
    with pytest.raises(
        openaistream.StreamError, match="server answered with one JSON body"
    ) as caught:
        client.chat.create(MESSAGES, "gpt-4o-mini", stream=True)
    assert json.loads(caught.value.body)["object"] == "chat.completion"
