"""The `audio` resource: speech from text, transcription and translation of recordings,
and custom voices with the consent recordings they need.

Paths from the OpenAPI spec: `POST /audio/speech` (JSON), `POST /audio/transcriptions` and
`POST /audio/translations` (multipart, the recording streamed from disk or an open file, or
sent from memory), `POST /audio/voices` and `POST /audio/voice_consents` (multipart),
`GET /audio/voice_consents`, `GET|POST|DELETE /audio/voice_consents/{consent_id}`.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import openaistream
from openaistream.multipart import FileInput, Multipart, checked_upload
from openaistream.operation import operation
from openaistream.resource import check_flag, check_text

_CONSENT = "/audio/voice_consents/{consent_id}"


class Audio(openaistream.Resource):
    """Speech from text, transcription and translation of recordings, and custom voices, as
    `client.audio`.

    `speech` answers the audio as bytes, or with `stream=True` a
    [`DataStream`][openaistream.stream.DataStream] of chunks as the API makes them.
    `transcription` and `translation` upload the recording (a path, bytes or an open binary
    file). Custom voices are flat methods: `voice_consents_create` first, then
    `voices_create` from a sample and the consent's ID.

    ```python
    with client.audio.speech("Hello, world!", "gpt-4o-mini-tts", stream=True) as stream:
        stream.write_to("hello.mp3")
    text = client.audio.transcription("hello.mp3", response_format="text")
    ```
    """

    endpoint = "/audio"

    # Custom voices: a consent recording first, then the voice from a sample and its consent.
    voices_create = operation(
        "POST", "/audio/voices", "name", "audio_sample", "consent", files=["audio_sample"],
        doc="Create a voice from a sample recording and the ID of its consent.",
    )  # fmt: skip
    voice_consents_create = operation(
        "POST", "/audio/voice_consents", "name", "recording", "language", files=["recording"],
        doc="Upload a consent recording (language: a BCP 47 tag such as en-US).",
    )  # fmt: skip
    voice_consents_list = operation("GET", "/audio/voice_consents", doc="List the consents.")
    voice_consents_retrieve = operation("GET", _CONSENT, doc="Retrieve a consent recording.")
    voice_consents_update = operation("POST", _CONSENT, "name", doc="Rename a consent.")
    voice_consents_delete = operation("DELETE", _CONSENT, doc="Delete a consent recording.")

    def speech(
        self,
        input: str,
        model: str = "tts-1",
        voice: str = "alloy",
        stream: bool = False,
        num: int = 100,
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """The audio of `input` spoken by `voice`: bytes, or with `stream=True` a
        DataStream of audio chunks as the API produces them (`next_value` gives up to
        `num` bytes). With `stream_format="sse"` the stream yields the
        `speech.audio.delta` events instead. `params`: `response_format` (mp3, opus,
        aac, flac, wav, pcm), `speed`, `instructions`, ..."""
        body = {
            "model": check_text("model", model),
            "input": check_text("input", input),
            "voice": voice,
            **params,
        }
        if not check_flag("stream", stream):
            return self.request(
                "POST", "/audio/speech", json=body, parse="bytes", verbosity=verbosity
            )
        decoder = "sse" if params.get("stream_format") == "sse" else "bytes"
        return self.request(
            "POST",
            "/audio/speech",
            json=body,
            stream=True,
            decoder=decoder,
            num=num,
            verbosity=verbosity,
        )

    def transcription(
        self,
        path: FileInput,
        model: str = "whisper-1",
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """The text of the recording `path`, in its language: a dict for JSON answers,
        a string for `response_format` text, srt or vtt. `path` is a path, `bytes`, an
        open binary file or a `(filename, content[, content_type])` tuple; the API knows the
        format by the filename's extension, so give bytes a name with a tuple. With
        `stream=True` (models that support it), a DataStream of `transcript.text.delta`
        events."""
        return self._from_recording("/audio/transcriptions", path, model, num, verbosity, params)

    def translation(
        self,
        path: FileInput,
        model: str = "whisper-1",
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """The recording `path` (given as for transcription) translated into English;
        answers as for transcription."""
        return self._from_recording("/audio/translations", path, model, 2, verbosity, params)

    def _from_recording(
        self,
        endpoint: str,
        path: FileInput,
        model: str,
        num: int,
        verbosity: Optional[int],
        params: dict[str, Any],
    ) -> Any:
        body = Multipart(
            {"model": check_text("model", model), **params}, {"file": checked_upload("path", path)}
        )
        stream = params.get("stream") is True
        return self.request(
            "POST", endpoint, multipart=body, stream=stream, num=num, verbosity=verbosity
        )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("audio", Audio)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.audio import command  # only the command line loads click

    cli.add_command(command())
