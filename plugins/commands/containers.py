"""`openaistream containers ...`: a command for each method of `client.containers`; a
file uploaded into a container with a progress bar on a terminal (`files-create`), and a
container file written to a file as it arrives (`files-download`)."""

from __future__ import annotations

import os
from typing import Optional

import click

from openaistream.cli import State, operations_group, progress
from openaistream.plugins.containers import Containers

COLUMNS = ("id", "name", "status", "created_at", "path", "bytes", "source")


def command() -> click.Command:
    """The `containers` group."""
    help = "Code interpreter containers and their files."
    group = operations_group("containers", "containers", Containers, help, COLUMNS)
    group.add_command(files_create)
    group.add_command(files_download)
    return group


@click.command("files-create")
@click.argument("container_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--file-id", help="Copy in this file of /files instead of uploading PATH.")
@click.pass_obj
def files_create(
    state: State, container_id: str, path: Optional[str], file_id: Optional[str]
) -> None:
    """Upload the file at PATH into CONTAINER_ID (or copy in --file-id)."""
    if (path is None) == (file_id is None):
        raise click.UsageError("give PATH (a file to upload) or --file-id, one of the two")
    containers = state.client().containers
    if file_id is not None:
        state.emit(containers.files_create(container_id, file_id=file_id))
        return
    with progress(os.path.getsize(path or ""), "uploading") as bar:
        answer = containers.files_create(container_id, path, progress=bar.update)
    state.emit(answer)


@click.command("files-download")
@click.argument("container_id")
@click.argument("file_id")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True,
    help="The file to write, as the content arrives.",
)  # fmt: skip
@click.pass_obj
def files_download(state: State, container_id: str, file_id: str, output: str) -> None:
    """Write the content of FILE_ID of CONTAINER_ID to OUTPUT as it arrives."""
    written = state.client().containers.files_download(container_id, file_id, output)
    click.echo(f"{output}: {written} bytes", err=True)
