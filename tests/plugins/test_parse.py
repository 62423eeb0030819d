"""chat.parse and responses.parse on both clients against a local server: the body it received
(the strict schema, strict function tools, no ``stream``, nothing else), the parsed values and
arguments handed back, and the typed errors for an answer with nothing to parse."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from typing import Any, List, Optional

import pytest
from pydantic import BaseModel
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.api import answer, last

MESSAGES = [{"role": "user", "content": "Extract the event: Alice and Bob meet on Friday."}]


class Event(BaseModel):
    """A calendar event."""

    name: str
    day: str
    people: List[str]
    room: Optional[str] = None


EVENT_SCHEMA = {
    "title": "Event",
    "description": "A calendar event.",
    "type": "object",
    "properties": {
        "name": {"title": "Name", "type": "string"},
        "day": {"title": "Day", "type": "string"},
        "people": {"title": "People", "type": "array", "items": {"type": "string"}},
        "room": {"title": "Room", "anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name", "day", "people", "room"],
    "additionalProperties": False,
}
EVENT_JSON = '{"name": "Meeting", "day": "Friday", "people": ["Alice", "Bob"], "room": null}'
EVENT = Event(name="Meeting", day="Friday", people=["Alice", "Bob"], room=None)


class GetWeather(BaseModel):
    """The weather in a city."""

    city: str


WEATHER_PARAMETERS = {
    "title": "GetWeather",
    "description": "The weather in a city.",
    "type": "object",
    "properties": {"city": {"title": "City", "type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
LOOKUP_TOOL = {  # a strict function tool written by hand, in chat's shape
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
LOOSE_TOOL = {"type": "function", "function": {"name": "loose", "parameters": {}}}


def completion(message: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    """A recorded chat.completion with its first choice's message and finish reason replaced."""
    recorded = json.loads(recordings.body("chat_completions/basic"))
    choice = recorded["choices"][0]
    choice["message"] = {"role": "assistant", "content": None, "refusal": None, **message}
    choice["finish_reason"] = finish_reason
    return recorded


def response(
    output: list[dict[str, Any]], status: str = "completed", reason: Optional[str] = None
) -> dict[str, Any]:
    """A recorded response with its output (and status) replaced."""
    recorded = json.loads(recordings.body("responses/basic_gpt55"))
    recorded.update(output=output, status=status)
    recorded["incomplete_details"] = {"reason": reason} if reason else None
    return recorded


def message(*content: dict[str, Any], phase: Optional[str] = "final_answer") -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "status": "completed",
        "content": list(content),
        "phase": phase,
        "role": "assistant",
    }


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def sent(httpserver: HTTPServer, path: str) -> Any:
    request = last(httpserver)
    assert request.method == "POST"
    assert request.path == path
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    return json.loads(request.get_data())


# chat.parse


def test_chat_parse_sends_the_strict_schema_and_returns_the_model(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answered = completion({"content": EVENT_JSON})
    answer(httpserver, answered)

    got = client.chat.parse(MESSAGES, "gpt-4o-mini", response_format=Event, temperature=0)

    assert sent(httpserver, "/v1/chat/completions") == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,
        "temperature": 0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "Event", "schema": EVENT_SCHEMA, "strict": True},
        },
    }
    parsed = got["choices"][0]["message"].pop("parsed")
    assert parsed == EVENT and isinstance(parsed, Event)
    assert got == answered  # the rest is the completion as the API sent it


def test_chat_parse_with_a_schema_dict_or_a_built_format(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    schema = {k: v for k, v in EVENT_SCHEMA.items() if k != "additionalProperties"}
    schema["required"] = ["name"]
    given = copy.deepcopy(schema)
    answer(httpserver, completion({"content": EVENT_JSON}))
    answer(httpserver, completion({"content": EVENT_JSON}))

    got = client.chat.parse(MESSAGES, "gpt-4o-mini", response_format=given)
    assert got["choices"][0]["message"]["parsed"] == json.loads(EVENT_JSON)
    assert given == schema  # the caller's schema is not changed
    assert sent(httpserver, "/v1/chat/completions")["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Event", "schema": EVENT_SCHEMA, "strict": True},
    }

    built = openaistream.response_format(Event, name="calendar_event")
    got = client.chat.parse(MESSAGES, "gpt-4o-mini", response_format=built)
    assert got["choices"][0]["message"]["parsed"] == EVENT
    assert sent(httpserver, "/v1/chat/completions")["response_format"]["json_schema"] == {
        "name": "calendar_event",
        "schema": EVENT_SCHEMA,
        "strict": True,
    }


