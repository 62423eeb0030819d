"""`openaistream batches create|list|retrieve|cancel`."""

from __future__ import annotations

import click

from openaistream.cli import resource_group

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}


def command() -> click.Command:
    """The `batches` group."""
    calls = [
        ("create", "create", ["input_file_id", "endpoint"], "Start a batch of an uploaded file."),
        ("list", "list", [], "List the batches."),
        ("retrieve", "retrieve", ["batch_id"], "Show a batch."),
        ("cancel", "cancel", ["batch_id"], "Cancel a batch."),
    ]
    columns = ("id", "status", "endpoint", "created_at")
    return resource_group("batches", "batches", "Batches.", calls, columns, COMMAND_ALIASES)
