"""The API key and proxy passwords never show: a battery of calls, failures, recordings and
CLI runs at verbosity 3, with every log line, every error's str and repr, every cassette and
every CLI output swept for them. (conftest.py also sweeps every file the whole suite wrote.)
Each test runs on both clients (``make_client``: ``OpenAI`` and ``AsyncOpenAI``)."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.cli import cli
from openaistream.http import AsyncResponse
from tests.conftest import API_KEY, PROXY_PASSWORD
from tests.support import faults, recordings
from tests.support.plugins import install_plugin
from tests.support.proxies import free_port
from tests.support.servers import RawServer

SECRETS = (API_KEY, PROXY_PASSWORD)


def test_nothing_anywhere_shows_a_secret(
    httpserver: HTTPServer, tmp_path: Path, make_client: Any
) -> None:
    lines = io.StringIO()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(lines))
    seen: list[str] = []

    def failing(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except Exception as error:
            seen.extend(
                [str(error), repr(error), json.dumps(getattr(error, "body", None), default=str)]
            )
        else:
            raise AssertionError("expected a failure")

    echo = f"Incorrect API key provided: {API_KEY}"
    httpserver.expect_request("/v1/models").respond_with_json(
        {"error": {"message": echo}}, status=401
    )
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        recordings.body("chat_completions_stream/text_include_usage"),
        content_type="text/event-stream",
    )
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), verbosity=3, max_retries=0)
    list(client.chat.create([{"role": "user", "content": "hi"}], "gpt-4", stream=True))
    failing(client.models.list)
    seen.extend([repr(client), repr(client._config), client.get_api_key()])

    proxied = make_client(
        API_KEY, base_url=httpserver.url_for("/v1"), verbosity=3, max_retries=1,
        proxy=f"socks5h://user:{PROXY_PASSWORD}@127.0.0.1:{free_port()}",
    )  # fmt: skip
    failing(proxied.models.list)
    seen.extend([repr(proxied), str(proxied.get_proxy())])

    with RawServer(faults.part_then_reset(faults.events(2))) as server:
        cut = make_client(API_KEY, base_url=server.url + "/v1", verbosity=3, max_retries=0)
        failing(
            lambda: list(cut.chat.create([{"role": "user", "content": "hi"}], "m", stream=True))
        )
        cut.close()

    cassette = tmp_path / "sweep.json"
    recorder = make_client(
        API_KEY, base_url=httpserver.url_for("/v1"), transport="replay", cassette=str(cassette),
        record_mode="record", verbosity=3, organization="org-sweep",
    )  # fmt: skip
    list(recorder.chat.create([{"role": "user", "content": "hi"}], "gpt-4", stream=True))
    failing(recorder.models.list)  # the answer echoes the key: the cassette is refused

    # The command line is the blocking client's: run with either, its output is swept too.
    runner = CliRunner()
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    outputs = [
        runner.invoke(cli, [*base, "-vvv", "chat", "hi", "-m", "gpt-4"]),
        runner.invoke(cli, [*base, "-vvv", "models", "list"]),
        runner.invoke(
            cli,
            [
                *base,
                "--proxy",
                f"http://u:{PROXY_PASSWORD}@127.0.0.1:{free_port()}",
                "models",
                "list",
            ],
        ),
    ]
    seen.extend(result.output + repr(result.exception) for result in outputs)

    swept = "\n".join([lines.getvalue(), *seen, cassette.read_text() if cassette.exists() else ""])
    assert "http.request" in swept and "transport" in swept and "http.retry" in swept
    for secret in SECRETS:
        assert secret not in swept
    assert "sk-...CRET" in swept  # masked, the key is still recognisable


# -- values checked when they are set -------------------------------------------------------


FILE_KEY = "sk-from-a-file-0123456789"


def test_a_key_read_from_a_file_with_its_newline_simply_works(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_client: Any
) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text(FILE_KEY + "\n")  # not API_KEY: the suite sweeps its files for it
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    url = httpserver.url_for("/v1")
    with make_client(secret_file.read_text(), base_url=url, organization=" org-1\n") as c:
        c.models.list()
        c.set_api_key(f"  {API_KEY}\r\n")
        c.models.list()
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY + "\n")
    with make_client(base_url=url + "\n") as from_environment:
        from_environment.models.list()
    sent = [request.headers for request, _ in httpserver.log]
    assert [h["Authorization"] for h in sent] == [
        f"Bearer {FILE_KEY}",
        f"Bearer {API_KEY}",
        f"Bearer {API_KEY}",
    ]
    assert sent[0]["OpenAI-Organization"] == "org-1"


def _clean(error: BaseException) -> str:
    """Everything an exception shows or holds, down its chain."""
    shown = []
    link: BaseException | None = error
    while link is not None:
        shown += [str(link), repr(link), repr(link.args), repr(getattr(link, "__notes__", []))]
        link = link.__cause__ or link.__context__
    return "\n".join(shown)


BAD = {
    "newline inside": "sk-abc\ndef-SECRET",
    "non-Latin-1": "sk-abc\u2019def-SECRET",
    "escape": "sk-\x1b[0m-SECRET",
}


@pytest.mark.parametrize("bad", list(BAD.values()), ids=list(BAD))
@pytest.mark.parametrize(
    ("where", "named"),
    [
        ("api_key", "api_key"),
        ("organization", "organization"),
        ("project", "project"),
        ("base_url", "base_url"),
        ("OPENAI_API_KEY", "OPENAI_API_KEY"),
        ("OPENAI_PROJECT_ID", "OPENAI_PROJECT_ID"),
        ("set_api_key", "api_key"),
        ("headers", "'api-key'"),
    ],
)
def test_a_bad_value_is_refused_naming_it_and_never_showing_it(
    where: str, named: str, bad: str, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer,
    make_client: Any,
) -> None:  # fmt: skip
    url = httpserver.url_for("/v1")
    with pytest.raises(ValueError) as caught:
        if where.startswith("OPENAI_"):
            monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
            monkeypatch.setenv(where, bad)
            make_client(base_url=url)
        elif where == "set_api_key":
            make_client(API_KEY, base_url=url).set_api_key(bad)
        elif where == "headers":
            make_client(API_KEY, base_url=url).request("GET", "/models", headers={"api-key": bad})
        elif where == "base_url":
            make_client(API_KEY, base_url=url + "/" + bad)
        else:
            make_client(**{"api_key": API_KEY, "base_url": url, where: bad})
    assert named in str(caught.value)
    assert "SECRET" not in _clean(caught.value)
    assert httpserver.log == []


def test_a_header_a_hook_sets_is_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, make_client: Any
) -> None:
    install_plugin(tmp_path, monkeypatch, "azure_key", """
        import os
        import openaistream

        @openaistream.hookimpl
        def before_request(request):
            request.headers["api-key"] = os.environ["AZURE_KEY"]
    """)  # fmt: skip
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    monkeypatch.setenv("AZURE_KEY", "azure-SECRET-key\n")  # read from a file, newline and all
    with make_client(API_KEY, base_url=httpserver.url_for("/v1")) as client:
        client.models.list()
        assert httpserver.log[0][0].headers["api-key"] == "azure-SECRET-key"
        monkeypatch.setenv("AZURE_KEY", "azure-SECRET\x1bkey")
        with pytest.raises(ValueError, match=r"before_request.*'api-key'") as caught:
            client.models.list()
    assert "SECRET" not in _clean(caught.value)
    assert len(httpserver.log) == 1


# -- errors from the transport ----------------------------------------------------------------


class LeakyTransport:
    """A third-party transport (any object with send and close) whose errors quote the
    request: its headers in a ValueError, chained on an error that holds the key as bytes,
    with a note that holds it too."""

    def __init__(self, when: str) -> None:
        self.when = when

    def send(self, request: openaistream.Request) -> openaistream.Response:
        def fail() -> None:
            try:
                raise OSError(b"sent: " + request.headers["Authorization"].encode())
            except OSError as inner:
                error = ValueError(f"Invalid header value {request.headers!r}")
                if hasattr(error, "add_note"):
                    error.add_note(f"url={request.url}")
                raise error from inner

        if self.when == "send":
            fail()

        def body() -> Iterator[bytes]:
            yield b"{"
            fail()

        return openaistream.Response(200, {"content-type": "application/json"}, body())

    def close(self) -> None:
        pass


class AsyncLeakyTransport(LeakyTransport):
    """The same, for the async client: ``async send``, an async body, ``aclose``."""

    async def send(self, request: openaistream.Request) -> AsyncResponse:  # type: ignore[override]
        blocking = LeakyTransport.send(self, request)

        async def body() -> AsyncIterator[bytes]:
            for part in blocking:
                yield part

        return AsyncResponse(200, blocking.headers, body())

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("when", ["send", "body"])
def test_an_error_from_a_transport_object_never_holds_a_secret(
    when: str, make_client: Any, client_kind: str
) -> None:
    leaky = LeakyTransport if client_kind == "sync" else AsyncLeakyTransport
    client = make_client(
        API_KEY,
        base_url="http://127.0.0.1:9/v1?api-key=az-SECRET-9",
        transport=leaky(when),
    )
    client.set_api_key(API_KEY)
    # Raised by send, the transport's own error; from the body, the connection error it is.
    expected = ValueError if when == "send" else openaistream.APIConnectionError
    with pytest.raises(expected) as caught:
        client.request("POST", "/chat/completions", json={})
    shown = _clean(caught.value)
    assert "Invalid header value" in shown  # the error is still the transport's, and useful
    assert API_KEY not in shown and "az-SECRET-9" not in shown
