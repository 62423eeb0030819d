"""`openaistream videos ...`: a command for each method of `client.videos`; the
video's content written to a file as it arrives (`download-content`)."""

from __future__ import annotations

import os
from typing import Any, Optional

import click

from openaistream.cli import PARAMS_OPTION, State, call_command, operations_group, parse_params
from openaistream.plugins.videos import DEFAULT_MAX_WAIT, Videos

COLUMNS = ("id", "status", "progress", "model", "seconds", "size", "created_at")
_POLL_OPTIONS = (
    click.option("--poll-interval", type=float, help="Seconds between looks (default: the API's)."),
    click.option("--max-wait", type=float, default=DEFAULT_MAX_WAIT, show_default=True),
)


def command() -> click.Command:
    """The `videos` group."""
    group = operations_group("videos", "videos", Videos, "Videos (Sora).", COLUMNS)
    text = "Start a video of PROMPT (-o input_reference=PATH uploads an image to start from)."
    group.add_command(call_command("create", "videos", "create", ["prompt"], help=text))
    for made in (edit, extend, poll, create_and_poll, download_content):
        group.add_command(made)
    return group


def _video(value: str) -> Any:
    """A VIDEO argument: the file at that path, uploaded, or else the ID of a video."""
    return value if os.path.isfile(value) else {"id": value}


def _with_poll_options(command: Any) -> Any:
    for option in reversed(_POLL_OPTIONS):
        command = option(command)
    return command


@click.command("edit")
@click.argument("video")
@click.argument("prompt")
@PARAMS_OPTION
@click.pass_obj
def edit(state: State, video: str, prompt: str, params: tuple[str, ...]) -> None:
    """Edit VIDEO (a video file to upload, or the ID of a completed video) as PROMPT says."""
    options = parse_params(params, taken={"video": "VIDEO", "prompt": "PROMPT"})
    state.emit(state.client().videos.edit(_video(video), prompt, **options))


@click.command("extend")
@click.argument("video")
@click.argument("prompt")
@click.argument("seconds")
@PARAMS_OPTION
@click.pass_obj
def extend(state: State, video: str, prompt: str, seconds: str, params: tuple[str, ...]) -> None:
    """Extend VIDEO (a file or a video ID) by SECONDS more that follow PROMPT."""
    taken = {"video": "VIDEO", "prompt": "PROMPT", "seconds": "SECONDS"}
    options = parse_params(params, taken=taken)
    state.emit(state.client().videos.extend(_video(video), prompt, seconds, **options))


@click.command("poll")
@click.argument("video_id")
@_with_poll_options
@click.pass_obj
def poll(state: State, video_id: str, poll_interval: Optional[float], max_wait: float) -> None:
    """Wait for VIDEO_ID to be completed or failed, and show it."""
    waits = {"poll_interval": poll_interval, "max_wait": max_wait}
    state.emit(state.client().videos.poll(video_id, **waits))


@click.command("create-and-poll")
@click.argument("prompt")
@_with_poll_options
@PARAMS_OPTION
@click.pass_obj
def create_and_poll(
    state: State,
    prompt: str,
    poll_interval: Optional[float],
    max_wait: float,
    params: tuple[str, ...],
) -> None:
    """Start a video of PROMPT and wait for it to be completed or failed."""
    options = parse_params(params, taken={"prompt": "PROMPT"})
    waits = {"poll_interval": poll_interval, "max_wait": max_wait}
    state.emit(state.client().videos.create_and_poll(prompt, **waits, **options))


@click.command("download-content")
@click.argument("video_id")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True,
    help="The file to write, as the content arrives.",
)  # fmt: skip
@click.option("--variant", type=click.Choice(["video", "thumbnail", "spritesheet"]))
@click.pass_obj
def download_content(state: State, video_id: str, output: str, variant: Optional[str]) -> None:
    """Write the content of VIDEO_ID (the MP4, or --variant) to OUTPUT as it arrives."""
    options = {"variant": variant} if variant else {}
    written = state.client().videos.download_content(video_id, output, **options)
    click.echo(f"{output}: {written} bytes", err=True)
