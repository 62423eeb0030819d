"""Retries: which failures are tried again, how long the client waits, and that a stream is
never retried once its body has reached the caller."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from structlog.testing import capture_logs

import openaistream
from openaistream import RetryPolicy, Timeout
from tests.conftest import API_KEY
from tests.support.servers import Conn, RawServer, chunk, head

MESSAGES = [{"role": "user", "content": "hi"}]
FAST = RetryPolicy(max_retries=2, backoff=0.01, backoff_max=0.02)


def client_for(make_client: Any, httpserver: HTTPServer, retries: RetryPolicy = FAST) -> Any:
    """A client of the test's kind (sync or async) on the local server, retrying."""
    return make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=retries)


def test_429_with_retry_after_waits_as_told_then_succeeds(
    httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_oneshot_request("/v1/models").respond_with_json(
        {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
        status=429,
        headers={"Retry-After": "1"},
    )
    httpserver.expect_oneshot_request("/v1/models").respond_with_json({"data": ["ok"]})
    with client_for(make_client, httpserver) as client, capture_logs() as logs:
        assert client.models.list(verbosity=3) == {"data": ["ok"]}
    assert len(httpserver.log) == 2
    (retry,) = [entry for entry in logs if entry["event"] == "http.retry"]
    assert retry["wait"] == 1.0
    assert retry["reason"] == "status 429"


def test_retry_after_ms_is_honoured(httpserver: HTTPServer, make_client: Any) -> None:
    httpserver.expect_oneshot_request("/v1/models").respond_with_json(
        {}, status=429, headers={"retry-after-ms": "20", "Retry-After": "30"}
    )
    httpserver.expect_oneshot_request("/v1/models").respond_with_json({"data": []})
    with client_for(make_client, httpserver) as client, capture_logs() as logs:
        client.models.list(verbosity=3)
    assert [entry["wait"] for entry in logs if entry["event"] == "http.retry"] == [0.02]


def test_503_then_200(httpserver: HTTPServer, make_client: Any) -> None:
    httpserver.expect_oneshot_request("/v1/chat/completions").respond_with_data("busy", status=503)
    httpserver.expect_oneshot_request("/v1/chat/completions").respond_with_json(
        {"id": "chatcmpl-1"}
    )
    with client_for(make_client, httpserver) as client:
        assert client.chat.create(MESSAGES, "gpt-4o") == {"id": "chatcmpl-1"}
    assert len(httpserver.log) == 2


def test_the_last_failure_is_raised_when_retries_run_out(
    httpserver: HTTPServer, make_client: Any
) -> None:
    for _ in range(3):
        httpserver.expect_oneshot_request("/v1/models").respond_with_json(
            {"error": {"message": "The server is overloaded", "type": "server_error"}}, status=502
        )
    with (
        client_for(make_client, httpserver) as client,
        pytest.raises(openaistream.InternalServerError) as caught,
    ):
        client.models.list()
    assert len(httpserver.log) == 3
    assert caught.value.status == 502
    assert caught.value.message == "The server is overloaded"


def test_a_status_error_carries_the_answers_headers_but_not_its_cookies(
    httpserver: HTTPServer, make_client: Any
) -> None:
    # Rate-limit headers are what a caller pacing its own work (bulk runs) reads.
    httpserver.expect_oneshot_request("/v1/models").respond_with_json(
        {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
        status=429,
        headers={
            "Retry-After": "7",
            "X-RateLimit-Remaining-Requests": "0",
            "Set-Cookie": "session=secret-cookie-value",
        },
    )
    with (
        make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0) as client,
        pytest.raises(openaistream.RateLimitError) as caught,
    ):
        client.models.list()
    assert caught.value.headers["retry-after"] == "7"
    assert caught.value.headers["x-ratelimit-remaining-requests"] == "0"
    assert "set-cookie" not in caught.value.headers
    assert "secret-cookie-value" not in repr(vars(caught.value))


def test_a_bad_request_is_not_retried(httpserver: HTTPServer, make_client: Any) -> None:
    httpserver.expect_request("/v1/models").respond_with_json(
        {"error": {"message": "no"}}, status=400
    )
    with client_for(make_client, httpserver) as client, pytest.raises(openaistream.BadRequestError):
        client.models.list()
    assert len(httpserver.log) == 1


def test_x_should_retry_overrides_the_status(httpserver: HTTPServer, make_client: Any) -> None:
    httpserver.expect_request("/v1/models").respond_with_json(
        {}, status=500, headers={"x-should-retry": "false"}
    )
    with (
        client_for(make_client, httpserver) as client,
        pytest.raises(openaistream.InternalServerError),
    ):
        client.models.list()
    assert len(httpserver.log) == 1
    httpserver.clear()
    httpserver.expect_oneshot_request("/v1/models").respond_with_json(
        {}, status=400, headers={"x-should-retry": "true"}
    )
    httpserver.expect_oneshot_request("/v1/models").respond_with_json({"data": []})
    with client_for(make_client, httpserver) as client:
        assert client.models.list() == {"data": []}


def test_max_retries_zero_tries_once(httpserver: HTTPServer, make_client: Any) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({}, status=503)
    client = client_for(make_client, httpserver, RetryPolicy(max_retries=0))
    with client, pytest.raises(openaistream.InternalServerError):
        client.models.list()
    assert len(httpserver.log) == 1


def test_a_refused_connection_is_retried_then_raised(make_client: Any) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    # Nothing listens on the port now: every attempt is refused.
    client = make_client(API_KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=FAST)
    with capture_logs() as logs, pytest.raises(openaistream.APIConnectionError) as caught:
        client.models.list(verbosity=3)
    assert "could not connect to 127.0.0.1" in str(caught.value)
    assert not isinstance(caught.value, openaistream.APITimeoutError)
    assert [entry["retry"] for entry in logs if entry["event"] == "http.retry"] == [1, 2]


def test_a_stream_that_broke_after_its_first_event_is_not_retried(make_client: Any) -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(b'data: {"n": 1}\n\n'))
        conn.reset()

    with RawServer(handler) as server:
        client = make_client(API_KEY, base_url=server.url + "/v1", max_retries=FAST)
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        with pytest.raises(openaistream.StreamError) as caught:
            list(stream)
        client.close()
    assert caught.value.received == [{"n": 1}]
    assert len(server.requests) == 1


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy(backoff=0.5, backoff_max=8.0, retry_after_max=60.0)
    assert policy.wait(1, {"retry-after": "5"}) == 5.0
    # Beyond the cap, the server's wish is ignored and the backoff applies.
    assert 0.375 <= policy.wait(1, {"retry-after": "3600"}) <= 0.5
    assert 3.0 <= policy.wait(4, {}) <= 4.0
    assert 6.0 <= policy.wait(10, {}) <= 8.0


def drip_502(conn: Conn) -> None:
    """A 502 page of Content-Length 200 sent a byte every 0.1 s: 20 s to send whole."""
    while conn.read_request() is not None:
        page = b"<html>" + b"x" * 187 + b"</html>"
        conn.send(head(502, {"Content-Type": "text/html", "Content-Length": "200"}, chunked=False))
        for byte in page:
            conn.send(bytes([byte]))
            time.sleep(0.1)


def test_a_dripping_error_body_ends_at_the_total_timeout(make_client: Any) -> None:
    with RawServer(drip_502) as server:
        client = make_client(
            API_KEY, base_url=server.url + "/v1", timeout=Timeout(total=2), max_retries=FAST
        )
        started = time.monotonic()
        with pytest.raises(openaistream.InternalServerError) as caught:
            client.models.list()
        took = time.monotonic() - started
        client.close()
    assert took < 4  # the page alone takes 20 s; without the bound each retry adds another
    assert caught.value.truncated and caught.value.status == 502


def test_retries_and_their_waits_end_at_the_total_timeout(
    httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_request("/v1/models").respond_with_data(
        "busy", status=503, headers={"Retry-After": "1"}
    )
    policy = RetryPolicy(max_retries=50)
    client = make_client(
        API_KEY, base_url=httpserver.url_for("/v1"), timeout=Timeout(total=2), max_retries=policy
    )
    started = time.monotonic()
    with pytest.raises(openaistream.InternalServerError, match="busy"):
        client.models.list()
    assert time.monotonic() - started < 4
    assert 1 <= len(httpserver.log) <= 3
    client.close()
