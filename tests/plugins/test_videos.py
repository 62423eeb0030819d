"""client.videos beyond its plain operations: sources uploaded or referred to, the content
streamed to a file byte-exact, the bounded poll that honours ``openai-poll-after-ms``, and
the commands; on both clients."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import ANY_PATH, answer, last, query
from tests.support.cli import cli_runner
from tests.support.servers import Conn, RawServer, chunk, head

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
MP4 = bytes(range(256)) * 8 * 1024  # 2 MiB, every byte value: byte-exact or not
QUEUED = {"id": "video_123", "object": "video", "status": "queued", "progress": 0}
RENDERING = {**QUEUED, "status": "in_progress", "progress": 40}
DONE = {**QUEUED, "status": "completed", "progress": 100}
CAT = "A calico cat playing a piano on stage"


def requests(httpserver: HTTPServer) -> list[Any]:
    return [request for request, _ in httpserver.log]


def test_the_content_streams_to_a_file_byte_exact(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    answer(httpserver, MP4, content_type="video/mp4")
    target = tmp_path / "cat.mp4"
    assert client.videos.download_content("video_123", target, variant="video") == len(MP4)
    assert target.read_bytes() == MP4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.mp4"]
    request = last(httpserver)
    assert (request.method, request.path) == ("GET", "/v1/videos/video_123/content")
    assert query(request) == {"variant": ["video"]}


def test_the_content_as_bytes_or_as_a_stream(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, PNG, content_type="image/webp")
    assert client.videos.content("video_123", variant="thumbnail") == PNG
    assert query(last(httpserver)) == {"variant": ["thumbnail"]}
    answer(httpserver, MP4, content_type="video/mp4")
    with client.videos.content("video_123", stream=True) as stream:
        assert b"".join(stream) == MP4
    assert query(last(httpserver)) == {}


def test_a_failed_download_leaves_no_file(tmp_path: Path, make_client: Any) -> None:
    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200, {"Content-Type": "video/mp4"}) + chunk(MP4[:1000]))
        conn.reset()

    with RawServer(handler) as server:
        client = make_client(api_key=API_KEY, base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openaistream.StreamError):
            client.videos.download_content("video_123", tmp_path / "cat.mp4")
        client.close()
    assert list(tmp_path.iterdir()) == []


def test_create_uploads_an_input_reference_as_a_multipart_form(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    answer(httpserver, QUEUED)
    assert client.videos.create(CAT, model="sora-2", seconds="8", input_reference=image) == QUEUED
    request = last(httpserver)
    assert (request.method, request.path, request.mimetype) == (
        "POST", "/v1/videos", "multipart/form-data"
    )  # fmt: skip
    assert request.form.to_dict(flat=False) == {
        "prompt": [CAT], "model": ["sora-2"], "seconds": ["8"]
    }  # fmt: skip
    sent = request.files["input_reference"]
    assert (sent.filename, sent.mimetype, sent.read()) == ("cat.png", "image/png", PNG)


def test_create_with_a_reference_or_none_sends_json(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, QUEUED)
    client.videos.create(CAT, input_reference={"file_id": "file-123"})
    assert last(httpserver).mimetype == "application/json"
    assert last(httpserver).get_json() == {
        "prompt": CAT, "input_reference": {"file_id": "file-123"}
    }  # fmt: skip
    answer(httpserver, QUEUED)
    client.videos.create(CAT, size="1280x720")
    assert last(httpserver).get_json() == {"prompt": CAT, "size": "1280x720"}


def test_edit_and_extend_take_a_video_id_or_an_upload(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, QUEUED)
    client.videos.edit({"id": "video_123"}, "Make the piano red")
    request = last(httpserver)
    assert request.path == "/v1/videos/edits"
    assert request.get_json() == {"video": {"id": "video_123"}, "prompt": "Make the piano red"}

    answer(httpserver, QUEUED)
    client.videos.extend(("cat.mp4", MP4[:5000], "video/mp4"), "The cat bows", "4")
    request = last(httpserver)
    assert (request.path, request.mimetype) == ("/v1/videos/extensions", "multipart/form-data")
    assert request.form.to_dict() == {"prompt": "The cat bows", "seconds": "4"}
    sent = request.files["video"]
    assert (sent.filename, sent.mimetype, sent.read()) == ("cat.mp4", "video/mp4", MP4[:5000])


def test_bad_arguments_fail_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match="video is required"):
        client.videos.edit(None, "Make the piano red")
    with pytest.raises(FileNotFoundError, match="video: no such file"):
        client.videos.extend(tmp_path / "nope.mp4", "The cat bows", "4")
    with pytest.raises(TypeError, match="input_reference must be"):
        client.videos.create(CAT, input_reference=42)
    with pytest.raises(ValueError, match="prompt must not be empty"):
        client.videos.create("")
    with pytest.raises(ValueError, match="poll_interval must be a number of seconds > 0"):
        client.videos.poll("video_123", poll_interval=0)
    with pytest.raises(ValueError, match="max_wait must be a number of seconds >= 0"):
        client.videos.create_and_poll(CAT, max_wait="long")
    assert httpserver.log == []


def test_poll_waits_what_the_api_asks_until_the_video_is_done(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    after = {"openai-poll-after-ms": "150"}
    answer(httpserver, QUEUED, headers=after)
    answer(httpserver, RENDERING, headers=after)
    answer(httpserver, DONE)
    started = time.monotonic()
    assert client.videos.poll("video_123") == DONE
    assert time.monotonic() - started >= 0.3  # two waits of 150 ms, not the default 1 s
    assert time.monotonic() - started < 1.5
    assert [(r.method, r.path) for r in requests(httpserver)] == [
        ("GET", "/v1/videos/video_123")
    ] * 3


def test_a_given_poll_interval_comes_before_the_api_advice(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, RENDERING, headers={"openai-poll-after-ms": "60000"})
    answer(httpserver, {**DONE, "status": "failed", "error": {"code": "moderation"}})
    started = time.monotonic()
    assert client.videos.poll("video_123", poll_interval=0.01)["status"] == "failed"
    assert time.monotonic() - started < 5


def test_poll_gives_up_after_max_wait(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json(RENDERING)
    with pytest.raises(TimeoutError, match="'video_123' is still 'in_progress' after max_wait"):
        client.videos.poll("video_123", poll_interval=0.02, max_wait=0.1)
    assert 2 <= len(httpserver.log) <= 10


def test_create_and_poll_sends_the_call_options_with_every_request(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, QUEUED)
    answer(httpserver, RENDERING, headers={"openai-poll-after-ms": "10"})
    answer(httpserver, DONE)
    done = client.videos.create_and_poll(
        CAT, model="sora-2-pro", extra_headers={"X-Trace": "t-1"}, poll_interval=None
    )
    assert done == DONE
    sent = requests(httpserver)
    assert [(r.method, r.path) for r in sent] == [
        ("POST", "/v1/videos"), ("GET", "/v1/videos/video_123"), ("GET", "/v1/videos/video_123")
    ]  # fmt: skip
    assert sent[0].get_json() == {"prompt": CAT, "model": "sora-2-pro"}
    assert [r.headers.get("X-Trace") for r in sent] == ["t-1"] * 3


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return cli_runner().invoke(cli, [*base, "videos", *args], catch_exceptions=False)


def test_the_download_command_writes_the_content_to_a_file(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    answer(httpserver, MP4, content_type="video/mp4")
    target = tmp_path / "cat.webp"
    result = invoke(httpserver, "download-content", "video_123", "-o", str(target), "--variant",
                    "thumbnail")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == MP4
    assert query(last(httpserver)) == {"variant": ["thumbnail"]}
    assert f"{target}: {len(MP4)} bytes" in result.stderr


def test_the_edit_command_uploads_a_file_or_refers_to_a_video_id(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    answer(httpserver, QUEUED)
    assert invoke(httpserver, "edit", "video_123", "Make it red").exit_code == 0
    assert last(httpserver).get_json() == {"video": {"id": "video_123"}, "prompt": "Make it red"}
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4[:3000])
    answer(httpserver, QUEUED)
    result = invoke(httpserver, "extend", str(clip), "The cat bows", "8")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == QUEUED
    assert last(httpserver).files["video"].read() == MP4[:3000]
    assert last(httpserver).form.to_dict() == {"prompt": "The cat bows", "seconds": "8"}


def test_the_create_and_poll_command_shows_the_finished_video(httpserver: HTTPServer) -> None:
    answer(httpserver, QUEUED)
    answer(httpserver, DONE)
    result = invoke(httpserver, "create-and-poll", CAT, "--poll-interval", "0.01", "-o",
                    "seconds=\"4\"")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == DONE
    assert requests(httpserver)[0].get_json() == {"prompt": CAT, "seconds": "4"}
