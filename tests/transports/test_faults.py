"""The fault-injection suite: each fault a raw server on loopback commits, the typed error the
client raises, the events it keeps, and a bound on how long failing may take (pytest-timeout:
every fault ends in seconds, with the short timeouts set here). Every test runs on both
clients (``make_client``): ``OpenAI`` on urllib3 and ``AsyncOpenAI`` on aiohttp raise the same
errors, keep the same events, and retry alike."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Callable

import pytest

import openaistream
from openaistream import APIConnectionError, APITimeoutError, RetryPolicy, StreamError, Timeout
from tests.conftest import API_KEY
from tests.support import faults
from tests.support.proxies import free_port
from tests.support.servers import Conn, Handler, RawServer, chunk, head

pytestmark = pytest.mark.timeout(20)
MESSAGES = [{"role": "user", "content": "hi"}]
SHORT = Timeout(connect=1.0, read=0.5)
FAST_RETRIES = RetryPolicy(max_retries=3, backoff=0.01, backoff_max=0.02)
Serving = Callable[..., AbstractContextManager[tuple[Any, RawServer]]]


@pytest.fixture
def serving(make_client: Any) -> Serving:
    """``serving(handler, **options)``: a faulty server and a client of the test's kind for it,
    both closed at the end."""

    @contextmanager
    def serve(handler: Handler, **options: object) -> Iterator[tuple[Any, RawServer]]:
        with RawServer(handler) as server:
            settings: dict[str, object] = {"timeout": SHORT, "max_retries": 0, **options}
            client = make_client(API_KEY, base_url=server.url + "/v1", **settings)
            try:
                yield client, server
            finally:
                client.close()

    return serve


def read_all(client: Any) -> list[object]:
    return list(client.chat.create(MESSAGES, "gpt-4o", stream=True))


def test_a_refused_connection(make_client: Any) -> None:
    client = make_client(API_KEY, base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=0)
    with pytest.raises(APIConnectionError, match="could not connect") as caught:
        read_all(client)
    assert not isinstance(caught.value, APITimeoutError)


def test_closed_before_the_status_line_is_retried_then_raised(serving: Serving) -> None:
    with serving(faults.close_before_status_line(), max_retries=FAST_RETRIES) as (client, server):
        with pytest.raises(APIConnectionError, match=r"without (an answer|response)") as caught:
            read_all(client)
        assert not isinstance(caught.value, StreamError)
        assert len(server.requests) == 4  # the first try and three retries


def test_headers_then_a_reset_is_a_stream_error_with_nothing_received(serving: Serving) -> None:
    with serving(faults.headers_then_reset(), max_retries=FAST_RETRIES) as (client, server):
        with pytest.raises(StreamError, match="the stream broke off") as caught:
            read_all(client)
        assert caught.value.received == []
        assert len(server.requests) == 1  # the answer had begun: not retried


def test_part_of_a_stream_then_a_reset_keeps_what_arrived(serving: Serving) -> None:
    with serving(faults.part_then_reset(faults.events(3)), max_retries=FAST_RETRIES) as (
        client,
        server,
    ):
        with pytest.raises(StreamError, match="the stream broke off") as caught:
            read_all(client)
        assert caught.value.received == [{"n": 1}, {"n": 2}, {"n": 3}]
        assert len(server.requests) == 1  # a stream that began is never retried


def test_a_truncated_chunk_keeps_the_complete_events(serving: Serving) -> None:
    with serving(faults.truncated_chunk(faults.events(2))) as (client, _server):
        with pytest.raises(
            StreamError, match=r"the stream broke off.*closed in the middle"
        ) as caught:
            read_all(client)
        assert caught.value.received == [{"n": 1}, {"n": 2}]


def test_a_stall_mid_stream_ends_at_the_read_timeout(serving: Serving) -> None:
    release = threading.Event()
    with serving(faults.stall_after(faults.events(2), release)) as (client, _server):
        with pytest.raises(APITimeoutError, match="read timeout") as caught:
            read_all(client)
        release.set()
        assert caught.value.received == [{"n": 1}, {"n": 2}]


def test_a_total_deadline_ends_a_stream_that_keeps_trickling(serving: Serving) -> None:
    release = threading.Event()

    def trickle(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        for n in range(1, 200):
            conn.send(chunk(faults.EVENT % n))
            if release.wait(0.05):
                return

    slow = Timeout(connect=1.0, read=1.0, total=0.6)
    with serving(trickle, timeout=slow) as (client, _server):
        with pytest.raises(APITimeoutError, match=r"total timeout of 0\.6 s") as caught:
            read_all(client)
        release.set()
        assert 3 <= len(caught.value.received) < 20


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_error_statuses_then_success_are_retried(serving: Serving, status: int) -> None:
    answers = [(status, {}, b'{"error": {"message": "busy"}}')] * 2
    with serving(faults.statuses(answers, final=b'{"ok": true}'), max_retries=FAST_RETRIES) as (
        client,
        server,
    ):
        assert client.models.list() == {"ok": True}
        assert len(server.requests) == 3


def test_retry_after_is_honoured_and_too_long_a_wait_gives_up_at_the_deadline(
    serving: Serving,
) -> None:
    answers = [(429, {"Retry-After": "0.2"}, b"{}"), (503, {"Retry-After": "0"}, b"{}")]
    with serving(faults.statuses(answers), max_retries=FAST_RETRIES) as (client, server):
        assert client.models.list() == {}
        assert len(server.requests) == 3
    forever = [(429, {"Retry-After": "30"}, b'{"error": {"message": "slow down"}}')]
    deadline = Timeout(connect=1.0, read=1.0, total=2.0)
    with serving(faults.statuses(forever), max_retries=FAST_RETRIES, timeout=deadline) as (
        client,
        server,
    ):
        with pytest.raises(openaistream.RateLimitError, match="slow down"):
            client.models.list()
        assert len(server.requests) == 1  # a 30 s wait cannot fit in a 2 s call


def test_retries_run_out_on_a_server_that_keeps_failing(serving: Serving) -> None:
    answers = [(503, {}, b'{"error": {"message": "overloaded"}}')] * 10
    with serving(faults.statuses(answers), max_retries=FAST_RETRIES) as (client, server):
        with pytest.raises(openaistream.InternalServerError, match="overloaded"):
            client.models.list()
        assert len(server.requests) == 4


@pytest.mark.parametrize(
    ("parts", "message", "kept"),
    [
        ([faults.events(1), b'data: {"n": 2\n\n'], "not valid JSON", 1),
        ([faults.events(2), b"data: {\xff\xfe}\n\n"], "not valid UTF-8", 2),
        ([b"event: x\ndata: [1,\n\n"], "not valid JSON", 0),
        ([faults.events(1), b'data: {"n": 2}\n'], None, 2),  # no blank line after the last
        ([faults.events(1), b'data: {"n": 2}'], "middle of a line", 1),  # cut mid-line
    ],
    ids=["invalid-json", "invalid-utf8", "malformed-sse", "no-final-blank-line", "cut-mid-line"],
)
def test_malformed_streams(
    serving: Serving, parts: list[bytes], message: str | None, kept: int
) -> None:
    with serving(faults.sse_body(*parts)) as (client, _server):
        if message is None:
            assert len(read_all(client)) == kept
        else:
            with pytest.raises(StreamError, match=message) as caught:
                read_all(client)
            assert len(caught.value.received) == kept


def test_utf8_split_across_chunks_decodes(serving: Serving) -> None:
    body = 'data: {"text": "naïve café ✓ 日本"}\n\n'.encode()
    parts = [body[:23], body[23:26], body[26:]]  # cut inside multi-byte characters
    with serving(faults.sse_body(*parts)) as (client, _server):
        assert read_all(client) == [{"text": "naïve café ✓ 日本"}]


def test_a_single_10_mb_event(serving: Serving) -> None:
    text = "x" * (10 * 1024 * 1024)
    body = b'data: {"big": "' + text.encode() + b'"}\n\n'
    parts = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    with serving(faults.sse_body(*parts)) as (client, _server):
        (event,) = read_all(client)
        assert len(event["big"]) == len(text)


def test_a_gzip_encoded_json_body(serving: Serving) -> None:
    payload = {"object": "list", "data": [{"id": f"m{n}"} for n in range(200)]}
    with serving(faults.gzip_json(payload)) as (client, _server):
        assert client.models.list() == payload


def test_with_options_sets_timeouts_and_retries_for_some_calls(serving: Serving) -> None:
    release = threading.Event()
    with serving(faults.stall_after(faults.events(1), release), timeout=Timeout(read=30)) as (
        client,
        _server,
    ):
        quick = client.with_options(timeout=Timeout(connect=1, read=0.3), max_retries=0)
        with pytest.raises(APITimeoutError, match="read timeout") as caught:
            list(quick.chat.create(MESSAGES, "gpt-4o", stream=True))
        release.set()
        assert caught.value.received == [{"n": 1}]
        assert client.verbosity == quick.verbosity == 0
        assert quick._transport is client._transport


def test_json_events_in_the_stream_are_plain_values(serving: Serving) -> None:
    # Not a fault: a data line whose JSON is not an object is delivered as is.
    with serving(faults.sse_body(b'data: [1, 2]\n\ndata: "text"\n\ndata: 3\n\n')) as (
        client,
        _server,
    ):
        assert read_all(client) == [[1, 2], "text", 3]
