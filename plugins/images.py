"""The ``images`` resource: generate, edit and vary images.

Paths from the OpenAPI spec: ``POST /images/generations`` (JSON), ``POST /images/edits`` and
``POST /images/variations`` (multipart, images streamed from disk). Generations and edits
stream partial images when ``stream=True`` is passed (gpt-image models).
"""

from __future__ import annotations

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
        return self.request(
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
        return self.request(
            "POST", "/images/edits", multipart=body, stream=stream, num=num, verbosity=verbosity
        )

    def variation(self, image: PathLike, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """Variations of the square PNG at ``image`` (dall-e-2)."""
        body = Multipart(params, {"image": checked_file("image", image)})
        return self.request("POST", "/images/variations", multipart=body, verbosity=verbosity)


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
    from .commands.images import command  # only the command line loads click

    cli.add_command(command())
