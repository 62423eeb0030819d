"""The example third-party plugin (examples/openaistream-vllm: the endpoints vLLM's server
adds to the OpenAI API), installed with pip as a user would install it: it loads through its
entry point, the CLI lists it and runs its commands, OPENAISTREAM_BLOCK_PLUGINS blocks it, and
its resource and transport work against a local server."""

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

PACKAGE = Path(__file__).resolve().parents[2] / "examples" / "openaistream-vllm"
MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
TOKENS = {"count": 3, "max_model_len": 8192, "tokens": [9707, 11, 1879]}


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
    for name in [m for m in sys.modules if m.startswith("openaistream_vllm")]:
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
        "/tokenize", method="POST", json={"prompt": "Hello, world", "model": MODEL}
    ).respond_with_json(TOKENS)
    with make_client(api_key=API_KEY, base_url=httpserver.url_for("/v1")) as client:
        answer = client.vllm.tokenize("Hello, world", model=MODEL)
        assert client.get_api_endpoints()["vllm"] == httpserver.url_for("/v1")
    assert answer == TOKENS
    info = get_registry().plugins["vllm"]
    assert (info.builtin, info.distribution) == (False, "openaistream-vllm")
    assert set(info.hooks) == {"register_resources", "register_transports", "register_commands"}


def test_every_method_of_its_resource_sends_what_vllm_expects(
    installed: Path, httpserver: HTTPServer, make_client: Any
) -> None:
    """The plugin's resource, unchanged, on either client (on AsyncOpenAI each method returns
    the awaitable its ``self.request`` returns), at the server's root: vLLM serves these
    beside /v1, not under it."""
    for path in ("/tokenize", "/tokenize", "/detokenize", "/rerank", "/tokenize"):
        httpserver.expect_ordered_request(path, method="POST").respond_with_json(TOKENS)
    messages = [{"role": "user", "content": "Hello"}]
    with make_client(api_key=API_KEY, base_url=httpserver.url_for("/v1")) as client:
        vllm = client.vllm
        answers = [
            vllm.tokenize("Hello, world", model=MODEL),
            vllm.tokenize_chat(messages, add_generation_prompt=True),
            vllm.detokenize([9707, 11, 1879]),
            vllm.rerank("Capital of France?", ["Paris is in France."], top_n=1),
            vllm.fits("Hello, world", 8189),
        ]
    assert answers[:4] == [TOKENS] * 4
    assert answers[4] == {**TOKENS, "fits": True, "room": 0}
    sent = [(r.method, r.path, json.loads(r.get_data())) for r, _ in httpserver.log]
    assert sent == [
        ("POST", "/tokenize", {"prompt": "Hello, world", "model": MODEL}),
        ("POST", "/tokenize", {"messages": messages, "add_generation_prompt": True}),
        ("POST", "/detokenize", {"tokens": [9707, 11, 1879]}),
        ("POST", "/rerank", {"query": "Capital of France?", "documents": ["Paris is in France."],
                             "top_n": 1}),
        ("POST", "/tokenize", {"prompt": "Hello, world"}),
    ]  # fmt: skip


def test_its_resource_checks_arguments_before_any_network(
    installed: Path, make_client: Any
) -> None:
    with make_client(api_key=API_KEY, base_url="http://127.0.0.1:9/v1") as client:
        with pytest.raises(TypeError, match="prompt is required"):
            client.vllm.tokenize(None)
        with pytest.raises(ValueError, match="max_tokens must not be negative"):
            client.vllm.fits("Hello", -1)


def test_its_transport_traces_each_request(
    installed: Path, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def answer(request: Any) -> Any:
        from werkzeug import Response

        seen.append(request.headers.get("X-Trace-Id", ""))
        return Response(json.dumps({"prompt": "Hello"}), content_type="application/json")

    httpserver.expect_request("/detokenize").respond_with_handler(answer)
    caplog.set_level(logging.INFO, logger="openaistream_vllm.traced")
    base = httpserver.url_for("/v1")
    # The blocking client only: the traced transport serves it alone (serves="sync").
    with openaistream.OpenAI(API_KEY, base_url=base, transport="traced") as client:
        assert client.vllm.detokenize([9707]) == {"prompt": "Hello"}
    assert len(seen) == 1 and len(seen[0]) == 32
    [record] = [r.getMessage() for r in caplog.records if r.name.endswith(".traced")]
    assert record.startswith("POST /detokenize -> 200 in ")
    assert record.endswith(f"[trace {seen[0]}]")


def test_the_cli_lists_it(installed: Path) -> None:
    done = cli(installed, "plugins")
    assert done.returncode == 0, done.stderr
    [listed] = json.loads(done.stdout)
    assert listed["name"] == "vllm"
    assert listed["source"] == "openaistream-vllm"
    assert listed["version"] == "0.1.0"


def test_its_commands_run(installed: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/tokenize", method="POST", json={"prompt": "Hello, world", "model": MODEL}
    ).respond_with_json(TOKENS)
    httpserver.expect_request(
        "/detokenize", method="POST", json={"tokens": [9707, 11, 1879]}
    ).respond_with_json({"prompt": "Hello, world"})
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "vllm"]
    tokenized = cli(installed, *base, "tokenize", "Hello, world", "-o", f"model={MODEL}")
    assert tokenized.returncode == 0, tokenized.stderr
    assert json.loads(tokenized.stdout) == TOKENS
    text = cli(installed, *base, "detokenize", "9707", "11", "1879")
    assert (text.returncode, text.stdout) == (0, "Hello, world\n"), text.stderr
    fits = cli(installed, *base, "fits", "Hello, world", "--max-tokens", "8190", "--model", MODEL)
    assert (fits.returncode, fits.stdout) == (1, "3 + 8190 of 8192 tokens\n"), fits.stderr


def test_block_plugins_turns_it_off(
    installed: Path, monkeypatch: pytest.MonkeyPatch, make_client: Any
) -> None:
    blocked = {"OPENAISTREAM_BLOCK_PLUGINS": "vllm"}
    listed = cli(installed, "plugins", **blocked)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    command = cli(installed, "--api-key", API_KEY, "vllm", "tokenize", "Hello", **blocked)
    assert command.returncode == 2 and "No such command 'vllm'" in command.stderr
    monkeypatch.setenv("OPENAISTREAM_BLOCK_PLUGINS", "vllm")
    with make_client(api_key=API_KEY) as client:
        assert "vllm" not in client.resources
        with pytest.raises(AttributeError, match="vllm"):
            client.vllm  # noqa: B018 - the attribute access is the test
    with pytest.raises(openaistream.PluginError, match="unknown name 'traced'"):
        openaistream.OpenAI(API_KEY, transport="traced")  # a transport of the blocking client


def test_its_own_tests_pass(source: Path, site: Path) -> None:
    """The package's own tests (examples/openaistream-vllm/tests: its resource on OpenAI and,
    awaited, on AsyncOpenAI against a local server), run as its author runs them: pytest in
    the package's folder, the package installed beside openaistream, every warning an
    error."""
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
    assert "12 passed" in done.stdout.splitlines()[-1]
