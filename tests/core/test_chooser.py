"""Choosing a client's transport (openaistream.chooser) from what the transports declared:
proxy schemes, cassettes, the network transport handed to one that wraps. The rules that were
already there (a socks:// proxy picks the SOCKS transport, an unusable environment proxy fails
the call) are tested in tests/core/test_client.py and tests/transports/."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import Request
from tests.conftest import API_KEY
from tests.support.plugins import install_plugin
from tests.support.proxies import Pproxy

JOKE = Path(__file__).resolve().parents[2] / "examples" / "cassettes" / "chat_joke.json"

GOPHER = """
    import openaistream

    class Gopher:
        '''Answers every request itself, saying which proxy it was given.'''

        def __init__(self, options):
            self.proxy = options.proxy

        def send(self, request):
            body = ('{"proxy": "%s"}' % self.proxy).encode()
            return openaistream.Response(200, {"Content-Type": "application/json"}, [body])

        def close(self):
            pass

    class AsyncGopher(Gopher):
        async def send(self, request):
            from openaistream.http import AsyncResponse  # not exported at the top (yet)

            body = ('{"proxy": "%s"}' % self.proxy).encode()

            async def chunks():
                yield body

            return AsyncResponse(200, {"Content-Type": "application/json"}, chunks())

        async def aclose(self):
            pass

    @openaistream.hookimpl
    def register_transports(register):
        register("gopher", Gopher, serves="sync", proxy_schemes=("gopher",))
        register("gopher", AsyncGopher, serves="async", proxy_schemes=("gopher",))
"""


# The network transport each kind of client uses by default.
NETWORK = {"sync": "urllib3", "async": "aiohttp"}


def test_a_proxy_scheme_a_plugin_declares_is_one_the_client_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_client: Any, client_kind: str
) -> None:
    install_plugin(tmp_path, monkeypatch, "gopher", GOPHER)
    proxy = "gopher://127.0.0.1:70"
    with make_client(API_KEY, base_url="http://127.0.0.1:9/v1", proxy=proxy) as client:
        assert client.models.list() == {"proxy": proxy}  # the default gave way to it
    network = NETWORK[client_kind]
    with pytest.raises(ValueError, match=f"transport '{network}' does not take gopher:// proxies"):
        make_client(API_KEY, transport=network, proxy=proxy)


# The proxy schemes the built-in transports of each kind take (aiohttp takes no https://).
SCHEMES = {
    "sync": "http://, https://, socks4://, socks4a://, socks5://, socks5h://, socks://",
    "async": "http://, socks4://, socks4a://, socks5://, socks5h://, socks://",
}


def test_an_unknown_proxy_scheme_lists_the_schemes_the_transports_take(
    make_client: Any, client_kind: str
) -> None:
    with pytest.raises(ValueError) as caught:
        make_client(API_KEY, proxy="gopher://user:hunter2@127.0.0.1:70")
    assert str(caught.value) == (
        f"proxy must start with one of {SCHEMES[client_kind]} (the schemes the transports "
        "take); got 'gopher://***@127.0.0.1:70'"
    )


def test_a_bad_record_mode_fails_the_client_even_with_a_proxy_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, make_client: Any
) -> None:
    # Only what makes the environment's proxy unusable waits for the calls; a bad argument
    # is an error when the client is built, named as such.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    with pytest.raises(ValueError, match=r"^record_mode must be one of replay, record, once, new"):
        make_client(API_KEY, cassette=JOKE, record_mode="sometimes")


def test_replaying_a_cassette_that_exists_needs_no_key_whatever_the_mode(
    make_client: Any,
) -> None:
    # "once" with a cassette that exists only replays; recording modes need the key.
    with make_client(cassette=JOKE, record_mode="once") as client:
        stream = client.chat.create(
            [{"role": "user", "content": "Tell me a joke about opentelemetry"}],
            "gpt-3.5-turbo",
            stream=True,
        )
        assert len(list(stream)) > 1
    with pytest.raises(openaistream.OpenAIError, match="No API key"):
        make_client(cassette=JOKE, record_mode="new")


WRAPPER = """
    import openaistream

    class Wrapper:
        def __init__(self, options):
            self.network = options.network
            self.inner = options.network()

        def send(self, request):
            request.headers["X-Wrapped"] = "yes"
            return self.inner.send(request)

        def close(self):
            self.inner.close()

    class AsyncWrapper(Wrapper):
        async def send(self, request):
            request.headers["X-Wrapped"] = "yes"
            return await self.inner.send(request)

        async def aclose(self):
            await self.inner.aclose()

    @openaistream.hookimpl
    def register_transports(register):
        register("wrapper", Wrapper, serves="sync", wraps=True)
        register("wrapper", AsyncWrapper, serves="async", wraps=True)
