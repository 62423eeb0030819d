"""client.files: uploads streamed from disk (the bytes checked on the server), content as
bytes, as a stream and written to a path, and pagination over the list."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.api import answer, last
from tests.support.faults import until_hung_up
from tests.support.servers import Conn, RawServer, chunk, head

TRAINING = (
    b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi!"}]}\n'
)


def test_upload_sends_the_file_and_purpose_as_multipart(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(TRAINING * 3)
    uploaded = json.loads(recordings.body("files/upload_multipart"))
    answer(httpserver, uploaded)

    assert client.files.upload(path, purpose="fine-tune") == uploaded

    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/files")
    assert request.mimetype == "multipart/form-data"
    assert "chunked" not in request.headers.get("Transfer-Encoding", "")
    assert int(request.headers["Content-Length"]) > len(TRAINING * 3)
    assert request.form.to_dict(flat=False) == {"purpose": ["fine-tune"]}
    sent = request.files["file"]
    assert sent.filename == "train.jsonl"
    assert sent.read() == TRAINING * 3


def test_upload_keeps_a_non_ascii_filename_and_nested_fields(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "données_训练.jsonl"
    path.write_bytes(TRAINING)
    answer(httpserver, json.loads(recordings.body("files/upload_non_ascii_filename")))
    client.files.upload(path, "batch", expires_after={"anchor": "created_at", "seconds": 3600})
    request = last(httpserver)
    assert request.files["file"].filename == "données_训练.jsonl"
    assert request.form.to_dict() == {
        "purpose": "batch",
        "expires_after[anchor]": "created_at",
        "expires_after[seconds]": "3600",
    }


def test_a_missing_file_or_a_directory_fails_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="path: no such file"):
        client.files.upload(tmp_path / "nope.jsonl")
    with pytest.raises(IsADirectoryError, match="path is a directory"):
        client.files.upload(tmp_path)
    with pytest.raises(TypeError, match="path must be a path"):
        client.files.upload(42)  # type: ignore[arg-type]
    assert httpserver.log == []


def test_retrieve_content_returns_the_bytes(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    content = recordings.body("files/content_jsonl_2023")
    answer(httpserver, content, content_type="application/octet-stream")
    assert client.files.retrieve_content("file-xC22NUuYBkXvzRt2fLREcGde") == content
    assert last(httpserver).path == "/v1/files/file-xC22NUuYBkXvzRt2fLREcGde/content"


def test_retrieve_content_returns_bytes_even_when_served_as_json(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, b'{"a": 1}\n{"a": 2}\n', content_type="application/json")
    assert client.files.retrieve_content("file-1") == b'{"a": 1}\n{"a": 2}\n'


def test_streamed_content_arrives_in_chunks_of_num_bytes(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    content = recordings.body("files/content_jsonl_2023")
    answer(httpserver, content, content_type="application/octet-stream")
    with client.files.retrieve_content("file-1", stream=True, num=100) as stream:
        parts = []
        while part := stream.next_value:
            parts.append(part)
    assert b"".join(parts) == content
    assert all(len(part) <= 100 for part in parts)
    assert len(parts) >= len(content) // 100


def test_download_writes_the_content_to_a_path(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    content = recordings.body("files/content_jsonl_2023")
    answer(httpserver, content, content_type="application/octet-stream")
    target = tmp_path / "out.jsonl"
    assert client.files.download("file-1", target) == len(content)
    assert target.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_a_failed_download_leaves_no_file(tmp_path: Path, make_client: Any) -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200, {"Content-Type": "application/octet-stream"}) + chunk(b"x" * 1000))
        conn.reset()

    target = tmp_path / "out.bin"
    with RawServer(handler) as server:
        client = make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openaistream.StreamError):
            client.files.download("file-1", target)
        client.close()
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_download_on_the_async_client_leaves_no_file(tmp_path: Path) -> None:
    """Native asyncio: the server sends part of the content, then stalls; the download's
    task is cancelled while it waits. Nothing is left at the path, nor beside it, and the
    connection is let go (the server sees it closed)."""
    sent = threading.Event()
    hung_up = threading.Event()
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200, {"Content-Type": "application/octet-stream"}) + chunk(b"x" * 5000))
        sent.set()
        if until_hung_up(conn, 10.0):
            hung_up.set()
        release.wait(10)

    target = tmp_path / "out.bin"

    async def main(url: str) -> tuple[bool, list[str]]:
        async with openaistream.AsyncOpenAI(API_KEY, base_url=url, max_retries=0) as client:
            task = asyncio.ensure_future(client.files.download("file-1", target))
            # Until the first bytes are in and the partial file is open beside the target.
            for _ in range(500):
                if sent.is_set() and any(tmp_path.iterdir()):
                    break
                await asyncio.sleep(0.01)
            writing = sorted(p.name for p in tmp_path.iterdir())
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return task.cancelled(), writing

    with RawServer(handler) as server:
        try:
            cancelled, writing = asyncio.run(main(server.url + "/v1"))
            assert hung_up.wait(10), "the connection was not let go"
        finally:
            release.set()
    assert cancelled
    assert writing == [".out.bin.partial"]  # the download was under way when cancelled
    assert list(tmp_path.iterdir()) == []


def test_upload_progress_adds_up_to_the_file_size(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(TRAINING * 5000)  # several 64 KiB pieces
    answer(httpserver, json.loads(recordings.body("files/upload_multipart")))
    pieces: list[int] = []
    client.files.upload(path, "batch", progress=pieces.append)
    assert sum(pieces) == path.stat().st_size
    assert len(pieces) > 1
    assert last(httpserver).files["file"].read() == path.read_bytes()


def test_paginate_walks_every_page(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    pages = [
        {"object": "list", "data": [{"id": "file-1"}, {"id": "file-2"}], "has_more": True},
        {"object": "list", "data": [{"id": "file-3"}, {"id": "file-4"}], "has_more": True,
         "last_id": "file-4"},
        {"object": "list", "data": [{"id": "file-5"}], "has_more": False},
    ]  # fmt: skip
    for page in pages:
        answer(httpserver, page)
    items = openaistream.paginate(client.files.list, limit=2, purpose="batch")
    assert next(items) == {"id": "file-1"}
    assert len(httpserver.log) == 1  # the next page is fetched only when needed
    assert [item["id"] for item in items] == ["file-2", "file-3", "file-4", "file-5"]
    queries = [request.args.to_dict() for request, _ in httpserver.log]
    assert queries == [
        {"limit": "2", "purpose": "batch"},
        {"limit": "2", "purpose": "batch", "after": "file-2"},
        {"limit": "2", "purpose": "batch", "after": "file-4"},
    ]


def test_paginate_stops_a_cursor_that_does_not_advance(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    stuck = {"object": "list", "data": [{"id": "file-1"}], "has_more": True}
    answer(httpserver, stuck)
    answer(httpserver, stuck)
    with pytest.raises(openaistream.APIError, match="cursor does not advance"):
        list(openaistream.paginate(client.files.list))
    assert len(httpserver.log) == 2
