"""`openaistream vector-stores ...`: a command for each operation, named after its method
(`files-create`, `file-batches-list-files`, ...), and the helpers that upload files,
attach them and wait until they are processed (a progress bar on a terminal)."""

from __future__ import annotations

import json
import os
from typing import Any, Optional

import click

from openaistream.cli import (
    JSON_OPTION,
    State,
    operations_group,
    parse_params,
    progress,
)
from openaistream.plugins.vector_stores import DEFAULT_MAX_WAIT, VectorStores

COLUMNS = ("id", "name", "status", "usage_bytes", "created_at")
PARAMS = click.option(
    "-o", "--param", "params", multiple=True, metavar="KEY=VALUE",
    help="Any other API parameter, such as attributes or chunking_strategy (VALUE is read "
    "as JSON when it is JSON).",
)  # fmt: skip
POLL_INTERVAL = click.option(
    "--poll-interval", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Seconds between polls (default: what the API asks, else 1).",
)  # fmt: skip
MAX_WAIT = click.option(
    "--max-wait", type=click.FloatRange(min=0), default=DEFAULT_MAX_WAIT, show_default=True,
    help="Seconds to wait at most before giving up.",
)  # fmt: skip


def command() -> click.Command:
    """The `vector-stores` group."""
    group = operations_group(
        "vector-stores", "vector_stores", VectorStores,
        "Vector stores for file search: their files, file batches and search.",
        COLUMNS, skip=("files_update",),
    )  # fmt: skip
    for made in (files_update, files_poll, file_batches_poll, files_upload_and_poll,
                 file_batches_upload_and_poll):  # fmt: skip
        group.add_command(made)
    return group


@click.command("files-update")
@click.argument("vector_store_id")
@click.argument("file_id")
@click.argument("attributes")
@JSON_OPTION
@click.pass_obj
def files_update(
    state: State, vector_store_id: str, file_id: str, attributes: str, json_output: bool
) -> None:
    """Set a file's attributes (ATTRIBUTES is a JSON object)."""
    try:
        given = json.loads(attributes)
    except ValueError:
        given = None
    if not isinstance(given, dict):
        raise click.BadParameter(
            'a JSON object, such as \'{"author": "Ann"}\'', param_hint="ATTRIBUTES"
        )
    answer = state.client().vector_stores.files_update(vector_store_id, file_id, given)
    state.emit(answer, json_output=json_output)


@click.command("files-poll")
@click.argument("vector_store_id")
@click.argument("file_id")
@POLL_INTERVAL
@MAX_WAIT
@JSON_OPTION
@click.pass_obj
def files_poll(
    state: State, vector_store_id: str, file_id: str, poll_interval: Optional[float],
    max_wait: float, json_output: bool,
) -> None:  # fmt: skip
    """Wait until a vector store file is processed, and show it."""
    answer = state.client().vector_stores.files_poll(
        vector_store_id, file_id, poll_interval=poll_interval, max_wait=max_wait
    )
    state.emit(answer, json_output=json_output)


@click.command("file-batches-poll")
@click.argument("vector_store_id")
@click.argument("batch_id")
@POLL_INTERVAL
@MAX_WAIT
@JSON_OPTION
@click.pass_obj
def file_batches_poll(
    state: State, vector_store_id: str, batch_id: str, poll_interval: Optional[float],
    max_wait: float, json_output: bool,
) -> None:  # fmt: skip
    """Wait until a file batch is done, and show it."""
    answer = state.client().vector_stores.file_batches_poll(
        vector_store_id, batch_id, poll_interval=poll_interval, max_wait=max_wait
    )
    state.emit(answer, json_output=json_output)


@click.command("files-upload-and-poll")
@click.argument("vector_store_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@POLL_INTERVAL
@MAX_WAIT
@PARAMS
@JSON_OPTION
@click.pass_obj
def files_upload_and_poll(
    state: State, vector_store_id: str, path: str, poll_interval: Optional[float],
    max_wait: float, params: tuple[str, ...], json_output: bool,
) -> None:  # fmt: skip
    """Upload the file at PATH, attach it and wait until it is processed."""
    options = parse_params(params, taken=_taken())
    with progress(os.path.getsize(path), "uploading") as bar:
        answer = state.client().vector_stores.files_upload_and_poll(
            vector_store_id, path, progress=bar.update, poll_interval=poll_interval,
            max_wait=max_wait, **options,
        )  # fmt: skip
    state.emit(answer, json_output=json_output)


@click.command("file-batches-upload-and-poll")
@click.argument("vector_store_id")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@POLL_INTERVAL
@MAX_WAIT
@PARAMS
@JSON_OPTION
@click.pass_obj
def file_batches_upload_and_poll(
    state: State, vector_store_id: str, paths: tuple[str, ...], poll_interval: Optional[float],
    max_wait: float, params: tuple[str, ...], json_output: bool,
) -> None:  # fmt: skip
    """Upload the files at PATHS, attach them as one batch and wait until it is done."""
    options = parse_params(params, taken=_taken())
    size = sum(os.path.getsize(path) for path in paths)
    with progress(size, "uploading") as bar:
        answer = state.client().vector_stores.file_batches_upload_and_poll(
            vector_store_id, list(paths), progress=bar.update, poll_interval=poll_interval,
            max_wait=max_wait, **options,
        )  # fmt: skip
    state.emit(answer, json_output=json_output)


def _taken() -> dict[str, Any]:
    return {"poll_interval": "--poll-interval", "max_wait": "--max-wait", "progress": "PATH"}
