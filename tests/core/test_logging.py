"""Verbosity 0-3: what each level logs, and that the API key and proxy passwords never
appear in any of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import structlog
from pytest_httpserver import HTTPServer
from structlog.testing import capture_logs

import openaistream
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.servers import RawServer, serve_body

MESSAGES = [{"role": "user", "content": "Say this is a test"}]


def serve_stream(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        recordings.body("chat_completions_stream/text_include_usage"),
        content_type="text/event-stream",
        headers={"x-request-id": "req_stream"},
    )


def run_stream(client: Any, verbosity: int) -> list[dict[str, Any]]:
    with capture_logs() as logs:
        list(client.chat.create(MESSAGES, "gpt-4", stream=True, verbosity=verbosity))
    return logs


def events(logs: list[dict[str, Any]]) -> list[str]:
    return [entry["event"] for entry in logs]


def test_verbosity_0_logs_nothing(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    serve_stream(httpserver)
    assert run_stream(client, 0) == []


def test_verbosity_1_logs_request_line_status_and_headers(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve_stream(httpserver)
    logs = run_stream(client, 1)
    assert events(logs) == ["http.request", "http.response", "stream.complete"]
    request, response, complete = logs
    assert request["method"] == "POST"
    assert request["url"] == httpserver.url_for("/v1/chat/completions")
    assert request["headers"]["Authorization"] == "Bearer sk-...CRET"
    assert response["status"] == 200
    assert response["headers"]["x-request-id"] == "req_stream"
    assert complete["received"] == 8


def test_verbosity_2_adds_bodies_and_stream_events(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    serve_stream(httpserver)
    logs = run_stream(client, 2)
    assert events(logs)[:3] == ["http.request", "http.request.body", "http.response"]
    body = next(entry for entry in logs if entry["event"] == "http.request.body")["body"]
    assert json.loads(body)["messages"] == MESSAGES
    streamed = [entry["data"] for entry in logs if entry["event"] == "stream.event"]
    assert len(streamed) == 8
    assert streamed[1]["choices"][0]["delta"]["content"] == '"This'
    assert "transport" not in events(logs)


def test_verbosity_2_logs_a_non_streamed_response_body(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": [{"id": "gpt-4o"}]})
    with capture_logs() as logs:
        client.models.list(verbosity=2)
    (body,) = [entry["body"] for entry in logs if entry["event"] == "http.response.body"]
    assert json.loads(body) == {"data": [{"id": "gpt-4o"}]}


def test_verbosity_3_adds_connection_events(make_client: Any) -> None:
    # werkzeug closes every connection; this server keeps them alive, as the API does.
    body = recordings.body("chat_completions_stream/text_include_usage")
    with RawServer(serve_body([body])) as server:
        client = make_client(API_KEY, base_url=server.url + "/v1")
        first = [entry for entry in run_stream(client, 3) if entry["event"] == "transport"]
        second = [entry for entry in run_stream(client, 3) if entry["event"] == "transport"]
        client.close()
    assert [entry["connection"] for entry in first + second] == ["new", "reused"]


def test_the_client_verbosity_is_the_default_and_a_call_can_override_it(
    httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), verbosity=1)
    with capture_logs() as logs:
        client.models.list()
        client.models.list(verbosity=0)
    assert events(logs) == ["http.request", "http.response"]
    client.close()


def test_no_level_ever_shows_the_key_or_the_proxy_password(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], make_client: Any
) -> None:
    """Rendered by structlog's default configuration, as an application would see it, with
    a server that echoes the key back in an error."""
    structlog.reset_defaults()
    serve_stream(httpserver)
    httpserver.expect_request("/v1/models").respond_with_json(
        {"error": {"message": f"Incorrect API key provided: {API_KEY}", "code": "invalid_api_key"}},
        status=401,
    )
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), verbosity=3)
    list(client.chat.create(MESSAGES, "gpt-4", stream=True))
    with pytest.raises(openaistream.AuthenticationError) as caught:
        client.models.list()
    output = capsys.readouterr()
    text = (
        output.out
        + output.err
        + str(caught.value)
        + repr(caught.value)
        + json.dumps(caught.value.body)
    )
    assert "http.request" in text and "stream.event" in text and "transport" in text
    assert API_KEY not in text
    assert "sk-...CRET" in text
    client.close()


def test_a_proxy_password_is_never_logged(
    capsys: pytest.CaptureFixture[str], make_client: Any
) -> None:
    structlog.reset_defaults()
    import socket

    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    client = make_client(
        API_KEY,
        base_url="http://127.0.0.1:9/v1",
        proxy=f"http://user:s3cret-proxy-pw@127.0.0.1:{port}",
        max_retries=0,
        verbosity=3,
    )
    with pytest.raises(openaistream.APIConnectionError) as caught:
        client.models.list()
    output = capsys.readouterr()
    text = output.out + output.err + str(caught.value) + repr(caught.value)
    assert "s3cret-proxy-pw" not in text
    assert "http.request" in text


def test_cookies_and_api_key_parameters_are_masked_in_logs(
    httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_request("/openai/models").respond_with_json(
        {"data": []}, headers={"Set-Cookie": "session=SETCOOKIE-SECRET-1234; HttpOnly"}
    )
    base = httpserver.url_for("/openai") + "?api-version=1&api-key=QUERY-SECRET-5678"
    with make_client(API_KEY, base_url=base) as client, capture_logs() as logs:
        client.request(
            "GET", "/models", headers={"Cookie": "session=COOKIE-SECRET-9012"}, verbosity=3
        )
    shown = json.dumps(logs)
    for secret in ("SETCOOKIE-SECRET", "QUERY-SECRET", "COOKIE-SECRET"):
        assert secret not in shown
    assert "api-version=1" in shown and "api-key=***" in shown
    request = next(entry for entry in logs if entry["event"] == "http.request")
    response = next(entry for entry in logs if entry["event"] == "http.response")
    assert "Cookie" in request["headers"] and "set-cookie" in response["headers"]
