"""AsyncDataStream: the same items, states and ``received`` as DataStream for the same bytes,
and the async ends of a stream (cancellation, a loop left by break, aclose from another task)
close the connection, with nothing left pending."""

from __future__ import annotations

import asyncio
import gc
import random
import subprocess
import sys
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from openaistream import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncDataStream,
    DataStream,
    Response,
    StreamError,
)
from openaistream.decoders import BYTES, JSON_LINES, SSE, SSE_EVENTS, Decoder
from openaistream.http import AsyncResponse
from openaistream.log import CallLog
from openaistream.redact import Redactor
from tests.support import recordings

T = TypeVar("T")

FIRST = b'data: {"n": 1}\n\n'
REST = b'data: {"n": 2}\n\ndata: {"n": 3}\n\n'
DONE = b"data: [DONE]\n\n"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``main`` in a fresh event loop, bounded in time. Whatever the loop reports (a task
    destroyed while pending, an exception never retrieved) fails the test, including what
    is reported when the loop's leftovers are collected after it closed."""
    reported: list[dict[str, Any]] = []

    async def bounded() -> T:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: reported.append(context))
        return await asyncio.wait_for(main, 10)

    result = asyncio.run(bounded())
    gc.collect()
    assert reported == [], [context.get("message") for context in reported]
    return result


class Body:
    """A response body as an async transport gives it: each chunk after a turn of the event
    loop, then optionally an error, or a wait for more that nothing but closing the response
    ends (as closing a connection ends a read waiting on it)."""

    def __init__(
        self, chunks: list[bytes], *, hold: bool = False, fail: Optional[Exception] = None
    ) -> None:
        self.chunks = chunks
        self.hold = hold
        self.fail = fail
        self.closes = 0
        self.read_to_end = False  # every chunk read and the end seen
        self.closed_at_end: Optional[bool] = None  # read_to_end when the response was closed
        self.waiting: Optional[asyncio.Future[None]] = None

    async def arrive(self) -> AsyncIterator[bytes]:
        for part in self.chunks:
            await asyncio.sleep(0)
            yield part
        if self.fail is not None:
            raise self.fail
        if self.hold:
            self.waiting = asyncio.get_running_loop().create_future()
            await self.waiting
        self.read_to_end = True

    async def close(self) -> None:
        self.closes += 1
        self.closed_at_end = self.read_to_end
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(APIConnectionError("the connection was closed"))

    def response(self) -> AsyncResponse:
        return AsyncResponse(200, {"Content-Type": "text/event-stream"}, self.arrive(), self.close)

    async def until_waiting(self) -> None:
        """Until the reader has read every chunk and waits for more (bounded)."""
        for _ in range(1000):
            if self.waiting is not None:
                return
            await asyncio.sleep(0)
        raise AssertionError("the reader never waited for the body")


@dataclass
class Outcome:
    items: list[Any]
    state: str
    received: list[Any]
    omitted: int
    error: Optional[tuple[str, str, list[Any], int]]


def described(error: Optional[APIError]) -> Optional[tuple[str, str, list[Any], int]]:
    if error is None:
        return None
    return type(error).__name__, str(error), error.received, error.omitted


def sync_outcome(chunks: list[bytes], decoder: Decoder, keep: Any = None) -> Outcome:
    stream: DataStream[Any] = DataStream(Response(200, {}, iter(chunks)), decoder, keep=keep)
    items: list[Any] = []
    error = None
    try:
        for item in stream:
            items.append(item)
    except APIError as exc:
        error = exc
    return Outcome(items, stream.get_state(), stream.received, stream.omitted, described(error))


def async_outcome(chunks: list[bytes], decoder: Decoder, keep: Any = None) -> Outcome:
    async def main() -> Outcome:
        body = Body(chunks)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response(), decoder, keep=keep)
        items: list[Any] = []
        error = None
        try:
            async for item in stream:
                items.append(item)
        except APIError as exc:
            error = exc
        assert body.closes == 1
        if stream.get_state() == "complete":  # read to its end: the connection can be reused
            assert body.closed_at_end
        return Outcome(items, stream.get_state(), stream.received, stream.omitted, described(error))

    return run(main())


def split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(raw) + 1) for cut in cuts})
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])]


# -- the same as DataStream, for the same bytes ------------------------------------------------


