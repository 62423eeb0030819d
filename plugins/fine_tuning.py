"""The ``fine_tuning`` resource: fine-tuning jobs and their events.

Paths from the OpenAPI spec: ``POST|GET /fine_tuning/jobs``,
``GET /fine_tuning/jobs/{fine_tuning_job_id}``, ``POST .../cancel``, ``GET .../events``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

import openaistream
from openaistream.resource import check_text, path_for

_JOB = "/fine_tuning/jobs/{job_id}"
# The R package's default. The API now prefers ``method``; when it is given, this default is
# not sent, since the API refuses both together.
_SEED_HYPERPARAMETERS = {"n_epochs": 1}


class FineTuning(openaistream.Resource):
    endpoint = "/fine_tuning/jobs"

    def create(
        self,
        model: str,
        training_file: str,
        hyperparameters: Optional[dict[str, Any]] = None,
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Start a job fine-tuning ``model`` on the uploaded ``training_file`` (a file id).
        ``hyperparameters`` defaults to ``{"n_epochs": 1}`` as in R, unless ``method`` is
        given; ``params`` carries ``validation_file``, ``suffix``, ``seed``, ``method``, ..."""
        body: dict[str, Any] = {
            "model": check_text("model", model),
            "training_file": check_text("training_file", training_file),
            **params,
        }
        if hyperparameters is not None:
            body["hyperparameters"] = hyperparameters
        elif "method" not in params:
            body["hyperparameters"] = dict(_SEED_HYPERPARAMETERS)
        return self._call("POST", "/fine_tuning/jobs", json=body, verbosity=verbosity)

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The organization's jobs; ``after``, ``limit``, ``metadata``."""
        return self._call("GET", "/fine_tuning/jobs", params=params, verbosity=verbosity)

    def retrieve(self, job_id: str, *, verbosity: Optional[int] = None) -> Any:
        return self._call("GET", path_for(_JOB, job_id=job_id), verbosity=verbosity)

    def cancel(self, job_id: str, *, verbosity: Optional[int] = None) -> Any:
        path = path_for(_JOB + "/cancel", job_id=job_id)
        return self._call("POST", path, verbosity=verbosity)

    def events(self, job_id: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The job's status updates; ``after``, ``limit``."""
        path = path_for(_JOB + "/events", job_id=job_id)
        return self._call("GET", path, params=params, verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("fine_tuning", FineTuning)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
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

    calls = [
        ("create", "create", ["model", "training_file"], "Start a fine-tuning job."),
        ("list", "list", [], "List the jobs."),
        ("retrieve", "retrieve", ["job_id"], "Show a job."),
        ("cancel", "cancel", ["job_id"], "Cancel a job."),
    ]
    columns = ("id", "model", "status", "fine_tuned_model", "created_at")
    group = resource_group(
        "fine-tuning", "fine_tuning", "Fine-tuning jobs.", calls, columns, {"get": "retrieve"}
    )

    @group.command("events")
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

    cli.add_command(group)


_ENDED = ("succeeded", "failed", "cancelled")
