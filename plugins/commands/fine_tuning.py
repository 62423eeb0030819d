"""``openaistream fine-tuning create|list|retrieve|cancel|events``: ``events --follow`` polls
until the job ends."""

from __future__ import annotations

import json
import time

import click

from openaistream.cli import (
    JSON_OPTION,
    PARAMS_OPTION,
    State,
    parse_params,
    resource_group,
    write_table,
)

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}

# The states a job does not leave.
_ENDED = ("succeeded", "failed", "cancelled")


def command() -> click.Command:
    """The ``fine-tuning`` group."""
    calls = [
        ("create", "create", ["model", "training_file"], "Start a fine-tuning job."),
        ("list", "list", [], "List the jobs."),
        ("retrieve", "retrieve", ["job_id"], "Show a job."),
        ("cancel", "cancel", ["job_id"], "Cancel a job."),
    ]
    columns = ("id", "model", "status", "fine_tuned_model", "created_at")
    group = resource_group(
        "fine-tuning", "fine_tuning", "Fine-tuning jobs.", calls, columns, COMMAND_ALIASES
    )
    group.add_command(events)
    return group


@click.command("events")
@click.argument("job_id")
@click.option("--follow", is_flag=True, help="Poll for new events until the job ends.")
@click.option("--interval", type=float, default=10.0, show_default=True, help="Seconds.")
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def events(
    state: State,
    job_id: str,
    follow: bool,
    interval: float,
    params: tuple[str, ...],
    json_output: bool,
) -> None:
    """The events of JOB_ID, oldest first; --follow waits for more until the job ends."""
    client = state.client()
    seen: set[str] = set()
    while True:
        page = client.fine_tuning.events(job_id, **parse_params(params))
        fresh = [e for e in reversed(page.get("data", [])) if e.get("id") not in seen]
        seen.update(e.get("id") for e in fresh)
        if json_output or state.json_output:
            for event in fresh:
                click.echo(json.dumps(event, ensure_ascii=False))
        elif fresh:
            write_table(fresh, ("created_at", "level", "message"))
        if not follow or client.fine_tuning.retrieve(job_id).get("status") in _ENDED:
            return
        time.sleep(interval)
