"""DataStream over real connections: events reach the caller as they arrive, nothing received
is lost when the connection breaks, and the R methods behave as documented."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openaistream
from openaistream import DataStream, Response, StreamError
from openaistream.decoders import BYTES, JSON_LINES
from tests.conftest import API_KEY
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head, serve_body

MESSAGES = [{"role": "user", "content": "hi"}]
FIRST = b'data: {"n": 1}\n\n'
REST = b'data: {"n": 2}\n\ndata: {"n": 3}\n\ndata: [DONE]\n\n'


def client_for(make_client: Any, server: RawServer, **options: object) -> Any:
    """A client of the test's kind (OpenAI or AsyncOpenAI) on the raw server, no retries."""
    return make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0, **options)


class HoldingServer:
    """Sends the first event, then holds the rest back for up to one second (or until the
    test lets it go), then sends the rest."""

    def __init__(self, chunked: bool) -> None:
        self.chunked = chunked
        self.holding = threading.Event()
        self.release = threading.Event()
        self.server = RawServer(self.handle)

    def handle(self, conn: Conn) -> None:
        conn.read_request()
        extra = {} if self.chunked else {"Content-Length": str(len(FIRST + REST))}
        conn.send(head(200, extra, chunked=self.chunked))
        self.holding.set()  # before the event leaves, so the client cannot see it first
        conn.send(chunk(FIRST) if self.chunked else FIRST)
        self.release.wait(1.0)
        self.holding.clear()
        conn.send(chunk(REST) + LAST_CHUNK if self.chunked else REST)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_the_first_event_arrives_while_the_server_holds_the_rest(
    chunked: bool, make_client: Any
) -> None:
    holder = HoldingServer(chunked)
    with holder.server, client_for(make_client, holder.server) as client:
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        first = next(stream)
        # The server is still inside its one-second wait: the event was not held back.
        still_holding = holder.holding.is_set()
        holder.release.set()
        rest = list(stream)
    assert first == {"n": 1}
    assert still_holding
    assert rest == [{"n": 2}, {"n": 3}]


def cut_after(data: bytes) -> object:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(data))
        conn.reset()

    return handler


