"""The parts of a bulk run that need no server: the rate-limit budgets and the durations the
API writes, the token estimate and its correction, the set of ids done, the progress
display, and the output file's lines."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from openaistream.plugins.bulk.ids import IdSet, Repeats
from openaistream.plugins.bulk.limiter import SAFETY, Limiter, parse_duration
from openaistream.plugins.bulk.outputs import OutputFile, error_record, response_record
from openaistream.plugins.bulk.progress import Progress
from openaistream.plugins.bulk.tokens import TokenEstimator


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1.5s", 1.5), ("1h2m3s", 3723.0),
     ("2", 2.0), ("0.25", 0.25), ("soon", None), ("1x", None), ("", None)],
)  # fmt: skip
def test_durations_as_the_api_writes_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_the_budgets_come_from_the_headers_limit_level_and_refill_rate() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.learn(
        {
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "400",
            "x-ratelimit-reset-requests": "12s",  # 100 missing, refilled in 12 s
            "x-ratelimit-limit-tokens": "90000",
            "x-ratelimit-remaining-tokens": "90000",  # full: the rate cannot be read
            "x-ratelimit-reset-tokens": "0s",
        }
    )
    requests, tokens = limiter.buckets["requests"], limiter.buckets["tokens"]
    assert (requests.size, requests.level) == (500, 400)
    assert requests.rate == pytest.approx(100 / 12 * SAFETY)
    assert (tokens.size, tokens.level) == (90000, 90000)
    assert tokens.rate == pytest.approx(90000 / 60 * SAFETY)  # a minute, as the API's limits


def test_a_cap_below_the_servers_limit_wins() -> None:
    clock = Clock()
    limiter = Limiter(max_rpm=60, clock=clock)
    limiter.learn({"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "100",
                   "x-ratelimit-reset-requests": "48s"})  # fmt: skip
    bucket = limiter.buckets["requests"]
    assert bucket.size == 60
    assert bucket.rate == pytest.approx(1.0 * SAFETY)  # 60 a minute, not the server's 500


def test_acquiring_waits_for_the_budget_and_a_429_empties_it() -> None:
    async def scenario() -> list[float]:
        loop = asyncio.get_running_loop()
        limiter = Limiter(max_rpm=600, max_tpm=10**9)  # 10 a second, a bucket of 600
        limiter.buckets["requests"].level = 1
        started = loop.time()
        await limiter.acquire(1)  # the one left
        limiter.finished(None)
        await limiter.acquire(1)  # waits ~0.1 s for the refill
        limiter.finished(None)
        refilled = loop.time() - started
        limiter.pause(0.2)
        paused = loop.time()
        await limiter.acquire(1)
        limiter.finished(None)
        return [refilled, loop.time() - paused]

    refilled, paused = asyncio.run(scenario())
    assert refilled >= 0.09
    assert paused >= 0.19  # the pause (the emptied bucket refills meanwhile, as the server's)


def test_the_first_request_goes_alone_until_its_answer() -> None:
    async def scenario() -> list[str]:
        limiter = Limiter()
        order: list[str] = []
        await limiter.acquire(1)
        order.append("first sent")

        async def second() -> None:
            await limiter.acquire(1)
            order.append("second sent")

        waiting = asyncio.ensure_future(second())
        await asyncio.sleep(0.05)
        order.append("first answered")
        limiter.finished({})
        await waiting
        return order

    assert asyncio.run(scenario()) == ["first sent", "first answered", "second sent"]


def test_tokens_are_the_prompts_estimate_plus_the_answers_limit_corrected_by_usage() -> None:
    estimator = TokenEstimator()
    body = {"messages": [{"role": "user", "content": "x" * 396}], "max_completion_tokens": 50}
    cost, guess = estimator.estimate(body)
    assert guess == 101  # 400 characters, "user" included, at 4 a token
    assert cost == guess + 50
    for _ in range(200):  # the answers say the prompts cost twice the guess
        estimator.learn(guess, {"prompt_tokens": 2 * guess})
    assert estimator.estimate(body)[0] == pytest.approx(2 * guess + 50, abs=2)
    assert TokenEstimator().estimate({"input": ["ab" * 8], "max_output_tokens": 7}) == (5 + 7, 5)


def test_the_set_of_ids_holds_many_in_little_and_answers_exactly() -> None:
    ids = IdSet(f"row-{number}" for number in range(150_000))  # three slices merged
    assert len(ids) == 150_000
    assert all(f"row-{number}" in ids for number in (0, 65_535, 65_536, 149_999))
    assert "row-150000" not in ids and "row--1" not in ids and 7 not in ids
    assert len(IdSet()) == 0 and "row-0" not in IdSet()


def test_repeats_flags_every_repeat_and_few_first_sightings() -> None:
    repeats = Repeats(10_000)
    flagged = sum(repeats.seen_before(f"id-{number}") for number in range(10_000))
    assert flagged < 300  # about 1% by design; never a repeat missed:
    assert all(repeats.seen_before(f"id-{number}") for number in range(0, 10_000, 7))


def test_progress_as_a_bar_plain_lines_or_nothing() -> None:
    clock = Clock()
    shown = {}
    for mode in ("bar", "lines", "quiet"):
        stream = io.StringIO()
        progress = Progress(200, mode, stream, clock=clock)
        progress.update(done=40, failed=10, in_flight=5, requests_per_minute=600)
        clock.now += 30
        progress.update(done=90, failed=10, in_flight=5, requests_per_minute=600)
        progress.close()
        shown[mode] = stream.getvalue()
    assert shown["quiet"] == ""
    lines = shown["lines"].splitlines()
    assert lines[0] == "bulk: 50/200 (25%), 10 failed, 5 in flight, 600 req/min, 0 tok/min, ETA ?"
    assert (
        lines[-1] == "bulk: 100/200 (50%), 10 failed, 5 in flight, 600 req/min, 0 tok/min, ETA 30s"
    )
    bar = shown["bar"]
    assert bar.startswith("\r[") and bar.endswith("\n") and "\n" not in bar[:-1]
    assert "[############............] 100/200 (50%)" in bar


def test_output_lines_are_whole_json_and_reopening_keeps_what_was_done(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with OutputFile(path) as output:
        output.write(response_record("a", 200, "req_1", {"text": "caf\u00e9 \U0001f600"}))
        output.write(error_record("b", "timeout", "no answer in 600 s"))
        output.write(response_record("c", 200, None, {"odd": "\ud800"}))  # a lone surrogate
    text = path.read_bytes()
    assert text.count(b"\n") == 3 and "café".encode() in text
    with OutputFile(path) as again:
        assert all(custom_id in again.done for custom_id in "abc") and "d" not in again.done
        assert len(again.done) == 3


def test_a_budget_guessed_too_low_catches_up_with_what_the_server_says_is_left() -> None:
    # A server whose bucket never drew down shows no refill rate: the guess (a minute's
    # worth) may be far too slow, but what it says is left, less what is in flight, is real.
    async def scenario() -> float:
        limiter = Limiter(clock=Clock())
        await limiter.acquire(5)
        limiter.finished(
            {"x-ratelimit-limit-requests": "2000", "x-ratelimit-remaining-requests": "1999"}
        )
        bucket = limiter.buckets["requests"]
        bucket.level = 3.0  # the guessed rate left three
        for _ in range(3):
            await limiter.acquire(5)
        limiter.finished(
            {"x-ratelimit-limit-requests": "2000", "x-ratelimit-remaining-requests": "1990"}
        )
        return bucket.level

    assert asyncio.run(scenario()) == 1990 - 2  # two requests still in flight
