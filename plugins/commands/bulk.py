"""`openaistream bulk run|check`: a file of requests in the Batch API's input format, run to
a file of answers in its output format, at the rate limit or through the Batch API."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Optional

import click

from openaistream.cli import State
from openaistream.plugins.bulk import VIAS
from openaistream.plugins.bulk.inputs import InputError, InputSummary, check_input


class _BadInput(click.ClickException):
    """Lines of the input that cannot be sent, each on its own line; nothing was sent."""

    exit_code = 2


def command() -> click.Command:
    """The `bulk` group."""
    group = click.Group("bulk", help="Run a file of requests (the Batch API's input format).")
    group.add_command(run)
    group.add_command(check)
    return group


@click.command("run")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The answers, a JSON line each; a run resumes from what it holds.")  # fmt: skip
@click.option("--via", type=click.Choice(VIAS), default="direct", show_default=True,
              help="direct: at the key's rate limits; batch: through the Batch API.")  # fmt: skip
@click.option("--max-rpm", type=click.FloatRange(min=0, min_open=True),
              help="At most this many requests a minute (default: the key's limit).")  # fmt: skip
@click.option("--max-tpm", type=click.FloatRange(min=0, min_open=True),
              help="At most this many tokens a minute (default: the key's limit).")  # fmt: skip
@click.option("--concurrency", type=click.IntRange(min=1), default=64, show_default=True,
              help="Requests in flight at most.")  # fmt: skip
@click.option("--max-attempts", type=click.IntRange(min=1), default=5, show_default=True,
              help="Tries of one request before its error is its answer.")  # fmt: skip
@click.option("--max-batch-requests", type=click.IntRange(min=1), default=50_000,
              show_default=True, help="With --via batch: requests a batch at most.")  # fmt: skip
@click.option("--poll-interval", type=click.FloatRange(min=0, min_open=True),
              help="With --via batch: seconds between polls (default: as asked).")  # fmt: skip
@click.option(
    "--progress",
    "progress_mode",
    type=click.Choice(["auto", "bar", "lines"]),
    default="auto",
    show_default=True,
    help="A bar redrawn in place, or plain lines (auto: a bar on a terminal).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress.")
@click.pass_obj
def run(
    state: State,
    input_path: str,
    output: str,
    via: str,
    max_rpm: Optional[float],
    max_tpm: Optional[float],
    concurrency: int,
    max_attempts: int,
    max_batch_requests: int,
    poll_interval: Optional[float],
    progress_mode: str,
    quiet: bool,
) -> None:
    """Send every request of INPUT and write its answer to OUTPUT."""
    try:
        summary = state.client().bulk.process(
            input_path, output, via=via, max_rpm=max_rpm, max_tpm=max_tpm,
            concurrency=concurrency, max_attempts=max_attempts,
            max_batch_requests=max_batch_requests, poll_interval=poll_interval,
            progress="quiet" if quiet else progress_mode,
        )  # fmt: skip
    except InputError as error:  # the run reads the input whole before sending anything
        raise _BadInput(str(error)) from None
    except KeyboardInterrupt:
        click.echo(
            "Interrupted: every answer written so far is whole in the output; run the same "
            "command again to send the rest.",
            err=True,
        )
        raise click.exceptions.Exit(130) from None
    if state.json_output:
        click.echo(json.dumps(asdict(summary)))
    else:
        click.echo(summary.line())


@click.command("check")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def check(state: State, input_path: str) -> None:
    """Check INPUT without sending anything: its requests by URL, or its bad lines."""
    summary = _checked(input_path)
    if state.json_output:
        click.echo(json.dumps({"count": summary.count, "urls": summary.urls}))
        return
    click.echo(f"{summary.count:,} requests")
    for url, count in sorted(summary.urls.items()):
        click.echo(f"  {url}: {count:,}")


def _checked(input_path: str) -> InputSummary:
    try:
        return check_input(input_path)
    except InputError as error:
        raise _BadInput(str(error)) from None
