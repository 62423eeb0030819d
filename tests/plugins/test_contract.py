# ruff: noqa: E501 - the tables of calls read best one call to a line
"""Every request the resource plugins send, checked against OpenAI's OpenAPI spec (the part
of it in tests/fixtures/openapi): the path and method exist, the query parameters are
declared, and the body validates against the operation's request schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest
from jsonschema import Draft202012Validator
from pytest_httpserver import HTTPServer
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug import Request as ServerRequest

import openaistream
from tests.plugins.calls import Call, all_calls
from tests.plugins.cases import CASES
from tests.support.api import answer, last

SPEC = json.loads((Path(__file__).parent.parent / "fixtures/openapi/spec.json").read_text())
REGISTRY = Registry().with_resource("urn:spec", Resource.from_contents(SPEC, DRAFT202012))
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's operation for a request path under /v1, matched against its templates."""
    path = path.removeprefix("/v1")
    for key, op in SPEC["operations"].items():
        op_method, template = key.split(" ", 1)
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if op_method == method and re.match(pattern, path):
            return key, op
    raise AssertionError(f"{method} {path} is not an operation of the OpenAPI spec")


def check_query(request: ServerRequest, op: dict[str, Any]) -> None:
    declared = set(op["query"])
    for name in request.args:
        base = re.sub(r"\[[^\]]*\]$", "", name)  # include[] -> include, metadata[k] -> metadata
        assert name in declared or base in declared or f"{base}[]" in declared, (
            f"query parameter {name!r} is not declared; the spec has {sorted(declared)}"
        )


def check_json(key: str, op: dict[str, Any], body: Any) -> None:
    schema = op["bodies"].get("application/json")
    assert schema is not None, f"{key} takes no JSON body"
    pointer = "/".join(part.replace("~", "~0").replace("/", "~1") for part in ["operations", key])
    ref = {"$ref": f"urn:spec#/{pointer}/bodies/application~1json"}
    errors = sorted(Draft202012Validator(ref, registry=REGISTRY).iter_errors(body), key=str)
    assert not errors, f"{key}: the body does not match the spec: {errors[0].message}"


def check_multipart(key: str, op: dict[str, Any], request: ServerRequest) -> None:
    schema = op["bodies"].get("multipart/form-data")
    assert schema is not None, f"{key} takes no multipart body"
    if "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    properties = schema.get("properties", {})
    sent = {re.sub(r"\[[^\]]*\]$", "", name) for name in [*request.form, *request.files]}
    assert sent <= set(properties), f"{key}: fields not in the spec: {sent - set(properties)}"
    missing = set(schema.get("required", [])) - sent
    assert not missing, f"{key}: required fields not sent: {missing}"


def check(request: ServerRequest) -> str:
    key, op = operation(request.method, request.path)
    check_query(request, op)
    kind = request.mimetype
    if kind == "application/json":
        check_json(key, op, json.loads(request.get_data()))
    elif kind == "multipart/form-data":
        check_multipart(key, op, request)
    else:
        assert not request.get_data(), f"{key}: a body of type {kind!r}"
    return key


@pytest.mark.parametrize("name", sorted(n for n, case in CASES.items() if not case.v1_retired))
def test_json_methods_match_the_spec(
    name: str, httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, {"id": "x"})
    CASES[name].call(client)
    check(last(httpserver))


def uploads(tmp: Path) -> dict[str, Callable[[openaistream.OpenAI], Any]]:
    audio, image = tmp / "hello.mp3", tmp / "otter.png"
    audio.write_bytes(b"ID3" + bytes(200))
    image.write_bytes(PNG)
    return {
        "files.upload": lambda c: c.files.upload(
            audio, "user_data", expires_after={"anchor": "created_at", "seconds": 3600}
        ),
        "audio.transcription": lambda c: c.audio.transcription(
            audio, "gpt-4o-transcribe", language="en", include=["logprobs"], response_format="json",
            timestamp_granularities=["word"], chunking_strategy="auto",
        ),
        "audio.translation": lambda c: c.audio.translation(audio, prompt="hi", temperature=0.2),
        "images.edit": lambda c: c.images.edit(image, "a hat", mask=image, n=1, size="256x256"),
        "images.edit (several)": lambda c: c.images.edit([image, image], "a hat", model="gpt-image-1"),
        "images.variation": lambda c: c.images.variation(image, n=2, size="256x256"),
    }  # fmt: skip


