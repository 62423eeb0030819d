"""`openaistream content-provenance-checks create FILE`: check an image or audio file for
OpenAI's provenance signals."""

from __future__ import annotations

import click

from openaistream.cli import operations_group
from openaistream.plugins.content_provenance_checks import ContentProvenanceChecks


def command() -> click.Command:
    """The `content-provenance-checks` group."""
    return operations_group(
        "content-provenance-checks",
        "content_provenance_checks",
        ContentProvenanceChecks,
        "Whether a file carries OpenAI's provenance signals.",
    )
