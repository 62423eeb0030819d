"""The ``bulk`` resource: a file of requests in the Batch API's input format run to a file of
answers in its output format, either directly (as many at once as the rate limits allow, on
``AsyncOpenAI``) or through the Batch API (``via="batch"``: half the price, a day's window).

    summary = client.bulk.process("requests.jsonl", "answers.jsonl")
    summary = await aclient.bulk.process("requests.jsonl", "answers.jsonl", via="batch")

Running it again with the same files resumes: the custom ids already in the output are not
sent again. The same from the command line: ``openaistream bulk run IN -o OUT``.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.resource import local

from .inputs import InputError, InputSummary, check_input
from .outputs import OutputFile
from .progress import MODES, Progress
from .runner import BulkStoppedError, DirectOptions, run_direct
from .summary import Summary

__all__ = ["VIAS", "Bulk", "BulkStoppedError", "InputError", "Summary"]

PathLike = Union[str, "os.PathLike[str]"]
VIAS = ("direct", "batch")


class Bulk(openaistream.Resource):
    endpoint = ""

    @local
    def process(
        self,
        input: PathLike,
        output: PathLike,
        *,
        via: str = "direct",
        max_rpm: Optional[float] = None,
        max_tpm: Optional[float] = None,
        concurrency: int = 64,
        max_attempts: int = 5,
        progress: str = "auto",
    ) -> Any:
        """Run every request of ``input`` (Batch API input lines) and write one answer a
        request to ``output`` (Batch API output lines); the counts of the run. A request
        already answered in ``output`` is not sent again, so a run stopped anywhere is
        resumed by running it again.

        ``via="direct"`` sends the requests at the key's rate limits, read from the answers'
        ``x-ratelimit-*`` headers or capped by ``max_rpm`` / ``max_tpm`` (a minute's
        requests and tokens), ``concurrency`` at most at once, each tried up to
        ``max_attempts`` times. ``via="batch"`` sends them through the Batch API instead.
        ``progress``: ``"auto"`` (a bar on a terminal, lines elsewhere), ``"bar"``,
        ``"lines"`` or ``"quiet"``. Every argument and every line of the input is checked
        before anything is sent. On ``AsyncOpenAI`` this returns an awaitable.
        """
        job = _Job.checked(
            input, output, via, max_rpm, max_tpm, concurrency, max_attempts, progress
        )
        if isinstance(self.client, openaistream.AsyncOpenAI):
            return job.run(self.client)
        return _run_blocking(job, self.client)

    @local
    def check(self, input: PathLike) -> InputSummary:
        """Check an input without sending anything: how many requests, to which URLs; an
        InputError naming every line that cannot be sent."""
        return check_input(_existing(input, "input"))


class _Job:
    """A bulk run's arguments, checked."""

    def __init__(self, input: Path, output: Path, via: str, direct: DirectOptions, progress: str):
        self.input, self.output, self.via = input, output, via
        self.direct, self.progress = direct, progress

    @classmethod
    def checked(
        cls,
        input: PathLike,
        output: PathLike,
        via: str,
        max_rpm: Optional[float],
        max_tpm: Optional[float],
        concurrency: int,
        max_attempts: int,
        progress: str,
    ) -> _Job:
        if via not in VIAS:
            raise ValueError(f"via must be one of {', '.join(VIAS)}, not {via!r}")
        if progress not in MODES:
            raise ValueError(f"progress must be one of {', '.join(MODES)}, not {progress!r}")
        for name, value in (("max_rpm", max_rpm), ("max_tpm", max_tpm)):
            if value is not None and (not _is_number(value) or value <= 0):
                raise ValueError(f"{name} must be a number > 0 a minute, not {value!r}")
        for name, count in (("concurrency", concurrency), ("max_attempts", max_attempts)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(f"{name} must be a whole number >= 1, not {count!r}")
        source = _existing(input, "input")
        target = Path(os.fspath(output))
        if target.resolve() == source.resolve():
            raise ValueError(f"output must not be the input: {str(target)!r}")
        direct = DirectOptions(max_rpm, max_tpm, concurrency, max_attempts)
        return cls(source, target, via, direct, progress)

    async def run(self, client: openaistream.AsyncOpenAI) -> Summary:
        started = time.monotonic()
        described = check_input(self.input)
        with OutputFile(self.output) as output:
            summary = Summary(total=described.count, skipped=len(output.done))
            shown = Progress(described.count, self.progress)
            try:
                if self.via == "batch":
                    await _via_batch(client, self, output, shown, summary)
                else:
                    await run_direct(client, self.input, output, shown, summary, self.direct)
            finally:
                summary.seconds = time.monotonic() - started
                shown.close()
        return summary


async def _via_batch(
    client: openaistream.AsyncOpenAI,
    job: _Job,
    output: OutputFile,
    shown: Progress,
    summary: Summary,
) -> None:
    from .viabatch import run_via_batch

    done = await run_via_batch(client, job.input, output, shown)
    summary.succeeded, summary.failed, summary.left = done.succeeded, done.failed, done.left


def _run_blocking(job: _Job, client: Any) -> Summary:
    """The run on an AsyncOpenAI made like this OpenAI, on an event loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "bulk.process on OpenAI blocks until the run ends; in a running event loop, use "
            "AsyncOpenAI: await aclient.bulk.process(...)"
        )
    arguments = client._arguments()
    if arguments.get("transport") != "replay":  # a network transport of the blocking kind
        arguments["transport"] = None

    async def main() -> Summary:
        async with openaistream.AsyncOpenAI(**arguments) as aclient:
            return await job.run(aclient)

    return asyncio.run(main())


def _existing(path: PathLike, name: str) -> Path:
    found = Path(os.fspath(path))
    if not found.is_file():
        raise FileNotFoundError(f"{name} is not a file: {str(found)!r}")
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("bulk", Bulk)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from ..commands.bulk import command  # only the command line loads click

    cli.add_command(command())
