"""The wire under the urllib3 transports, against raw servers on loopback: interim 1xx
answers, heads cut by a hang-up, broken chunked framing, the call's deadline cutting a server
that drips, and streams stopped by ``break`` or by another thread."""

from __future__ import annotations

import contextlib
import gc
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import openaistream
from openaistream import (
    APIConnectionError,
    APITimeoutError,
    Request,
    RetryPolicy,
    StreamError,
    Timeout,
    TransportOptions,
)
from openaistream.transports.urllib3 import Urllib3Transport
from openaistream.transports.wire import BrokenFraming, WireError, dechunked
from tests.conftest import API_KEY
from tests.support import faults
from tests.support.proxies import Pproxy
from tests.support.servers import LAST_CHUNK, Handler, RawServer, chunk, head

pytestmark = pytest.mark.timeout(30)
MESSAGES = [{"role": "user", "content": "hi"}]
FAST_RETRIES = RetryPolicy(max_retries=3, backoff=0.01, backoff_max=0.02)


@contextmanager
def serving(handler: Handler, **options: object) -> Iterator[tuple[openaistream.OpenAI, RawServer]]:
    with RawServer(handler) as server:
        settings: dict[str, object] = {"timeout": Timeout(connect=1, read=2), "max_retries": 0}
        settings.update(options)
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", **settings)  # type: ignore[arg-type]
        try:
            yield client, server
        finally:
            client.close()


def streamed(client: openaistream.OpenAI) -> list[object]:
    return list(client.chat.create(MESSAGES, "gpt-4o", stream=True))


def timers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if isinstance(thread, threading.Timer)]


# Interim answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interims", "pieces"),
    [
        ([faults.EARLY_HINTS], 1),
        ([faults.PROCESSING], 1),
        ([faults.CONTINUE, faults.PROCESSING, faults.EARLY_HINTS, faults.EARLY_HINTS], 1),
        ([faults.EARLY_HINTS, faults.PROCESSING], 7),  # each cut across TCP writes
    ],
    ids=["103", "102", "several", "split"],
)
def test_interim_answers_before_a_stream_each_call_gets_its_own(
    interims: list[bytes], pieces: int
) -> None:
    handler = faults.interim_answers(interims, faults.numbered_sse, pieces)
    with serving(handler) as (client, server):
        answers = [streamed(client) for _ in range(3)]
    assert answers == [[{"call": 1}], [{"call": 2}], [{"call": 3}]]
    assert server.connections == 1  # one pooled connection served the three calls


@pytest.mark.parametrize("interims", [[faults.EARLY_HINTS], [faults.PROCESSING] * 3])
def test_interim_answers_before_json_each_call_gets_its_own(interims: list[bytes]) -> None:
    with serving(faults.interim_answers(interims, faults.numbered_json)) as (client, server):
        answers = [client.models.list() for _ in range(3)]
    assert answers == [{"call": 1}, {"call": 2}, {"call": 3}]
    assert server.connections == 1


def test_interim_answers_through_a_socks_proxy(tmp_path: Path) -> None:
    handler = faults.interim_answers([faults.EARLY_HINTS], faults.numbered_json)
    proxy = Pproxy("socks5", tmp_path / "socks5.log")
    try:
        with serving(handler, proxy=proxy.url()) as (client, _server):
            assert [client.models.list() for _ in range(2)] == [{"call": 1}, {"call": 2}]
    finally:
        proxy.stop()


def test_101_switching_protocols_is_a_connection_error() -> None:
    switch = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    with (
        serving(faults.raw_answer(switch)) as (client, _server),
        pytest.raises(APIConnectionError, match=r"switched protocols \(101\)"),
    ):
        client.models.list()


# A head cut by a hang-up -------------------------------------------------------------------

CUT_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Enc"


def test_a_head_cut_by_a_hang_up_is_a_connection_error_and_is_retried() -> None:
    with serving(faults.raw_answer(CUT_HEAD), max_retries=FAST_RETRIES) as (client, server):
        with pytest.raises(APIConnectionError, match="middle of the response headers") as caught:
            streamed(client)
        assert not isinstance(caught.value, StreamError)
        assert len(server.requests) == 4  # nothing reached the caller: retried


def test_a_head_cut_after_its_status_line_is_a_connection_error() -> None:
    with (
        serving(faults.raw_answer(b"HTTP/1.1 200 OK\r\n")) as (client, _server),
        pytest.raises(APIConnectionError, match="middle of the response headers"),
    ):
        client.models.list()


