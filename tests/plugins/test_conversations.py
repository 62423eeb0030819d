"""client.conversations against a local server: a conversation's items walked page by page
with openaistream.paginate, ``include`` sent in the query of an items POST, arguments
refused before any network, and the commands (JSON arguments, tables, stdin)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request as WRequest
from werkzeug import Response as WResponse

import openaistream
from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import answer, last, query

ITEMS_PATH = "/v1/conversations/conv_123/items"
HELLO = {"type": "message", "role": "user", "content": "Hello!"}
LOGPROBS = "message.output_text.logprobs"


def item(n: int) -> dict[str, Any]:
    return {"type": "message", "id": f"msg_{n}", "status": "completed", "role": "user"}


def serve_pages(httpserver: HTTPServer, count: int, size: int) -> None:
    """The conversation's ``count`` items, ``size`` a page, from ``after`` on: the list
    shape of the API (``first_id``, ``last_id``, ``has_more``)."""
    everything = [item(n) for n in range(count)]

    def page(request: WRequest) -> WResponse:
        after = request.args.get("after")
        start = 0 if after is None else [i["id"] for i in everything].index(after) + 1
        data = everything[start : start + size]
        body = {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": start + size < count,
        }
        return WResponse(json.dumps(body), content_type="application/json")

    httpserver.expect_request(ITEMS_PATH, method="GET").respond_with_handler(page)


def test_paginate_walks_every_item_of_a_conversation(httpserver: HTTPServer, client: Any) -> None:
    serve_pages(httpserver, count=7, size=3)

    items = list(openaistream.paginate(client.conversations.items_list, "conv_123", limit=3))

    assert [i["id"] for i in items] == [f"msg_{n}" for n in range(7)]
    sent = [query(request) for request, _ in httpserver.log]
    assert sent == [
        {"limit": ["3"]},
        {"limit": ["3"], "after": ["msg_2"]},
        {"limit": ["3"], "after": ["msg_5"]},
    ]


def test_paginate_walks_the_items_with_async_for(httpserver: HTTPServer) -> None:
    serve_pages(httpserver, count=5, size=2)

    async def walked() -> list[str]:
        async with openaistream.AsyncOpenAI(
            api_key=API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0
        ) as client:
            pages = openaistream.paginate(client.conversations.items_list, "conv_123")
            return [i["id"] async for i in pages]

    assert asyncio.run(walked()) == [f"msg_{n}" for n in range(5)]
    assert len(httpserver.log) == 3


def test_items_create_sends_include_in_the_query_and_the_items_in_the_body(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, {"object": "list", "data": [item(1)], "has_more": False})

    client.conversations.items_create("conv_123", [HELLO], include=[LOGPROBS])

    request = last(httpserver)
    assert (request.method, request.path) == ("POST", ITEMS_PATH)
    assert query(request) == {"include[]": [LOGPROBS]}
    assert json.loads(request.get_data()) == {"items": [HELLO]}


def test_update_and_items_retrieve_send_their_arguments(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, {"id": "conv_123", "object": "conversation"})
    client.conversations.update("conv_123", metadata={"topic": "project-x"})
    assert json.loads(last(httpserver).get_data()) == {"metadata": {"topic": "project-x"}}

    answer(httpserver, item(4))
    assert client.conversations.items_retrieve("conv_123", "msg_4") == item(4)
    assert last(httpserver).path == ITEMS_PATH + "/msg_4"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda c: c.conversations.items_create("conv_123"), TypeError, "'items'"),
        (lambda c: c.conversations.items_create("conv_123", None), TypeError, "items is required"),
        (lambda c: c.conversations.items_retrieve("conv_123", ""), ValueError, "item_id"),
        (lambda c: c.conversations.items_delete("..", "msg_1"), ValueError, "conversation_id"),
        (lambda c: c.conversations.update("conv_123"), TypeError, "'metadata'"),
        (lambda c: c.conversations.retrieve(123), TypeError, "conversation_id must be a string"),
    ],
)
def test_bad_arguments_fail_before_any_network(
    httpserver: HTTPServer, client: Any, call: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call(client)
    assert httpserver.log == []


def invoke(httpserver: HTTPServer, *args: str, input: str = "") -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], input=input, catch_exceptions=False)


def test_the_group_has_a_command_for_each_method(httpserver: HTTPServer) -> None:
    result = invoke(httpserver, "conversations", "--help")

    for name in ("create", "retrieve", "update", "delete", "items-create", "items-list",
                 "items-retrieve", "items-delete"):  # fmt: skip
        assert f"  {name} " in result.output


def test_items_create_reads_its_items_as_json(httpserver: HTTPServer) -> None:
    answer(httpserver, {"object": "list", "data": [item(1)], "has_more": False})

    result = invoke(
        httpserver, "conversations", "items-create", "conv_123", json.dumps([HELLO]),
        "-o", f'include=["{LOGPROBS}"]',
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert json.loads(last(httpserver).get_data()) == {"items": [HELLO]}
    assert query(last(httpserver)) == {"include[]": [LOGPROBS]}


def test_update_reads_the_metadata_from_stdin(httpserver: HTTPServer) -> None:
    answer(httpserver, {"id": "conv_123", "object": "conversation"})

    result = invoke(httpserver, "conversations", "update", "conv_123", "-", input='{"a": "b"}')

    assert result.exit_code == 0, result.output
    assert json.loads(last(httpserver).get_data()) == {"metadata": {"a": "b"}}


def test_an_argument_that_is_not_json_is_a_usage_error_before_any_network(
    httpserver: HTTPServer,
) -> None:
    result = invoke(httpserver, "conversations", "items-create", "conv_123", "Hello!")

    assert result.exit_code == 2
    assert "ITEMS" in result.output and "is not JSON" in result.output
    assert httpserver.log == []


def test_items_list_prints_a_table(httpserver: HTTPServer) -> None:
    answer(httpserver, {"object": "list", "data": [item(7)], "has_more": False})

    result = invoke(httpserver, "conversations", "items-list", "conv_123", "-o", "limit=1")

    assert result.exit_code == 0, result.output
    assert result.output.split() == ["id", "type", "role", "status", "msg_7", "message", "user",
                                     "completed"]  # fmt: skip
    assert query(last(httpserver)) == {"limit": ["1"]}
