"""The urllib3 transport against real local servers: transfer encodings, compression,
timeouts, connection errors and an HTTP proxy."""

from __future__ import annotations

import gzip
import json
import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import Request, Timeout, TransportOptions
from openaistream.transports.urllib3 import Urllib3Transport
from tests.conftest import API_KEY
from tests.support.proxy import ForwardProxy
from tests.support.servers import Conn, RawServer, chunk, head

MESSAGES = [{"role": "user", "content": "hi"}]


def test_send_returns_before_the_body_and_yields_chunks_as_sent() -> None:
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200, {"X-Request-Id": "req_1"}) + chunk(b"first"))
        release.wait(2)
        conn.send(chunk(b"second") + b"0\r\n\r\n")

    with RawServer(handler) as server:
        transport = Urllib3Transport(TransportOptions())
        response = transport.send(Request("GET", server.url + "/x"))
        assert response.status == 200
        assert response.headers["x-request-id"] == "req_1"  # names are lower-case
        chunks = iter(response)
        assert next(chunks) == b"first"
        release.set()
        assert list(chunks) == [b"second"]
        response.close()
        transport.close()


def test_a_gzip_encoded_json_body_is_decoded(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    payload = {"object": "list", "data": [{"id": "gpt-4o"}] * 50}
    httpserver.expect_request("/v1/models").respond_with_data(
        gzip.compress(json.dumps(payload).encode()),
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )
    assert client.models.list() == payload


def test_a_stalled_stream_raises_a_timeout_with_what_arrived() -> None:
    done = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(b'data: {"n": 1}\n\n'))
        done.wait(5)  # stall until the test is over

    with RawServer(handler) as server:
        client = openaistream.OpenAI(
            API_KEY,
            base_url=server.url + "/v1",
            timeout=Timeout(connect=2, read=0.3),
            max_retries=0,
        )
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        with pytest.raises(openaistream.APITimeoutError) as caught:
            list(stream)
        done.set()
        client.close()
    assert caught.value.received == [{"n": 1}]
    assert stream.get_state() == "error"


def test_a_server_that_says_nothing_is_a_timeout() -> None:
    done = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        done.wait(5)

    with RawServer(handler) as server:
        client = openaistream.OpenAI(
            API_KEY, base_url=server.url + "/v1", timeout=0.3, max_retries=0
        )
        with pytest.raises(openaistream.APITimeoutError, match="read timeout"):
            client.models.list()
        done.set()
        client.close()


def test_a_connection_closed_before_the_status_line_is_a_connection_error() -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.reset()

    with RawServer(handler) as server:
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openaistream.APIConnectionError) as caught:
            client.models.list()
        client.close()
    assert not isinstance(caught.value, openaistream.APITimeoutError)
    assert "127.0.0.1" in str(caught.value)


def test_a_truncated_content_length_body_is_a_stream_error() -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200, {"Content-Length": "1000"}, chunked=False) + b'data: {"n": 1}\n\n')
        conn.sock.shutdown(2)

    with RawServer(handler) as server:
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0)
        stream = client.chat.create(MESSAGES, "gpt-4o", stream=True)
        with pytest.raises(openaistream.StreamError) as caught:
            list(stream)
        client.close()
    assert caught.value.received == [{"n": 1}]


