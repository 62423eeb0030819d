"""The plugin's own tests: ``client.vector_stores`` on ``AsyncOpenAI``, as an application
awaits it, against a local HTTP server in a thread (the standard library's; nothing else to
install). The resource is the one ``OpenAI`` uses, unchanged: each method returns what
``self.request`` returns, and on AsyncOpenAI that is an awaitable.

Run them with the package installed beside openaistream and its async extra:

    pip install 'openaistream[async]' ./examples/openaistream-vector-stores pytest
    python -m pytest examples/openaistream-vector-stores/tests
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import openaistream

API_KEY = "sk-test-vector-stores-0000"
STORE = {"id": "vs_abc123", "object": "vector_store", "name": "Support FAQ", "status": "completed"}
HITS = {"object": "vector_store.search_results.page", "data": [{"file_id": "file-1", "score": 0.9}]}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class API(BaseHTTPRequestHandler):
    """Answers as the vector stores API does: a store, a list of stores, search hits, and
    404 for the store ``vs_missing``; every request is kept in ``server.seen``."""

    def _answer(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append(  # type: ignore[attr-defined]
            Seen(self.command, url.path, parse_qs(url.query), body, headers)
        )
        status, answer = 200, STORE
        if url.path.endswith("/search"):
            answer = HITS
        elif url.path == "/v1/vector_stores" and self.command == "GET":
            answer = {"object": "list", "data": [STORE], "has_more": False}
        elif url.path.endswith("/vs_missing"):
            status = 404
            answer = {"error": {"message": "No vector store found with id 'vs_missing'.",
                                "type": "invalid_request_error", "code": None}}  # fmt: skip
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads server.seen, not the server's log


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    """The API on a free loopback port, for one test; stopped (its threads joined) after."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), API)
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def base_url(httpd: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/v1"


def test_every_method_sends_the_request_the_api_expects(server: ThreadingHTTPServer) -> None:
    async def main() -> list[Any]:
        async with openaistream.AsyncOpenAI(API_KEY, base_url=base_url(server)) as client:
            return [
                await client.vector_stores.create("Support FAQ", file_ids=["file-1"]),
                await client.vector_stores.list(limit=2, order="asc"),
                await client.vector_stores.retrieve("vs_abc123"),
                await client.vector_stores.modify("vs_abc123", name="FAQ"),
                await client.vector_stores.delete("vs_abc123"),
                await client.vector_stores.search("vs_abc123", "return policy", max_num_results=2),
            ]

    answers = asyncio.run(main())
    assert answers[0] == answers[2] == answers[3] == answers[4] == STORE
    assert answers[1]["data"] == [STORE]
    assert answers[5] == HITS
    sent = [(s.method, s.path, s.query, s.body) for s in server.seen]  # type: ignore[attr-defined]
    assert sent == [
        ("POST", "/v1/vector_stores", {}, {"name": "Support FAQ", "file_ids": ["file-1"]}),
        ("GET", "/v1/vector_stores", {"limit": ["2"], "order": ["asc"]}, None),
        ("GET", "/v1/vector_stores/vs_abc123", {}, None),
        ("POST", "/v1/vector_stores/vs_abc123", {}, {"name": "FAQ"}),
        ("DELETE", "/v1/vector_stores/vs_abc123", {}, None),
        ("POST", "/v1/vector_stores/vs_abc123/search", {},
         {"query": "return policy", "max_num_results": 2}),
    ]  # fmt: skip
    assert all(s.headers["authorization"] == f"Bearer {API_KEY}" for s in server.seen)  # type: ignore[attr-defined]


def test_an_id_is_sent_as_one_path_segment(server: ThreadingHTTPServer) -> None:
    async def main() -> None:
        async with openaistream.AsyncOpenAI(API_KEY, base_url=base_url(server)) as client:
            await client.vector_stores.retrieve("vs/../files")

    asyncio.run(main())
    [seen] = server.seen  # type: ignore[attr-defined]
    assert seen.path == "/v1/vector_stores/vs%2F..%2Ffiles"


def test_bad_arguments_fail_before_any_network(server: ThreadingHTTPServer) -> None:
    async def main() -> None:
        async with openaistream.AsyncOpenAI(API_KEY, base_url=base_url(server)) as client:
            with pytest.raises(ValueError, match="vector_store_id"):
                await client.vector_stores.retrieve("")
            with pytest.raises(ValueError, match="vector_store_id"):
                await client.vector_stores.delete("..")
            with pytest.raises(TypeError, match="query"):
                await client.vector_stores.search("vs_abc123", None)  # type: ignore[arg-type]

    asyncio.run(main())
    assert server.seen == []  # type: ignore[attr-defined]


def test_an_error_answer_is_the_typed_error(server: ThreadingHTTPServer) -> None:
    async def main() -> None:
        async with openaistream.AsyncOpenAI(
            API_KEY, base_url=base_url(server), max_retries=0
        ) as client:
            await client.vector_stores.retrieve("vs_missing")

    with pytest.raises(openaistream.NotFoundError, match="No vector store found") as caught:
        asyncio.run(main())
    assert caught.value.status == 404


def test_the_resource_is_found_through_the_entry_point() -> None:
    async def main() -> tuple[list[str], dict[str, str]]:
        async with openaistream.AsyncOpenAI(API_KEY, base_url="http://127.0.0.1:9/v1") as client:
            return sorted(client.resources), client.get_api_endpoints()

    names, endpoints = asyncio.run(main())
    assert "vector_stores" in names
    assert endpoints["vector_stores"] == "http://127.0.0.1:9/v1/vector_stores"
