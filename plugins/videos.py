"""The `videos` resource (Sora): render a video from a prompt, remix, edit or extend one,
read its content (the MP4, a thumbnail or a spritesheet) as bytes, as a stream or into a
file, and characters made from a video.

A video renders for minutes: `poll` retrieves it until it is done, waiting what the API
asks between two looks (`openai-poll-after-ms`), for at most `max_wait` seconds.

`create`, `edit` and `extend` take their source (`input_reference`, `video`)
either as an upload (a path, bytes, an open binary file or a `(filename, content)`
tuple), sent as a multipart form, or as a reference to what the API already holds (a dict:
`{"id": "video_123"}`, `{"file_id": "file-1"}`, `{"image_url": "https://..."}`), sent
as JSON: the spec takes both.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Callable, Optional, cast

import openaistream
from openaistream.multipart import Multipart, checked_upload
from openaistream.operation import operation
from openaistream.resource import PathLike, check_text

from .polling import PENDING, check_poll_options, poll

_ONE = "/videos/{video_id}"
DEFAULT_MAX_WAIT = 3600.0  # seconds: a long video at a high resolution takes many minutes


class Videos(openaistream.Resource):
    """Video generation (Sora): render, remix, edit and extend videos, read their content, and
    make characters from a video, as `client.videos`.

    A video renders for minutes: `create` answers it `queued`, and `poll` (or `create_and_poll`)
    retrieves it until it is completed or failed, waiting what the API asks between two looks.
    A source (`input_reference`, `video`) is an upload, sent as a multipart form, or a dict that
    refers to what the API holds (`{"id": "video_123"}`), sent as JSON.

    ```python
    video = client.videos.create_and_poll("A calico cat playing a piano", model="sora-2")
    if video["status"] == "completed":
        client.videos.download_content(video["id"], "cat.mp4")
    ```
    """

    endpoint = "/videos"

    list = operation("GET", "/videos", doc="List the videos.")
    retrieve = operation("GET", _ONE, doc="Retrieve a video (its status and progress).")
    delete = operation("DELETE", _ONE, doc="Delete a video.")
    remix = operation("POST", _ONE + "/remix", "prompt", doc="Remix a video with a new prompt.")
    content = operation(
        "GET", _ONE + "/content", content=True, doc="The video's content (variant: video, "
        "thumbnail or spritesheet): bytes, or with stream=True a stream of them."
    )  # fmt: skip
    create_character = operation(
        "POST", "/videos/characters", "video", "name", files=["video"],
        doc="Create a character from an uploaded video.",
    )  # fmt: skip
    get_character = operation(
        "GET", "/videos/characters/{character_id}", doc="Retrieve a character."
    )

    def create(self, prompt: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """Start rendering a video of `prompt`; `params`: `model` (sora-2,
        sora-2-pro), `seconds` ("4", "8", "12"), `size` ("720x1280", ...),
        `input_reference` (an image to start from: an upload, or a dict with `file_id`
        or `image_url`). The video answered is `queued`: see `poll`."""
        given = {"prompt": check_text("prompt", prompt)}
        return self._send("/videos", given, "input_reference", params, verbosity)

    def edit(
        self, video: Any, prompt: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """Edit `video` (an upload, or `{"id": "video_123"}` for a completed video) as
        `prompt` says."""
        given = {"video": video, "prompt": check_text("prompt", prompt)}
        return self._send("/videos/edits", given, "video", params, verbosity)

    def extend(
        self,
        video: Any,
        prompt: str,
        seconds: str,
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Extend `video` (an upload, or `{"id": "video_123"}`) by `seconds` more
        ("4", "8", ... "20") that follow `prompt`."""
        given = {"video": video, "prompt": check_text("prompt", prompt), "seconds": seconds}
        return self._send("/videos/extensions", given, "video", params, verbosity)

    def poll(
        self,
        video_id: str,
        *,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
    ) -> Any:
        """The video, retrieved until it is no longer queued or in progress (completed or
        failed: read its `status`). Between two looks it waits `poll_interval` seconds,
        or what the API's `openai-poll-after-ms` asks (one second when it asks nothing);
        a `PollTimeoutError` (a TimeoutError) after `max_wait` seconds."""
        check_text("video_id", video_id)
        return poll(
            self, "retrieve", video_id,
            poll_interval=poll_interval, max_wait=max_wait, verbosity=verbosity,
        )  # fmt: skip

    def create_and_poll(
        self,
        prompt: str,
        *,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """`create` then `poll`: the video once it is completed or failed (at once,
        with no poll, when the API answers the create with either)."""
        check_poll_options(poll_interval, max_wait)

        def steps() -> Generator[Any, Any, Any]:
            video = yield self.create(prompt, verbosity=verbosity, **params)
            if video.get("status") not in PENDING:  # failed at once: nothing to wait for
                return video
            polled = self.poll(
                video["id"], poll_interval=poll_interval, max_wait=max_wait, verbosity=verbosity
            )
            return (yield polled)

        return self.run(steps())

    def download_content(
        self, video_id: str, path: PathLike, *, verbosity: Optional[int] = None, **params: Any
    ) -> int:
        """Write the video's content (`variant`: video, thumbnail, spritesheet) to
        `path` as it arrives, in constant memory; the number of bytes written. Nothing is
        left at `path` if the download fails."""

        def steps() -> Generator[Any, Any, int]:
            stream = yield self.content(video_id, stream=True, verbosity=verbosity, **params)
            return int((yield stream.write_to(path)))

        return cast(int, self.run(steps()))

    def _send(
        self,
        path: str,
        given: dict[str, Any],
        source: str,
        params: dict[str, Any],
        verbosity: Optional[int],
    ) -> Any:
        """POST `given` and `params`: as JSON when `source` is absent or a reference
        (a dict), as a multipart form uploading it otherwise."""
        body = {**given, **params}
        if body.get(source) is None and source in given:
            raise TypeError(f"{source} is required, not None")
        if body.get(source) is None or isinstance(body[source], dict):
            return self.request("POST", path, json=body, verbosity=verbosity)
        upload = checked_upload(source, body.pop(source))
        form = Multipart(body, {source: upload})
        return self.request("POST", path, multipart=form, verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("videos", Videos)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.videos import command  # only the command line loads click

    cli.add_command(command())