@pytest.mark.parametrize("decoder", [SSE, SSE_EVENTS], ids=["sse", "sse-events"])
@pytest.mark.parametrize("name", recordings.sse_names())
def test_every_recording_under_random_splits_gives_what_a_data_stream_gives(
    name: str, decoder: Decoder
) -> None:
    raw = recordings.body(name)
    rng = random.Random(name)
    for _ in range(3):
        chunks = split(raw, [rng.randrange(len(raw) + 1) for _ in range(rng.randrange(1, 60))])
        expected = sync_outcome(chunks, decoder)
        assert expected.items  # the recording has events to compare
        assert async_outcome(chunks, decoder) == expected


SSE_BODIES = {name: recordings.body(name) for name in recordings.sse_names()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(SSE_BODIES)),
    cuts=st.lists(st.integers(min_value=0, max_value=10**9), max_size=40),
    keep=st.sampled_from([None, False, True, 512, 4096]),
)
def test_any_split_and_budget_gives_what_a_data_stream_gives(
    name: str, cuts: list[int], keep: Any
) -> None:
    chunks = split(SSE_BODIES[name], cuts)
    assert async_outcome(chunks, SSE, keep) == sync_outcome(chunks, SSE, keep)


@pytest.mark.parametrize(
    ("name", "decoder"),
    [("files/content_jsonl_2023", JSON_LINES), ("audio_speech/mp3", BYTES)],
    ids=["jsonl", "bytes"],
)
def test_json_lines_and_binary_recordings_give_what_a_data_stream_gives(
    name: str, decoder: Decoder
) -> None:
    raw = recordings.body(name)
    rng = random.Random(name)
    chunks = split(raw, [rng.randrange(len(raw) + 1) for _ in range(20)])
    expected = sync_outcome(chunks, decoder)
    assert expected.items and expected.state == "complete"
    assert async_outcome(chunks, decoder) == expected


# -- errors mid-stream ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "raised"),
    [
        (APIConnectionError("connection reset by peer"), StreamError),
        (APITimeoutError("the server sent nothing for 5 s"), APITimeoutError),
    ],
    ids=["connection lost", "read timeout"],
)
def test_an_error_mid_stream_carries_everything_received(
    fault: Exception, raised: type[APIError]
) -> None:
    async def main() -> None:
        body = Body([FIRST, REST, b'data: {"n": 4'], fail=fault)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        got = []
        with pytest.raises(raised) as caught:
            async for item in stream:
                got.append(item)
        assert got == caught.value.received == [{"n": 1}, {"n": 2}, {"n": 3}]
        assert caught.value.omitted == 0
        assert str(fault) in str(caught.value)
        assert stream.get_state() == "error"
        assert body.closes == 1 and body.closed_at_end is False  # discarded, not pooled

    run(main())


def test_a_body_cut_in_the_middle_of_an_event_is_a_stream_error_with_received() -> None:
    async def main() -> None:
        body = Body([FIRST, b'data: {"n": 2}\n\ndata: {"n'])
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        got = []
        with pytest.raises(StreamError) as caught:
            async for item in stream:
                got.append(item)
        assert got == caught.value.received == [{"n": 1}, {"n": 2}]
        assert stream.get_state() == "error"

    run(main())


@pytest.mark.parametrize(
    "bad",
    [b'data: {"error": {"message": "overloaded", "code": "server_error"}}', b'data: {"n": '],
    ids=["error event", "invalid JSON"],
)
def test_an_error_after_events_in_one_chunk_comes_after_them_without_waiting(bad: bytes) -> None:
    """Two events and an error in one chunk, and the body then waits for more that never
    comes: both events reach the caller, then the error, without another read."""

    async def main() -> None:
        body = Body([b'data: {"n": 1}\n\ndata: {"n": 2}\n\n' + bad + b"\n\n"], hold=True)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        got = []
        with pytest.raises(APIError) as caught:
            async for item in stream:
                got.append(item)
        assert body.waiting is None  # no read after the chunk that held the error
        assert got == caught.value.received == [{"n": 1}, {"n": 2}]
        assert stream.get_state() == "error"
        assert body.closes == 1

    run(main())


def test_an_api_error_event_keeps_its_code() -> None:
    error = b'data: {"error": {"message": "overloaded", "code": "server_error"}}\n\n'

    async def main() -> APIError:
        stream: AsyncDataStream[Any] = AsyncDataStream(Body([FIRST, error]).response())
        with pytest.raises(APIError) as caught:
            async for _ in stream:
                pass
        return caught.value

    caught = run(main())
    assert caught.code == "server_error" and caught.received == [{"n": 1}]


# -- the ends of a stream --------------------------------------------------------------------


