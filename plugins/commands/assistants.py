"""`openaistream assistants create|list|retrieve|modify|delete`."""

from __future__ import annotations

import click

from openaistream.cli import resource_group

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}


def command() -> click.Command:
    """The `assistants` group."""
    calls = [
        ("create", "create", ["model"], "Create an assistant (-o name=..., -o instructions=...)."),
        ("list", "list", [], "List the assistants."),
        ("retrieve", "retrieve", ["assistant_id"], "Show an assistant."),
        ("modify", "modify", ["assistant_id"], "Change an assistant."),
        ("delete", "delete", ["assistant_id"], "Delete an assistant."),
    ]
    columns = ("id", "name", "model", "created_at")
    return resource_group(
        "assistants", "assistants", "Assistants.", calls, columns, COMMAND_ALIASES
    )
