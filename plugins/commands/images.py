"""`openaistream images create|edit|variation`: `-o` saves `b64_json` images to files,
`-p` takes the API parameters."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Optional

import click

import openaistream
from openaistream.cli import JSON_OPTION, CommandGroup, State, params_option, parse_params

_PARAMS_OPTION = params_option("-p")  # -o names the output file here

_OUTPUT_OPTION = click.option(
    "-o", "--output", type=click.Path(dir_okay=False),
    help="Save b64_json images here (name-1.png, name-2.png, ... for several).",
)  # fmt: skip


def command() -> click.Command:
    """The `images` group."""
    group = CommandGroup("images", help="Generate, edit and vary images.")
    for each in (create, edit, variation):
        group.add_command(each)
    return group


@click.command("create")
@click.argument("prompt")
@_OUTPUT_OPTION
@_PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def create(
    state: State, prompt: str, output: Optional[str], params: tuple[str, ...], json_output: bool
) -> None:
    """Generate images for PROMPT."""
    _save(state, state.client().images.create(prompt, **_params_of(params, "prompt")), output)


@click.command("edit")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.argument("prompt")
@click.option("--mask", type=click.Path(exists=True, dir_okay=False))
@_OUTPUT_OPTION
@_PARAMS_OPTION
@click.pass_obj
def edit(
    state: State,
    image: str,
    prompt: str,
    mask: Optional[str],
    output: Optional[str],
    params: tuple[str, ...],
) -> None:
    """Edit IMAGE as PROMPT says."""
    options = _params_of(params, "image", "prompt", "mask")
    answer = state.client().images.edit(image, prompt, mask, **options)
    _save(state, answer, output)


@click.command("variation")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@_OUTPUT_OPTION
@_PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def variation(
    state: State, image: str, output: Optional[str], params: tuple[str, ...], json_output: bool
) -> None:
    """Variations of IMAGE."""
    _save(state, state.client().images.variation(image, **_params_of(params, "image")), output)


def _params_of(params: tuple[str, ...], *taken: str) -> dict[str, Any]:
    return parse_params(params, taken={name: name.upper() for name in taken}, option="-p")


def _save(state: State, answer: Any, output: Optional[str]) -> None:
    """Print the answer (JSON); with -o, write each b64_json image to a file instead.
    Streamed (`-p stream=true`): each event as a JSON line as it arrives, or with -o
    the final images the stream ends with."""
    if isinstance(answer, openaistream.DataStream):
        if not output:
            state.emit(answer)
            return
        with answer:
            answer = {"data": [_event_data(event) for event in answer if _is_final(event)]}
    images = [item for item in answer.get("data", []) if item.get("b64_json")]
    if not output or not images:
        state.emit(answer)
        return
    for index, item in enumerate(images):
        path = Path(output)
        if len(images) > 1:
            path = path.with_name(f"{path.stem}-{index + 1}{path.suffix}")
        path.write_bytes(base64.b64decode(item["b64_json"]))
        click.echo(str(path))


def _event_data(event: dict[str, Any]) -> dict[str, Any]:
    """A streamed event's payload, whether the server named it in an `event:` line or
    only in the data's `type`."""
    data = event.get("data")
    return data if isinstance(data, dict) else event


def _is_final(event: dict[str, Any]) -> bool:
    kind = event.get("event") or _event_data(event).get("type") or ""
    return str(kind).endswith(".completed")
