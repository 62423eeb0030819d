"""What openai-python users pass on every call (``extra_headers``, ``extra_query``,
``extra_body``, ``timeout``) and on the client (``default_headers``, ``default_query``), on
both clients, against a local server that checks what arrived: the options go to the
request, never into its body or query under their own names."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as ServerRequest
from werkzeug import Response as ServerResponse

import openaistream
from tests.conftest import API_KEY
from tests.plugins.cases import CASES, Case
from tests.support.api import answer, last, query
from tests.support.plugins import install_plugin

RESERVED = ("extra_headers", "extra_query", "extra_body", "timeout")


class WithOptions:
    """A client whose resource methods are each called with these per-call options added,
    as a user writes them: ``client.chat.create(..., extra_headers={...})``."""

    def __init__(self, client: Any, **options: Any) -> None:
        self._client = client
        self._options = options

    def __getattr__(self, name: str) -> Any:
        return _ResourceWithOptions(getattr(self._client, name), self._options)


class _ResourceWithOptions:
    def __init__(self, resource: Any, options: dict[str, Any]) -> None:
        self._resource = resource
        self._options = options

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._resource, name)
        return lambda *args, **kwargs: method(*args, **kwargs, **self._options)


def sent_body(request: ServerRequest) -> Any:
    data = request.get_data()
    return json.loads(data) if data else None


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_method_sends_the_per_call_headers_and_query_and_nothing_of_them_in_the_body(
    name: str, httpserver: HTTPServer, client: Any
) -> None:
    case: Case = CASES[name]
    answer(httpserver, {"id": "obj_1"})
    options = {
        "extra_headers": {"X-Trace": "t-1"},
        "extra_query": {"tenant": "acme"},
        "timeout": 30,
    }

    assert case.call(WithOptions(client, **options)) == {"id": "obj_1"}

    request = last(httpserver)
    assert request.path == case.path
    assert request.headers["X-Trace"] == "t-1"
    assert query(request) == {**case.query, "tenant": ["acme"]}
    assert sent_body(request) == case.body
    for reserved in RESERVED:
        assert reserved not in request.query_string.decode()


def test_extra_body_adds_keys_to_the_json_body(httpserver: HTTPServer, client: Any) -> None:
    answer(httpserver, {"id": "chatcmpl-1"})
    messages = [{"role": "user", "content": "Hi"}]

    client.chat.create(messages, "gpt-4o-mini", extra_body={"guided_json": {"type": "object"}})

    assert sent_body(last(httpserver)) == {
        "model": "gpt-4o-mini",
        "messages": messages,
        "guided_json": {"type": "object"},
    }


def test_extra_body_is_the_body_of_a_call_that_has_none(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, {"id": "batch_1"})

    client.batches.cancel("batch_1", extra_body={"reason": "test"})

    assert sent_body(last(httpserver)) == {"reason": "test"}


def test_a_reserved_name_in_params_never_reaches_the_body(
    httpserver: HTTPServer, client: Any
) -> None:
    # chat.create takes **params into the body: the reserved names are taken off first.
    answer(httpserver, {"id": "chatcmpl-1"})

    client.chat.create([{"role": "user", "content": "Hi"}], "gpt-4o-mini", timeout=20)

    assert set(sent_body(last(httpserver))) == {"model", "messages"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"extra_body": ["x"]}, "extra_body must be a dict, not list"),
        ({"extra_query": "a=1"}, "extra_query must be a dict, not str"),
        ({"extra_headers": {"Bad Name": "x"}}, "extra_headers: 'Bad Name' is not a valid"),
        ({"extra_headers": {"X-A": "a\nb"}}, "extra_headers: the value of 'X-A'"),
        ({"timeout": -1}, "timeout must be a positive number"),
    ],
)
def test_a_bad_per_call_option_is_refused_by_name_before_any_network(
    options: dict[str, Any], message: str, httpserver: HTTPServer, client: Any
) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        client.models.list(**options)
    assert httpserver.log == []


def test_extra_body_on_an_upload_is_refused_before_any_network(
    tmp_path: Path, httpserver: HTTPServer, client: Any
) -> None:
    path = tmp_path / "input.jsonl"
    path.write_text("{}\n")
    with pytest.raises(TypeError, match="extra_body adds keys to a JSON body"):
        client.files.upload(path, purpose="batch", extra_body={"x": 1})
    assert httpserver.log == []


def test_extra_headers_replace_a_header_in_any_case_and_none_removes_one(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, {"id": "asst_1"})

    client.assistants.retrieve(
        "asst_1", extra_headers={"openai-beta": None, "authorization": "Bearer sk-other"}
    )

    request = last(httpserver)
    assert "OpenAI-Beta" not in request.headers
    assert request.headers.getlist("Authorization") == ["Bearer sk-other"]


def test_a_per_call_timeout_bounds_that_call_only(httpserver: HTTPServer, make_client: Any) -> None:
    def slow(request: ServerRequest) -> ServerResponse:
        time.sleep(1.5)
        return ServerResponse(json.dumps({"data": []}), content_type="application/json")

    httpserver.expect_request("/v1/models").respond_with_handler(slow)
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)

    started = time.monotonic()
    with pytest.raises(openaistream.APITimeoutError):
        client.models.list(timeout=openaistream.Timeout(connect=5, read=0.2))
    assert time.monotonic() - started < 1.4  # it did not wait for the slow answer
    assert client.models.list() == {"data": []}  # the client's own timeout is unchanged


def test_a_stream_carries_the_per_call_options(httpserver: HTTPServer, client: Any) -> None:
    body = b'data: {"choices": []}\n\ndata: [DONE]\n\n'
    answer(httpserver, body, content_type="text/event-stream")

    stream = client.chat.create(
        [{"role": "user", "content": "Hi"}],
        "gpt-4o-mini",
        stream=True,
        extra_headers={"X-Trace": "s-1"},
        extra_query={"route": "eu"},
    )
    assert list(stream) == [{"choices": []}]

    request = last(httpserver)
    assert request.headers["X-Trace"] == "s-1"
    assert query(request) == {"route": ["eu"]}
    assert set(sent_body(request)) == {"model", "messages", "stream"}


THIRD_PARTY = """
    import openaistream


    class Notes(openaistream.Resource):
        endpoint = "/notes"

        def create(self, text, **params):
            return self.request("POST", "/notes", json={"text": text, **params})

        def delete(self, note_id):
            return self.client.request("DELETE", f"/notes/{note_id}")

        def copy_twice(self, text):
            def steps():
                first = yield self.create(text)
                return (yield self.create(first["text"] * 2))

            return self.run(steps())


    @openaistream.hookimpl
    def register_resources(register):
        register("notes", Notes)
