"""The aiohttp transport (the async client's network transport) against real local servers,
driven directly: built from TransportOptions, ``await transport.send(Request(...))`` inside
``asyncio.run``. Point for point what the urllib3 transport does: chunks handed on as they
arrive, pooling, discarding, timeouts and the deadline, errors, interim answers, gzip, TLS with
a private CA, HTTP and SOCKS proxies (real pproxy processes), and cancellation."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import gc
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, Optional, TypeVar

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import APIConnectionError, APITimeoutError, Request, Timeout, TransportOptions
from openaistream.http import AsyncResponse
from openaistream.transports.aiohttp import AiohttpTransport
from tests.conftest import API_KEY, PROXY_PASSWORD
from tests.support import faults
from tests.support.proxies import Pproxy, free_port, https_server
from tests.support.proxy import ForwardProxy
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head, serve_body

T = TypeVar("T")


def run(coroutine: Awaitable[T], seconds: float = 20.0) -> T:
    """Run a test's coroutine in a fresh loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coroutine, seconds))  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def aiohttp_transport(**options: Any) -> AsyncIterator[AiohttpTransport]:
    transport = AiohttpTransport(TransportOptions(**options))
    try:
        yield transport
    finally:
        await transport.aclose()


async def body_of(response: AsyncResponse) -> list[bytes]:
    try:
        return [piece async for piece in response]
    finally:
        await response.aclose()


async def fetch(url: str, **request: Any) -> tuple[AsyncResponse, bytes]:
    """One request on a transport of its own: the response and its whole body."""
    async with aiohttp_transport() as transport:
        response = await transport.send(Request(request.pop("method", "GET"), url, **request))
        return response, await response.aread()


# -- loading ------------------------------------------------------------------------------


def test_loading_the_plugins_imports_neither_aiohttp_nor_asyncio() -> None:
    code = (
        "import sys, openaistream; from openaistream.registry import get_registry; "
        "openaistream.OpenAI('sk-x'); t = get_registry().transport('aiohttp', 'async'); "
        "print([t.serves, t.proxy_schemes, "
        "[m for m in ('aiohttp', 'aiohttp_socks', 'asyncio') if m in sys.modules]])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    serves, schemes, loaded = ast.literal_eval(result.stdout)
    assert serves == "async"
    assert set(schemes) == {"http", "socks4", "socks4a", "socks5", "socks5h"}
    assert loaded == []


def test_the_blocking_client_does_not_take_it() -> None:
    with pytest.raises(openaistream.PluginError, match="'aiohttp' serves async clients"):
        openaistream.OpenAI(API_KEY, transport="aiohttp")


def test_a_proxy_it_does_not_take_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match=r"does not take ftp:// proxies"):
        AiohttpTransport(TransportOptions(proxy="ftp://127.0.0.1:21"))


# -- streaming and pooling ----------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False])
def test_send_returns_at_the_headers_and_each_piece_is_handed_on_as_it_arrives(
    chunked: bool,
) -> None:
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        extra = {"X-Request-Id": "req_1"} if chunked else {"Content-Length": "11"}
        conn.send(head(200, extra, chunked=chunked) + (chunk(b"first") if chunked else b"first"))
        release.wait(5)
        conn.send(chunk(b"second") + LAST_CHUNK if chunked else b"second")

    async def scenario(url: str) -> tuple[AsyncResponse, bytes, list[bytes]]:
        async with aiohttp_transport() as transport:
            response = await transport.send(Request("GET", url))
            pieces = response.__aiter__()
            first = await pieces.__anext__()  # the server is holding the rest back
            release.set()
            return response, first, await body_of(response)

    with RawServer(handler) as server:
        response, first, rest = run(scenario(server.url + "/x"))
    assert response.status == 200
    assert first == b"first"
    assert rest == [b"second"]
    if chunked:
        assert response.headers["x-request-id"] == "req_1"  # names are lower-case


def test_a_reader_that_falls_behind_finds_little_of_its_body_held_in_memory() -> None:
    # The server sends 1 MB at once; the reader waits before it reads. What aiohttp holds
    # for it meanwhile is what a thousand slow streams each cost: socket reads of 16 KiB,
    # until aiohttp stops reading at 32 KiB unread, not asyncio's 256 KiB reads.
    body = b"x" * (1024 * 1024)

    async def scenario(url: str) -> list[int]:
        async with aiohttp_transport() as transport:
            response = await transport.send(Request("GET", url))
            await asyncio.sleep(0.3)  # the loop reads the socket meanwhile, as far as it may
            sizes = [len(piece) for piece in await body_of(response)]
            return sizes

    with RawServer(serve_body([body], chunked=False)) as server:
        sizes = run(scenario(server.url + "/x"))
    assert sum(sizes) == len(body)
    assert max(sizes) <= 64 * 1024, f"a piece of {max(sizes)} bytes was held at once"


