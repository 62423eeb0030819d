"""The `bulk` resource: a file of requests in the Batch API's input format run to a file of
answers in its output format, either directly (as many at once as the rate limits allow, on
`AsyncOpenAI`) or through the Batch API (`via="batch"`: half the price, a day's window).

    summary = client.bulk.process("requests.jsonl", "answers.jsonl")
    summary = await aclient.bulk.process("requests.jsonl", "answers.jsonl", via="batch")

Running it again with the same files resumes: the custom ids already in the output are not
sent again. The same from the command line: `openaistream bulk run IN -o OUT`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import openaistream
from openaistream.resource import PathLike, local

if TYPE_CHECKING:
    from .inputs import InputSummary

__all__ = ["VIAS", "Bulk", "BulkStoppedError", "InputError", "Summary"]

VIAS = ("direct", "batch")
# Loaded when first named: building a client loads every resource plugin, and a run's
# modules (asyncio among them) are for the few that run one.
_LAZY = {"BulkStoppedError": "runner", "InputError": "inputs", "Summary": "summary"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Bulk(openaistream.Resource):
    """A file of requests run to a file of answers, both in the Batch API's formats, as
    `client.bulk`.

    `process` sends the requests directly, at the key's rate limits, or through the Batch API
    (`via="batch"`: half the price, a day's window). Running it again with the same files
    resumes: a request already answered in the output is not sent again. `check` reads an
    input without sending anything. On `AsyncOpenAI`, `process` is awaited.

    ```python
    summary = client.bulk.process("requests.jsonl", "answers.jsonl")
    summary = client.bulk.process("requests.jsonl", "answers.jsonl", via="batch")
    ```
    """

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
        max_batch_requests: int = 50_000,
        max_batch_bytes: int = 200 * 1024 * 1024,
        poll_interval: Optional[float] = None,
    ) -> Any:
        """Run every request of `input` (Batch API input lines) and write one answer a
        request to `output` (Batch API output lines); the counts of the run. A request
        already answered in `output` is not sent again, so a run stopped anywhere is
        resumed by running it again.

        `via="direct"` sends the requests at the key's rate limits, read from the answers'
        `x-ratelimit-*` headers or capped by `max_rpm` / `max_tpm` (a minute's
        requests and tokens), `concurrency` at most at once, each tried up to
        `max_attempts` times. `via="batch"` sends them through the Batch API instead,
        in batches of at most `max_batch_requests` requests and `max_batch_bytes` bytes
        (the API's limits), polled as the API asks or every `poll_interval` seconds.
        `progress`: `"auto"` (a bar on a terminal, lines elsewhere), `"bar"`,
        `"lines"` or `"quiet"`. Every argument and every line of the input is checked
        before anything is sent. On `AsyncOpenAI` this returns an awaitable.

        The per-call options (`timeout`, `extra_headers`, ...) are not taken here: the run's
        requests are sent by workers of their own. Run it on a client made for it instead,
        `client.with_options(timeout=120, default_headers={...}).bulk.process(...)`.
        """
        from .job import Job, run_blocking  # the run's modules load when one is asked for

        job = Job.checked(
            input, output, via, progress,
            direct=(max_rpm, max_tpm, concurrency, max_attempts),
            batch=(max_batch_requests, max_batch_bytes, poll_interval),
        )  # fmt: skip
        if isinstance(self.client, openaistream.AsyncOpenAI):
            return job.run(self.client)
        return run_blocking(job, self.client)

    @local
    def check(self, input: PathLike) -> InputSummary:
        """Check an input without sending anything: how many requests, to which URLs; an
        InputError naming every line that cannot be sent."""
        from .inputs import check_input
        from .job import existing

        return check_input(existing(input, "input"))


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("bulk", Bulk)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from ..commands.bulk import command  # only the command line loads click

    cli.add_command(command())
