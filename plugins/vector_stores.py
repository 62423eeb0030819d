"""The `vector_stores` resource (file search): vector stores, the files attached to them,
batches of files, the parsed content of a file, and search; and the helpers that wait for
files to be processed (`files_create_and_poll`, `files_upload_and_poll`,
`file_batches_create_and_poll`, `file_batches_upload_and_poll`, `files_poll`,
`file_batches_poll`).

The nested collections of openai-python (`vector_stores.files.create`) are flat names here,
their collection first (`vector_stores.files_create`), as `assistants.file_create` is.
Every request carries `OpenAI-Beta: assistants=v2`, as openai-python and the spec's
examples send it (vector stores began in the Assistants API v2).

Paths from the OpenAPI spec: `/vector_stores`, `/vector_stores/{vector_store_id}`,
`.../search`, `.../files`, `.../files/{file_id}`, `.../files/{file_id}/content`,
`.../file_batches`, `.../file_batches/{batch_id}`, `.../cancel` and `.../files`.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, Callable, ClassVar, Optional

import openaistream
from openaistream.multipart import FileInput, checked_upload
from openaistream.operation import operation
from openaistream.plugins.polling import DEFAULT_MAX_WAIT, check_poll_options, poll
from openaistream.resource import path_segment

_STORE = "/vector_stores/{vector_store_id}"
_FILE = _STORE + "/files/{file_id}"
_BATCH = _STORE + "/file_batches/{batch_id}"
Progress = Optional[Callable[[int], Any]]


class VectorStores(openaistream.Resource):
    """Vector stores for file search: the stores, the files attached to them, batches of files, a
    file's parsed content, and search, as `client.vector_stores`.

    Every request carries `OpenAI-Beta: assistants=v2`. openai-python's nested collections are
    flat names here (`files.create` is `files_create`). Beyond the API's endpoints, helpers
    upload and attach files and wait until they are processed (`files_upload_and_poll`,
    `file_batches_upload_and_poll`, `files_poll`, ...).

    ```python
    store = client.vector_stores.create(name="Handbook")
    client.vector_stores.files_upload_and_poll(store["id"], "handbook.pdf")
    hits = client.vector_stores.search(store["id"], "How many vacation days?")
    ```
    """

    endpoint = "/vector_stores"
    extra_headers: ClassVar[dict[str, str]] = {"OpenAI-Beta": "assistants=v2"}

    create = operation("POST", "/vector_stores", doc="Create a vector store.")
    list = operation("GET", "/vector_stores", doc="List the vector stores.")
    retrieve = operation("GET", _STORE, doc="Retrieve a vector store.")
    update = operation("POST", _STORE, doc="Change a vector store's name, expiry or metadata.")
    delete = operation("DELETE", _STORE, doc="Delete a vector store (its files stay).")
    search = operation("POST", _STORE + "/search", "query", doc="Search a vector store.")

    files_create = operation("POST", _STORE + "/files", "file_id", doc="Attach a file.")
    files_list = operation("GET", _STORE + "/files", doc="List a vector store's files.")
    files_retrieve = operation("GET", _FILE, doc="Retrieve a vector store file.")
    files_update = operation("POST", _FILE, "attributes", doc="Set a file's attributes.")
    files_delete = operation("DELETE", _FILE, doc="Detach a file (the file itself stays).")
    files_content = operation("GET", _FILE + "/content", doc="A file's parsed content.")

    file_batches_create = operation(
        "POST", _STORE + "/file_batches", doc="Attach files as one batch."
    )
    file_batches_retrieve = operation("GET", _BATCH, doc="Retrieve a file batch.")
    file_batches_list_files = operation("GET", _BATCH + "/files", doc="List a batch's files.")

    file_batches_cancel = operation(
        "POST",
        _BATCH + "/cancel",
        body=False,
        doc="Cancel a file batch (its files in progress stop).",
    )

    def files_poll(
        self,
        vector_store_id: str,
        file_id: str,
        *,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
    ) -> Any:
        """Wait until a vector store file is processed, and return it: its `status` says
        how it ended (`completed`, `failed` with `last_error`, `cancelled`); only a
        wait longer than `max_wait` seconds raises (`PollTimeoutError`). Between polls,
        `poll_interval` seconds, or what the API asks (`openai-poll-after-ms`), or 1 s."""
        return poll(
            self, "files_retrieve", vector_store_id, file_id,
            poll_interval=poll_interval, max_wait=max_wait, verbosity=verbosity,
        )  # fmt: skip

    def file_batches_poll(
        self,
        vector_store_id: str,
        batch_id: str,
        *,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
    ) -> Any:
        """Wait until a file batch is done, and return it, as
        [`files_poll()`][openaistream.plugins.vector_stores.VectorStores.files_poll] does (a
        `failed` or `cancelled` batch is returned, not raised)."""
        return poll(
            self, "file_batches_retrieve", vector_store_id, batch_id,
            poll_interval=poll_interval, max_wait=max_wait, verbosity=verbosity,
        )  # fmt: skip

    def files_create_and_poll(
        self,
        vector_store_id: str,
        file_id: str,
        *,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Attach an uploaded file (`params`: `attributes`, `chunking_strategy`), then wait until it
        is processed, as
        [`files_poll()`][openaistream.plugins.vector_stores.VectorStores.files_poll]."""
        check_poll_options(poll_interval, max_wait)

        def steps() -> Generator[Any, Any, Any]:
            yield self.files_create(vector_store_id, file_id, verbosity=verbosity, **params)
            waited = self.files_poll(
                vector_store_id, file_id, poll_interval=poll_interval, max_wait=max_wait,
                verbosity=verbosity,
            )  # fmt: skip
            return (yield waited)

        return self.run(steps())

    def files_upload(
        self,
        vector_store_id: str,
        file: FileInput,
        *,
        progress: Progress = None,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Upload `file` (as `files.upload` takes it, purpose `assistants`), then
        attach it (`params`: `attributes`, `chunking_strategy`), without waiting."""
        path_segment("vector_store_id", vector_store_id)

        def steps() -> Generator[Any, Any, Any]:
            file_id = yield from self._uploaded(file, progress, verbosity)
            attach = self.files_create(vector_store_id, file_id, verbosity=verbosity, **params)
            return (yield attach)

        return self.run(steps())

    def files_upload_and_poll(
        self,
        vector_store_id: str,
        file: FileInput,
        *,
        progress: Progress = None,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Upload `file`, attach it and wait until it is processed:
        [`files_upload()`][openaistream.plugins.vector_stores.VectorStores.files_upload] then
        [`files_poll()`][openaistream.plugins.vector_stores.VectorStores.files_poll]. `progress(n)`
        is told of each piece of the upload."""
        path_segment("vector_store_id", vector_store_id)
        check_poll_options(poll_interval, max_wait)

        def steps() -> Generator[Any, Any, Any]:
            file_id = yield from self._uploaded(file, progress, verbosity)
            return (
                yield self.files_create_and_poll(
                    vector_store_id, file_id, poll_interval=poll_interval,
                    max_wait=max_wait, verbosity=verbosity, **params,
                )
            )  # fmt: skip

        return self.run(steps())

    def file_batches_create_and_poll(
        self,
        vector_store_id: str,
        *,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Create a file batch (`params`: `file_ids` or `files`, `attributes`, `chunking_strategy`),
        then wait until it is done, as
        [`file_batches_poll()`][openaistream.plugins.vector_stores.VectorStores.file_batches_poll]."""
        check_poll_options(poll_interval, max_wait)

        def steps() -> Generator[Any, Any, Any]:
            created = yield self.file_batches_create(vector_store_id, verbosity=verbosity, **params)
            batch_id = created["id"]
            waited = self.file_batches_poll(
                vector_store_id, batch_id, poll_interval=poll_interval, max_wait=max_wait,
                verbosity=verbosity,
            )  # fmt: skip
            return (yield waited)

        return self.run(steps())

    def file_batches_upload_and_poll(
        self,
        vector_store_id: str,
        files: Sequence[FileInput],
        *,
        file_ids: Sequence[str] = (),
        progress: Progress = None,
        poll_interval: Optional[float] = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Upload each of `files` in turn (purpose `assistants`), create one batch of them and of
        the already uploaded `file_ids`, then wait until it is done, as
        [`file_batches_poll()`][openaistream.plugins.vector_stores.VectorStores.file_batches_poll].
        `progress(n)` is told of each piece of every upload."""
        files = _checked_files(files, file_ids)
        path_segment("vector_store_id", vector_store_id)
        check_poll_options(poll_interval, max_wait)

        def steps() -> Generator[Any, Any, Any]:
            ids = [*file_ids]
            for file in files:
                ids.append((yield from self._uploaded(file, progress, verbosity)))
            return (
                yield self.file_batches_create_and_poll(
                    vector_store_id, file_ids=ids, poll_interval=poll_interval,
                    max_wait=max_wait, verbosity=verbosity, **params,
                )
            )  # fmt: skip

        return self.run(steps())

    def _uploaded(
        self, file: FileInput, progress: Progress, verbosity: Optional[int]
    ) -> Generator[Any, Any, str]:
        """The steps of one upload through `files.upload`: the new file's ID."""
        upload = self.client.files.upload(
            file, "assistants", progress=progress, verbosity=verbosity
        )
        return str((yield upload)["id"])


def _check_file(name: str, file: Any) -> None:
    """A clear error for a file `files.upload` would refuse, before anything is sent. An
    open file is checked as it is uploaded: checking one that cannot seek would consume it."""
    content = file[1] if isinstance(file, tuple) and len(file) > 1 else file
    if not callable(getattr(content, "read", None)):
        checked_upload(name, file)  # a path, bytes or a wrong value: this reads nothing


def _checked_files(files: Any, file_ids: Sequence[str]) -> list[Any]:
    """`files` as a list, each checked before any upload; a clear error otherwise."""
    if isinstance(files, (str, bytes, tuple)) or not hasattr(files, "__iter__"):
        raise TypeError(f"files must be a list of files, not {type(files).__name__}")
    files = [*files]
    if isinstance(file_ids, str) or not all(isinstance(i, str) and i for i in file_ids):
        raise TypeError("file_ids must be a list of file IDs (non-empty strings)")
    if not files and not file_ids:
        raise ValueError("files and file_ids are both empty: a batch needs at least one file")
    for number, file in enumerate(files):
        _check_file(f"files[{number}]", file)
    return files


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("vector_stores", VectorStores)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.vector_stores import command  # only the command line loads click

    cli.add_command(command())
