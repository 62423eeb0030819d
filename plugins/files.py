"""The ``files`` resource: upload (streamed from disk), list, retrieve, delete, and the
content of a file as bytes, as a stream, or written to a path.

Paths from the OpenAPI spec: ``POST /files`` (multipart), ``GET /files``,
``GET|DELETE /files/{file_id}``, ``GET /files/{file_id}/content``.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.multipart import Multipart, checked_file
from openaistream.resource import check_text, path_for

PathLike = Union[str, "os.PathLike[str]"]


class Files(openaistream.Resource):
    endpoint = "/files"

    def upload(
        self,
        path: PathLike,
        purpose: str = "fine-tune",
        *,
        progress: Optional[Callable[[int], None]] = None,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Upload the file at ``path``; ``purpose`` is what it is for (``fine-tune``,
        ``batch``, ``assistants``, ``vision``, ``user_data``, ``evals``). The file is read
        from disk as it is sent, never whole into memory; ``progress(n)`` is called as each
        piece of ``n`` bytes goes."""
        file = checked_file("path", path)
        fields = {"purpose": check_text("purpose", purpose), **params}
        body = Multipart(fields, {"file": file}, progress=progress)
        return self._call("POST", "/files", multipart=body, verbosity=verbosity)

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The files of the organization; ``purpose``, ``limit``, ``order``, ``after``."""
        return self._call("GET", "/files", params=params, verbosity=verbosity)

    def retrieve(self, file_id: str, *, verbosity: Optional[int] = None) -> Any:
        return self._call("GET", path_for("/files/{file_id}", file_id=file_id), verbosity=verbosity)

    def delete(self, file_id: str, *, verbosity: Optional[int] = None) -> Any:
        path = path_for("/files/{file_id}", file_id=file_id)
        return self._call("DELETE", path, verbosity=verbosity)

    def retrieve_content(
        self,
        file_id: str,
        stream: bool = False,
        num: int = 64 * 1024,
        *,
        verbosity: Optional[int] = None,
    ) -> Any:
        """The file's content: bytes, or with ``stream=True`` a DataStream of byte chunks as
        they arrive (``next_value`` gives up to ``num`` bytes)."""
        path = path_for("/files/{file_id}/content", file_id=file_id)
        if stream:
            return self._call(
                "GET", path, stream=True, decoder="bytes", num=num, verbosity=verbosity
            )
        return self._call("GET", path, parse="bytes", verbosity=verbosity)

    def download(self, file_id: str, path: PathLike, *, verbosity: Optional[int] = None) -> int:
        """Write the file's content to ``path`` as it arrives, in constant memory; the number
        of bytes written. Nothing is left at ``path`` if the download fails."""
        with self.retrieve_content(file_id, stream=True, verbosity=verbosity) as stream:
            return int(stream.write_to(path))


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("files", Files)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    import click

    from openaistream.cli import State, progress, resource_group

    calls = [
        ("list", "list", [], "List the files."),
        ("retrieve", "retrieve", ["file_id"], "Show a file."),
        ("delete", "delete", ["file_id"], "Delete a file."),
    ]
    columns = ("id", "filename", "purpose", "bytes", "created_at")
    aliases = {"get": "retrieve", "content": "retrieve-content"}
    group = resource_group("files", "files", "Uploaded files.", calls, columns, aliases)

    @group.command("upload")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--purpose", default="fine-tune", show_default=True)
    @click.pass_obj
    def upload(state: State, path: str, purpose: str) -> None:
        """Upload the file at PATH (a progress bar on a terminal)."""
        with progress(os.path.getsize(path), "uploading") as bar:
            answer = state.client().files.upload(path, purpose, progress=bar.update)
        state.emit(answer)

    @group.command("retrieve-content")
    @click.argument("file_id")
    @click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write it to a file.")
    @click.pass_obj
    def content(state: State, file_id: str, output: Optional[str]) -> None:
        """The content of FILE_ID, to stdout or to a file as it arrives."""
        with state.client().files.retrieve_content(file_id, stream=True) as stream:
            if output is None:
                out = sys.stdout.buffer
                for chunk in stream:
                    out.write(chunk)
                out.flush()
                return
            size = int(stream.headers.get("content-length", 0)) or None
            with progress(size or 0, "downloading") as bar, open(output, "wb") as file:
                for chunk in stream:
                    file.write(chunk)
                    bar.update(len(chunk))

    cli.add_command(group)
