"""Plugins: third-party resources, transports and middleware through real entry points, the
choice of plugins, the load and block variables, and the failures a user can meet."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from structlog.testing import capture_logs

import openaistream
from openaistream import PluginError
from openaistream.registry import get_registry
from tests.conftest import API_KEY, BUILTIN_RESOURCES, BUILTIN_TRANSPORTS
from tests.support.plugins import install_plugin

ECHO_PLUGIN = """
    import json
    import openaistream


    class Echo(openaistream.Resource):
        endpoint = "/echo"

        def say(self, text, *, verbosity=None):
            body = {"text": text}
            return self.client.request("POST", "/echo", json=body, verbosity=verbosity)

        def say_twice(self, text):
            '''Two calls, the second built from the first's answer: one method for both
            clients, its steps carried out by the client (awaited on AsyncOpenAI).'''

            def steps():
                first = yield self.say(text)
                second = yield self.say(first["echo"]["text"] * 2)
                return second["echo"]["text"]

            return self.run(steps())


    class MemoryTransport:
        '''Answers every request itself, echoing the JSON body back: no network at all.'''

        def __init__(self, options):
            self.options = options
            self.sent = []

        def send(self, request):
            self.sent.append(request)
            body = json.dumps({"echo": json.loads(request.body or b"null"), "url": request.url})
            return openaistream.Response(
                200, {"Content-Type": "application/json"}, [body.encode()]
            )

        def close(self):
            pass


    class AsyncMemoryTransport(MemoryTransport):
        '''The same for the async client.'''

        async def send(self, request):
            from openaistream.http import AsyncResponse

            answer = MemoryTransport.send(self, request)

            async def chunks():
                yield answer.read()

            return AsyncResponse(answer.status, answer.headers, chunks())

        async def aclose(self):
            pass


    @openaistream.hookimpl
    def register_resources(register):
        register("echo", Echo)


    @openaistream.hookimpl
    def register_transports(register):
        register("memory", MemoryTransport, serves="sync")
        register("memory", AsyncMemoryTransport, serves="async")
"""


@pytest.fixture
def echo_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return install_plugin(tmp_path, monkeypatch, "echo", ECHO_PLUGIN)


def test_a_third_party_plugin_adds_a_resource_and_a_transport(
    echo_plugin: str, make_client: Any
) -> None:
    with make_client(API_KEY, transport="memory", base_url="http://127.0.0.1:9/v1") as client:
        answer = client.echo.say("hello")
        assert answer == {"echo": {"text": "hello"}, "url": "http://127.0.0.1:9/v1/echo"}
        (request,) = client._transport.sent
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"
        assert client.get_api_endpoints()["echo"] == "http://127.0.0.1:9/v1/echo"
    info = get_registry().plugins["echo"]
    assert not info.builtin
    assert info.distribution == echo_plugin
    assert info.version == "1.0"
    assert info.hooks == ("register_resources", "register_transports")


def test_a_third_party_resource_over_the_default_transport(
    echo_plugin: str,
    httpserver: HTTPServer,
    make_client: Any,
) -> None:
    httpserver.expect_oneshot_request("/v1/echo", json={"text": "hi"}).respond_with_json({"ok": 1})
    with make_client(API_KEY, base_url=httpserver.url_for("/v1")) as client:
        assert client.echo.say("hi") == {"ok": 1}


def test_a_third_party_method_of_several_calls_runs_on_either_client(
    echo_plugin: str, make_client: Any
) -> None:
    with make_client(API_KEY, transport="memory", base_url="http://127.0.0.1:9/v1") as client:
        assert client.echo.say_twice("ab") == "abab"
        sent = [json.loads(request.body) for request in client._transport.sent]
    assert sent == [{"text": "ab"}, {"text": "abab"}]


def test_one_resource_class_serves_both_clients(echo_plugin: str) -> None:
    """The plugin wrote one class, knowing neither client: OpenAI answers, AsyncOpenAI
    answers an awaitable of the same."""

    async def main() -> None:
        with openaistream.OpenAI(API_KEY, transport="memory") as blocking:
            async with openaistream.AsyncOpenAI(API_KEY, transport="memory") as awaiting:
                assert type(awaiting.echo) is type(blocking.echo)
                pending = awaiting.echo.say("hi")
                assert inspect.isawaitable(pending)
                assert await pending == blocking.echo.say("hi")

    asyncio.run(main())


def test_plugins_argument_attaches_only_the_named_resource_plugins(
    echo_plugin: str, make_client: Any
) -> None:
    client = make_client(API_KEY, plugins=["chat", "echo"])
    assert sorted(client.resources) == ["chat", "echo"]
    with pytest.raises(AttributeError, match="resources: chat, echo"):
        client.models  # noqa: B018
    assert sorted(make_client(API_KEY, plugins=[]).resources) == []


def test_an_unknown_plugin_name_lists_the_available_ones(
    echo_plugin: str, make_client: Any
) -> None:
    with pytest.raises(PluginError) as caught:
        make_client(API_KEY, plugins=["chat", "shelves"])
    assert "'shelves'" in str(caught.value)
    available = ", ".join(sorted([*BUILTIN_RESOURCES, *BUILTIN_TRANSPORTS, "echo"]))
    assert f"available: {available}" in str(caught.value)


def test_block_plugins_blocks_third_party_and_built_in_ones(
    echo_plugin: str,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    monkeypatch.setenv("OPENAISTREAM_BLOCK_PLUGINS", "echo, models")
    client = make_client(API_KEY)
    rest = [name for name in BUILTIN_RESOURCES if name != "models"]
    assert sorted(client.resources) == rest
    assert sorted(get_registry().plugins) == sorted([*rest, *BUILTIN_TRANSPORTS])


def test_load_plugins_empty_loads_no_third_party_plugin(
    echo_plugin: str,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    monkeypatch.setenv("OPENAISTREAM_LOAD_PLUGINS", "")
    assert sorted(make_client(API_KEY).resources) == BUILTIN_RESOURCES


def test_load_plugins_names_third_party_and_built_in_resources(
    echo_plugin: str,
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
    make_client: Any,
) -> None:
    monkeypatch.setenv("OPENAISTREAM_LOAD_PLUGINS", "echo,models")
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"))
    assert sorted(client.resources) == ["echo", "models"]
    # The built-in transport still loads: a client needs one.
    httpserver.expect_oneshot_request("/v1/models").respond_with_json({"data": []})
    assert client.models.list() == {"data": []}
    client.close()


@pytest.mark.parametrize("variable", ["OPENAISTREAM_LOAD_PLUGINS", "OPENAISTREAM_BLOCK_PLUGINS"])
def test_an_unknown_name_in_the_variables_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    make_client: Any,
) -> None:
    monkeypatch.setenv(variable, "chat,nope")
    available = ", ".join(sorted([*BUILTIN_RESOURCES, *BUILTIN_TRANSPORTS]))
    with pytest.raises(PluginError) as caught:
        make_client(API_KEY)
    assert str(caught.value) == f"{variable}: unknown name 'nope'; available: {available}"


BROKEN = """
    import this_module_does_not_exist
