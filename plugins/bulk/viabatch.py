"""The Batch API path of a bulk run (``via="batch"``): the input split into batch files
within the API's limits, each uploaded and run as a batch, the batches polled, and their
output and error files merged into the same output the direct path writes.

Everything needed to pick a run up again is kept beside the output in ``OUTPUT.batches.json``
(replaced whole at each change) and the part files in ``OUTPUT.batches/``: a run stopped
anywhere and run again uploads what was not uploaded, creates the batches not created (a
batch created just before a crash is found again by its input file, not created twice),
polls the others, and merges only what the output does not hold. When every batch has been
merged both are removed; requests a batch left undone (it expired, or was cancelled) are not
written, and the next run sends them in a new round.
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
    """The parts of this round, kept beside the output."""

    def __init__(self, output: Path) -> None:
        self.path = output.with_name(output.name + ".batches.json")
        self.folder = output.with_name(output.name + ".batches")
        self.parts: list[Part] = []

    def load(self) -> bool:
        if not self.path.exists():
            return False
        saved = json.loads(self.path.read_text(encoding="utf-8"))
        self.parts = [Part(**part) for part in saved["parts"]]
        return True

    def save(self) -> None:
        written = self.path.with_name(self.path.name + ".tmp")
        text = json.dumps({"parts": [asdict(part) for part in self.parts]}, indent=1)
        written.write_text(text, encoding="utf-8")
        os.replace(written, self.path)  # whole or not at all

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.path.unlink()


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
    state = State(output.path)
    if not state.load():
        try:
            state.parts = _split(input_path, output, limits, state.folder)
        except BaseException:
            shutil.rmtree(state.folder, ignore_errors=True)
            raise
        if not state.parts:
            shutil.rmtree(state.folder, ignore_errors=True)
            return summary
        state.save()
    resumed = {part.name for part in state.parts if part.file_id is not None}
    for part in state.parts:
        await _start(client, part, state, completion_window, resumed=part.name in resumed)
    await _run_to_the_end(client, state, output, progress, summary, poll_interval)
    state.remove()
    return summary


# -- splitting ------------------------------------------------------------------------------


def _split(input_path: Path, output: OutputFile, limits: BatchLimits, folder: Path) -> list[Part]:
    """Batch files of the requests the output lacks, as parts not yet uploaded."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = split_requests(read_requests(input_path, output.done), limits, folder)
    return [Part(file.name, file.url, file.count) for file in files]


# -- starting and polling -------------------------------------------------------------------


async def _start(
    client: AsyncOpenAI, part: Part, state: State, window: str, *, resumed: bool
) -> None:
    """Upload the part and create its batch, each step saved as soon as it is done."""
    if part.file_id is None:
        uploaded = await client.files.upload(state.folder / part.name, "batch")
        part.file_id = uploaded["id"]
        state.save()
    if part.batch_id is None:
        # Only a file uploaded by an earlier run can have a batch whose id was not saved.
        batch = await _created_before(client, part.file_id) if resumed else None
        if batch is None:
            metadata = {"openaistream": f"bulk {part.name}"}
            batch = await client.batches.create(part.file_id, part.url, window, metadata=metadata)
        part.batch_id = batch["id"]
        part.status = batch["status"]
        state.save()


async def _created_before(client: AsyncOpenAI, file_id: str) -> Optional[dict[str, Any]]:
    """The batch of this input file, if one was created before (a run stopped between
    creating it and saving its id: it is among the latest batches)."""
    listed = await client.batches.list(limit=100)
    for batch in listed.get("data", []):
        if batch.get("input_file_id") == file_id:
            return dict(batch)
    return None


async def _run_to_the_end(
    client: AsyncOpenAI,
    state: State,
    output: OutputFile,
    progress: Progress,
    summary: Summary,
    poll_interval: Optional[float],
) -> None:
    """Poll the batches not merged yet, merging each as soon as it ends, until all are."""
    raw = client.with_raw_response
    while True:
        waits = []
        for part in state.parts:
            if part.merged:
                continue
            assert part.batch_id is not None  # every part was started
            answer = await raw.batches.retrieve(part.batch_id)
            batch = answer.parse()
            part.status, part.counts = batch["status"], dict(batch.get("request_counts") or {})
            if part.status in ENDED:
                state.save()  # its end known, whatever becomes of the merge
                await _merge(client, part, batch, state, output, summary)
            else:
                waits.append(_poll_after(answer.headers))
        state.save()
        _show(state, progress, summary)
        if not waits:
            return
        await asyncio.sleep(poll_interval if poll_interval is not None else min(waits))


def _poll_after(headers: Any) -> float:
    try:
        return max(0.0, float(headers[POLL_AFTER]) / 1000)
    except (KeyError, TypeError, ValueError):
        return DEFAULT_POLL


def _show(state: State, progress: Progress, summary: Summary) -> None:
    completed = sum(part.counts.get("completed", 0) for part in state.parts)
    failed = sum(part.counts.get("failed", 0) for part in state.parts)
    waiting = sum(part.count for part in state.parts if part.status not in ENDED)
    progress.update(done=summary.skipped + completed, failed=failed, in_flight=waiting)


# -- merging --------------------------------------------------------------------------------


async def _merge(
    client: AsyncOpenAI,
    part: Part,
    batch: dict[str, Any],
    state: State,
    output: OutputFile,
    summary: Summary,
) -> None:
    """Write the ended batch's answers the output lacks; count what it left undone."""
    written = 0
    if batch["status"] == "failed":
        written += _write_failed(state.folder / part.name, batch, output, summary)
    for file_id in (batch.get("output_file_id"), batch.get("error_file_id")):
        if file_id:
            written += await _write_lines(client, file_id, output, summary)
    summary.left += max(0, part.count - written)
    part.merged = True
    state.save()


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
