"""client.containers beyond its plain operations: a container file uploaded from bytes or a
path (the bytes checked on the server) or copied by ``file_id``, its content downloaded
byte-exact, and the commands; on both clients."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import answer, last

CSV = b"date,otters\n" + b"".join(b"2026-01-%02d,%d\n" % (d % 28 + 1, d) for d in range(20000))
FILE = {"id": "cfile_123", "object": "container.file", "container_id": "cntr_123",
        "path": "/mnt/data/otters.csv", "source": "user"}  # fmt: skip


def test_a_file_uploaded_from_bytes(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    answer(httpserver, FILE)
    assert client.containers.files_create("cntr_123", ("otters.csv", CSV)) == FILE
    request = last(httpserver)
    assert (request.method, request.path, request.mimetype) == (
        "POST", "/v1/containers/cntr_123/files", "multipart/form-data"
    )  # fmt: skip
    assert request.form.to_dict() == {}
    sent = request.files["file"]
    assert (sent.filename, sent.mimetype, sent.read()) == ("otters.csv", "text/csv", CSV)

    answer(httpserver, FILE)
    client.containers.files_create("cntr_123", io.BytesIO(CSV[:100]))
    sent = last(httpserver).files["file"]
    assert (sent.filename, sent.read()) == ("upload", CSV[:100])


def test_a_file_uploaded_from_a_path_with_progress(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "otters.csv"
    path.write_bytes(CSV)  # several 64 KiB pieces
    answer(httpserver, FILE)
    pieces: list[int] = []
    client.containers.files_create("cntr_123", path, progress=pieces.append)
    assert sum(pieces) == len(CSV) and len(pieces) > 1
    request = last(httpserver)
    assert "chunked" not in request.headers.get("Transfer-Encoding", "")
    assert (request.files["file"].filename, request.files["file"].read()) == ("otters.csv", CSV)


def test_a_file_of_files_is_copied_in_by_its_id(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, FILE)
    client.containers.files_create("cntr_123", file_id="file-123")
    request = last(httpserver)
    assert request.mimetype == "application/json"
    assert request.get_json() == {"file_id": "file-123"}


def test_files_create_takes_one_source_checked_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match="file \\(an upload\\) or file_id, not neither"):
        client.containers.files_create("cntr_123")
    with pytest.raises(TypeError, match="not both"):
        client.containers.files_create("cntr_123", CSV, file_id="file-123")
    with pytest.raises(FileNotFoundError, match="file: no such file"):
        client.containers.files_create("cntr_123", tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="file_id must not be empty"):
        client.containers.files_create("cntr_123", file_id="")
    with pytest.raises(ValueError, match="container_id"):
        client.containers.files_create("", CSV)
    assert httpserver.log == []


def test_a_file_downloaded_byte_exact(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    answer(httpserver, CSV, content_type="application/octet-stream")
    target = tmp_path / "out.csv"
    assert client.containers.files_download("cntr_123", "cfile_123", target) == len(CSV)
    assert target.read_bytes() == CSV
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    request = last(httpserver)
    assert request.path == "/v1/containers/cntr_123/files/cfile_123/content"

    answer(httpserver, CSV, content_type="application/octet-stream")
    assert client.containers.files_content("cntr_123", "cfile_123") == CSV


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, "containers", *args], catch_exceptions=False)


def test_the_commands_upload_copy_and_download_a_file(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    path = tmp_path / "otters.csv"
    path.write_bytes(CSV)
    answer(httpserver, FILE)
    result = invoke(httpserver, "files-create", "cntr_123", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == FILE
    assert last(httpserver).files["file"].read() == CSV

    answer(httpserver, FILE)
    assert invoke(httpserver, "files-create", "cntr_123", "--file-id", "file-1").exit_code == 0
    assert last(httpserver).get_json() == {"file_id": "file-1"}

    answer(httpserver, CSV, content_type="application/octet-stream")
    target = tmp_path / "back.csv"
    result = invoke(httpserver, "files-download", "cntr_123", "cfile_123", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == CSV

    result = invoke(httpserver, "files-create", "cntr_123")
    assert result.exit_code == 2
    assert "give PATH (a file to upload) or --file-id" in result.output
    assert len(httpserver.log) == 3


def test_the_plain_operations_have_commands(httpserver: HTTPServer) -> None:
    answer(httpserver, {"object": "list", "data": [{"id": "cntr_1", "name": "Data",
                                                    "status": "running"}]})  # fmt: skip
    result = invoke(httpserver, "list", "-o", "limit=5")
    assert result.exit_code == 0, result.output
    assert result.output.split("\n")[1].split() == ["cntr_1", "Data", "running"]
    answer(httpserver, {"id": "cntr_1"})
    assert invoke(httpserver, "create", "Data", "-o", "memory_limit=4g").exit_code == 0
    assert last(httpserver).get_json() == {"name": "Data", "memory_limit": "4g"}