def test_a_connection_cut_mid_stream_raises_stream_error_with_everything_received(
    make_client: Any,
) -> None:
    body = b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: {"n": 3'
    with RawServer(cut_after(body)) as server, client_for(make_client, server) as client:  # type: ignore[arg-type]
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        got = []
        with pytest.raises(StreamError) as caught:
            for event in stream:
                got.append(event)
    assert got == [{"n": 1}, {"n": 2}]
    assert caught.value.received == [{"n": 1}, {"n": 2}]
    assert stream.get_state() == "error"


def test_events_taken_by_next_value_before_a_failure_are_in_received(make_client: Any) -> None:
    body = b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: {"n": 3}\n\ndata: {"n": 4'
    with RawServer(cut_after(body)) as server, client_for(make_client, server) as client:  # type: ignore[arg-type]
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True, num=2)
        assert stream.next_value == [{"n": 1}, {"n": 2}]
        with pytest.raises(StreamError) as caught:
            stream.next_value  # noqa: B018 - the property reads the stream
    assert caught.value.received == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_an_api_error_mid_stream_keeps_what_came_before(make_client: Any) -> None:
    body = (
        b'data: {"n": 1}\n\ndata: {"error": {"message": "overloaded", "code": "server_error"}}\n\n'
    )
    with RawServer(serve_body([body])) as server, client_for(make_client, server) as client:
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        with pytest.raises(openaistream.APIError) as caught:
            list(stream)
    assert caught.value.received == [{"n": 1}]
    assert caught.value.code == "server_error"


@pytest.mark.parametrize(
    "bad",
    [b'data: {"error": {"message": "overloaded", "code": "server_error"}}', b'data: {"n": '],
    ids=["error event", "invalid JSON"],
)
def test_an_error_after_events_in_one_chunk_comes_after_them_without_waiting(
    bad: bytes, make_client: Any
) -> None:
    """Two events and an error in one read: both events reach the caller, then the error,
    while the server still holds the connection open (the error is not kept for a next chunk
    that may never come)."""
    holding = threading.Event()
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        holding.set()
        conn.send(head(200) + chunk(b'data: {"n": 1}\n\ndata: {"n": 2}\n\n' + bad + b"\n\n"))
        release.wait(10)
        holding.clear()

    with RawServer(handler) as server, client_for(make_client, server) as client:
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        got = []
        with pytest.raises(openaistream.APIError) as caught:
            for event in stream:
                got.append(event)
        still_holding = holding.is_set()
        release.set()
    assert still_holding
    assert got == caught.value.received == [{"n": 1}, {"n": 2}]
    assert stream.get_state() == "error"


def test_states_open_complete_closed(make_client: Any) -> None:
    with RawServer(serve_body([FIRST, REST])) as server, client_for(make_client, server) as client:
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        assert stream.get_state() == "open"
        assert list(stream) == [{"n": 1}, {"n": 2}, {"n": 3}]
        assert stream.get_state() == "complete"
        assert stream.next_value == []

        with client.chat.create(MESSAGES, "gpt-4o", stream=True) as early:
            assert next(early) == {"n": 1}
        assert early.get_state() == "closed"
        assert early.response.closed
        assert list(early) == []


def test_a_finished_stream_gives_its_connection_back_and_a_closed_one_does_not(
    make_client: Any,
) -> None:
    """The fourth answer holds the rest of its body back until the stream is closed: that
    connection, its body half-sent, is not reused. (Closed after the whole body has arrived,
    the async client may pool the connection: aiohttp has read the body to its end by then;
    the blocking client drops it.)"""
    closed = threading.Event()

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            if len(conn.server.requests) == 4:
                conn.send(head(200) + chunk(FIRST))
                closed.wait(5)
                return
            conn.send(head(200) + chunk(FIRST) + chunk(REST) + LAST_CHUNK)

    with RawServer(handler) as server, client_for(make_client, server) as client:
        for _ in range(3):
            assert len(list(client.chat.create(MESSAGES, "gpt-4o", stream=True))) == 3
        assert server.connections == 1
        with client.chat.create(MESSAGES, "gpt-4o", stream=True) as stream:
            next(stream)
        closed.set()
        assert len(list(client.chat.create(MESSAGES, "gpt-4o", stream=True))) == 3
        assert server.connections == 2


def test_bytes_next_value_returns_up_to_num_bytes() -> None:
    response = Response(200, {}, iter([b"abcdefg", b"hi", b"jklmnop"]))
    stream: DataStream[bytes] = DataStream(response, BYTES, num=3)
    taken = []
    while True:
        part = stream.next_value
        if not part:
            break
        taken.append(part)
    assert taken == [b"abc", b"def", b"g", b"hi", b"jkl", b"mno", b"p"]
    assert stream.get_state() == "complete"
    assert stream.received == []  # binary streams do not keep their bytes


@pytest.mark.parametrize("rest_by", ["iteration", "write_to"])
def test_bytes_next_value_then_the_rest_loses_nothing(tmp_path: Path, rest_by: str) -> None:
    """A download started with next_value and finished by a loop or write_to: the bytes of
    the chunk next_value had begun are not dropped."""
    body = [b"abcdefg", b"hi", b"jklmnop"]
    stream: DataStream[bytes] = DataStream(Response(200, {}, iter(body)), BYTES, num=3)
    head = stream.next_value
    if rest_by == "iteration":
        rest = b"".join(stream)
    else:
        stream.write_to(tmp_path / "out.bin")
        rest = (tmp_path / "out.bin").read_bytes()
    assert head + rest == b"".join(body)


@pytest.mark.timeout(10)
def test_bytes_next_value_on_a_large_chunk_is_linear() -> None:
    """64 bytes at a time out of one 16 MiB chunk: taking a position, not copying the rest of
    the chunk each time (which took minutes)."""
    chunk = bytes(range(256)) * (16 * 4096)
    stream: DataStream[bytes] = DataStream(Response(200, {}, iter([chunk])), BYTES, num=64)
    parts = []
    while True:
        part = stream.next_value
        if not part:
            break
        parts.append(part)
    assert b"".join(parts) == chunk and len(parts) == len(chunk) // 64


def test_json_lines_stream() -> None:
    response = Response(200, {}, iter([b'{"a": 1}\n{"b"', b': 2}\r\n\n{"c": 3}']))
    assert list(DataStream(response, JSON_LINES)) == [{"a": 1}, {"b": 2}, {"c": 3}]
    broken = DataStream(Response(200, {}, iter([b'{"a": 1}\n{"b": }\n'])), JSON_LINES)
    with pytest.raises(StreamError) as caught:
        list(broken)
    assert caught.value.offset == 9
    assert caught.value.received == [{"a": 1}]


def test_keep_false_holds_nothing_back() -> None:
    def chunks() -> Iterator[bytes]:
        for n in range(1000):
            yield b'data: {"n": %d}\n\n' % n

    stream: DataStream[dict[str, int]] = DataStream(Response(200, {}, chunks()), keep=False)
    assert sum(1 for _ in stream) == 1000
    assert stream.received == []


def test_keep_can_be_turned_off_after_the_call_and_before_reading() -> None:
    response = Response(200, {}, iter([b'data: {"n": 1}\n\n', b'data: {"n": 2']))
    stream: DataStream[dict[str, int]] = DataStream(response)
    stream.keep = False
    with pytest.raises(StreamError) as caught:
        list(stream)
    assert caught.value.received == []


def test_keep_turned_off_on_a_clients_stream_keeps_nothing_for_its_error(
    make_client: Any,
) -> None:
    body = b'data: {"n": 1}\n\ndata: {"n": 2'
    with RawServer(cut_after(body)) as server, client_for(make_client, server) as client:  # type: ignore[arg-type]
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        stream.keep = False
        with pytest.raises(StreamError) as caught:
            list(stream)
    assert (caught.value.received, caught.value.omitted) == ([], 1)


def test_after_done_a_body_that_never_ends_costs_its_connection_not_the_callers_time(
    make_client: Any,
) -> None:
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        # [DONE], then neither the last chunk nor a hang-up.
        conn.send(head(200) + chunk(b'data: {"n": 1}\n\ndata: [DONE]\n\n'))
        release.wait(10)

    with RawServer(handler) as server:
        client = client_for(make_client, server, timeout=openaistream.Timeout(connect=2, read=30))
        started = time.monotonic()
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        assert list(stream) == [{"n": 1}]
        waited = time.monotonic() - started
        release.set()
        client.close()
    assert stream.get_state() == "complete"
    assert waited < 10  # bounded by finish(): about a second, not the 30 s read timeout
