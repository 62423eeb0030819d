"""`openaistream completions create MODEL PROMPT`: a legacy completion (`-o stream=true`
prints its chunks as JSON lines as they arrive)."""

from __future__ import annotations

import click

from openaistream.cli import operations_group
from openaistream.plugins.completions import Completions


def command() -> click.Command:
    """The `completions` group."""
    return operations_group("completions", "completions", Completions, "Legacy completions.")
