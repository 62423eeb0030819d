"""``openaistream chatkit ...``: one command per method of the ``chatkit`` resource.

A session's ``workflow`` is a JSON object, given as ``-o workflow=JSON``:
``chatkit sessions-create USER -o workflow='{"id": "wf_..."}'``.
"""

from __future__ import annotations

import click

from openaistream.cli import call_command, operations_group
from openaistream.plugins.chatkit import ChatKit


def command() -> click.Command:
    """The ``chatkit`` group."""
    columns = ("id", "title", "user", "created_at")
    group = operations_group(
        "chatkit",
        "chatkit",
        ChatKit,
        "ChatKit sessions and threads (beta).",
        columns,
        skip=("sessions_create",),
    )
    group.add_command(
        call_command(
            "sessions-create",
            "chatkit",
            "sessions_create",
            ["user"],
            help="Start a session for USER: -o workflow=JSON.",
        )
    )
    group.add_command(
        call_command(
            "sessions-cancel",
            "chatkit",
            "sessions_cancel",
            ["session_id"],
            help="Cancel a session.",
        )
    )
    return group