def test_an_interim_answer_cut_by_a_hang_up_is_a_connection_error() -> None:
    with (
        serving(faults.raw_answer(b"HTTP/1.1 103 Early Hints\r\nLink: </a>")) as (client, _),
        pytest.raises(APIConnectionError, match=r"interim|response headers"),
    ):
        client.models.list()


# Chunked framing ---------------------------------------------------------------------------

FRAMING = pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"zz\r\n", "'zz' is not a hexadecimal number"),
        (b"\r\n", "is not a hexadecimal number"),
        (b"-5\r\nhello\r\n", "is not a hexadecimal number"),
        (b"0x5\r\nhello\r\n", "is not a hexadecimal number"),
        (b"1;" + b"x" * 5000 + b"\r\n", "longer than 4096 bytes"),
        (b"1" * 5000, "longer than 4096 bytes"),  # no line end at all, then silence
        (b"5\r\nhello!!\r\n", "not followed by a line end"),  # the size is wrong
        (b"0\r\n" + b"X-Trailer: y\r\n" * 6000, "trailers are longer than 64 KiB"),
    ],
    ids=["non-hex", "empty", "negative", "0x", "long-ext", "endless", "no-crlf", "trailers"],
)


@FRAMING
def test_broken_chunked_framing_in_a_stream_keeps_what_came_before(
    bad: bytes, message: str
) -> None:
    answer = head(200) + chunk(faults.events(2)) + bad
    with (
        serving(faults.raw_answer(answer, then_close=False)) as (client, _server),
        pytest.raises(StreamError, match="chunked framing of the body is broken") as caught,
    ):
        streamed(client)
    assert message in str(caught.value)
    assert caught.value.received == [{"n": 1}, {"n": 2}]


def gzip_chunks(*parts: bytes) -> list[bytes]:
    """``parts`` gzip-compressed as one stream, one flushed piece each, so that each piece
    decodes to its part as it arrives."""
    compressor = zlib.compressobj(wbits=31)
    pieces = [compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH) for part in parts]
    pieces[-1] += compressor.flush()
    return pieces


@FRAMING
def test_broken_chunked_framing_in_a_compressed_stream(bad: bytes, message: str) -> None:
    (gzipped,) = gzip_chunks(faults.events(2))
    answer = head(200, {"Content-Encoding": "gzip"}) + chunk(gzipped) + bad
    with (
        serving(faults.raw_answer(answer, then_close=False)) as (client, _server),
        pytest.raises(StreamError, match="chunked framing of the body is broken") as caught,
    ):
        streamed(client)
    assert message in str(caught.value)
    assert caught.value.received == [{"n": 1}, {"n": 2}]


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_broken_chunked_framing_in_a_json_answer(compressed: bool) -> None:
    body = b'{"data": []}'
    headers = {"Content-Type": "application/json"}
    if compressed:
        (body,) = gzip_chunks(body)
        headers["Content-Encoding"] = "gzip"
    answer = head(200, headers) + b"%x\r\n%s" % (len(body) - 2, body) + b"\r\n" + LAST_CHUNK
    with (
        serving(faults.raw_answer(answer, then_close=False)) as (client, _server),
        pytest.raises(APIConnectionError, match="chunked framing of the body is broken"),
    ):
        client.models.list()


