"""`openaistream runs ...`: create a run (on a new thread or not), answer its tool calls,
`--stream` to print its text as it arrives, and the list/retrieve/modify/cancel/steps
commands."""

from __future__ import annotations

import json
from typing import Any, Optional

import click

from openaistream.cli import (
    JSON_OPTION,
    PARAMS_OPTION,
    State,
    parse_params,
    print_stream,
    resource_group,
)

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve", "steps-get": "steps-retrieve"}

# API parameters the run commands set from their own arguments and options.
_SET_BY_OPTIONS = {"assistant_id": "ASSISTANT_ID", "stream": "--stream"}


def command() -> click.Command:
    """The `runs` group."""
    calls = [
        ("list", "list", ["thread_id"], "List a thread's runs."),
        ("retrieve", "retrieve", ["thread_id", "run_id"], "Show a run."),
        ("modify", "modify", ["thread_id", "run_id"], "Change a run's metadata."),
        ("cancel", "cancel", ["thread_id", "run_id"], "Cancel a run."),
        ("steps-list", "steps_list", ["thread_id", "run_id"], "List a run's steps."),
        ("steps-retrieve", "steps_retrieve", ["thread_id", "run_id", "step_id"], "Show a step."),
    ]
    columns = ("id", "status", "created_at")
    group = resource_group("runs", "runs", "Assistants runs.", calls, columns, COMMAND_ALIASES)
    for each in (create, create_thread, submit_tool_outputs):
        group.add_command(each)
    return group


@click.command("create")
@click.argument("thread_id")
@click.argument("assistant_id")
@click.option("--stream", is_flag=True, help="Stream the run, printing its text.")
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def create(
    state: State,
    thread_id: str,
    assistant_id: str,
    stream: bool,
    params: tuple[str, ...],
    json_output: bool,
) -> None:
    """Run ASSISTANT_ID on THREAD_ID."""
    options = parse_params(params, taken={**_SET_BY_OPTIONS, "thread_id": "THREAD_ID"})
    answer = state.client().runs.create(thread_id, assistant_id, stream, **options)
    _show(state, answer, stream, json_output)


@click.command("create-thread")
@click.argument("assistant_id")
@click.option("--stream", is_flag=True, help="Stream the run, printing its text.")
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def create_thread(
    state: State, assistant_id: str, stream: bool, params: tuple[str, ...], json_output: bool
) -> None:
    """Create a thread (-o thread='{"messages": [...]}') and run ASSISTANT_ID on it."""
    options = parse_params(params, taken=_SET_BY_OPTIONS)
    answer = state.client().runs.create_thread(assistant_id, stream, **options)
    _show(state, answer, stream, json_output)


@click.command("submit-tool-outputs")
@click.argument("thread_id")
@click.argument("run_id")
@click.argument("tool_outputs")
@click.option("--stream", is_flag=True, help="Stream the rest of the run.")
@JSON_OPTION
@click.pass_obj
def submit_tool_outputs(
    state: State,
    thread_id: str,
    run_id: str,
    tool_outputs: str,
    stream: bool,
    json_output: bool,
) -> None:
    """Answer a run's tool calls: TOOL_OUTPUTS is a JSON list of
    {"tool_call_id": ..., "output": ...}."""
    try:
        outputs = json.loads(tool_outputs)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="TOOL_OUTPUTS") from exc
    answer = state.client().runs.submit_tool_outputs(thread_id, run_id, outputs, stream)
    _show(state, answer, stream, json_output)


def _show(state: State, answer: Any, stream: bool, json_output: bool) -> None:
    """A run as JSON, or with --stream its text as it arrives."""
    if stream:
        with answer:
            print_stream(answer, _delta_text, json_output or state.json_output)
    else:
        state.emit(answer)


def _delta_text(event: dict[str, Any]) -> Optional[str]:
    if event.get("event") != "thread.message.delta":
        return None
    parts = event["data"].get("delta", {}).get("content", [])
    return "".join(p.get("text", {}).get("value", "") for p in parts if p.get("type") == "text")