"""


def test_a_plugin_that_fails_to_import_is_skipped_with_a_warning(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    install_plugin(tmp_path, monkeypatch, "broken", BROKEN)
    with capture_logs() as logs:
        client = make_client(API_KEY)
    assert sorted(client.resources) == BUILTIN_RESOURCES
    (warning,) = logs
    assert warning["log_level"] == "warning"
    assert warning["plugin"] == "broken"
    assert "this_module_does_not_exist" in warning["error"]


def test_strict_plugins_makes_a_broken_plugin_an_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    install_plugin(tmp_path, monkeypatch, "broken", BROKEN)
    monkeypatch.setenv("OPENAISTREAM_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"plugin 'broken'.*this_module_does_not_exist"):
        make_client(API_KEY)


CLASH = """
    import openaistream

    class MyChat(openaistream.Resource):
        pass

    @openaistream.hookimpl
    def register_resources(register):
        register("chat", MyChat)
"""


def test_two_plugins_registering_one_name_is_an_error_naming_both(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    install_plugin(tmp_path, monkeypatch, "mychat", CLASH)
    with pytest.raises(PluginError) as caught:
        make_client(API_KEY)
    assert "'chat' is registered by two plugins" in str(caught.value)
    assert "'chat'" in str(caught.value) and "'mychat'" in str(caught.value)


def test_a_clash_goes_away_when_one_plugin_is_blocked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    install_plugin(tmp_path, monkeypatch, "mychat", CLASH)
    monkeypatch.setenv("OPENAISTREAM_BLOCK_PLUGINS", "chat")
    client = make_client(API_KEY)
    assert repr(client.chat).startswith("<MyChat resource at ")


def test_plugins_load_once_per_process(echo_plugin: str, make_client: Any) -> None:
    first = make_client(API_KEY)
    second = make_client(API_KEY)
    assert first._registry is second._registry


def test_a_resource_name_that_shadows_a_client_method_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    install_plugin(
        tmp_path,
        monkeypatch,
        "shadow",
        """
        import openaistream

        @openaistream.hookimpl
        def register_resources(register):
            register("close", openaistream.Resource)
        """,
    )
    with pytest.raises(PluginError, match="clash with client attributes: close"):
        make_client(API_KEY)


COMMANDS = """
    import click
    import openaistream

    @openaistream.hookimpl
    def register_commands(cli):
        @cli.command()
        @click.argument("name")
        def greet(name):
            click.echo(f"hello {name}")
"""


def test_a_plugin_adds_cli_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click
    from click.testing import CliRunner

    install_plugin(tmp_path, monkeypatch, "greeter", COMMANDS)
    cli = click.Group("openaistream")
    get_registry().add_commands(cli)
    result = CliRunner().invoke(cli, ["greet", "world"])
    assert result.exit_code == 0
    assert result.output == "hello world\n"


# -- issue 13: a transport declares what it is ------------------------------------------------

# The class of each kind of client's default transport.
NETWORK = {"sync": "Urllib3Transport", "async": "AiohttpTransport"}

# A transport registered as before issue 13: its declaration as attributes of the class.
UNDECLARED = """
    import openaistream

    class Wrapper:
        wraps = True
        proxy_schemes = ("http", "https")

        def __init__(self, options):
            self.inner = options.network()

        def send(self, request):
            return self.inner.send(request)

        def close(self):
            self.inner.close()

    @openaistream.hookimpl
    def register_transports(register):
        register("wrapper", Wrapper)
