# ruff: noqa: E501 - tables of cases read best one to a line
"""The client's configuration: arguments, environment, defaults, the R methods, and the
headers every request carries."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream import OpenAIError
from openaistream.http import AsyncResponse
from tests.conftest import API_KEY, BUILTIN_RESOURCES
from tests.support.proxies import Pproxy


def test_a_missing_key_names_the_environment_variable_before_any_network(
    httpserver: HTTPServer,
    make_client: Any,
) -> None:
    with pytest.raises(OpenAIError, match="OPENAI_API_KEY"):
        make_client(base_url=httpserver.url_for("/v1"))
    assert httpserver.log == []


def test_key_and_base_url_come_from_the_environment(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver.url_for("/v1/"))
    httpserver.expect_oneshot_request("/v1/models").respond_with_json({"data": []})
    with make_client() as client:
        assert client.models.list() == {"data": []}
        assert client.base_url == httpserver.url_for("/v1")
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer sk-from-the-environment-0000"


def test_arguments_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, make_client: Any
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    client = make_client("sk-argument-1111111111", base_url="http://localhost:1/v1")
    assert client.get_api_key() == "sk-...1111"
    assert client.base_url == "http://localhost:1/v1"


def test_the_default_base_url(make_client: Any) -> None:
    assert make_client(API_KEY).base_url == "https://api.openai.com/v1"


def test_organization_project_and_user_agent_headers(
    httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_oneshot_request("/v1/models").respond_with_json({"data": []})
    with make_client(
        API_KEY, base_url=httpserver.url_for("/v1"), organization="org-1", project="proj_2"
    ) as client:
        client.models.list()
    headers = httpserver.log[0][0].headers
    assert headers["OpenAI-Organization"] == "org-1"
    assert headers["OpenAI-Project"] == "proj_2"
    assert headers["User-Agent"] == f"openaistream/{openaistream.__version__}"


def test_organization_and_project_are_not_sent_when_unset(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    httpserver.expect_oneshot_request("/v1/models").respond_with_json({"data": []})
    client.models.list()
    headers = httpserver.log[0][0].headers
    assert "OpenAI-Organization" not in headers
    assert "OpenAI-Project" not in headers


def test_set_api_key_changes_the_key_sent(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    client.set_api_key("sk-another-key-99998888")
    client.models.list()
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer sk-another-key-99998888"
    assert client.get_api_key() == "sk-...8888"
    with pytest.raises(ValueError, match="api_key"):
        client.set_api_key("")


def test_get_api_key_is_masked(make_client: Any) -> None:
    client = make_client(API_KEY)
    assert client.get_api_key() == "sk-...CRET"
    assert API_KEY not in repr(client)
    assert API_KEY not in repr(client._config)


def test_set_proxy_and_get_proxy(make_client: Any) -> None:
    client = make_client(API_KEY)
    assert client.get_proxy() is None
    client.set_proxy("127.0.0.1", 3128)
    assert client.get_proxy() == "http://127.0.0.1:3128"
    client.set_proxy("::1", "8080")
    assert client.get_proxy() == "http://[::1]:8080"
    with pytest.raises(ValueError, match="proxy_port"):
        client.set_proxy("127.0.0.1", 70000)
    with pytest.raises(ValueError, match="proxy_ip"):
        client.set_proxy("", 8080)


def test_a_proxy_password_is_masked_in_get_proxy(make_client: Any) -> None:
    client = make_client(API_KEY, proxy="http://user:hunter2@127.0.0.1:3128")
    assert client.get_proxy() == "http://user:***@127.0.0.1:3128"


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"base_url": "api.openai.com/v1"}, "base_url"),
        ({"base_url": "ftp://example/v1"}, "base_url"),
        ({"proxy": "127.0.0.1:3128"}, "proxy"),
        ({"proxy": "gopher://127.0.0.1:70"}, "proxy"),
        ({"proxy": "http://127.0.0.1"}, "proxy"),
        ({"proxy": "http://127.0.0.1:notaport"}, "proxy"),
        ({"timeout": -1}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": "3"}, "max_retries"),
        ({"verbosity": 4}, "verbosity"),
        ({"organization": 12}, "organization"),
        ({"transport": "carrier-pigeon"}, "transport"),
        ({"transport": 42}, "transport"),
        ({"plugins": ["chat", "nonexistent"]}, "plugins"),
    ],
)
def test_bad_options_are_clear_errors_at_construction(
    options: dict[str, object],
    names: str,
    make_client: Any,
) -> None:
    with pytest.raises((TypeError, ValueError, OpenAIError), match=names):
        make_client(API_KEY, **options)  # type: ignore[arg-type]


def test_a_bad_proxy_url_does_not_show_its_password(make_client: Any) -> None:
    with pytest.raises(ValueError) as caught:
        make_client(API_KEY, proxy="gopher://user:hunter2@127.0.0.1:70")
    assert "hunter2" not in str(caught.value)


def test_get_api_endpoints_lists_each_resource(make_client: Any) -> None:
    client = make_client(API_KEY, base_url="http://127.0.0.1:8000/v1")
    endpoints = client.get_api_endpoints()
    assert sorted(endpoints) == BUILTIN_RESOURCES
    assert endpoints["chat"] == "http://127.0.0.1:8000/v1/chat/completions"
    assert endpoints["models"] == "http://127.0.0.1:8000/v1/models"
    assert endpoints["files"] == "http://127.0.0.1:8000/v1/files"


def test_an_unknown_resource_names_the_ones_there_are(make_client: Any) -> None:
    client = make_client(API_KEY)
    with pytest.raises(AttributeError, match=f"resources: {', '.join(BUILTIN_RESOURCES)}"):
        client.shelves  # noqa: B018
    assert set(BUILTIN_RESOURCES) <= set(dir(client))


def test_close_closes_pooled_connections(httpserver: HTTPServer, make_client: Any) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"))
    client.models.list()
    client.close()
    # A closed client can still be used: it opens new connections.
    assert client.models.list() == {"data": []}
    client.close()


WATCHED = ("urllib3", "pluggy", "socks", "structlog", "click", "openaistream.plugins.chat",
           "openaistream.multipart", "mimetypes", "asyncio", "aiohttp")  # fmt: skip


def loaded_after(statement: str) -> list[str]:
    """The watched modules a fresh interpreter has loaded after running ``statement``."""
    import subprocess
    import sys

    code = f"import sys, openaistream; {statement}; print([m for m in {WATCHED!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(result.stdout))


def test_importing_loads_no_plugin_http_or_logging_library() -> None:
    assert loaded_after("pass") == []


def test_the_lazy_names_load_when_first_asked_for() -> None:
    assert loaded_after("openaistream.Multipart") == ["openaistream.multipart", "mimetypes"]
    assert loaded_after("openaistream.hookimpl") == ["pluggy"]


def test_the_async_client_loads_asyncio_when_asked_for_and_aiohttp_when_built() -> None:
    assert loaded_after("openaistream.AsyncOpenAI") == ["asyncio"]
    assert {"asyncio", "aiohttp"} <= set(loaded_after("openaistream.AsyncOpenAI('sk-x')"))
    # The blocking client loads neither.
    assert not {"asyncio", "aiohttp"} & set(loaded_after("openaistream.OpenAI('sk-x').chat"))


@pytest.mark.parametrize(
    ("environ", "base_url", "expected"),
    [
        ({"HTTPS_PROXY": "http://p:1"}, "https://api.openai.com/v1", "http://p:1"),
        ({"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1"}, "https://a.b/v1", "http://lower:1"),
        ({"HTTP_PROXY": "http://p:1"}, "https://api.openai.com/v1", None),
        ({"HTTP_PROXY": "http://p:1"}, "http://127.0.0.1:8000/v1", "http://p:1"),
        ({"ALL_PROXY": "socks5h://p:1080"}, "https://api.openai.com/v1", "socks5h://p:1080"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "openai.com"}, "https://api.openai.com/v1", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".openai.com"}, "https://api.openai.com/v1", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, "https://api.openai.com/v1", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "myopenai.com"}, "https://api.openai.com/v1", "http://p:1"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "127.0.0.1:9"}, "http://127.0.0.1:8000/v1", "http://p:1"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "127.0.0.1:8000"}, "http://127.0.0.1:8000/v1", None),
    ],
)  # fmt: skip
def test_proxies_from_the_environment(
    environ: dict[str, str], base_url: str, expected: Optional[str]
) -> None:
    from openaistream.config import environment_proxy

    assert environment_proxy(base_url, environ) == expected


def test_an_explicit_proxy_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, make_client: Any
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://from-env:3128")
    assert make_client(API_KEY).get_proxy() == "http://from-env:3128"
    assert make_client(API_KEY, proxy="http://mine:8080").get_proxy() == "http://mine:8080"
    monkeypatch.setenv("HTTPS_PROXY", "ftp://bad:1")
    with pytest.raises(ValueError, match="proxy"):
        make_client(API_KEY, proxy="ftp://bad:1")


def test_a_ca_bundle_that_does_not_exist_fails_at_construction(
    tmp_path: Path, make_client: Any
) -> None:
    with pytest.raises(FileNotFoundError, match="ca_bundle"):
        make_client(API_KEY, ca_bundle=str(tmp_path / "none.pem"))


# The blocking client's imports (the async client's: the test above).
def test_building_a_client_loads_plugins_but_not_urllib3_or_structlog() -> None:
    # The resource plugins that upload (files, audio, images) bring the multipart module.
    assert loaded_after("openaistream.OpenAI('sk-test-0000000000000000')") == [
        "pluggy",
        "openaistream.plugins.chat",
        "openaistream.multipart",
        "mimetypes",
    ]


# -- issue 12 -----------------------------------------------------------------------------


def test_help_and_dir_list_the_built_in_resources(make_client: Any, client_kind: str) -> None:
    import pydoc

    from openaistream.registry import get_registry

    cls = openaistream.OpenAI if client_kind == "sync" else openaistream.AsyncOpenAI
    shown = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    listed = sorted(re.findall(r"^\s*- `(\w+)`:", cls.__doc__ or "", re.M))
    assert listed == sorted(get_registry().resource_classes()) == BUILTIN_RESOURCES
    for name in BUILTIN_RESOURCES:
        assert f"`{name}`" in shown
    assert set(BUILTIN_RESOURCES) <= set(dir(make_client(API_KEY)))


def test_a_base_url_with_a_query_keeps_it_on_every_request(
    httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_request("/openai/models").respond_with_json({"data": []})
    base = httpserver.url_for("/openai/") + "?api-version=2024-10-21"
    with make_client(API_KEY, base_url=base) as client:
        client.models.list()
        client.request("GET", "/models", params={"limit": 2})
        assert (
            client.get_api_endpoints()["models"]
            == httpserver.url_for("/openai/models") + "?api-version=2024-10-21"
        )
    queries = [request.query_string.decode() for request, _ in httpserver.log]
    assert queries == ["api-version=2024-10-21", "api-version=2024-10-21&limit=2"]


def test_a_base_url_with_user_info_is_refused_without_showing_the_password(
    make_client: Any,
) -> None:
    with pytest.raises(
        ValueError, match="base_url must not hold a user name or password"
    ) as caught:
        make_client(API_KEY, base_url="https://user:hunter2@gw.example/v1")
    assert "hunter2" not in str(caught.value) and "gw.example" in str(caught.value)


def test_socks_in_the_environment_means_socks5h(
    monkeypatch: pytest.MonkeyPatch, make_client: Any
) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks://127.0.0.1:1080/")
    client = make_client(API_KEY)
    assert client.get_proxy() == "socks5h://127.0.0.1:1080/"
    assert (
        make_client(API_KEY, proxy="socks://127.0.0.1:1080").get_proxy()
        == "socks5h://127.0.0.1:1080"
    )


@pytest.mark.parametrize(
    "value",
    [
        "ftp://user:hunter2@proxy:21",
        "http://user:hunter2@proxy:notaport",
        "user:hunter2@proxy:3128",
    ],
)
def test_an_unusable_environment_proxy_fails_the_call_not_the_client(
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
    value: str,
    make_client: Any,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", value)
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"))  # no error here
    with pytest.raises(openaistream.APIConnectionError, match="HTTP_PROXY") as caught:
        client.models.list()
    assert "hunter2" not in str(caught.value)
    assert httpserver.log == []
    # Calls that do not use it still work: a client replaying a cassette, a proxy set later.
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert make_client(API_KEY, base_url=httpserver.url_for("/v1")).models.list() == {"data": []}


def pproxy_http(tmp_path: Path, name: str) -> Pproxy:
    return Pproxy("http", tmp_path / f"{name}.log")


def test_set_proxy_on_a_derived_client_moves_the_parent_too(
    httpserver: HTTPServer,
    tmp_path: Path,
    make_client: Any,
) -> None:
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    proxy = pproxy_http(tmp_path, "one")
    try:
        parent = make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)
        parent.models.list()  # a pooled direct connection
        child = parent.with_options(timeout=30)
        child.set_proxy("127.0.0.1", proxy.port)
        assert parent.get_proxy() == child.get_proxy() == f"http://127.0.0.1:{proxy.port}"
        parent.models.list()
        child.models.list()
        parent.close()
    finally:
        proxy.stop()
    assert proxy.carried().count(f":{httpserver.port}") == 2
    assert len(httpserver.log) == 3


# Threads share the blocking client; an async client is shared by tasks of one loop (its
# set_proxy under way calls: tests/core/test_aclient.py).
def test_threads_on_the_parent_survive_set_proxy_on_a_clone(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    import threading

    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: [DONE]\n\n', content_type="text/event-stream"
    )
    proxies = [pproxy_http(tmp_path, "a"), pproxy_http(tmp_path, "b")]
    failures: list[BaseException] = []
    parent = openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)
    clone = parent.with_options(verbosity=0)

    def use_parent() -> None:
        for _ in range(15):
            try:
                assert list(
                    parent.chat.create([{"role": "user", "content": "hi"}], "m", stream=True)
                ) == [{"n": 1}, {"n": 2}]
            except BaseException as exc:  # collected, checked below
                failures.append(exc)

    try:
        threads = [threading.Thread(target=use_parent) for _ in range(3)]
        for thread in threads:
            thread.start()
        for turn in range(10):
            clone.set_proxy("127.0.0.1", proxies[turn % 2].port)
        for thread in threads:
            thread.join(30)
        assert parent.get_proxy() == f"http://127.0.0.1:{proxies[1].port}"
        parent.close()
    finally:
        for proxy in proxies:
            proxy.stop()
    assert failures == []
    assert len(httpserver.log) == 45


class _FailingBodyTransport:
    """A third-party transport (any object with send and close) whose body raises its own
    ValueError after two events, as a library it wraps might."""

    def send(self, request: openaistream.Request) -> openaistream.Response:
        def body() -> Iterator[bytes]:
            yield b'data: {"n": 1}\n\ndata: {"n": 2}\n\n'
            raise ValueError("the wrapped library gave up")

        return openaistream.Response(200, {"content-type": "text/event-stream"}, body())

    def close(self) -> None:
        pass


class _AsyncFailingBodyTransport:
    """The same for the async client: async send and aclose."""

    async def send(self, request: openaistream.Request) -> AsyncResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b'data: {"n": 1}\n\ndata: {"n": 2}\n\n'
            raise ValueError("the wrapped library gave up")

        return AsyncResponse(200, {"content-type": "text/event-stream"}, body())

    async def aclose(self) -> None:
        pass


def test_a_transports_own_error_mid_stream_keeps_what_was_received(
    make_client: Any, client_kind: str
) -> None:
    """Not taken for bad data by the decoder ("not valid JSON"), and not a bare ValueError
    that loses the events: a StreamError with them, naming the transport's error."""
    failing = _FailingBodyTransport() if client_kind == "sync" else _AsyncFailingBodyTransport()
    client = make_client(API_KEY, transport=failing)
    stream = client.chat.create([{"role": "user", "content": "hi"}], "gpt-4o", stream=True)
    with pytest.raises(openaistream.StreamError, match="ValueError: the wrapped library") as e:
        list(stream)
    assert e.value.received == [{"n": 1}, {"n": 2}]
    assert "JSON" not in str(e.value)


