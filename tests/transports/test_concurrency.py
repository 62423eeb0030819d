"""One client shared by 16 threads making 1,000 calls, streamed and not, against a local
keep-alive server: every call succeeds and the connections are reused, not leaked."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import openaistream
from tests.conftest import API_KEY
from tests.support.faults import events
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head

THREADS = 16
CALLS = 1000
MESSAGES = [{"role": "user", "content": "hi"}]


def handler(conn: Conn) -> None:
    while (request := conn.read_request()) is not None:
        if request.target.endswith("/chat/completions"):
            conn.send(head(200) + chunk(events(5)) + chunk(b"data: [DONE]\n\n") + LAST_CHUNK)
        else:
            body = json.dumps({"object": "list", "data": [{"id": "gpt-4o"}]}).encode()
            conn.send(
                head(
                    200,
                    {"Content-Type": "application/json", "Content-Length": str(len(body))},
                    chunked=False,
                )
                + body
            )


@pytest.mark.timeout(120)
def test_sixteen_threads_share_one_client() -> None:
    with RawServer(handler) as server:
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0)
        threads_seen: set[int] = set()

        def call(number: int) -> int:
            threads_seen.add(threading.get_ident())
            if number % 2:
                return len(list(client.chat.create(MESSAGES, "gpt-4o", stream=True)))
            return len(client.models.list()["data"])

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(call, range(CALLS)))
        client.close()
    assert results == [1 if n % 2 == 0 else 5 for n in range(CALLS)]
    assert len(server.requests) == CALLS
    assert len(threads_seen) > 1
    # Each thread holds at most one connection at a time, and gives it back.
    assert server.connections <= THREADS
