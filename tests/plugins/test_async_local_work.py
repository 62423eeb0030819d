"""The async forms of the helpers that do local work around calls: walking pages with
``async for``, a batch input file from an async generator, upload progress awaited. Each is
driven natively in an event loop (``asyncio.run``), against pytest-httpserver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.support.api import answer, last


def _client(httpserver: HTTPServer) -> Any:
    return openaistream.AsyncOpenAI(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)


def test_async_for_walks_the_pages_of_an_async_list_method_as_they_are_needed(
    httpserver: HTTPServer,
) -> None:
    pages = [
        {"object": "list", "data": [{"id": "file-1"}, {"id": "file-2"}], "has_more": True},
        {"object": "list", "data": [{"id": "file-3"}], "has_more": False},
    ]
    for page in pages:
        answer(httpserver, page)

    async def walk() -> tuple[str, int, list[str]]:
        async with _client(httpserver) as client:
            items = openaistream.paginate(client.files.list, limit=2)
            first = await items.__anext__()
            asked = len(httpserver.log)  # the next page only when this one is used up
            rest = [item["id"] async for item in items]
            return first["id"], asked, rest

    assert asyncio.run(walk()) == ("file-1", 1, ["file-2", "file-3"])
    assert [request.args.to_dict() for request, _ in httpserver.log] == [
        {"limit": "2"},
        {"limit": "2", "after": "file-2"},
    ]


def test_a_for_loop_over_an_async_list_method_says_to_use_async_for(
    httpserver: HTTPServer,
) -> None:
    async def walk() -> None:
        async with _client(httpserver) as client:
            with pytest.raises(TypeError, match="async for"):
                list(openaistream.paginate(client.files.list))

    asyncio.run(walk())  # no "coroutine was never awaited" warning (warnings are errors)
    assert httpserver.log == []


def test_a_batch_input_file_is_written_from_an_async_generator(tmp_path: Path) -> None:
    async def requests() -> AsyncIterator[dict[str, Any]]:
        for n in range(3):
            await asyncio.sleep(0)
            yield {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": str(n)}]}

    target = tmp_path / "input.jsonl"
    written = asyncio.run(_write(target, requests()))
    assert written == 3
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["custom_id"] for line in lines] == ["request-1", "request-2", "request-3"]
    assert lines[2]["body"]["messages"][0]["content"] == "2"


async def _write(target: Path, requests: AsyncIterator[dict[str, Any]]) -> int:
    async with openaistream.AsyncOpenAI("sk-x") as client:
        return int(await client.batches.write_input(target, requests))


def test_a_duplicate_custom_id_from_an_async_generator_is_refused(tmp_path: Path) -> None:
    async def requests() -> AsyncIterator[dict[str, Any]]:
        for _ in range(2):
            yield {"custom_id": "same", "body": {}}

    with pytest.raises(ValueError, match="custom_id 'same' is used twice"):
        asyncio.run(_write(tmp_path / "input.jsonl", requests()))


def test_upload_progress_may_be_a_coroutine_function_on_the_async_client(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    content = b'{"prompt": "p", "completion": "c"}\n' * 5000  # several pieces of 64 KiB
    path.write_bytes(content)
    answer(httpserver, {"id": "file-1", "object": "file"})
    seen: list[int] = []

    async def progress(n: int) -> None:
        await asyncio.sleep(0)
        seen.append(n)

    async def upload() -> Any:
        async with _client(httpserver) as client:
            return await client.files.upload(path, "fine-tune", progress=progress)

    assert asyncio.run(upload()) == {"id": "file-1", "object": "file"}
    assert sum(seen) == len(content) and len(seen) > 1
    assert last(httpserver).files["file"].read() == content


def test_the_blocking_client_refuses_a_coroutine_progress_before_any_network(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"{}\n")

    async def progress(n: int) -> None:
        pass

    client = openaistream.OpenAI(API_KEY, base_url=httpserver.url_for("/v1"))
    with client, pytest.raises(TypeError, match="progress is a coroutine function"):
        client.files.upload(path, progress=progress)
    assert httpserver.log == []
