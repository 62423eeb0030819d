"""The Batch API path of a bulk run (`via="batch"`): the input split into batch files
within the API's limits, each uploaded and run as a batch, the batches polled, and their
output and error files merged into the same output the direct path writes.

Everything needed to pick a run up again is kept beside the output in `OUTPUT.batches.json`
(replaced whole at each change) and the part files in `OUTPUT.batches/`: a run stopped
anywhere and run again uploads what was not uploaded, creates the batches not created (a
batch created just before a crash is found again by its input file, not created twice),
polls the others, and merges only what the output does not hold. When every batch has been
merged both are removed; requests a batch left undone (it expired, or was cancelled) are not
written, and the next run sends them in a new round.

A batch the API refuses because the organisation's queue of batch tokens is full
(`token_limit_exceeded`) is created again once another batch of the run has ended; when
none is left to end, its requests are left for the next run, not written as failures.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .batchfiles import BatchLimits, split_requests
from .inputs import read_requests
from .outputs import OutputFile, error_record
from .progress import Progress
from .summary import Summary

if TYPE_CHECKING:
    from openaistream import AsyncOpenAI

__all__ = ["BatchLimits", "run_via_batch"]

ENDED = ("completed", "failed", "expired", "cancelled")
# The error codes of requests a batch did not get to: they are sent again next round.
UNDONE = ("batch_expired", "batch_cancelled")
QUEUE_FULL = "token_limit_exceeded"  # a batch refused until others of the organisation end
POLL_AFTER = "openai-poll-after-ms"
DEFAULT_POLL = 10.0  # seconds between two polls when the API names no wait
API_LIMITS = BatchLimits()


@dataclass
class Part:
    """One batch file and what became of it."""

    name: str
    url: str
    count: int
    file_id: Optional[str] = None
    batch_id: Optional[str] = None
    status: Optional[str] = None
    merged: bool = False
    counts: dict[str, int] = field(default_factory=dict)


class State:
    """The parts of this round, kept beside the output, with the input they came from."""

    def __init__(self, output: Path, input_path: Path) -> None:
        self.path = output.with_name(output.name + ".batches.json")
        self.folder = output.with_name(output.name + ".batches")
        self.input = str(input_path.resolve())
        self.parts: list[Part] = []

    def load(self) -> bool:
        """The saved parts, if a run stopped before it ended; only a run of the same input
        may finish them (another's answers would go into this output)."""
        if not self.path.exists():
            return False
        saved = json.loads(self.path.read_text(encoding="utf-8"))
        if saved.get("input", self.input) != self.input:
            raise ValueError(
                f"{str(self.path)!r} holds the batches of a run of {saved['input']!r}, not of "
                f"{self.input!r}: run that input again to finish them, or remove it and "
                f"{str(self.folder)!r} to forget them"
            )
        self.parts = [Part(**part) for part in saved["parts"]]
        return True

    def save(self) -> None:
        written = self._next()
        parts = [asdict(part) for part in self.parts]
        text = json.dumps({"input": self.input, "parts": parts}, indent=1)
        written.write_text(text, encoding="utf-8")
        os.replace(written, self.path)  # whole or not at all

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self._next().unlink(missing_ok=True)  # a save a crash cut short
        self.path.unlink()

    def _next(self) -> Path:
        """Where a save is written before it replaces the state."""
        return self.path.with_name(self.path.name + ".tmp")


async def run_via_batch(
    client: AsyncOpenAI,
    input_path: Path,
    output: OutputFile,
    progress: Progress,
    *,
    limits: BatchLimits = API_LIMITS,
    completion_window: str = "24h",
    poll_interval: Optional[float] = None,
) -> Summary:
    """Send what the output lacks through the Batch API; the counts of what was written."""
    summary = Summary(skipped=len(output.done))
    state = State(output.path, input_path)
    resumed = state.load()
    if not resumed:
        try:
            state.parts = _split(input_path, output, limits, state.folder)
        except BaseException:
            shutil.rmtree(state.folder, ignore_errors=True)
            raise
        if not state.parts:
            shutil.rmtree(state.folder, ignore_errors=True)
            return summary
        state.save()
    run = _BatchRun(client, state, output, progress, summary, completion_window, poll_interval)
    for part in state.parts:
        await run.start(part)
    await run.to_the_end()
    state.remove()
    if resumed:  # the parts were made from the input as it was then: count against it now
        summary.left = _lacking(input_path, output.path)
    return summary


# -- splitting ------------------------------------------------------------------------------


def _split(input_path: Path, output: OutputFile, limits: BatchLimits, folder: Path) -> list[Part]:
    """Batch files of the requests the output lacks, as parts not yet uploaded."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = split_requests(read_requests(input_path, output.done), limits, folder)
    return [Part(file.name, file.url, file.count) for file in files]


def _lacking(input_path: Path, output_path: Path) -> int:
    """Requests of the input the output does not hold."""
    with OutputFile(output_path) as now:
        return sum(1 for _ in read_requests(input_path, now.done))


# -- the batches, from upload to merge ------------------------------------------------------


class _BatchRun:
    """The parts of a round, each started, polled until its batch ends, and merged."""

    def __init__(
        self,
        client: AsyncOpenAI,
        state: State,
        output: OutputFile,
        progress: Progress,
        summary: Summary,
        window: str,
        poll_interval: Optional[float],
    ) -> None:
        self.client, self.state, self.output = client, state, output
        self.progress, self.summary = progress, summary
        self.window, self.poll_interval = window, poll_interval
        self.advised = DEFAULT_POLL  # the last wait the API asked for

    async def start(self, part: Part) -> None:
        """Upload the part and create its batch, each step saved as soon as it is done."""
        # Only a file uploaded by an earlier run can have a batch whose id was not saved.
        uploaded_before = part.file_id is not None
        if part.file_id is None:
            uploaded = await self.client.files.upload(self.state.folder / part.name, "batch")
            part.file_id = uploaded["id"]
            self.state.save()
        if part.batch_id is None:
            batch = await self._created_before(part.file_id) if uploaded_before else None
            if batch is None:
                metadata = {"openaistream": f"bulk {part.name}"}
                batch = await self.client.batches.create(
                    part.file_id, part.url, self.window, metadata=metadata
                )
            part.batch_id, part.status = batch["id"], batch["status"]
            self.state.save()

    async def _created_before(self, file_id: str) -> Optional[dict[str, Any]]:
        """The batch of this input file, if one was created before (a run stopped between
        creating it and saving its id: it is among the latest batches). One the queue
        refused does not count: the part is waiting to be created again."""
        listed = await self.client.batches.list(limit=100)
        for batch in listed.get("data", []):
            if batch.get("input_file_id") == file_id and not _refused_for_a_full_queue(batch):
                return dict(batch)
        return None

    async def to_the_end(self) -> None:
        """Poll the batches not merged yet, merging each as soon as it ends, until all are."""
        while True:
            waits, freed = await self._poll_round()
            waiting = [part for part in self.state.parts if part.batch_id is None]
            # The batches the full queue refused are created again once one of the run has
            # ended, or when none is left to end (each then ends or is left next round).
            if waiting and (freed or not self._running()):
                for part in waiting:
                    await self.start(part)
            self.state.save()
            self._show()
            if all(part.merged for part in self.state.parts):
                return
            wait = min(waits) if waits else self.advised
            await asyncio.sleep(self.poll_interval if self.poll_interval is not None else wait)

    async def _poll_round(self) -> tuple[list[float], bool]:
        """Each started batch retrieved once; those ended merged. The waits the API asked
        for, and whether a batch ended (its room in the queue freed)."""
        waits: list[float] = []
        freed = False
        for part in self.state.parts:
            if part.merged or part.batch_id is None:
                continue
            answer = await self.client.with_raw_response.batches.retrieve(part.batch_id)
            batch = answer.parse()
            part.status, part.counts = batch["status"], dict(batch.get("request_counts") or {})
            self.advised = _poll_after(answer.headers)  # also the wait after a new batch
            if part.status not in ENDED:
                waits.append(self.advised)
                continue
            self.state.save()  # its end known, whatever becomes of the merge
            if not _refused_for_a_full_queue(batch):
                await self._merge(part, batch)
                freed = True
            elif freed or self._running(but=part):
                part.batch_id = part.status = None  # created again in a later round
                part.counts = {}
            else:
                self._leave(part)
        return waits, freed

    def _running(self, but: Optional[Part] = None) -> bool:
        """Whether a batch of the run (`but` aside) has not ended."""
        return any(
            part is not but and part.batch_id is not None and part.status not in ENDED
            for part in self.state.parts
        )

    def _leave(self, part: Part) -> None:
        """None of the part's requests written: the next run sends them again."""
        self.summary.left += part.count
        part.merged = True
        self.state.save()

    def _show(self) -> None:
        """Merged batches by what was written, the others by their request_counts."""
        summary = self.summary
        running = [part for part in self.state.parts if not part.merged]
        completed = sum(part.counts.get("completed", 0) for part in running)
        failed = sum(part.counts.get("failed", 0) for part in running)
        self.progress.update(
            done=summary.skipped + summary.succeeded + completed,
            failed=summary.failed + failed,
            in_flight=sum(part.count for part in running) - completed - failed,
        )

    async def _merge(self, part: Part, batch: dict[str, Any]) -> None:
        """Write the ended batch's answers the output lacks; count what it left undone."""
        output, summary = self.output, self.summary
        written = 0
        if batch["status"] == "failed":
            written += _write_failed(self.state.folder / part.name, batch, output, summary)
        for file_id in (batch.get("output_file_id"), batch.get("error_file_id")):
            if file_id:
                written += await _write_lines(self.client, file_id, output, summary)
        summary.left += max(0, part.count - written)
        part.merged = True
        self.state.save()


def _poll_after(headers: Any) -> float:
    try:
        return max(0.0, float(headers[POLL_AFTER]) / 1000)
    except (KeyError, TypeError, ValueError):
        return DEFAULT_POLL


def _refused_for_a_full_queue(batch: dict[str, Any]) -> bool:
    errors = (batch.get("errors") or {}).get("data") or []
    return batch["status"] == "failed" and any(error.get("code") == QUEUE_FULL for error in errors)


# -- merging --------------------------------------------------------------------------------


async def _write_lines(
    client: AsyncOpenAI, file_id: str, output: OutputFile, summary: Summary
) -> int:
    """The lines of an output or error file, as they arrive: those already in the output
    (a merge stopped half-way) are passed over, those a batch did not get to left out."""
    written = 0
    async with await client.batches.read_output(file_id) as stream:
        async for line in stream:
            error = line.get("error") or {}
            if error.get("code") in UNDONE:
                continue
            written += 1
            if line.get("custom_id") in output.done:
                continue
            output.write(line)
            response = line.get("response") or {}
            if 200 <= int(response.get("status_code") or 0) < 300:
                summary.succeeded += 1
            else:
                summary.failed += 1
    return written


def _write_failed(path: Path, batch: dict[str, Any], output: OutputFile, summary: Summary) -> int:
    """Each request of a batch refused as a whole, as an error line naming why."""
    reasons = [item.get("message", "") for item in (batch.get("errors") or {}).get("data", [])]
    message = f"batch {batch['id']} failed: {'; '.join(reasons) or 'no reason given'}"
    written = 0
    for custom_id in _custom_ids(path):
        written += 1
        if custom_id not in output.done:
            output.write(error_record(custom_id, "batch_failed", message))
            summary.failed += 1
    return written


def _custom_ids(path: Path) -> Iterator[str]:
    for request in read_requests(path):
        yield request.custom_id
