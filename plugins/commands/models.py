"""`openaistream models list|retrieve|delete`."""

from __future__ import annotations

import click

from openaistream.cli import resource_group

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}


def command() -> click.Command:
    """The `models` group."""
    calls = [
        ("list", "list", [], "List the models."),
        ("retrieve", "retrieve", ["model"], "Show one model."),
        ("delete", "delete", ["model"], "Delete a fine-tuned model."),
    ]
    columns = ("id", "owned_by", "created")
    return resource_group("models", "models", "The models.", calls, columns, COMMAND_ALIASES)
