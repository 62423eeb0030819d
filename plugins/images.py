"""The ``images`` resource: generate, edit and vary images.

Paths from the OpenAPI spec: ``POST /images/generations`` (JSON), ``POST /images/edits`` and
``POST /images/variations`` (multipart, images streamed from disk). Generations and edits
stream partial images when ``stream=True`` is passed (gpt-image models).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.multipart import Multipart, checked_file
from openaistream.resource import check_text

PathLike = Union[str, "os.PathLike[str]"]


class Images(openaistream.Resource):
    endpoint = "/images"

    def create(
        self, prompt: str, *, num: int = 2, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """Images for ``prompt``. ``params``: ``model``, ``n``, ``size``, ``quality``,
        ``response_format`` (url or b64_json), ``stream``, ... Streamed: a DataStream of
        ``image_generation.partial_image`` and ``.completed`` events."""
        body = {"prompt": check_text("prompt", prompt), **params}
        stream = params.get("stream") is True
        return self._call(
            "POST", "/images/generations", json=body, stream=stream, num=num, verbosity=verbosity
        )

    def edit(
        self,
        image: Union[PathLike, Sequence[PathLike]],
        prompt: str,
        mask: Optional[PathLike] = None,
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """``image`` (a path, or several paths for gpt-image models) edited as ``prompt``
        says, where the transparent areas of ``mask`` (a PNG path) show."""
        files: dict[str, Union[Path, list[Path]]] = {"image": _images(image)}
        if mask is not None:
            files["mask"] = checked_file("mask", mask)
        body = Multipart({"prompt": check_text("prompt", prompt), **params}, files)
        stream = params.get("stream") is True
        return self._call(
            "POST", "/images/edits", multipart=body, stream=stream, num=num, verbosity=verbosity
        )

    def variation(self, image: PathLike, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """Variations of the square PNG at ``image`` (dall-e-2)."""
        body = Multipart(params, {"image": checked_file("image", image)})
        return self._call("POST", "/images/variations", multipart=body, verbosity=verbosity)


def _images(image: Union[PathLike, Sequence[PathLike]]) -> Union[Path, list[Path]]:
    if isinstance(image, (str, os.PathLike)):
        return checked_file("image", image)
    if not isinstance(image, Sequence) or not image:
        raise TypeError(f"image must be a path or a list of paths, not {image!r}")
    return [checked_file(f"image[{index}]", path) for index, path in enumerate(image)]


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("images", Images)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    import click

    from openaistream.cli import JSON_OPTION, CommandGroup, State, params_option, parse_params

    PARAMS_OPTION = params_option("-p")  # -o names the output file here

    group = CommandGroup("images", help="Generate, edit and vary images.")

    def params_of(params: tuple[str, ...], *taken: str) -> dict[str, Any]:
        return parse_params(params, taken={name: name.upper() for name in taken}, option="-p")

    def save(state: State, answer: Any, output: Optional[str]) -> None:
        """Print the answer (JSON); with -o, write each b64_json image to a file instead.
        Streamed (``-p stream=true``): each event as a JSON line as it arrives, or with -o
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

    output_option = click.option(
        "-o", "--output", type=click.Path(dir_okay=False),
        help="Save b64_json images here (name-1.png, name-2.png, ... for several).",
    )  # fmt: skip

    @group.command("create")
    @click.argument("prompt")
    @output_option
    @PARAMS_OPTION
    @JSON_OPTION
    @click.pass_obj
    def create(
        state: State, prompt: str, output: Optional[str], params: tuple[str, ...], json_output: bool
    ) -> None:
        """Generate images for PROMPT."""
        save(state, state.client().images.create(prompt, **params_of(params, "prompt")), output)

    @group.command("edit")
    @click.argument("image", type=click.Path(exists=True, dir_okay=False))
    @click.argument("prompt")
    @click.option("--mask", type=click.Path(exists=True, dir_okay=False))
    @output_option
    @PARAMS_OPTION
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
        options = params_of(params, "image", "prompt", "mask")
        answer = state.client().images.edit(image, prompt, mask, **options)
        save(state, answer, output)

    @group.command("variation")
    @click.argument("image", type=click.Path(exists=True, dir_okay=False))
    @output_option
    @PARAMS_OPTION
    @JSON_OPTION
    @click.pass_obj
    def variation(
        state: State, image: str, output: Optional[str], params: tuple[str, ...], json_output: bool
    ) -> None:
        """Variations of IMAGE."""
        save(state, state.client().images.variation(image, **params_of(params, "image")), output)

    cli.add_command(group)


def _event_data(event: dict[str, Any]) -> dict[str, Any]:
    """A streamed event's payload, whether the server named it in an ``event:`` line or
    only in the data's ``type``."""
    data = event.get("data")
    return data if isinstance(data, dict) else event


def _is_final(event: dict[str, Any]) -> bool:
    kind = event.get("event") or _event_data(event).get("type") or ""
    return str(kind).endswith(".completed")
