# ruff: noqa: E501 - the test files written for pytester read best as written
"""The pytest plugin, run for real with pytester: a test file using openai_client (or, in
async tests under pytest-asyncio or anyio, async_openai_client) records its cassette once
against a local server, then passes in replay mode with no server."""

from __future__ import annotations

import asyncio
import gc
import json
import textwrap
import warnings

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.proxies import free_port

SYNC_TESTS = """
    def test_chat(openai_client, openai_record_mode):
        stream = openai_client.chat.create(
            [{"role": "user", "content": "Say this is a test"}], "gpt-4", stream=True
        )
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in stream if c["choices"])
        assert text == '"This is a test."'

    def test_left_unread(openai_client):
        stream = openai_client.chat.create([{"role": "user", "content": "Hi"}], "gpt-4", stream=True)
        next(stream)  # the rest is never read: the fixture closes it
"""

# The same tests, async, for the plugin that runs them: its marker is the only difference.
ASYNC_TESTS = """
    import asyncio

    import pytest

    @pytest.mark.{runner}
    async def test_chat(async_openai_client, openai_record_mode):
        loop = asyncio.get_running_loop()
        stream = await async_openai_client.chat.create(
            [{{"role": "user", "content": "Say this is a test"}}], "gpt-4", stream=True
        )
        text = "".join([c["choices"][0]["delta"].get("content") or "" async for c in stream if c["choices"]])
        assert text == '"This is a test."'

    @pytest.mark.{runner}
    async def test_left_unread(async_openai_client):
        stream = await async_openai_client.chat.create([{{"role": "user", "content": "Hi"}}], "gpt-4", stream=True)
        await stream.__anext__()  # the rest is never read: the fixture closes it
"""

RUNNERS = ["sync", "asyncio", "anyio"]
# Every warning is an error in the test runs too: a client left unclosed (aiohttp's session
# warns when collected), or closed outside its loop, fails them.
INI = """
    [pytest]
    filterwarnings = error
    asyncio_default_fixture_loop_scope = function
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest on the test files written, in this process (a process each would take seconds).
    What the run left unclosed is collected now, in the test that ran it: an aiohttp session
    a fixture did not close says so (a warning, an error here) in the test at fault."""
    try:
        return pytester.runpytest("-p", "no:cacheprovider", *args)
    finally:
        close_the_loop_left_behind()
        gc.collect()


def close_the_loop_left_behind() -> None:
    """pytest-asyncio 1.2 (the newest for Python 3.9) ends a run with a new event loop, open,
    set as the thread's current one, which a run's own process would drop at exit. Here it
    would be collected in a later test, as an "unclosed event loop" warning: closed now."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # get_event_loop with none set
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:  # none is set
            return
        loop.close()
        asyncio.set_event_loop(None)


def other_anyio_backends() -> int:
    """How many backends besides asyncio anyio's plugin runs each anyio test on here: newer
    anyio runs them on every backend installed (trio, when it is), and the fixture skips
    those, so a file of two tests counts two skips a backend."""
    from anyio import pytest_plugin

    available = getattr(pytest_plugin, "get_available_backends", lambda: ("asyncio",))()
    return len([backend for backend in available if backend != "asyncio"])


def outcomes(runner: str, passed: int) -> dict[str, int]:
    skipped = passed * other_anyio_backends() if runner == "anyio" else 0
    return {"passed": passed, "skipped": skipped}


def written_for(runner: str) -> str:
    return SYNC_TESTS if runner == "sync" else ASYNC_TESTS.format(runner=runner)


@pytest.fixture
def chat_server(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        recordings.body("chat_completions_stream/text_include_usage"),
        content_type="text/event-stream",
    )
    return httpserver


@pytest.mark.parametrize("runner", RUNNERS)
def test_records_once_then_replays_without_a_server(
    pytester: pytest.Pytester,
    chat_server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    runner: str,
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_chat=written_for(runner))
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.url_for("/v1"))

    recorded = run(pytester, "--openai-record-mode=once")
    recorded.assert_outcomes(**outcomes(runner, passed=2))
    assert len(chat_server.log) == 2
    cassette = pytester.path / "cassettes" / "test_chat" / "test_chat.json"
    assert json.loads(cassette.read_text())["interactions"][0]["response"]["end"] == "complete"
    unread = pytester.path / "cassettes" / "test_chat" / "test_left_unread.json"
    end = json.loads(unread.read_text())["interactions"][0]["response"]["end"]
    assert end in ("complete", "closed before the end")
    assert API_KEY not in cassette.read_text() + unread.read_text()

    # No server any more, no key: the default mode replays.
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    replayed = run(pytester)
    replayed.assert_outcomes(**outcomes(runner, passed=2))
    assert len(chat_server.log) == 2


@pytest.mark.parametrize("runner", RUNNERS)
def test_replay_without_a_cassette_fails_and_says_how_to_record(
    pytester: pytest.Pytester, runner: str
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_chat=written_for(runner))
    result = run(pytester)
    result.assert_outcomes(errors=2, skipped=outcomes(runner, passed=2)["skipped"])
    result.stdout.fnmatch_lines(
        ["*no cassette at *test_chat.json: record it once with --openai-record-mode=once*"]
    )


MARKED_SYNC = """
    import pytest

    @pytest.mark.openai_cassette("shared", record_mode="once")
    def test_mode_from_the_marker(openai_client, openai_record_mode, openai_cassette):
        assert openai_cassette.name == "shared.json"
        assert openai_cassette.parent.name == "recorded"
        print("MODE", openai_record_mode)
        list(openai_client.chat.create([{"role": "user", "content": "Hi"}], "gpt-4", stream=True))
