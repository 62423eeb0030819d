"""Cancellation is the async client's stop button: a task cancelled while it waits for the
next event closes its connection at once, and the server sees it go.

The server sends one event and then holds the stream open; it notes the moment it sees the
client's hang-up. The test notes the moment it cancels the task; the gap is what a user
pressing "stop" costs the server. For the 10 ms bound the server is a process of its own
(tests/support/hangup_server.py), so that noting the moment waits for nothing of ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Optional

import pytest

import openaistream
from tests.conftest import API_KEY
from tests.support.faults import EVENT
from tests.support.servers import Conn, RawServer, chunk, head

HOLD = 5.0  # seconds the server holds a stream open at most
HI = [{"role": "user", "content": "hi"}]


class HangUpClock:
    """A handler that sends one event, then waits for the hang-up and notes when it came."""

    def __init__(self) -> None:
        self.sent = threading.Event()
        self.hung_up_at: Optional[float] = None

    def __call__(self, conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(EVENT % 1))
        self.sent.set()
        conn.sock.settimeout(HOLD)
        with contextlib.suppress(OSError):  # b"" (a FIN) or a reset: either way, gone
            conn.sock.recv(1)
        self.hung_up_at = time.monotonic()


async def _cancel_mid_stream(url: str) -> tuple[float, str]:
    """Read the first event in a task, cancel it while it waits for the second; the moment
    of cancelling and the stream's state after."""
    async with openaistream.AsyncOpenAI(API_KEY, base_url=url, max_retries=0) as client:
        stream = await client.chat.create(
            [{"role": "user", "content": "hi"}], model="m", stream=True
        )
        first = asyncio.get_running_loop().create_future()

        async def read() -> None:
            async for _ in stream:
                if not first.done():
                    first.set_result(None)

        task = asyncio.ensure_future(read())
        await first
        await asyncio.sleep(0.05)  # the task is blocked in the read of the next event
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return cancelled_at, stream.get_state()


def _hang_up_gap() -> tuple[float, str]:
    """One cancel against a fresh server process: seconds from the cancel to the moment the
    server saw the hang-up (inf if it never did), and the stream's state after."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.hangup_server"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        cancelled_at, state = asyncio.run(_cancel_mid_stream(f"http://127.0.0.1:{port}/v1"))
        seen = server.stdout.readline().strip()
    finally:
        server.kill()
        server.wait(HOLD)
        if server.stdout is not None:
            server.stdout.close()
    return (float("inf") if seen == "none" else float(seen) - cancelled_at), state


def test_cancelling_a_task_mid_stream_closes_the_connection_within_10_ms() -> None:
    # The close takes well under a millisecond (two turns of the loop); on a busy machine
    # the scheduler may hold a process back for longer once. Up to three tries, so a
    # hiccup is not a failure; a close that waits for anything (a TLS goodbye, a read
    # timeout, the rest of the body) fails all three.
    gaps = []
    for _ in range(3):
        gap, state = _hang_up_gap()
        assert state == "closed"
        gaps.append(gap)
        if 0 <= gap < 0.010:
            break
    else:
        shown = ", ".join(f"{gap * 1000:.1f} ms" for gap in gaps)
        pytest.fail(f"the server saw the hang-up only {shown} after the cancel")


async def _timed_out(url: str, how: str) -> tuple[list[int], str]:
    async with openaistream.AsyncOpenAI(API_KEY, base_url=url, max_retries=0) as client:
        stream = await client.chat.create(
            [{"role": "user", "content": "hi"}], model="m", stream=True
        )
        seen: list[int] = []

        async def read() -> None:
            async for event in stream:
                seen.append(int(event["n"]))

        with pytest.raises((asyncio.TimeoutError, TimeoutError)):
            if how == "wait_for":
                await asyncio.wait_for(read(), 0.2)
            else:
                async with asyncio.timeout(0.2):  # type: ignore[attr-defined]
                    await read()
        return seen, stream.get_state()


@pytest.mark.parametrize("how", ["wait_for", "timeout"])
def test_a_timeout_around_a_stream_ends_it_and_frees_the_connection(how: str) -> None:
    if how == "timeout" and not hasattr(asyncio, "timeout"):
        pytest.skip("asyncio.timeout() is new in Python 3.11")
    clock = HangUpClock()
    with RawServer(clock) as server, warnings.catch_warnings():
        warnings.simplefilter("error")
        seen, state = asyncio.run(_timed_out(server.url + "/v1", how))
        assert clock.sent.wait(HOLD)
    assert (seen, state) == ([1], "closed")
    assert clock.hung_up_at is not None
