"""The `containers` resource: the sandboxes the code interpreter tool runs in, and their
files (uploaded, copied from `/files`, or written by the code), whose content reads as
bytes, as a stream or into a file.

Paths from the OpenAPI spec: `POST|GET /containers`, `GET|DELETE
/containers/{container_id}`, `POST|GET /containers/{container_id}/files` (the create
takes a multipart upload or a JSON `file_id`), `GET|DELETE .../files/{file_id}` and
`GET .../files/{file_id}/content`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Callable, Optional, cast

import openaistream
from openaistream.multipart import FileInput, Multipart, checked_upload
from openaistream.operation import operation
from openaistream.resource import PathLike, check_text, path_for

_ONE = "/containers/{container_id}"
_FILE = _ONE + "/files/{file_id}"


class Containers(openaistream.Resource):
    """The sandboxes the code interpreter tool runs in, and their files, as `client.containers`.

    A file goes in uploaded (a path, bytes or an open binary file) or copied from `/files` by
    its ID (`files_create`); its content comes back as bytes, as a stream with `stream=True`
    (`files_content`), or written to a path as it arrives (`files_download`).

    ```python
    container = client.containers.create("Data")
    uploaded = client.containers.files_create(container["id"], "otters.csv")
    client.containers.files_download(container["id"], uploaded["id"], "otters-back.csv")
    ```
    """

    endpoint = "/containers"

    create = operation("POST", "/containers", "name", doc="Create a container.")
    list = operation("GET", "/containers", doc="List the containers.")
    retrieve = operation("GET", _ONE, doc="Retrieve a container.")
    delete = operation("DELETE", _ONE, doc="Delete a container and its files.")

    files_list = operation("GET", _ONE + "/files", doc="List a container's files.")
    files_retrieve = operation("GET", _FILE, doc="Retrieve a container file.")
    files_delete = operation("DELETE", _FILE, doc="Delete a container file.")
    files_content = operation(
        "GET", _FILE + "/content", content=True,
        doc="A container file's content: bytes, or with stream=True a stream of them.",
    )  # fmt: skip

    def files_create(
        self,
        container_id: str,
        file: Optional[FileInput] = None,
        *,
        file_id: Optional[str] = None,
        progress: Optional[Callable[[int], Any]] = None,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Put a file in the container: `file` uploaded (a path, bytes, an open binary
        file or a `(filename, content[, content_type])` tuple, streamed as it is sent,
        `progress(n)` called as each piece goes), or `file_id`, a file of `/files`
        copied in. One of the two."""
        path = path_for(_ONE + "/files", container_id=container_id)
        if (file is None) == (file_id is None):
            given = "both" if file is not None else "neither"
            raise TypeError(f"files_create() takes file (an upload) or file_id, not {given}")
        if file_id is not None:
            body = {"file_id": check_text("file_id", file_id), **params}
            return self.request("POST", path, json=body, verbosity=verbosity)
        form = Multipart(params, {"file": checked_upload("file", file)}, progress=progress)
        return self.request("POST", path, multipart=form, verbosity=verbosity)

    def files_download(
        self,
        container_id: str,
        file_id: str,
        path: PathLike,
        *,
        verbosity: Optional[int] = None,
    ) -> int:
        """Write a container file's content to `path` as it arrives, in constant memory;
        the number of bytes written. Nothing is left at `path` if the download fails."""

        def steps() -> Generator[Any, Any, int]:
            stream = yield self.files_content(
                container_id, file_id, stream=True, verbosity=verbosity
            )
            return int((yield stream.write_to(path)))

        return cast(int, self.run(steps()))


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("containers", Containers)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.containers import command  # only the command line loads click

    cli.add_command(command())
