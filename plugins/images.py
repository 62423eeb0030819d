"""The `images` resource: generate, edit and vary images.

Paths from the OpenAPI spec: `POST /images/generations` (JSON), `POST /images/edits` and
`POST /images/variations` (multipart, images streamed from disk or open files, or sent from
memory). Generations and edits stream partial images when `stream=True` is passed (gpt-image
models).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.multipart import FileInput, Multipart, Upload, checked_upload
from openaistream.resource import check_text


class Images(openaistream.Resource):
    """Images: generate, edit and vary images, as `client.images`.

    `edit` and `variation` upload their images (paths, bytes or open binary files); `edit`
    takes a list of several for gpt-image models. With `stream=True` (gpt-image models),
    `create` and `edit` answer a [`DataStream`][openaistream.stream.DataStream] of partial
    images.

    ```python
    image = client.images.create("a lighthouse at dawn", model="gpt-image-1", size="1024x1024")
    b64 = image["data"][0]["b64_json"]
    ```
    """

    endpoint = "/images"

    def create(
        self, prompt: str, *, num: int = 2, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """Images for `prompt`. `params`: `model`, `n`, `size`, `quality`,
        `response_format` (url or b64_json), `stream`, ... Streamed: a DataStream of
        `image_generation.partial_image` and `.completed` events."""
        body = {"prompt": check_text("prompt", prompt), **params}
        stream = params.get("stream") is True
        return self.request(
            "POST", "/images/generations", json=body, stream=stream, num=num, verbosity=verbosity
        )

    def edit(
        self,
        image: Union[FileInput, list[FileInput]],
        prompt: str,
        mask: Optional[FileInput] = None,
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """`image` (one image, or a list of several for gpt-image models) edited as
        `prompt` says, where the transparent areas of `mask` (a PNG) show. An image or
        mask is a path, `bytes`, an open binary file or a `(filename, content[,
        content_type])` tuple."""
        files: dict[str, Union[Upload, list[Upload]]] = {"image": _images(image)}
        if mask is not None:
            files["mask"] = checked_upload("mask", mask)
        body = Multipart({"prompt": check_text("prompt", prompt), **params}, files)
        stream = params.get("stream") is True
        return self.request(
            "POST", "/images/edits", multipart=body, stream=stream, num=num, verbosity=verbosity
        )

    def variation(self, image: FileInput, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """Variations of the square PNG `image` (a path, `bytes`, an open binary file or
        a `(filename, content[, content_type])` tuple; dall-e-2)."""
        body = Multipart(params, {"image": checked_upload("image", image)})
        return self.request("POST", "/images/variations", multipart=body, verbosity=verbosity)


def _images(image: Union[FileInput, list[FileInput]]) -> Union[Upload, list[Upload]]:
    """One image, or several given as a list (a tuple is one image: its filename and content)."""
    if not isinstance(image, list):
        return checked_upload("image", image)
    if not image:
        raise ValueError("image is an empty list: give one image or more")
    return [checked_upload(f"image[{index}]", item) for index, item in enumerate(image)]


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("images", Images)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.images import command  # only the command line loads click

    cli.add_command(command())
