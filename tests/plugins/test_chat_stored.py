"""The stored chat completions on ``client.chat`` (``store=True``): a list walked with
openaistream.paginate, and arguments refused before any network. Their requests are checked
against the spec in tests/plugins/calls/chat_stored.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.support.api import answer, last, query


def page(ids: list[str], has_more: bool) -> dict[str, Any]:
    data = [{"id": i, "object": "chat.completion"} for i in ids]
    return {"object": "list", "data": data, "first_id": ids[0], "last_id": ids[-1],
            "has_more": has_more}  # fmt: skip


def test_paginate_walks_the_stored_completions(httpserver: HTTPServer, client: Any) -> None:
    answer(httpserver, page(["chatcmpl-1", "chatcmpl-2"], has_more=True))
    answer(httpserver, page(["chatcmpl-3"], has_more=False))

    walked = openaistream.paginate(client.chat.list, model="gpt-4o", limit=2)

    assert [c["id"] for c in walked] == ["chatcmpl-1", "chatcmpl-2", "chatcmpl-3"]
    assert query(last(httpserver)) == {"model": ["gpt-4o"], "limit": ["2"], "after": ["chatcmpl-2"]}


def test_update_sends_the_metadata_and_messages_the_query(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, {"id": "chatcmpl-1"})
    client.chat.update("chatcmpl-1", {"topic": "demo"})
    assert json.loads(last(httpserver).get_data()) == {"metadata": {"topic": "demo"}}

    answer(httpserver, page(["msg_1"], has_more=False))
    client.chat.messages("chatcmpl-1", order="asc")
    assert last(httpserver).path == "/v1/chat/completions/chatcmpl-1/messages"
    assert query(last(httpserver)) == {"order": ["asc"]}


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda c: c.chat.update("chatcmpl-1"), TypeError, "'metadata'"),
        (lambda c: c.chat.retrieve(""), ValueError, "completion_id"),
        (lambda c: c.chat.delete("%2e%2e"), ValueError, "completion_id"),
        (lambda c: c.chat.messages(None), TypeError, "completion_id must be a string"),
    ],
)
def test_bad_arguments_fail_before_any_network(
    httpserver: HTTPServer, client: Any, call: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call(client)
    assert httpserver.log == []
