"""What a stream keeps for ``received``: the whole body while it is small, the newest items
within a budget once it is not, always whole items, and an honest count of the rest."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openaistream import DataStream, Response, StreamError, sse
from openaistream.decoders import BYTES, JSON_LINES, SSE
from openaistream.retention import KEEP_BYTES, KeptBytes
from tests.conftest import API_KEY
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head

MESSAGES = [{"role": "user", "content": "hi"}]


def event(n: int) -> bytes:
    # About the size of a real chat.completion.chunk event (~250 bytes).
    return b'data: {"n": %d, "pad": "%s"}\n\n' % (n, b"x" * 220)


def read_until_failure(stream: Any) -> tuple[list[Any], StreamError]:
    delivered: list[Any] = []
    with pytest.raises(StreamError) as caught:
        for item in stream:
            delivered.append(item)
    return delivered, caught.value


def cut_short(events: int) -> Response:
    """A body of ``events`` whole events and then half of one more."""
    chunks = [event(n) for n in range(events)] + [b'data: {"n": -1']
    return Response(200, {}, iter(chunks))


def assert_newest_kept(delivered: list[Any], error: StreamError) -> None:
    kept = len(error.received)
    assert error.omitted + kept == len(delivered)
    assert error.received == delivered[len(delivered) - kept :]


def test_a_body_under_half_the_budget_is_kept_whole() -> None:
    events = (KEEP_BYTES // 2) // len(event(0)) - 10
    delivered, error = read_until_failure(DataStream(cut_short(events)))
    assert len(delivered) == events
    assert error.received == delivered
    assert error.omitted == 0


def test_a_long_body_keeps_its_newest_items_within_the_budget() -> None:
    budget = 64 * 1024
    stream: DataStream[Any] = DataStream(cut_short(5_000), keep=budget)
    delivered, error = read_until_failure(stream)
    assert len(delivered) == 5_000
    assert error.omitted > 0
    assert_newest_kept(delivered, error)
    # At least half a budget's worth, never more than a budget's.
    kept_bytes = len(error.received) * len(event(0))
    assert budget // 2 - len(event(0)) <= kept_bytes <= budget
    assert stream.omitted == error.omitted
    assert stream.received == error.received


def test_the_default_budget_bounds_a_long_stream() -> None:
    events = 3 * KEEP_BYTES // len(event(0))
    delivered, error = read_until_failure(DataStream(cut_short(events)))
    assert error.omitted > 0
    assert_newest_kept(delivered, error)
    assert len(error.received) * len(event(0)) <= KEEP_BYTES


def test_keep_true_keeps_everything() -> None:
    events = 3 * KEEP_BYTES // len(event(0))
    delivered, error = read_until_failure(DataStream(cut_short(events), keep=True))
    assert error.omitted == 0
    assert error.received == delivered


def test_keep_false_counts_every_item_as_omitted() -> None:
    delivered, error = read_until_failure(DataStream(cut_short(100), keep=False))
    assert error.received == []
    assert error.omitted == len(delivered) == 100


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_an_item_longer_than_half_the_budget_is_let_go_and_keeping_resumes_after_it(
    newline: bytes,
) -> None:
    huge = b'data: {"huge": "' + b"y" * 10_000 + b'"}' + newline * 2
    pieces = [huge[i : i + 1000] for i in range(0, len(huge), 1000)]
    chunks = [event(0), *pieces, event(1), event(2), b"data: {"]
    stream: DataStream[Any] = DataStream(Response(200, {}, iter(chunks)), keep=2048)
    delivered: list[Any] = []
    with pytest.raises(StreamError) as caught:
        for item in stream:
            delivered.append(item)
            # At every step, what is kept and what is not add up to what was delivered.
            assert len(stream.received) + stream.omitted == len(delivered)
    assert [item.get("n", "huge") for item in delivered] == [0, "huge", 1, 2]
    assert [item["n"] for item in caught.value.received] == [1, 2]
    assert caught.value.omitted == 2


@pytest.mark.parametrize("keep", [None, False], ids=["default keep", "keep=False"])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_a_20_mb_event_costs_less_than_three_times_its_size(
    keep: Optional[bool], newline: bytes, make_client: Any
) -> None:
    """From the socket to the parsed value: the stream's chunks, their join, the text, the
    value, what the stream keeps. It cost seven times the event."""
    size = 20 << 20
    piece = b"y" * 65536

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        conn.send(chunk(b'data: {"n": 0}' + newline * 2 + b'data: {"long": "'))
        for _ in range(size // len(piece)):
            conn.send(chunk(piece))
        conn.send(chunk(b'"}' + newline * 2 + b'data: {"n": 1}' + newline * 2) + LAST_CHUNK)

    with (
        RawServer(handler) as server,
        make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0) as client,
    ):
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
            stream.keep = keep
            items = list(stream)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
    assert [len(item.get("long", "")) for item in items] == [0, size, 0]
    assert peak < 3 * size, f"{peak / size:.2f} times the event"


def test_json_lines_are_cut_between_lines() -> None:
    lines = [b'{"n": %d, "pad": "%s"}\n' % (n, b"z" * 100) for n in range(2_000)]
    response = Response(200, {}, iter([*lines, b'{"n": ']))
    delivered, error = read_until_failure(DataStream(response, JSON_LINES, keep=8192))
    assert len(delivered) == 2_000
    assert error.omitted > 0
    assert_newest_kept(delivered, error)


@pytest.mark.parametrize("keep", [-1, 1.5, "all", [1]])
def test_a_bad_keep_is_refused_by_name_before_reading(keep: Any) -> None:
    def never_read() -> Iterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    with pytest.raises(ValueError, match="keep must be"):
        DataStream(Response(200, {}, never_read()), keep=keep)


def test_a_binary_stream_keeps_all_or_nothing() -> None:
    chunks = [b"ID3", b"\x00\x01", b"\xff"]
    with pytest.raises(ValueError, match="keep for a bytes stream is True or False"):
        DataStream(Response(200, {}, iter(chunks)), BYTES, keep=1024)
    stream: DataStream[bytes] = DataStream(Response(200, {}, iter(chunks)), BYTES, keep=True)
    assert list(stream) == stream.received == chunks


# -- any stream, any split, any budget -------------------------------------------------------

ENDINGS = [b"\n", b"\r\n", b"\r"]


@st.composite
def sse_bodies(draw: st.DrawFn) -> bytes:
    """Events with every line ending, comments, named events and extra blank lines; the body
    ends with half an event so the stream fails and reports what it kept."""
    parts = []
    for n in range(draw(st.integers(min_value=0, max_value=60))):
        end = draw(st.sampled_from(ENDINGS))
        lines = [b'data: {"n": %d}' % n]
        if draw(st.booleans()):
            lines.insert(0, b"event: step")
        if draw(st.booleans()):
            lines.insert(0, b": keep-alive")
        blank = end * draw(st.integers(min_value=1, max_value=2))
        parts.append(end.join(lines) + end + blank)
    return b"".join(parts) + b'data: {"n": '


def kept_by_a_bare_parser(chunks: list[bytes], budget: int) -> Iterator[tuple[Any, list[Any], int]]:
    """The loop an asynchronous stream runs, without a DataStream: keep each chunk, feed it,
    hand on its items. Yields (item, what is kept, how many are omitted) at each item."""
    kept = KeptBytes(SSE, budget) if budget else None  # a DataStream keeps nothing for 0

    def state(delivered: int) -> tuple[list[Any], int]:
        return (kept.items(delivered), kept.omitted_of(delivered)) if kept else ([], delivered)

    parser = SSE.parser()
    delivered = 0
    for part in chunks:
        if kept is not None:
            kept.add(part, delivered)
        for item in parser.feed(part):
            delivered += 1
            yield (item, *state(delivered))
        if parser.done:
            break
    try:
        parser.end()
    except StreamError as error:
        error.received, error.omitted = state(delivered)
        raise


def kept_by_a_data_stream(chunks: list[bytes], budget: int) -> Iterator[tuple[Any, list[Any], int]]:
    stream: DataStream[Any] = DataStream(Response(200, {}, iter(chunks)), SSE, keep=budget)
    for item in stream:
        yield item, stream.received, stream.omitted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=sse_bodies(),
    cuts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=30),
    budget=st.integers(min_value=0, max_value=600),
    long=st.booleans(),
)
@pytest.mark.parametrize("driver", [kept_by_a_data_stream, kept_by_a_bare_parser])
def test_what_is_kept_is_always_the_newest_whole_items(
    driver: Any, body: bytes, cuts: list[int], budget: int, long: bool
) -> None:
    """Whoever drives the parser (a DataStream, or the loop an async stream runs), cutting the
    kept bytes at the decoder's boundary keeps whole items: the parser hands on every item
    a chunk completes before the next chunk is kept."""
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)])]
    delivered: list[Any] = []
    with pytest.MonkeyPatch.context() as patch, pytest.raises(StreamError) as caught:
        if long:
            patch.setattr(sse, "_LONG", 0)  # the decoder's path for long events, every time
        for item, kept, omitted in driver(chunks, budget):
            delivered.append(item)
            assert kept == delivered[len(delivered) - len(kept) :]
            assert len(kept) + omitted == len(delivered)
    assert delivered == [{"n": n} for n in range(body.count(b"data:") - 1)]
    assert_newest_kept(delivered, caught.value)


# -- over a connection -----------------------------------------------------------------------


def test_a_connection_lost_after_megabytes_reports_the_newest_events(make_client: Any) -> None:
    events = 2 * KEEP_BYTES // len(event(0))

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        for start in range(0, events, 100):
            conn.send(chunk(b"".join(event(n) for n in range(start, min(start + 100, events)))))
        # Half an event, then a hang-up without the last chunk (a reset could make the
        # client's system drop bytes it had received but the client not yet read).
        conn.send(chunk(b'data: {"n": '))

    with (
        RawServer(handler) as server,
        make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0) as client,
    ):
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        delivered, error = read_until_failure(stream)
    assert len(delivered) == events
    assert error.omitted > 0
    assert_newest_kept(delivered, error)


@pytest.mark.parametrize(("keep", "kept"), [(None, 300), (False, 0), (True, 300), (2000, None)])
def test_a_clients_keep_applies_to_every_stream_it_makes(
    make_client: Any, keep: Any, kept: Optional[int]
) -> None:
    # A relay builds its client with keep=False (or derives one with with_options): every
    # event is forwarded as it comes, nothing is held for ``received``.
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200))
        for start in range(0, 300, 10):  # 74 KB in all, ten events a write
            conn.send(b"".join(chunk(event(n)) for n in range(start, start + 10)))
            # Paced: the budget is cut where the chunks read end, so the client must not
            # find the whole body waiting in one read.
            time.sleep(0.01)
        conn.send(chunk(b'data: {"n": '))  # then a hang-up mid-event

    with RawServer(handler) as server:
        options = {"api_key": API_KEY, "base_url": server.url + "/v1", "max_retries": 0}
        if keep is None:
            client = make_client(**options)
        else:
            client = make_client(**options).with_options(keep=keep)
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        delivered, error = read_until_failure(stream)
        client.close()
    assert len(delivered) == 300
    if kept is None:  # a budget: the newest events, cut where the chunks that came end
        assert 0 < len(error.received) < 300
        assert_newest_kept(delivered, error)
    else:
        assert (len(error.received), error.omitted) == (kept, 300 - kept)


def test_a_clients_keep_is_checked_when_it_is_built(make_client: Any) -> None:
    with pytest.raises(ValueError, match="keep must be True, False, None or a number"):
        make_client(api_key=API_KEY, keep=-1)
    with pytest.raises(ValueError, match="keep must be"):
        make_client(api_key=API_KEY).with_options(keep="all")


@pytest.mark.parametrize(
    "split",
    ["an-event-a-chunk", "reads-cut-mid-event", "blank-line-across-chunks", "json-lines"],
)
def test_received_is_right_whether_cuts_keep_the_chunks_or_join_them(split: str) -> None:
    # Cuts keep a generation's chunks as they are when its last item ends in its last
    # chunk (cutting only that one), and join them when the end straddles two chunks.
    decoder = JSON_LINES if split == "json-lines" else SSE
    one = (
        (lambda n: b'{"n": %d, "pad": "%s"}\n' % (n, b"x" * 200))
        if split == "json-lines"
        else event
    )
    body = b"".join(one(n) for n in range(600)) + (
        b'{"n": -1' if split == "json-lines" else b'data: {"n": -1'
    )
    if split == "an-event-a-chunk":
        chunks = [one(n) for n in range(600)] + [b'data: {"n": -1']
    elif split == "blank-line-across-chunks":
        ends = [i + 1 for i in range(len(body) - 1) if body[i : i + 2] == b"\n\n"]
        chunks = [body[start:end] for start, end in zip([0, *ends], [*ends, len(body)])]
    else:  # 1000-byte reads: most end in the middle of an event
        chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    assert b"".join(chunks) == body
    stream: DataStream[Any] = DataStream(Response(200, {}, iter(chunks)), decoder, keep=16 * 1024)
    delivered, error = read_until_failure(stream)
    assert [item["n"] for item in delivered] == list(range(600))
    assert_newest_kept(delivered, error)
    assert error.omitted > 0 and len(error.received) * len(one(0)) >= 8 * 1024
