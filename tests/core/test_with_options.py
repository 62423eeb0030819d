"""``with_options`` takes every option of the constructor: the ones a call can change share
the client's connections; a transport, proxy, CA bundle or cassette makes a client of its
own. Both clients."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.support.api import answer, last, query


def inner(client: Any) -> Any:
    """The client itself, behind the blocking face of the async one."""
    return getattr(client, "_target", client)


def test_each_sharing_option_changes_what_is_sent_and_keeps_the_connections(
    httpserver: HTTPServer, make_client: Any
) -> None:
    answer(httpserver, {"data": []})
    parent = make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)
    child = parent.with_options(
        api_key="sk-child-key-0000",
        base_url=httpserver.url_for("/v1") + "?api-version=2",
        organization="org-child",
        project="proj-child",
        default_headers={"X-Child": "1"},
        default_query={"tenant": "child"},
        timeout=7,
        max_retries=3,
        verbosity=1,
        keep=False,
        plugins=["models"],
    )

    child.models.list()

    request = last(httpserver)
    assert request.headers["Authorization"] == "Bearer sk-child-key-0000"
    assert request.headers["OpenAI-Organization"] == "org-child"
    assert request.headers["OpenAI-Project"] == "proj-child"
    assert request.headers["X-Child"] == "1"
    assert query(request) == {"api-version": ["2"], "tenant": ["child"]}
    assert sorted(child.resources) == ["models"]
    assert inner(child)._connections is inner(parent)._connections
    assert inner(child)._retry.max_retries == 3
    assert inner(child)._config.timeout == openaistream.Timeout(connect=7, read=7)
    # The parent is as it was.
    assert inner(parent)._config.organization is None
    assert parent.verbosity == 0 and "chat" in parent.resources


def test_a_derived_client_keeps_what_it_did_not_change(
    httpserver: HTTPServer, make_client: Any
) -> None:
    answer(httpserver, {"data": []})
    parent = make_client(
        API_KEY,
        base_url=httpserver.url_for("/v1"),
        default_headers={"X-Parent": "p"},
        default_query={"tenant": "p"},
    )

    parent.with_options(timeout=5).models.list()

    request = last(httpserver)
    assert request.headers["X-Parent"] == "p"
    assert query(request) == {"tenant": ["p"]}
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"


def test_a_connection_option_makes_a_client_with_connections_of_its_own(
    httpserver: HTTPServer, make_client: Any
) -> None:
    answer(httpserver, {"data": []})
    parent = make_client(API_KEY, base_url="http://127.0.0.1:9/v1", organization="org-p")
    # The parent's proxy would fail every call; the child goes straight to the server.
    parent.set_proxy("127.0.0.1", 9)
    child = parent.with_options(proxy=None, base_url=httpserver.url_for("/v1"))

    assert child.models.list() == {"data": []}
    assert inner(child)._connections is not inner(parent)._connections
    assert last(httpserver).headers["OpenAI-Organization"] == "org-p"
    assert parent.get_proxy() == "http://127.0.0.1:9"
    child.close()


def test_with_options_refuses_what_the_constructor_does_not_take() -> None:
    client = openaistream.OpenAI(API_KEY, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match=r"with_options\(\) got 'max_retry'.*max_retries"):
        client.with_options(max_retry=1)
    with pytest.raises(ValueError, match="verbosity must be 0, 1, 2 or 3"):
        client.with_options(verbosity=7)
    with pytest.raises(ValueError, match="base_url must be an http"):
        client.with_options(base_url="ftp://example")


def test_copy_is_with_options() -> None:
    client = openaistream.OpenAI(API_KEY, base_url="http://127.0.0.1:9/v1")
    assert client.copy(organization="org-2")._config.organization == "org-2"