def test_states_open_complete_closed_and_the_connection_of_each() -> None:
    async def main() -> None:
        body = Body([FIRST, REST + DONE, b": after the end\n\n"])
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        assert stream.get_state() == "open"
        assert stream.status == 200 and stream.headers["content-type"] == "text/event-stream"
        assert stream.response.status == 200 and stream.decoder is SSE
        assert [item async for item in stream] == [{"n": 1}, {"n": 2}, {"n": 3}]
        assert stream.get_state() == "complete"
        assert body.closed_at_end is True  # read to its end: the connection can be reused
        assert await stream.next_value() == []

        early_body = Body([FIRST, REST], hold=True)
        async with AsyncDataStream(early_body.response()) as early:
            assert await early.__anext__() == {"n": 1}
        assert early.get_state() == "closed"
        assert early.response.closed and early_body.closed_at_end is False
        assert [item async for item in early] == []
        await early.aclose()  # twice: nothing more happens
        assert early_body.closes == 1
        assert "state=closed delivered=1" in repr(early)

    run(main())


def test_a_stream_closed_before_it_is_read_reads_nothing() -> None:
    async def main() -> None:
        body = Body([FIRST])
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        await stream.aclose()
        assert [item async for item in stream] == []
        assert stream.get_state() == "closed" and body.closes == 1

    run(main())


def test_after_done_a_body_that_never_ends_costs_its_connection_not_the_callers_time() -> None:
    async def main() -> None:
        body = Body([FIRST + DONE], hold=True)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        # Bounded by afinish (about a second), not by the body, which never ends.
        items = await asyncio.wait_for(_all(stream), 8)
        assert items == [{"n": 1}]
        assert stream.get_state() == "complete"
        assert body.closes == 1 and body.closed_at_end is False

    run(main())


async def _all(stream: AsyncDataStream[Any]) -> list[Any]:
    return [item async for item in stream]


# -- cancellation ----------------------------------------------------------------------------


def test_a_task_cancelled_while_it_waits_for_an_item_closes_the_connection() -> None:
    async def main() -> None:
        body = Body([FIRST], hold=True)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        got: list[Any] = []

        async def read() -> None:
            async for item in stream:
                got.append(item)

        task = asyncio.create_task(read())
        await body.until_waiting()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()  # the cancellation went on up, not swallowed
        assert body.closes == 1  # the response closed, by the time the task ended
        assert stream.get_state() == "closed"
        assert got == [{"n": 1}] and stream.received == [{"n": 1}]

    run(main())


def test_wait_for_around_a_stream_ends_it_and_closes_the_connection() -> None:
    async def main() -> None:
        body = Body([FIRST], hold=True)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        assert await asyncio.wait_for(stream.__anext__(), 5) == {"n": 1}
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream.__anext__(), 0.05)
        assert body.closes == 1 and stream.get_state() == "closed"

        whole = Body([FIRST, REST], hold=True)
        looped: AsyncDataStream[Any] = AsyncDataStream(whole.response())
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(_all(looped), 0.05)
        assert whole.closes == 1 and looped.get_state() == "closed"
        assert looped.received == [{"n": 1}, {"n": 2}, {"n": 3}]

    run(main())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is Python 3.11+")
def test_asyncio_timeout_around_a_stream_ends_it_and_closes_the_connection() -> None:
    async def main() -> None:
        body = Body([FIRST, REST], hold=True)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        got = []
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):  # type: ignore[attr-defined,unused-ignore]
                async for item in stream:
                    got.append(item)
        assert len(got) == 3
        assert body.closes == 1 and stream.get_state() == "closed"

    run(main())


def test_a_task_cancelled_while_the_finished_body_drains_still_closes_it() -> None:
    async def main() -> None:
        body = Body([FIRST + DONE], hold=True)  # [DONE], then a body that does not end
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        task = asyncio.create_task(_all(stream))
        await body.until_waiting()  # the items are delivered; the rest is being drained
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert body.closes == 1
        assert stream.get_state() == "closed"

    run(main())


def test_a_task_cancelled_as_the_rest_of_the_body_arrives_ends_cancelled() -> None:
    # asyncio.wait_for (before Python 3.12) returned a result that came in the turn its task
    # was cancelled and dropped the cancellation: the task went on as if never cancelled.
    async def main() -> None:
        closes: list[bool] = []

        async def arrive() -> AsyncIterator[bytes]:
            await asyncio.sleep(0)
            yield FIRST + DONE
            await asyncio.sleep(0)
            task.cancel()  # in the turn the rest of the body comes
            yield b": the rest\n\n"

        async def close() -> None:
            closes.append(True)

        stream: AsyncDataStream[Any] = AsyncDataStream(AsyncResponse(200, {}, arrive(), close))
        task = asyncio.create_task(_all(stream))
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert stream.received == [{"n": 1}] and closes == [True]

    run(main())


