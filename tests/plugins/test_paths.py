"""The request line that leaves the client is exactly the path the method named: an ID is
either refused before any connection (a dot segment, or blank) or sent percent-encoded as
exactly one path segment, whatever it holds. Read from the raw request line, where no URL
library or server can tidy it first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Callable
from urllib.parse import unquote

import pytest

import openaistream
from openaistream.resource import path_for, path_segment
from tests.conftest import API_KEY
from tests.support.servers import Conn, RawServer, head

# IDs that must never reach the network: dot segments, whatever decodes to one, and blanks.
REFUSED = [
    ".", "..", "%2e", "%2E", "%2e%2E", ".%2e", "%2E.", "%2e%2e", "%252e", "%252E%252e",
    "", " ", "\t\n ", "\u3000",
]  # fmt: skip
# IDs that must arrive as one segment, percent-encoded.
SENT = [
    "a/b", "a?b", "a#b", "a%2fb", "../etc", "...", ".a", "a.", "a b", " padded ", "%", "%zz",
    "a;b=c", "ascii\x7f", "mod\u00e8le-\u2713-\U0001f600", "x" * 2048,
]  # fmt: skip
UNRESERVED_OR_ESCAPED = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+")

Call = Callable[[openaistream.OpenAI, str], Any]
# (what is called, the call with the awkward ID in place, the argument it goes in, the
# request target with {} where the ID's segment goes)
METHODS: list[tuple[str, Call, str, str]] = [
    ("models.retrieve", lambda c, x: c.models.retrieve(x), "model", "/v1/models/{}"),
    ("models.delete", lambda c, x: c.models.delete(x), "model", "/v1/models/{}"),
    ("files.retrieve", lambda c, x: c.files.retrieve(x), "file_id", "/v1/files/{}"),
    ("assistants.delete", lambda c, x: c.assistants.delete(x), "assistant_id", "/v1/assistants/{}"),
    (
        "runs.retrieve (thread)",
        lambda c, x: c.runs.retrieve(x, "run_1"),
        "thread_id",
        "/v1/threads/{}/runs/run_1",
    ),
    (
        "runs.cancel (run)",
        lambda c, x: c.runs.cancel("thread_1", x),
        "run_id",
        "/v1/threads/thread_1/runs/{}/cancel",
    ),
    (
        "messages.retrieve (message)",
        lambda c, x: c.messages.retrieve("thread_1", x),
        "message_id",
        "/v1/threads/thread_1/messages/{}",
    ),
]
NAMES = [method[0] for method in METHODS]


def answer_json(conn: Conn) -> None:
    while conn.read_request() is not None:
        # One write: a head and a body sent apart wait out the peer's delayed ACK.
        conn.send(
            head(200, {"Content-Type": "application/json", "Content-Length": "2"}, False) + b"{}"
        )


@pytest.fixture
def server() -> Iterator[RawServer]:
    with RawServer(answer_json) as raw:
        yield raw


@pytest.mark.parametrize(("name", "call", "argument", "target"), METHODS, ids=NAMES)
def test_dot_segments_and_blank_ids_are_refused_before_any_connection(
    server: RawServer, make_client: Any, name: str, call: Call, argument: str, target: str
) -> None:
    with make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
        for awkward in REFUSED:
            with pytest.raises(ValueError, match=f"^{argument} must not be") as refused:
                call(client, awkward)
            assert API_KEY not in str(refused.value)
    assert server.connections == 0, f"{name} connected for a refused ID"
    assert server.requests == []


@pytest.mark.parametrize(("name", "call", "argument", "target"), METHODS, ids=NAMES)
def test_every_other_id_is_sent_percent_encoded_in_exactly_one_segment(
    server: RawServer, make_client: Any, name: str, call: Call, argument: str, target: str
) -> None:
    prefix, suffix = target.split("{}")
    with make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
        for awkward in SENT:
            assert call(client, awkward) == {}
            sent = server.requests[-1].target
            assert sent.startswith(prefix) and sent.endswith(suffix), (awkward, sent)
            segment = sent[len(prefix) : len(sent) - len(suffix)]
            assert UNRESERVED_OR_ESCAPED.fullmatch(segment), (awkward, sent)
            assert unquote(segment) == awkward, (awkward, sent)
    assert len(server.requests) == len(SENT)


def test_a_third_party_path_through_the_helper_is_checked_the_same_way() -> None:
    for awkward in REFUSED:
        with pytest.raises(ValueError, match=r"^adapter_id must not be"):
            path_for("/adapters/{adapter_id}/load", adapter_id=awkward)
        with pytest.raises(ValueError, match=r"^adapter_id must not be"):
            path_segment("adapter_id", awkward)
    assert path_for("/a/{x}/b/{y}", x="a/b", y="..x") == "/a/a%2Fb/b/..x"


def test_the_refusal_says_what_the_value_decodes_to() -> None:
    with pytest.raises(ValueError, match=r"'%2E%2e' \(it decodes to '\.\.'\)"):
        path_segment("file_id", "%2E%2e")
    with pytest.raises(ValueError, match="empty or only whitespace"):
        path_segment("file_id", " ")
    with pytest.raises(TypeError, match="file_id must be a string, not int"):
        path_segment("file_id", 7)


@pytest.mark.parametrize("path", ["/models/.", "/models/..", "/a/%2e%2E/b", "/x/%252e?q=1"])
def test_a_path_built_by_hand_with_a_dot_segment_is_refused_before_any_connection(
    server: RawServer, make_client: Any, path: str
) -> None:
    """A plugin that joins IDs into a path itself, without path_for, meets the same check:
    every request's path passes it before anything is sent."""
    with make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0) as client:
        with pytest.raises(ValueError, match="has a dot segment"):
            client.request("GET", path)
        assert client.request("GET", "/models/...") == {}  # three dots are a name
    assert [request.target for request in server.requests] == ["/v1/models/..."]
