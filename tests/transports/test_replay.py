# ruff: noqa: E501 - recorded bodies and calls read best on one line
"""Record real traffic from local servers into cassettes, then replay it with the servers
stopped: the same events, bytes, errors and chunk boundaries; and the cassette's rules on
matching, modes, atomic writes and secrets. Every test runs on both clients (``make_client``:
``OpenAI`` records through urllib3 and replays through ReplayTransport, ``AsyncOpenAI``
through aiohttp and AsyncReplayTransport); the first ones record with one client and replay
with each, so a cassette recorded by either replays in both."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import ReplayError
from openaistream.transports.replay import ReplayTransport
from openaistream.transports.replay_async import AsyncReplayTransport
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.clients import KINDS, Clients
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head

MESSAGES = [{"role": "user", "content": "Say this is a test"}]
EVENTS = [
    b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
    b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"This is"}}]}\n\ndata: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"con',
    b'tent":" a test."}}]}\n\ndata: [DONE]\n\n',
]  # fmt: skip


def serve_chunks(parts: list[bytes], *, gap: float = 0.0, cut: bool = False) -> RawServer:
    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            conn.send(head(200, {"x-request-id": "req_live", "openai-organization": "org-secret"}))
            for index, part in enumerate(parts):
                if index and gap:
                    time.sleep(gap)
                conn.send(chunk(part))
            if cut:
                conn.reset()
                return
            conn.send(LAST_CHUNK)

    return RawServer(handler)


NOWHERE = "http://127.0.0.1:9/v1"  # nothing listens: a replay that reached out would fail


def cassette_client(
    make: Callable[..., Any], base_url: str, cassette: Path, mode: str, **options: Any
) -> Any:
    return make(
        API_KEY,
        base_url=base_url,
        transport="replay",
        cassette=str(cassette),
        record_mode=mode,
        max_retries=0,
        organization="org-secret",
        **options,
    )


def client(base_url: str, cassette: Path, mode: str, **options: Any) -> openaistream.OpenAI:
    """The blocking client on a cassette (test_replay_async.py records with it)."""
    return cassette_client(openaistream.OpenAI, base_url, cassette, mode, **options)  # type: ignore[no-any-return]


@pytest.fixture
def player(make_client: Any) -> Callable[..., Any]:
    """``player(base_url, cassette, mode, **options)``: a client of the test's kind on the
    cassette."""
    return lambda *args, **options: cassette_client(make_client, *args, **options)


@pytest.fixture
def kinds() -> Iterator[dict[str, Clients]]:
    """A maker of each kind of client, for a test that records with one and replays with
    the other; every client made is closed when the test ends."""
    made = {kind: Clients(kind) for kind in KINDS}
    yield made
    for clients in made.values():
        clients.close()


# (the client that records, the client that replays)
ACROSS = pytest.mark.parametrize(
    ("recorder", "replayer"), [(a, b) for a in KINDS for b in KINDS], ids=lambda k: k
)


def replay_transport(kind: str, cassette: Path, **options: Any) -> Any:
    """The replay transport object of each kind, for options the client does not take."""
    return (ReplayTransport if kind == "sync" else AsyncReplayTransport)(cassette, **options)


def raw_chunks(c: Any) -> list[bytes]:
    stream = c.request("POST", "/chat/completions", json={"model": "m", "messages": MESSAGES},
                       stream=True, decoder="bytes")  # fmt: skip
    return list(stream)


@ACROSS
def test_a_streamed_chat_replays_the_same_events_and_chunk_boundaries(
    tmp_path: Path, kinds: dict[str, Clients], recorder: str, replayer: str
) -> None:
    cassette = tmp_path / "chat.json"
    with serve_chunks(EVENTS) as server:
        live = cassette_client(kinds[recorder].make, server.url + "/v1", cassette, "record")
        live_events = list(live.chat.create(MESSAGES, "gpt-4o", stream=True))
        live_chunks = raw_chunks(live)
        live.close()
    # The server is gone: everything below comes from the cassette.
    replay = cassette_client(kinds[replayer].make, NOWHERE, cassette, "replay")
    assert list(replay.chat.create(MESSAGES, "gpt-4o", stream=True)) == live_events
    # The chunks replayed are the reads the transport made, as they came (several events a
    # read when the server is ahead), byte for byte.
    assert raw_chunks(replay) == live_chunks
    assert b"".join(live_chunks) == b"".join(EVENTS)
    assert [e["choices"][0]["delta"].get("content") for e in live_events] == [
        "",
        "This is",
        " a test.",
    ]


@ACROSS
def test_plain_calls_audio_bytes_and_errors_replay_identically(
    tmp_path: Path, kinds: dict[str, Clients], recorder: str, replayer: str
) -> None:
    cassette = tmp_path / "calls.json"
    httpserver = HTTPServer(host="127.0.0.1", port=0)  # its own: this test stops it
    httpserver.start()
    mp3 = recordings.body("audio_speech/mp3")
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "gpt-4o"}]}
    )
    httpserver.expect_request("/v1/audio/speech").respond_with_data(mp3, content_type="audio/mpeg")
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        recordings.body("chat_completions_stream/n2_include_usage"),
        content_type="text/event-stream",
    )
    httpserver.expect_request("/v1/models/nope").respond_with_data(
        recordings.body("errors/404_model_not_found_models"),
        status=404,
        content_type="application/json",
        headers={"x-request-id": "req_404"},
    )

    def run(c: Any) -> tuple[Any, bytes, bytes, tuple[Any, ...], list[Any]]:
        chat = list(c.chat.create(MESSAGES, "gpt-4o-mini", stream=True, n=2))
        models = c.models.list()
        speech = c.audio.speech("Hello, world!", response_format="mp3")
        streamed = b"".join(c.audio.speech("Hello, world!", stream=True))
        with pytest.raises(openaistream.NotFoundError) as caught:
            c.models.retrieve("nope")
        error = caught.value
        errors = (error.status, error.code, error.message, error.request_id)
        return models, speech, streamed, errors, chat

    live = cassette_client(kinds[recorder].make, httpserver.url_for("/v1"), cassette, "once")
    try:
        recorded = run(live)
    finally:
        live.close()
        httpserver.clear()
        httpserver.stop()

    replay = cassette_client(kinds[replayer].make, NOWHERE, cassette, "once")
    assert run(replay) == recorded
    assert recorded[1] == recorded[2] == mp3
    assert len(recorded[4]) == 109  # the n=2 chat: every chunk, both choices
    document = json.loads(cassette.read_text())
    speech_chunks = document["interactions"][2]["response"]["chunks"]
    assert all("base64" in c for c in speech_chunks)  # binary bodies are base64, text is text
    assert "text" in document["interactions"][1]["response"]["chunks"][0]


@ACROSS
def test_a_cut_stream_replays_the_same_error_with_the_same_events(
    tmp_path: Path, kinds: dict[str, Clients], recorder: str, replayer: str
) -> None:
    cassette = tmp_path / "cut.json"
    with serve_chunks(EVENTS[:2], cut=True) as server:
        live = cassette_client(kinds[recorder].make, server.url + "/v1", cassette, "record")
        with pytest.raises(openaistream.StreamError) as first:
            list(live.chat.create(MESSAGES, "gpt-4o", stream=True))
        live.close()
    replay = cassette_client(kinds[replayer].make, NOWHERE, cassette, "replay")
    with pytest.raises(openaistream.StreamError) as again:
        list(replay.chat.create(MESSAGES, "gpt-4o", stream=True))
    assert again.value.received == first.value.received
    assert len(first.value.received) == 2
    end = json.loads(cassette.read_text())["interactions"][0]["response"]["end"]
    assert end["error"] == "APIConnectionError"


def test_a_stream_closed_early_is_recorded_as_such(
    tmp_path: Path, player: Callable[..., Any]
) -> None:
    cassette = tmp_path / "early.json"
    with serve_chunks(EVENTS, gap=0.2) as server:  # the rest comes after the close
        live = player(server.url + "/v1", cassette, "record")
        with live.chat.create(MESSAGES, "gpt-4o", stream=True) as stream:
            first = next(stream)
        live.close()
    replay = player(NOWHERE, cassette, "replay")
    stream = replay.chat.create(MESSAGES, "gpt-4o", stream=True)
    assert next(stream) == first
    with pytest.raises(
        openaistream.StreamError, match="closed before its end when it was recorded"
    ):
        list(stream)


def record_one(
    tmp_path: Path, body: dict[str, Any], make: Callable[..., Any] = openaistream.OpenAI
) -> Path:
    cassette = tmp_path / "one.json"
    with serve_chunks(EVENTS) as server:
        live = cassette_client(make, server.url + "/v1", cassette, "record")
        list(live.request("POST", "/chat/completions", json=body, stream=True))
        live.close()
    return cassette


def test_no_match_names_the_closest_recording_and_the_differing_field(
    tmp_path: Path, make_client: Any, player: Callable[..., Any]
) -> None:
    body = {"model": "gpt-4o", "messages": MESSAGES, "temperature": 0}
    cassette = record_one(tmp_path, body, make_client)
    replay = player(NOWHERE, cassette, "replay")
    asked = {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0}
    with pytest.raises(ReplayError) as caught:
        replay.request("POST", "/chat/completions", json=asked, stream=True)
    message = str(caught.value)
    assert "no recording in" in message and "matches POST /v1/chat/completions" in message
    assert "the closest is #0 (POST /v1/chat/completions)" in message
    assert 'body.model: "gpt-4o-mini" (recorded "gpt-4o")' in message
    assert caught.value.differences == ['body.model: "gpt-4o-mini" (recorded "gpt-4o")']
    assert caught.value.closest["body"]["model"] == "gpt-4o"


def test_matching_ignores_key_order_and_can_be_narrowed(
    tmp_path: Path, make_client: Any, client_kind: str, player: Callable[..., Any]
) -> None:
    cassette = record_one(tmp_path, {"model": "gpt-4o", "messages": MESSAGES, "seed": 1})
    replay = player(NOWHERE, cassette, "replay")
    reordered = {"seed": 1, "messages": MESSAGES, "model": "gpt-4o"}
    assert len(list(replay.request("POST", "/chat/completions", json=reordered, stream=True))) == 3

    only_path = make_client(
        API_KEY,
        base_url=NOWHERE,
        transport=replay_transport(client_kind, cassette, match_on=("method", "path")),
    )
    other = {"model": "something else", "messages": []}
    assert len(list(only_path.request("POST", "/chat/completions", json=other, stream=True))) == 3


def test_a_custom_matcher_is_consulted(tmp_path: Path, make_client: Any, client_kind: str) -> None:
    cassette = record_one(tmp_path, {"model": "gpt-4o", "messages": MESSAGES})
    seen: list[str] = []

    def same_first_message(request: dict[str, Any], recorded: dict[str, Any]) -> bool:
        seen.append(request["body"]["messages"][0]["content"])
        return request["body"]["messages"][0] == recorded["body"]["messages"][0]

    transport = replay_transport(
        client_kind, cassette, match_on=("path",), matcher=same_first_message
    )
    replay = make_client(API_KEY, base_url=NOWHERE, transport=transport)
    with pytest.raises(ReplayError):
        replay.chat.create([{"role": "user", "content": "other"}], "any-model", stream=True)
    assert len(list(replay.chat.create(MESSAGES, "any-model", stream=True))) == 3
    assert seen == ["other", "Say this is a test"]


def test_each_recording_plays_once(tmp_path: Path, player: Callable[..., Any]) -> None:
    cassette = record_one(tmp_path, {"model": "gpt-4o", "messages": MESSAGES, "stream": True})
    replay = player(NOWHERE, cassette, "replay")
    list(replay.chat.create(MESSAGES, "gpt-4o", stream=True))
    with pytest.raises(ReplayError, match="already played"):
        replay.chat.create(MESSAGES, "gpt-4o", stream=True)


def test_modes(tmp_path: Path, player: Callable[..., Any]) -> None:
    cassette = tmp_path / "modes.json"
    with pytest.raises(ReplayError, match="does not exist: record it first"):
        player(NOWHERE, cassette, "replay")
    with pytest.raises(ValueError, match="record_mode must be one of replay, record, once, new"):
        player(NOWHERE, cassette, "sometimes")
    with serve_chunks(EVENTS) as server:
        once = player(server.url + "/v1", cassette, "once")
        list(once.chat.create(MESSAGES, "gpt-4o", stream=True))
        once.close()
        assert len(server.requests) == 1
        # "once" with the cassette there: replay only, the server is not asked.
        again = player(server.url + "/v1", cassette, "once")
        list(again.chat.create(MESSAGES, "gpt-4o", stream=True))
        assert len(server.requests) == 1
        # "new": what matches is replayed, what does not is recorded and added.
        new = player(server.url + "/v1", cassette, "new")
        list(new.chat.create(MESSAGES, "gpt-4o", stream=True))
        list(new.chat.create(MESSAGES, "gpt-4o-mini", stream=True))
        new.close()
        assert len(server.requests) == 2
        assert len(json.loads(cassette.read_text())["interactions"]) == 2
        # "record": always the network, and the cassette is rewritten.
        record = player(server.url + "/v1", cassette, "record")
        list(record.chat.create(MESSAGES, "gpt-4o", stream=True))
        record.close()
        assert len(server.requests) == 3
    assert len(json.loads(cassette.read_text())["interactions"]) == 1


def test_timing_reproduces_the_recorded_gaps(
    tmp_path: Path, make_client: Any, client_kind: str, player: Callable[..., Any]
) -> None:
    cassette = tmp_path / "slow.json"
    with serve_chunks(EVENTS, gap=0.3) as server:
        live = player(server.url + "/v1", cassette, "record")
        list(live.chat.create(MESSAGES, "gpt-4o", stream=True))
        live.close()
    offsets = [
        c["t"] for c in json.loads(cassette.read_text())["interactions"][0]["response"]["chunks"]
    ]
    assert offsets[2] - offsets[0] >= 0.5

    started = time.monotonic()
    list(player(NOWHERE, cassette, "replay").chat.create(MESSAGES, "gpt-4o", stream=True))
    fast = time.monotonic() - started
    timed = make_client(
        API_KEY, base_url=NOWHERE, transport=replay_transport(client_kind, cassette, timing=True)
    )
    started = time.monotonic()
    list(timed.chat.create(MESSAGES, "gpt-4o", stream=True))
    assert time.monotonic() - started >= 0.5 > fast


def test_resplit_changes_the_chunks_not_the_events(
    tmp_path: Path, make_client: Any, client_kind: str, player: Callable[..., Any]
) -> None:
    cassette = record_one(tmp_path, {"model": "m", "messages": MESSAGES})
    plain = player(NOWHERE, cassette, "replay")
    expected_events = list(plain.request("POST", "/chat/completions",
                                         json={"model": "m", "messages": MESSAGES}, stream=True))  # fmt: skip
    for seed in range(20):
        shaken = make_client(
            API_KEY,
            base_url=NOWHERE,
            transport=replay_transport(client_kind, cassette, resplit=seed),
        )
        chunks = raw_chunks(shaken)
        assert b"".join(chunks) == b"".join(EVENTS)
        assert chunks != EVENTS
        shaken2 = make_client(
            API_KEY,
            base_url=NOWHERE,
            transport=replay_transport(client_kind, cassette, resplit=seed),
        )
        events = list(shaken2.request("POST", "/chat/completions",
                                      json={"model": "m", "messages": MESSAGES}, stream=True))  # fmt: skip
        assert events == expected_events


def test_the_cassette_holds_no_secret(
    httpserver: HTTPServer, tmp_path: Path, make_client: Any
) -> None:
    cassette = tmp_path / "secrets.json"
    httpserver.expect_request("/v1/models").respond_with_json(
        {"data": []}, headers={"openai-organization": "org-secret", "set-cookie": "session=abc"}
    )
    c = make_client(
        API_KEY,
        base_url=httpserver.url_for("/v1"),
        organization="org-secret",
        project="proj_secret",
        transport="replay",
        cassette=str(cassette),
        record_mode="record",
    )
    c.models.list()
    text = cassette.read_text()
    for secret in (API_KEY, "Bearer", "org-secret", "proj_secret", "session=abc"):
        assert secret not in text
    request = json.loads(text)["interactions"][0]["request"]
    assert request["headers"] == {"accept": "application/json"}


def test_an_api_key_in_the_query_is_never_recorded_nor_matched_on(
    httpserver: HTTPServer, tmp_path: Path, player: Callable[..., Any]
) -> None:
    """Azure-style gateways take the key as ``?api-key=``: the cassette keeps the rest of the
    query, and replays for whoever holds another key."""
    cassette = tmp_path / "azure.json"
    httpserver.expect_request("/v1/models").respond_with_json({"data": [{"id": "gpt-4o"}]})
    live = player(httpserver.url_for("/v1"), cassette, "record")
    query = {"api-version": "2024-10-21", "api-key": API_KEY}
    assert live.request("GET", "/models", params=query) == {"data": [{"id": "gpt-4o"}]}
    live.close()
    text = cassette.read_text()
    assert API_KEY not in text and "api-key" not in text
    recorded = json.loads(text)["interactions"][0]["request"]
    assert recorded["query"] == {"api-version": ["2024-10-21"]}
    replay = player(NOWHERE, cassette, "replay")
    other = {"api-version": "2024-10-21", "api-key": "another-key-0123456789"}
    assert replay.request("GET", "/models", params=other) == {"data": [{"id": "gpt-4o"}]}


def test_cookies_never_reach_a_cassette(tmp_path: Path, player: Callable[..., Any]) -> None:
    cassette = tmp_path / "cookies.json"

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            body = b'{"object": "list", "data": []}'
            conn.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Set-Cookie: session=server-cookie-0001; Path=/; HttpOnly\r\n"
                b"SET-COOKIE: __cf_bm=server-cookie-0002; Secure\r\n"
                b"Set-Cookie2: legacy=server-cookie-0003\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )

    with RawServer(handler) as server:
        live = player(server.url + "/v1", cassette, "record")
        live.request("GET", "/models", headers={"Cookie": "session=client-cookie-0004; a=1"})
        live.close()
    text = cassette.read_text()
    for secret in ("server-cookie-000", "client-cookie-0004", "session=", "__cf_bm"):
        assert secret not in text
    assert set(json.loads(text)["interactions"][0]["response"]["headers"]) == {"content-type"}


def test_a_cassette_that_would_contain_a_cookie_the_request_sent_is_refused(
    httpserver: HTTPServer, tmp_path: Path, player: Callable[..., Any]
) -> None:
    cassette = tmp_path / "echo.json"
    httpserver.expect_request("/v1/models").respond_with_json(
        {"echo": "your cookie was session=client-cookie-0005"}
    )
    c = player(httpserver.url_for("/v1"), cassette, "record")
    with pytest.raises(ReplayError, match=r"refusing to write .* a cookie"):
        c.request("GET", "/models", headers={"Cookie": "session=client-cookie-0005"})
    c.close()
    assert not cassette.exists()


def test_a_cassette_that_would_contain_the_key_is_refused(
    httpserver: HTTPServer, tmp_path: Path, player: Callable[..., Any]
) -> None:
    cassette = tmp_path / "leak.json"
    cassette.write_text("old contents, kept whole")
    httpserver.expect_request("/v1/models").respond_with_json(
        {"error": {"message": f"Incorrect API key provided: {API_KEY}"}}, status=401
    )
    c = player(httpserver.url_for("/v1"), cassette, "record")
    with pytest.raises(
        ReplayError, match=r"refusing to write .* it would contain the API key"
    ) as caught:
        c.models.list()
    assert API_KEY not in str(caught.value)
    assert cassette.read_text() == "old contents, kept whole"
    assert [p.name for p in tmp_path.iterdir()] == ["leak.json"]


def test_a_redact_hook_can_scrub_it(
    httpserver: HTTPServer, tmp_path: Path, make_client: Any, client_kind: str
) -> None:
    cassette = tmp_path / "scrubbed.json"
    httpserver.expect_request("/v1/models").respond_with_json({"echo": API_KEY})

    def scrub(interaction: dict[str, Any]) -> dict[str, Any]:
        for part in interaction["response"]["chunks"]:
            part["text"] = part["text"].replace(API_KEY, "sk-REDACTED")
        return interaction

    network = openaistream.OpenAI if client_kind == "sync" else openaistream.AsyncOpenAI
    transport = replay_transport(
        client_kind, cassette, record_mode="record", redact=scrub,
        network=lambda: network(API_KEY, base_url=httpserver.url_for("/v1"))._transport,
    )  # fmt: skip
    c = make_client(API_KEY, base_url=httpserver.url_for("/v1"), transport=transport)
    assert c.models.list() == {"echo": API_KEY}
    assert "sk-REDACTED" in cassette.read_text()
    assert API_KEY not in cassette.read_text()


def test_a_crash_while_writing_leaves_the_old_cassette_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, player: Callable[..., Any]
) -> None:
    cassette = record_one(tmp_path, {"model": "gpt-4o", "messages": MESSAGES})
    before = cassette.read_text()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with serve_chunks(EVENTS) as server:
        c = player(server.url + "/v1", cassette, "new")
        monkeypatch.setattr(os, "fsync", disk_full)
        with pytest.raises(OSError, match="No space left"):
            list(c.chat.create(MESSAGES, "another-model", stream=True))
        monkeypatch.undo()
        c.close()
    assert cassette.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.json"]


def test_streams_left_open_are_closed_with_the_client(
    tmp_path: Path, player: Callable[..., Any]
) -> None:
    cassette = tmp_path / "open.json"
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(EVENTS[0]))
        release.wait(5)

    with RawServer(handler) as server:
        c = player(server.url + "/v1", cassette, "record")
        stream = c.chat.create(MESSAGES, "gpt-4o", stream=True)
        next(stream)
        c.close()  # the test ends without reading the rest
        release.set()
    assert stream.response.closed
    (interaction,) = json.loads(cassette.read_text())["interactions"]
    assert interaction["response"]["end"] == "closed before the end"


# -- cassettes that cannot be written or read -------------------------------------------------

UNWRITABLE = ["a directory", "under a regular file", "under /proc"]


def unwritable(tmp_path: Path, kind: str) -> Path:
    if kind == "a directory":
        return tmp_path
    if kind == "under a regular file":
        (tmp_path / "file").write_text("a file, not a folder")
        return tmp_path / "file" / "sub" / "cassette.json"
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    return Path("/proc/openaistream-cassettes/cassette.json")


@pytest.mark.parametrize("mode", ["record", "once", "new"])
@pytest.mark.parametrize("kind", UNWRITABLE)
def test_recording_where_no_cassette_can_be_written_fails_before_the_call_is_sent(
    tmp_path: Path, kind: str, mode: str, player: Callable[..., Any]
) -> None:
    """The paid call is never made when its answer could not be kept."""
    cassette = unwritable(tmp_path, kind)
    with (
        serve_chunks(EVENTS) as server,
        pytest.raises(ReplayError, match=re.escape(str(cassette))) as caught,
    ):
        c = player(server.url + "/v1", cassette, mode)
        c.close()
    assert server.requests == [] and server.connections == 0
    assert API_KEY not in str(caught.value)


def write_cassette(tmp_path: Path, interactions: Any) -> Path:
    cassette = tmp_path / "hand-edited.json"
    document = {"format": "openaistream-cassette", "version": 1, "interactions": interactions}
    cassette.write_text(json.dumps(document))
    return cassette


GOOD = {
    "request": {"method": "GET", "path": "/v1/models", "query": {}, "headers": {}, "body": None},
    "response": {"status": 200, "headers": {"content-type": "application/json"},
                 "chunks": [{"t": 0.0, "text": "{}"}], "end": "complete"},
}  # fmt: skip


def edited(change: Callable[[dict[str, Any]], Any]) -> list[Any]:
    """A good interaction, then a copy of it with ``change`` made."""
    interaction = json.loads(json.dumps(GOOD))
    change(interaction)
    return [GOOD, interaction]


MALFORMED = [
    ({"one": GOOD}, r"'interactions' is an object, not a list"),
    (None, r"'interactions' is missing or null, not a list"),
    (["GET /v1/models"], r"interaction #0: it is the string .*, not an object"),
    (edited(lambda i: i.pop("request")), r"interaction #1: 'request' is missing or null, not an object"),
    (edited(lambda i: i.pop("response")), r"interaction #1: 'response' is missing or null"),
    (edited(lambda i: i["request"].pop("path")), r"the request's 'path' is missing or null, not a string"),
    (edited(lambda i: i["request"].update(query=[])), r"the request's 'query' is a list, not an object"),
    (edited(lambda i: i["response"].pop("status")), r"the response's 'status' is missing or null, not an HTTP status"),
    (edited(lambda i: i["response"].update(status="200")), r"the response's 'status' is the string \"200\""),
    (edited(lambda i: i["response"].update(status=42)), r"the response's 'status' is the number 42"),
    (edited(lambda i: i["response"].update(headers=[["a", "b"]])), r"the response's 'headers' is not an object of strings"),
    (edited(lambda i: i["response"].update(chunks="{}")), r"the response's 'chunks' is the string"),
    (edited(lambda i: i["response"].update(chunks=["{}"])), r"the response's chunk #0 is the string"),
    (edited(lambda i: i["response"].update(chunks=[{"text": 7}])), r"chunk #0 has neither a 'text' string nor 'base64'"),
    (edited(lambda i: i["response"].update(chunks=[{"base64": "not base64!"}])), r"chunk #0 has a 'base64' that is not base64"),
    (edited(lambda i: i["response"].update(chunks=[{"t": "0", "text": "{}"}])), r"chunk #0 has a time 't' that is the string"),
    (edited(lambda i: i["response"].update(end=0)), r"the response's 'end' is the number 0"),
]  # fmt: skip


@pytest.mark.parametrize(("interactions", "fault"), MALFORMED, ids=range(len(MALFORMED)))
def test_a_cassette_of_valid_json_but_the_wrong_shape_is_a_replay_error_naming_the_fault(
    tmp_path: Path, interactions: Any, fault: str, player: Callable[..., Any]
) -> None:
    cassette = write_cassette(tmp_path, interactions)
    for mode in ("replay", "once", "new"):
        expected = re.escape(str(cassette)) + " is not a valid cassette: .*" + fault
        with pytest.raises(ReplayError, match=expected):
            c = player(NOWHERE, cassette, mode)
            c.models.list()  # reached only when the cassette was not checked when read


def test_the_cassette_those_were_edited_from_replays(
    tmp_path: Path, player: Callable[..., Any]
) -> None:
    replay = player(NOWHERE, write_cassette(tmp_path, [GOOD]), "replay")
    assert replay.models.list() == {}


# -- choosing the replay transport -------------------------------------------------------------

JOKE = Path(__file__).resolve().parents[2] / "examples" / "cassettes" / "chat_joke.json"
JOKE_MESSAGES = [{"role": "user", "content": "Tell me a joke about opentelemetry"}]


def test_a_cassette_alone_picks_the_replay_transport_and_no_network(make_client: Any) -> None:
    # A base URL with nothing listening: a call that went to the network would fail.
    with RawServer(lambda conn: None) as gone:
        url = gone.url
    client = make_client(API_KEY, base_url=url + "/v1", cassette=JOKE, max_retries=0)
    with client:
        events = list(client.chat.create(JOKE_MESSAGES, "gpt-3.5-turbo", stream=True))
    assert recordings.chat_text(events) == recordings.example_joke()


def test_a_cassette_is_replayed_even_with_a_socks_proxy_configured(make_client: Any) -> None:
    # The proxy applies to recording; a replay never reaches it (nothing listens there).
    with RawServer(lambda conn: None) as gone:
        proxy = "socks5h://" + gone.url.split("//")[1]
    with make_client(API_KEY, proxy=proxy, cassette=JOKE, max_retries=0) as client:
        events = list(client.chat.create(JOKE_MESSAGES, "gpt-3.5-turbo", stream=True))
        assert client.get_proxy() == proxy
    assert recordings.chat_text(events) == recordings.example_joke()


def test_a_cassette_with_a_transport_that_plays_none_is_refused(
    make_client: Any, client_kind: str
) -> None:
    network = {"sync": "urllib3", "async": "aiohttp"}[client_kind]
    with pytest.raises(
        ValueError, match=f"cassette is given, but transport '{network}' plays none"
    ):
        make_client(API_KEY, transport=network, cassette=JOKE)


def test_a_record_mode_without_a_cassette_is_refused(make_client: Any) -> None:
    with pytest.raises(ValueError, match="record_mode is given without a cassette"):
        make_client(API_KEY, record_mode="once")


def test_a_replayed_upload_reads_its_file_and_reports_progress(
    httpserver: HTTPServer, tmp_path: Path, player: Callable[..., Any]
) -> None:
    data = tmp_path / "train.jsonl"
    data.write_bytes(b'{"prompt": "a", "completion": "b"}\n' * 3000)
    answer = {"id": "file-1", "object": "file", "bytes": data.stat().st_size}
    httpserver.expect_request("/v1/files", method="POST").respond_with_json(answer)
    cassette = tmp_path / "upload.json"
    with player(httpserver.url_for("/v1"), cassette, "record") as live:
        live.files.upload(data, "fine-tune")
    httpserver.clear()
    sent: list[int] = []
    with player(NOWHERE, cassette, "replay") as replay:
        assert replay.files.upload(data, "fine-tune", progress=sent.append) == answer
    assert sum(sent) >= data.stat().st_size  # the file, and the multipart framing around it


def test_replaying_needs_no_key_and_recording_does(tmp_path: Path, make_client: Any) -> None:
    with make_client(cassette=JOKE) as replay:
        assert replay.get_api_key() == ""
        events = list(replay.chat.create(JOKE_MESSAGES, "gpt-3.5-turbo", stream=True))
        assert "authorization" not in {name.lower() for name in replay.build_request(
            "GET", "/models").headers}  # fmt: skip
    assert recordings.chat_text(events) == recordings.example_joke()
    with pytest.raises(openaistream.OpenAIError, match="No API key"):
        make_client(cassette=tmp_path / "new.json", record_mode="record")
    with pytest.raises(openaistream.OpenAIError, match="No API key"):
        make_client()
