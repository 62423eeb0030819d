"""`openaistream moderations create INPUT`."""

from __future__ import annotations

import click

from openaistream.cli import resource_group


def command() -> click.Command:
    """The `moderations` group."""
    calls = [("create", "create", ["input"], "Check INPUT against the usage policies.")]
    return resource_group("moderations", "moderations", "Moderations.", calls)