def test_the_target_goes_out_exactly_as_the_core_built_it() -> None:
    # yarl, left to itself, decodes %3A and %7E and resolves dot segments: a quoted model ID
    # would reach the server changed, and "%2E%2E" as a step up.
    target = "/v1/models/ft%3Agpt-4o%3Aorg%7Ex/a%2Fb/%2E%2E?q=a%2Bb&x=%20"

    async def scenario(url: str) -> None:
        async with aiohttp_transport() as transport:
            response = await transport.send(Request("GET", url + target))
            await response.aread()

    with RawServer(serve_body([b"{}"])) as server:
        run(scenario(server.url))
    assert [request.target for request in server.requests] == [target]


def test_a_connection_is_reused_for_calls_read_to_their_end() -> None:
    async def scenario(url: str) -> list[tuple[str, bytes]]:
        async with aiohttp_transport() as transport:
            answers = []
            for _ in range(3):
                response = await transport.send(Request("GET", url))
                answers.append((response.info["connection"], await response.aread()))
            return answers

    with RawServer(serve_body([b"data: 1\n\n", b"data: 2\n\n"])) as server:
        answers = run(scenario(server.url + "/x"))
    assert answers == [(kind, b"data: 1\n\ndata: 2\n\n") for kind in ("new", "reused", "reused")]
    assert server.connections == 1


def test_a_response_closed_before_its_end_discards_its_connection() -> None:
    release = threading.Event()

    def handler(conn: Conn) -> None:
        n = 0
        while conn.read_request() is not None:
            n += 1
            conn.send(head(200) + chunk(b"call %d " % n))
            if n == 1:
                release.wait(5)  # the rest of the first body comes after the caller left
            conn.send(chunk(b"rest") + LAST_CHUNK)

    async def scenario(url: str) -> tuple[bytes, bytes, str]:
        async with aiohttp_transport() as transport:
            first = await transport.send(Request("GET", url))
            start = await first.__aiter__().__anext__()
            await first.aclose()
            release.set()
            second = await transport.send(Request("GET", url))
            return start, await second.aread(), second.info["connection"]

    with RawServer(handler) as server:
        start, second, connection = run(scenario(server.url + "/x"))
    assert start == b"call 1 "
    # A new connection, whose answer is its own: nothing of the first body is read as it.
    assert (second, connection) == (b"call 1 rest", "new")
    assert server.connections == 2


def test_cancelling_a_task_blocked_in_a_read_closes_the_connection_within_10_ms() -> None:
    hung_up: list[float] = []

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(b'data: {"n": 1}\n\n'))
        if faults.until_hung_up(conn, 10):
            hung_up.append(time.monotonic())

    async def scenario(url: str) -> float:
        async with aiohttp_transport() as transport:
            response = await transport.send(Request("GET", url))
            pieces = response.__aiter__()
            assert await pieces.__anext__() == b'data: {"n": 1}\n\n'
            reading = asyncio.ensure_future(pieces.__anext__())
            await asyncio.sleep(0.2)  # the task is blocked in the read
            assert not reading.done()
            cancelled_at = time.monotonic()
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            await asyncio.sleep(0.1)  # the loop runs on, as a server's would
            await response.aclose()
            return cancelled_at

    with RawServer(handler) as server:
        cancelled_at = run(scenario(server.url + "/x"))
    assert len(hung_up) == 1
    assert hung_up[0] - cancelled_at < 0.010


def test_wait_for_around_a_read_ends_it_and_drops_the_connection() -> None:
    hung_up = threading.Event()

    async def scenario(url: str) -> None:
        async with aiohttp_transport() as transport:
            response = await transport.send(Request("GET", url))
            pieces = response.__aiter__()
            await pieces.__anext__()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(pieces.__anext__(), 0.2)
            await response.aclose()

    with RawServer(faults.silent_after_first_event(hung_up)) as server:
        run(scenario(server.url + "/x"))
        assert hung_up.wait(5)