"""


def test_a_third_party_resource_takes_the_per_call_options_without_writing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, make_client: Any
) -> None:
    install_plugin(tmp_path, monkeypatch, "notes", THIRD_PARTY)

    def echo(request: ServerRequest) -> ServerResponse:
        return ServerResponse(request.get_data() or b"{}", content_type="application/json")

    httpserver.expect_request("/v1/notes").respond_with_handler(echo)
    httpserver.expect_request("/v1/notes/n1").respond_with_handler(echo)
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)
    options = {"extra_headers": {"X-Team": "a"}, "extra_query": {"v": "2"}}

    assert client.notes.create("hi", color="red", **options) == {"text": "hi", "color": "red"}
    client.notes.delete("n1", **options)
    # Both calls of a method of several steps carry them, on the async client too (where
    # the steps run later, when the client drives them).
    assert client.notes.copy_twice("ab", extra_body={"pinned": True})["text"] == "abab"

    sent = [request for request, _ in httpserver.log]
    assert [r.method for r in sent] == ["POST", "DELETE", "POST", "POST"]
    for request in sent[:2]:
        assert request.headers["X-Team"] == "a"
        assert query(request) == {"v": ["2"]}
    assert [sent_body(r) for r in sent[2:]] == [
        {"text": "ab", "pinned": True},
        {"text": "abab", "pinned": True},
    ]


def test_a_local_method_takes_no_per_call_options() -> None:
    class Tools(openaistream.Resource):
        @openaistream.resource.local
        def schema(self, name: str) -> dict[str, str]:
            return {"name": name}

    tools = Tools(None)  # type: ignore[arg-type]
    assert tools.schema("x") == {"name": "x"}
    with pytest.raises(TypeError, match="timeout"):
        tools.schema("x", timeout=3)  # type: ignore[call-arg]


# -- client options ------------------------------------------------------------------------


def test_default_headers_and_query_go_with_every_request(
    httpserver: HTTPServer, make_client: Any
) -> None:
    answer(httpserver, {"data": []})
    answer(httpserver, {"id": "chatcmpl-1"})
    client = make_client(
        API_KEY,
        base_url=httpserver.url_for("/v1") + "?api-version=1",
        default_headers={"X-Gateway-Key": "g-1", "User-Agent": "my-app/2"},
        default_query={"tenant": "acme"},
    )

    client.files.list(after="m1")
    client.chat.create([{"role": "user", "content": "Hi"}], "gpt-4o-mini")

    for request, _ in httpserver.log:
        assert request.headers["X-Gateway-Key"] == "g-1"
        assert request.headers.getlist("User-Agent") == ["my-app/2"]
        assert query(request)["tenant"] == ["acme"]
        assert query(request)["api-version"] == ["1"]
    assert query(httpserver.log[0][0])["after"] == ["m1"]
    assert "tenant" not in sent_body(httpserver.log[1][0])


def test_a_default_header_of_none_removes_it_and_a_call_can_put_it_back(
    httpserver: HTTPServer, make_client: Any
) -> None:
    answer(httpserver, {"data": []})
    answer(httpserver, {"data": []})
    client = make_client(
        API_KEY,
        base_url=httpserver.url_for("/v1"),
        organization="org-1",
        default_headers={"openai-organization": None},
    )

    client.models.list()
    client.models.list(extra_headers={"OpenAI-Organization": "org-2"})

    assert "OpenAI-Organization" not in httpserver.log[0][0].headers
    assert httpserver.log[1][0].headers["OpenAI-Organization"] == "org-2"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"default_headers": {"X-A": "a\r\nX-B: b"}}, "default_headers: the value of 'X-A'"),
        ({"default_headers": ["X-A"]}, "default_headers must be a dict"),
        ({"default_query": "a=1"}, "default_query must be a dict"),
    ],
)
def test_bad_client_options_are_refused_by_name(
    options: dict[str, Any], message: str, make_client: Any
) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make_client(API_KEY, base_url="http://127.0.0.1:9/v1", **options)


def test_an_idempotency_key_goes_unchanged_with_every_retry_of_a_call(
    httpserver: HTTPServer, make_client: Any
) -> None:
    # OpenAI documents no idempotency header: a server that takes one (a gateway) gets the
    # caller's on every attempt of the one call, as openai-python sends its own.
    answer(httpserver, {"error": {"message": "busy"}}, status=503)
    answer(httpserver, {"id": "chatcmpl-1"})
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=1)

    client.chat.create(
        [{"role": "user", "content": "Hi"}],
        "gpt-4o-mini",
        extra_headers={"Idempotency-Key": "order-42"},
    )

    sent = [request.headers.get("Idempotency-Key") for request, _ in httpserver.log]
    assert sent == ["order-42", "order-42"]


def test_a_stream_helper_passes_the_per_call_options_on(
    httpserver: HTTPServer, client: Any
) -> None:
    body = b'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}\n\ndata: [DONE]\n\n'
    answer(httpserver, body, content_type="text/event-stream")

    with client.chat.stream(
        [{"role": "user", "content": "Hi"}], "gpt-4o-mini", extra_headers={"X-Trace": "h-1"}
    ) as stream:
        assert list(stream.text_deltas()) == ["Hi"]

    assert last(httpserver).headers["X-Trace"] == "h-1"
    assert "extra_headers" not in sent_body(last(httpserver))
