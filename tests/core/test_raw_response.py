"""``with_raw_response``: the status, headers (rate limits), request id and elapsed time of a
call beside its answer, for one client's calls only, with no global hook; and the request id
of a stream. Both clients."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.support.api import answer

LIMITS = {
    "x-request-id": "req_abc123",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-remaining-tokens": "149990",
}
COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "choices": []}
MESSAGES = [{"role": "user", "content": "Hi"}]


def test_a_raw_response_holds_the_answer_and_how_it_came(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, COMPLETION, headers=LIMITS)

    raw = client.with_raw_response.chat.create(MESSAGES, "gpt-4o-mini")

    assert isinstance(raw, openaistream.RawResponse)
    assert raw.status == raw.status_code == 200
    assert raw.request_id == "req_abc123"
    assert raw.headers["x-ratelimit-remaining-tokens"] == "149990"
    assert isinstance(raw.elapsed, timedelta) and raw.elapsed.total_seconds() >= 0
    assert raw.parse() == COMPLETION
    assert json.loads(raw.content) == COMPLETION == raw.json()
    assert raw.method == "POST" and raw.url == httpserver.url_for("/v1/chat/completions")


def test_one_resource_with_raw_response_as_openai_python_users_write_it(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, {"data": []}, headers=LIMITS)
    answer(httpserver, {"data": []}, headers=LIMITS)

    raw = client.models.with_raw_response.list()
    plain = client.models.list()  # the client itself answers as before

    assert raw.request_id == "req_abc123" and raw.parse() == {"data": []}
    assert plain == {"data": []}


def test_a_raw_stream_parses_to_the_stream(httpserver: HTTPServer, client: Any) -> None:
    body = b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: [DONE]\n\n'
    answer(httpserver, body, content_type="text/event-stream", headers=LIMITS)

    raw = client.chat.with_raw_response.create(MESSAGES, "gpt-4o-mini", stream=True)

    assert raw.request_id == "req_abc123" and raw.content is None
    with raw.parse() as stream:
        assert list(stream) == [{"n": 1}, {"n": 2}]


def test_a_stream_carries_its_request_id(httpserver: HTTPServer, client: Any) -> None:
    body = b'data: {"n": 1}\n\ndata: [DONE]\n\n'
    answer(httpserver, body, content_type="text/event-stream", headers=LIMITS)

    with client.chat.create(MESSAGES, "gpt-4o-mini", stream=True) as stream:
        assert stream.headers["x-request-id"] == "req_abc123"
        assert list(stream) == [{"n": 1}]


def test_an_error_is_still_raised_with_its_request_id(httpserver: HTTPServer, client: Any) -> None:
    answer(httpserver, {"error": {"message": "no such model"}}, status=404, headers=LIMITS)

    with pytest.raises(openaistream.NotFoundError) as caught:
        client.with_raw_response.models.retrieve("gpt-9")

    assert caught.value.request_id == "req_abc123"


def test_raw_response_options_and_per_call_options_go_together(
    httpserver: HTTPServer, make_client: Any
) -> None:
    answer(httpserver, {"data": []}, headers=LIMITS)
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"))

    raw = client.with_raw_response.with_options(max_retries=0).models.list(
        extra_headers={"X-Trace": "1"}
    )

    assert raw.parse() == {"data": []}
    assert httpserver.log[-1][0].headers["X-Trace"] == "1"


def test_no_secret_shows_in_a_raw_response(httpserver: HTTPServer, make_client: Any) -> None:
    answer(httpserver, {"data": []})
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"))

    raw = client.with_raw_response.models.list(extra_query={"api-key": "query-secret-123"})

    assert "query-secret-123" not in f"{raw!r} {raw.url}"


def test_a_method_of_several_steps_is_refused_on_raw_response_before_any_network(
    httpserver: HTTPServer, client: Any, tmp_path: Any
) -> None:
    with pytest.raises(TypeError, match="with_raw_response is for methods of one call"):
        client.files.with_raw_response.download("file-1", tmp_path / "out.bin")
    assert httpserver.log == []