def test_a_loop_left_by_break_with_no_reference_kept_closes_the_connection() -> None:
    async def main() -> None:
        body = Body([FIRST, REST], hold=True)
        async for _ in AsyncDataStream(body.response()):
            break
        # The event loop finalizes the abandoned generator on its next turns.
        for _ in range(100):
            if body.closes:
                break
            await asyncio.sleep(0)
        assert body.closes == 1 and body.closed_at_end is False

    run(main())


def test_aclose_from_another_task_ends_a_read_that_waits() -> None:
    async def main() -> None:
        body = Body([FIRST], hold=True)
        stream: AsyncDataStream[Any] = AsyncDataStream(body.response())
        task = asyncio.create_task(_all(stream))
        await body.until_waiting()
        await stream.aclose()
        # The reading loop ends quietly, with what it had.
        assert await asyncio.wait_for(task, 5) == [{"n": 1}]
        assert stream.get_state() == "closed"
        assert body.closes == 1

    run(main())


# -- next_value ------------------------------------------------------------------------------


def test_next_value_gives_batches_of_num_then_an_empty_list() -> None:
    events = [b'data: {"n": %d}\n\n' % n for n in range(5)]

    async def main() -> list[Any]:
        stream: AsyncDataStream[Any] = AsyncDataStream(Body([*events, DONE]).response(), num=2)
        batches = [await stream.next_value() for _ in range(4)]
        assert stream.get_state() == "complete"
        return batches

    assert run(main()) == [[{"n": 0}, {"n": 1}], [{"n": 2}, {"n": 3}], [{"n": 4}], []]


