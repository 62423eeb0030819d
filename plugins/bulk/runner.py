"""The direct path of a bulk run: every request of the input sent on `AsyncOpenAI`, as
many at once as `concurrency` and the rate limits allow, each ending as exactly one line of
the output.

A request is tried up to `max_attempts` times: a 429 (after the whole run has paused as
the server asked), a 408, 409 or 5xx, or no answer at all are tried again; any other status
is the request's answer. What a key cannot get past (401, 403, a 429 for
`insufficient_quota`) stops the run: the requests not yet written stay out of the output,
so the same command, run again once the key is fixed, sends them.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import openaistream
from openaistream import jsonlib

from .inputs import BulkRequest, api_path, read_requests
from .limiter import Limiter
from .outputs import OutputFile, error_record, response_record
from .progress import Progress
from .summary import Summary
from .tokens import TokenEstimator

if TYPE_CHECKING:
    from openaistream import AsyncOpenAI

__all__ = ["BulkStoppedError", "DirectOptions", "run_direct"]

_FATAL_STATUSES = (401, 403)


@dataclass(frozen=True)
class DirectOptions:
    max_rpm: Optional[float] = None
    max_tpm: Optional[float] = None
    concurrency: int = 64
    max_attempts: int = 5
    backoff: float = 0.5  # seconds before the second try of a 5xx or a failed connection
    backoff_max: float = 30.0


class BulkStoppedError(openaistream.OpenAIError):
    """The run stopped early: the key cannot go on (`__cause__` says why). The requests
    not written are sent by running the same command again; `summary` counts the run."""

    def __init__(self, message: str, summary: Summary) -> None:
        super().__init__(message)
        self.summary = summary


async def run_direct(
    client: AsyncOpenAI,
    input_path: Path,
    output: OutputFile,
    progress: Progress,
    summary: Summary,
    options: DirectOptions,
) -> Summary:
    """Send what the output lacks; the summary counts what was written."""
    run = _DirectRun(client, output, progress, summary, options)
    await run.send_all(read_requests(input_path, output.done))
    return summary


class _Rates:
    """Requests and tokens a minute, over the last minute (one slot a second)."""

    def __init__(self) -> None:
        self._slots: deque[list[float]] = deque()
        self._started = time.monotonic()

    def add(self, tokens: int) -> None:
        second = int(time.monotonic())
        if not self._slots or self._slots[-1][0] != second:
            self._slots.append([second, 0, 0])
            while self._slots[0][0] <= second - 60:
                self._slots.popleft()
        self._slots[-1][1] += 1
        self._slots[-1][2] += tokens

    def per_minute(self) -> tuple[float, float]:
        span = min(60.0, max(1.0, time.monotonic() - self._started))
        requests = sum(slot[1] for slot in self._slots)
        tokens = sum(slot[2] for slot in self._slots)
        return requests * 60.0 / span, tokens * 60.0 / span


class _DirectRun:
    def __init__(
        self,
        client: AsyncOpenAI,
        output: OutputFile,
        progress: Progress,
        summary: Summary,
        options: DirectOptions,
    ) -> None:
        self.client = client.with_options(max_retries=0).with_raw_response
        self.output = output
        self.progress = progress
        self.summary = summary
        self.options = options
        self.limiter = Limiter(options.max_rpm, options.max_tpm)
        self.tokens = TokenEstimator()
        self.retry = openaistream.RetryPolicy(
            max_retries=options.max_attempts - 1,
            backoff=options.backoff,
            backoff_max=options.backoff_max,
        )
        self.rates = _Rates()
        self.in_flight = 0
        self.stopped: Optional[openaistream.APIStatusError] = None
        self.crashed: Optional[BaseException] = None  # a failure of our own, not the API's

    async def send_all(self, requests: Any) -> None:
        slots = asyncio.Semaphore(self.options.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        try:
            for request in requests:
                await slots.acquire()
                if self.crashed is not None:
                    raise self.crashed
                if self.stopped is not None:
                    slots.release()
                    break
                task = asyncio.ensure_future(self._send(request, slots))
                tasks.add(task)
                task.add_done_callback(functools.partial(self._settled, tasks))
            if tasks:
                await asyncio.gather(*tasks)
        finally:
            for task in tasks:  # Ctrl-C, or a failure of our own: nothing half-written
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            self._show()
        if self.stopped is not None:
            self.summary.left = self.summary.total - self.summary.skipped - self._written()
            raise BulkStoppedError(
                f"the run stopped: {self.stopped}; {self.summary.left:,} request(s) were not "
                "sent or not written: run the same command again to send them",
                self.summary,
            ) from self.stopped

    def _settled(self, tasks: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.crashed is None:
            self.crashed = task.exception()  # stop sending: the loop raises it

    async def _send(self, request: BulkRequest, slots: asyncio.Semaphore) -> None:
        self.in_flight += 1
        try:
            await self._attempts(request)
        finally:
            self.in_flight -= 1
            slots.release()
            self._show()

    async def _attempts(self, request: BulkRequest) -> None:
        cost, guess = self.tokens.estimate(request.body)
        for attempt in range(1, self.options.max_attempts + 1):
            if self.stopped is not None:
                return
            await self.limiter.acquire(cost)
            if self.stopped is not None:  # it stopped while this one waited its turn
                self.limiter.finished(None)
                self.limiter.give_back(cost)
                return
            last = attempt == self.options.max_attempts
            wait = await self._try(request, cost, guess, attempt, last)
            if wait is None:
                return
            await asyncio.sleep(wait)

    async def _try(
        self, request: BulkRequest, cost: int, guess: int, attempt: int, last: bool
    ) -> Optional[float]:
        """One try: None when the request is settled (written, or the run stopped), else the
        seconds to wait before the next."""
        try:
            answer = await self._call(request)
        except openaistream.APIStatusError as error:
            return self._failed(request, error, cost, attempt, last)
        except (openaistream.APIConnectionError, openaistream.StreamError) as error:
            if not last:
                return self.retry.wait(attempt)
            timeout = isinstance(error, openaistream.APITimeoutError)
            record = error_record(request.custom_id, _no_answer_code(timeout), str(error))
            self._write(record, ok=False)
            return None
        body = _body(answer.content)
        usage = body.get("usage") if isinstance(body, dict) else None
        self.tokens.learn(guess, usage)
        record = response_record(request.custom_id, answer.status, answer.request_id, body)
        self._write(record, ok=True, tokens=_total_tokens(usage, cost))
        return None

    async def _call(self, request: BulkRequest) -> Any:
        """The request sent once; whatever happens, the limiter hears that it ended (and
        what the answer's headers say of the limits)."""
        headers: Optional[Mapping[str, str]] = None
        try:
            answer = await self.client.request(
                request.method, api_path(request.url), json=request.body, parse="bytes"
            )
            headers = answer.headers
            return answer
        except openaistream.APIStatusError as error:
            headers = error.headers
            raise
        finally:
            self.limiter.finished(headers)

    def _failed(
        self,
        request: BulkRequest,
        error: openaistream.APIStatusError,
        cost: int,
        attempt: int,
        last: bool,
    ) -> Optional[float]:
        fatal = error.status in _FATAL_STATUSES or error.code == "insufficient_quota"
        if fatal:
            self.stopped = self.stopped or error
            return None
        retried = self.retry.retries_status(error.status, error.headers)
        if error.status == 429:
            self.limiter.give_back(cost)  # a 429 took nothing from the budget
            kind = error.type if error.type in ("requests", "tokens") else None
            self.limiter.pause(self.retry.wait(1, error.headers), kind)
        if retried and not last:
            # After a 429 the limiter holds every request until the server's time is up.
            return 0.0 if error.status == 429 else self.retry.wait(attempt, error.headers)
        body = {"error": error.body} if _is_error_object(error.body) else error.body
        record = response_record(request.custom_id, error.status, error.request_id, body)
        self._write(record, ok=False)
        return None

    def _write(self, record: dict[str, Any], *, ok: bool, tokens: int = 0) -> None:
        self.output.write(record)
        if ok:
            self.summary.succeeded += 1
        else:
            self.summary.failed += 1
        self.rates.add(tokens)

    def _written(self) -> int:
        return self.summary.succeeded + self.summary.failed

    def _show(self) -> None:
        rpm, tpm = self.rates.per_minute()
        self.progress.update(
            done=self.summary.skipped + self.summary.succeeded,
            failed=self.summary.failed,
            in_flight=self.in_flight,
            requests_per_minute=rpm,
            tokens_per_minute=tpm,
        )


def _no_answer_code(timeout: bool) -> str:
    return "timeout" if timeout else "connection_error"


def _body(content: Optional[bytes]) -> Any:
    """The answer's body as JSON, or its text when it is not JSON."""
    if not content:
        return None
    try:
        return jsonlib.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def _is_error_object(body: Any) -> bool:
    """The inner `error` object that status errors keep, rather than a whole body."""
    return isinstance(body, dict) and "message" in body and "error" not in body


def _total_tokens(usage: Any, estimate: int) -> int:
    if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
        return int(usage["total_tokens"])
    return estimate
