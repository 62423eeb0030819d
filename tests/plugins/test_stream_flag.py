"""`stream=` is True or False on every method that takes it: anything else (a "yes" from a
form, a 1 from a config file) is refused naming it, before a request goes out, on both
clients. The table must name every method with a `stream` parameter, so a new one is
checked too."""

from __future__ import annotations

import inspect
from typing import Any, Callable

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY

BAD = "yes"
CALLS: dict[str, Callable[[Any], Any]] = {
    "audio.speech": lambda c: c.audio.speech("Hello", stream=BAD),
    "chat.create": lambda c: c.chat.create([{"role": "user", "content": "Hi"}], "m", stream=BAD),
    "completions.create": lambda c: c.completions.create("m", "Hi", stream=BAD),
    "containers.files_content": lambda c: c.containers.files_content("cntr", "f", stream=BAD),
    "files.retrieve_content": lambda c: c.files.retrieve_content("file-1", stream=BAD),
    "responses.create": lambda c: c.responses.create("m", "Hi", stream=BAD),
    "responses.retrieve": lambda c: c.responses.retrieve("resp_1", stream=BAD),
    "runs.create": lambda c: c.runs.create("thread_1", "asst_1", stream=BAD),
    "runs.create_thread": lambda c: c.runs.create_thread("asst_1", stream=BAD),
    "runs.submit_tool_outputs": lambda c: c.runs.submit_tool_outputs(
        "thread_1", "run_1", [{"tool_call_id": "call_1", "output": "22C"}], stream=BAD
    ),
    "skills.content": lambda c: c.skills.content("skill_1", stream=BAD),
    "skills.versions_content": lambda c: c.skills.versions_content("skill_1", "1", stream=BAD),
    "videos.content": lambda c: c.videos.content("video_1", stream=BAD),
}


def methods_taking_stream() -> set[str]:
    client = openaistream.OpenAI(API_KEY)
    found = set()
    for name, resource in client.resources.items():
        for member in dir(resource):
            method = getattr(resource, member)
            if member.startswith("_") or not callable(method):
                continue
            if "stream" in inspect.signature(method).parameters:
                found.add(f"{name}.{member}")
    client.close()
    return found


def test_the_table_names_every_method_that_takes_stream() -> None:
    assert set(CALLS) == methods_taking_stream()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_stream_flag_that_is_not_a_bool_is_refused_before_any_request(
    client: Any, httpserver: HTTPServer, name: str
) -> None:
    with pytest.raises(TypeError, match="stream must be True or False, not 'yes'"):
        CALLS[name](client)
    assert not httpserver.log
