"""``uploads.upload_file``: a file sent through the Uploads API in parts, in parallel, in
constant memory, completed with its part ids in the file's order, cancelled when a part
fails for good; the errors said before any network; ``files.upload`` pointing there for
files over 512 MB; and the ``uploads upload-file`` command. Both clients.

The server (tests/support/uploads_server.py) keeps each part as runs of zeros and bytes,
so a 2 GiB sparse file is checked byte for byte: the SHA-256 of its parts joined in the
order of the completion call is the file's."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import openaistream
from openaistream.cli import cli
from tests.plugins.test_contract import check
from tests.support.servers import RawServer
from tests.support.uploads_server import (
    UploadsServer,
    marker,
    runs_of_file,
    sha256_of,
    sparse_file,
)

API_KEY = "sk-test-uploads-0000000000"
MiB = 1 << 20
BIG = 2 << 30  # 2 GiB
NOWHERE = "http://127.0.0.1:9/v1"  # a request there fails: an error before it is the point
FAST_RETRIES = openaistream.RetryPolicy(max_retries=2, backoff=0.01)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 2 GiB sparse file (a few KiB on disk) with a marker every 4 MiB, and its SHA-256."""
    path = sparse_file(tmp_path_factory.mktemp("big") / "big.jsonl", BIG, every=4 * MiB)
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for data in iter(lambda: file.read(1 << 20), b""):
            digest.update(data)
    return path, digest.hexdigest()


# -- the 2 GiB upload, in a process of its own that reports its peak RSS ------------------

CLIENT = """
    import asyncio, json, sys, time
    import openaistream

    KEY = "sk-test-uploads-0000000000"
    URL, PATH, PARALLEL = sys.argv[1], sys.argv[2], int(sys.argv[3])
    progressed = [0]

    def progress(size):
        progressed[0] += size

    started = time.monotonic()
    if sys.argv[4] == "sync":
        with openaistream.OpenAI(KEY, base_url=URL, max_retries=0) as client:
            answer = client.uploads.upload_file(
                PATH, "fine-tune", parallel=PARALLEL, progress=progress
            )
    else:
        async def upload():
            async with openaistream.AsyncOpenAI(KEY, base_url=URL, max_retries=0) as client:
                return await client.uploads.upload_file(
                    PATH, "fine-tune", parallel=PARALLEL, progress=progress
                )

        answer = asyncio.run(upload())
    wall = time.monotonic() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest).
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"answer": answer, "peak_mb": peak_kb / 1024, "wall": wall,
                      "progressed": progressed[0]}))
"""


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="peak RSS is read from /proc (Linux only)"
)
@pytest.mark.timeout(900)  # 2 GiB sent, and hashed twice: minutes on a busy machine
def test_a_2_gib_file_goes_in_parallel_parts_in_constant_memory_reassembled_exactly(
    big_file: tuple[Path, str], client_kind: str
) -> None:
    path, expected = big_file
    parallel = 4
    server = UploadsServer(hold=parallel)  # the first parts wait until four are in flight
    with RawServer(server) as raw:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(CLIENT), raw.url + "/v1", str(path),
             str(parallel), client_kind],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert server.created == [
        {"filename": "big.jsonl", "purpose": "fine-tune", "bytes": BIG,
         "mime_type": "application/octet-stream"}
    ]  # fmt: skip
    assert server.peak == parallel  # side by side, never more than asked
    part_ids = server.completed[-1]["part_ids"]
    assert len(part_ids) == BIG // (64 * MiB) == 32
    offsets = [server.parts[part_id][0] for part_id in part_ids]
    assert offsets == list(range(0, BIG, 64 * MiB))  # completed in the file's order
    assert sha256_of(server.reassembled()) == expected  # byte for byte
    assert report["answer"]["file"]["id"] == "file-xyz321"
    assert report["progressed"] == BIG
    assert server.cancelled == []
    assert report["peak_mb"] < 64, f"peak RSS {report['peak_mb']:.1f} MB"
    print(
        f"\n2 GiB upload ({client_kind}, {parallel} parts at once): "
        f"{report['wall']:.1f} s, peak RSS {report['peak_mb']:.1f} MB"
    )


