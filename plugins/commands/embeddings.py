"""`openaistream embeddings create MODEL INPUT`."""

from __future__ import annotations

import click

from openaistream.cli import resource_group


def command() -> click.Command:
    """The `embeddings` group."""
    calls = [("create", "create", ["model", "input"], "Embed INPUT with MODEL (JSON output).")]
    return resource_group("embeddings", "embeddings", "Embeddings.", calls)
