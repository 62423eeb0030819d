"""Azure OpenAI on both clients (``AzureOpenAI``, ``AsyncAzureOpenAI``) against a local server
that checks the path, query and headers of each call: the deployment paths with
``api-version``, the ``/openai/v1`` endpoint, ``api-key`` and Entra ID tokens, the
environment, and Azure's content-filter results passed on intact.

The content-filter bodies follow the shapes Microsoft documents for Azure OpenAI (the
"Content filtering" page of the Azure OpenAI docs): no recording of them is in
shared/recordings, so they are written here, field for field, from that page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.support.api import last, query

AZURE_KEY = "azure-key-0123456789abcdefSECRET"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-token-SECRET"
VERSION = "2024-10-21"
MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def make_azure(clients: Any) -> Any:
    """``make_azure(**options)``: an AzureOpenAI, or an AsyncAzureOpenAI driven blocking."""

    def make(**options: Any) -> Any:
        options.setdefault("max_retries", 0)
        return clients.make_of(openaistream.AzureOpenAI, openaistream.AsyncAzureOpenAI, **options)

    return make


def answer(httpserver: HTTPServer, body: Any, **options: Any) -> None:
    """Answer the next request whatever its path: each test checks where it went."""
    data = body if isinstance(body, bytes) else json.dumps(body)
    options.setdefault("content_type", "application/json")
    httpserver.expect_oneshot_request(re.compile(".*")).respond_with_data(data, **options)


def endpoint(httpserver: HTTPServer) -> str:
    return httpserver.url_for("").rstrip("/")


def test_a_deployment_call_goes_to_the_deployment_of_its_model(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    answer(httpserver, {"id": "chatcmpl-1"})
    client = make_azure(azure_endpoint=endpoint(httpserver), api_version=VERSION, api_key=AZURE_KEY)

    client.chat.create(MESSAGES, "my-gpt4o")

    request = httpserver.log[-1][0]
    assert request.path == "/openai/deployments/my-gpt4o/chat/completions"
    assert query(request) == {"api-version": [VERSION]}
    assert request.headers["api-key"] == AZURE_KEY
    assert "Authorization" not in request.headers
    assert json.loads(request.get_data())["model"] == "my-gpt4o"


def test_azure_deployment_takes_every_deployment_call_and_no_other(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    answer(httpserver, {"ok": 1}, content_type="application/json")
    answer(httpserver, {"data": []})
    client = make_azure(
        azure_endpoint=endpoint(httpserver) + "/",
        azure_deployment="prod-embed",
        api_version=VERSION,
        api_key=AZURE_KEY,
    )

    client.embeddings.create("text", "text-embedding-3-small")
    client.files.list()

    first, second = (request for request, _ in httpserver.log)
    assert first.path == "/openai/deployments/prod-embed/embeddings"
    assert second.path == "/openai/files"
    assert query(first) == query(second) == {"api-version": [VERSION]}


def test_the_v1_endpoint_takes_the_model_in_the_body_and_needs_no_version(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    answer(httpserver, {"id": "chatcmpl-1"})
    client = make_azure(base_url=endpoint(httpserver) + "/openai/v1/", api_key=AZURE_KEY)

    client.chat.create(MESSAGES, "gpt-4o-mini")

    request = last(httpserver)
    assert request.path == "/openai/v1/chat/completions"
    assert query(request) == {}
    assert request.headers["api-key"] == AZURE_KEY


def test_an_entra_id_token_provider_is_called_for_every_attempt(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    answer(httpserver, {"error": {"message": "busy"}}, status=503)
    answer(httpserver, {"data": []})
    tokens = iter([TOKEN + "1", TOKEN + "2"])
    client = make_azure(
        azure_endpoint=endpoint(httpserver),
        api_version=VERSION,
        azure_ad_token_provider=lambda: next(tokens),
        max_retries=1,
    )

    client.models.list()

    sent = [request.headers["Authorization"] for request, _ in httpserver.log]
    assert sent == [f"Bearer {TOKEN}1", f"Bearer {TOKEN}2"]
    assert all("api-key" not in request.headers for request, _ in httpserver.log)


def test_the_environment_gives_the_key_endpoint_and_version(
    httpserver: HTTPServer, make_azure: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", endpoint(httpserver))
    monkeypatch.setenv("OPENAI_API_VERSION", VERSION)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-key-not-for-azure")
    answer(httpserver, {"data": []})

    make_azure().models.list()

    request = last(httpserver)
    assert request.path == "/openai/models"
    assert query(request) == {"api-version": [VERSION]}
    assert request.headers["api-key"] == AZURE_KEY


def test_an_openai_client_in_the_same_process_sends_nothing_of_azure(
    httpserver: HTTPServer, make_azure: Any, make_client: Any
) -> None:
    answer(httpserver, {"data": []})
    answer(httpserver, {"data": []})
    azure = make_azure(azure_endpoint=endpoint(httpserver), api_version=VERSION, api_key=AZURE_KEY)
    plain = make_client("sk-plain-key-0000", base_url=httpserver.url_for("/v1"))

    azure.chat.create(MESSAGES, "dep")
    plain.chat.create(MESSAGES, "gpt-4o-mini")

    request = last(httpserver)
    assert request.path == "/v1/chat/completions"
    assert query(request) == {}
    assert "api-key" not in request.headers
    assert request.headers["Authorization"] == "Bearer sk-plain-key-0000"


CONTENT_FILTER_ERROR = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's "
        "content management policy.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": {"filtered": True, "severity": "high"},
                "self_harm": {"filtered": False, "severity": "safe"},
                "sexual": {"filtered": False, "severity": "safe"},
                "violence": {"filtered": False, "severity": "safe"},
            },
        },
    }
}


def test_a_content_filter_error_reaches_the_caller_intact(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    answer(httpserver, CONTENT_FILTER_ERROR, status=400)
    client = make_azure(azure_endpoint=endpoint(httpserver), api_version=VERSION, api_key=AZURE_KEY)

    with pytest.raises(openaistream.BadRequestError) as caught:
        client.chat.create(MESSAGES, "dep")

    assert caught.value.code == "content_filter"
    assert caught.value.body == CONTENT_FILTER_ERROR["error"]


SAFE = {"filtered": False, "severity": "safe"}
FILTERS = {"hate": SAFE, "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}
STREAM_CHUNKS = [
    {
        "choices": [], "created": 0, "id": "", "model": "", "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": FILTERS}],
    },
    {
        "id": "chatcmpl-az1", "object": "chat.completion.chunk", "created": 1733150000,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello"},
                     "finish_reason": None, "content_filter_results": FILTERS}],
    },
    {
        "id": "chatcmpl-az1", "object": "chat.completion.chunk", "created": 1733150000,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop",
                     "content_filter_results": {}}],
    },
]  # fmt: skip


def test_content_filter_results_in_stream_chunks_reach_the_caller_intact(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in STREAM_CHUNKS) + "data: [DONE]\n\n"
    answer(httpserver, body.encode(), content_type="text/event-stream")
    client = make_azure(azure_endpoint=endpoint(httpserver), api_version=VERSION, api_key=AZURE_KEY)

    with client.chat.create(MESSAGES, "dep", stream=True) as stream:
        chunks = list(stream)

    assert chunks == STREAM_CHUNKS
    assert last(httpserver).path == "/openai/deployments/dep/chat/completions"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"api_version": VERSION, "api_key": AZURE_KEY}, ValueError, "No Azure endpoint"),
        ({"azure_endpoint": "https://r.openai.azure.com", "api_key": AZURE_KEY}, ValueError,
         "No API version"),
        ({"azure_endpoint": "https://r.openai.azure.com", "api_version": VERSION},
         openaistream.OpenAIError, "No Azure credentials"),
        ({"azure_endpoint": "https://r.openai.azure.com", "base_url": "https://r/openai",
          "api_version": VERSION, "api_key": AZURE_KEY}, ValueError, "give one"),
        ({"azure_endpoint": "https://r.openai.azure.com", "api_version": VERSION,
          "api_key": AZURE_KEY, "azure_ad_token": TOKEN}, openaistream.OpenAIError,
         "give one credential, not api_key and azure_ad_token"),
        ({"azure_endpoint": "https://r.openai.azure.com", "api_version": VERSION,
          "api_key": AZURE_KEY, "azure_deployment": ".."}, ValueError, "azure_deployment"),
    ],
)  # fmt: skip
def test_a_missing_or_conflicting_setting_is_a_clear_error_that_shows_no_secret(
    options: dict[str, Any], error: type[Exception], message: str, make_azure: Any
) -> None:
    with pytest.raises(error, match=message) as caught:
        make_azure(**options)
    assert AZURE_KEY not in str(caught.value) and TOKEN not in str(caught.value)


def test_with_options_changes_the_version_and_keeps_the_connections(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    answer(httpserver, {"data": []})
    client = make_azure(azure_endpoint=endpoint(httpserver), api_version=VERSION, api_key=AZURE_KEY)

    newer = client.with_options(api_version="2025-04-01-preview", default_query={"x": "1"})
    newer.models.list()

    assert query(last(httpserver)) == {"api-version": ["2025-04-01-preview"], "x": ["1"]}
    assert last(httpserver).headers["api-key"] == AZURE_KEY
    inner = getattr(newer, "_target", newer)
    assert inner._connections is getattr(client, "_target", client)._connections


def test_the_key_shows_nowhere(httpserver: HTTPServer, make_azure: Any) -> None:
    answer(httpserver, {"error": {"message": "denied"}}, status=401)
    client = make_azure(
        azure_endpoint=endpoint(httpserver), api_version=VERSION, api_key=AZURE_KEY, verbosity=3
    )
    with pytest.raises(openaistream.AuthenticationError) as caught:
        client.models.list()
    assert AZURE_KEY not in f"{client!r} {caught.value!r} {caught.value} {client.get_api_key()}"


def test_an_upload_goes_to_the_deployment_of_its_model(
    httpserver: HTTPServer, make_azure: Any
) -> None:
    answer(httpserver, {"text": "hello"})
    client = make_azure(azure_endpoint=endpoint(httpserver), api_version=VERSION, api_key=AZURE_KEY)

    client.audio.transcription(("hello.wav", b"RIFF0000WAVE"), "my-whisper")

    request = last(httpserver)
    assert request.path == "/openai/deployments/my-whisper/audio/transcriptions"
    assert request.form["model"] == "my-whisper"
    assert query(request) == {"api-version": [VERSION]}