# -- timeouts and the deadline ------------------------------------------------------------


def test_a_stalled_body_is_a_read_timeout_after_what_arrived() -> None:
    release = threading.Event()

    async def scenario(url: str) -> list[bytes]:
        got: list[bytes] = []
        async with aiohttp_transport() as transport:
            request = Request("GET", url, timeout=Timeout(connect=2, read=0.3))
            response = await transport.send(request)
            with pytest.raises(APITimeoutError, match="sent nothing for longer than the read"):
                async for piece in response:
                    got.append(piece)
            await response.aclose()
        return got

    with RawServer(faults.stall_after(b'data: {"n": 1}\n\n', release)) as server:
        got = run(scenario(server.url + "/x"))
        release.set()
    assert got == [b'data: {"n": 1}\n\n']


def test_a_server_that_says_nothing_is_a_read_timeout() -> None:
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        release.wait(5)

    with (
        RawServer(handler) as server,
        pytest.raises(APITimeoutError, match=r"127.0.0.1.* sent nothing for longer"),
    ):
        run(fetch(server.url + "/x", timeout=Timeout(connect=2, read=0.3)))
        release.set()


@pytest.mark.parametrize(
    "prefix",
    [b"HTTP/1.1 200 OK\r\nX-Slow: ", head(200, {"Content-Length": "1000"}, chunked=False)],
    ids=["headers dripping", "body dripping"],
)
def test_the_deadline_bounds_the_whole_exchange(prefix: bytes) -> None:
    stop = threading.Event()
    request_timeout = Timeout(connect=5, read=5, total=0.5)  # each drip is well within read

    async def scenario(url: str) -> float:
        started = time.monotonic()
        async with aiohttp_transport() as transport:
            request = Request("GET", url, timeout=request_timeout, deadline=started + 0.5)
            with pytest.raises(APITimeoutError) as caught:
                response = await transport.send(request)
                await response.aread()
        assert str(caught.value) == "the call took longer than its total timeout of 0.5 s"
        return time.monotonic() - started

    with RawServer(faults.drip(prefix, stop)) as server:
        took = run(scenario(server.url + "/x"))
        stop.set()
    assert took < 5  # ended by the deadline, long before a read timeout could


def test_a_deadline_already_past_sends_nothing() -> None:
    with RawServer(serve_body([b"x"])) as server:
        request_timeout = Timeout(total=1)
        with pytest.raises(APITimeoutError, match="total timeout of 1 s"):
            run(fetch(server.url, timeout=request_timeout, deadline=time.monotonic() - 1))
    assert server.requests == []


# -- errors -------------------------------------------------------------------------------


def test_nothing_listening_is_a_connection_error_naming_the_host() -> None:
    port = free_port()
    with pytest.raises(APIConnectionError, match=f"could not connect to 127.0.0.1:{port}") as e:
        run(fetch(f"http://127.0.0.1:{port}/v1/models"))
    assert not isinstance(e.value, APITimeoutError)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"", "closed the connection without an answer"),
        (b"HTTP/1.1 200 OK\r\n", "in the middle of the response headers"),
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", "in the middle of the response"),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "switched protocols"),
        (b"HTTP/1.1 2OO OK\r\n\r\n", "not valid HTTP/1.1"),
    ],
    ids=["nothing", "status line only", "headers cut", "101", "bad status line"],
)
def test_a_broken_head_is_a_connection_error(answer: bytes, expected: str) -> None:
    with (
        RawServer(faults.raw_answer(answer)) as server,
        pytest.raises(APIConnectionError, match=expected) as caught,
    ):
        run(fetch(server.url + "/x"))
    assert not isinstance(caught.value, APITimeoutError)
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize(
    "broken",
    [b"zz\r\nabc\r\n", b"-5\r\nhello\r\n", b"3\r\nhello\r\n0\r\n\r\n"],
    ids=["size not hex", "negative size", "payload longer than its size"],
)
def test_broken_chunked_framing_in_the_body_is_a_connection_error_after_what_came(
    broken: bytes,
) -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(b"hello "))
        time.sleep(0.2)  # the broken part comes while the body is being read
        conn.send(broken)
        faults.until_hung_up(conn, 5)

    async def scenario(url: str) -> list[bytes]:
        got: list[bytes] = []
        async with aiohttp_transport() as transport:
            response = await transport.send(Request("GET", url))
            with pytest.raises(APIConnectionError, match="chunked framing of the body is broken"):
                async for piece in response:
                    got.append(piece)
            await response.aclose()
        return got

    with RawServer(handler) as server:
        got = run(scenario(server.url + "/x"), seconds=10)  # aiohttp alone waits forever
    assert b"".join(got) in (b"hello ", b"hello hel")