# -- in this process, on small files -------------------------------------------------------


def small_file(tmp_path: Path, size: int = 5 * MiB + 1000) -> Path:
    return sparse_file(tmp_path / "train.jsonl", size, every=MiB)


def test_a_part_failing_for_good_cancels_the_upload_and_its_error_is_raised(
    tmp_path: Path, make_client: Any
) -> None:
    path = small_file(tmp_path)
    server = UploadsServer(failing=2 * MiB)  # answered 500 every time
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=FAST_RETRIES)
        with pytest.raises(openaistream.InternalServerError, match="could not be stored"):
            client.uploads.upload_file(path, "batch", part_size=MiB, parallel=2)
    assert server.attempts[2 * MiB] == 3  # the client's retries, then it gave up
    assert server.cancelled == ["upload_1"]
    assert server.completed == []


def test_parts_are_completed_in_the_files_order_whatever_order_they_finish_in(
    tmp_path: Path, make_client: Any
) -> None:
    path = small_file(tmp_path)
    server = UploadsServer(slow={0: 0.3})  # the first part is answered last
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        upload = client.uploads.upload_file(path, "batch", part_size=MiB, parallel=3)
    assert upload["status"] == "completed"
    part_ids = server.completed[-1]["part_ids"]
    assert list(server.parts) != part_ids  # they finished in another order
    assert [server.parts[part_id][0] for part_id in part_ids] == [n * MiB for n in range(6)]
    assert sha256_of(server.reassembled()) == runs_of_file(path).sha256()
    assert server.reassembled()[-1].size == 1000  # the last part is the rest


def test_progress_counts_each_byte_once_when_a_part_is_resent(
    tmp_path: Path, make_client: Any
) -> None:
    path = small_file(tmp_path)
    server = UploadsServer(failing_once=(MiB, 3 * MiB))
    progressed: list[int] = []
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=FAST_RETRIES)
        client.uploads.upload_file(
            path, "batch", part_size=MiB, parallel=2, progress=progressed.append
        )
    assert server.attempts[MiB] == server.attempts[3 * MiB] == 2
    assert sum(progressed) == path.stat().st_size
    assert sha256_of(server.reassembled()) == runs_of_file(path).sha256()


def test_an_open_file_is_sent_from_where_it_stands(tmp_path: Path, make_client: Any) -> None:
    path = small_file(tmp_path)
    server = UploadsServer()
    with RawServer(server) as raw, path.open("rb") as file:
        file.seek(MiB)  # its parts start at the second marker
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        client.uploads.upload_file(
            file, "batch", part_size=2 * MiB, mime_type="application/jsonl", filename="x.jsonl"
        )
    assert server.created[-1] == {
        "filename": "x.jsonl", "purpose": "batch", "bytes": 4 * MiB + 1000,
        "mime_type": "application/jsonl",
    }  # fmt: skip
    assert sha256_of(server.reassembled()) == runs_of_file(path, start=MiB).sha256()


def test_a_file_without_a_descriptor_is_read_under_a_lock(make_client: Any) -> None:
    data = bytearray(os.urandom(3 * MiB))
    for offset in (0, MiB, 2 * MiB):
        data[offset : offset + 16] = marker(offset)
    server = UploadsServer()
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        client.uploads.upload_file(io.BytesIO(data), "batch", part_size=MiB, parallel=3)
    assert sha256_of(server.reassembled()) == hashlib.sha256(data).hexdigest()


