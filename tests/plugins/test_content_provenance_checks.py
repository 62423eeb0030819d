"""client.content_provenance_checks against a local server: the file sent as a form field
named ``file`` (from a path, from bytes), a bad file refused before any network, and the
command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import answer, last

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
CHECKED = {"object": "content_provenance_check", "result": "not_detected"}


def test_a_path_is_uploaded_as_the_file_field(
    httpserver: HTTPServer, client: Any, tmp_path: Path
) -> None:
    image = tmp_path / "otter.png"
    image.write_bytes(PNG)
    answer(httpserver, CHECKED)

    assert client.content_provenance_checks.create(image) == CHECKED

    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/content_provenance_checks")
    assert request.mimetype == "multipart/form-data"
    assert list(request.form) == []
    uploaded = request.files["file"]
    assert (uploaded.filename, uploaded.read()) == ("otter.png", PNG)


def test_bytes_with_a_name_and_type_are_uploaded_as_given(
    httpserver: HTTPServer, client: Any
) -> None:
    answer(httpserver, CHECKED)

    client.content_provenance_checks.create(("voice.mp3", b"ID3abc", "audio/mpeg"))

    uploaded = last(httpserver).files["file"]
    assert (uploaded.filename, uploaded.mimetype, uploaded.read()) == (
        "voice.mp3", "audio/mpeg", b"ID3abc"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("file", "error", "match"),
    [
        ("no-such-file.png", FileNotFoundError, "file: no such file"),
        (123, TypeError, "file must be a path"),
        (None, TypeError, "file is required"),
    ],
)
def test_a_bad_file_is_refused_before_any_network(
    httpserver: HTTPServer, client: Any, file: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        client.content_provenance_checks.create(file)
    assert httpserver.log == []


def test_the_command_uploads_the_file_and_prints_the_answer(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    image = tmp_path / "otter.png"
    image.write_bytes(PNG)
    answer(httpserver, CHECKED)
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]

    result = CliRunner().invoke(cli, [*base, "content-provenance-checks", "create", str(image)])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == CHECKED
    assert last(httpserver).files["file"].read() == PNG
