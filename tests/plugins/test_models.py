"""client.models against a local server: list, retrieve and delete, with the requests checked."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.support import recordings


def test_list(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    body = recordings.body("models/list")
    httpserver.expect_oneshot_request("/v1/models", method="GET").respond_with_data(
        body, content_type="application/json"
    )
    models = client.models.list()
    assert models == json.loads(body)
    assert models["object"] == "list"
    request = httpserver.log[0][0]
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.data == b""


def test_retrieve(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    body = recordings.body("models/retrieve")
    httpserver.expect_oneshot_request("/v1/models/gpt-4o-mini", method="GET").respond_with_data(
        body, content_type="application/json"
    )
    assert client.models.retrieve("gpt-4o-mini")["id"] == "gpt-4o-mini"


def test_delete_quotes_the_model_id(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    model = "ft:gpt-4o-mini:org:custom:abc123"
    answer = {"id": model, "object": "model", "deleted": True}
    httpserver.expect_oneshot_request(f"/v1/models/{model}", method="DELETE").respond_with_json(
        answer
    )
    assert client.models.delete(model) == answer
    request = httpserver.log[0][0]
    assert request.method == "DELETE"
    assert request.environ["REQUEST_URI"] == "/v1/models/ft%3Agpt-4o-mini%3Aorg%3Acustom%3Aabc123"


def test_not_found_is_a_typed_error(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    recording = recordings.load("errors/404_model_not_found_models")
    httpserver.expect_oneshot_request("/v1/models/fake_id").respond_with_data(
        recordings.body(recording),
        status=404,
        content_type="application/json",
        headers={"x-request-id": "req_123"},
    )
    with pytest.raises(openaistream.NotFoundError) as caught:
        client.models.retrieve("fake_id")
    assert caught.value.status == 404
    assert caught.value.request_id == "req_123"
    assert "req_123" in str(caught.value)


@pytest.mark.parametrize("bad", [None, 3, ""])
def test_a_bad_model_id_fails_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, bad: object
) -> None:
    with pytest.raises((TypeError, ValueError), match="model"):
        client.models.retrieve(bad)  # type: ignore[arg-type]
    assert httpserver.log == []