def test_broken_framing_that_comes_with_the_head_is_a_connection_error() -> None:
    answer = head(200) + chunk(b"hello") + b"zz\r\n"
    with (
        RawServer(faults.raw_answer(answer, then_close=False)) as server,
        pytest.raises(APIConnectionError, match="chunked framing of the body is broken"),
    ):
        run(fetch(server.url + "/x"))


@pytest.mark.parametrize(
    "handler",
    [faults.part_then_reset(b"data: 1\n\n"), faults.truncated_chunk(b"data: 1\n\n")],
    ids=["reset", "truncated chunk"],
)
def test_a_body_cut_short_hands_on_what_arrived_then_fails(handler: Any) -> None:
    async def scenario(url: str) -> list[bytes]:
        got: list[bytes] = []
        async with aiohttp_transport() as transport:
            response = await transport.send(Request("GET", url))
            await asyncio.sleep(0.3)  # the cut is known before the first read
            with pytest.raises(APIConnectionError, match="in the middle of the body"):
                async for piece in response:
                    got.append(piece)
            await response.aclose()
        return got

    with RawServer(handler) as server:
        got = run(scenario(server.url + "/x"))
    assert b"".join(got).startswith(b"data: 1\n\n")  # and what came of the cut chunk


def test_a_truncated_content_length_body_is_a_connection_error() -> None:
    answer = head(200, {"Content-Length": "1000"}, chunked=False) + b'data: {"n": 1}\n\n'
    with (
        RawServer(faults.raw_answer(answer)) as server,
        pytest.raises(APIConnectionError, match="in the middle of the body"),
    ):
        run(fetch(server.url + "/x"))


def test_a_pooled_connection_that_fails_is_not_retried() -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(faults.numbered_json(1))
        conn.read_request()  # the second call, on the same connection: no answer
        conn.sock.shutdown(2)

    async def scenario(url: str) -> None:
        async with aiohttp_transport() as transport:
            assert await (await transport.send(Request("GET", url))).aread() == b'{"call": 1}'
            with pytest.raises(APIConnectionError, match="without an answer"):
                await transport.send(Request("GET", url))

    with RawServer(handler) as server:
        run(scenario(server.url + "/x"))
    assert (server.connections, len(server.requests)) == (1, 2)  # sent once, not again


# -- what is sent and what is read --------------------------------------------------------


def test_the_request_goes_out_with_its_own_headers_only() -> None:
    headers = {"User-Agent": "openaistream/1", "Authorization": f"Bearer {API_KEY}",
               "Content-Type": "application/json"}  # fmt: skip

    async def scenario(url: str) -> None:
        async with aiohttp_transport() as transport:
            post = await transport.send(Request("POST", url, dict(headers), b'{"a": 1}'))
            await post.aread()

    with RawServer(serve_body([b"{}"], chunked=False)) as server:
        host = server.url.removeprefix("http://")
        run(scenario(server.url + "/x"))
    (post,) = server.requests
    assert post.headers == {
        "host": host,
        "user-agent": "openaistream/1",
        "authorization": f"Bearer {API_KEY}",
        "content-type": "application/json",
        "content-length": "8",
        "accept-encoding": "identity",  # as the blocking transport sends it
    }
    assert post.body == b'{"a": 1}'


def test_an_iterable_body_arrives_whole(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/upload", method="POST", data=b"one two three").respond_with_data(
        "ok"
    )
    parts = (part for part in [b"one ", b"", b"two ", b"three"])
    _, body = run(fetch(httpserver.url_for("/upload"), method="POST", body=parts))
    assert body == b"ok"
    headers = httpserver.log[0][0].headers
    assert headers["Transfer-Encoding"] == "chunked"
    assert "User-Agent" not in headers and "Content-Type" not in headers


def test_a_gzip_body_is_decoded() -> None:
    with RawServer(faults.gzip_json({"data": ["gpt-4o"] * 50})) as server:
        response, body = run(fetch(server.url + "/v1/models"))
    assert response.headers["content-encoding"] == "gzip"
    assert body == b'{"data": [' + b", ".join([b'"gpt-4o"'] * 50) + b"]}"


