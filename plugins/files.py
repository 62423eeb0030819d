"""The `files` resource: upload (streamed from disk or an open file, or sent from memory),
list, retrieve, delete, and the content of a file as bytes, as a stream, or written to a path.

Paths from the OpenAPI spec: `POST /files` (multipart), `GET /files`,
`GET|DELETE /files/{file_id}`, `GET /files/{file_id}/content`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Callable, Optional, cast

import openaistream
from openaistream.multipart import FileInput, Multipart, checked_upload
from openaistream.resource import PathLike, check_flag, check_text, path_for

# The largest file /files takes, from the spec's text (createFile): "Individual files can be
# up to 512 MB". Read as binary units, so that no file the API takes is refused here.
FILES_LIMIT = 512 << 20


class Files(openaistream.Resource):
    """Files: upload, list, retrieve and delete the files the other APIs use, and read their
    content, as `client.files`.

    `upload` reads a path or a seekable open file as it sends it, and reports progress; a
    file over 512 MB is refused: send it with `client.uploads.upload_file`. The content
    comes back as bytes, as a [`DataStream`][openaistream.stream.DataStream] of byte chunks
    with `stream=True` (`retrieve_content`), or written to a path as it arrives
    (`download`).

    ```python
    uploaded = client.files.upload("train.jsonl", "fine-tune", progress=print)
    client.files.download(uploaded["id"], "copy.jsonl")
    ```
    """

    endpoint = "/files"

    def upload(
        self,
        path: FileInput,
        purpose: str = "fine-tune",
        *,
        progress: Optional[Callable[[int], Any]] = None,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Upload `path`: a path, `bytes`, an open binary file (`open(p, "rb")`,
        `io.BytesIO`) or a `(filename, content[, content_type])` tuple; `purpose` is
        what it is for (`fine-tune`, `batch`, `assistants`, `vision`, `user_data`,
        `evals`). A path or a seekable file is read as it is sent (an open one from where it
        stands), never whole into memory; a pipe, which cannot be measured, is read whole
        first. `progress(n)` is called as each piece of `n` bytes goes (on `AsyncOpenAI` it
        may be an `async def`, awaited).

        Raises:
            ValueError: before any network, for a file over 512 MB: those go through
                `client.uploads.upload_file` (up to 8 GB, in parallel parts)."""
        file = checked_upload("path", path)
        if file.size > FILES_LIMIT:
            raise ValueError(
                f"path is {file.size} bytes, and /files takes files of at most 512 MB "
                f"({FILES_LIMIT} bytes): upload it with client.uploads.upload_file(path, "
                f"purpose), which sends files of up to 8 GB in parts"
            )
        fields = {"purpose": check_text("purpose", purpose), **params}
        body = Multipart(fields, {"file": file}, progress=progress)
        return self.request("POST", "/files", multipart=body, verbosity=verbosity)

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The files of the organization; `purpose`, `limit`, `order`, `after`."""
        return self.request("GET", "/files", params=params, verbosity=verbosity)

    def retrieve(self, file_id: str, *, verbosity: Optional[int] = None) -> Any:
        """A file's details (`filename`, `bytes`, `purpose`, ...), not its content: see
        `retrieve_content`."""
        return self.request(
            "GET", path_for("/files/{file_id}", file_id=file_id), verbosity=verbosity
        )

    def delete(self, file_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Delete a file; the API also removes it from every vector store."""
        path = path_for("/files/{file_id}", file_id=file_id)
        return self.request("DELETE", path, verbosity=verbosity)

    def retrieve_content(
        self,
        file_id: str,
        stream: bool = False,
        num: int = 64 * 1024,
        *,
        verbosity: Optional[int] = None,
    ) -> Any:
        """The file's content: bytes, or with `stream=True` a DataStream of byte chunks as
        they arrive (`next_value` gives up to `num` bytes)."""
        path = path_for("/files/{file_id}/content", file_id=file_id)
        if check_flag("stream", stream):
            return self.request(
                "GET", path, stream=True, decoder="bytes", num=num, verbosity=verbosity
            )
        return self.request("GET", path, parse="bytes", verbosity=verbosity)

    def download(self, file_id: str, path: PathLike, *, verbosity: Optional[int] = None) -> int:
        """Write the file's content to `path` as it arrives, in constant memory; the number
        of bytes written. Nothing is left at `path` if the download fails. On
        `AsyncOpenAI`, awaited (a cancelled download leaves nothing either)."""

        def steps() -> Generator[Any, Any, int]:
            stream = yield self.retrieve_content(file_id, stream=True, verbosity=verbosity)
            return int((yield stream.write_to(path)))

        return cast(int, self.run(steps()))


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("files", Files)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.files import command  # only the command line loads click

    cli.add_command(command())
