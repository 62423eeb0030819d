"""One test for each hook: a plugin that implements only that hook, installed as a
third-party plugin is, and what it does seen from outside (tests/test_docs.py checks every
hook spec has its test here, named test_hook_<hook>)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import APIStatusError
from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.plugins import install_plugin


def client_for(make_client: Any, httpserver: HTTPServer, **options: object) -> Any:
    """A client of the test's kind (OpenAI or AsyncOpenAI): every hook works the same on both."""
    return make_client(API_KEY, base_url=httpserver.url_for("/v1"), **options)


def test_hook_register_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, make_client: Any
) -> None:
    install_plugin(tmp_path, monkeypatch, "vllm", """
        import openaistream

        class Shelves(openaistream.Resource):
            endpoint = "/shelves"

            def list(self, *, verbosity=None, **params):
                return self.client.request("GET", "/shelves", params=params)

        @openaistream.hookimpl
        def register_resources(register):
            register("shelves", Shelves)
    """)  # fmt: skip
    httpserver.expect_request("/v1/shelves", query_string="limit=2").respond_with_json(
        {"object": "list", "data": [{"id": "shelf_1"}]}
    )
    with client_for(make_client, httpserver) as client:
        assert client.shelves.list(limit=2)["data"] == [{"id": "shelf_1"}]
        assert "shelves" in client.resources


def test_hook_register_transports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, make_client: Any
) -> None:
    install_plugin(tmp_path, monkeypatch, "team", """
        import openaistream

        class HeaderTransport:
            def __init__(self, options):
                self.inner = options.network()

            def send(self, request):
                request.headers["X-Team"] = "search"
                return self.inner.send(request)

            def close(self):
                self.inner.close()

        class AsyncHeaderTransport(HeaderTransport):
            async def send(self, request):
                request.headers["X-Team"] = "search"
                return await self.inner.send(request)

            async def aclose(self):
                await self.inner.aclose()

        @openaistream.hookimpl
        def register_transports(register):
            register("team_header", HeaderTransport, serves="sync", wraps=True)
            register("team_header", AsyncHeaderTransport, serves="async", wraps=True)
    """)  # fmt: skip
    httpserver.expect_request("/v1/models", headers={"X-Team": "search"}).respond_with_json(
        {"data": []}
    )
    with client_for(make_client, httpserver, transport="team_header") as client:
        assert client.models.list() == {"data": []}
    # The default transport adds nothing, so the server does not answer it.
    with client_for(make_client, httpserver, max_retries=0) as other, pytest.raises(APIStatusError):
        other.models.list()


def test_hook_register_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(tmp_path, monkeypatch, "whoami", """
        import openaistream

        @openaistream.hookimpl
        def register_commands(cli):
            import click

            @cli.command()
            @click.pass_obj
            def whoami(state):
                click.echo(state.client().get_api_key())
    """)  # fmt: skip
    result = CliRunner().invoke(cli, ["--api-key", API_KEY, "whoami"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == openaistream.OpenAI(API_KEY).get_api_key()
    assert API_KEY not in result.output


def test_hook_before_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, make_client: Any
) -> None:
    module = install_plugin(tmp_path, monkeypatch, "azure", """
        import openaistream

        sent = []

        @openaistream.hookimpl
        def before_request(request):
            request.headers["api-key"] = "azure-style-key"
            request.url += "?api-version=2024-10-21"
            sent.append(request.url)
    """)  # fmt: skip
    expected = {"query_string": "api-version=2024-10-21", "headers": {"api-key": "azure-style-key"}}
    httpserver.expect_oneshot_request("/v1/models", **expected).respond_with_json({}, status=503)
    httpserver.expect_oneshot_request("/v1/models", **expected).respond_with_json({"data": []})
    retries = openaistream.RetryPolicy(max_retries=1, backoff=0.01)
    with client_for(make_client, httpserver, max_retries=retries) as client:
        assert client.models.list() == {"data": []}
    # Once an attempt: each starts from the request as built, not from the last attempt's.
    sent = importlib.import_module(module).sent
    assert sent == [httpserver.url_for("/v1/models") + "?api-version=2024-10-21"] * 2


def test_hook_after_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, make_client: Any
) -> None:
    module = install_plugin(tmp_path, monkeypatch, "metrics", """
        import openaistream

        seen = []

        @openaistream.hookimpl
        def after_response(request, response):
            seen.append((request.method, response.status, response.headers.get("x-request-id")))
    """)  # fmt: skip
    body = b'data: {"n": 1}\n\ndata: [DONE]\n\n'
    httpserver.expect_oneshot_request("/v1/chat/completions").respond_with_data("busy", status=503)
    httpserver.expect_oneshot_request("/v1/chat/completions").respond_with_data(
        body, content_type="text/event-stream", headers={"x-request-id": "req_7"}
    )
    seen = importlib.import_module(module).seen
    retries = openaistream.RetryPolicy(max_retries=1, backoff=0.01)
    with client_for(make_client, httpserver, max_retries=retries) as client:
        messages = [{"role": "user", "content": "hi"}]
        stream = client.chat.create(messages, "gpt-4o", stream=True)
        # Both attempts are seen as soon as their headers are in: no event is read yet.
        assert seen == [("POST", 503, None), ("POST", 200, "req_7")]
        assert stream.get_state() == "open"
        assert list(stream) == [{"n": 1}]


def test_an_after_response_hook_that_raises_lets_the_connection_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_client: Any
) -> None:
    """The hook's error is the call's answer; the response it saw is closed then, so its
    connection is dropped at once rather than left open until garbage collection."""
    import threading
    import time

    from tests.support.servers import Conn, RawServer, chunk, head

    install_plugin(tmp_path, monkeypatch, "strict", """
        import openaistream

        @openaistream.hookimpl
        def after_response(request, response):
            raise RuntimeError("refused by policy")
    """)  # fmt: skip
    hung_up = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200) + chunk(b'data: {"n": 1}\n\n'))
        started = time.monotonic()
        if conn.sock.recv(1) == b"" and time.monotonic() - started < 3:  # recv waits up to 5 s
            hung_up.set()

    with (
        RawServer(handler) as server,
        make_client(API_KEY, base_url=server.url + "/v1", max_retries=0) as client,
    ):
        with pytest.raises(RuntimeError, match="refused by policy"):
            client.chat.create([{"role": "user", "content": "hi"}], "gpt-4o", stream=True)
        assert hung_up.wait(3)