@pytest.mark.parametrize("pieces", [1, 5], ids=["whole", "in pieces"])
def test_interim_answers_are_read_past_and_each_call_gets_its_own_answer(pieces: int) -> None:
    handler = faults.interim_answers(
        [faults.EARLY_HINTS, faults.PROCESSING], faults.numbered_sse, pieces
    )

    async def scenario(url: str) -> list[tuple[int, bytes]]:
        async with aiohttp_transport() as transport:
            answers = []
            for _ in range(2):
                response = await transport.send(Request("GET", url))
                answers.append((response.status, await response.aread()))
            return answers

    with RawServer(handler) as server:
        answers = run(scenario(server.url + "/x"))
    assert answers == [(200, b'data: {"call": %d}\n\ndata: [DONE]\n\n' % n) for n in (1, 2)]
    assert server.connections == 1


def test_redirects_are_not_followed_and_cookies_are_not_kept() -> None:
    answer = head(302, {"Location": "/elsewhere", "Set-Cookie": "session=s3cret",
                        "Content-Length": "0"}, chunked=False)  # fmt: skip

    async def scenario(url: str) -> list[int]:
        async with aiohttp_transport() as transport:
            statuses = []
            for _ in range(2):
                response = await transport.send(Request("GET", url))
                await response.aread()
                statuses.append(response.status)
            return statuses

    with RawServer(faults.raw_answer(answer, then_close=False)) as server:
        assert run(scenario(server.url + "/x")) == [302, 302]
    assert [r.target for r in server.requests] == ["/x", "/x"]
    assert all("cookie" not in r.headers for r in server.requests)


def test_repeated_headers_are_joined() -> None:
    answer = head(200, {"Content-Length": "0"}, chunked=False).replace(
        b"\r\n\r\n", b"\r\nX-Many: a\r\nX-Many: b\r\n\r\n"
    )
    with RawServer(faults.raw_answer(answer)) as server:
        response, _ = run(fetch(server.url))
    assert response.headers["x-many"] == "a, b"


# -- the session's life -------------------------------------------------------------------


def test_a_closed_transport_opens_new_connections_in_the_next_loop() -> None:
    transport = AiohttpTransport(TransportOptions())

    async def call(url: str) -> bytes:
        try:
            return await (await transport.send(Request("GET", url))).aread()
        finally:
            await transport.aclose()

    with RawServer(serve_body([b"hi"])) as server:
        assert run(call(server.url)) == b"hi"
        assert run(call(server.url)) == b"hi"
    assert server.connections == 2


def test_a_transport_never_used_has_nothing_to_close() -> None:
    run(AiohttpTransport(TransportOptions()).aclose())


# -- TLS and proxies ----------------------------------------------------------------------


TLS_ANSWER = {"data": ["tls"]}


@pytest.fixture
def tls(tmp_path: Path) -> Any:
    with https_server(tmp_path) as (server, ca_file):
        server.expect_request("/v1/models").respond_with_json(TLS_ANSWER)
        yield server, ca_file


def test_a_private_ca_through_ca_bundle(tls: tuple[HTTPServer, Path]) -> None:
    server, ca_file = tls

    async def scenario() -> bytes:
        async with aiohttp_transport(ca_bundle=str(ca_file)) as transport:
            response = await transport.send(Request("GET", server.url_for("/v1/models")))
            return await response.aread()

    assert json.loads(run(scenario())) == TLS_ANSWER


def test_verification_is_on_without_the_ca_bundle(tls: tuple[HTTPServer, Path]) -> None:
    server, _ = tls
    with pytest.raises(APIConnectionError, match=r"TLS connection to .* CERTIFICATE_VERIFY_FAILED"):
        run(fetch(server.url_for("/v1/models")))
    assert server.log == []


