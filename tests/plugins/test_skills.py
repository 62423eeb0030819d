"""client.skills: a skill uploaded as a directory, a zip file or a list of files (the server
checks every part and its bytes), the errors of a bad upload before any network, the content
of a skill or a version as bytes and streamed to a file, and the commands."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request as ServerRequest

import openaistream
from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import answer, last

SKILL_MD = (
    b"---\nname: csv-insights\ndescription: Summarize a CSV file.\n---\n\nRead it, then sum.\n"
)
SCRIPT = b"import csv\nprint('summary')\n"
SKILL = {"id": "skill_1", "object": "skill", "default_version": "1", "latest_version": "1"}


def skill_folder(tmp_path: Path) -> Path:
    """A skill's folder as people keep it: with hidden files that are no part of it."""
    folder = tmp_path / "csv_insights"
    (folder / "scripts").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "SKILL.md").write_bytes(SKILL_MD)
    (folder / "scripts" / "summarize.py").write_bytes(SCRIPT)
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / ".git" / "config").write_bytes(b"[core]\n")
    return folder


def parts(request: ServerRequest) -> list[tuple[str, str, bytes]]:
    """Each file the server received: field, filename, bytes."""
    return [
        (field, upload.filename or "", upload.read())
        for field, upload in request.files.items(multi=True)
    ]


def zipped(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "csv_insights.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("csv_insights/SKILL.md", SKILL_MD)
    return path, path.read_bytes()


def test_a_directory_uploads_each_file_named_by_its_path_in_the_skill(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    answer(httpserver, SKILL)

    assert client.skills.create(skill_folder(tmp_path)) == SKILL

    request = last(httpserver)
    assert (request.method, request.path, request.mimetype) == (
        "POST", "/v1/skills", "multipart/form-data",
    )  # fmt: skip
    assert parts(request) == [
        ("files[]", "csv_insights/SKILL.md", SKILL_MD),
        ("files[]", "csv_insights/scripts/summarize.py", SCRIPT),
    ]
    assert request.form.to_dict() == {}


def test_a_zip_file_uploads_as_one_part(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    path, content = zipped(tmp_path)
    answer(httpserver, SKILL)

    client.skills.create(path)

    assert parts(last(httpserver)) == [("files", "csv_insights.zip", content)]
    assert last(httpserver).files["files"].mimetype == "application/zip"


def test_a_list_of_files_from_memory_and_a_version_made_the_default(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, {"object": "skill.version", "version": "2"})
    files = [("csv_insights/SKILL.md", SKILL_MD), ("csv_insights/notes.txt", io.BytesIO(b"n"))]

    client.skills.versions_create("skill_1", files, default=True)

    request = last(httpserver)
    assert request.path == "/v1/skills/skill_1/versions"
    assert parts(request) == [
        ("files[]", "csv_insights/SKILL.md", SKILL_MD),
        ("files[]", "csv_insights/notes.txt", b"n"),
    ]
    assert request.form.to_dict() == {"default": "true"}


def test_a_bad_upload_fails_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_bytes(b"x")
    with pytest.raises(ValueError, match="files holds no file"):
        client.skills.create(tmp_path / "empty")
    with pytest.raises(ValueError, match="files holds no file"):
        client.skills.create([])
    with pytest.raises(ValueError, match="at most 500 files go in one upload, not 501"):
        client.skills.create([b"x"] * 501)
    with pytest.raises(FileNotFoundError, match="files: no such file"):
        client.skills.create(tmp_path / "missing.zip")
    with pytest.raises(FileNotFoundError, match=r"files\[1\]: no such file"):
        client.skills.versions_create("skill_1", [SKILL_MD, tmp_path / "gone.md"])
    with pytest.raises(TypeError, match="files must be a path"):
        client.skills.create(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="skill_id must not be empty"):
        client.skills.versions_create("", [SKILL_MD])
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda c, **kw: c.skills.content("skill_1", **kw), "/v1/skills/skill_1/content"),
        (
            lambda c, **kw: c.skills.versions_content("skill_1", "2", **kw),
            "/v1/skills/skill_1/versions/2/content",
        ),
    ],
    ids=["content", "versions_content"],
)
def test_the_content_as_bytes_or_streamed_to_a_file(
    call: Any, path: str, httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    _, content = zipped(tmp_path)
    content *= 50  # several pieces, whatever the chunk size
    answer(httpserver, content, content_type="application/zip")
    answer(httpserver, content, content_type="application/zip")

    assert call(client) == content
    assert (last(httpserver).method, last(httpserver).path) == ("GET", path)

    target = tmp_path / "skill.zip"
    with call(client, stream=True, num=1000) as stream:
        assert stream.write_to(target) == len(content)
    assert target.read_bytes() == content
    assert last(httpserver).path == path


# -- the commands ----------------------------------------------------------------------------


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def test_create_uploads_a_directory_and_prints_the_skill(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    answer(httpserver, SKILL)

    result = invoke(httpserver, "skills", "create", str(skill_folder(tmp_path)))

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == SKILL
    assert [name for _, name, _ in parts(last(httpserver))] == [
        "csv_insights/SKILL.md",
        "csv_insights/scripts/summarize.py",
    ]


def test_versions_create_uploads_several_files_as_the_default(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    (tmp_path / "SKILL.md").write_bytes(SKILL_MD)
    (tmp_path / "run.py").write_bytes(SCRIPT)
    answer(httpserver, {"object": "skill.version", "version": "3"})

    result = invoke(
        httpserver, "skills", "versions-create", "skill_1",
        str(tmp_path / "SKILL.md"), str(tmp_path / "run.py"), "--default",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    request = last(httpserver)
    assert request.path == "/v1/skills/skill_1/versions"
    assert parts(request) == [("files[]", "SKILL.md", SKILL_MD), ("files[]", "run.py", SCRIPT)]
    assert request.form.to_dict() == {"default": "true"}


def test_content_writes_the_zip_to_stdout_and_list_prints_a_table(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    _, content = zipped(tmp_path)
    answer(httpserver, content, content_type="application/zip")
    answer(httpserver, {"object": "list", "data": [{**SKILL, "name": "csv-insights"}]})

    shown = invoke(httpserver, "skills", "versions-content", "skill_1", "2")
    listed = invoke(httpserver, "skills", "list", "-o", "limit=5")

    assert shown.exit_code == 0 and shown.stdout_bytes == content
    assert listed.exit_code == 0
    assert listed.output.split("\n")[1].split()[:2] == ["skill_1", "csv-insights"]
    assert last(httpserver).args.to_dict() == {"limit": "5"}
