"""The wire under the transports, against raw servers on loopback: interim 1xx answers, heads
cut by a hang-up, broken chunked framing, the call's deadline cutting a server that drips, and
streams stopped by ``break`` or by another thread.

What a caller sees runs on both clients (``make_client``: ``OpenAI`` on urllib3,
``AsyncOpenAI`` on aiohttp), with the same assertions. What is the urllib3 transport's own
(its chunked reader, its deadline watch, its proxy tunnel) and what only a blocking client
does (``break`` closing at once, ``close()`` from another thread) stays on the blocking side,
each saying why."""

from __future__ import annotations

import contextlib
import gc
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Callable, Union

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
from tests.support.servers import LAST_CHUNK, Conn, Handler, RawServer, chunk, head

pytestmark = pytest.mark.timeout(30)
MESSAGES = [{"role": "user", "content": "hi"}]
FAST_RETRIES = RetryPolicy(max_retries=3, backoff=0.01, backoff_max=0.02)
Serving = Callable[..., AbstractContextManager[tuple[Any, RawServer]]]


@contextmanager
def served(
    make: Callable[..., Any], handler: Handler, **options: object
) -> Iterator[tuple[Any, RawServer]]:
    with RawServer(handler) as server:
        settings: dict[str, object] = {"timeout": Timeout(connect=1, read=2), "max_retries": 0}
        settings.update(options)
        client = make(API_KEY, base_url=server.url + "/v1", **settings)
        try:
            yield client, server
        finally:
            client.close()


@pytest.fixture
def serving(make_client: Any) -> Serving:
    """``serving(handler, **options)``: a raw server and a client of the test's kind for it."""
    return lambda handler, **options: served(make_client, handler, **options)


def sync_serving(
    handler: Handler, **options: object
) -> AbstractContextManager[tuple[openaistream.OpenAI, RawServer]]:
    """The same with the blocking client, for the tests of what only it does."""
    return served(openaistream.OpenAI, handler, **options)


def streamed(client: Any) -> list[object]:
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
    serving: Serving, interims: list[bytes], pieces: int
) -> None:
    handler = faults.interim_answers(interims, faults.numbered_sse, pieces)
    with serving(handler) as (client, server):
        answers = [streamed(client) for _ in range(3)]
    assert answers == [[{"call": 1}], [{"call": 2}], [{"call": 3}]]
    assert server.connections == 1  # one pooled connection served the three calls


@pytest.mark.parametrize("interims", [[faults.EARLY_HINTS], [faults.PROCESSING] * 3])
def test_interim_answers_before_json_each_call_gets_its_own(
    serving: Serving, interims: list[bytes]
) -> None:
    with serving(faults.interim_answers(interims, faults.numbered_json)) as (client, server):
        answers = [client.models.list() for _ in range(3)]
    assert answers == [{"call": 1}, {"call": 2}, {"call": 3}]
    assert server.connections == 1


def test_interim_answers_through_a_socks_proxy(serving: Serving, tmp_path: Path) -> None:
    handler = faults.interim_answers([faults.EARLY_HINTS], faults.numbered_json)
    proxy = Pproxy("socks5", tmp_path / "socks5.log")
    try:
        with serving(handler, proxy=proxy.url()) as (client, _server):
            assert [client.models.list() for _ in range(2)] == [{"call": 1}, {"call": 2}]
    finally:
        proxy.stop()


def test_101_switching_protocols_is_a_connection_error(serving: Serving) -> None:
    switch = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    with (
        serving(faults.raw_answer(switch)) as (client, _server),
        pytest.raises(APIConnectionError, match=r"switched protocols \(101\)"),
    ):
        client.models.list()


# A head cut by a hang-up -------------------------------------------------------------------

CUT_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Enc"


def test_a_head_cut_by_a_hang_up_is_a_connection_error_and_is_retried(serving: Serving) -> None:
    with serving(faults.raw_answer(CUT_HEAD), max_retries=FAST_RETRIES) as (client, server):
        with pytest.raises(APIConnectionError, match="middle of the response headers") as caught:
            streamed(client)
        assert not isinstance(caught.value, StreamError)
        assert len(server.requests) == 4  # nothing reached the caller: retried


def test_a_head_cut_after_its_status_line_is_a_connection_error(serving: Serving) -> None:
    with (
        serving(faults.raw_answer(b"HTTP/1.1 200 OK\r\n")) as (client, _server),
        pytest.raises(APIConnectionError, match="middle of the response headers"),
    ):
        client.models.list()


