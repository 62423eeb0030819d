"""The pytest plugin of the replay transport, installed with the package (``pytest11``).

- ``openai_client``: a client whose transport is a cassette named after the test,
  ``<test file's folder>/cassettes/<test module>/<test name>.json``; the folder is set by
  the ``openaistream_cassette_dir`` ini option (relative to the test file, or absolute).
  The key and base URL come from ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` when recording;
  replaying needs neither. Streams a test leaves unread are closed when it ends.
- ``openai_cassette``: that cassette's path; ``openai_record_mode``: the mode in force.
- ``@pytest.mark.openai_cassette("name", record_mode=None)``: use ``<cassette dir>/name.json``
  (shared by every test that names it), and optionally a mode for this test.
- ``--openai-record-mode=replay|record|once|new``: by default ``replay``, so a test run
  never touches the network unless asked.

Precedence, most specific first: ``--openai-record-mode`` on the command line, then the
marker's ``record_mode``, then the ``openaistream_record_mode`` ini option, then ``replay``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import openaistream
from openaistream.transports.replay import MODES as RECORD_MODES

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
        "openai_cassette(name=None, *, record_mode=None): the cassette openai_client uses "
        "for this test, and its record mode",
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
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    return folder / request.path.stem / f"{name}.json"


@pytest.fixture
def openai_client(openai_cassette: Path, openai_record_mode: str) -> Iterator[openaistream.OpenAI]:
    """A client that replays this test's cassette, or records it in the modes that do."""
    if openai_record_mode == "replay" and not openai_cassette.exists():
        pytest.fail(
            f"no cassette at {openai_cassette}: record it once with --openai-record-mode=once",
            pytrace=False,
        )
    client = openaistream.OpenAI(
        os.environ.get("OPENAI_API_KEY") or _REPLAY_KEY,
        transport="replay",
        cassette=str(openai_cassette),
        record_mode=openai_record_mode,
    )
    try:
        yield client
    finally:
        client.close()
