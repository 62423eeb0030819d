"""The async transport contract's response: read, finished or closed as the sync one is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from openaistream import APIConnectionError
from openaistream.http import AsyncResponse


def test_aread_joins_the_body_and_closes_once() -> None:
    closed: list[bool] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"c"

    async def close() -> None:
        closed.append(True)

    async def main() -> None:
        response = AsyncResponse(200, {"Content-Type": "x"}, chunks(), close)
        assert response.headers == {"content-type": "x"}
        assert await response.aread() == b"abc"
        await response.aclose()  # twice: nothing more happens
        assert response.closed

    asyncio.run(main())
    assert closed == [True]


def test_afinish_reads_what_is_left_and_gives_up_on_a_body_that_never_ends() -> None:
    read: list[bytes] = []

    async def endless() -> AsyncIterator[bytes]:
        yield b"last"
        read.append(b"last")
        await asyncio.sleep(30)  # a server that neither ends the body nor hangs up
        yield b"never"

    async def failing() -> AsyncIterator[bytes]:
        yield b"x"
        raise APIConnectionError("cut while draining")

    async def main() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        response = AsyncResponse(200, {}, endless())
        await response.afinish(seconds=0.2)
        assert response.closed
        cut = AsyncResponse(200, {}, failing())
        await cut.afinish()  # the cut costs the connection, raises nothing
        assert cut.closed
        return loop.time() - started

    assert asyncio.run(main()) < 5  # not the 30 s the body would take
    assert read == [b"last"]


def test_a_task_cancelled_while_afinish_drains_still_closes_the_response() -> None:
    closed: list[bool] = []

    async def slow() -> AsyncIterator[bytes]:
        await asyncio.sleep(30)
        yield b"never"

    async def close() -> None:
        closed.append(True)

    async def main() -> None:
        response = AsyncResponse(200, {}, slow(), close)
        task = asyncio.ensure_future(response.afinish(seconds=10))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # the cancellation goes on to the caller
        assert response.closed

    asyncio.run(main())
    assert closed == [True]
