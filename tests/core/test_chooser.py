"""Choosing a client's transport (openaistream.chooser) from what the transports declared:
proxy schemes, cassettes, the network transport handed to one that wraps. The rules that were
already there (a socks:// proxy picks the SOCKS transport, an unusable environment proxy fails
the call) are tested in tests/core/test_client.py and tests/transports/."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

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

    @openaistream.hookimpl
    def register_transports(register):
        register("gopher", Gopher, serves="sync", proxy_schemes=("gopher",))
"""


def test_a_proxy_scheme_a_plugin_declares_is_one_the_client_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "gopher", GOPHER)
    proxy = "gopher://127.0.0.1:70"
    with openaistream.OpenAI(API_KEY, base_url="http://127.0.0.1:9/v1", proxy=proxy) as client:
        assert client.models.list() == {"proxy": proxy}  # the default gave way to it
    with pytest.raises(ValueError, match="transport 'urllib3' does not take gopher:// proxies"):
        openaistream.OpenAI(API_KEY, transport="urllib3", proxy=proxy)


def test_an_unknown_proxy_scheme_lists_the_schemes_the_transports_take() -> None:
    with pytest.raises(ValueError) as caught:
        openaistream.OpenAI(API_KEY, proxy="gopher://user:hunter2@127.0.0.1:70")
    assert str(caught.value) == (
        "proxy must start with one of http://, https://, socks4://, socks4a://, socks5://, "
        "socks5h://, socks:// (the schemes the transports take); "
        "got 'gopher://***@127.0.0.1:70'"
    )


def test_a_bad_record_mode_fails_the_client_even_with_a_proxy_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only what makes the environment's proxy unusable waits for the calls; a bad argument
    # is an error when the client is built, named as such.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    with pytest.raises(ValueError, match=r"^record_mode must be one of replay, record, once, new"):
        openaistream.OpenAI(API_KEY, cassette=JOKE, record_mode="sometimes")


def test_replaying_a_cassette_that_exists_needs_no_key_whatever_the_mode() -> None:
    # "once" with a cassette that exists only replays; recording modes need the key.
    with openaistream.OpenAI(cassette=JOKE, record_mode="once") as client:
        stream = client.chat.create(
            [{"role": "user", "content": "Tell me a joke about opentelemetry"}],
            "gpt-3.5-turbo",
            stream=True,
        )
        assert len(list(stream)) > 1
    with pytest.raises(openaistream.OpenAIError, match="No API key"):
        openaistream.OpenAI(cassette=JOKE, record_mode="new")


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

    @openaistream.hookimpl
    def register_transports(register):
        register("wrapper", Wrapper, serves="sync", wraps=True)
"""


def test_a_wrapping_transport_sends_through_the_network_transport_the_proxy_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    install_plugin(tmp_path, monkeypatch, "wrapper", WRAPPER)
    httpserver.expect_request("/v1/models", headers={"X-Wrapped": "yes"}).respond_with_json(
        {"data": []}
    )
    proxy = Pproxy("socks5", tmp_path / "socks.log")
    try:
        base = httpserver.url_for("/v1")
        with openaistream.OpenAI(
            API_KEY, base_url=base, transport="wrapper", proxy=proxy.url()
        ) as client:
            assert client.models.list() == {"data": []}
            wrapper = client._transport
            assert type(wrapper.inner).__name__ == "SocksTransport"
            assert wrapper.network.options.proxy == proxy.url()
    finally:
        proxy.stop()
    assert f"-> localhost:{httpserver.port}" in proxy.log.read_text()


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
