"""The plugin's own tests: ``client.vllm`` on both clients, as an application uses it:
called on ``OpenAI``, awaited on ``AsyncOpenAI``, against a local HTTP server in a thread
(the standard library's; nothing else to install) that answers as vLLM does. The resource is
the same class on both: each method returns what ``self.request`` returns, and on
AsyncOpenAI that is an awaitable.

Run them with the package installed beside openaistream and its async extra:

    pip install 'openaistream[async]' ./examples/openaistream-vllm pytest
    python -m pytest examples/openaistream-vllm/tests
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest
from openaistream_vllm.resource import server_root

import openaistream

API_KEY = "sk-test-vllm-0000"
MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
TOKENS = {"count": 3, "max_model_len": 8, "tokens": [9707, 11, 1879]}
TEXT = {"prompt": "Hello, world"}
RANKED = {"id": "rerank-1", "model": "BAAI/bge-reranker-base", "usage": {"total_tokens": 21},
          "results": [{"index": 1, "document": {"text": "Paris is in France."},
                       "relevance_score": 0.99}]}  # fmt: skip
ANSWERS = {"/tokenize": TOKENS, "/detokenize": TEXT, "/rerank": RANKED}


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class VllmServer(BaseHTTPRequestHandler):
    """Answers as vLLM's server does at its root, and 404 anywhere else (``/v1/tokenize``
    included, as vLLM does); every request is kept in ``server.seen``."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append(Seen(self.command, self.path, body, headers))  # type: ignore[attr-defined]
        status, answer = 200, ANSWERS.get(self.path)
        if answer is None:
            status, answer = 404, {"error": {"message": "Not Found", "type": "NotFoundError",
                                             "code": 404}}  # fmt: skip
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads server.seen, not the server's log


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    """The server on a free loopback port, for one test; stopped (its threads joined) after."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), VllmServer)
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def api_url(httpd: ThreadingHTTPServer) -> str:
    """The base URL an application gives the client for vLLM: its OpenAI API, under /v1."""
    return f"http://127.0.0.1:{httpd.server_address[1]}/v1"


def seen(httpd: ThreadingHTTPServer) -> list[Seen]:
    return httpd.seen  # type: ignore[attr-defined, no-any-return]


Call = Callable[[Any], Any]


def on(kind: str, base_url: str, *calls: Call, **options: Any) -> list[Any]:
    """Each call made on a client of ``kind``: on OpenAI as it is, on AsyncOpenAI awaited in
    an event loop of its own, as an application awaits it."""
    if kind == "sync":
        with openaistream.OpenAI(API_KEY, base_url=base_url, **options) as client:
            return [call(client) for call in calls]

    async def main() -> list[Any]:
        async with openaistream.AsyncOpenAI(API_KEY, base_url=base_url, **options) as client:
            return [await call(client) for call in calls]

    return asyncio.run(main())


KINDS = pytest.mark.parametrize("kind", ["sync", "async"])


@KINDS
def test_every_method_sends_what_vllm_expects_at_the_servers_root(
    kind: str, server: ThreadingHTTPServer
) -> None:
    messages = [{"role": "user", "content": "Hello"}]
    answers = on(
        kind, api_url(server),
        lambda c: c.vllm.tokenize("Hello, world", model=MODEL, add_special_tokens=False),
        lambda c: c.vllm.tokenize_chat(messages, model=MODEL),
        lambda c: c.vllm.detokenize([9707, 11, 1879], model=MODEL),
        lambda c: c.vllm.rerank("Capital of France?", ["Rome is in Italy.", "Paris is in France."]),
    )  # fmt: skip
    assert answers == [TOKENS, TOKENS, TEXT, RANKED]
    assert [(s.method, s.path, s.body) for s in seen(server)] == [
        ("POST", "/tokenize", {"prompt": "Hello, world", "model": MODEL,
                               "add_special_tokens": False}),
        ("POST", "/tokenize", {"messages": messages, "model": MODEL}),
        ("POST", "/detokenize", {"tokens": [9707, 11, 1879], "model": MODEL}),
        ("POST", "/rerank", {"query": "Capital of France?",
                             "documents": ["Rome is in Italy.", "Paris is in France."]}),
    ]  # fmt: skip
    assert all(s.headers["authorization"] == f"Bearer {API_KEY}" for s in seen(server))


@KINDS
def test_fits_tokenizes_and_counts_the_room_left(kind: str, server: ThreadingHTTPServer) -> None:
    messages = [{"role": "user", "content": "Hello"}]
    roomy, tight, chat = on(
        kind, api_url(server),
        lambda c: c.vllm.fits("Hello, world", 5, model=MODEL),
        lambda c: c.vllm.fits("Hello, world", 6),
        lambda c: c.vllm.fits(messages, 0),
    )  # fmt: skip
    assert roomy == {**TOKENS, "fits": True, "room": 0}
    assert tight == {**TOKENS, "fits": False, "room": -1}
    assert chat["fits"] is True and chat["room"] == 5
    bodies = [s.body for s in seen(server)]
    assert bodies == [{"prompt": "Hello, world", "model": MODEL}, {"prompt": "Hello, world"},
                      {"messages": messages}]  # fmt: skip


@KINDS
def test_per_call_options_reach_the_server_root(kind: str, server: ThreadingHTTPServer) -> None:
    on(kind, api_url(server), lambda c: c.vllm.detokenize([1], extra_headers={"X-Tenant": "a"}))
    [request] = seen(server)
    assert (request.path, request.headers["x-tenant"]) == ("/detokenize", "a")


@KINDS
def test_bad_arguments_fail_before_any_network(kind: str, server: ThreadingHTTPServer) -> None:
    bad: list[tuple[Call, type[Exception], str]] = [
        (lambda c: c.vllm.tokenize(None), TypeError, "prompt is required"),
        (lambda c: c.vllm.fits("Hi", -1), ValueError, "max_tokens must not be negative"),
        (lambda c: c.vllm.fits("Hi", "9"), TypeError, "max_tokens must be an int"),
        (lambda c: c.vllm.fits([], 1), TypeError, "prompt must be a non-empty"),
    ]
    for call, error, message in bad:
        with pytest.raises(error, match=message):
            on(kind, api_url(server), call)
    assert seen(server) == []


@KINDS
def test_an_error_answer_is_the_typed_error(kind: str, server: ThreadingHTTPServer) -> None:
    # A base URL not ending in /v1 is taken as the server's root: /v2/tokenize is asked
    # for here, which the server does not serve.
    elsewhere = api_url(server).removesuffix("/v1") + "/v2"
    with pytest.raises(openaistream.NotFoundError, match="Not Found") as caught:
        on(kind, elsewhere, lambda c: c.vllm.tokenize("Hi"), max_retries=0)
    assert caught.value.status == 404
    assert [s.path for s in seen(server)] == ["/v2/tokenize"]


def test_the_server_root_is_the_base_url_without_its_v1() -> None:
    assert server_root("http://h:8000/v1") == "http://h:8000"
    assert server_root("http://h:8000/v1/") == "http://h:8000"
    assert server_root("https://h/vllm/v1?tenant=a") == "https://h/vllm?tenant=a"
    assert server_root("http://h:8000") == "http://h:8000"


def test_the_resource_is_found_through_the_entry_point() -> None:
    async def names() -> list[str]:
        async with openaistream.AsyncOpenAI(API_KEY, base_url="http://127.0.0.1:9/v1") as client:
            return sorted(client.resources)

    with openaistream.OpenAI(API_KEY, base_url="http://127.0.0.1:9/v1") as client:
        assert "vllm" in client.resources
    assert "vllm" in asyncio.run(names())
