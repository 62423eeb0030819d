"""``Resource.gather``: calls made side by side by a method given to ``run``, at most
``limit`` at a time (threads on ``OpenAI``, tasks on ``AsyncOpenAI``), answered in the order
of the calls, carrying the method's per-call options; the first error stops the rest and is
raised. The server counts the requests in flight and holds each one until ``limit`` are."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import openaistream
from openaistream.operation import operation
from tests.support.clients import Blocking
from tests.support.servers import Conn, RawServer

API_KEY = "sk-test-gather-000000000000"
HOLD = 2.0  # seconds a request waits for the others to arrive before it is answered anyway


class Jobs(openaistream.Resource):
    retrieve = operation("GET", "/jobs/{job_id}")

    def retrieve_all(self, job_ids: Any, limit: int) -> Any:
        def steps() -> Any:
            calls = (lambda job_id=job_id: self.retrieve(job_id) for job_id in job_ids)
            return (yield self.gather(calls, limit))

        return self.run(steps())


class InFlight:
    """A handler answering ``{"id": <job>}`` (one request a connection). Requests are held
    in groups of ``hold``, each answered when its group has all arrived (or after ``wait``
    seconds); the job named ``failing`` is answered 500 at once. It records the peak of
    requests in flight, the jobs in the order they arrived, and their headers."""

    def __init__(self, hold: int, failing: str = "", wait: float = HOLD) -> None:
        self.hold = hold
        self.failing = failing
        self.wait = wait
        self.active = self.peak = 0
        self.arrived: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._changed = threading.Condition()

    def __call__(self, conn: Conn) -> None:
        request = conn.read_request()
        if request is None:
            return
        job = request.target.rsplit("/", 1)[1]
        with self._changed:
            group_full = self.hold * (len(self.arrived) // self.hold + 1)
            self.arrived.append(job)
            self.headers.append(request.headers)
            self.active += 1
            self.peak = max(self.peak, self.active)
            self._changed.notify_all()
            if job != self.failing:
                self._changed.wait_for(lambda: len(self.arrived) >= group_full, self.wait)
            self.active -= 1  # before it is answered: the client may then send the next
        status, body = (500, {"error": {"message": "no"}}) if job == self.failing else (200, {})
        data = json.dumps(body or {"id": job}).encode()
        conn.send(
            b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (status, len(data), data)
        )


def jobs_of(client: Any, clients: Any) -> Any:
    jobs = Jobs(getattr(client, "_target", client))
    return Blocking(jobs, clients.loop) if clients.kind == "async" else jobs


def test_calls_run_side_by_side_within_the_limit_answered_in_order(
    make_client: Any, clients: Any
) -> None:
    ids = [f"job_{n}" for n in range(6)]
    server = InFlight(hold=3)
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        started = time.monotonic()
        answers = jobs_of(client, clients).retrieve_all(ids, 3)
        elapsed = time.monotonic() - started
    assert answers == [{"id": job_id} for job_id in ids]
    assert server.peak == 3  # side by side, never more than the limit
    assert sorted(server.arrived) == ids
    assert elapsed < HOLD  # each group of three was answered as soon as it was complete


def test_calls_carry_the_per_call_options_of_the_method(make_client: Any, clients: Any) -> None:
    server = InFlight(hold=2)
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        jobs = jobs_of(client, clients)
        jobs.retrieve_all(["a", "b", "c", "d"], 2, extra_headers={"X-Tag": "seen"})
    assert [headers.get("x-tag") for headers in server.headers] == ["seen"] * 4


def test_the_first_error_is_raised_and_no_more_calls_start(make_client: Any, clients: Any) -> None:
    ids = [f"job_{n}" for n in range(20)]
    # job_0 fails at once; the others are answered after 0.3 s, long after that.
    server = InFlight(hold=len(ids), failing="job_0", wait=0.3)
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        with pytest.raises(openaistream.InternalServerError):
            jobs_of(client, clients).retrieve_all(ids, 2)
    # The first two calls started (the second may not have reached the server before the
    # first failed); none after them.
    assert "job_0" in server.arrived
    assert set(server.arrived) <= {"job_0", "job_1"}


def test_calls_are_taken_as_workers_free_up(make_client: Any, clients: Any) -> None:
    taken: list[int] = []
    server = InFlight(hold=1)

    def job_ids() -> Iterator[str]:
        for n in range(5):
            taken.append(len(server.arrived))  # requests made when this call was taken
            yield f"job_{n}"

    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        assert len(jobs_of(client, clients).retrieve_all(job_ids(), 1)) == 5
    assert taken == [0, 1, 2, 3, 4]  # one worker: each call taken after the last was made


def test_an_empty_list_of_calls_answers_an_empty_list(make_client: Any, clients: Any) -> None:
    client = make_client(API_KEY, base_url="http://127.0.0.1:9/v1", max_retries=0)
    assert jobs_of(client, clients).retrieve_all([], 4) == []


@pytest.mark.parametrize(
    ("limit", "error", "message"),
    [
        (0, ValueError, "limit must be at least 1, not 0"),
        (2.5, TypeError, "limit must be a whole number, not 2.5"),
        (True, TypeError, "limit must be a whole number, not True"),
    ],
)
def test_a_bad_limit_is_refused_before_any_call(
    make_client: Any, clients: Any, limit: Any, error: type[Exception], message: str
) -> None:
    client = make_client(API_KEY, base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(error, match=message):
        jobs_of(client, clients).retrieve_all(["job_1"], limit)


def test_an_async_failure_cancels_the_calls_in_flight() -> None:
    """On AsyncOpenAI the other tasks are cancelled at once: a call that would take long is
    not waited for."""
    import asyncio

    async def main() -> tuple[list[str], float]:
        client = openaistream.AsyncOpenAI(API_KEY, base_url="http://127.0.0.1:9/v1")
        jobs = Jobs(client)
        stopped: list[str] = []

        async def slow() -> None:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                stopped.append("slow")
                raise

        async def fails() -> None:
            await asyncio.sleep(0.01)
            raise RuntimeError("part 2 failed")

        started = time.monotonic()
        with pytest.raises(RuntimeError, match="part 2 failed"):
            await jobs.gather([slow, fails, slow], 3)
        await client.close()
        return stopped, time.monotonic() - started

    stopped, elapsed = asyncio.run(main())
    assert stopped == ["slow", "slow"]
    assert elapsed < 5


def test_a_blocking_failure_lets_running_calls_finish_and_starts_no_more() -> None:
    client = openaistream.OpenAI(API_KEY, base_url="http://127.0.0.1:9/v1")
    finished: list[str] = []

    def slow() -> str:
        time.sleep(0.2)
        finished.append("slow")
        return "slow"

    def fails() -> None:
        raise RuntimeError("part 2 failed")

    with pytest.raises(RuntimeError, match="part 2 failed"):
        Jobs(client).gather([slow, fails, slow, slow, slow], 2)
    client.close()
    assert finished == ["slow"]  # the one running when it failed; no other was started
