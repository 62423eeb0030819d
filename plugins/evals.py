"""The `evals` resource: evaluations, their runs and the output items of a run.

Each method is one operation of the OpenAPI spec, described in one line. The runs and
output items of an eval are flat methods here (`runs_create`, `output_items_list`),
where openai-python nests them (`evals.runs.create`, `evals.runs.output_items.list`).
Note that `POST /evals/{eval_id}/runs/{run_id}` cancels a run.
"""

from __future__ import annotations

from typing import Any, Callable

import openaistream
from openaistream.operation import operation

_EVAL = "/evals/{eval_id}"
_RUN = "/evals/{eval_id}/runs/{run_id}"


class Evals(openaistream.Resource):
    """Evals: evaluations, their runs, and the output items of a run, as `client.evals`.

    Runs and output items are flat methods (`runs_create`, `output_items_list`), where
    openai-python nests them (`evals.runs.create`, `evals.runs.output_items.list`). Note that
    `runs_cancel` is `POST /evals/{eval_id}/runs/{run_id}`, with no body.

    ```python
    evaluation = client.evals.create({"type": "stored_completions"}, [grader], name="Exact")
    run = client.evals.runs_create(evaluation["id"], data_source)
    failed = client.evals.output_items_list(evaluation["id"], run["id"], status="fail")
    ```
    """

    endpoint = "/evals"

    create = operation(
        "POST", "/evals", "data_source_config", "testing_criteria",
        doc="Create an eval: the shape of its data and the graders of every run.",
    )  # fmt: skip
    list = operation("GET", "/evals", doc="List the evals; after, limit, order, order_by.")
    retrieve = operation("GET", _EVAL, doc="Show an eval.")
    update = operation("POST", _EVAL, doc="Rename an eval or change its metadata.")
    delete = operation("DELETE", _EVAL, doc="Delete an eval.")

    runs_create = operation(
        "POST", _EVAL + "/runs", "data_source", doc="Start a run of an eval on a data source."
    )
    runs_list = operation("GET", _EVAL + "/runs", doc="List the runs of an eval; status, ...")
    runs_retrieve = operation("GET", _RUN, doc="Show a run.")

    runs_cancel = operation("POST", _RUN, body=False, doc="Cancel a run in progress.")

    runs_delete = operation("DELETE", _RUN, doc="Delete a run.")

    output_items_list = operation(
        "GET", _RUN + "/output_items", doc="List the output items of a run; status, ..."
    )
    output_items_retrieve = operation(
        "GET", _RUN + "/output_items/{output_item_id}", doc="Show one output item of a run."
    )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("evals", Evals)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.evals import command  # only the command line loads click

    cli.add_command(command())