def test_an_http_proxy_with_credentials_carries_the_traffic(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": ["via proxy"]})

    async def scenario(proxy: str) -> bytes:
        async with aiohttp_transport(proxy=proxy) as transport:
            response = await transport.send(Request("GET", httpserver.url_for("/v1/models")))
            return await response.aread()

    with ForwardProxy(credentials="user:p@ss word") as proxy:
        assert json.loads(run(scenario(proxy.url("user:p%40ss%20word")))) == {"data": ["via proxy"]}
    assert proxy.carried == [httpserver.url_for("/v1/models")]
    assert "Proxy-Authorization" not in httpserver.log[0][0].headers


def test_wrong_proxy_credentials_say_so_without_the_password(httpserver: HTTPServer) -> None:
    with (
        ForwardProxy(credentials="user:right") as proxy,
        pytest.raises(APIConnectionError) as caught,
    ):
        run(fetch_through(proxy.url(f"user:{PROXY_PASSWORD}"), httpserver.url_for("/v1")))
    assert "refused the credentials (407" in str(caught.value)
    assert PROXY_PASSWORD not in str(caught.value) + repr(caught.value)
    assert httpserver.log == []


async def fetch_through(proxy: str, url: str, ca_file: Optional[Path] = None) -> bytes:
    ca_bundle = str(ca_file) if ca_file else None
    async with aiohttp_transport(proxy=proxy, ca_bundle=ca_bundle) as transport:
        response = await transport.send(Request("GET", url))
        return await response.aread()


@pytest.mark.parametrize(
    ("scheme", "host", "credentials"),
    [
        ("http", "127.0.0.1", "alice:s3cret"),  # CONNECT
        ("socks5", "localhost", "alice:s3cret pw"),  # the proxy resolves localhost
        ("socks5", "localhost", None),
        ("socks4", "127.0.0.1", None),
    ],
)
def test_an_https_call_through_a_real_proxy(
    tls: tuple[HTTPServer, Path], tmp_path: Path, scheme: str, host: str, credentials: Optional[str]
) -> None:
    server, ca_file = tls
    proxy = Pproxy(scheme, tmp_path / "proxy.log", credentials)
    try:
        userinfo = (credentials or "").replace(" ", "%20")
        url = f"https://{host}:{server.port}/v1/models"
        assert json.loads(run(fetch_through(proxy.url(userinfo), url, ca_file))) == TLS_ANSWER
    finally:
        proxy.stop()
    assert f"{host}:{server.port}" in proxy.carried()  # the traffic went through it
    assert len(server.log) == 1


@pytest.mark.parametrize("scheme", ["http", "socks5"])
def test_a_real_proxy_refusing_the_credentials_says_so_without_the_password(
    tls: tuple[HTTPServer, Path], tmp_path: Path, scheme: str
) -> None:
    server, ca_file = tls
    proxy = Pproxy(scheme, tmp_path / "proxy.log", "alice:right")
    try:
        url = f"https://127.0.0.1:{server.port}/v1/models"
        with pytest.raises(APIConnectionError) as caught:
            run(fetch_through(proxy.url("alice:wrong-pw"), url, ca_file))
    finally:
        proxy.stop()
    message = str(caught.value)
    assert "refused the credentials" in message
    if scheme == "socks5":
        assert f"SOCKS proxy at 127.0.0.1:{proxy.port}" in message
        assert "for user 'alice'" in message
    assert "wrong-pw" not in message + repr(caught.value) + repr(caught.value.__cause__)
    assert server.log == []


@pytest.mark.parametrize("scheme", ["socks5h", "http"])
def test_a_proxy_that_is_not_there_is_a_connection_error(scheme: str) -> None:
    port = free_port()  # nothing listens on it
    proxy = f"{scheme}://u:{PROXY_PASSWORD}@127.0.0.1:{port}"
    with pytest.raises(APIConnectionError) as caught:
        run(fetch_through(proxy, "http://localhost:9/v1/models"))
    message = str(caught.value)
    if scheme == "socks5h":
        assert f"SOCKS proxy at 127.0.0.1:{port} refused the connection" in message
    else:
        assert f"through the proxy at 127.0.0.1:{port}" in message
    assert PROXY_PASSWORD not in message + repr(caught.value)


def test_tls_connections_the_server_closes_leave_no_socket_open(
    tls: tuple[HTTPServer, Path], tmp_path: Path
) -> None:
    """The test server ends each answer with "Connection: close": aiohttp closes those TLS
    connections in the background, and before Python 3.12.8 asyncio may never finish that
    close through a tunnel. Left open, a socket is a ResourceWarning when collected."""
    server, ca_file = tls
    proxy = Pproxy("socks5", tmp_path / "proxy.log")
    try:
        for _ in range(10):
            url = f"https://localhost:{server.port}/v1/models"
            assert json.loads(run(fetch_through(proxy.url(), url, ca_file))) == TLS_ANSWER
            gc.collect()  # an unclosed socket warns now, in this test
    finally:
        proxy.stop()
