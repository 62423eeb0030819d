"""A bulk run's arguments, checked before anything is sent, and the run itself: on the
AsyncOpenAI it was asked on, or on one made like the blocking client, on an event loop of
its own."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import openaistream
from openaistream.resource import PathLike

from . import VIAS
from .inputs import check_input
from .outputs import OutputFile
from .progress import MODES, Progress
from .runner import DirectOptions, run_direct
from .summary import Summary
from .viabatch import BatchLimits, run_via_batch

__all__ = ["Job", "existing", "run_blocking"]


class Job:
    """A bulk run's arguments, checked."""

    def __init__(
        self, input: Path, output: Path, via: str, progress: str, direct: DirectOptions,
        batch: BatchOptions,
    ) -> None:  # fmt: skip
        self.input, self.output, self.via, self.progress = input, output, via, progress
        self.direct, self.batch = direct, batch

    @classmethod
    def checked(
        cls,
        input: PathLike,
        output: PathLike,
        via: str,
        progress: str,
        direct: tuple[Optional[float], Optional[float], int, int],
        batch: tuple[int, int, Optional[float]],
    ) -> Job:
        """Every argument checked, each error naming it, before anything is read or sent."""
        if via not in VIAS:
            raise ValueError(f"via must be one of {', '.join(VIAS)}, not {via!r}")
        if progress not in MODES:
            raise ValueError(f"progress must be one of {', '.join(MODES)}, not {progress!r}")
        max_rpm, max_tpm, concurrency, max_attempts = direct
        for name, value in (("max_rpm", max_rpm), ("max_tpm", max_tpm)):
            if value is not None and (not _is_number(value) or value <= 0):
                raise ValueError(f"{name} must be a number > 0 a minute, not {value!r}")
        max_requests, max_bytes, poll_interval = batch
        counts = [("concurrency", concurrency), ("max_attempts", max_attempts),
                  ("max_batch_requests", max_requests), ("max_batch_bytes", max_bytes)]  # fmt: skip
        for name, count in counts:
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(f"{name} must be a whole number >= 1, not {count!r}")
        if poll_interval is not None and (not _is_number(poll_interval) or poll_interval <= 0):
            raise ValueError(
                f"poll_interval must be a number of seconds > 0, not {poll_interval!r}"
            )
        source = existing(input, "input")
        target = Path(os.fspath(output))
        if target.resolve() == source.resolve():
            raise ValueError(f"output must not be the input: {str(target)!r}")
        options = BatchOptions(BatchLimits(max_requests, max_bytes), poll_interval)
        return cls(source, target, via, progress, DirectOptions(*direct), options)

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


@dataclass(frozen=True)
class BatchOptions:
    limits: BatchLimits
    poll_interval: Optional[float]


async def _via_batch(
    client: openaistream.AsyncOpenAI,
    job: Job,
    output: OutputFile,
    shown: Progress,
    summary: Summary,
) -> None:
    done = await run_via_batch(
        client, job.input, output, shown,
        limits=job.batch.limits, poll_interval=job.batch.poll_interval,
    )  # fmt: skip
    summary.succeeded, summary.failed, summary.left = done.succeeded, done.failed, done.left


def run_blocking(job: Job, client: Any) -> Summary:
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


def existing(path: PathLike, name: str) -> Path:
    found = Path(os.fspath(path))
    if not found.is_file():
        raise FileNotFoundError(f"{name} is not a file: {str(found)!r}")
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
