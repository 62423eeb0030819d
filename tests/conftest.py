"""Shared fixtures: a clean environment for every test, a client pointed at a local server."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis.configuration import set_hypothesis_home_dir
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.registry import reset_registry
from tests.support.clients import KINDS, Clients

pytest_plugins = ["pytester"]

API_KEY = "sk-test-a1b2c3d4e5f6g7h8i9j0SECRET"
PROXY_PASSWORD = "pr0xy-pa55word"
BUILTIN_RESOURCES = [
    "assistants", "audio", "batches", "bulk", "chat", "chatkit", "completions", "containers",
    "content_provenance_checks", "conversations", "embeddings", "evals", "files", "fine_tuning",
    "images", "messages", "models", "moderations", "realtime", "responses", "runs", "skills",
    "threads", "uploads", "vector_stores", "videos", "webhooks",
]  # fmt: skip
BUILTIN_TRANSPORTS = ["aiohttp", "replay", "socks", "urllib3"]
HYPOTHESIS_HOME = pytest.StashKey[str]()
# Environment variables no test sees: what the developer's shell sets for OpenAI and Azure.
CLEARED_PREFIXES = ("OPENAI_", "OPENAISTREAM_", "AZURE_OPENAI_")


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps its example database and caches in a temporary folder removed when
    the run ends, not in a .hypothesis/ folder wherever the suite was started (it writes
    there as soon as the test modules are collected, before any fixture runs)."""
    home = tempfile.mkdtemp(prefix="openaistream-hypothesis-")
    config.stash[HYPOTHESIS_HOME] = home
    set_hypothesis_home_dir(home)


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(HYPOTHESIS_HOME, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's key, base URL or plugin settings, and plugins are
    loaded afresh for every test that changes them."""
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    yield
    reset_registry()
    # The CLI configures structlog for its run; no test inherits that.
    structlog.reset_defaults()


@pytest.fixture
def httpserver(make_httpserver: HTTPServer) -> Iterator[HTTPServer]:
    """pytest-httpserver's server, whose logged requests are closed when the test ends: an
    uploaded file the server parsed is a temporary file, and one left for the garbage
    collector is a ResourceWarning in whichever test runs then."""
    make_httpserver.clear()
    yield make_httpserver
    for request, _ in make_httpserver.log:
        request.close()
    make_httpserver.clear()


@pytest.fixture(params=KINDS)
def client_kind(request: pytest.FixtureRequest) -> str:
    """ "sync" (``OpenAI``) or "async" (``AsyncOpenAI``): a test that builds its clients
    through ``make_client`` or uses ``client`` runs once with each."""
    return str(request.param)


@pytest.fixture
def clients(client_kind: str) -> Iterator[Clients]:
    made = Clients(client_kind)
    yield made
    made.close()


@pytest.fixture
def make_client(clients: Clients) -> Any:
    """``make_client(**options)``: an ``OpenAI``, or an ``AsyncOpenAI`` with the same
    options driven blocking (tests/support/clients.py), closed when the test ends."""
    return clients.make


@pytest.fixture
def client(httpserver: HTTPServer, make_client: Any) -> Any:
    """A client of each kind on the local server, without retries."""
    return make_client(api_key=API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)


@pytest.fixture
def sync_client(httpserver: HTTPServer) -> Iterator[openaistream.OpenAI]:
    """The blocking client only: for what only it does (threads, KeyboardInterrupt)."""
    with openaistream.OpenAI(
        api_key=API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0
    ) as c:
        yield c


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Sweep every file the suite wrote (cassettes, downloads, CLI outputs) for the key and
    the proxy password: a run that leaked one fails."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        base = factory.getbasetemp()
    except (OSError, ValueError):
        return
    leaks = [
        path
        for path in base.rglob("*")
        if path.is_file() and path.suffix != ".py" and _holds_secret(path)
    ]
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nsecret found in files the suite wrote: {leaks}")


# Files larger than this are the upload tests' own inputs (sparse files of up to 8 GiB, written
# by the tests, never by the library): reading them would cost gigabytes for nothing.
_SWEPT_SIZE = 64 << 20


def _holds_secret(path: Path) -> bool:
    try:
        if path.stat().st_size > _SWEPT_SIZE:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    return API_KEY.encode() in data or PROXY_PASSWORD.encode() in data
