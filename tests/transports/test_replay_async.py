# ruff: noqa: E501 - recorded bodies and calls read best on one line
"""The async replay transport plays the same cassettes as the sync one: every cassette the
examples and the sync tests replay gives the same chunks and the same end through both; a
cassette recorded by either client replays in the other byte for byte; and the rules of
matching, modes and secrets are the same, with the same errors.

These tests drive the async transport itself, at the level the clients reach it: the
requests are built by the client's ``build_request`` (both clients build the same), and
recording goes through ``LoopbackTransport`` below, a small real async transport that speaks
HTTP/1.1 to the local servers through asyncio streams: the replay transport records through
whatever async transport it is handed. The clients themselves, recording and replaying
through each other's cassettes, are in test_replay.py."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, Callable, TypeVar, Union
from urllib.parse import urlencode, urlsplit

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import APIConnectionError, ReplayError, Request, TransportOptions
from openaistream.http import AsyncResponse, Network
from openaistream.registry import get_registry
from openaistream.transports.replay import ReplayTransport
from openaistream.transports.replay_async import AsyncReplayTransport
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.servers import Conn, RawServer
from tests.transports.test_replay import EVENTS, MESSAGES, client, raw_chunks, serve_chunks

T = TypeVar("T")
CASSETTES = Path(__file__).resolve().parents[2] / "examples" / "cassettes"
NOWHERE = "http://127.0.0.1:9/v1"  # nothing listens: a replay that reached out would fail
CHAT = {"model": "gpt-4o", "messages": MESSAGES}


def run(coroutine: Awaitable[T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, 20)

    return asyncio.run(bounded())


# -- a minimal async transport to record through ------------------------------------------------


class LoopbackTransport:
    """HTTP/1.1 over ``asyncio.open_connection``, one connection a request: enough to record
    through against the loopback servers of these tests (chunked, Content-Length, or to the
    end of the connection). ``requests`` counts what it sent."""

    def __init__(self) -> None:
        self.requests = 0
        self.closed = False

    async def send(self, request: Request) -> AsyncResponse:
        url = urlsplit(request.url)
        try:
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
        except OSError as exc:
            raise APIConnectionError(f"cannot connect: {exc}") from exc
        body = await _body_bytes(request.body)
        target = url.path + (f"?{url.query}" if url.query else "")
        headers = {
            **request.headers,
            "Host": url.netloc,
            "Connection": "close",
            "Content-Length": str(len(body)),
        }
        lines = [f"{request.method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self.requests += 1

        async def close() -> None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

        try:
            await writer.drain()
            status_line, *fields = (
                (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            )
        except (OSError, asyncio.IncompleteReadError) as exc:
            await close()
            raise APIConnectionError(f"no answer: {exc}") from exc
        answer = {
            name.strip().lower(): value.strip()
            for name, _, value in (f.partition(":") for f in fields if f)
        }
        return AsyncResponse(
            int(status_line.split()[1]), answer, _chunks(reader, answer), close=close
        )

    async def aclose(self) -> None:
        self.closed = True


async def _body_bytes(body: Any) -> bytes:
    if body is None or isinstance(body, bytes):
        return body or b""
    if hasattr(body, "__aiter__"):
        return b"".join([part async for part in body])
    return b"".join(body)


async def _chunks(reader: asyncio.StreamReader, headers: dict[str, str]) -> AsyncIterator[bytes]:
    try:
        if headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    return
                yield (await reader.readexactly(size + 2))[:-2]
        left = int(headers.get("content-length", "-1"))
        while left:
            data = await reader.read(65536 if left < 0 else min(left, 65536))
            if not data and left > 0:
                raise asyncio.IncompleteReadError(b"", left)
            if not data:
                return
            left -= len(data) if left > 0 else 0
            yield data
    except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
        raise APIConnectionError(f"the connection was cut: {exc!r}") from exc


def recorder(
    cassette: Path, mode: str, network: LoopbackTransport, **options: Any
) -> AsyncReplayTransport:
    return AsyncReplayTransport(cassette, mode, network=lambda: network, **options)


def built(method: str, path: str, base_url: str = NOWHERE, **options: Any) -> Request:
    """The request the clients build for this call, API key and organization included."""
    builder = openaistream.OpenAI(
        API_KEY, base_url=base_url, organization="org-secret", max_retries=0
    )
    with builder:
        return builder.build_request(method, path, **options)


# -- the same chunks and end through both transports ----------------------------------------------

Outcome = tuple[int, dict[str, str], list[bytes], Union[str, tuple[str, str]]]


def sync_outcome(transport: ReplayTransport, request: Request) -> Outcome:
    response = transport.send(request)
    chunks: list[bytes] = []
    end: Union[str, tuple[str, str]] = "complete"
    try:
        for part in response:
            chunks.append(part)
    except APIConnectionError as exc:
        end = (type(exc).__name__, str(exc))
    finally:
        response.close()
    return response.status, response.headers, chunks, end


async def async_outcome(transport: AsyncReplayTransport, request: Request) -> Outcome:
    response = await transport.send(request)
    chunks: list[bytes] = []
    end: Union[str, tuple[str, str]] = "complete"
    try:
        async for part in response:
            chunks.append(part)
    except APIConnectionError as exc:
        end = (type(exc).__name__, str(exc))
    finally:
        await response.aclose()
    return response.status, response.headers, chunks, end


def request_for(
    recorded: dict[str, Any], body: Callable[[], Any] = lambda: iter([b"--upload--"])
) -> Request:
    """A request a cassette's recording matches, rebuilt from what the cassette keeps of it;
    a streamed body (an upload) is made by ``body``."""
    query = urlencode(recorded.get("query", {}), doseq=True)
    url = "http://127.0.0.1:9" + recorded["path"] + (f"?{query}" if query else "")
    headers = dict(recorded.get("headers", {}))
    content = recorded.get("body")
    sent: Any = None
    if "body_note" in recorded:
        sent = body()
    elif content is not None and "json" in headers.get("content-type", ""):
        sent = json.dumps(content).encode()
    elif content is not None:
        sent = (
            base64.b64decode(content["base64"]) if "base64" in content else content["text"].encode()
        )
    return Request(recorded["method"], url, {"Authorization": f"Bearer {API_KEY}", **headers}, sent)


def recorded_outcome(interaction: dict[str, Any]) -> tuple[list[bytes], Any]:
    response = interaction["response"]
    chunks = [
        base64.b64decode(c["base64"]) if "base64" in c else c["text"].encode()
        for c in response["chunks"]
    ]
    return chunks, response.get("end", "complete")


def assert_replays_alike(cassette: Path) -> int:
    """Every recording of the cassette, in turn, through both transports: the same status,
    headers, chunks and end. Returns how many were compared."""
    interactions = json.loads(cassette.read_text())["interactions"]
    sync = ReplayTransport(cassette)
    asynchronous = AsyncReplayTransport(cassette)

    async def replay_all() -> list[Outcome]:
        return [await async_outcome(asynchronous, request_for(i["request"])) for i in interactions]

    played = run(replay_all())
    for interaction, through_async in zip(interactions, played):
        through_sync = sync_outcome(sync, request_for(interaction["request"]))
        assert through_async == through_sync
        chunks, end = recorded_outcome(interaction)
        assert through_async[2] == chunks
        assert (through_async[3] == "complete") == (end == "complete")
    sync.close()
    return len(played)


@pytest.mark.parametrize("cassette", sorted(CASSETTES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_cassette_replays_alike_through_both_transports(cassette: Path) -> None:
    assert assert_replays_alike(cassette) >= 1


def record_complete(tmp_path: Path, httpserver: HTTPServer) -> Path:
    cassette = tmp_path / "complete.json"
    with serve_chunks(EVENTS) as server, client(server.url + "/v1", cassette, "record") as live:
        assert b"".join(raw_chunks(live)) == b"".join(EVENTS)
    return cassette


def record_cut(tmp_path: Path, httpserver: HTTPServer) -> Path:
    cassette = tmp_path / "cut.json"
    with (
        serve_chunks(EVENTS[:2], cut=True) as server,
        client(server.url + "/v1", cassette, "record") as live,
        pytest.raises(openaistream.StreamError),
    ):
        list(live.chat.create(MESSAGES, "gpt-4o", stream=True))
    return cassette


def record_closed_early(tmp_path: Path, httpserver: HTTPServer) -> Path:
    cassette = tmp_path / "early.json"
    with (
        serve_chunks(EVENTS, gap=0.2) as server,
        client(server.url + "/v1", cassette, "record") as live,
        live.chat.create(MESSAGES, "gpt-4o", stream=True) as stream,
    ):
        next(stream)
    return cassette


def record_calls(tmp_path: Path, httpserver: HTTPServer) -> Path:
    cassette = tmp_path / "calls.json"
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "gpt-4o"}]}
    )
    httpserver.expect_request("/v1/audio/speech").respond_with_data(
        recordings.body("audio_speech/mp3"), content_type="audio/mpeg"
    )
    httpserver.expect_request("/v1/models/nope").respond_with_data(
        recordings.body("errors/404_model_not_found_models"),
        status=404,
        content_type="application/json",
    )
    with client(httpserver.url_for("/v1"), cassette, "record") as live:
        live.models.list()
        live.audio.speech("Hello, world!", response_format="mp3")
        with pytest.raises(openaistream.NotFoundError):
            live.models.retrieve("nope")
    return cassette


SYNC_RECORDINGS = [record_complete, record_cut, record_closed_early, record_calls]


@pytest.mark.parametrize("record", SYNC_RECORDINGS, ids=lambda f: f.__name__)
def test_cassettes_the_sync_client_records_replay_alike_through_both(
    tmp_path: Path, httpserver: HTTPServer, record: Callable[[Path, HTTPServer], Path]
) -> None:
    assert assert_replays_alike(record(tmp_path, httpserver)) >= 1


# -- recorded by one client, replayed by the other ---------------------------------------------


def test_a_cassette_recorded_through_the_async_transport_replays_in_the_sync_client(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "async.json"
    network = LoopbackTransport()

    async def record(url: str) -> list[bytes]:
        transport = recorder(cassette, "record", network)
        response = await transport.send(
            built("POST", "/chat/completions", url + "/v1", json=CHAT, stream=True)
        )
        chunks = [part async for part in response]
        await transport.aclose()
        return chunks

    with serve_chunks(EVENTS) as server:
        live = run(record(server.url))
    assert live == EVENTS and network.closed
    with client(NOWHERE, cassette, "replay") as replay:
        stream = replay.request(
            "POST", "/chat/completions", json=CHAT, stream=True, decoder="bytes"
        )
        assert list(stream) == live  # byte for byte, chunk boundaries included
    with client(NOWHERE, cassette, "replay") as replay:
        events = replay.request("POST", "/chat/completions", json=CHAT, stream=True)
        assert [e["choices"][0]["delta"].get("content") for e in events] == [
            "",
            "This is",
            " a test.",
        ]


def test_a_cassette_recorded_by_the_sync_client_replays_through_the_async_transport(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "sync.json"
    with serve_chunks(EVENTS) as server, client(server.url + "/v1", cassette, "record") as live:
        stream = live.request("POST", "/chat/completions", json=CHAT, stream=True, decoder="bytes")
        chunks = list(stream)

    async def replay() -> list[bytes]:
        transport = AsyncReplayTransport(cassette)
        response = await transport.send(built("POST", "/chat/completions", json=CHAT, stream=True))
        return [part async for part in response]

    assert run(replay()) == chunks
    assert b"".join(chunks) == b"".join(EVENTS)


def test_a_cut_stream_recorded_async_replays_as_the_same_error_in_both(tmp_path: Path) -> None:
    cassette = tmp_path / "cut.json"
    request = built("POST", "/chat/completions", json=CHAT, stream=True)

    async def record(url: str) -> Outcome:
        transport = recorder(cassette, "record", LoopbackTransport())
        outcome = await async_outcome(
            transport, built("POST", "/chat/completions", url + "/v1", json=CHAT, stream=True)
        )
        await transport.aclose()
        return outcome

    with serve_chunks(EVENTS[:2], cut=True) as server:
        live = run(record(server.url))
    assert live[2] == EVENTS[:2] and live[3][0] == "APIConnectionError"
    end = json.loads(cassette.read_text())["interactions"][0]["response"]["end"]
    assert end == {"error": "APIConnectionError", "message": live[3][1]}
    # The same chunks and error (the headers kept are those a cassette may hold).
    through_async = run(async_outcome(AsyncReplayTransport(cassette), request))
    assert through_async == sync_outcome(ReplayTransport(cassette), request)
    assert through_async[2:] == live[2:]
    with (
        client(NOWHERE, cassette, "replay") as replay,
        pytest.raises(openaistream.StreamError) as caught,
    ):
        list(replay.request("POST", "/chat/completions", json=CHAT, stream=True))
    assert len(caught.value.received) == 2


def test_streams_left_open_are_recorded_as_closed_early_when_the_transport_closes(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "open.json"

    async def record(url: str) -> AsyncResponse:
        transport = recorder(cassette, "record", LoopbackTransport())
        response = await transport.send(
            built("POST", "/chat/completions", url + "/v1", json=CHAT, stream=True)
        )
        assert await response.__aiter__().__anext__() == EVENTS[0]
        await transport.aclose()  # the test ends without reading the rest
        return response

    with serve_chunks(EVENTS, gap=0.2) as server:  # the rest comes after the close
        response = run(record(server.url))
    assert response.closed
    (interaction,) = json.loads(cassette.read_text())["interactions"]
    assert interaction["response"]["end"] == "closed before the end"
    assert recorded_outcome(interaction)[0] == [EVENTS[0]]
    with pytest.raises(APIConnectionError, match="closed before its end when it was recorded"):
        list(
            ReplayTransport(cassette).send(
                built("POST", "/chat/completions", json=CHAT, stream=True)
            )
        )


# -- the same rules, the same errors ---------------------------------------------------------


def test_no_match_is_the_same_replay_error_naming_the_closest_recording() -> None:
    cassette = CASSETTES / "chat_joke.json"
    asked = built(
        "POST",
        "/chat/completions",
        json={"model": "gpt-4o-mini", "messages": MESSAGES},
        stream=True,
    )
    with pytest.raises(ReplayError) as in_sync:
        ReplayTransport(cassette).send(asked)
    with pytest.raises(ReplayError) as in_async:
        run(AsyncReplayTransport(cassette).send(asked))
    assert str(in_async.value) == str(in_sync.value)
    assert in_async.value.differences == in_sync.value.differences
    assert in_async.value.closest == in_sync.value.closest
    assert "the closest is #0 (POST /v1/chat/completions)" in str(in_async.value)
    assert 'body.model: "gpt-4o-mini" (recorded "gpt-3.5-turbo")' in in_async.value.differences


def test_each_recording_plays_once_in_the_async_transport_too() -> None:
    cassette = CASSETTES / "chat_joke.json"
    (recorded,) = json.loads(cassette.read_text())["interactions"]
    transport = AsyncReplayTransport(cassette)
    run(async_outcome(transport, request_for(recorded["request"])))
    with pytest.raises(ReplayError, match="already played"):
        run(transport.send(request_for(recorded["request"])))


def test_record_modes(tmp_path: Path) -> None:
    cassette = tmp_path / "modes.json"
    with pytest.raises(ReplayError, match="does not exist: record it first"):
        AsyncReplayTransport(cassette)
    with pytest.raises(ValueError, match="record_mode must be one of replay, record, once, new"):
        AsyncReplayTransport(cassette, "sometimes")
    network = LoopbackTransport()

    async def call(transport: AsyncReplayTransport, url: str, model: str) -> Outcome:
        outcome = await async_outcome(
            transport,
            built(
                "POST",
                "/chat/completions",
                url + "/v1",
                json={"model": model, "messages": MESSAGES},
                stream=True,
            ),
        )
        await transport.aclose()
        return outcome

    def interactions() -> int:
        return len(json.loads(cassette.read_text())["interactions"])

    with serve_chunks(EVENTS) as server:
        assert run(call(recorder(cassette, "once", network), server.url, "gpt-4o"))[2] == EVENTS
        assert network.requests == 1
        # "once" with the cassette there: replay only, the server is not asked.
        assert run(call(recorder(cassette, "once", network), server.url, "gpt-4o"))[2] == EVENTS
        assert network.requests == 1 and len(server.requests) == 1
        # "new": what matches is replayed, what does not is recorded and added.
        new = recorder(cassette, "new", network)
        run(call(new, server.url, "gpt-4o"))
        run(call(new, server.url, "gpt-4o-mini"))
        assert network.requests == 2 and interactions() == 2
        # "record": always the network, and the cassette is rewritten.
        run(call(recorder(cassette, "record", network), server.url, "gpt-4o"))
        assert network.requests == 3 and len(server.requests) == 3
    assert interactions() == 1


def test_the_registered_transport_records_through_the_network_it_is_handed(tmp_path: Path) -> None:
    """As the async client builds it: by name, serving async, playing cassettes, wrapping the
    network transport given as an ``openaistream.http.Network``."""
    declared = get_registry().transport("replay", "async")
    assert (declared.serves, declared.cassettes, declared.wraps) == ("async", True, True)
    assert get_registry().cassette_transport("async").name == "replay"
    cassette = tmp_path / "registered.json"
    built_networks: list[LoopbackTransport] = []

    def factory(options: TransportOptions) -> Any:
        built_networks.append(LoopbackTransport())
        return built_networks[-1]

    async def record(url: str) -> list[bytes]:
        options = TransportOptions(
            cassette=str(cassette), record_mode="once", network=Network(factory, TransportOptions())
        )
        transport = declared.factory(options)
        assert isinstance(transport, AsyncReplayTransport)
        response = await transport.send(
            built("POST", "/chat/completions", url + "/v1", json=CHAT, stream=True)
        )
        chunks = await response.aread()
        await transport.aclose()
        return [chunks]

    with serve_chunks(EVENTS) as server:
        assert run(record(server.url)) == [b"".join(EVENTS)]
    assert len(built_networks) == 1 and built_networks[0].closed
    with pytest.raises(openaistream.OpenAIError, match="No API key"):
        keyless = Network(factory, TransportOptions(), keyless="No API key provided")
        declared.factory(
            TransportOptions(
                cassette=str(tmp_path / "new.json"), record_mode="record", network=keyless
            )
        )


def slow_cassette(tmp_path: Path) -> Path:
    """The events recorded 0.3 s apart."""
    cassette = tmp_path / "slow.json"
    times = [0.0, 0.3, 0.6]
    interaction = {
        "request": {"method": "POST", "path": "/v1/chat/completions", "query": {}, "headers": {"accept": "text/event-stream", "content-type": "application/json"}, "body": CHAT},
        "response": {"status": 200, "headers": {"content-type": "text/event-stream"}, "chunks": [{"t": t, "text": e.decode()} for t, e in zip(times, EVENTS)], "end": "complete"},
    }  # fmt: skip
    cassette.write_text(
        json.dumps({"format": "openaistream-cassette", "version": 1, "interactions": [interaction]})
    )
    return cassette


def test_timing_and_resplit_replay_as_the_sync_transport_does(tmp_path: Path) -> None:
    cassette = slow_cassette(tmp_path)
    request = built("POST", "/chat/completions", json=CHAT, stream=True)

    def timed(**options: Any) -> tuple[float, list[bytes]]:
        started = time.monotonic()
        chunks = run(async_outcome(AsyncReplayTransport(cassette, **options), request))[2]
        return time.monotonic() - started, chunks

    slow, chunks = timed(timing=True)
    fast, same = timed()
    assert chunks == same == EVENTS
    assert slow >= 0.5 > fast
    for seed in range(5):
        shaken = timed(resplit=seed)[1]
        assert shaken != EVENTS and b"".join(shaken) == b"".join(EVENTS)
        assert shaken == sync_outcome(ReplayTransport(cassette, resplit=seed), request)[2]


def test_a_replayed_gap_that_passes_the_calls_deadline_is_a_timeout_in_both(
    tmp_path: Path,
) -> None:
    """With timing, a total timeout ends a replayed stream where it would end a live one."""
    cassette = slow_cassette(tmp_path)
    request = built("POST", "/chat/completions", json=CHAT, stream=True)
    timeout = ("APITimeoutError", "the call went on past its deadline")
    request.deadline = time.monotonic() + 0.15
    through_sync = sync_outcome(ReplayTransport(cassette, timing=True), request)
    request.deadline = time.monotonic() + 0.15
    through_async = run(async_outcome(AsyncReplayTransport(cassette, timing=True), request))
    assert through_sync[2:] == through_async[2:] == ([EVENTS[0]], timeout)
    request.deadline = time.monotonic() + 30  # far enough: the whole stream, on time
    assert run(async_outcome(AsyncReplayTransport(cassette, timing=True), request))[2] == EVENTS


def upload_request(body: Any) -> Request:
    (interaction,) = json.loads((CASSETTES / "upload_with_progress.json").read_text())[
        "interactions"
    ]
    return request_for(interaction["request"], lambda: body)


def test_a_replayed_upload_body_is_read_to_its_end_sync_or_async() -> None:
    read: list[str] = []

    def parts() -> Iterator[bytes]:
        for index in range(3):
            read.append(f"sync {index}")
            yield b"part"

    async def async_parts() -> AsyncIterator[bytes]:
        for index in range(3):
            await asyncio.sleep(0)
            read.append(f"async {index}")
            yield b"part"

    async def replay() -> None:
        for body in (parts(), async_parts()):
            transport = AsyncReplayTransport(CASSETTES / "upload_with_progress.json")
            response = await transport.send(upload_request(body))
            assert json.loads(await response.aread())["object"] == "file"

    run(replay())
    assert read == ["sync 0", "sync 1", "sync 2", "async 0", "async 1", "async 2"]


def test_a_read_after_the_replayed_response_is_closed_is_a_connection_error() -> None:
    cassette = CASSETTES / "chat_joke.json"
    (recorded,) = json.loads(cassette.read_text())["interactions"]

    async def replay() -> None:
        response = await AsyncReplayTransport(cassette).send(request_for(recorded["request"]))
        chunks = response.__aiter__()
        await chunks.__anext__()
        await response.aclose()
        with pytest.raises(APIConnectionError, match="closed"):
            await chunks.__anext__()

    run(replay())


# -- secrets ----------------------------------------------------------------------------------


def test_secrets_are_never_written_and_a_cassette_that_would_hold_one_is_refused(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "leak.json"
    cassette.write_text("old contents, kept whole")
    cookie = "session=client-cookie-0005"

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            body = json.dumps(
                {"error": {"message": f"Incorrect API key provided: {API_KEY}"}}
            ).encode()
            conn.send(
                b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nSet-Cookie: %s\r\nOpenAI-Organization: org-secret\r\nContent-Length: %d\r\n\r\n%s"
                % (cookie.encode(), len(body), body)
            )

    async def record(url: str, path: Path) -> None:
        transport = recorder(path, "record", LoopbackTransport())
        request = built("GET", "/models", url + "/v1", headers={"Cookie": cookie})
        try:
            await (await transport.send(request)).aread()
        finally:
            await transport.aclose()

    with RawServer(handler) as server:
        with pytest.raises(
            ReplayError, match=r"refusing to write .* it would contain the API key"
        ) as caught:
            run(record(server.url, cassette))
        assert API_KEY not in str(caught.value)
        assert cassette.read_text() == "old contents, kept whole"
        assert [p.name for p in tmp_path.iterdir()] == ["leak.json"]

        # Scrubbed of the key, it is written, with no header that identifies the caller.
        def scrub(interaction: dict[str, Any]) -> dict[str, Any]:
            for part in interaction["response"]["chunks"]:
                part["text"] = part["text"].replace(API_KEY, "sk-REDACTED")
            return interaction

        scrubbed = tmp_path / "scrubbed.json"

        async def record_scrubbed() -> None:
            transport = AsyncReplayTransport(
                scrubbed, "record", network=LoopbackTransport, redact=scrub
            )
            await (await transport.send(built("GET", "/models", server.url + "/v1"))).aread()
            await transport.aclose()

        run(record_scrubbed())
    text = scrubbed.read_text()
    for secret in (API_KEY, "Bearer", "org-secret", "client-cookie", "session="):
        assert secret not in text
    assert "sk-REDACTED" in text
    assert json.loads(text)["interactions"][0]["request"]["headers"] == {
        "accept": "application/json"
    }
