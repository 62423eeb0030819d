"""client.completions (the legacy Completions API) against local servers: a streamed answer
decoded chunk by chunk whatever the HTTP chunk boundaries, the flag sent, a failed stream
(a real recorded 401), arguments refused before any network, and the command."""

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
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head

MODEL = "gpt-3.5-turbo-instruct"
# No legacy completion stream is among the recordings: these chunks have the shape the API
# sends (the spec's streaming example; a last chunk with usage under include_usage).
PIECES = ["This", " is", " indeed", " a", " test", ""]


def stream_chunks() -> list[dict[str, Any]]:
    chunks = [
        {
            "id": "cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe",
            "object": "text_completion",
            "created": 1690759702,
            "choices": [
                {
                    "text": text,
                    "index": 0,
                    "logprobs": None,
                    "finish_reason": "length" if n == len(PIECES) - 1 else None,
                }
            ],
            "model": MODEL,
            "system_fingerprint": None,
        }
        for n, text in enumerate(PIECES)
    ]
    usage = {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}
    chunks.append({**chunks[0], "choices": [], "usage": usage})
    return chunks


def sse_body(chunks: list[dict[str, Any]]) -> bytes:
    events = [f"data: {json.dumps(c, separators=(',', ':'))}\n\n" for c in chunks]
    return "".join([*events, "data: [DONE]\n\n"]).encode()


def test_a_streamed_completion_yields_each_chunk_across_any_chunk_boundaries(
    make_client: Any,
) -> None:
    body = sse_body(stream_chunks())
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]  # events cut mid-JSON

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        for piece in pieces:
            conn.send(chunk(piece))
        conn.send(LAST_CHUNK)

    with RawServer(handler) as server:
        client = make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0)
        with client.completions.create(
            MODEL, "Say this is a test", stream=True, stream_options={"include_usage": True}
        ) as stream:
            chunks = list(stream)
        state = stream.get_state()
        client.close()

    assert chunks == stream_chunks()
    assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"]) == (
        "This is indeed a test"
    )
    assert chunks[-1]["usage"]["total_tokens"] == 10
    assert state == "complete"
    (request,) = server.requests
    assert request.target == "/v1/completions"
    assert json.loads(request.body) == {
        "model": MODEL,
        "prompt": "Say this is a test",
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_next_value_gives_num_chunks_at_a_time(httpserver: HTTPServer, client: Any) -> None:
    answer(httpserver, sse_body(stream_chunks()), content_type="text/event-stream")
    stream = client.completions.create(MODEL, ["Say", "this"], stream=True, num=4)
    first, rest = stream.next_value, stream.next_value
    assert [len(first), len(rest)] == [4, 3]
    assert stream.next_value == []


def test_not_streamed_returns_the_completion_and_sends_no_stream_flag(
    httpserver: HTTPServer, client: Any
) -> None:
    completion = {"id": "cmpl-1", "object": "text_completion", "choices": [{"text": "Hi"}]}
    answer(httpserver, completion)

    assert client.completions.create(MODEL, [1212, 318], max_tokens=7) == completion
    assert json.loads(last(httpserver).get_data()) == {
        "model": MODEL,
        "prompt": [1212, 318],
        "max_tokens": 7,
    }


def test_a_refused_streamed_completion_raises_the_recorded_error(
    httpserver: HTTPServer, client: Any
) -> None:
    recording = recordings.load("errors/401_invalid_api_key_completions")
    sent = recording["request"]["body_json"]
    answer(
        httpserver,
        recordings.body(recording),
        status=401,
        content_type=recording["response"]["headers"]["content-type"],
    )
    with pytest.raises(openaistream.AuthenticationError) as caught:
        client.completions.create(
            sent["model"],
            sent["prompt"],
            stream=True,
            max_tokens=sent["max_tokens"],
            n=sent["n"],
            temperature=sent["temperature"],
        )
    assert caught.value.code == "invalid_api_key"
    assert json.loads(last(httpserver).get_data()) == sent


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((MODEL,), {}, TypeError, "missing a required argument: 'prompt'"),
        ((MODEL, None), {}, TypeError, "prompt is required"),
        ((None, "Hi"), {}, TypeError, "model is required"),
        ((MODEL, "Hi"), {"stream": "yes"}, TypeError, "stream must be True or False"),
    ],
)
def test_bad_arguments_fail_before_any_network(
    httpserver: HTTPServer,
    client: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        client.completions.create(*args, **kwargs)
    assert httpserver.log == []


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def test_the_command_prints_a_streamed_completion_as_json_lines(httpserver: HTTPServer) -> None:
    answer(httpserver, sse_body(stream_chunks()), content_type="text/event-stream")

    result = invoke(httpserver, "completions", "create", MODEL, "Say hi", "-o", "stream=true")

    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.output.splitlines()] == stream_chunks()
    assert json.loads(last(httpserver).get_data())["stream"] is True
