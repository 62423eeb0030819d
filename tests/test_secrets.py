"""The API key and proxy passwords never show: a battery of calls, failures, recordings and
CLI runs at verbosity 3, with every log line, every error's str and repr, every cassette and
every CLI output swept for them. (conftest.py also sweeps every file the whole suite wrote.)"""

from __future__ import annotations

import io
import json
from pathlib import Path

import structlog
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.cli import cli
from tests.conftest import API_KEY, PROXY_PASSWORD
from tests.support import faults, recordings
from tests.support.proxies import free_port
from tests.support.servers import RawServer

SECRETS = (API_KEY, PROXY_PASSWORD)


def test_nothing_anywhere_shows_a_secret(httpserver: HTTPServer, tmp_path: Path) -> None:
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
    client = openaistream.OpenAI(
        API_KEY, base_url=httpserver.url_for("/v1"), verbosity=3, max_retries=0
    )
    list(client.chat.create([{"role": "user", "content": "hi"}], "gpt-4", stream=True))
    failing(client.models.list)
    seen.extend([repr(client), repr(client._config), client.get_api_key()])

    proxied = openaistream.OpenAI(
        API_KEY, base_url=httpserver.url_for("/v1"), verbosity=3, max_retries=1,
        proxy=f"socks5h://user:{PROXY_PASSWORD}@127.0.0.1:{free_port()}",
    )  # fmt: skip
    failing(proxied.models.list)
    seen.extend([repr(proxied), str(proxied.get_proxy())])

    with RawServer(faults.part_then_reset(faults.events(2))) as server:
        cut = openaistream.OpenAI(API_KEY, base_url=server.url + "/v1", verbosity=3, max_retries=0)
        failing(
            lambda: list(cut.chat.create([{"role": "user", "content": "hi"}], "m", stream=True))
        )
        cut.close()

    cassette = tmp_path / "sweep.json"
    recorder = openaistream.OpenAI(
        API_KEY, base_url=httpserver.url_for("/v1"), transport="replay", cassette=str(cassette),
        record_mode="record", verbosity=3, organization="org-sweep",
    )  # fmt: skip
    list(recorder.chat.create([{"role": "user", "content": "hi"}], "gpt-4", stream=True))
    failing(recorder.models.list)  # the answer echoes the key: the cassette is refused

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