def test_each_request_matches_the_spec_and_carries_the_call_options(
    tmp_path: Path, httpserver: HTTPServer, make_client: Any
) -> None:
    """Every request upload_file makes validates against its operation (as the contract
    test checks the other methods), with md5 and expires_after where they belong."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"x" * 2500)
    checked: list[str] = []
    parts: list[bytes] = []

    def handler(request: Request) -> Response:
        assert request.headers["X-Tag"] == "seen"
        checked.append(check(request))
        if "data" in request.files:
            parts.append(request.files["data"].read())
        answer = {"id": f"part_{len(checked)}"}
        if request.path.endswith("/uploads"):
            answer = {"id": "upload_9", "object": "upload"}
        if request.path.endswith("/complete"):
            answer = {"id": "upload_9", "status": "completed", "sent": request.json}
        return Response(json.dumps(answer), content_type="application/json")

    httpserver.expect_request("/v1/uploads", method="POST").respond_with_handler(handler)
    httpserver.expect_request("/v1/uploads/upload_9/parts").respond_with_handler(handler)
    httpserver.expect_request("/v1/uploads/upload_9/complete").respond_with_handler(handler)
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)
    upload = client.uploads.upload_file(
        path, "assistants", part_size=1000, parallel=1, md5="d41d8cd98f00b204e9800998ecf8427e",
        expires_after={"anchor": "created_at", "seconds": 3600}, extra_headers={"X-Tag": "seen"},
    )  # fmt: skip
    assert checked == [
        "POST /uploads", *["POST /uploads/{upload_id}/parts"] * 3,
        "POST /uploads/{upload_id}/complete",
    ]  # fmt: skip
    created = json.loads(httpserver.log[0][0].get_data())
    assert created["mime_type"] == "text/plain" and created["bytes"] == 2500
    assert created["expires_after"] == {"anchor": "created_at", "seconds": 3600}
    assert parts == [b"x" * 1000, b"x" * 1000, b"x" * 500]
    assert upload["sent"] == {
        "part_ids": ["part_2", "part_3", "part_4"],
        "md5": "d41d8cd98f00b204e9800998ecf8427e",
    }


def test_with_raw_response_refuses_the_helper_before_any_network(
    tmp_path: Path, make_client: Any
) -> None:
    # A method of several calls answers as it does on the client: raw is for one call.
    path = small_file(tmp_path, 2 * MiB)
    server = UploadsServer()
    with RawServer(server) as raw:
        client = make_client(API_KEY, base_url=raw.url + "/v1", max_retries=0)
        with pytest.raises(TypeError, match="with_raw_response is for methods of one call"):
            client.uploads.with_raw_response.upload_file(path, "batch", part_size=MiB)
    assert server.completed == []


# -- errors before any network --------------------------------------------------------------


@pytest.fixture
def nowhere(make_client: Any) -> Any:
    return make_client(API_KEY, base_url=NOWHERE, max_retries=0)


def test_a_file_over_8_gib_is_refused_before_any_network(tmp_path: Path, nowhere: Any) -> None:
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as file:
        file.truncate((8 << 30) + 1)  # sparse
    with pytest.raises(ValueError, match=r"file is 8589934593 bytes; .* at most 8 GiB"):
        nowhere.uploads.upload_file(huge, "batch")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"part_size": 64 * MiB + 1}, ValueError, "part_size is 67108865 bytes; .* at most 64 MiB"),
        ({"part_size": 0}, ValueError, "part_size must be at least 1, not 0"),
        ({"part_size": 1.5}, TypeError, "part_size must be a whole number, not 1.5"),
        ({"parallel": 0}, ValueError, "parallel must be at least 1, not 0"),
        ({"parallel": True}, TypeError, "parallel must be a whole number, not True"),
        ({"mime_type": ""}, ValueError, "mime_type must not be empty"),
        ({"filename": 7}, TypeError, "filename must be a string, not int"),
        ({"md5": b"abc"}, TypeError, "md5 must be a string, not bytes"),
        ({"progress": "bar"}, TypeError, "progress must be a function"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_before_any_network(
    tmp_path: Path, nowhere: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        nowhere.uploads.upload_file(small_file(tmp_path), "batch", **options)


def test_what_cannot_be_read_in_parts_is_refused_before_any_network(
    tmp_path: Path, nowhere: Any
) -> None:
    with pytest.raises(FileNotFoundError, match="file: no such file"):
        nowhere.uploads.upload_file(tmp_path / "missing.jsonl", "batch")
    with pytest.raises(TypeError, match="file must be a path or an open binary file"):
        nowhere.uploads.upload_file(b"bytes", "batch")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="file is empty"):
        nowhere.uploads.upload_file(empty, "batch")
    with pytest.raises(ValueError, match="purpose must not be empty"):
        nowhere.uploads.upload_file(small_file(tmp_path), "")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with text.open() as opened, pytest.raises(TypeError, match="open it in binary mode"):
        nowhere.uploads.upload_file(opened, "batch")
    read_end, write_end = os.pipe()
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe, pytest.raises(ValueError, match="cannot seek"):
        nowhere.uploads.upload_file(pipe, "batch")


def test_an_async_progress_is_refused_by_the_blocking_client(tmp_path: Path) -> None:
    async def progress(size: int) -> None:
        await asyncio.sleep(0)

    path = small_file(tmp_path)
    with (
        openaistream.OpenAI(API_KEY, base_url=NOWHERE) as client,
        pytest.raises(TypeError, match="progress is a coroutine function"),
    ):
        client.uploads.upload_file(path, "batch", progress=progress)


def test_an_async_progress_is_awaited_by_the_async_client(tmp_path: Path) -> None:
    path = small_file(tmp_path)
    progressed: list[int] = []

    async def progress(size: int) -> None:
        await asyncio.sleep(0)
        progressed.append(size)

    async def upload(url: str) -> Any:
        async with openaistream.AsyncOpenAI(API_KEY, base_url=url, max_retries=0) as client:
            return await client.uploads.upload_file(path, "batch", part_size=MiB, progress=progress)

    with RawServer(UploadsServer()) as raw:
        assert asyncio.run(upload(raw.url + "/v1"))["status"] == "completed"
    assert sum(progressed) == path.stat().st_size


def test_files_upload_points_to_upload_file_for_a_file_over_512_mb(
    tmp_path: Path, nowhere: Any
) -> None:
    large = tmp_path / "large.jsonl"
    with large.open("wb") as file:
        file.truncate((512 << 20) + 1)  # sparse
    with pytest.raises(ValueError, match=r"at most 512 MB .* client\.uploads\.upload_file"):
        nowhere.files.upload(large, "batch")


# -- the command line -------------------------------------------------------------------------


def test_the_upload_file_command_feeds_a_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openaistream.plugins.commands import uploads as commands

    path = small_file(tmp_path)
    updates: list[int] = []

    class Bar:
        def __init__(self, length: int, label: str) -> None:
            assert (length, label) == (path.stat().st_size, "uploading")

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def update(self, size: int) -> None:
            updates.append(size)

    monkeypatch.setattr(commands, "progress", Bar)
    server = UploadsServer()
    with RawServer(server) as raw:
        result = CliRunner().invoke(
            cli,
            ["--api-key", API_KEY, "--base-url", raw.url + "/v1", "uploads", "upload-file",
             str(path), "--purpose", "fine-tune", "--part-size", "1", "--parallel", "3",
             "--mime-type", "application/jsonl"],
            catch_exceptions=False,
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["file"]["id"] == "file-xyz321"
    assert sum(updates) == path.stat().st_size
    assert server.created[-1]["mime_type"] == "application/jsonl"
    assert len(server.completed[-1]["part_ids"]) == 6


def test_the_uploads_commands_are_named_after_the_methods() -> None:
    result = CliRunner().invoke(cli, ["uploads", "--help"])
    assert result.exit_code == 0
    for name in ("create", "parts-create", "complete", "cancel", "upload-file"):
        assert f"  {name} " in result.output


def test_the_cancel_command_cancels(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/v1/uploads/upload_1/cancel", method="POST"
    ).respond_with_json({"id": "upload_1", "status": "cancelled"})
    result = CliRunner().invoke(
        cli, ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "uploads", "cancel",
              "upload_1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "cancelled"
    assert httpserver.log[0][0].get_data() == b""  # the operation takes no body
