# ruff: noqa: E501 - the test files written for pytester read best as written
"""The pytest plugin, run for real with pytester: a test file using openai_client records
its cassette once against a local server, then passes in replay mode with no server."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.proxies import free_port

TEST_FILE = """
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


@pytest.fixture
def chat_server(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        recordings.body("chat_completions_stream/text_include_usage"),
        content_type="text/event-stream",
    )
    return httpserver


def test_records_once_then_replays_without_a_server(
    pytester: pytest.Pytester, chat_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_chat=TEST_FILE)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.url_for("/v1"))

    recorded = pytester.runpytest("--openai-record-mode=once", "-p", "no:cacheprovider")
    recorded.assert_outcomes(passed=2)
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
    replayed = pytester.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=2)
    assert len(chat_server.log) == 2


def test_replay_without_a_cassette_fails_and_says_how_to_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_chat=TEST_FILE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*no cassette at *test_chat.json: record it once with --openai-record-mode=once*"]
    )


def test_marker_names_a_shared_cassette_and_the_command_line_wins(
    pytester: pytest.Pytester, chat_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nopenaistream_cassette_dir = recorded\n")
    pytester.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.openai_cassette("shared", record_mode="once")
        def test_mode_from_the_marker(openai_client, openai_record_mode, openai_cassette):
            assert openai_cassette.name == "shared.json"
            assert openai_cassette.parent.name == "recorded"
            print("MODE", openai_record_mode)
            list(openai_client.chat.create([{"role": "user", "content": "Hi"}], "gpt-4", stream=True))
        """
    )
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.url_for("/v1"))
    first = pytester.runpytest("-s", "-p", "no:cacheprovider")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*MODE once*"])
    assert (pytester.path / "recorded" / "shared.json").exists()

    forced = pytester.runpytest("-s", "-p", "no:cacheprovider", "--openai-record-mode=record")
    forced.assert_outcomes(passed=1)
    forced.stdout.fnmatch_lines(["*MODE record*"])
    assert len(chat_server.log) == 2
