"""`openaistream threads create|retrieve|modify|delete`."""

from __future__ import annotations

import click

from openaistream.cli import resource_group

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}


def command() -> click.Command:
    """The `threads` group."""
    calls = [
        ("create", "create", [], "Create a thread (-o messages='[...]')."),
        ("retrieve", "retrieve", ["thread_id"], "Show a thread."),
        ("modify", "modify", ["thread_id"], "Change a thread (-o metadata='{...}')."),
        ("delete", "delete", ["thread_id"], "Delete a thread."),
    ]
    return resource_group(
        "threads", "threads", "Assistants threads.", calls, aliases=COMMAND_ALIASES
    )