class Reads:
    """A reader whose read1 returns the given pieces one by one, as a socket might."""

    def __init__(self, *pieces: bytes) -> None:
        self.pieces = list(pieces)

    def read1(self, size: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def dechunk(*pieces: bytes) -> tuple[bytes, bool]:
    """The payload and whether the connection was accounted for (may go back to the pool)."""
    ended: list[bool] = []
    payload = b"".join(dechunked(Reads(*pieces), lambda: ended.append(True)))
    return payload, ended == [True]


def test_the_chunked_reader_is_liberal_in_line_ends_and_blanks() -> None:
    assert dechunk(b"5\nhello\n3 ; ext=1\r\nabc\r\n0\n\n") == (b"helloabc", True)
    assert dechunk(b"5\r", b"\nhel", b"lo\r", b"\n0\r\nX-T: 1\r\n", b"\r\n") == (b"hello", True)


def test_the_chunked_reader_keeps_a_connection_it_cannot_account_for_out_of_the_pool() -> None:
    assert dechunk(b"1\r\na\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n") == (b"a", False)
    assert dechunk(b"1\r\na\r\n0\r\nX-Trailer: cut") == (b"a", False)


@pytest.mark.parametrize(
    "wire", [b"\r\r\n", b"5\r5\r\n", b"+5\r\n", b"1_0\r\n", b"1" * 17 + b"\r\n", b"5\r\nhelloX"]
)
def test_the_chunked_reader_refuses_what_int_would_take(wire: bytes) -> None:
    with pytest.raises(BrokenFraming):
        dechunk(wire + b"0\r\n\r\n")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_the_chunked_reader_raises_only_its_own_errors(wire: bytes) -> None:
    with contextlib.suppress(WireError):  # broken framing, or the end: never a ValueError
        dechunk(wire)


def test_a_compressed_chunked_stream_arrives_whole() -> None:
    pieces = gzip_chunks(faults.events(2), faults.events(1, start=3), b"data: [DONE]\n\n")
    answer = head(200, {"Content-Encoding": "gzip"}) + b"".join(map(chunk, pieces)) + LAST_CHUNK
    with serving(faults.interim_answers([], lambda n: answer)) as (client, server):
        assert streamed(client) == [{"n": 1}, {"n": 2}, {"n": 3}]
        assert streamed(client) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert server.connections == 1


def test_bytes_after_a_chunked_body_keep_its_connection_out_of_the_pool() -> None:
    stray = b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"stray": true}'
    handler = faults.interim_answers([], lambda n: faults.numbered_sse(n) + stray)
    with serving(handler) as (client, server):
        assert [streamed(client) for _ in range(2)] == [[{"call": 1}], [{"call": 1}]]
    assert server.connections == 2  # each answer's connection was let go, not reused


# The call's deadline, in the transport -----------------------------------------------------


@contextmanager
def dripping(prefix: bytes) -> Iterator[tuple[Urllib3Transport, RawServer]]:
    stop = threading.Event()
    with RawServer(faults.drip(prefix, stop)) as server:
        transport = Urllib3Transport(TransportOptions())
        try:
            yield transport, server
        finally:
            stop.set()
            transport.close()


def deadline_request(url: str, seconds: float = 2.0) -> Request:
    timeout = Timeout(connect=1.0, read=1.0, total=seconds)
    return Request("GET", url, timeout=timeout, deadline=time.monotonic() + seconds)


def test_the_deadline_ends_headers_that_drip() -> None:
    with dripping(b"HTTP/1.1 200 OK\r\nX-Drip: ") as (transport, server):
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"longer than its total timeout of 2\.0 s"):
            transport.send(deadline_request(server.url + "/v1/models"))
        assert time.monotonic() - started < 4  # the drip goes on for 15 s
    assert timers() == []


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_a_client_call_with_a_total_timeout_ends_there_whatever_drips(stream: bool) -> None:
    """The whole path, client to wire: Timeout(total=2) against headers that drip for 15 s
    (each byte well within the read timeout, with retries allowed) ends in about 2 s."""
    stop = threading.Event()
    with RawServer(faults.drip(b"HTTP/1.1 200 OK\r\nX-Drip: ", stop)) as server:
        timeout = Timeout(connect=1.0, read=1.0, total=2.0)
        client = openaistream.OpenAI(
            API_KEY, base_url=server.url + "/v1", timeout=timeout, max_retries=FAST_RETRIES
        )
        started = time.monotonic()
        try:
            with pytest.raises(APITimeoutError, match=r"total timeout of 2\.0 s"):
                client.chat.create(MESSAGES, "gpt-4o", stream=stream)
        finally:
            stop.set()
            client.close()
        assert time.monotonic() - started < 4


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_the_deadline_ends_a_body_that_drips(chunked: bool) -> None:
    extra = {} if chunked else {"Content-Length": "100000"}
    prefix = head(200, extra, chunked=chunked) + (b"186a0\r\n" if chunked else b"")
    with dripping(prefix) as (transport, server):
        started = time.monotonic()
        response = transport.send(deadline_request(server.url + "/v1/chat/completions"))
        with pytest.raises(APITimeoutError, match=r"longer than its total timeout of 2\.0 s"):
            response.read()
        assert time.monotonic() - started < 4
    assert timers() == []