"""


def test_a_transport_registered_without_a_declaration_is_refused_saying_what_to_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_client: Any, client_kind: str
) -> None:
    install_plugin(tmp_path, monkeypatch, "old_style", UNDECLARED)
    with capture_logs() as logs:
        client = make_client(API_KEY)  # other clients are not held up by it
    assert type(client._transport).__name__ == NETWORK[client_kind]
    (warning,) = logs
    assert warning["plugin"] == "old_style" and "serves='sync'" in warning["error"]
    with pytest.raises(PluginError) as caught:
        make_client(API_KEY, transport="wrapper")
    message = str(caught.value)
    assert "plugin 'old_style' registered the transport 'wrapper' without saying" in message
    assert "add serves='sync' to register(...)" in message
    assert "wraps=True" in message and "docs/hooks.md" in message


def test_strict_plugins_makes_an_undeclared_transport_an_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Any,
) -> None:
    install_plugin(tmp_path, monkeypatch, "old_style", UNDECLARED)
    monkeypatch.setenv("OPENAISTREAM_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"'wrapper' without saying what it serves"):
        make_client(API_KEY)


@pytest.mark.parametrize(
    ("declaration", "named"),
    [
        ("serves='both'", "serves='both': it must be one of 'sync', 'async'"),
        ("serves='sync', proxy_schemes='http'", "proxy_schemes='http'"),
        ("serves='sync', proxy_schemes=('HTTP://',)", "lower-case schemes"),
        ("serves='sync', cassettes='yes'", "cassettes='yes': it must be True or False"),
        ("serves='sync', wraps=True, proxy_schemes=('http',)", "drop proxy_schemes"),
    ],
)
def test_a_declaration_that_cannot_be_right_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    declaration: str,
    named: str,
    make_client: Any,
) -> None:
    install_plugin(tmp_path, monkeypatch, "odd", f"""
        import openaistream
        from openaistream.transports.urllib3 import Urllib3Transport

        @openaistream.hookimpl
        def register_transports(register):
            register("odd", Urllib3Transport, {declaration})
    """)  # fmt: skip
    with pytest.raises(PluginError, match=re.escape(named)):
        make_client(API_KEY, transport="odd")


# A transport for each client under one name, and one for the asynchronous client only, with
# a proxy scheme no transport of the blocking client takes.
BOTH_KINDS = """
    import openaistream

    class Answering:
        kind = "sync"

        def __init__(self, options):
            self.options = options

        def send(self, request):
            return openaistream.Response(200, {"Content-Type": "application/json"},
                                         [b'{"kind": "%s"}' % self.kind.encode()])

        def close(self):
            pass

    class AsyncAnswering(Answering):
        kind = "async"

    @openaistream.hookimpl
    def register_transports(register):
        register("answering", Answering, serves="sync")
        register("answering", AsyncAnswering, serves="async")
        register("aio_only", AsyncAnswering, serves="async", proxy_schemes=("gopher",))
"""


def test_transports_are_looked_up_by_the_client_they_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "kinds", BOTH_KINDS)
    with openaistream.OpenAI(API_KEY, transport="answering") as client:
        assert client.request("GET", "/models") == {"kind": "sync"}
    with pytest.raises(PluginError) as caught:
        openaistream.OpenAI(API_KEY, transport="aio_only")
    assert "transport 'aio_only' serves async clients, not sync ones" in str(caught.value)
    assert "sync transports: answering, " in str(caught.value)
    # The asynchronous transport's proxy scheme is not one the blocking client takes.
    with pytest.raises(ValueError, match="proxy must start with one of http://") as refused:
        openaistream.OpenAI(API_KEY, proxy="gopher://127.0.0.1:70")
    assert "gopher://" not in str(refused.value).partition(";")[0]
    registry = get_registry()
    serving_async = registry.transports_serving("async")  # the built-in ones besides
    assert [t.name for t in serving_async if t.plugin == "kinds"] == ["aio_only", "answering"]
    assert registry.transport("aio_only", "async").proxy_schemes == ("gopher",)
    assert registry.transport("answering", "async").plugin == "kinds"


def test_a_regular_install_ships_every_package_of_the_source_tree() -> None:
    # pyproject.toml lists the packages by name: a new sub-package (plugins/bulk) missing
    # there works in the editable install and is absent from a wheel.
    root = Path(__file__).resolve().parents[2]
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    listed = set(re.findall(r'"(openaistream[\w.]*)"', re.search(r"packages = \[(.*)\]", text)[1]))
    homes = {"openaistream": "core", "openaistream.plugins": "plugins",
             "openaistream.transports": "transports"}  # fmt: skip
    found = set()
    for package, folder in homes.items():
        for init in (root / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(root / folder).parts
            found.add(".".join((package, *relative)))
    assert found == listed
