"""The batch helpers: input written from any iterable one line at a time, output read back
as a stream of JSON lines, never the whole file in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.plugins.batches import Batches
from tests.conftest import API_KEY
from tests.support import recordings
from tests.support.api import answer, last
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head


def bodies(count: int) -> Iterator[dict]:
    for n in range(count):
        yield {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Say {n}"}]}


def test_write_input_from_bodies_numbers_the_requests(tmp_path: Path) -> None:
    path = tmp_path / "input.jsonl"
    assert Batches.write_input(path, bodies(3)) == 3
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["custom_id"] for line in lines] == ["request-1", "request-2", "request-3"]
    assert lines[2] == {
        "custom_id": "request-3",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say 2"}]},
    }


def test_write_input_keeps_complete_lines_and_refuses_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "input.jsonl"
    line = {"custom_id": "a", "url": "/v1/embeddings", "body": {"model": "m", "input": "x"}}
    assert Batches.write_input(path, [line]) == 1
    assert json.loads(path.read_text()) == {"method": "POST", **line}
    with pytest.raises(ValueError, match="custom_id 'a' is used twice"):
        Batches.write_input(path, [line, line])
    with pytest.raises(TypeError, match=r"requests\[0\]"):
        Batches.write_input(path, ["not a dict"])  # type: ignore[list-item]


def test_a_batch_line_without_a_custom_id_is_numbered_not_wrapped_as_a_body(
    tmp_path: Path,
) -> None:
    path = tmp_path / "input.jsonl"
    line = {"url": "/v1/embeddings", "body": {"model": "m", "input": "x"}}
    assert Batches.write_input(path, [line, line]) == 2
    written = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert written == [{"custom_id": f"request-{n}", "method": "POST", **line} for n in (1, 2)]


def test_write_input_streams_a_large_generator(tmp_path: Path) -> None:
    path = tmp_path / "input.jsonl"
    assert Batches.write_input(path, bodies(20_000)) == 20_000
    with path.open(encoding="utf-8") as file:
        assert sum(1 for _ in file) == 20_000


def test_client_batches_write_input_is_the_same_helper(
    client: openaistream.OpenAI, tmp_path: Path
) -> None:
    assert client.batches.write_input(tmp_path / "in.jsonl", bodies(2)) == 2


def test_read_output_streams_the_json_lines(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    content = recordings.body("files/content_jsonl_2023")
    answer(httpserver, content, content_type="application/octet-stream")
    with client.batches.read_output("file-out") as stream:
        lines = list(stream)
    assert last(httpserver).path == "/v1/files/file-out/content"
    assert lines == [json.loads(line) for line in content.splitlines() if line.strip()]


def test_read_output_yields_lines_as_they_arrive_across_chunks(make_client: Any) -> None:
    rows = [
        json.dumps({"custom_id": f"request-{n}", "response": {"status_code": 200}}).encode()
        for n in range(5000)
    ]
    body = b"\n".join(rows) + b"\n"
    pieces = [body[i : i + 999] for i in range(0, len(body), 999)]

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200, {"Content-Type": "application/octet-stream"}))
        for piece in pieces:
            conn.send(chunk(piece))
        conn.send(LAST_CHUNK)

    with RawServer(handler) as server:
        client = make_client(api_key=API_KEY, base_url=server.url + "/v1")
        stream = client.batches.read_output("file-out", num=1000)
        first = stream.next_value
        count = len(first) + sum(1 for _ in stream)
        client.close()
    assert first[0] == {"custom_id": "request-0", "response": {"status_code": 200}}
    assert len(first) == 1000
    assert count == 5000
