"""The ``audio`` resource: speech from text, and transcription and translation of recordings.

Paths from the OpenAPI spec: ``POST /audio/speech`` (JSON), ``POST /audio/transcriptions`` and
``POST /audio/translations`` (multipart, the recording streamed from disk).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.multipart import Multipart, checked_file
from openaistream.resource import check_text

PathLike = Union[str, "os.PathLike[str]"]


class Audio(openaistream.Resource):
    endpoint = "/audio"

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
        """The audio of ``input`` spoken by ``voice``: bytes, or with ``stream=True`` a
        DataStream of audio chunks as the API produces them (``next_value`` gives up to
        ``num`` bytes). With ``stream_format="sse"`` the stream yields the
        ``speech.audio.delta`` events instead. ``params``: ``response_format`` (mp3, opus,
        aac, flac, wav, pcm), ``speed``, ``instructions``, ..."""
        body = {
            "model": check_text("model", model),
            "input": check_text("input", input),
            "voice": voice,
            **params,
        }
        if not stream:
            return self._call(
                "POST", "/audio/speech", json=body, parse="bytes", verbosity=verbosity
            )
        decoder = "sse" if params.get("stream_format") == "sse" else "bytes"
        return self._call(
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
        path: PathLike,
        model: str = "whisper-1",
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """The text of the recording at ``path``, in its language: a dict for JSON answers,
        a string for ``response_format`` text, srt or vtt. With ``stream=True`` (models that
        support it), a DataStream of ``transcript.text.delta`` events."""
        return self._from_recording("/audio/transcriptions", path, model, num, verbosity, params)

    def translation(
        self,
        path: PathLike,
        model: str = "whisper-1",
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """The recording at ``path`` translated into English; answers as for transcription."""
        return self._from_recording("/audio/translations", path, model, 2, verbosity, params)

    def _from_recording(
        self,
        endpoint: str,
        path: PathLike,
        model: str,
        num: int,
        verbosity: Optional[int],
        params: dict[str, Any],
    ) -> Any:
        body = Multipart(
            {"model": check_text("model", model), **params}, {"file": checked_file("path", path)}
        )
        stream = params.get("stream") is True
        return self._call(
            "POST", endpoint, multipart=body, stream=stream, num=num, verbosity=verbosity
        )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("audio", Audio)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    import click

    from openaistream.cli import (
        JSON_OPTION,
        PARAMS_OPTION,
        CommandGroup,
        State,
        params_option,
        parse_params,
        print_stream,
    )

    group = CommandGroup(
        "audio",
        help="Speech, transcription and translation.",
        aliases={"transcribe": "transcription", "translate": "translation"},
    )

    @group.command("speech")
    @click.argument("input")
    @click.option("-m", "--model", default="tts-1", show_default=True)
    @click.option("--voice", default="alloy", show_default=True)
    @click.option(
        "-o", "--output", type=click.Path(dir_okay=False), required=True,
        help="The audio file to write, as it streams.",
    )  # fmt: skip
    @params_option("-p")
    @click.pass_obj
    def speech(
        state: State, input: str, model: str, voice: str, output: str, params: tuple[str, ...]
    ) -> None:
        """Speak INPUT into the file OUTPUT, written as the audio arrives."""
        taken = {"input": "INPUT", "model": "-m/--model", "voice": "--voice"}
        taken["stream"] = "the command itself (it streams into --output)"
        options = parse_params(params, taken=taken, option="-p")
        if options.get("stream_format", "audio") != "audio":
            raise click.BadParameter(
                "stream_format: this command writes the audio itself to --output; leave it out",
                param_hint="-p",
            )
        stream = state.client().audio.speech(input, model, voice, True, **options)
        with stream:
            written = stream.write_to(output)
        click.echo(f"{output}: {written} bytes", err=True)

    def recording_command(name: str, method: str, text: str) -> None:
        @group.command(name, help=text)
        @click.argument("path", type=click.Path(exists=True, dir_okay=False))
        @click.option("-m", "--model", default="whisper-1", show_default=True)
        @PARAMS_OPTION
        @JSON_OPTION
        @click.pass_obj
        def command(
            state: State, path: str, model: str, params: tuple[str, ...], json_output: bool
        ) -> None:
            options = parse_params(params, taken={"file": "PATH", "model": "-m/--model"})
            answer = getattr(state.client().audio, method)(path, model, **options)
            if isinstance(
                answer, openaistream.DataStream
            ):  # -o stream=true: the text as it is transcribed
                with answer:
                    print_stream(answer, _transcript_delta, json_output or state.json_output)
            elif isinstance(answer, str):
                click.echo(answer, nl=not answer.endswith("\n"))
            elif json_output or state.json_output or "text" not in answer:
                state.emit(answer)
            else:
                click.echo(answer["text"])

    recording_command("transcription", "transcription", "The text of the recording at PATH.")
    recording_command("translation", "translation", "The recording at PATH, in English.")
    cli.add_command(group)


def _transcript_delta(event: dict[str, Any]) -> Optional[str]:
    """The text a ``transcript.text.delta`` event adds, whether the server named the event
    in an ``event:`` line or only in the data's ``type``."""
    data = event.get("data")
    if not isinstance(data, dict):
        data = event
    kind = event.get("event") or data.get("type")
    return str(data.get("delta", "")) if kind == "transcript.text.delta" else None
