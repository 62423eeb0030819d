"""The `fine_tuning` resource: fine-tuning jobs, their events and checkpoints, who may use a
checkpoint, and the graders of reinforcement fine-tuning.

Paths from the OpenAPI spec: `POST|GET /fine_tuning/jobs`,
`GET /fine_tuning/jobs/{fine_tuning_job_id}`, `POST .../cancel|pause|resume`,
`GET .../events|checkpoints`,
`GET|POST /fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions`,
`DELETE .../permissions/{permission_id}`, `POST /fine_tuning/alpha/graders/run|validate`.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import openaistream
from openaistream.operation import operation
from openaistream.resource import check_text, path_for

_JOB = "/fine_tuning/jobs/{job_id}"
_PERMISSIONS = "/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"
# The R package's default. The API now prefers ``method``; when it is given, this default is
# not sent, since the API refuses both together.
_SEED_HYPERPARAMETERS = {"n_epochs": 1}


class FineTuning(openaistream.Resource):
    """Fine-tuning: jobs, their events and checkpoints, who may use a checkpoint, and the graders of
    reinforcement fine-tuning, as `client.fine_tuning`.

    `create` sends the R package's default, `hyperparameters={"n_epochs": 1}`, unless it is
    given others or `method`. openai-python's nested names are flat here: `jobs.pause` is `pause`,
    `checkpoints.permissions.create` is `checkpoint_permissions_create`, `alpha.graders.run` is
    `alpha_graders_run`.

    ```python
    job = client.fine_tuning.create("gpt-4o-mini-2024-07-18", uploaded["id"])
    for event in client.fine_tuning.events(job["id"], limit=10)["data"]:
        print(event["message"])
    ```
    """

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
        """Start a job fine-tuning `model` on the uploaded `training_file` (a file id).
        `hyperparameters` defaults to `{"n_epochs": 1}` as in R, unless `method` is
        given; `params` carries `validation_file`, `suffix`, `seed`, `method`, ..."""
        body: dict[str, Any] = {
            "model": check_text("model", model),
            "training_file": check_text("training_file", training_file),
            **params,
        }
        if hyperparameters is not None:
            body["hyperparameters"] = hyperparameters
        elif "method" not in params:
            body["hyperparameters"] = dict(_SEED_HYPERPARAMETERS)
        return self.request("POST", "/fine_tuning/jobs", json=body, verbosity=verbosity)

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The organization's jobs; `after`, `limit`, `metadata`."""
        return self.request("GET", "/fine_tuning/jobs", params=params, verbosity=verbosity)

    def retrieve(self, job_id: str, *, verbosity: Optional[int] = None) -> Any:
        """A job: its `status`, and its `fine_tuned_model` once it has one."""
        return self.request("GET", path_for(_JOB, job_id=job_id), verbosity=verbosity)

    def cancel(self, job_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Cancel a job, at once."""
        path = path_for(_JOB + "/cancel", job_id=job_id)
        return self.request("POST", path, verbosity=verbosity)

    def events(self, job_id: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The job's status updates; `after`, `limit`."""
        path = path_for(_JOB + "/events", job_id=job_id)
        return self.request("GET", path, params=params, verbosity=verbosity)

    # pause and resume send no body, which an operation's POST always has.
    pause = operation("POST", _JOB + "/pause", body=False, doc="Pause a running job.")
    resume = operation("POST", _JOB + "/resume", body=False, doc="Resume a paused job.")

    checkpoints = operation(
        "GET", _JOB + "/checkpoints", doc="The job's checkpoints; after, limit."
    )
    checkpoint_permissions_list = operation(
        "GET", _PERMISSIONS, doc="Who may use a checkpoint; project_id, after, limit, order."
    )
    checkpoint_permissions_create = operation(
        "POST", _PERMISSIONS, "project_ids", doc="Share a checkpoint with these projects."
    )
    checkpoint_permissions_delete = operation(
        "DELETE", _PERMISSIONS + "/{permission_id}", doc="Stop sharing a checkpoint."
    )
    alpha_graders_run = operation(
        "POST",
        "/fine_tuning/alpha/graders/run",
        "grader",
        "model_sample",
        doc="Grade one model sample (item: the dataset row it answers).",
    )
    alpha_graders_validate = operation(
        "POST", "/fine_tuning/alpha/graders/validate", "grader", doc="Check a grader."
    )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("fine_tuning", FineTuning)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.fine_tuning import command  # only the command line loads click

    cli.add_command(command())
