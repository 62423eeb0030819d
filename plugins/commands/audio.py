"""`openaistream audio speech|transcription|translation`: speech written to a file as it
streams, recordings turned into text; `voices-create` and `voice-consents-*`: a command
for each of the custom voice methods."""

from __future__ import annotations

from typing import Any, Optional

import click

import openaistream
from openaistream.cli import (
    JSON_OPTION,
    PARAMS_OPTION,
    CommandGroup,
    State,
    operations_group,
    params_option,
    parse_params,
    print_stream,
)
from openaistream.plugins.audio import Audio

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"transcribe": "transcription", "translate": "translation"}


def command() -> click.Command:
    """The `audio` group."""
    group = CommandGroup(
        "audio", help="Speech, transcription, translation and voices.", aliases=COMMAND_ALIASES
    )
    # The custom voice methods, one command each (voices-create, voice-consents-list, ...).
    voices = operations_group("audio", "audio", Audio, "", ("id", "name", "language"))
    for voice_command in voices.commands.values():
        group.add_command(voice_command)
    group.add_command(speech)
    group.add_command(
        _recording_command("transcription", "transcription", "The text of the recording at PATH.")
    )
    group.add_command(
        _recording_command("translation", "translation", "The recording at PATH, in English.")
    )
    return group


@click.command("speech")
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


def _recording_command(name: str, method: str, text: str) -> click.Command:
    """A command that sends the recording at PATH to `client.audio.<method>` and prints
    the text."""

    @click.command(name, help=text)
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("-m", "--model", default="whisper-1", show_default=True)
    @PARAMS_OPTION
    @JSON_OPTION
    @click.pass_obj
    def recording(
        state: State, path: str, model: str, params: tuple[str, ...], json_output: bool
    ) -> None:
        options = parse_params(params, taken={"file": "PATH", "model": "-m/--model"})
        answer = getattr(state.client().audio, method)(path, model, **options)
        if isinstance(answer, openaistream.DataStream):  # -o stream=true: text as it comes
            with answer:
                print_stream(answer, _transcript_delta, json_output or state.json_output)
        elif isinstance(answer, str):
            click.echo(answer, nl=not answer.endswith("\n"))
        elif json_output or state.json_output or "text" not in answer:
            state.emit(answer)
        else:
            click.echo(answer["text"])

    return recording


def _transcript_delta(event: dict[str, Any]) -> Optional[str]:
    """The text a `transcript.text.delta` event adds, whether the server named the event
    in an `event:` line or only in the data's `type`."""
    data = event.get("data")
    if not isinstance(data, dict):
        data = event
    kind = event.get("event") or data.get("type")
    return str(data.get("delta", "")) if kind == "transcript.text.delta" else None
