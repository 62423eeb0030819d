"""When to try a request again, and how long to wait first: a retry policy as a value.

Retried: connection errors, and the statuses 408, 409, 429 and >= 500, unless the server says
`x-should-retry: false` (and any status when it says `true`). The wait doubles from
`backoff` up to `backoff_max`, with jitter; a `retry-after-ms` or `retry-after`
header from the server is honoured up to `retry_after_max` seconds. A request is never
retried once any of its body has reached the caller: the core only retries before it returns
a Response.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional, Union

__all__ = ["RetryPolicy"]

RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a failed call again: `OpenAI(max_retries=...)`
    takes one, or a number for `max_retries` alone.

    An attempt is tried again after a connection error or timeout before any answer, or an
    answer of 408, 409, 429 or 5xx, unless the server says otherwise with `x-should-retry`. A
    stream that fails once its body has begun is not retried: what it received stays on the
    error. The wait is the server's `retry-after-ms` or `retry-after` when given (up to
    `retry_after_max`), else an exponential backoff with jitter.

    Args:
        max_retries: Retries after the first try; 0 for none.
        backoff: The first wait, in seconds; each retry doubles it.
        backoff_max: The longest wait of the backoff, in seconds.
        retry_after_max: The longest wait a server's `retry-after` may ask for, in seconds;
            a longer one is not honoured, and the backoff is used instead.

    Raises:
        TypeError: `max_retries` is not an integer.
        ValueError: `max_retries` is negative.
    """

    max_retries: int = 2
    backoff: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise TypeError(f"max_retries must be an integer, not {self.max_retries!r}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {self.max_retries}")

    @classmethod
    def of(cls, value: Union[RetryPolicy, int]) -> RetryPolicy:
        """The policy a client's `max_retries` stands for: itself, or a number of retries."""
        return value if isinstance(value, RetryPolicy) else cls(max_retries=value)

    def retries_status(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether a response with this status and these headers is worth another try."""
        should = headers.get("x-should-retry")
        if should == "true":
            return True
        if should == "false":
            return False
        return status in RETRY_STATUSES or status >= 500

    def wait(self, retry: int, headers: Optional[Mapping[str, str]] = None) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        asked = _retry_after(headers or {})
        if asked is not None and 0 <= asked <= self.retry_after_max:
            return asked
        delay = min(self.backoff * 2 ** (retry - 1), self.backoff_max)
        # Up to a quarter less, so clients that failed together do not retry together.
        return delay * (1 - 0.25 * random.random())


def _retry_after(headers: Mapping[str, str]) -> Optional[float]:
    """The wait the server asked for, in seconds, if it asked."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # rare, and ~10 ms to import

    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None
