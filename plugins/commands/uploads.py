"""`openaistream uploads create|parts-create|complete|cancel|upload-file`: the Uploads API,
and a large file sent through it in parallel parts with a progress bar on a terminal."""

from __future__ import annotations

import os
from typing import Optional

import click

from openaistream.cli import State, call_command, operations_group, progress
from openaistream.plugins.uploads import PARALLEL, PART_SIZE, Uploads

MiB = 1 << 20


def command() -> click.Command:
    """The `uploads` group."""
    group = operations_group("uploads", "uploads", Uploads, "Files of up to 8 GB, in parts.")
    group.add_command(
        call_command("cancel", "uploads", "cancel", ["upload_id"], help="Cancel an upload.")
    )
    group.add_command(upload_file)
    return group


@click.command("upload-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--purpose", required=True, help="assistants, batch, fine-tune or vision.")
@click.option("--mime-type", help="The file's type (guessed from its name when not given).")
@click.option("--filename", help="The name the file is given (its own when not given).")
@click.option(
    "--part-size", type=click.IntRange(1, PART_SIZE // MiB), default=PART_SIZE // MiB,
    show_default=True, help="The size of each part, in MiB.",
)  # fmt: skip
@click.option(
    "--parallel", type=click.IntRange(1), default=PARALLEL, show_default=True,
    help="How many parts are sent at once.",
)  # fmt: skip
@click.pass_obj
def upload_file(
    state: State,
    path: str,
    purpose: str,
    mime_type: Optional[str],
    filename: Optional[str],
    part_size: int,
    parallel: int,
) -> None:
    """Upload the file at PATH (up to 8 GB) in parallel parts, with a progress bar on a
    terminal; print the completed upload, whose "file" is the File made."""
    with progress(os.path.getsize(path), "uploading") as bar:
        answer = state.client().uploads.upload_file(
            path,
            purpose,
            mime_type=mime_type,
            filename=filename,
            part_size=part_size * MiB,
            parallel=parallel,
            progress=bar.update,
        )
    state.emit(answer)