def test_chat_parse_reads_the_arguments_of_strict_function_tools(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    def call(name: str, arguments: str) -> dict[str, Any]:
        return {"id": f"call_{name}", "type": "function",
                "function": {"name": name, "arguments": arguments}}  # fmt: skip

    calls = [
        call("GetWeather", '{"city": "Paris"}'),
        call("get_weather", '{"city": "Oslo"}'),
        call("lookup", '{"q": "tides"}'),
        call("loose", "not even JSON"),
    ]
    answer(httpserver, completion({"tool_calls": calls}, "tool_calls"))

    got = client.chat.parse(
        MESSAGES,
        "gpt-4o-mini",
        tools=[
            GetWeather,  # a type: a strict function tool
            openaistream.function_tool(GetWeather, name="get_weather", description="Weather"),
            LOOKUP_TOOL,
            LOOSE_TOOL,  # not strict: sent, its arguments not parsed
        ],
    )

    weather = {"type": "function", "function": {"name": "GetWeather",
               "description": "The weather in a city.", "parameters": WEATHER_PARAMETERS,
               "strict": True}}  # fmt: skip
    renamed = copy.deepcopy(weather)
    renamed["function"].update(name="get_weather", description="Weather")
    assert sent(httpserver, "/v1/chat/completions") == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,
        "tools": [weather, renamed, LOOKUP_TOOL, LOOSE_TOOL],
    }
    message = got["choices"][0]["message"]
    assert message["parsed"] is None  # no response_format: nothing to parse
    parsed = [c["function"]["parsed_arguments"] for c in message["tool_calls"]]
    assert parsed == [GetWeather(city="Paris"), GetWeather(city="Oslo"), {"q": "tides"}, None]
    assert isinstance(parsed[0], GetWeather)


@pytest.mark.parametrize(
    ("choice", "error"),
    [
        (({"content": '{"name": "Meet'}, "length"), openaistream.LengthFinishReasonError),
        (({"content": None}, "content_filter"), openaistream.ContentFilterFinishReasonError),
        (({"refusal": "I can't help with that."}, "stop"), openaistream.RefusalError),
    ],
)
def test_chat_parse_raises_when_there_is_nothing_to_parse(
    choice: tuple[dict[str, Any], str],
    error: type[Exception],
    httpserver: HTTPServer,
    client: openaistream.OpenAI,
) -> None:
    answered = completion(*choice)
    answer(httpserver, answered)

    with pytest.raises(error) as raised:
        client.chat.parse(MESSAGES, "gpt-4o-mini", response_format=Event)

    assert raised.value.completion == answered  # type: ignore[attr-defined]
    assert isinstance(raised.value, openaistream.OpenAIError)
    if error is openaistream.RefusalError:
        assert raised.value.refusal == "I can't help with that."  # type: ignore[attr-defined]
        assert "I can't help with that." in str(raised.value)
    if error is openaistream.LengthFinishReasonError:
        assert '"total_tokens":34' in str(raised.value)  # the usage, to see the limit hit