def test_an_interim_answer_cut_by_a_hang_up_is_a_connection_error(serving: Serving) -> None:
    with (
        serving(faults.raw_answer(b"HTTP/1.1 103 Early Hints\r\nLink: </a>")) as (client, _),
        pytest.raises(APIConnectionError, match=r"interim|response headers"),
    ):
        client.models.list()


# Chunked framing ---------------------------------------------------------------------------

REFUSED = "the chunked framing of the body is broken: aiohttp's parser refused it"
# The bad bytes; what the urllib3 transport says (its own chunked reader, wire.py); what the
# aiohttp transport says (aiohttp's parser, less strict: a 5000-byte chunk extension is taken,
# and the chunk it announces then never comes: the read timeout ends the call).
FRAMING = pytest.mark.parametrize(
    ("bad", "wire_says", "aiohttp_says"),
    [
        (b"zz\r\n", "'zz' is not a hexadecimal number", REFUSED),
        (b"\r\n", "is not a hexadecimal number", REFUSED),
        (b"-5\r\nhello\r\n", "is not a hexadecimal number", REFUSED),
        (b"0x5\r\nhello\r\n", "is not a hexadecimal number", REFUSED),
        (b"1;" + b"x" * 5000 + b"\r\n", "longer than 4096 bytes", "read timeout"),
        (b"1" * 5000, "longer than 4096 bytes", REFUSED),  # no line end at all, then silence
        (b"5\r\nhello!!\r\n", "not followed by a line end", REFUSED),  # the size is wrong
        (b"0\r\n" + b"X-Trailer: y\r\n" * 6000, "trailers are longer than 64 KiB",
         "Too many headers received"),
    ],
    ids=["non-hex", "empty", "negative", "0x", "long-ext", "endless", "no-crlf", "trailers"],
)  # fmt: skip


def then_broken(first: bytes, bad: bytes, release: threading.Event) -> Handler:
    """``first``; then, once the test has read the events it holds, ``bad``; then wait for
    the client to hang up."""

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(first)
        if release.wait(5):
            conn.send(bad)
        faults.until_hung_up(conn, 5)

    return handler


def broken_after_two_events(
    serving: Serving,
    first: bytes,
    bad: bytes,
    kind: str,
    wire_says: str,
    aiohttp_says: Union[str, tuple[str, ...]],
) -> None:
    """Two events are read; the framing then breaks: the error each transport gives (for
    aiohttp, one of the wordings its versions give), with the two events in ``received``."""
    release = threading.Event()
    with serving(then_broken(first, bad, release)) as (client, _server):
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        assert [next(stream), next(stream)] == [{"n": 1}, {"n": 2}]
        release.set()
        with pytest.raises((StreamError, APITimeoutError)) as caught:
            list(stream)
    error = caught.value
    assert error.received == [{"n": 1}, {"n": 2}]
    if kind == "sync":
        assert isinstance(error, StreamError)
        assert "the chunked framing of the body is broken" in str(error)
        assert wire_says in str(error)
    else:
        wordings = (aiohttp_says,) if isinstance(aiohttp_says, str) else aiohttp_says
        assert any(said in str(error) for said in wordings), str(error)
        assert isinstance(error, APITimeoutError if aiohttp_says == "read timeout" else StreamError)


@FRAMING
def test_broken_chunked_framing_in_a_stream_keeps_what_came_before(
    serving: Serving, client_kind: str, bad: bytes, wire_says: str, aiohttp_says: str
) -> None:
    first = head(200) + chunk(faults.events(2))
    broken_after_two_events(serving, first, bad, client_kind, wire_says, aiohttp_says)


def gzip_chunks(*parts: bytes) -> list[bytes]:
    """``parts`` gzip-compressed as one stream, one flushed piece each, so that each piece
    decodes to its part as it arrives."""
    compressor = zlib.compressobj(wbits=31)
    pieces = [compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH) for part in parts]
    pieces[-1] += compressor.flush()
    return pieces


@FRAMING
def test_broken_chunked_framing_in_a_compressed_stream(
    serving: Serving, client_kind: str, bad: bytes, wire_says: str, aiohttp_says: str
) -> None:
    (gzipped,) = gzip_chunks(faults.events(2))
    first = head(200, {"Content-Encoding": "gzip"}) + chunk(gzipped)
    says: Union[str, tuple[str, ...]] = aiohttp_says
    if bad.startswith(b"5\r\nhello"):
        # aiohttp 3.14 decompresses "hello" before it sees the size; 3.13 refuses the framing.
        says = ("Can not decode content-encoding: gzip", aiohttp_says)
    broken_after_two_events(serving, first, bad, client_kind, wire_says, says)


