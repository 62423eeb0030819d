"""client.audio against local servers with the recorded answers: speech as bytes, as a real
byte stream and as SSE; transcriptions and translations uploaded as multipart."""

from __future__ import annotations

import base64
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
from tests.support.servers import LAST_CHUNK, Conn, RawServer, chunk, head

MP3 = recordings.body("audio_speech/mp3")


def test_speech_returns_the_audio_bytes(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, MP3, content_type="audio/mpeg")
    audio = client.audio.speech("Hello, world!", model="gpt-4o-mini-tts", response_format="mp3")
    assert audio == MP3
    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/audio/speech")
    assert json.loads(request.get_data()) == {
        "model": "gpt-4o-mini-tts",
        "input": "Hello, world!",
        "voice": "alloy",
        "response_format": "mp3",
    }


def test_streamed_speech_arrives_chunk_by_chunk(make_client: Any) -> None:
    """The server sends half the audio, then waits: the first half reaches the caller
    before the rest is sent."""
    half = len(MP3) // 2
    holding = threading.Event()
    release = threading.Event()

    def handler(conn: Conn) -> None:
        conn.read_request()
        conn.send(head(200, {"Content-Type": "audio/mpeg"}))
        holding.set()
        conn.send(chunk(MP3[:half]))
        release.wait(1.0)
        holding.clear()
        conn.send(chunk(MP3[half:]) + LAST_CHUNK)

    with RawServer(handler) as server:
        client = make_client(api_key=API_KEY, base_url=server.url + "/v1")
        with client.audio.speech("Hello, world!", stream=True, num=4096) as stream:
            first = stream.next_value
            held = holding.is_set()
            received = len(first)
            while received < half and (part := stream.next_value):
                received += len(part)
            still_held = holding.is_set()
            release.set()
            rest = b"".join(iter(lambda: stream.next_value, b""))
        client.close()
    assert held and still_held
    assert len(first) == 4096
    assert first == MP3[:4096]
    assert received + len(rest) == len(MP3)


def test_speech_written_to_a_file_as_it_arrives(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    answer(httpserver, MP3, content_type="audio/mpeg")
    target = tmp_path / "hello.mp3"
    with client.audio.speech("Hello, world!", stream=True) as stream:
        assert stream.write_to(target) == len(MP3)
    assert target.read_bytes() == MP3


def test_speech_with_sse_stream_format_yields_the_audio_events(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    recording = recordings.load("audio_speech/sse_stream")
    answer(httpserver, recordings.body(recording), content_type="text/event-stream")
    events = list(
        client.audio.speech(
            "Hello, world! This is a streaming test.",
            model="gpt-4o-mini-tts",
            stream=True,
            stream_format="sse",
        )
    )
    assert json.loads(last(httpserver).get_data()) == recording["request"]["body_json"]
    # The recording uses CRLF line endings throughout.
    assert [event["type"] for event in events] == ["speech.audio.delta"] * 15 + [
        "speech.audio.done"
    ]
    audio = b"".join(base64.b64decode(event["audio"]) for event in events[:-1])
    assert len(audio) > 10_000
    assert events[-1]["usage"]["total_tokens"] > 0


@pytest.fixture
def recording_file(tmp_path: Path) -> Path:
    path = tmp_path / "hello.mp3"
    path.write_bytes(MP3)
    return path


def test_transcription_uploads_the_recording_and_returns_json(
    httpserver: HTTPServer, client: openaistream.OpenAI, recording_file: Path
) -> None:
    answer(httpserver, json.loads(recordings.body("audio_transcription/json")))
    result = client.audio.transcription(recording_file, language="en", temperature=0)
    assert result["text"] == "Hello, world! This is a test."
    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/audio/transcriptions")
    assert request.form.to_dict() == {"model": "whisper-1", "language": "en", "temperature": "0"}
    assert request.files["file"].filename == "hello.mp3"
    assert request.files["file"].read() == MP3


def test_transcription_as_text_returns_a_string(
    httpserver: HTTPServer, client: openaistream.OpenAI, recording_file: Path
) -> None:
    answer(
        httpserver,
        recordings.body("audio_transcription/text_plain"),
        content_type="text/plain; charset=utf-8",
    )
    text = client.audio.transcription(
        recording_file, model="gpt-4o-transcribe", response_format="text"
    )
    assert text == "Hello, world! This is a test.\n"
    assert last(httpserver).form["response_format"] == "text"


def test_transcription_streamed_yields_the_text_deltas(
    httpserver: HTTPServer, client: openaistream.OpenAI, recording_file: Path
) -> None:
    answer(
        httpserver,
        recordings.body("audio_transcription/sse_stream_crlf"),
        content_type="text/event-stream",
    )
    stream = client.audio.transcription(
        recording_file, model="gpt-4o-mini-transcribe", stream=True, include=["logprobs"]
    )
    events = list(stream)
    request = last(httpserver)
    assert request.form.to_dict(flat=False) == {
        "model": ["gpt-4o-mini-transcribe"],
        "stream": ["true"],
        "include[]": ["logprobs"],
    }
    deltas = "".join(event["delta"] for event in events if event["type"] == "transcript.text.delta")
    assert events[-1]["type"] == "transcript.text.done"
    assert deltas == events[-1]["text"]


def test_translation(
    httpserver: HTTPServer, client: openaistream.OpenAI, recording_file: Path
) -> None:
    answer(httpserver, {"text": "Hello, world!"})
    assert client.audio.translation(recording_file, prompt="greeting") == {"text": "Hello, world!"}
    request = last(httpserver)
    assert request.path == "/v1/audio/translations"
    assert request.form.to_dict() == {"model": "whisper-1", "prompt": "greeting"}
    assert request.files["file"].read() == MP3


def test_a_missing_recording_fails_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="path"):
        client.audio.transcription(tmp_path / "missing.mp3")
    with pytest.raises(IsADirectoryError, match="path"):
        client.audio.translation(tmp_path)
    with pytest.raises(TypeError, match="input"):
        client.audio.speech(None)  # type: ignore[arg-type]
    assert httpserver.log == []
