"""The example third-party plugin (examples/openaistream-vector-stores), installed with pip
as a user would install it: it loads through its entry point, the CLI lists it and runs its
command, OPENAISTREAM_BLOCK_PLUGINS blocks it, and its resource and transport work against
a local server."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.registry import get_registry
from tests.conftest import API_KEY
from tests.support import api

PACKAGE = Path(__file__).resolve().parents[2] / "examples" / "openaistream-vector-stores"
STORE = {"id": "vs_abc123", "object": "vector_store", "name": "Support FAQ", "status": "completed",
         "file_counts": {"completed": 3, "total": 3}}  # fmt: skip


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package, so that building or testing it leaves nothing in the
    repository."""
    copy = tmp_path_factory.mktemp("source") / PACKAGE.name
    shutil.copytree(PACKAGE, copy)
    return copy


@pytest.fixture(scope="module")
def site(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the package is pip-installed into; put on sys.path or PYTHONPATH, it is part
    of the environment."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return target


@pytest.fixture
def installed(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(site))
    for name in [m for m in sys.modules if m.startswith("openaistream_vector_stores")]:
        monkeypatch.delitem(sys.modules, name)
    return site


def cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m openaistream ARGS`` in a process whose environment includes the package."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "OPENAISTREAM"))}
    environ.update(PYTHONPATH=os.pathsep.join([str(site), *sys.path]), **env)
    return subprocess.run(
        [sys.executable, "-m", "openaistream", *args],
        capture_output=True, text=True, env=environ, timeout=60,
    )  # fmt: skip


def test_it_loads_through_its_entry_point(
    installed: Path, httpserver: HTTPServer, make_client: Any
) -> None:
    httpserver.expect_request(
        "/v1/vector_stores/vs_abc123/search", method="POST",
        json={"query": "return policy", "max_num_results": 2},
    ).respond_with_json({"object": "vector_store.search_results.page", "data": []})  # fmt: skip
    with make_client(api_key=API_KEY, base_url=httpserver.url_for("/v1")) as client:
        answer = client.vector_stores.search("vs_abc123", "return policy", max_num_results=2)
        assert client.get_api_endpoints()["vector_stores"].endswith("/v1/vector_stores")
    assert answer["object"] == "vector_store.search_results.page"
    info = get_registry().plugins["vector_stores"]
    assert (info.builtin, info.distribution) == (False, "openaistream-vector-stores")
    assert set(info.hooks) == {"register_resources", "register_transports", "register_commands"}


def test_every_method_of_its_resource_sends_what_the_spec_has(
    installed: Path, httpserver: HTTPServer, make_client: Any
) -> None:
    """The plugin's resource, unchanged, on either client: on AsyncOpenAI each method returns
    the awaitable its ``self.request`` returns."""
    for _ in range(6):
        api.answer(httpserver, STORE)
    with make_client(api_key=API_KEY, base_url=httpserver.url_for("/v1")) as client:
        stores = client.vector_stores
        answers = [
            stores.create("Support FAQ", file_ids=["file-1"]),
            stores.list(limit=2),
            stores.retrieve("vs_abc123"),
            stores.modify("vs_abc123", name="FAQ"),
            stores.delete("vs/abc"),
            stores.search("vs_abc123", "return policy", max_num_results=2),
        ]
    assert answers == [STORE] * 6
    sent = [
        (r.method, r.environ["RAW_URI"], json.loads(r.get_data()) if r.get_data() else None)
        for r, _ in httpserver.log
    ]
    assert sent == [
        ("POST", "/v1/vector_stores", {"name": "Support FAQ", "file_ids": ["file-1"]}),
        ("GET", "/v1/vector_stores?limit=2", None),
        ("GET", "/v1/vector_stores/vs_abc123", None),
        ("POST", "/v1/vector_stores/vs_abc123", {"name": "FAQ"}),
        ("DELETE", "/v1/vector_stores/vs%2Fabc", None),
        ("POST", "/v1/vector_stores/vs_abc123/search",
         {"query": "return policy", "max_num_results": 2}),
    ]  # fmt: skip


def test_its_resource_checks_arguments_before_any_network(
    installed: Path, make_client: Any
) -> None:
    with make_client(api_key=API_KEY, base_url="http://127.0.0.1:9/v1") as client:
        with pytest.raises(ValueError, match="vector_store_id"):
            client.vector_stores.retrieve("")
        with pytest.raises(TypeError, match="query"):
            client.vector_stores.search("vs_abc123", None)  # type: ignore[arg-type]


def test_its_transport_traces_each_request(
    installed: Path, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def answer(request: Any) -> Any:
        from werkzeug import Response

        seen.append(request.headers.get("X-Trace-Id", ""))
        return Response(json.dumps(STORE), content_type="application/json")

    httpserver.expect_request("/v1/vector_stores/vs_abc123").respond_with_handler(answer)
    caplog.set_level(logging.INFO, logger="openaistream_vector_stores.traced")
    base = httpserver.url_for("/v1")
    # The blocking client only: the traced transport serves it alone (serves="sync").
    with openaistream.OpenAI(API_KEY, base_url=base, transport="traced") as client:
        assert client.vector_stores.retrieve("vs_abc123") == STORE
    assert len(seen) == 1 and len(seen[0]) == 32
    [record] = [r.getMessage() for r in caplog.records if r.name.endswith(".traced")]
    assert record.startswith("GET /v1/vector_stores/vs_abc123 -> 200 in ")
    assert record.endswith(f"[trace {seen[0]}]")


def test_the_cli_lists_it(installed: Path) -> None:
    done = cli(installed, "plugins")
    assert done.returncode == 0, done.stderr
    [listed] = json.loads(done.stdout)
    assert listed["name"] == "vector_stores"
    assert listed["source"] == "openaistream-vector-stores"
    assert listed["version"] == "0.1.0"


def test_its_command_runs(installed: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/vector_stores", method="GET").respond_with_json(
        {"object": "list", "data": [STORE], "has_more": False}
    )
    done = cli(installed, "--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"),
               "vector-stores", "list")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header.split() == ["id", "name", "status", "file_counts"]
    assert row.startswith("vs_abc123") and "Support FAQ" in row and "completed" in row


def test_block_plugins_turns_it_off(
    installed: Path, monkeypatch: pytest.MonkeyPatch, make_client: Any
) -> None:
    blocked = {"OPENAISTREAM_BLOCK_PLUGINS": "vector_stores"}
    listed = cli(installed, "plugins", **blocked)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    command = cli(installed, "--api-key", API_KEY, "vector-stores", "list", **blocked)
    assert command.returncode == 2 and "No such command 'vector-stores'" in command.stderr
    monkeypatch.setenv("OPENAISTREAM_BLOCK_PLUGINS", "vector_stores")
    with make_client(api_key=API_KEY) as client:
        assert "vector_stores" not in client.resources
        with pytest.raises(AttributeError, match="vector_stores"):
            client.vector_stores  # noqa: B018 - the attribute access is the test
    with pytest.raises(openaistream.PluginError, match="unknown name 'traced'"):
        openaistream.OpenAI(API_KEY, transport="traced")  # a transport of the blocking client


def test_its_own_tests_pass(source: Path, site: Path) -> None:
    """The package's own tests (examples/openaistream-vector-stores/tests: its resource on
    AsyncOpenAI against a local server), run as its author runs them: pytest in the package's
    folder, the package installed beside openaistream, every warning an error."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "OPENAISTREAM"))}
    environ["PYTHONPATH"] = os.pathsep.join([str(site), *sys.path])
    # Its tests run their loops with asyncio.run; pytest-asyncio, installed here by our test
    # extra, would warn (an error under -W error) that the package does not configure it.
    plain = ["-p", "no:cacheprovider", "-p", "no:asyncio", "-W", "error"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plain, "tests"],
        cwd=source, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout.splitlines()[-1]