def test_broken_chunked_framing_in_the_same_segment_as_the_head(
    serving: Serving, client_kind: str
) -> None:
    """The blocking client reads the events before the break; aiohttp's parser refuses the
    whole segment, head and events with it: the async client sees a connection error before
    any answer (nothing reached the caller, so it would be retried)."""
    answer = head(200) + chunk(faults.events(2)) + b"zz\r\n"
    with (
        serving(faults.raw_answer(answer, then_close=False)) as (client, server),
        pytest.raises((StreamError, APIConnectionError)) as caught,
    ):
        streamed(client)
    assert "chunked framing of the body is broken" in str(caught.value)
    if client_kind == "sync":
        assert isinstance(caught.value, StreamError)
        assert caught.value.received == [{"n": 1}, {"n": 2}]
    else:
        assert not isinstance(caught.value, StreamError)
        assert getattr(caught.value, "received", []) == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_broken_chunked_framing_in_a_json_answer(serving: Serving, compressed: bool) -> None:
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


def test_a_compressed_chunked_stream_arrives_whole(serving: Serving) -> None:
    pieces = gzip_chunks(faults.events(2), faults.events(1, start=3), b"data: [DONE]\n\n")
    answer = head(200, {"Content-Encoding": "gzip"}) + b"".join(map(chunk, pieces)) + LAST_CHUNK
    with serving(faults.interim_answers([], lambda n: answer)) as (client, server):
        assert streamed(client) == [{"n": 1}, {"n": 2}, {"n": 3}]
        assert streamed(client) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert server.connections == 1


def test_bytes_after_a_chunked_body_keep_its_connection_out_of_the_pool(serving: Serving) -> None:
    stray = b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"stray": true}'
    handler = faults.interim_answers([], lambda n: faults.numbered_sse(n) + stray)
    with serving(handler) as (client, server):
        assert [streamed(client) for _ in range(2)] == [[{"call": 1}], [{"call": 1}]]
    assert server.connections == 2  # each answer's connection was let go, not reused


# The call's deadline, in the transport -----------------------------------------------------
# The urllib3 transport's own deadline watch (a timer thread, and the proxy tunnel it cuts):
# these drive it directly. The aiohttp transport's deadline is aiohttp's total timeout, shown
# in test_aiohttp.py; the whole path, client to wire, runs on both clients below.


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
def test_a_client_call_with_a_total_timeout_ends_there_whatever_drips(
    make_client: Any, stream: bool
) -> None:
    """The whole path, client to wire: Timeout(total=2) against headers that drip for 15 s
    (each byte well within the read timeout, with retries allowed) ends in about 2 s."""
    stop = threading.Event()
    with RawServer(faults.drip(b"HTTP/1.1 200 OK\r\nX-Drip: ", stop)) as server:
        timeout = Timeout(connect=1.0, read=1.0, total=2.0)
        client = make_client(
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
    assert len(server.requests) == 1  # no retry could fit in what was left


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
    with sync_serving(faults.interim_answers([], faults.numbered_json)) as (_client, server):
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
    with sync_serving(faults.interim_answers([], faults.numbered_json)) as (_client, server):
        transport = Urllib3Transport(TransportOptions())
        request = deadline_request(server.url + "/x")
        request.deadline = time.monotonic() - 1
        with pytest.raises(APITimeoutError, match="total timeout"):
            transport.send(request)
        transport.close()
    assert server.requests == []


# Stopping a stream -------------------------------------------------------------------------
# The blocking client only: a ``for`` loop left by ``break`` closes a blocking stream at once
# (an async one closes when its generator is finalized: test_astream.py), and ``close()``
# from another thread ends a read blocked in this one (an async read is cancelled instead).


@pytest.mark.parametrize("total", [None, 30.0], ids=["no-total", "total"])
def test_break_with_no_reference_kept_lets_the_connection_go_at_once(total: float | None) -> None:
    hung_up = threading.Event()
    timeout = Timeout(connect=1, read=2, total=total)
    with sync_serving(faults.endless_events(hung_up), timeout=timeout) as (client, _server):
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
    with sync_serving(faults.silent_after_first_event(hung_up), timeout=slow) as (client, server):
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
    with sync_serving(faults.silent_after_first_event(hung_up)) as (_client, server):
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
