"""What only the async client has to show, in its own event loop (``asyncio.run`` in a plain
test): closing by ``async with`` and ``await close()``, derived clients, ``set_proxy``
retiring a transport, cancellation (``asyncio.wait_for``, a task cancelled while it waits to
retry), and a hook's failure closing the response. Every test also checks that the loop
reported nothing and that nothing unclosed is left for the garbage collector ("Unclosed
client session", "Unclosed connector"). What both clients do alike is tested on both,
through ``make_client``, in the other modules here."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import warnings
import weakref
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Callable

import pytest
from pytest_httpserver import HTTPServer
from structlog.testing import capture_logs

import openaistream
from openaistream import AsyncOpenAI, Request, RetryPolicy
from tests.conftest import API_KEY
from tests.support import faults
from tests.support.plugins import install_plugin
from tests.support.proxy import ForwardProxy
from tests.support.servers import Conn, Handler, RawServer, chunk, head

MESSAGES = [{"role": "user", "content": "hi"}]
MODELS = b'{"data": []}'
WAIT = 5.0  # seconds a test waits for the server to see something


def run_clean(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """``asyncio.run(main())``; then nothing reported to the loop's exception handler and no
    warning, the garbage collector's included (aiohttp warns of an unclosed session or
    connector when it collects one)."""
    reported: list[dict[str, Any]] = []

    async def watched() -> Any:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: reported.append(context))
        return await main()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = asyncio.run(watched())
        gc.collect()
    assert [context.get("message") for context in reported] == []
    assert [str(warning.message) for warning in caught] == []
    return result


def answer(status: int = 200, body: bytes = MODELS, **headers: str) -> bytes:
    extra = {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}
    return head(status, extra, chunked=False) + body


def keep_alive(hung_up: threading.Event, data: bytes = answer()) -> Handler:
    """Answer every request on the connection with ``data``, keeping it open; set
    ``hung_up`` when the client closes it. A forwarding proxy's request (Connection: close)
    is answered and left: the proxy hangs up itself."""

    def handler(conn: Conn) -> None:
        conn.sock.settimeout(2 * WAIT)  # silence longer than any test waits is not a hang-up
        while (request := conn.read_request()) is not None:
            conn.send(data)
            if request.headers.get("connection", "").lower() == "close":
                return
        hung_up.set()

    return handler


async def seen(event: threading.Event) -> bool:
    """Whether the server's ``event`` is set within WAIT seconds, waited without blocking
    the loop."""
    return await asyncio.to_thread(event.wait, WAIT)


@pytest.mark.parametrize("closing", ["async with", "await close()"])
def test_closing_the_client_closes_its_connections(closing: str) -> None:
    hung_up = threading.Event()

    async def main() -> tuple[bool, bool]:
        client = AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0)
        if closing == "async with":
            async with client:
                assert await client.models.list() == {"data": []}
                open_before = not hung_up.is_set()
        else:
            assert await client.models.list() == {"data": []}
            open_before = not hung_up.is_set()
            await client.close()
        return open_before, await seen(hung_up)

    with RawServer(keep_alive(hung_up)) as server:
        assert run_clean(main) == (True, True)
        assert server.connections == 1


def test_a_closed_client_opens_new_connections_when_used_again() -> None:
    hung_up = threading.Event()

    async def main() -> None:
        async with AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
            await client.models.list()
            await client.close()
            assert await seen(hung_up)
            assert await client.models.list() == {"data": []}

    with RawServer(keep_alive(hung_up)) as server:
        run_clean(main)
        assert server.connections == 2


def test_with_options_gives_an_async_client_sharing_the_connections() -> None:
    hung_up = threading.Event()

    async def main() -> None:
        async with AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
            child = client.with_options(timeout=30, verbosity=1)
            assert isinstance(child, AsyncOpenAI)
            with capture_logs() as logs:
                assert await child.models.list() == {"data": []}
                assert await client.models.list() == {"data": []}
            assert [entry["event"] for entry in logs] == ["http.request", "http.response"]
            assert child._transport is client._transport
            await child.close()  # closing either closes them
            assert await seen(hung_up)

    with RawServer(keep_alive(hung_up)) as server:
        run_clean(main)
        assert server.connections == 1


def test_set_proxy_switches_to_a_new_transport_and_closes_the_old_one() -> None:
    direct_hung_up = threading.Event()

    async def main() -> None:
        async with AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
            await client.models.list()  # a pooled direct connection
            old = client._transport
            client.set_proxy(*proxy.address)
            assert client._transport is not old
            assert client.get_proxy() == proxy.url()
            assert await client.models.list() == {"data": []}
            # The old transport is retired (closed in a task of this loop) while the
            # client is still open: its pooled connection goes.
            assert await seen(direct_hung_up)

    with RawServer(keep_alive(direct_hung_up)) as server, ForwardProxy() as proxy:
        run_clean(main)
        assert proxy.carried == [server.url + "/v1/models"]
        assert len(server.requests) == 2


def test_set_proxy_during_a_stream_closes_the_old_transport_when_the_stream_ends() -> None:
    """The stream in flight reads to its end over the old transport; the old transport is
    closed after, not under it."""
    release = threading.Event()
    direct_hung_up = threading.Event()

    def handler(conn: Conn) -> None:
        conn.sock.settimeout(2 * WAIT)
        request = conn.read_request()
        if request is not None and request.headers.get("connection", "").lower() == "close":
            conn.send(answer())
            return
        conn.send(head(200) + chunk(faults.events(1)))
        release.wait(WAIT)
        conn.send(chunk(faults.events(1, start=2)) + b"0\r\n\r\n")
        if conn.read_request() is None:
            direct_hung_up.set()

    async def main() -> None:
        async with AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
            stream = await client.chat.create(MESSAGES, "gpt-4o", stream=True)
            assert await stream.__anext__() == {"n": 1}
            client.set_proxy(*proxy.address)
            release.set()
            assert [item async for item in stream] == [{"n": 2}]
            assert await seen(direct_hung_up)
            assert await client.models.list() == {"data": []}  # through the proxy

    with RawServer(handler) as server, ForwardProxy() as proxy:
        run_clean(main)
        assert proxy.carried == [server.url + "/v1/models"]


def test_wait_for_ends_a_call_to_a_server_that_never_answers_and_lets_its_connection_go() -> None:
    hung_up = threading.Event()

    def silent(conn: Conn) -> None:
        conn.read_request()
        if faults.until_hung_up(conn, 2 * WAIT):
            hung_up.set()

    async def main() -> None:
        async with AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.chat.create(MESSAGES, "gpt-4o"), 0.2)
            assert await seen(hung_up)  # at once, not when the client closes
            assert client._connections._users == {}  # the call's lease is let go

    with RawServer(silent) as server:
        run_clean(main)
        assert len(server.requests) == 1


def test_a_task_cancelled_while_it_waits_to_retry_lets_the_transport_go() -> None:
    """Cancelled in its wait after a 429 (Retry-After: 30), the call holds the transport no
    more: set_proxy retires it at once, and its pooled connection closes."""
    hung_up = threading.Event()
    busy = answer(429, b'{"error": {"message": "slow down"}}', **{"Retry-After": "30"})

    async def main() -> None:
        async with AsyncOpenAI(
            API_KEY, base_url=server.url + "/v1", max_retries=RetryPolicy(max_retries=2)
        ) as client:
            with capture_logs() as logs:
                task = asyncio.ensure_future(client.models.list(verbosity=3))
                for _ in range(500):  # until the call says it waits (5 s at most)
                    if any(entry["event"] == "http.retry" for entry in logs):
                        break
                    await asyncio.sleep(0.01)
            (retry,) = [entry for entry in logs if entry["event"] == "http.retry"]
            assert retry["wait"] == 30.0
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not hung_up.is_set()  # still pooled: nothing closed it yet
            client.set_proxy("127.0.0.1", 9)  # never used: only the old one's fate matters
            assert await seen(hung_up)

    with RawServer(keep_alive(hung_up, busy)) as server:
        run_clean(main)
        assert len(server.requests) == 1


def test_an_after_response_hook_that_raises_closes_the_response_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "strict", """
        import openaistream

        @openaistream.hookimpl
        def after_response(request, response):
            raise RuntimeError("refused by policy")
    """)  # fmt: skip
    hung_up = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(faults.events(1)))  # and the rest never comes
        if faults.until_hung_up(conn, 2 * WAIT):
            hung_up.set()

    async def main() -> None:
        async with AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
            with pytest.raises(RuntimeError, match="refused by policy"):
                await client.chat.create(MESSAGES, "gpt-4o", stream=True)
            assert await seen(hung_up)  # closed then, not when the client closes
            assert client._connections._users == {}

    with RawServer(handler) as server:
        run_clean(main)


def test_the_async_replay_transport_holds_no_reference_to_its_client(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """As the blocking one's (test_chooser.py): the client can go while its transport
    records on."""
    cassette = tmp_path / "after.json"
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})

    async def main() -> None:
        client = AsyncOpenAI(
            API_KEY, base_url=httpserver.url_for("/v1"), cassette=cassette, record_mode="record"
        )
        transport = client._transport
        gone = weakref.ref(client)
        del client
        gc.collect()
        assert gone() is None
        try:
            response = await transport.send(Request("GET", httpserver.url_for("/v1/models")))
            assert json.loads(await response.aread()) == {"data": []}
        finally:
            await transport.aclose()

    run_clean(main)
    (recorded,) = json.loads(cassette.read_text())["interactions"]
    assert recorded["request"]["path"] == "/v1/models"


def test_an_async_data_stream_is_read_with_async_for_and_closed_with_async_with() -> None:
    hung_up = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(faults.events(2)))  # the rest never comes
        if faults.until_hung_up(conn, 2 * WAIT):
            hung_up.set()

    async def main() -> None:
        async with AsyncOpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
            stream = await client.chat.create(MESSAGES, "gpt-4o", stream=True)
            assert isinstance(stream, openaistream.AsyncDataStream)
            got = []
            async with stream:
                async for item in stream:
                    got.append(item)
                    if len(got) == 2:
                        break
            assert got == [{"n": 1}, {"n": 2}]
            assert stream.get_state() == "closed"
            assert await seen(hung_up)

    with RawServer(handler) as server:
        run_clean(main)