def test_an_http_proxy_with_credentials_carries_the_traffic(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": ["via proxy"]})
    with ForwardProxy(credentials="user:p@ss word") as proxy:
        client = openaistream.OpenAI(
            API_KEY,
            base_url=httpserver.url_for("/v1"),
            proxy=proxy.url("user:p%40ss%20word"),
            max_retries=0,
        )
        assert client.models.list() == {"data": ["via proxy"]}
        client.close()
    assert proxy.carried == [httpserver.url_for("/v1/models")]
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {API_KEY}"
    assert "Proxy-Authorization" not in httpserver.log[0][0].headers


def test_set_proxy_sends_through_the_proxy(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    with ForwardProxy() as proxy:
        client = openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)
        client.models.list()
        client.set_proxy(*proxy.address)
        client.models.list()
        client.close()
    assert len(httpserver.log) == 2
    assert proxy.carried == [httpserver.url_for("/v1/models")]


def test_wrong_proxy_credentials_are_refused_without_showing_the_password(
    httpserver: HTTPServer,
) -> None:
    with ForwardProxy(credentials="user:right") as proxy:
        client = openaistream.OpenAI(
            API_KEY,
            base_url=httpserver.url_for("/v1"),
            proxy=proxy.url("user:wrong-pw"),
            max_retries=0,
        )
        with pytest.raises(openaistream.APIConnectionError) as caught:
            client.models.list()
        client.close()
    assert "refused the credentials (407" in str(caught.value)
    assert proxy.refused == 1
    assert "wrong-pw" not in str(caught.value) + repr(caught.value)
    assert httpserver.log == []


def test_a_socks_proxy_picks_the_socks_transport_and_urllib3_refuses_one() -> None:
    from openaistream.transports.socks import SocksTransport

    client = openaistream.OpenAI(API_KEY, proxy="socks5h://127.0.0.1:1080")
    assert isinstance(client._transport, SocksTransport)
    with pytest.raises(ValueError, match=r"'urllib3' does not take socks5h:// proxies; .*'socks'"):
        openaistream.OpenAI(API_KEY, transport="urllib3", proxy="socks5h://127.0.0.1:1080")
    with pytest.raises(ValueError, match="'socks' does not take http:// proxies"):
        openaistream.OpenAI(API_KEY, transport="socks", proxy="http://127.0.0.1:3128")


class Reads:
    """A reader whose read1 returns the given pieces one by one, as a socket might."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def read1(self, size: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


@settings(max_examples=300, deadline=None)
@given(
    payloads=st.lists(st.binary(min_size=1, max_size=300), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30),
    trailers=st.booleans(),
)
def test_the_chunked_reader_gives_the_payload_whatever_the_reads(
    payloads: list[bytes], cuts: list[int], trailers: bool
) -> None:
    from openaistream.transports.wire import dechunked

    wire = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in payloads)
    wire += b"0\r\nX-Trailer: yes\r\n\r\n" if trailers else b"0\r\n\r\n"
    points = sorted({cut % (len(wire) + 1) for cut in cuts})
    pieces = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)]) if wire[a:b]]
    ended: list[bool] = []
    out = list(dechunked(Reads(pieces), lambda: ended.append(True)))
    assert b"".join(out) == b"".join(payloads)
    assert all(out)  # nothing empty is handed on
    assert ended == [True]


def test_the_chunked_reader_says_when_the_body_is_cut() -> None:
    from openaistream.transports.wire import WireError, dechunked

    with pytest.raises(WireError, match="middle of a chunked body"):
        list(dechunked(Reads([b"5\r\nhel"]), lambda: None))


def _json_answers(conn: Conn) -> None:
    """Keep-alive: every request on the connection answered with a small JSON body of known
    length, naming the path asked for."""
    while True:
        request = conn.read_request()
        if request is None:
            return
        body = json.dumps({"path": request.target}).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        conn.send(head(200, headers, chunked=False) + body)


def test_small_answers_reuse_one_connection_an_origin_even_after_its_pool_was_let_go() -> None:
    # The pool manager keeps the pools of 10 origins: requests to 11 others let the first go.
    servers = [RawServer(_json_answers) for _ in range(12)]
    transport = Urllib3Transport(TransportOptions())

    def asked(server: RawServer, path: str) -> object:
        return json.loads(transport.send(Request("GET", server.url + path)).read())

    try:
        assert asked(servers[0], "/a?x=1") == {"path": "/a?x=1"}
        assert asked(servers[0], "/b") == {"path": "/b"}
        assert servers[0].connections == 1  # the body read to its length: the connection kept
        for server in servers[1:]:
            assert asked(server, "/c") == {"path": "/c"}
        assert asked(servers[0], "/d") == {"path": "/d"}
        assert asked(servers[0], "") == {"path": "/"}
        assert servers[0].connections == 2  # its pool was closed: one new connection
        transport.close()
    finally:
        for server in servers:
            server.close()
    assert all(server.connections == 1 for server in servers[1:])
    assert not any(server.errors for server in servers)


def test_a_body_without_a_length_ends_when_the_server_closes() -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        headers = {"Content-Type": "application/json", "Connection": "close"}
        conn.send(head(200, headers, chunked=False) + b'{"a": ')
        conn.send(b"1}")
        conn.sock.shutdown(socket.SHUT_WR)

    with RawServer(handler) as server:
        client = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", max_retries=0)
        assert client.request("GET", "/x") == {"a": 1}
        client.close()
