# ruff: noqa: E501 - tables of cases read best one to a line
"""What the client makes of servers that are not OpenAI's, or of things that stand in their
way (gateways, captive portals, load balancers): error bodies of other shapes, redirects,
answers of the wrong type, pages of megabytes. The message always carries the server's own
words, bounded; nothing is read or kept without bound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import (
    APIError,
    APIStatusError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    RedirectError,
    StreamError,
    UnprocessableEntityError,
)
from openaistream.errors import server_message
from tests.conftest import API_KEY
from tests.support.servers import RawServer, head

MESSAGES = [{"role": "user", "content": "hi"}]
BIG_PAGE = b"<!DOCTYPE html><html><body>" + b"<p>Bad gateway</p>" * 300_000 + b"</body></html>"


def failure(httpserver: HTTPServer, body: Any, status: int, **options: Any) -> APIError:
    """The error a models.list() call raises when the server answers this."""
    if isinstance(body, (dict, list)):
        httpserver.expect_oneshot_request("/v1/models").respond_with_json(
            body, status=status, **options
        )
    else:
        httpserver.expect_oneshot_request("/v1/models").respond_with_data(
            body, status=status, **options
        )
    with (
        openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0) as c,
        pytest.raises(APIError) as caught,
    ):
        c.models.list()
    return caught.value


@pytest.mark.parametrize(
    ("body", "status", "kind", "text"),
    [
        ({"detail": "The model `gpt-9` does not exist"}, 404, NotFoundError, "The model `gpt-9` does not exist"),
        (
            {"detail": [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]},
            422,
            UnprocessableEntityError,
            "body.model: field required",
        ),
        ({"message": "Model not loaded"}, 503, InternalServerError, "Model not loaded"),
        ({"error": "Invalid token"}, 401, AuthenticationError, "Invalid token"),
        ("upstream connect error or disconnect/reset before headers", 503, InternalServerError, "upstream connect error"),
        ({"error": {"message": "No such model", "type": "invalid_request_error", "code": None}}, 404, NotFoundError, "No such model"),
    ],
)  # fmt: skip
def test_the_message_is_the_servers_own_words_whatever_the_shape(
    httpserver: HTTPServer, body: Any, status: int, kind: type[APIError], text: str
) -> None:
    error = failure(httpserver, body, status)
    assert type(error) is kind
    assert text in str(error)
    assert f"HTTP {status}" not in str(error)


def test_a_code_equal_to_the_status_is_not_said_twice(httpserver: HTTPServer) -> None:
    body = {"error": {"message": "Invalid key", "code": 401}}
    error = failure(httpserver, body, 401)
    assert str(error) == "401 Invalid key"
    assert error.code == "401"


def test_body_is_the_inner_error_object_as_in_openai_python(httpserver: HTTPServer) -> None:
    inner = {"message": "Rate limit", "type": "requests", "param": "model", "code": "rate_limit"}
    error = failure(httpserver, {"error": inner}, 400)
    assert error.body == inner
    assert (error.code, error.type, error.param) == ("rate_limit", "requests", "model")
    assert failure(httpserver, {"detail": "x"}, 404).body == {"detail": "x"}


def test_a_5_mb_error_page_gives_a_short_message_and_a_bounded_body(httpserver: HTTPServer) -> None:
    error = failure(httpserver, BIG_PAGE, 502, content_type="text/html")
    assert isinstance(error, InternalServerError)
    assert "Bad gateway" in error.message
    assert len(error.message) < 2200
    assert isinstance(error.body, str) and len(error.body) <= 64 * 1024
    assert error.truncated is True


def test_server_message_reads_each_shape() -> None:
    assert server_message({"error": {"message": "a"}}) == "a"
    assert server_message({"detail": {"message": "b"}}) == "b"
    assert server_message({"weird": 1}) == '{"weird":1}'
    assert server_message("  plain\n text ") == "plain text"
    assert server_message(None) is None


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_typed_error_naming_where(httpserver: HTTPServer, status: int) -> None:
    where = "https://elsewhere.example/v1/models"
    httpserver.expect_request("/v1/models").respond_with_data(
        "", status=status, headers={"Location": where}
    )
    with (
        openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1")) as client,
        pytest.raises(RedirectError) as caught,
    ):
        client.models.list()
    assert isinstance(caught.value, APIStatusError)
    assert caught.value.status == status and caught.value.location == where
    assert str(status) in str(caught.value) and where in str(caught.value)
    assert len(httpserver.log) == 1  # not followed, not retried


PORTAL = b"<html><head><title>Hotel WiFi</title></head><body>Please log in</body></html>"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/html; charset=utf-8", PORTAL), ("text/plain", b"Service Unavailable, try later")],
)
def test_a_stream_answered_with_a_page_is_a_stream_error(
    httpserver: HTTPServer, content_type: str, body: bytes
) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        body, content_type=content_type
    )
    with (
        openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1")) as client,
        pytest.raises(StreamError) as caught,
    ):
        list(client.chat.create(MESSAGES, "m", stream=True))
    assert content_type.split(";")[0] in str(caught.value)
    assert body.decode()[:20] in str(caught.value)


def test_a_json_call_answered_with_html_is_an_api_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/models").respond_with_data(PORTAL, content_type="text/html")
    with (
        openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1")) as client,
        pytest.raises(APIError) as caught,
    ):
        client.models.list()
        assert "HTML" in str(caught.value) and "Please log in" in str(caught.value)
        # Asked for as text, the page is what the caller wants.
        assert "Please log in" in client.request("GET", "/models", parse="text")


def test_a_5_mb_page_to_a_stream_request_is_not_read_whole() -> None:
    """The server sends 5 MB and waits: a client that read it whole would wait with it."""

    def handler(conn: Any) -> None:
        conn.read_request()
        conn.send(
            head(
                200,
                {"Content-Type": "text/html", "Content-Length": str(10 * len(BIG_PAGE))},
                chunked=False,
            )
        )
        conn.send(BIG_PAGE)  # a tenth of what it announced; the rest never comes

    with RawServer(handler) as server:
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", timeout=5)
        with pytest.raises(StreamError) as caught:
            client.chat.create(MESSAGES, "m", stream=True)
        client.close()
    assert caught.value.truncated and len(caught.value.body) <= 64 * 1024
    assert "text/html" in str(caught.value)


def test_a_json_answer_to_a_stream_request_keeps_its_body(httpserver: HTTPServer) -> None:
    completion = {"object": "chat.completion", "choices": []}
    httpserver.expect_request("/v1/chat/completions").respond_with_json(completion)
    with (
        openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1")) as client,
        pytest.raises(StreamError, match="one JSON body") as caught,
    ):
        client.chat.create(MESSAGES, "m", stream=True)
    assert json.loads(caught.value.body) == completion
