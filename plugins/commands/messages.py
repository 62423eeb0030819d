"""`openaistream messages create|list|retrieve|modify|delete`."""

from __future__ import annotations

import click

from openaistream.cli import resource_group

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}


def command() -> click.Command:
    """The `messages` group."""
    calls = [
        ("create", "create", ["thread_id", "role", "content"], "Add a message to a thread."),
        ("list", "list", ["thread_id"], "List a thread's messages."),
        ("retrieve", "retrieve", ["thread_id", "message_id"], "Show a message."),
        ("modify", "modify", ["thread_id", "message_id"], "Change a message's metadata."),
        ("delete", "delete", ["thread_id", "message_id"], "Delete a message."),
    ]
    columns = ("id", "role", "created_at", "run_id")
    return resource_group(
        "messages", "messages", "Thread messages.", calls, columns, COMMAND_ALIASES
    )
