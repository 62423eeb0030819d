"""Streamed chat through real proxy processes (pproxy) to an HTTPS server with a trustme
certificate, TLS verification on: SOCKS5 with and without credentials, wrong credentials,
SOCKS4, an HTTP proxy (CONNECT), and proxies from the environment. Each test shows the
proxy carried the traffic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.proxies import Pproxy, free_port, https_server

MESSAGES = [{"role": "user", "content": "Say this is a test"}]
STREAM = recordings.body("chat_completions_stream/text_include_usage")


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[HTTPServer, Path]]:
    with https_server(tmp_path) as (server, ca_file):
        server.expect_request("/v1/chat/completions").respond_with_data(
            STREAM, content_type="text/event-stream"
        )
        yield server, ca_file


def start(tmp_path: Path, scheme: str, credentials: str | None = None) -> Pproxy:
    return Pproxy(scheme, tmp_path / f"{scheme}.log", credentials)


def streamed_text(client: openaistream.OpenAI) -> str:
    with client.chat.create(MESSAGES, "gpt-4", stream=True) as stream:
        return "".join(
            c["choices"][0]["delta"].get("content") or "" for c in stream if c["choices"]
        )


def client_for(
    server: HTTPServer, ca_file: Path, proxy: str, host: str = "127.0.0.1"
) -> openaistream.OpenAI:
    return openaistream.OpenAI(
        API_KEY,
        base_url=f"https://{host}:{server.port}/v1",
        proxy=proxy,
        ca_bundle=str(ca_file),
        max_retries=0,
    )


@pytest.mark.parametrize(
    ("scheme", "host"), [("socks5", "localhost"), ("socks4", "127.0.0.1"), ("http", "127.0.0.1")]
)
def test_a_streamed_chat_through_the_proxy(
    tls: tuple[HTTPServer, Path], tmp_path: Path, scheme: str, host: str
) -> None:
    server, ca_file = tls
    proxy = start(tmp_path, scheme)
    try:
        client = client_for(server, ca_file, proxy.url(), host)
        assert streamed_text(client) == '"This is a test."'
        client.close()
    finally:
        proxy.stop()
    # The proxy logged the tunnel to the server: the traffic went through it.
    assert f"{host}:{server.port}" in proxy.carried()
    assert len(server.log) == 1


def test_socks5_with_credentials(tls: tuple[HTTPServer, Path], tmp_path: Path) -> None:
    server, ca_file = tls
    proxy = start(tmp_path, "socks5", "alice:s3cret pw")
    try:
        client = client_for(server, ca_file, proxy.url("alice:s3cret%20pw"), "localhost")
        assert streamed_text(client) == '"This is a test."'
        client.close()
    finally:
        proxy.stop()
    assert f"localhost:{server.port}" in proxy.carried()


def test_socks5_with_wrong_credentials_says_so_without_the_password(
    tls: tuple[HTTPServer, Path], tmp_path: Path
) -> None:
    server, ca_file = tls
    proxy = start(tmp_path, "socks5", "alice:right")
    try:
        client = client_for(server, ca_file, proxy.url("alice:wrong-pw"), "localhost")
        with pytest.raises(openaistream.APIConnectionError) as caught:
            client.chat.create(MESSAGES, "gpt-4", stream=True)
        client.close()
    finally:
        proxy.stop()
    message = str(caught.value)
    assert f"SOCKS proxy at 127.0.0.1:{proxy.port}" in message
    assert "refused the credentials for user 'alice'" in message
    assert "wrong-pw" not in message + repr(caught.value)
    assert "Unauthorized" in proxy.carried()
    assert server.log == []


def test_an_http_proxy_with_wrong_credentials_on_an_https_target(
    tls: tuple[HTTPServer, Path], tmp_path: Path
) -> None:
    server, ca_file = tls
    proxy = start(tmp_path, "http", "alice:right")
    try:
        client = client_for(server, ca_file, proxy.url("alice:wrong-pw"))
        with pytest.raises(openaistream.APIConnectionError) as caught:
            client.chat.create(MESSAGES, "gpt-4", stream=True)
        client.close()
    finally:
        proxy.stop()
    assert "refused the credentials (407" in str(caught.value)
    assert "wrong-pw" not in str(caught.value)
    assert server.log == []


def test_a_proxy_that_is_not_there_is_a_connection_error(tls: tuple[HTTPServer, Path]) -> None:
    server, ca_file = tls
    port = free_port()  # nothing listens on it
    client = client_for(server, ca_file, f"socks5h://u:hunter2@127.0.0.1:{port}", "localhost")
    with pytest.raises(openaistream.APIConnectionError) as caught:
        client.models.list()
    assert f"SOCKS proxy at 127.0.0.1:{port} refused the connection" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_verification_is_on_without_the_ca_bundle(
    tls: tuple[HTTPServer, Path], tmp_path: Path
) -> None:
    server, _ = tls
    proxy = start(tmp_path, "socks5")
    try:
        client = openaistream.OpenAI(
            API_KEY,
            base_url=f"https://localhost:{server.port}/v1",
            proxy=proxy.url(),
            max_retries=0,
        )
        with pytest.raises(openaistream.APIConnectionError, match=r"TLS|CERTIFICATE_VERIFY_FAILED"):
            client.models.list()
        client.close()
    finally:
        proxy.stop()


def test_the_environment_proxy_is_used_and_no_proxy_bypasses_it(
    tls: tuple[HTTPServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, ca_file = tls
    proxy = start(tmp_path, "http")
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url())
        client = openaistream.OpenAI(
            API_KEY, base_url=f"https://127.0.0.1:{server.port}/v1", ca_bundle=str(ca_file)
        )
        assert client.get_proxy() == proxy.url()
        assert streamed_text(client) == '"This is a test."'
        client.close()
        assert f"127.0.0.1:{server.port}" in proxy.carried()

        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        direct = openaistream.OpenAI(
            API_KEY, base_url=f"https://127.0.0.1:{server.port}/v1", ca_bundle=str(ca_file)
        )
        assert direct.get_proxy() is None
        assert streamed_text(direct) == '"This is a test."'
        direct.close()
    finally:
        proxy.stop()
    assert proxy.carried().count(f"127.0.0.1:{server.port}") == 1
    assert len(server.log) == 2
