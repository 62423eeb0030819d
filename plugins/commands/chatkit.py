"""`openaistream chatkit ...`: one command per method of the `chatkit` resource;
`sessions-create WORKFLOW USER` takes a workflow id (or the workflow as a JSON object)."""

from __future__ import annotations

import json

import click

from openaistream.cli import (
    JSON_OPTION,
    PARAMS_OPTION,
    State,
    call_command,
    operations_group,
    parse_params,
)
from openaistream.plugins.chatkit import ChatKit


def command() -> click.Command:
    """The `chatkit` group."""
    columns = ("id", "title", "user", "created_at")
    group = operations_group(
        "chatkit",
        "chatkit",
        ChatKit,
        "ChatKit sessions and threads (beta).",
        columns,
        skip=("sessions_create",),
    )
    group.add_command(sessions_create)
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


@click.command("sessions-create")
@click.argument("workflow")
@click.argument("user")
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def sessions_create(
    state: State, workflow: str, user: str, params: tuple[str, ...], json_output: bool
) -> None:
    """Start a session of WORKFLOW (its id, or a JSON object) for USER."""
    options = parse_params(params, taken={"workflow": "WORKFLOW", "user": "USER"})
    answer = state.client().chatkit.sessions_create(_workflow(workflow), user, **options)
    state.emit(answer, json_output=json_output)


def _workflow(given: str) -> object:
    """`wf_...` as `{"id": "wf_..."}`; a JSON object as it is."""
    if not given.lstrip().startswith("{"):
        return {"id": given}
    try:
        return json.loads(given)
    except ValueError as exc:
        raise click.BadParameter(f"not a JSON object: {exc}", param_hint="WORKFLOW") from None
