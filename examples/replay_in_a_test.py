"""Test code that calls the API without the API: the pytest plugin that ships with
openaistream gives each test a client on a cassette (here ``cassettes/chat_joke.json``).

    pytest examples/replay_in_a_test.py                              # replays, offline
    OPENAI_API_KEY=sk-... pytest --openai-record-mode=once tests/    # records what is missing

Copy the pattern into your own tests: the fixture is ``openai_client``, the marker picks a
cassette by name (default: one per test, named after it).
"""

from __future__ import annotations

import pytest

import openaistream


def tell_joke(client: openaistream.OpenAI, topic: str) -> str:
    """The code under test: it streams a chat answer and joins it."""
    messages = [{"role": "user", "content": f"Tell me a joke about {topic}"}]
    with client.chat.create(messages, "gpt-3.5-turbo", stream=True) as stream:
        return "".join(c["choices"][0]["delta"].get("content") or "" for c in stream)


@pytest.mark.openai_cassette("chat_joke")
def test_tell_joke_streams_the_whole_answer(openai_client: openaistream.OpenAI) -> None:
    joke = tell_joke(openai_client, "opentelemetry")
    assert joke.startswith("Why did the developer break up with Opentelemetry?")
    assert joke.endswith("tracing requests!")


@pytest.mark.openai_cassette("chat_joke")
def test_a_question_not_in_the_cassette_is_an_error(openai_client: openaistream.OpenAI) -> None:
    with pytest.raises(openaistream.ReplayError, match="differs"):
        tell_joke(openai_client, "kubernetes")
