"""``api_key`` as a function: called for every attempt (rotating keys, token providers), on
both clients; a coroutine function on the async one. A provider that fails ends the call
before anything is sent, with an error that names what went wrong and holds no key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from structlog.testing import capture_logs

import openaistream
from tests.support.api import answer
from tests.support.clients import Clients

KEYS = ["sk-rotating-key-number-one-AAAA", "sk-rotating-key-number-two-BBBB"]


class Keys:
    """Gives the next key each time it is called."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        key = KEYS[self.calls % len(KEYS)]
        self.calls += 1
        return key


def authorizations(httpserver: HTTPServer) -> list[str]:
    return [request.headers["Authorization"] for request, _ in httpserver.log]


def test_the_provider_gives_the_key_of_every_attempt(
    httpserver: HTTPServer, make_client: Any
) -> None:
    answer(httpserver, {"error": {"message": "busy"}}, status=503)
    answer(httpserver, {"data": []})
    keys = Keys()
    client = make_client(keys, base_url=httpserver.url_for("/v1"), max_retries=1)

    assert client.models.list() == {"data": []}

    assert authorizations(httpserver) == [f"Bearer {KEYS[0]}", f"Bearer {KEYS[1]}"]
    assert keys.calls == 2


def test_a_coroutine_function_gives_the_keys_of_the_async_client(httpserver: HTTPServer) -> None:
    # The async client only: the blocking one refuses a coroutine function (below).
    keys = Keys()

    async def provider() -> str:
        return keys()

    answer(httpserver, {"data": []})
    answer(httpserver, {"data": []})
    clients = Clients("async")
    try:
        client = clients.make(provider, base_url=httpserver.url_for("/v1"))
        client.models.list()
        client.models.list()
    finally:
        clients.close()

    assert authorizations(httpserver) == [f"Bearer {KEYS[0]}", f"Bearer {KEYS[1]}"]


def test_the_blocking_client_refuses_a_coroutine_function_at_once() -> None:
    async def provider() -> str:
        return KEYS[0]

    with pytest.raises(TypeError, match="api_key is a coroutine function"):
        openaistream.OpenAI(provider, base_url="http://127.0.0.1:9/v1")
    client = openaistream.OpenAI(KEYS[0], base_url="http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match="api_key is a coroutine function"):
        client.set_api_key(provider)
    with pytest.raises(TypeError, match="api_key is a coroutine function"):
        client.with_options(api_key=provider)


def test_a_provider_that_raises_ends_the_call_before_anything_is_sent(
    httpserver: HTTPServer, make_client: Any
) -> None:
    def provider() -> str:
        raise RuntimeError("the token service is down")

    client = make_client(provider, base_url=httpserver.url_for("/v1"), max_retries=2)

    with pytest.raises(openaistream.OpenAIError) as caught:
        client.models.list()

    assert "the api_key provider raised RuntimeError; nothing was sent" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)  # the provider's own, to debug
    assert httpserver.log == []


def test_a_provider_that_fails_on_a_retry_shows_no_earlier_key(
    httpserver: HTTPServer, make_client: Any
) -> None:
    given: list[str] = []

    def provider() -> str:
        if given:
            raise RuntimeError("expired")
        given.append(KEYS[0])
        return KEYS[0]

    answer(httpserver, {"error": {"message": "busy"}}, status=503)
    client = make_client(provider, base_url=httpserver.url_for("/v1"), max_retries=1)

    with pytest.raises(openaistream.OpenAIError) as caught:
        client.models.list()

    assert KEYS[0] not in f"{caught.value} {caught.value!r}"
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (None, "returned NoneType, not a key"),
        ("", "returned an empty key"),
        ("sk-a\nb", "holds a control character"),
    ],
)
def test_a_provider_that_gives_no_usable_key_is_a_clear_error(
    returned: Any, message: str, httpserver: HTTPServer, make_client: Any
) -> None:
    client = make_client(lambda: returned, base_url=httpserver.url_for("/v1"))
    with pytest.raises((openaistream.OpenAIError, ValueError), match=message):
        client.models.list()
    assert httpserver.log == []


def test_a_provided_key_shows_nowhere(httpserver: HTTPServer, make_client: Any) -> None:
    answer(httpserver, {"error": {"message": f"bad key {KEYS[0]}"}}, status=401)
    client = make_client(Keys(), base_url=httpserver.url_for("/v1"), verbosity=3)

    with capture_logs() as logs, pytest.raises(openaistream.AuthenticationError) as caught:
        client.models.list()

    shown = f"{caught.value} {caught.value!r} {caught.value.body} {json.dumps(logs)}"
    shown += f" {client!r} {client.get_api_key()}"
    assert KEYS[0] not in shown
    assert client.get_api_key() == "<from a key provider>"


def test_set_api_key_switches_between_a_key_and_a_provider(
    httpserver: HTTPServer, make_client: Any
) -> None:
    for _ in range(3):
        answer(httpserver, {"data": []})
    client = make_client("sk-fixed-key-0000", base_url=httpserver.url_for("/v1"))

    client.models.list()
    client.set_api_key(Keys())
    client.models.list()
    client.set_api_key("sk-fixed-key-1111")
    client.models.list()

    assert authorizations(httpserver) == [
        "Bearer sk-fixed-key-0000",
        f"Bearer {KEYS[0]}",
        "Bearer sk-fixed-key-1111",
    ]


def test_a_provider_needs_no_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = openaistream.OpenAI(Keys(), base_url="http://127.0.0.1:9/v1")
    assert client.get_api_key() == "<from a key provider>"