UPLOADS = ["files.upload", "audio.transcription", "audio.translation", "images.edit",
           "images.edit (several)", "images.variation"]  # fmt: skip


@pytest.mark.parametrize("name", UPLOADS)
def test_multipart_methods_match_the_spec(
    name: str, httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    answer(httpserver, {"id": "x"})
    uploads(tmp_path)[name](client)
    check(last(httpserver))


STREAMED: dict[str, Callable[[openaistream.OpenAI], Any]] = {
    "chat.create": lambda c: c.chat.create(
        [{"role": "user", "content": "Hi"}], "gpt-4o", stream=True, stream_options={"include_usage": True}
    ),
    "runs.create": lambda c: c.runs.create("thread_1", "asst_1", stream=True, additional_messages=[]),
    "runs.create_thread": lambda c: c.runs.create_thread("asst_1", stream=True),
    "runs.submit_tool_outputs": lambda c: c.runs.submit_tool_outputs(
        "thread_1", "run_1", [{"tool_call_id": "call_1", "output": "ok"}], stream=True
    ),
    "responses.create": lambda c: c.responses.create("gpt-4o-mini", "Hi", stream=True),
    "chat.stream": lambda c: c.chat.stream([{"role": "user", "content": "Hi"}], "gpt-4o", n=2, seed=7),
    "responses.stream": lambda c: c.responses.stream("gpt-4o-mini", "Hi", store=False),
    "responses.retrieve": lambda c: c.responses.retrieve("resp_1", stream=True, starting_after=2),
    "audio.speech (sse)": lambda c: c.audio.speech("Hi", "gpt-4o-mini-tts", stream=True, stream_format="sse"),
    "images.create": lambda c: c.images.create("otter", model="gpt-image-1", stream=True, partial_images=2),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_streamed_methods_match_the_spec(
    name: str, httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, b"data: [DONE]\n\n", content_type="text/event-stream")
    assert list(STREAMED[name](client)) == []
    check(last(httpserver))


def test_speech_as_bytes_matches_the_spec(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, b"ID3", content_type="audio/mpeg")
    assert list(client.audio.speech("Hi", stream=True, speed=1.5, response_format="opus")) == [
        b"ID3"
    ]
    assert check(last(httpserver)) == "POST /audio/speech"


def test_file_content_and_batch_output_match_the_spec(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, b"{}\n", content_type="application/octet-stream")
    client.files.retrieve_content("file-1")
    assert check(last(httpserver)) == "GET /files/{file_id}/content"
    answer(httpserver, b"{}\n", content_type="application/octet-stream")
    assert list(client.batches.read_output("file-2")) == [{}]
    assert check(last(httpserver)) == "GET /files/{file_id}/content"


CALLS = all_calls()


def answer_as(httpserver: HTTPServer, call: Call) -> None:
    if call.answer == "sse":
        answer(httpserver, b"data: [DONE]\n\n", content_type="text/event-stream")
    elif call.answer == "bytes":
        answer(httpserver, b"\x00\x01", content_type="application/octet-stream")
    else:
        answer(httpserver, {"id": "x"} if call.json is None else call.json)


def made(call: Call, client: Any, tmp_path: Path) -> Any:
    """The call made, a stream it answers read to its end."""
    answered = call.call(client, tmp_path) if call.tmp else call.call(client)
    if (
        call.answer != "json"
        and hasattr(answered, "__iter__")
        and not isinstance(answered, (bytes, dict))
    ):
        return list(answered)
    return answered


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_call_reaches_its_operation_as_the_spec_says(
    name: str, httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    call = CALLS[name]
    answer_as(httpserver, call)
    made(call, client, tmp_path)
    assert check(last(httpserver)) == call.operation


def admin(key: str) -> bool:
    """An operation of the admin API, which needs an admin key (not a resource's)."""
    return key.split(" ", 1)[1].startswith(("/organization", "/projects"))


def test_every_operation_of_the_spec_is_reached_by_a_resource_method(
    httpserver: HTTPServer, sync_client: openaistream.OpenAI, tmp_path: Path
) -> None:
    """The spec's operations (the admin API aside) that no call reaches: none. A new spec
    (tests/fixtures/openapi) shows its new operations here, by name."""
    reached: set[str] = set()
    for case in CASES.values():
        if not case.v1_retired:
            reached.add(operation(case.method, case.path)[0])
    for upload in UPLOADS:
        answer(httpserver, {"id": "x"})
        uploads(tmp_path)[upload](sync_client)
        reached.add(check(last(httpserver)))
    for streamed in STREAMED.values():
        answer(httpserver, b"data: [DONE]\n\n", content_type="text/event-stream")
        list(streamed(sync_client))
        reached.add(check(last(httpserver)))
    reached |= {call.operation for call in CALLS.values()}  # each checked by the test above
    missing = sorted(key for key in SPEC["operations"] if not admin(key) and key not in reached)
    assert not missing, f"{len(missing)} operations no resource method reaches: {missing}"


@pytest.mark.parametrize("name", sorted(n for n, case in CASES.items() if case.v1_retired))
def test_the_retired_v1_file_endpoints_are_not_in_the_spec(name: str) -> None:
    case = CASES[name]
    with pytest.raises(AssertionError, match="is not an operation"):
        operation(case.method, case.path)


def test_every_resource_method_is_covered_by_the_contract(make_client: Any) -> None:
    """A new public method on a built-in resource must be added to these tables (the
    resources of each client: the async client's are the same plugins')."""
    covered = {name.split(" ")[0] for name in [*CASES, *STREAMED, *UPLOADS, *CALLS]}
    covered |= {"files.retrieve_content", "files.download", "batches.read_output",
                "batches.write_input", "audio.speech", "chat.accumulate", "runs.create_tread"}  # fmt: skip
    # Several requests a call, each checked against the spec in tests/plugins/test_uploads.py.
    covered |= {"uploads.upload_file"}
    # A file of requests of any paths (tests/plugins/test_bulk_*.py), or none (check).
    covered |= {"bulk.process", "bulk.check"}
    # No request at all: they check a webhook OpenAI sent (tests/plugins/test_webhooks.py).
    covered |= {"webhooks.verify_signature", "webhooks.unwrap"}
    client = make_client(api_key="sk-test-contract-000000")
    public = {
        f"{name}.{method}"
        for name, resource in client.resources.items()
        for method in dir(resource)
        if not method.startswith("_")
        and method not in dir(openaistream.Resource)  # Resource.request: inherited by all
        and callable(getattr(resource, method))
    }
    assert {"chat.create", "files.download", "runs.create"} <= public  # the resources are seen
    assert public - covered == set()


def test_the_checks_catch_a_request_that_breaks_the_spec() -> None:
    key, op = operation("POST", "/v1/chat/completions")
    with pytest.raises(AssertionError, match="does not match the spec"):
        check_json(key, op, {"model": "gpt-4o"})  # no messages
    with pytest.raises(AssertionError, match="does not match the spec"):
        check_json(key, op, {"model": "gpt-4o", "messages": "Hi"})
    with pytest.raises(AssertionError, match="is not an operation"):
        operation("PUT", "/v1/chat/completions")
