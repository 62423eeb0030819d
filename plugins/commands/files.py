"""`openaistream files upload|list|retrieve|delete|retrieve-content`: uploads and downloads
with a progress bar on a terminal."""

from __future__ import annotations

import os
import sys
from typing import Optional

import click

from openaistream.cli import State, progress, resource_group

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve", "content": "retrieve-content"}


def command() -> click.Command:
    """The `files` group."""
    calls = [
        ("list", "list", [], "List the files."),
        ("retrieve", "retrieve", ["file_id"], "Show a file."),
        ("delete", "delete", ["file_id"], "Delete a file."),
    ]
    columns = ("id", "filename", "purpose", "bytes", "created_at")
    group = resource_group("files", "files", "Uploaded files.", calls, columns, COMMAND_ALIASES)
    group.add_command(upload)
    group.add_command(retrieve_content)
    return group


@click.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--purpose", default="fine-tune", show_default=True)
@click.pass_obj
def upload(state: State, path: str, purpose: str) -> None:
    """Upload the file at PATH (a progress bar on a terminal)."""
    with progress(os.path.getsize(path), "uploading") as bar:
        answer = state.client().files.upload(path, purpose, progress=bar.update)
    state.emit(answer)


@click.command("retrieve-content")
@click.argument("file_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write it to a file.")
@click.pass_obj
def retrieve_content(state: State, file_id: str, output: Optional[str]) -> None:
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
