"""Polling an object until its work is done: for any plugin whose API answers "in progress"
and is asked again later (vector store files and file batches; videos, ...).

`poll(resource, "files_retrieve", vector_store_id, file_id)` calls
`resource.files_retrieve(vector_store_id, file_id)` until the object's `status` leaves the pending
states, then returns the object, whatever status it ended in (`completed`, `failed`, `cancelled`:
the caller reads it, as openai-python's `poll` leaves it to them). Between two calls it waits what
the API asked for in the `openai-poll-after-ms` header of the last answer (one second when it sent
none), or `poll_interval` seconds when the caller gives one; it gives up with
[`PollTimeoutError`][openaistream.plugins.polling.PollTimeoutError] once `max_wait` seconds have
passed. Written once as steps for `Resource.run`: blocking on `OpenAI`, awaited on `AsyncOpenAI`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Generator, Sequence
from typing import Any, Callable, Optional

import openaistream

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_MAX_WAIT",
    "PENDING",
    "POLL_AFTER",
    "PollTimeoutError",
    "check_poll_options",
    "poll",
]

DEFAULT_INTERVAL = 1.0  # seconds between polls when the API names none
DEFAULT_MAX_WAIT = 1800.0  # seconds: a large batch of files can take many minutes
PENDING = ("queued", "in_progress")
POLL_AFTER = "openai-poll-after-ms"  # the API's own advice, in milliseconds


class PollTimeoutError(openaistream.OpenAIError, TimeoutError):
    """The object was still pending when `max_wait` ran out. `last` is the object as
    last retrieved, `status` its status; polling it again later goes on from there."""

    def __init__(self, message: str, *, last: Any) -> None:
        super().__init__(message)
        self.last = last
        self.status = last.get("status") if isinstance(last, dict) else None


def check_poll_options(poll_interval: Optional[float], max_wait: float) -> None:
    """Clear errors naming a bad `poll_interval` or `max_wait`, before any network."""
    if poll_interval is not None and (not _is_number(poll_interval) or poll_interval <= 0):
        raise ValueError(f"poll_interval must be a number of seconds > 0, not {poll_interval!r}")
    if not _is_number(max_wait) or max_wait < 0:
        raise ValueError(f"max_wait must be a number of seconds >= 0, not {max_wait!r}")


def poll(
    resource: openaistream.Resource,
    method: str,
    *args: Any,
    poll_interval: Optional[float] = None,
    max_wait: float = DEFAULT_MAX_WAIT,
    pending: Sequence[str] = PENDING,
    verbosity: Optional[int] = None,
) -> Any:
    """The object `resource.<method>(*args)` answers, retrieved until its status is not
    one of `pending`: on `AsyncOpenAI` an awaitable of it. Inside the steps of another
    method, `yield` it."""
    check_poll_options(poll_interval, max_wait)
    retrieve = functools.partial(
        # The raw face of the method: the answer's headers carry the API's advice on when
        # to ask again.
        getattr(resource.with_raw_response, method),
        *args,
        verbosity=verbosity,
    )
    return resource.run(_polled(resource, retrieve, poll_interval, max_wait, tuple(pending)))


def _polled(
    resource: openaistream.Resource,
    retrieve: Callable[[], Any],
    poll_interval: Optional[float],
    max_wait: float,
    pending: tuple[str, ...],
) -> Generator[Any, Any, Any]:
    deadline = time.monotonic() + max_wait
    while True:
        raw = yield retrieve()
        found = raw.parse()
        status = found.get("status") if isinstance(found, dict) else None
        if status not in pending:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            raise PollTimeoutError(_still_pending(found, status, max_wait), last=found)
        yield resource.wait(min(_interval(raw.headers, poll_interval), left))


def _interval(headers: dict[str, str], given: Optional[float]) -> float:
    """The seconds to wait before the next poll: the caller's, else the API's, else 1."""
    if given is not None:
        return given
    try:
        milliseconds = int(headers.get(POLL_AFTER, ""))
    except ValueError:  # absent or not a number: the default
        return DEFAULT_INTERVAL
    return milliseconds / 1000 if milliseconds >= 0 else DEFAULT_INTERVAL


def _still_pending(found: dict[str, Any], status: str, max_wait: float) -> str:
    kind = found.get("object") or "the object"
    name = f"{kind} {found['id']!r}" if found.get("id") else kind
    return (
        f"{name} is still {status!r} after max_wait={max_wait:g} s of polling; poll it again "
        "later, or give a larger max_wait"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
