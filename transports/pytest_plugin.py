"""The pytest plugin of the replay transport, installed with the package (`pytest11`).

- `openai_client`: a client whose transport is a cassette named after the test,
  `<test file's folder>/cassettes/<test module>/<test name>.json` (anyio's backend
  parameter is not part of the name); the folder is set by
  the `openaistream_cassette_dir` ini option (relative to the test file, or absolute).
  The key and base URL come from `OPENAI_API_KEY` and `OPENAI_BASE_URL` when recording;
  replaying needs neither. Streams a test leaves unread are closed when it ends.
- `async_openai_client`: the same, an `AsyncOpenAI`, for `async def` tests run by
  pytest-asyncio (`@pytest.mark.asyncio`) or by anyio's plugin (`@pytest.mark.anyio`;
  on its asyncio backend: a test anyio runs on another, trio, is skipped with the reason).
  It is made and closed in the event loop the test runs in (with pytest-asyncio, the loop of
  the fixture loop scope in force: keep it the tests'), so nothing is left unclosed.
- `openai_cassette`: that cassette's path; `openai_record_mode`: the mode in force.
- `@pytest.mark.openai_cassette("name", record_mode=None)`: use `<cassette dir>/name.json`
  (shared by every test that names it), and optionally a mode for this test.
- `--openai-record-mode=replay|record|once|new`: by default `replay`, so a test run
  never touches the network unless asked.

Precedence, most specific first: `--openai-record-mode` on the command line, then the
marker's `record_mode`, then the `openaistream_record_mode` ini option, then `replay`.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

import openaistream
from openaistream.transports.replay import MODES as RECORD_MODES

try:
    import pytest_asyncio
except ImportError:  # anyio's pytest plugin alone runs async tests
    pytest_asyncio = None  # type: ignore[assignment]

# Replaying sends nothing: any well-formed key will do when the environment has none.
_REPLAY_KEY = "sk-replay-0000000000000000"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("openaistream", "openaistream cassettes")
    group.addoption(
        "--openai-record-mode",
        choices=RECORD_MODES,
        default=None,
        help="how openai_client cassettes are used (default: replay, never the network)",
    )
    parser.addini(
        "openaistream_record_mode", "record mode when the command line gives none", default="replay"
    )
    parser.addini(
        "openaistream_cassette_dir",
        "cassette folder, relative to each test file unless absolute",
        default="cassettes",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "openai_cassette(name=None, *, record_mode=None): the cassette openai_client (or "
        "async_openai_client) uses for this test, and its record mode",
    )


@pytest.fixture
def openai_record_mode(request: pytest.FixtureRequest) -> str:
    """The record mode for this test: command line, then marker, then ini, then replay."""
    marker = request.node.get_closest_marker("openai_cassette")
    mode = (
        request.config.getoption("--openai-record-mode")
        or (marker.kwargs.get("record_mode") if marker else None)
        or request.config.getini("openaistream_record_mode")
        or "replay"
    )
    if mode not in RECORD_MODES:
        raise pytest.UsageError(f"openai record mode must be one of {RECORD_MODES}, not {mode!r}")
    return str(mode)


@pytest.fixture
def openai_cassette(request: pytest.FixtureRequest) -> Path:
    """The path of this test's cassette."""
    folder = Path(request.config.getini("openaistream_cassette_dir"))
    if not folder.is_absolute():
        folder = request.path.parent / folder
    marker = request.node.get_closest_marker("openai_cassette")
    if marker and marker.args:
        return folder / f"{marker.args[0]}.json"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", _test_name(request.node)).strip("_")
    return folder / request.path.stem / f"{name}.json"


def _test_name(node: pytest.Item) -> str:
    """The test's name with its parameters, but not anyio's backend: an anyio test
    (`test_chat[asyncio]`) sends what it sends whatever the backend, so its cassette is
    `test_chat.json` whether the backend comes from anyio's parameters or is fixed."""
    callspec = getattr(node, "callspec", None)
    backend = callspec.params.get("anyio_backend") if callspec is not None else None
    original = getattr(node, "originalname", node.name)
    if not isinstance(backend, str) or not node.name.startswith(f"{original}["):
        return node.name
    ids = node.name[len(original) + 1 : -1].split("-")
    if backend in ids:
        ids.remove(backend)
    return f"{original}[{'-'.join(ids)}]" if ids else original


def _client_options(cassette: Path, record_mode: str) -> dict[str, Any]:
    """The arguments of either client on this cassette, or a failure saying how to record it."""
    if record_mode == "replay" and not cassette.exists():
        pytest.fail(
            f"no cassette at {cassette}: record it once with --openai-record-mode=once",
            pytrace=False,
        )
    return {
        "api_key": os.environ.get("OPENAI_API_KEY") or _REPLAY_KEY,
        "transport": "replay",
        "cassette": str(cassette),
        "record_mode": record_mode,
    }


@pytest.fixture
def openai_client(openai_cassette: Path, openai_record_mode: str) -> Iterator[openaistream.OpenAI]:
    """A client that replays this test's cassette, or records it in the modes that do."""
    client = openaistream.OpenAI(**_client_options(openai_cassette, openai_record_mode))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def async_openai_client(request: pytest.FixtureRequest) -> openaistream.AsyncOpenAI:
    """`openai_client` for async tests: an AsyncOpenAI on this test's cassette, made and
    closed (with the streams the test left unread) in the test's event loop.

    Each async test plugin runs it through a fixture of its own kind, since the order in
    which pytest calls the two plugins' fixture hooks is not fixed: anyio's plugin runs any
    async fixture an anyio test asks for, pytest-asyncio (in its default strict mode) only
    those it declared."""
    if "anyio_backend" in request.fixturenames:
        backend = request.getfixturevalue("anyio_backend_name")
        if backend != "asyncio":
            # anyio runs each test on every backend installed (trio comes with selenium,
            # for one); AsyncOpenAI's transports are asyncio's, so the others cannot run it.
            pytest.skip(f"AsyncOpenAI runs on asyncio, not on anyio's {backend} backend")
        return cast(openaistream.AsyncOpenAI, request.getfixturevalue("_openai_client_anyio"))
    if pytest_asyncio is None:
        pytest.fail(
            "async_openai_client needs an async test plugin: pytest-asyncio "
            "(@pytest.mark.asyncio) or anyio's (@pytest.mark.anyio)",
            pytrace=False,
        )
    return cast(openaistream.AsyncOpenAI, request.getfixturevalue("_openai_client_asyncio"))


@pytest.fixture
async def _openai_client_anyio(
    openai_cassette: Path, openai_record_mode: str
) -> AsyncIterator[openaistream.AsyncOpenAI]:
    """async_openai_client in an anyio test: anyio's plugin runs it in the test's loop."""
    client = openaistream.AsyncOpenAI(**_client_options(openai_cassette, openai_record_mode))
    try:
        yield client
    finally:
        await client.close()


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def _openai_client_asyncio(
        openai_cassette: Path, openai_record_mode: str
    ) -> AsyncIterator[openaistream.AsyncOpenAI]:
        """async_openai_client in a pytest-asyncio test, in the loop of its fixture loop
        scope (`asyncio_default_fixture_loop_scope`; function by default, as the tests')."""
        client = openaistream.AsyncOpenAI(**_client_options(openai_cassette, openai_record_mode))
        try:
            yield client
        finally:
            await client.close()
