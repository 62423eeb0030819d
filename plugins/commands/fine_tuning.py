"""`openaistream fine-tuning create|list|retrieve|cancel|pause|resume|events|checkpoints`,
the `checkpoint-permissions-*` of a checkpoint and the `alpha-graders-*`: `events
--follow` polls until the job ends."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from openaistream.cli import (
    JSON_OPTION,
    PARAMS_OPTION,
    State,
    call_command,
    parse_params,
    resource_group,
    write_table,
)

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}

# The argument naming a checkpoint, as the API and openai-python name it.
_CHECKPOINT = "fine_tuned_model_checkpoint"
# The states a job does not leave.
_ENDED = ("succeeded", "failed", "cancelled")


def command() -> click.Command:
    """The `fine-tuning` group."""
    calls = [
        ("create", "create", ["model", "training_file"], "Start a fine-tuning job."),
        ("list", "list", [], "List the jobs."),
        ("retrieve", "retrieve", ["job_id"], "Show a job."),
        ("cancel", "cancel", ["job_id"], "Cancel a job."),
        ("pause", "pause", ["job_id"], "Pause a running job."),
        ("resume", "resume", ["job_id"], "Resume a paused job."),
        ("checkpoint-permissions-delete", "checkpoint_permissions_delete",
         [_CHECKPOINT, "permission_id"], "Stop sharing a checkpoint with a project."),
    ]  # fmt: skip
    columns = ("id", "model", "status", "fine_tuned_model", "created_at")
    group = resource_group(
        "fine-tuning", "fine_tuning", "Fine-tuning jobs.", calls, columns, COMMAND_ALIASES
    )
    group.add_command(events)
    group.add_command(
        call_command(
            "checkpoints", "fine_tuning", "checkpoints", ["job_id"],
            columns=("id", "step_number", "fine_tuned_model_checkpoint", "created_at"),
            help="List a job's checkpoints.",
        )
    )  # fmt: skip
    group.add_command(
        call_command(
            "checkpoint-permissions-list", "fine_tuning", "checkpoint_permissions_list",
            [_CHECKPOINT], columns=("id", "project_id", "created_at"),
            help="List the projects a checkpoint is shared with.",
        )
    )  # fmt: skip
    for by_hand in (checkpoint_permissions_create, alpha_graders_run, alpha_graders_validate):
        group.add_command(by_hand)
    return group


def _grader(value: str) -> dict[str, Any]:
    """A grader given as JSON text, or a usage error that says what is wrong."""
    try:
        grader = json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="GRADER") from None
    if not isinstance(grader, dict):
        raise click.BadParameter("must be a JSON object", param_hint="GRADER")
    return grader


@click.command("checkpoint-permissions-create")
@click.argument("fine_tuned_model_checkpoint")
@click.argument("project_ids", nargs=-1, required=True)
@click.pass_obj
def checkpoint_permissions_create(
    state: State, fine_tuned_model_checkpoint: str, project_ids: tuple[str, ...]
) -> None:
    """Share FINE_TUNED_MODEL_CHECKPOINT with the projects PROJECT_IDS."""
    fine_tuning = state.client().fine_tuning
    state.emit(
        fine_tuning.checkpoint_permissions_create(fine_tuned_model_checkpoint, list(project_ids))
    )


@click.command("alpha-graders-run")
@click.argument("grader")
@click.argument("model_sample")
@PARAMS_OPTION
@click.pass_obj
def alpha_graders_run(
    state: State, grader: str, model_sample: str, params: tuple[str, ...]
) -> None:
    """Grade MODEL_SAMPLE with GRADER (JSON: '{"type":"string_check",...}'); -o item=JSON."""
    taken = {"grader": "GRADER", "model_sample": "MODEL_SAMPLE"}
    fine_tuning = state.client().fine_tuning
    answer = fine_tuning.alpha_graders_run(
        _grader(grader), model_sample, **parse_params(params, taken=taken)
    )
    state.emit(answer)


@click.command("alpha-graders-validate")
@click.argument("grader")
@click.pass_obj
def alpha_graders_validate(state: State, grader: str) -> None:
    """Check GRADER (JSON: '{"type":"string_check",...}')."""
    state.emit(state.client().fine_tuning.alpha_graders_validate(_grader(grader)))


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