def test_the_deadline_ends_a_proxy_tunnel_that_drips() -> None:
    stop = threading.Event()
    with RawServer(faults.drip(b"HTTP/1.1 200 Connection established\r\nX-Drip: ", stop)) as proxy:
        transport = Urllib3Transport(TransportOptions(proxy=proxy.url))
        started = time.monotonic()
        try:
            with pytest.raises(APITimeoutError, match="total timeout"):
                transport.send(deadline_request("https://127.0.0.1:9/v1/models"))
        finally:
            stop.set()
            transport.close()
        assert time.monotonic() - started < 4
    assert proxy.requests[0].method == "CONNECT"
    assert timers() == []


def test_a_call_within_its_deadline_leaves_no_thread_behind() -> None:
    with serving(faults.interim_answers([], faults.numbered_json)) as (_client, server):
        transport = Urllib3Transport(TransportOptions())
        try:
            for n in (1, 2):
                response = transport.send(deadline_request(server.url + "/x", 10))
                assert response.read() == b'{"call": %d}' % n
                assert timers() == []
        finally:
            transport.close()
    assert server.connections == 1  # the deadline's watch let the connection be pooled


def test_a_deadline_already_past_sends_nothing() -> None:
    with serving(faults.interim_answers([], faults.numbered_json)) as (_client, server):
        transport = Urllib3Transport(TransportOptions())
        request = deadline_request(server.url + "/x")
        request.deadline = time.monotonic() - 1
        with pytest.raises(APITimeoutError, match="total timeout"):
            transport.send(request)
        transport.close()
    assert server.requests == []


# Stopping a stream -------------------------------------------------------------------------


@pytest.mark.parametrize("total", [None, 30.0], ids=["no-total", "total"])
def test_break_with_no_reference_kept_lets_the_connection_go_at_once(total: float | None) -> None:
    hung_up = threading.Event()
    timeout = Timeout(connect=1, read=2, total=total)
    with serving(faults.endless_events(hung_up), timeout=timeout) as (client, _server):
        gc.disable()  # the connection must go by reference counting alone
        try:
            for event in client.chat.create(MESSAGES, "gpt-4o", stream=True):
                assert event == {"n": 1}
                break
            assert hung_up.wait(2), "the server still holds the connection"
        finally:
            gc.enable()


def test_close_from_another_thread_ends_a_blocked_read_quietly() -> None:
    hung_up = threading.Event()
    slow = Timeout(connect=1, read=10)
    with serving(faults.silent_after_first_event(hung_up), timeout=slow) as (client, server):
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        got: list[object] = []
        errors: list[BaseException] = []
        first = threading.Event()

        def read() -> None:
            try:
                for event in stream:
                    got.append(event)
                    first.set()
            except BaseException as exc:  # the test shows it
                errors.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        assert first.wait(5)
        time.sleep(0.3)  # the reader is now blocked, waiting for the silent server
        closed_at = time.monotonic()
        stream.close()
        reader.join(5)
        took = time.monotonic() - closed_at
        assert not reader.is_alive()
        assert took < 1  # the read timeout is 10 s
        assert (got, errors, stream.get_state()) == ([{"n": 1}], [], "closed")
        assert hung_up.wait(2)  # the connection is closed, not pooled
        assert streamed(client) == [{"call": 2}]  # on a new connection
        assert server.connections == 2


def test_a_download_closed_from_another_thread_leaves_no_file(tmp_path: Path) -> None:
    from openaistream import DataStream
    from openaistream.decoders import BYTES

    hung_up = threading.Event()
    with serving(faults.silent_after_first_event(hung_up)) as (_client, server):
        transport = Urllib3Transport(TransportOptions(timeout=Timeout(connect=1, read=10)))
        response = transport.send(Request("GET", server.url + "/v1/audio/speech"))
        stream: DataStream[bytes] = DataStream(response, BYTES)
        target = tmp_path / "speech.mp3"
        errors: list[BaseException] = []

        def download() -> None:
            try:
                stream.write_to(target)
            except BaseException as exc:  # the test shows it
                errors.append(exc)

        writer = threading.Thread(target=download)
        writer.start()
        time.sleep(0.3)  # the writer now waits for the silent server
        stream.close()
        writer.join(5)
        transport.close()
    assert not writer.is_alive()
    assert [type(error) for error in errors] == [StreamError]
    assert "closed after 16 bytes, before its end" in str(errors[0])
    assert list(tmp_path.iterdir()) == []
