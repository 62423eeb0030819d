"""client.audio's custom voices: the consent recording and the voice sample uploaded as
multipart forms (each field and the bytes checked on the server), and their commands; on
both clients."""

from __future__ import annotations

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

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40
CONSENT = {
    "id": "cons_1234",
    "object": "audio.voice_consent",
    "name": "Jordan",
    "language": "en-US",
}


def test_a_consent_recording_is_uploaded_with_its_fields(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    recording = tmp_path / "consent.wav"
    recording.write_bytes(WAV)
    answer(httpserver, CONSENT)
    assert client.audio.voice_consents_create("Jordan", recording, "en-US") == CONSENT
    request = last(httpserver)
    assert (request.method, request.path, request.mimetype) == (
        "POST", "/v1/audio/voice_consents", "multipart/form-data"
    )  # fmt: skip
    assert request.form.to_dict(flat=False) == {"name": ["Jordan"], "language": ["en-US"]}
    sent = request.files["recording"]
    assert (sent.filename, sent.mimetype, sent.read()) == ("consent.wav", "audio/x-wav", WAV)


def test_a_voice_is_made_from_a_sample_and_a_consent(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    answer(httpserver, {"id": "voice_1", "name": "Jordan"})
    client.audio.voices_create("Jordan", ("sample.mp3", WAV, "audio/mpeg"), "cons_1234")
    request = last(httpserver)
    assert request.path == "/v1/audio/voices"
    assert request.form.to_dict() == {"name": "Jordan", "consent": "cons_1234"}
    sent = request.files["audio_sample"]
    assert (sent.filename, sent.mimetype, sent.read()) == ("sample.mp3", "audio/mpeg", WAV)


def test_a_missing_recording_fails_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="recording: no such file"):
        client.audio.voice_consents_create("Jordan", tmp_path / "nope.wav", "en-US")
    with pytest.raises(TypeError, match="missing a required argument: 'consent'"):
        client.audio.voices_create("Jordan", WAV)  # type: ignore[call-arg]
    assert httpserver.log == []


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, "audio", *args], catch_exceptions=False)


def test_the_voice_commands(httpserver: HTTPServer, tmp_path: Path) -> None:
    recording = tmp_path / "consent.wav"
    recording.write_bytes(WAV)
    answer(httpserver, CONSENT)
    result = invoke(httpserver, "voice-consents-create", "Jordan", str(recording), "en-US")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == CONSENT
    assert last(httpserver).files["recording"].read() == WAV

    answer(httpserver, {"object": "list", "data": [CONSENT]})
    result = invoke(httpserver, "voice-consents-list", "-o", "limit=5")
    assert result.exit_code == 0, result.output
    assert result.output.split("\n")[1].split() == ["cons_1234", "Jordan", "en-US"]
    assert last(httpserver).args.to_dict() == {"limit": "5"}
