# ruff: noqa: E501 - the tables read best one case to a line
"""Bad input is a clear error before any network, and the error names the argument."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY

MESSAGES = [{"role": "user", "content": "hi"}]
Call = Callable[[openaistream.OpenAI, Path], Any]

CALLS: list[tuple[str, Call, type[Exception], str]] = [
    ("messages not a list", lambda c, _: c.chat.create("hi", "gpt-4o"), TypeError, "messages"),
    ("a message not a dict", lambda c, _: c.chat.create(["hi"], "gpt-4o"), TypeError, r"messages\[0\]"),
    ("model not a string", lambda c, _: c.chat.create(MESSAGES, 4), TypeError, "model"),
    ("stream not a bool", lambda c, _: c.responses.create("m", "hi", stream="yes"), TypeError, "stream"),
    ("num not positive", lambda c, _: c.chat.create(MESSAGES, "m", stream=True, num=0), ValueError, "num"),
    ("an empty id", lambda c, _: c.files.retrieve(""), ValueError, "file_id"),
    ("an id not a string", lambda c, _: c.runs.retrieve("thread_1", 7), TypeError, "run_id"),
    ("an unknown resource", lambda c, _: c.shelves, AttributeError, "shelves"),
    ("a file that does not exist", lambda c, d: c.files.upload(d / "none.jsonl"), FileNotFoundError, "path"),
    ("a directory as upload path", lambda c, d: c.files.upload(d), IsADirectoryError, "path"),
    ("a missing image", lambda c, d: c.images.variation(d / "none.png"), FileNotFoundError, "image"),
    ("tool outputs not a list", lambda c, _: c.runs.submit_tool_outputs("t", "r", {}), TypeError, "tool_outputs"),
    ("a bad verbosity", lambda c, _: c.models.list(verbosity=9), ValueError, "verbosity"),
    ("a body that is not JSON", lambda c, _: c.chat.create(MESSAGES, "m", tags={1, 2}), TypeError, "not JSON"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "error", "names"), CALLS, ids=[c[0] for c in CALLS])
def test_bad_arguments(
    name: str, call: Call, error: type[Exception], names: str, httpserver: HTTPServer,
    client: Any, tmp_path: Path,
) -> None:  # fmt: skip
    with pytest.raises(error, match=names):
        call(client, tmp_path)
    assert httpserver.log == []


OPTIONS: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("an unknown plugin", {"plugins": ["chat", "nope"]}, openaistream.PluginError, "plugins"),
    ("an unknown transport", {"transport": "pigeon"}, openaistream.PluginError, "transport"),
    ("a malformed base URL", {"base_url": "api.openai.com/v1"}, ValueError, "base_url"),
    ("a base URL of another scheme", {"base_url": "ftp://x/v1"}, ValueError, "base_url"),
    ("a malformed proxy URL", {"proxy": "http://proxy:notaport"}, ValueError, "proxy"),
    ("an unknown proxy scheme", {"proxy": "gopher://proxy:70"}, ValueError, "proxy"),
    ("a negative timeout", {"timeout": -1}, ValueError, "timeout"),
    ("a bad total timeout", {"timeout": openaistream.Timeout}, ValueError, "timeout"),
    ("a bad record mode", {"transport": "replay", "cassette": "x.json", "record_mode": "sometimes"}, ValueError, "record_mode"),
    ("a replay with no cassette", {"transport": "replay"}, ValueError, "cassette"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "options", "error", "names"), OPTIONS, ids=[o[0] for o in OPTIONS]
)
def test_bad_client_options(
    name: str, options: dict[str, Any], error: type[Exception], names: str, make_client: Any
) -> None:
    with pytest.raises(error, match=names):
        make_client(API_KEY, **options)


# The network transport of each kind of client, and a proxy scheme it does not take.
TAKES_NO = {"sync": ("urllib3", "socks5://p:1"), "async": ("aiohttp", "https://p:1")}


def test_a_proxy_the_named_transport_cannot_take(make_client: Any, client_kind: str) -> None:
    transport, proxy = TAKES_NO[client_kind]
    with pytest.raises(ValueError, match=proxy.partition(":")[0] + "://"):
        make_client(API_KEY, transport=transport, proxy=proxy)


@pytest.mark.parametrize(("name", "call", "error", "names"), CALLS, ids=[c[0] for c in CALLS])
def test_on_the_async_client_bad_arguments_raise_when_the_method_is_called(
    name: str, call: Call, error: type[Exception], names: str, httpserver: HTTPServer,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Not when what it returned is awaited: the mistake shows on the line that made it,
    even when the awaitable is handed on (to gather, to a task) or never awaited."""

    async def main() -> None:
        async with openaistream.AsyncOpenAI(
            API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0
        ) as client:
            with pytest.raises(error, match=names):
                call(client, tmp_path)  # type: ignore[arg-type] - no await

    asyncio.run(main())
    assert httpserver.log == []


def test_a_bad_total_timeout_value() -> None:
    with pytest.raises(ValueError, match="timeout total"):
        openaistream.Timeout(total=0)
