"""Pacing a bulk run at the rate limit, not over it.

Two budgets, requests and tokens, each a bucket that refills continuously as the API's own
limits do. Their size and refill rate come from `--max-rpm` / `--max-tpm` or, once the
first answer arrives, from its `x-ratelimit-*` headers: `limit` is the bucket's size,
`remaining` its level, and `reset` (the time until the bucket is full again) gives the
refill rate, so a server whose "minute" is not sixty seconds is read right too. Until the
first answer says what the limits are, one request goes out alone.

A 429 stops every request from starting until its `Retry-After` has passed and empties
the bucket it names, instead of each request retrying on its own.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from typing import Callable, Optional

__all__ = ["Bucket", "Limiter", "parse_duration"]

SAFETY = 0.99  # of the refill rate spent: clocks and rounding differ a little between ends
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_duration(text: str) -> Optional[float]:
    """Seconds in a duration as the API writes it (`1s`, `6m0s`, `20ms`, `1.5s`;
    a bare number is seconds); None when it is not one."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


class Bucket:
    """A budget of `size` units refilled at `rate` units a second."""

    def __init__(self, size: float, rate: float, level: float, now: float) -> None:
        self.size = size
        self.rate = rate
        self.level = level
        self.measured_from = 0.0  # the spend the refill rate was measured on: more is surer
        self._at = now

    def refill(self, now: float) -> None:
        self.level = min(self.size, self.level + (now - self._at) * self.rate)
        self._at = now

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` fits (a cost above the size waits for a full bucket)."""
        missing = min(cost, self.size) - self.level
        return max(0.0, missing / self.rate) if self.rate > 0 else 0.0


class Limiter:
    def __init__(
        self,
        max_rpm: Optional[float] = None,
        max_tpm: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        now = clock()
        self._max = {"requests": max_rpm, "tokens": max_tpm}
        self.buckets: dict[str, Bucket] = {}
        for kind, per_minute in self._max.items():
            if per_minute is not None:
                self.buckets[kind] = Bucket(per_minute, per_minute / 60.0 * SAFETY, per_minute, now)
        # Until an answer tells the limits, one request at a time (both given: no need).
        self._learned = max_rpm is not None and max_tpm is not None
        self._in_flight = 0
        self._largest = 0  # the most tokens one request has cost: what an unseen one may take
        self._paused_until = 0.0
        # Made in the run's event loop, on first use (Python 3.9 binds them to a loop).
        self._turn_lock: Optional[asyncio.Lock] = None  # requests start in the order they asked
        self._answer_event: Optional[asyncio.Event] = None

    @property
    def _turn(self) -> asyncio.Lock:
        if self._turn_lock is None:
            self._turn_lock = asyncio.Lock()
        return self._turn_lock

    @property
    def _answered(self) -> asyncio.Event:
        if self._answer_event is None:
            self._answer_event = asyncio.Event()
        return self._answer_event

    async def acquire(self, tokens: int) -> None:
        """Wait until a request of `tokens` may start, then take its cost."""
        async with self._turn:
            while not self._learned and self._in_flight:  # the first answer is not in yet
                self._answered.clear()
                await self._answered.wait()
            while True:
                wait = self._wait_for(tokens)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._take("requests", 1)
            self._take("tokens", tokens)
            self._largest = max(self._largest, tokens)
            self._in_flight += 1

    def finished(self, headers: Optional[Mapping[str, str]]) -> None:
        """A request got its answer (or gave up): learn what its headers tell."""
        self._in_flight -= 1
        if headers:
            self.learn(headers)
        self._learned = True  # one answer, headers or none: the gate opens
        self._answered.set()

    def learn(self, headers: Mapping[str, str]) -> None:
        now = self._clock()
        for kind in ("requests", "tokens"):
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}") or "")
            if limit is None or limit <= 0:
                continue
            spent = limit - remaining if remaining is not None else 0.0
            rate = _refill_rate(limit, remaining, reset)
            self._adopt(kind, limit, rate, remaining, spent, now)
            if remaining is not None:
                self._catch_up(kind, remaining)

    def pause(self, seconds: float, kind: Optional[str] = None) -> None:
        """A 429: nothing starts for `seconds`, and the named budget starts empty."""
        now = self._clock()
        self._paused_until = max(self._paused_until, now + seconds)
        for name, bucket in self.buckets.items():
            if kind in (None, name):
                bucket.refill(now)
                bucket.level = min(bucket.level, 0.0)

    def give_back(self, tokens: int) -> None:
        """A request that was not counted by the server (a 429 takes nothing)."""
        for kind, cost in (("requests", 1), ("tokens", tokens)):
            bucket = self.buckets.get(kind)
            if bucket is not None:
                bucket.level = min(bucket.size, bucket.level + cost)

    def _adopt(
        self,
        kind: str,
        limit: float,
        rate: Optional[float],
        remaining: Optional[float],
        spent: float,
        now: float,
    ) -> None:
        ceiling = self._max[kind]
        size = limit if ceiling is None else min(limit, ceiling)
        bucket = self.buckets.get(kind)
        if bucket is None:
            if rate is None:
                rate = limit / 60.0
            level = size if remaining is None else min(size, remaining)
            self.buckets[kind] = bucket = Bucket(size, rate * SAFETY, level, now)
            bucket.measured_from = spent
            return
        bucket.refill(now)
        bucket.size = size
        # A rate read off a larger spend is the surer one: the reset is rounded.
        surer = spent >= bucket.measured_from
        if rate is not None and surer and (ceiling is None or rate * 60.0 <= ceiling):
            bucket.rate = rate * SAFETY
            bucket.measured_from = spent

    def _catch_up(self, kind: str, remaining: float) -> None:
        """Raise the budget to what the server says is left, less what may not have reached
        it yet. A refill rate guessed too low (a bucket the server never let us see drawn
        down) would otherwise hold the run below the limit for good."""
        bucket = self.buckets[kind]
        unseen = self._in_flight * (1 if kind == "requests" else self._largest)
        bucket.level = max(bucket.level, min(bucket.size, remaining - unseen))

    def _wait_for(self, tokens: int) -> float:
        now = self._clock()
        wait = self._paused_until - now
        for kind, cost in (("requests", 1), ("tokens", tokens)):
            bucket = self.buckets.get(kind)
            if bucket is not None:
                bucket.refill(now)
                wait = max(wait, bucket.wait_for(cost))
        return wait

    def _take(self, kind: str, cost: float) -> None:
        bucket = self.buckets.get(kind)
        if bucket is not None:
            bucket.level -= cost


def _refill_rate(
    limit: float, remaining: Optional[float], reset: Optional[float]
) -> Optional[float]:
    """Units a second, from how long the bucket takes to refill what it lacks; None when the
    headers cannot tell (a full bucket, or too little spent to measure)."""
    if remaining is None or reset is None or reset <= 0:
        return None
    spent = limit - remaining
    if spent < max(2.0, limit / 100):
        return None
    return spent / reset


def _number(text: Optional[str]) -> Optional[float]:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None
