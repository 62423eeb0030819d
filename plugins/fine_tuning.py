"""The ``fine_tuning`` resource: fine-tuning jobs and their events.

Paths from the OpenAPI spec: ``POST|GET /fine_tuning/jobs``,
``GET /fine_tuning/jobs/{fine_tuning_job_id}``, ``POST .../cancel``, ``GET .../events``.
"""

from __future__ import annotations

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
        return self.request("POST", "/fine_tuning/jobs", json=body, verbosity=verbosity)

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The organization's jobs; ``after``, ``limit``, ``metadata``."""
        return self.request("GET", "/fine_tuning/jobs", params=params, verbosity=verbosity)

    def retrieve(self, job_id: str, *, verbosity: Optional[int] = None) -> Any:
        return self.request("GET", path_for(_JOB, job_id=job_id), verbosity=verbosity)

    def cancel(self, job_id: str, *, verbosity: Optional[int] = None) -> Any:
        path = path_for(_JOB + "/cancel", job_id=job_id)
        return self.request("POST", path, verbosity=verbosity)

    def events(self, job_id: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The job's status updates; ``after``, ``limit``."""
        path = path_for(_JOB + "/events", job_id=job_id)
        return self.request("GET", path, params=params, verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("fine_tuning", FineTuning)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.fine_tuning import command  # only the command line loads click

    cli.add_command(command())
