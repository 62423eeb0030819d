"""Streamed chat through real proxy processes (pproxy) to an HTTPS server with a trustme
certificate, TLS verification on, on both clients (``make_client``: ``OpenAI`` through urllib3
or PySocks, ``AsyncOpenAI`` through aiohttp or aiohttp-socks): an HTTP proxy (CONNECT) and
SOCKS4, SOCKS5 and SOCKS5h, with and without credentials; credentials refused; a proxy that is
not there; proxies from the environment. Each test shows the proxy carried the traffic, or
that nothing reached the server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY, PROXY_PASSWORD
from tests.support import recordings
from tests.support.proxies import Pproxy, free_port, https_server

MESSAGES = [{"role": "user", "content": "Say this is a test"}]
# A password the proxy refuses: pproxy writes refused credentials to its log (the suite sweeps
# every file it wrote for PROXY_PASSWORD), this library must not show it anywhere.
WRONG = "wr0ng-pa55word"
STREAM = recordings.body("chat_completions_stream/text_include_usage")


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[HTTPServer, Path]]:
    with https_server(tmp_path) as (server, ca_file):
        server.expect_request("/v1/chat/completions").respond_with_data(
            STREAM, content_type="text/event-stream"
        )
        yield server, ca_file


@pytest.fixture
def proxies(tmp_path: Path) -> Iterator[Any]:
    """``proxies(scheme, credentials=None)``: a pproxy process, stopped when the test ends."""
    started: list[Pproxy] = []

    def start(scheme: str, credentials: str | None = None, **options: Any) -> Pproxy:
        log = tmp_path / f"{scheme}-{len(started)}.log"
        started.append(Pproxy(scheme, log, credentials, **options))
        return started[-1]

    yield start
    for proxy in started:
        proxy.stop()


def streamed_text(client: Any) -> str:
    with client.chat.create(MESSAGES, "gpt-4", stream=True) as stream:
        return "".join(
            c["choices"][0]["delta"].get("content") or "" for c in stream if c["choices"]
        )


def proxy_url(proxy: Pproxy, scheme: str, userinfo: str = "") -> str:
    """The proxy's URL under ``scheme`` (socks5h: the proxy resolves the host's name)."""
    return f"{scheme}://{userinfo + '@' if userinfo else ''}127.0.0.1:{proxy.port}"


def client_for(
    make_client: Any, server: HTTPServer, ca_file: Path, proxy: str, host: str = "127.0.0.1"
) -> Any:
    return make_client(
        API_KEY,
        base_url=f"https://{host}:{server.port}/v1",
        proxy=proxy,
        ca_bundle=str(ca_file),
        max_retries=0,
    )


# scheme the client names, pproxy's protocol, the host name the client asks for
THROUGH = [
    ("socks5h", "socks5", "localhost"),  # the proxy resolves "localhost"
    ("socks5", "socks5", "127.0.0.1"),
    ("socks4", "socks4", "127.0.0.1"),
    ("http", "http", "127.0.0.1"),  # CONNECT, then TLS to the server
    ("http", "http", "localhost"),
]


@pytest.mark.parametrize(
    ("scheme", "protocol", "host"), THROUGH, ids=[f"{s}-{h}" for s, _, h in THROUGH]
)
def test_a_streamed_chat_through_the_proxy(
    tls: tuple[HTTPServer, Path], proxies: Any, make_client: Any,
    scheme: str, protocol: str, host: str,
) -> None:  # fmt: skip
    server, ca_file = tls
    proxy = proxies(protocol)
    client = client_for(make_client, server, ca_file, proxy_url(proxy, scheme), host)
    assert streamed_text(client) == '"This is a test."'
    client.close()
    # The proxy logged the tunnel to the server: the traffic went through it.
    assert f"{host}:{server.port}" in proxy.carried()
    assert len(server.log) == 1


# scheme, pproxy's protocol, the credentials pproxy takes, the userinfo the client sends
CREDENTIALS = [
    ("socks5h", "socks5", f"alice:{PROXY_PASSWORD} x", f"alice:{PROXY_PASSWORD}%20x"),
    ("socks5", "socks5", f"alice:{PROXY_PASSWORD}", f"alice:{PROXY_PASSWORD}"),
    ("socks4", "socks4", "alice", "alice"),  # SOCKS4 has a user ID, no password
    ("http", "http", f"alice:{PROXY_PASSWORD} x", f"alice:{PROXY_PASSWORD}%20x"),
]


@pytest.mark.parametrize(
    ("scheme", "protocol", "taken", "sent"), CREDENTIALS, ids=[c[0] for c in CREDENTIALS]
)
def test_a_proxy_with_credentials_carries_the_stream(
    tls: tuple[HTTPServer, Path], proxies: Any, make_client: Any, scheme: str,
    protocol: str, taken: str, sent: str,
) -> None:  # fmt: skip
    # The CONNECT carries "Proxy-Authorization" in that case: pproxy, like some other
    # proxies, reads the header by its exact case (the blocking transport once sent
    # urllib3's lower-case one, and got a 407).
    server, ca_file = tls
    proxy = proxies(protocol, taken)
    client = client_for(make_client, server, ca_file, proxy_url(proxy, scheme, sent))
    assert streamed_text(client) == '"This is a test."'
    assert PROXY_PASSWORD not in repr(client) + str(client.get_proxy())
    client.close()
    assert f"127.0.0.1:{server.port}" in proxy.carried()
    assert "Unauthorized" not in proxy.carried()


@pytest.mark.parametrize("scheme", ["socks5h", "socks5"])
def test_socks5_with_wrong_credentials_says_so_without_the_password(
    tls: tuple[HTTPServer, Path], proxies: Any, make_client: Any, scheme: str
) -> None:
    server, ca_file = tls
    proxy = proxies("socks5", "alice:right")
    url = proxy_url(proxy, scheme, f"alice:{WRONG}")
    client = client_for(make_client, server, ca_file, url, "localhost")
    with pytest.raises(openaistream.APIConnectionError) as caught:
        client.chat.create(MESSAGES, "gpt-4", stream=True)
    client.close()
    message = str(caught.value)
    assert f"SOCKS proxy at 127.0.0.1:{proxy.port}" in message
    assert "refused the credentials for user 'alice'" in message
    assert WRONG not in message + repr(caught.value)
    assert "Unauthorized" in proxy.carried()
    assert server.log == []


def test_an_http_proxy_with_wrong_credentials_on_an_https_target(
    tls: tuple[HTTPServer, Path], proxies: Any, make_client: Any
) -> None:
    server, ca_file = tls
    proxy = proxies("http", "alice:right")
    url = proxy_url(proxy, "http", f"alice:{WRONG}")
    client = client_for(make_client, server, ca_file, url)
    with pytest.raises(openaistream.APIConnectionError) as caught:
        client.chat.create(MESSAGES, "gpt-4", stream=True)
    client.close()
    assert f"the proxy at 127.0.0.1:{proxy.port} refused the credentials (407" in str(caught.value)
    assert WRONG not in str(caught.value) + repr(caught.value)
    assert server.log == []


@pytest.mark.parametrize("scheme", ["socks5h", "socks4", "http"])
def test_a_proxy_that_is_not_there_is_a_connection_error(
    tls: tuple[HTTPServer, Path], make_client: Any, scheme: str
) -> None:
    server, ca_file = tls
    port = free_port()  # nothing listens on it
    url = f"{scheme}://u:{PROXY_PASSWORD}@127.0.0.1:{port}"
    client = client_for(make_client, server, ca_file, url, "localhost")
    with pytest.raises(openaistream.APIConnectionError) as caught:
        client.models.list()
    assert not isinstance(caught.value, openaistream.APITimeoutError)
    if scheme.startswith("socks"):
        assert f"SOCKS proxy at 127.0.0.1:{port} refused the connection" in str(caught.value)
    else:
        assert f"127.0.0.1:{port}" in str(caught.value)
    assert PROXY_PASSWORD not in str(caught.value) + repr(caught.value)
    assert server.log == []


@pytest.mark.parametrize("scheme", ["socks5h", "http"])
def test_verification_is_on_without_the_ca_bundle(
    tls: tuple[HTTPServer, Path], proxies: Any, make_client: Any, client_kind: str, scheme: str
) -> None:
    server, _ = tls
    proxy = proxies("socks5" if scheme == "socks5h" else scheme)
    client = make_client(
        API_KEY,
        base_url=f"https://localhost:{server.port}/v1",
        proxy=proxy_url(proxy, scheme),
        max_retries=0,
    )
    said = r"TLS|CERTIFICATE_VERIFY_FAILED"
    if client_kind == "async" and scheme == "socks5h" and sys.version_info < (3, 11):
        # Before 3.11's new TLS layer in asyncio, a refused certificate through aiohttp-socks'
        # tunnel never reaches aiohttp: the handshake hangs until the connect timeout.
        # Verification holds all the same: nothing is sent.
        said += "|timed out"
        client = client.with_options(timeout=openaistream.Timeout(connect=1))
    with pytest.raises(openaistream.APIConnectionError, match=said):
        client.models.list()
    assert server.log == []
    client.close()
    assert f"localhost:{server.port}" in proxy.carried()  # the tunnel was made; TLS refused
    assert server.log == []


def test_the_environment_proxy_is_used_and_no_proxy_bypasses_it(
    tls: tuple[HTTPServer, Path], proxies: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, ca_file = tls
    proxy = proxies("http")
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    client = make_client(
        API_KEY, base_url=f"https://127.0.0.1:{server.port}/v1", ca_bundle=str(ca_file)
    )
    assert client.get_proxy() == proxy.url()
    assert streamed_text(client) == '"This is a test."'
    client.close()
    assert f"127.0.0.1:{server.port}" in proxy.carried()

    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    direct = make_client(
        API_KEY, base_url=f"https://127.0.0.1:{server.port}/v1", ca_bundle=str(ca_file)
    )
    assert direct.get_proxy() is None
    assert streamed_text(direct) == '"This is a test."'
    direct.close()
    assert proxy.carried().count(f"127.0.0.1:{server.port}") == 1
    assert len(server.log) == 2


def test_an_https_proxy_carries_the_blocking_client_and_the_async_one_refuses_it(
    tls: tuple[HTTPServer, Path], proxies: Any, make_client: Any, client_kind: str, tmp_path: Path
) -> None:
    """An https:// proxy (TLS to the proxy, then CONNECT, then TLS to the server) is taken by
    the urllib3 transport; the aiohttp transport declares http and socks proxies only, and
    the async client says so when it is built, naming the schemes it takes."""
    server, ca_file = tls
    proxy_ca = trustme.CA()
    proxy_ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(tmp_path / "proxy.pem")
    )
    bundle = tmp_path / "bundle.pem"  # trusts the server's CA and the proxy's
    bundle.write_bytes(ca_file.read_bytes() + proxy_ca.cert_pem.bytes())
    proxy = proxies("http+ssl", tls_file=tmp_path / "proxy.pem")
    url = proxy_url(proxy, "https", f"alice:{PROXY_PASSWORD}")
    if client_kind == "async":
        with pytest.raises(
            ValueError, match="proxy must start with one of http://, socks4://"
        ) as caught:
            client_for(make_client, server, bundle, url)
        assert "'https://***@127.0.0.1" in str(caught.value)
        assert PROXY_PASSWORD not in str(caught.value)
        assert server.log == []
        return
    client = client_for(make_client, server, bundle, url)
    assert streamed_text(client) == '"This is a test."'
    client.close()
    assert f"127.0.0.1:{server.port}" in proxy.carried()