def test_events_taken_by_next_value_before_a_failure_are_in_received() -> None:
    body = [b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: {"n": 3}\n\n', b'data: {"n": 4']

    async def main() -> None:
        stream: AsyncDataStream[Any] = AsyncDataStream(Body(body).response(), num=2)
        assert await stream.next_value() == [{"n": 1}, {"n": 2}]
        with pytest.raises(StreamError) as caught:
            await stream.next_value()
        assert caught.value.received == [{"n": 1}, {"n": 2}, {"n": 3}]

    run(main())


def test_bytes_next_value_returns_up_to_num_bytes() -> None:
    async def main() -> list[bytes]:
        body = Body([b"abcdefg", b"hi", b"jklmnop"])
        stream: AsyncDataStream[bytes] = AsyncDataStream(body.response(), BYTES, num=3)
        taken = []
        for _ in range(20):
            part = await stream.next_value()
            if not part:
                break
            taken.append(part)
        assert stream.get_state() == "complete"
        assert stream.received == []  # binary streams do not keep their bytes
        return taken

    assert run(main()) == [b"abc", b"def", b"g", b"hi", b"jkl", b"mno", b"p"]


@pytest.mark.parametrize("rest_by", ["iteration", "__anext__", "write_to"])
def test_bytes_next_value_then_the_rest_loses_nothing(tmp_path: Path, rest_by: str) -> None:
    chunks = [b"abcdefg", b"hi", b"jklmnop"]

    async def main() -> bytes:
        stream: AsyncDataStream[bytes] = AsyncDataStream(Body(chunks).response(), BYTES, num=3)
        first = await stream.next_value()
        if rest_by == "iteration":
            return first + b"".join([part async for part in stream])
        if rest_by == "__anext__":
            return first + await stream.__anext__() + b"".join([p async for p in stream])
        await stream.write_to(tmp_path / "out.bin")
        return first + (tmp_path / "out.bin").read_bytes()

    assert run(main()) == b"".join(chunks)


# -- write_to --------------------------------------------------------------------------------


def test_write_to_a_path_writes_the_body_and_leaves_no_partial_file(tmp_path: Path) -> None:
    raw = recordings.body("audio_speech/mp3")
    target = tmp_path / "speech.mp3"

    async def main() -> int:
        body = Body(split(raw, list(range(0, len(raw), 4096))))
        async with AsyncDataStream(body.response(), BYTES) as stream:
            return await stream.write_to(str(target))

    assert run(main()) == len(raw)
    assert target.read_bytes() == raw
    assert sorted(path.name for path in tmp_path.iterdir()) == ["speech.mp3"]


def test_write_to_a_file_object(tmp_path: Path) -> None:
    async def main() -> int:
        stream: AsyncDataStream[bytes] = AsyncDataStream(Body([b"ab", b"cd"]).response(), BYTES)
        with (tmp_path / "out.bin").open("wb") as file:
            return await stream.write_to(file)

    assert run(main()) == 4
    assert (tmp_path / "out.bin").read_bytes() == b"abcd"


@pytest.mark.parametrize("end", ["connection lost", "cancelled", "closed by another task"])
def test_a_download_that_does_not_complete_leaves_no_file(tmp_path: Path, end: str) -> None:
    target = tmp_path / "speech.mp3"

    async def main() -> None:
        fault = APIConnectionError("connection reset") if end == "connection lost" else None
        body = Body([b"abc", b"def"], hold=fault is None, fail=fault)
        stream: AsyncDataStream[bytes] = AsyncDataStream(body.response(), BYTES)
        task = asyncio.create_task(stream.write_to(target))
        if end == "connection lost":
            with pytest.raises(StreamError) as caught:
                await task
            assert caught.value.omitted == 2  # binary streams keep nothing, count what went
        else:
            await body.until_waiting()
            if end == "cancelled":
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            else:
                await stream.aclose()
                with pytest.raises(StreamError, match="closed after 6 bytes"):
                    await task
        assert body.closes == 1

    run(main())
    assert list(tmp_path.iterdir()) == []


def test_write_to_is_for_binary_streams() -> None:
    async def main() -> None:
        stream: AsyncDataStream[Any] = AsyncDataStream(Body([FIRST]).response())
        with pytest.raises(TypeError, match="binary"):
            await stream.write_to("out.bin")
        await stream.aclose()

    run(main())


# -- keep budgets ----------------------------------------------------------------------------


def padded(n: int) -> bytes:
    return b'data: {"n": %d, "pad": "%s"}\n\n' % (n, b"x" * 220)


LONG_CUT_SHORT = [padded(n) for n in range(3000)] + [b'data: {"n": -1']


@pytest.mark.parametrize("keep", [None, True, False, 64 * 1024], ids=str)
def test_keep_budgets_keep_what_a_data_stream_keeps(keep: Any) -> None:
    ours = async_outcome(LONG_CUT_SHORT, SSE, keep)
    assert ours == sync_outcome(LONG_CUT_SHORT, SSE, keep)
    assert ours.error is not None and ours.error[0] == "StreamError"
    assert len(ours.received) + ours.omitted == len(ours.items) == 3000
    if keep == 64 * 1024:
        assert 0 < ours.omitted < 3000


def test_keep_can_be_turned_off_after_the_call_and_before_reading() -> None:
    async def main() -> StreamError:
        stream: AsyncDataStream[Any] = AsyncDataStream(Body([FIRST, b'data: {"n": 2']).response())
        stream.keep = False
        assert stream.keep is False
        with pytest.raises(StreamError) as caught:
            await _all(stream)
        return caught.value

    caught = run(main())
    assert caught.received == [] and caught.omitted == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [({"keep": -1}, "keep must be"), ({"num": 0}, "num must be"), ({"keep": "all"}, "keep must")],
)
def test_bad_options_fail_when_the_stream_is_made(options: Any, message: str) -> None:
    async def main() -> None:
        body = Body([FIRST])
        with pytest.raises(ValueError, match=message):
            AsyncDataStream(body.response(), **options)
        await body.close()

    run(main())


# -- logging and importing -------------------------------------------------------------------


def test_logging_as_a_data_stream_does_it() -> None:
    async def main() -> None:
        complete = AsyncDataStream(Body([FIRST, REST]).response(), log=log)
        await _all(complete)
        async with AsyncDataStream(Body([FIRST, REST]).response(), log=log) as closed:
            await closed.__anext__()

    log = CallLog(2, Redactor())
    with capture_logs() as logs:
        run(main())
    assert [(entry["event"], entry.get("received", entry.get("data"))) for entry in logs] == [
        ("stream.event", {"n": 1}),
        ("stream.event", {"n": 2}),
        ("stream.event", {"n": 3}),
        ("stream.complete", 3),
        ("stream.event", {"n": 1}),
        ("stream.closed", 1),
    ]


def test_importing_openaistream_loads_neither_asyncio_nor_the_async_stream() -> None:
    code = (
        "import sys, openaistream\n"
        "print('asyncio' in sys.modules, 'openaistream.astream' in sys.modules)\n"
        "openaistream.AsyncDataStream\n"
        "print('openaistream.astream' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False", "True"]
