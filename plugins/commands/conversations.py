"""`openaistream conversations create|retrieve|update|delete|items-create|items-list|
items-retrieve|items-delete`: one command per method, named after it."""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import click

from openaistream.cli import operations_group
from openaistream.plugins.conversations import Conversations

# The arguments that are JSON, not text: a dict of metadata, a list of items.
_JSON_ARGUMENTS = {"update": "metadata", "items-create": "items"}


class JSONArgument(click.ParamType):
    """An argument given as JSON on the command line, or `-` to read it from stdin."""

    name = "json"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = sys.stdin.read() if value == "-" else value
        try:
            return json.loads(text)
        except ValueError as error:
            self.fail(f"is not JSON ({error})", param, ctx)


def command() -> click.Command:
    """The `conversations` group."""
    group = operations_group(
        "conversations",
        "conversations",
        Conversations,
        "Conversations and their items (the Responses API's state).",
        columns=("id", "type", "role", "status"),
    )
    for name, argument in _JSON_ARGUMENTS.items():
        command = group.commands[name]
        for param in command.params:
            if param.name == argument:
                param.type = JSONArgument()
        command.help = f"{command.help} {argument.upper()} is JSON (- reads it from stdin)."
    return group
