"""The `uploads` resource: the Uploads API, which takes files too large for `/files`
(512 MB) up to 8 GB in parts of at most 64 MB, and `upload_file`, which sends a file that
way: its parts in parallel, in constant memory, with progress.

Paths from the OpenAPI spec: `POST /uploads`, `POST /uploads/{upload_id}/parts`
(multipart), `POST /uploads/{upload_id}/complete`, `POST /uploads/{upload_id}/cancel`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Generator, Iterator
from typing import Any, Callable, Optional

import openaistream
from openaistream.multipart import FileContent, Multipart
from openaistream.operation import operation
from openaistream.resource import check_text, path_for

from .file_parts import FileParts

MiB = 1 << 20
# The API's limits, from the spec's text (createUpload, addUploadPart): "each Part can be
# at most 64 MB", "an Upload can accept at most 8 GB in total". Read as binary units, as
# openai-python reads the part size (64 * 1024 * 1024): never below what the API means.
PART_SIZE = 64 * MiB
UPLOAD_LIMIT = 8 << 30
PARALLEL = 4  # parts in flight at once: each holds a 64 KiB piece, never a part


class Uploads(openaistream.Resource):
    """The Uploads API: files too large for `/files` (512 MB), up to 8 GB in parts of at most
    64 MB, as `client.uploads`.

    `upload_file` does it all: it creates the upload, sends the parts in parallel, each read
    from the file as it is sent, reports progress, and completes it (a part that fails for good
    cancels it). `create`, `parts_create`, `complete` and `cancel` are the API's own steps; an
    upload expires an hour after it is created.

    ```python
    upload = client.uploads.upload_file("big.jsonl", "fine-tune", progress=print)
    file_id = upload["file"]["id"]
    ```
    """

    endpoint = "/uploads"

    create = operation(
        "POST",
        "/uploads",
        "filename",
        "purpose",
        "bytes",
        "mime_type",
        doc="An upload to add parts to (at most 8 GB in all); it expires after an hour.",
    )
    parts_create = operation(
        "POST",
        "/uploads/{upload_id}/parts",
        "data",
        files=("data",),
        doc="Add a part of at most 64 MB (a path, bytes or a binary file) to an upload.",
    )
    complete = operation(
        "POST",
        "/uploads/{upload_id}/complete",
        "part_ids",
        doc="Complete an upload with its part ids in order (md5= to check): it has the file.",
    )

    cancel = operation(
        "POST",
        "/uploads/{upload_id}/cancel",
        body=False,
        doc="Cancel an upload: no part may be added after.",
    )

    def upload_file(
        self,
        file: FileContent,
        purpose: str,
        *,
        mime_type: Optional[str] = None,
        filename: Optional[str] = None,
        part_size: int = PART_SIZE,
        parallel: int = PARALLEL,
        progress: Optional[Callable[[int], Any]] = None,
        md5: Optional[str] = None,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Upload a file of up to 8 GB (a path, or an open binary file that can seek, from
        where it stands) through the Uploads API; the completed upload, whose `file` is
        the File made (openai-python's `upload_file_chunked`).

        It creates the upload (`filename` and `mime_type` default to the file's own
        name and its guessed type; `params` such as `expires_after` go there too),
        sends the parts of `part_size` bytes (at most 64 MiB) `parallel` at a time,
        each read from the file as it is sent, and completes it with the part ids in the
        file's order (and `md5`, if given, for the API to check). A part that fails for
        good (after the client's retries) cancels the upload, and its error is raised.
        `progress(n)` is called as `n` more bytes of the file are sent (from the parts'
        threads on `OpenAI`, one call at a time; on `AsyncOpenAI` it may be an `async
        def`, awaited)."""
        parts = FileParts("file", file)
        _check_sizes(parts.size, part_size, parallel)
        fields = {
            "filename": check_text("filename", parts.filename if filename is None else filename),
            "purpose": check_text("purpose", purpose),
            "bytes": parts.size,
            "mime_type": check_text(
                "mime_type", parts.content_type if mime_type is None else mime_type
            ),
        }
        reported = self._progress(progress)
        ending = {} if md5 is None else {"md5": check_text("md5", md5)}

        def steps() -> Generator[Any, Any, Any]:
            with parts:
                upload = yield self.create(**fields, **params, verbosity=verbosity)
                upload_id = upload["id"]
                sends = self._part_sends(upload_id, parts, part_size, reported, verbosity)
                try:
                    sent = yield self.gather(sends, parallel)
                except Exception:
                    yield from self._cancelled(upload_id, verbosity)
                    raise
            part_ids = [part["id"] for part in sent]
            return (yield self.complete(upload_id, part_ids, verbosity=verbosity, **ending))

        return self.run(steps())

    def _part_sends(
        self,
        upload_id: str,
        parts: FileParts,
        part_size: int,
        progress: Optional[Callable[[int], Any]],
        verbosity: Optional[int],
    ) -> Iterator[Callable[[], Any]]:
        """One call a part, made when `gather` takes it: it reads the part as it sends it."""
        path = path_for("/uploads/{upload_id}/parts", upload_id=upload_id)

        def send(offset: int, size: int) -> Any:
            part = parts.part(offset, size, progress)
            body = Multipart({}, {"data": part.upload(parts.filename)}, progress=part.sent)
            return self.request("POST", path, multipart=body, verbosity=verbosity)

        for offset, size in parts.spans(part_size):
            yield functools.partial(send, offset, size)

    def _cancelled(self, upload_id: str, verbosity: Optional[int]) -> Generator[Any, Any, None]:
        """Cancel an upload a part of which failed; the part's error is the one to raise, so
        a failure to cancel is let go (an upload left pending expires within the hour)."""
        with contextlib.suppress(Exception):
            yield self.cancel(upload_id, verbosity=verbosity)

    def _progress(self, progress: Optional[Callable[[int], Any]]) -> Any:
        """`progress` as the parts call it: one call at a time from the threads of
        `OpenAI`, which cannot await one that is an `async def`."""
        if progress is None:
            return None
        if not callable(progress):
            raise TypeError(
                f"progress must be a function taking a number of bytes, not {progress!r}"
            )
        if inspect.iscoroutinefunction(progress):
            if self.client.serves == "sync":
                raise TypeError(
                    "progress is a coroutine function, which the blocking client cannot "
                    "await: pass a plain function, or upload with AsyncOpenAI"
                )
            return progress  # one event loop: its calls never overlap
        lock = threading.Lock()

        def one_at_a_time(size: int) -> Any:
            with lock:
                return progress(size)

        return one_at_a_time


def _check_sizes(size: int, part_size: Any, parallel: Any) -> None:
    for name, value in (("part_size", part_size), ("parallel", parallel)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be a whole number, not {value!r}")
        if value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}")
    if part_size > PART_SIZE:
        raise ValueError(
            f"part_size is {part_size} bytes; the API takes parts of at most 64 MiB "
            f"({PART_SIZE} bytes)"
        )
    if size == 0:
        raise ValueError("file is empty: there is nothing to upload in parts")
    if size > UPLOAD_LIMIT:
        raise ValueError(
            f"file is {size} bytes; the Uploads API takes at most 8 GiB ({UPLOAD_LIMIT} bytes)"
        )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("uploads", Uploads)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.uploads import command  # only the command line loads click

    cli.add_command(command())
