"""`openaistream evals ...`: one command per method of the `evals` resource.

The arguments that are JSON objects (an eval's `data_source_config` and
`testing_criteria`, a run's `data_source`) are given as `-o name=JSON`, not as
positional words: `evals create -o data_source_config='{...}' -o testing_criteria='[...]'`.
"""

from __future__ import annotations

import click

from openaistream.cli import call_command, operations_group
from openaistream.plugins.evals import Evals


def command() -> click.Command:
    """The `evals` group."""
    columns = ("id", "name", "status", "created_at")
    group = operations_group(
        "evals",
        "evals",
        Evals,
        "Evals, their runs and output items.",
        columns,
        skip=("create", "runs_create"),
    )
    group.add_command(
        call_command(
            "create",
            "evals",
            "create",
            help="Create an eval: -o data_source_config=JSON -o testing_criteria=JSON.",
        )
    )
    group.add_command(
        call_command(
            "runs-create",
            "evals",
            "runs_create",
            ["eval_id"],
            help="Start a run of EVAL_ID: -o data_source=JSON.",
        )
    )
    group.add_command(
        call_command(
            "runs-cancel", "evals", "runs_cancel", ["eval_id", "run_id"], help="Cancel a run."
        )
    )
    return group
