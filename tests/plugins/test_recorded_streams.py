"""Every real SSE recording, served over a socket in random chunk boundaries, reaches the
caller of either client as the same events: the ones the plain reference parser reads in
the whole body (tests/support/recordings.py).

The decoders are checked against every split of the bytes in tests/core/test_sse.py; here the
bytes go the whole way, as an application meets them: a raw-socket server writes each piece
on its own (as one HTTP chunk, or as a part of a Content-Length body), the client's
transport (urllib3, or aiohttp for AsyncOpenAI) reads them as they come, and the stream
decodes what it read. The splits are drawn from a random generator seeded by the recording's
name, so a failure names a split that can be made again.
"""

from __future__ import annotations

import random
import socket
import threading
import zlib
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

import openaistream
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head

FINE = 8192  # of a body's first FINE bytes, one split cuts them into pieces of 1 to 32 bytes


def splits(raw: bytes, seed: int) -> list[list[bytes]]:
    """Four splits of ``raw``: three at up to 60 random points, one into tiny pieces at the
    start (every line ending and field split somewhere) and the rest whole."""
    rng = random.Random(seed)
    made = []
    for _ in range(3):
        points = sorted(rng.sample(range(1, len(raw)), min(rng.randint(1, 60), len(raw) - 1)))
        made.append([raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])])
    fine, at = [], 0
    while at < min(FINE, len(raw)):
        size = rng.randint(1, 32)
        fine.append(raw[at : at + size])
        at += size
    made.append([*fine, raw[at:]] if at < len(raw) else fine)
    return made


class Planned:
    """A handler that answers each request, on whatever connection it comes, with the next
    planned split: the pieces written one by one, chunked or with a Content-Length."""

    def __init__(self) -> None:
        self._plans: deque[tuple[list[bytes], bool]] = deque()
        self._lock = threading.Lock()

    def plan(self, plans: list[tuple[list[bytes], bool]]) -> None:
        with self._lock:
            self._plans = deque(plans)

    def __call__(self, conn: Conn) -> None:
        # Each write leaves at once, as its own segment, not held to be joined with the next.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while conn.read_request() is not None:
            with self._lock:
                pieces, chunked = self._plans.popleft()
            length = {} if chunked else {"Content-Length": str(sum(map(len, pieces)))}
            conn.send(head(200, length, chunked=chunked))
            for piece in pieces:
                if piece:
                    conn.send(chunk(piece) if chunked else piece)
            if chunked:
                conn.send(LAST_CHUNK)


@pytest.fixture(scope="module")
def planned() -> Iterator[tuple[Planned, RawServer]]:
    """One server for the module's tests (each test plans its own answers): a server a test
    costs a tenth of a second to stop, more than most of these tests take."""
    handler = Planned()
    with RawServer(handler) as server:
        yield handler, server


def read(stream: Any) -> tuple[list[Any], bool]:
    """The items of a stream, and whether it ended in an APIError (the error events)."""
    items: list[Any] = []
    with stream:
        try:
            for item in stream:
                items.append(item)
        except openaistream.APIError:
            return items, True
    return items, False


@pytest.mark.parametrize("name", recordings.sse_names())
def test_a_recording_in_random_chunks_gives_the_reference_events(
    name: str, make_client: Any, planned: tuple[Planned, RawServer]
) -> None:
    raw = recordings.body(name)
    seed = zlib.crc32(name.encode())
    expected = {named: recordings.reference_items(raw, named) for named in (False, True)}
    assert expected[False][0] or expected[False][1], "the recording holds events"
    # Each split read once, the four of them covering each framing with each decoder.
    cases = [
        (index, pieces, index % 2 == 0, index >= 2)
        for index, pieces in enumerate(splits(raw, seed))
    ]
    handler, server = planned
    handler.plan([(pieces, chunked) for _, pieces, chunked, _ in cases])
    before = len(server.requests)
    client = make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0)
    for index, pieces, chunked, named in cases:
        assert b"".join(pieces) == raw
        stream = client.request(
            "POST", "/chat/completions", json={"stream": True}, stream=True,
            decoder="sse-events" if named else "sse",
        )  # fmt: skip
        got = read(stream)
        where = f"split {index} of seed {seed}: {len(pieces)} pieces, chunked={chunked}"
        assert got == expected[named], where
    client.close()
    assert len(server.requests) - before == len(cases)
