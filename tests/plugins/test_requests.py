"""Every JSON resource method against a local server: the method, path, query, headers and
body it sends, and that the answer comes back as the API's JSON."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.plugins.cases import CASES, Case
from tests.support.api import answer, last, query


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_request_each_method_sends(
    name: str, httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    case: Case = CASES[name]
    answer(httpserver, {"id": "obj_1", "object": "test"})

    assert case.call(client) == {"id": "obj_1", "object": "test"}

    request = last(httpserver)
    assert request.method == case.method
    assert request.path == case.path
    assert query(request) == case.query
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    for header, value in case.headers.items():
        assert request.headers[header] == value
    if not case.headers:
        assert "OpenAI-Beta" not in request.headers
    if case.body is None:
        assert request.get_data() == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.get_data()) == case.body
