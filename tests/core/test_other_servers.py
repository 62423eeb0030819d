# ruff: noqa: E501 - tables of cases read best one to a line
"""What the client makes of servers that are not OpenAI's, or of things that stand in their
way (gateways, captive portals, load balancers): error bodies of other shapes, redirects,
answers of the wrong type, pages of megabytes. The message always carries the server's own
words, bounded; nothing is read or kept without bound."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

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
from tests.support import faults
from tests.support.servers import LAST_CHUNK, RawServer, chunk, head

MESSAGES = [{"role": "user", "content": "hi"}]
BIG_PAGE = b"<!DOCTYPE html><html><body>" + b"<p>Bad gateway</p>" * 300_000 + b"</body></html>"


def failure(
    make_client: Any, httpserver: HTTPServer, body: Any, status: int, **options: Any
) -> APIError:
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
        make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0) as c,
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
    httpserver: HTTPServer,
    make_client: Any,
    body: Any,
    status: int,
    kind: type[APIError],
    text: str,
) -> None:
    error = failure(make_client, httpserver, body, status)
    assert type(error) is kind
    assert text in str(error)
    assert f"HTTP {status}" not in str(error)


def test_a_code_equal_to_the_status_is_not_said_twice(
    httpserver: HTTPServer, make_client: Any
) -> None:
    body = {"error": {"message": "Invalid key", "code": 401}}
    error = failure(make_client, httpserver, body, 401)
    assert str(error) == "401 Invalid key"
    assert error.code == "401"


def test_body_is_the_inner_error_object_as_in_openai_python(
    httpserver: HTTPServer, make_client: Any
) -> None:
    inner = {"message": "Rate limit", "type": "requests", "param": "model", "code": "rate_limit"}
    error = failure(make_client, httpserver, {"error": inner}, 400)
    assert error.body == inner
    assert (error.code, error.type, error.param) == ("rate_limit", "requests", "model")
    assert failure(make_client, httpserver, {"detail": "x"}, 404).body == {"detail": "x"}


def test_a_5_mb_error_page_gives_a_short_message_and_a_bounded_body(
    httpserver: HTTPServer, make_client: Any
) -> None:
    error = failure(make_client, httpserver, BIG_PAGE, 502, content_type="text/html")
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
def test_a_redirect_is_a_typed_error_naming_where(
    httpserver: HTTPServer, make_client: Any, status: int
) -> None:
    where = "https://elsewhere.example/v1/models"
    httpserver.expect_request("/v1/models").respond_with_data(
        "", status=status, headers={"Location": where}
    )
    with (
        make_client(API_KEY, base_url=httpserver.url_for("/v1")) as client,
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
    httpserver: HTTPServer, make_client: Any, content_type: str, body: bytes
) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        body, content_type=content_type
    )
    with (
        make_client(API_KEY, base_url=httpserver.url_for("/v1")) as client,
        pytest.raises(StreamError) as caught,
    ):
        list(client.chat.create(MESSAGES, "m", stream=True))
    assert content_type.split(";")[0] in str(caught.value)
    assert body.decode()[:20] in str(caught.value)


def test_a_json_call_answered_with_html_is_an_api_error(
    httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_request("/v1/models").respond_with_data(PORTAL, content_type="text/html")
    with (
        make_client(API_KEY, base_url=httpserver.url_for("/v1")) as client,
        pytest.raises(APIError) as caught,
    ):
        client.models.list()
        assert "HTML" in str(caught.value) and "Please log in" in str(caught.value)
        # Asked for as text, the page is what the caller wants.
        assert "Please log in" in client.request("GET", "/models", parse="text")


def test_a_5_mb_page_to_a_stream_request_is_not_read_whole(make_client: Any) -> None:
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
        client = make_client(API_KEY, base_url=server.url + "/v1", timeout=5)
        with pytest.raises(StreamError) as caught:
            client.chat.create(MESSAGES, "m", stream=True)
        client.close()
    assert caught.value.truncated and len(caught.value.body) <= 64 * 1024
    assert "text/html" in str(caught.value)


def test_a_json_answer_to_a_stream_request_keeps_its_body(
    httpserver: HTTPServer, make_client: Any
) -> None:
    completion = {"object": "chat.completion", "choices": []}
    httpserver.expect_request("/v1/chat/completions").respond_with_json(completion)
    with (
        make_client(API_KEY, base_url=httpserver.url_for("/v1")) as client,
        pytest.raises(StreamError, match="one JSON body") as caught,
    ):
        client.chat.create(MESSAGES, "m", stream=True)
    assert json.loads(caught.value.body) == completion


# -- on the wire: what other servers send around the answer ----------------------------------


def test_a_responses_stream_without_event_lines_is_named_by_each_payloads_type(
    make_client: Any,
) -> None:
    """Some compatible servers send only ``data:`` lines: the event names come from the
    payloads' ``type``, as the API's own ``event:`` lines would give them."""
    created = b'data: {"type": "response.created", "response": {"id": "resp_1"}}\n\n'
    delta = b'data: {"type": "response.output_text.delta", "delta": "Hi"}\n\n'
    with (
        RawServer(faults.sse_body(created, delta)) as server,
        make_client(API_KEY, base_url=server.url + "/v1", max_retries=0) as client,
    ):
        stream = client.responses.create("gpt-4o", "hi", stream=True)
        names = [item["event"] for item in stream]
    assert names == ["response.created", "response.output_text.delta"]


@pytest.mark.parametrize("interims", [[faults.CONTINUE], [faults.PROCESSING, faults.EARLY_HINTS]])
def test_interim_1xx_answers_before_the_answer_are_passed_over(
    make_client: Any, interims: list[bytes]
) -> None:
    with (
        RawServer(faults.interim_answers(interims, faults.numbered_sse)) as server,
        make_client(API_KEY, base_url=server.url + "/v1", max_retries=0) as client,
    ):
        first = list(client.chat.create(MESSAGES, "m", stream=True))
        second = list(client.chat.create(MESSAGES, "m", stream=True))
    assert (first, second) == ([{"call": 1}], [{"call": 2}])  # the connection is reused


def test_a_gzip_encoded_answer_is_decoded(make_client: Any) -> None:
    with (
        RawServer(faults.gzip_json({"data": [{"id": "gpt-4o"}] * 20})) as server,
        make_client(API_KEY, base_url=server.url + "/v1", max_retries=0) as client,
    ):
        assert client.models.list() == {"data": [{"id": "gpt-4o"}] * 20}


def test_a_gzip_encoded_stream_is_decoded(make_client: Any) -> None:
    pieces = gzip_pieces(faults.events(2), b"data: [DONE]\n\n")

    def handler(conn: Any) -> None:
        while conn.read_request() is not None:
            conn.send(head(200, {"Content-Encoding": "gzip"}))
            conn.send(b"".join(chunk(piece) for piece in pieces) + LAST_CHUNK)

    with (
        RawServer(handler) as server,
        make_client(API_KEY, base_url=server.url + "/v1", max_retries=0) as client,
    ):
        assert list(client.chat.create(MESSAGES, "m", stream=True)) == [{"n": 1}, {"n": 2}]


def gzip_pieces(*parts: bytes) -> list[bytes]:
    """``parts`` compressed as one gzip stream, flushed after each."""
    compressor = zlib.compressobj(wbits=31)
    return [
        compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH) for part in parts[:-1]
    ] + [compressor.compress(parts[-1]) + compressor.flush()]