class MemoryTransport:
    """A transport of one's own (openai-python's ``http_client=``): answers every call from
    memory, keeping what it was sent."""

    def __init__(self) -> None:
        self.sent: list[openaistream.Request] = []

    def send(self, request: openaistream.Request) -> openaistream.Response:
        self.sent.append(request)
        return openaistream.Response(200, {"Content-Type": "application/json"}, [b'{"data": []}'])

    def close(self) -> None:
        pass


class AsyncMemoryTransport(MemoryTransport):
    async def send(self, request: openaistream.Request) -> AsyncResponse:  # type: ignore[override]
        self.sent.append(request)

        async def body() -> AsyncIterator[bytes]:
            yield b'{"data": []}'

        return AsyncResponse(200, {"Content-Type": "application/json"}, body())

    async def aclose(self) -> None:
        pass


def test_a_transport_object_of_ones_own_carries_every_call(
    make_client: Any, client_kind: str
) -> None:
    transport = MemoryTransport() if client_kind == "sync" else AsyncMemoryTransport()
    client = make_client(API_KEY, base_url="http://127.0.0.1:9/v1", transport=transport)

    assert client.models.list(extra_headers={"X-Trace": "m-1"}) == {"data": []}

    (request,) = transport.sent
    assert (request.method, request.url) == ("GET", "http://127.0.0.1:9/v1/models")
    assert request.headers["X-Trace"] == "m-1"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
