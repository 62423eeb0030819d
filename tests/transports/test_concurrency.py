"""Many calls at once on one client, against a local keep-alive server: every call succeeds,
each stream gets its own events, and the connections are reused, not leaked. The blocking
client is shared by threads; the async one runs its calls as tasks of one event loop
(``asyncio.gather``), as an application would."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

import pytest

import openaistream
from tests.conftest import API_KEY
from tests.support.servers import LAST_CHUNK, Conn, Handler, RawServer, chunk, head

THREADS = 16
CALLS = 1000
EVENTS = 5
MESSAGES = [{"role": "user", "content": "hi"}]
MODELS = {"object": "list", "data": [{"id": "gpt-4o"}]}


def answering(side_by_side: Optional[threading.Barrier] = None) -> Handler:
    """Streams of EVENTS events, each naming the model its call asked for; models.list as
    JSON. With ``side_by_side``, every stream waits after its first event until that many
    streams have begun: the calls must be under way at the same time, or the barrier breaks."""

    def handler(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            if not request.target.endswith("/chat/completions"):
                body = json.dumps(MODELS).encode()
                extra = {"Content-Type": "application/json", "Content-Length": str(len(body))}
                conn.send(head(200, extra, chunked=False) + body)
                continue
            model = json.loads(request.body)["model"]
            events = [b"data: %s\n\n" % json.dumps({"model": model, "n": n}).encode()
                      for n in range(1, EVENTS + 1)]  # fmt: skip
            conn.send(head(200) + chunk(events[0]))
            if side_by_side is not None:
                side_by_side.wait()
            conn.send(b"".join(map(chunk, events[1:])) + chunk(b"data: [DONE]\n\n") + LAST_CHUNK)

    return handler


def own_events(model: str) -> list[dict[str, Any]]:
    return [{"model": model, "n": n} for n in range(1, EVENTS + 1)]


@pytest.mark.timeout(120)
def test_sixteen_threads_share_one_client() -> None:
    # The blocking client: shared by threads.
    with RawServer(answering()) as server:
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0)
        threads_seen: set[int] = set()

        def call(number: int) -> Any:
            threads_seen.add(threading.get_ident())
            if number % 2:
                return list(client.chat.create(MESSAGES, f"model-{number}", stream=True))
            return client.models.list()

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(call, range(CALLS)))
        client.close()
    assert results == [own_events(f"model-{n}") if n % 2 else MODELS for n in range(CALLS)]
    assert len(server.requests) == CALLS
    assert len(threads_seen) > 1
    # Each thread holds at most one connection at a time, and gives it back.
    assert server.connections <= THREADS


@pytest.mark.timeout(120)
def test_a_thousand_calls_sixteen_at_a_time_share_one_async_client() -> None:
    async def calls(url: str) -> list[Any]:
        at_once = asyncio.Semaphore(THREADS)
        async with openaistream.AsyncOpenAI(API_KEY, base_url=url, max_retries=0) as client:

            async def call(number: int) -> Any:
                async with at_once:
                    if number % 2:
                        stream = await client.chat.create(MESSAGES, f"model-{number}", stream=True)
                        return [event async for event in stream]
                    return await client.models.list()

            return await asyncio.gather(*(call(n) for n in range(CALLS)))

    with RawServer(answering()) as server:
        results = asyncio.run(asyncio.wait_for(calls(server.url + "/v1"), 100))
    assert results == [own_events(f"model-{n}") if n % 2 else MODELS for n in range(CALLS)]
    assert len(server.requests) == CALLS
    # A connection is back in the pool when its answer was read to its end.
    assert server.connections <= THREADS


@pytest.mark.timeout(60)
def test_streams_read_side_by_side_in_threads_each_get_their_own_events() -> None:
    # The blocking client: one thread a stream.
    with RawServer(answering(threading.Barrier(THREADS, timeout=10))) as server:
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0)

        def read(number: int) -> list[Any]:
            return list(client.chat.create(MESSAGES, f"model-{number}", stream=True))

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(read, range(THREADS)))
        client.close()
    assert results == [own_events(f"model-{n}") for n in range(THREADS)]
    assert server.connections == THREADS


@pytest.mark.timeout(60)
def test_many_streams_gathered_on_one_loop_each_get_their_own_events() -> None:
    streams = 64

    async def read_all(url: str) -> list[list[Any]]:
        async with openaistream.AsyncOpenAI(API_KEY, base_url=url, max_retries=0) as client:

            async def read(number: int) -> list[Any]:
                stream = await client.chat.create(MESSAGES, f"model-{number}", stream=True)
                async with stream:
                    return [event async for event in stream]

            return await asyncio.gather(*(read(n) for n in range(streams)))

    with RawServer(answering(threading.Barrier(streams, timeout=10))) as server:
        results = asyncio.run(asyncio.wait_for(read_all(server.url + "/v1"), 40))
    # Every stream had begun before any could end (the barrier): 64 at once, one loop.
    assert results == [own_events(f"model-{n}") for n in range(streams)]
    assert server.connections == streams