"""


# The transport that takes a socks5h:// proxy: the SOCKS one for the blocking client, the
# network transport itself (aiohttp, through aiohttp-socks) for the async one.
SOCKS = {"sync": "SocksTransport", "async": "AiohttpTransport"}


def test_a_wrapping_transport_sends_through_the_network_transport_the_proxy_needs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
    make_client: Any,
    client_kind: str,
) -> None:
    install_plugin(tmp_path, monkeypatch, "wrapper", WRAPPER)
    httpserver.expect_request("/v1/models", headers={"X-Wrapped": "yes"}).respond_with_json(
        {"data": []}
    )
    proxy = Pproxy("socks5", tmp_path / "socks.log")
    try:
        base = httpserver.url_for("/v1")
        with make_client(API_KEY, base_url=base, transport="wrapper", proxy=proxy.url()) as client:
            assert client.models.list() == {"data": []}
            wrapper = client._transport
            assert type(wrapper.inner).__name__ == SOCKS[client_kind]
            assert wrapper.network.options.proxy == proxy.url()
    finally:
        proxy.stop()
    assert f"-> localhost:{httpserver.port}" in proxy.log.read_text()


# The blocking client's replay transport; the async one's: test_aclient.py.
def test_the_replay_transport_holds_no_reference_to_its_client(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    # Handed values (a factory and its options), not a function of the client: the client
    # can go while its transport records on.
    cassette = tmp_path / "after.json"
    client = openaistream.OpenAI(
        API_KEY, base_url=httpserver.url_for("/v1"), cassette=cassette, record_mode="record"
    )
    transport = client._transport
    gone = weakref.ref(client)
    del client
    gc.collect()
    assert gone() is None
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    assert transport is not None
    try:
        response = transport.send(Request("GET", httpserver.url_for("/v1/models")))
        assert json.loads(response.read()) == {"data": []}
    finally:
        transport.close()
    (recorded,) = json.loads(cassette.read_text())["interactions"]
    assert recorded["request"]["path"] == "/v1/models"


# -- each client chooses among the transports of its kind -------------------------------------

OTHER = {"sync": "async", "async": "sync"}
OF_KIND = {"sync": "replay, socks, urllib3", "async": "aiohttp, replay"}


def test_an_unknown_transport_name_lists_the_transports_of_the_clients_kind(
    make_client: Any, client_kind: str
) -> None:
    with pytest.raises(openaistream.PluginError) as caught:
        make_client(API_KEY, transport="pigeon")
    assert str(caught.value) == (
        f"transport: unknown name 'pigeon'; available: {OF_KIND[client_kind]}"
    )


def test_a_transport_of_the_other_kind_is_refused_by_name(
    make_client: Any, client_kind: str
) -> None:
    other = NETWORK[OTHER[client_kind]]
    with pytest.raises(openaistream.PluginError) as caught:
        make_client(API_KEY, transport=other)
    assert str(caught.value) == (
        f"transport '{other}' serves {OTHER[client_kind]} clients, not {client_kind} ones; "
        f"{client_kind} transports: {OF_KIND[client_kind]}"
    )


def test_a_cassette_with_a_transport_that_plays_none_is_refused(
    make_client: Any, client_kind: str
) -> None:
    network = NETWORK[client_kind]
    with pytest.raises(ValueError, match=f"cassette is given, but transport '{network}' plays"):
        make_client(API_KEY, cassette=JOKE, transport=network)


class _BlockingTransport:
    def send(self, request: Request) -> openaistream.Response:
        raise AssertionError("never sent")  # pragma: no cover

    def close(self) -> None:
        pass


class _AwaitingTransport:
    async def send(self, request: Request) -> Any:
        raise AssertionError("never sent")  # pragma: no cover

    async def aclose(self) -> None:
        pass


def test_a_transport_object_of_the_other_kind_is_a_type_error_naming_what_is_needed(
    make_client: Any, client_kind: str
) -> None:
    wrong = _AwaitingTransport() if client_kind == "sync" else _BlockingTransport()
    needed = "send() and close()" if client_kind == "sync" else "async send() and aclose()"
    with pytest.raises(TypeError) as caught:
        make_client(API_KEY, transport=wrong)
    assert str(caught.value) == (
        f"transport must be a transport name or an object with {needed}, not {type(wrong).__name__}"
    )


def test_a_socks5h_proxy_is_taken_by_a_transport_that_declares_it(
    tmp_path: Path, httpserver: HTTPServer, make_client: Any, client_kind: str
) -> None:
    """The default gives way to the SOCKS transport on the blocking client; the async
    client's network transport takes SOCKS itself. Host names resolve at the proxy."""
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    proxy = Pproxy("socks5", tmp_path / "socks.log")
    try:
        base = f"http://localhost:{httpserver.port}/v1"
        with make_client(API_KEY, base_url=base, proxy=proxy.url(), max_retries=0) as client:
            assert proxy.url().startswith("socks5h://")
            assert type(client._transport).__name__ == SOCKS[client_kind]
            assert client.models.list() == {"data": []}
    finally:
        proxy.stop()
    assert f"-> localhost:{httpserver.port}" in proxy.log.read_text()