"""

MARKED_ASYNC = """
    import pytest

    @pytest.mark.openai_cassette("shared", record_mode="once")
    @pytest.mark.{runner}
    async def test_mode_from_the_marker(async_openai_client, openai_record_mode, openai_cassette):
        assert openai_cassette.name == "shared.json"
        assert openai_cassette.parent.name == "recorded"
        print("MODE", openai_record_mode)
        stream = await async_openai_client.chat.create([{{"role": "user", "content": "Hi"}}], "gpt-4", stream=True)
        [chunk async for chunk in stream]
"""


@pytest.mark.parametrize("runner", RUNNERS)
def test_marker_names_a_shared_cassette_and_the_command_line_wins(
    pytester: pytest.Pytester,
    chat_server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    runner: str,
) -> None:
    pytester.makeini(textwrap.dedent(INI) + "openaistream_cassette_dir = recorded\n")
    marked = MARKED_SYNC if runner == "sync" else MARKED_ASYNC.format(runner=runner)
    pytester.makepyfile(test_marked=marked)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.url_for("/v1"))
    first = run(pytester, "-s")
    first.assert_outcomes(**outcomes(runner, passed=1))
    first.stdout.fnmatch_lines(["*MODE once*"])
    assert (pytester.path / "recorded" / "shared.json").exists()

    forced = run(pytester, "-s", "--openai-record-mode=record")
    forced.assert_outcomes(**outcomes(runner, passed=1))
    forced.stdout.fnmatch_lines(["*MODE record*"])
    assert len(chat_server.log) == 2


def test_a_cassette_recorded_by_the_sync_fixture_replays_in_async_tests(
    pytester: pytest.Pytester, chat_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_chat=SYNC_TESTS)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.url_for("/v1"))
    run(pytester, "--openai-record-mode=once").assert_outcomes(passed=2)

    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    for runner in ("asyncio", "anyio"):
        pytester.makepyfile(test_chat=written_for(runner))
        run(pytester).assert_outcomes(**outcomes(runner, passed=2))
    assert len(chat_server.log) == 2


ON_EACH_BACKEND = """
    import pytest

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(request):
        return request.param

    @pytest.mark.anyio
    async def test_chat(async_openai_client):
        stream = await async_openai_client.chat.create([{"role": "user", "content": "Hi"}], "gpt-4", stream=True)
        assert [chunk async for chunk in stream]
"""


def test_an_anyio_test_on_trio_is_skipped_with_the_reason(
    pytester: pytest.Pytester, chat_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("trio")
    pytester.makeini(INI)
    pytester.makepyfile(test_chat=ON_EACH_BACKEND)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.url_for("/v1"))
    result = run(pytester, "--openai-record-mode=once", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*AsyncOpenAI runs on asyncio, not on anyio's trio backend*"])
    assert len(chat_server.log) == 1