def test_chat_parse_lets_a_model_answer_that_fails_validation_through(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, completion({"content": '{"name": "Meeting"}'}))
    with pytest.raises(ValueError, match="day"):
        client.chat.parse(MESSAGES, "gpt-4o-mini", response_format=Event)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"response_format": "json"}, "response_format must be a JSON schema dict or a type"),
        ({"response_format": Event, "stream": True}, "parse does not stream"),
        ({"tools": GetWeather}, "tools must be a list"),
        ({"tools": [{"type": "function", "function": {}}]}, r"tools\[0\] is a function tool"),
        ({"tools": [type("Opaque", (), {})]}, "pydantic cannot describe"),
    ],
)
def test_chat_parse_refuses_bad_arguments_before_any_request(
    call: dict[str, Any], message: str, httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        client.chat.parse(MESSAGES, "gpt-4o-mini", **call)
    assert httpserver.log == []


# responses.parse


def test_responses_parse_sends_text_format_and_returns_output_parsed(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    call = {"id": "fc_1", "type": "function_call", "status": "completed", "call_id": "call_1",
            "name": "GetWeather", "arguments": '{"city": "Paris"}'}  # fmt: skip
    commentary = message(output_text("Looking it up."), phase="commentary")
    answered = response([commentary, call, message(output_text(EVENT_JSON))])
    answer(httpserver, answered)

    got = client.responses.parse(
        "gpt-5.5",
        "Extract the event: Alice and Bob meet on Friday.",
        text_format=Event,
        tools=[openaistream.function_tool(GetWeather), {"type": "web_search"}],
        text={"verbosity": "low"},
        store=False,
    )

    assert sent(httpserver, "/v1/responses") == {
        "model": "gpt-5.5",
        "input": "Extract the event: Alice and Bob meet on Friday.",
        "store": False,
        "text": {
            "verbosity": "low",
            "format": {
                "type": "json_schema",
                "name": "Event",
                "schema": EVENT_SCHEMA,
                "strict": True,
            },
        },
        "tools": [
            {
                "type": "function",
                "name": "GetWeather",
                "description": "The weather in a city.",
                "parameters": WEATHER_PARAMETERS,
                "strict": True,
            },
            {"type": "web_search"},
        ],
    }
    assert got.pop("output_parsed") == EVENT
    assert got["output"][1].pop("parsed_arguments") == GetWeather(city="Paris")
    assert got == answered


def test_responses_parse_with_a_schema_dict_and_a_flat_strict_tool(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    tool = {"type": "function", **LOOKUP_TOOL["function"]}
    call = {"type": "function_call", "call_id": "c", "name": "lookup", "arguments": '{"q": "x"}'}
    answer(httpserver, response([call, message(output_text(EVENT_JSON))]))

    got = client.responses.parse("gpt-5.5", "hi", text_format=EVENT_SCHEMA, tools=[tool])

    body = sent(httpserver, "/v1/responses")
    assert body["text"] == {"format": {"type": "json_schema", "name": "Event",
                                       "schema": EVENT_SCHEMA, "strict": True}}  # fmt: skip
    assert body["tools"] == [tool]
    assert got["output_parsed"] == json.loads(EVENT_JSON)
    assert got["output"][0]["parsed_arguments"] == {"q": "x"}


def test_responses_parse_does_not_parse_commentary(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    # The model says what it is about to do, then calls a tool: no answer to parse yet.
    call = {"type": "function_call", "call_id": "c", "name": "GetWeather",
            "arguments": '{"city": "Oslo"}'}  # fmt: skip
    answer(httpserver, response([message(output_text("Checking."), phase="commentary"), call]))

    got = client.responses.parse("gpt-5.5", "hi", text_format=Event, tools=[GetWeather])

    assert got["output_parsed"] is None
    assert got["output"][1]["parsed_arguments"] == GetWeather(city="Oslo")


@pytest.mark.parametrize(
    ("answered", "error"),
    [
        (response([message(output_text('{"na'))], "incomplete", "max_output_tokens"),
         openaistream.LengthFinishReasonError),
        (response([], "incomplete", "content_filter"),
         openaistream.ContentFilterFinishReasonError),
        (response([message({"type": "refusal", "refusal": "I can't help with that."})]),
         openaistream.RefusalError),
    ],
)  # fmt: skip
def test_responses_parse_raises_when_there_is_nothing_to_parse(
    answered: dict[str, Any],
    error: type[Exception],
    httpserver: HTTPServer,
    client: openaistream.OpenAI,
) -> None:
    answer(httpserver, answered)

    with pytest.raises(error) as raised:
        client.responses.parse("gpt-5.5", "hi", text_format=Event)

    assert raised.value.completion == answered  # type: ignore[attr-defined]
    if error is openaistream.RefusalError:
        assert raised.value.refusal == "I can't help with that."  # type: ignore[attr-defined]


def test_responses_parse_refuses_bad_arguments_before_any_request(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    with pytest.raises(ValueError, match="text_format or text"):
        client.responses.parse("m", "hi", text_format=Event, text={"format": {"type": "text"}})
    with pytest.raises(TypeError, match="parse does not stream"):
        client.responses.parse("m", "hi", text_format=Event, stream=True)
    with pytest.raises(TypeError, match="text_format must be a JSON schema dict"):
        client.responses.parse("m", "hi", text_format=["Event"])
    assert httpserver.log == []


# Without pydantic: plain JSON schema dicts need nothing more.

WITHOUT_PYDANTIC = """
    import asyncio, json, sys
    sys.modules["pydantic"] = None  # any import of pydantic now fails
    import openaistream
    assert "openaistream.structured" not in sys.modules

    SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}}
    MESSAGES = [{"role": "user", "content": "a number"}]
    base_url = sys.argv[1]

    with openaistream.OpenAI("sk-test", base_url=base_url, max_retries=0) as client:
        sync = client.chat.parse(MESSAGES, "m", response_format=SCHEMA)
        try:
            client.chat.parse(MESSAGES, "m", response_format=type("Event", (), {}))
        except TypeError as exc:
            refused = str(exc)

    async def parse():
        async with openaistream.AsyncOpenAI("sk-test", base_url=base_url, max_retries=0) as c:
            return await c.chat.parse(MESSAGES, "m", response_format=SCHEMA)

    print(json.dumps({"sync": sync["choices"][0]["message"]["parsed"],
                      "async": asyncio.run(parse())["choices"][0]["message"]["parsed"],
                      "refused": refused, "pydantic": "pydantic" in sys.modules
                      and sys.modules["pydantic"] is not None}))
"""


def test_schema_dicts_work_without_pydantic(httpserver: HTTPServer) -> None:
    for _ in range(2):
        answer(httpserver, completion({"content": '{"n": 7}'}))

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(WITHOUT_PYDANTIC), httpserver.url_for("/v1")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sync"] == report["async"] == {"n": 7}
    assert "pip install 'openaistream[structured]'" in report["refused"]
    assert report["pydantic"] is False
    strict = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"],
              "additionalProperties": False}  # fmt: skip
    for request, _ in httpserver.log:
        assert json.loads(request.get_data())["response_format"]["json_schema"] == {
            "name": "response", "schema": strict, "strict": True,
        }  # fmt: skip


def test_importing_openaistream_loads_neither_pydantic_nor_the_schema_builder() -> None:
    code = (
        "import sys, openaistream\n"
        "print(sorted(m for m in ('pydantic', 'openaistream.structured') if m in sys.modules))\n"
        "openaistream.function_tool\n"
        "print(sorted(m for m in ('pydantic', 'openaistream.structured') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.split("\n")[:2] == ["[]", "['openaistream.structured']"]
