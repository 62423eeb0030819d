# ruff: noqa: E501 - a benchmark script: table rows read best on one line
"""The bulk benchmark: ``openaistream bulk run`` against a local server that enforces rate
limits as the API does (tests/support/ratelimit_server.py), for issue 16's figures: the
throughput sustained against the allowed rate, requests lost or duplicated, and peak memory
from 10,000 to 100,000 input lines.

    python tests/benchmarks/bench_bulk.py            # 10,000 and 100,000 requests
    python tests/benchmarks/bench_bulk.py --quick    # 1,000 and 3,000 (the smoke test's)

The server and the run are processes of their own, one run at a time, each run against a
fresh server (full buckets). The limits are shrunk to a "minute" of a few seconds, at a rate
the client can keep up with on a shared machine (the API's own limits are the same buckets
over 60 s). The input alternates blocks of short prompts, where the requests budget binds,
and long prompts, where the tokens budget binds. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-bench-00000000000000000000"
DRAINED = 0.05  # a bucket under this share of its size: the initial burst is over
BLOCKS = 10  # alternations of short and long prompts in an input
SHORT = "Name one colour, item {n}."  # ~25 characters: ~7 tokens, +16 of answer
LONG = (
    "Summarise this line of the ledger, entry {n}: " + "lorem ipsum dolor sit amet " * 14
)  # ~430: ~108 tokens, +16


@dataclass(frozen=True)
class Limits:
    rpm: int  # requests a window
    tpm: int  # tokens a window
    window: float  # seconds in the server's "minute"

    def describe(self) -> str:
        return (
            f"{self.rpm:,} requests and {self.tpm:,} tokens a {self.window:g} s window "
            f"({self.rpm / self.window:,.0f} requests/s, {self.tpm / self.window:,.0f} tokens/s)"
        )


# Short prompts cost ~23 tokens: requests bind (600/s x 23 = ~14,000 tokens/s < 40,000).
# Long ones cost ~124: tokens bind (40,000 / 124 = ~320 requests/s). 600 requests/s: the
# client alone, unlimited, ran ~950/s on this machine (2 cores shared with other work), so
# the rate is the limiter's to keep, not the CPU's. A 2 s "minute" keeps the first bucketful
# (1,200 requests) small beside 10,000 lines, so both runs are measured mostly at the limit.
FULL = ((10_000, 100_000), Limits(rpm=1_200, tpm=80_000, window=2.0))
QUICK = ((1_000, 3_000), Limits(rpm=300, tpm=15_000, window=0.5))


def write_input(path: Path, lines: int) -> None:
    block = max(1, lines // BLOCKS)
    with path.open("w") as out:
        for n in range(lines):
            text = (SHORT if (n // block) % 2 == 0 else LONG).format(n=n)
            custom_id = f"r-{n}"
            body = {
                "model": "gpt-test",
                "messages": [{"role": "user", "content": text}],
                "max_tokens": 16,
                "user": custom_id,  # the server counts answers by it
            }
            request = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions"}
            out.write(json.dumps({**request, "body": body}) + "\n")


# -- one run: the server and the client, each a process --------------------------------------


def start_server(limits: Limits) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tests.support.ratelimit_server", "--rpm", str(limits.rpm)]
    command += ["--tpm", str(limits.tpm), "--window", str(limits.window)]
    server = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        server.kill()
        server.communicate()
        raise RuntimeError(f"the server did not start: {url!r}")
    return server, url


def stop_server(server: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = server.communicate(timeout=60)  # closing its stdin stops it
    return dict(json.loads(out.splitlines()[-1]))


def run_bulk(url: str, input_path: Path, output_path: Path) -> tuple[float, int, str]:
    """(seconds, peak RSS in KiB, stderr) of one ``openaistream bulk run``."""
    command = [sys.executable, "-m", "openaistream", "--api-key", KEY, "--base-url", url]
    command += ["bulk", "run", str(input_path), "-o", str(output_path), "-q"]
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as errors:
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, cwd=ROOT)
        _, status, usage = os.wait4(run.pid, 0)  # this child's own rusage, no other's
        run.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        errors.seek(0)
        stderr = errors.read()
    if run.returncode != 0:
        raise RuntimeError(f"bulk run failed ({run.returncode}): {stderr[-2000:]}")
    return seconds, int(usage.ru_maxrss), stderr


# -- the figures -------------------------------------------------------------------------


@dataclass
class Figures:
    lines: int
    seconds: float
    sustained: float  # requests/s admitted after the first bucketful
    allowed: float  # requests/s the buckets allowed for the same requests over the same span
    limited: int  # 429s the server answered
    lost: int
    duplicated: int
    failed: int  # output lines that are not a 200
    peak_rss_kib: int


def sustained_rates(counters: dict[str, Any], limits: Limits) -> tuple[float, float]:
    """(requests/s achieved, requests/s allowed) once the initial burst has drained a bucket.

    The server's buckets are replayed from its log of admissions (times and costs) up to the
    first moment one of them is nearly empty (under ``DRAINED`` of its size: the client has
    spent the first bucketful and is now held by the refill); from there, the same requests
    in the same order are sent by an ideal client that sends each the moment both buckets
    allow it. Its duration against the real one is the share of the allowed rate the real
    client sustained, whichever budget was binding at the time.
    """
    times, costs = counters["admitted_at"], counters["admitted_tokens"]
    rate_r, rate_t = limits.rpm / limits.window, limits.tpm / limits.window
    level_r, level_t, at = float(limits.rpm), float(limits.tpm), 0.0
    start = len(times)
    for i, (t, cost) in enumerate(zip(times, costs)):
        level_r = min(limits.rpm, level_r + (t - at) * rate_r) - 1
        level_t = min(limits.tpm, level_t + (t - at) * rate_t) - cost
        at = t
        if level_r < DRAINED * limits.rpm or level_t < DRAINED * limits.tpm:
            start = i + 1
            break
    rest = len(times) - start
    if rest < 2:
        raise RuntimeError("no bucket was drained before the run ended: nothing to measure")
    begun = ideal = times[start - 1]
    for cost in costs[start:]:
        wait = max(0.0, (1 - level_r) / rate_r, (cost - level_t) / rate_t)
        level_r = min(limits.rpm, level_r + wait * rate_r) - 1
        level_t = min(limits.tpm, level_t + wait * rate_t) - cost
        ideal += wait
    real_span = times[-1] - begun
    return rest / real_span, rest / (ideal - begun)


def read_output(path: Path) -> tuple[dict[str, int], int]:
    """(times each custom_id is in the output, lines that are not a 200)."""
    seen: dict[str, int] = {}
    failed = 0
    with path.open("rb") as lines:
        for line in lines:
            record = json.loads(line)
            seen[record["custom_id"]] = seen.get(record["custom_id"], 0) + 1
            response = record.get("response") or {}
            failed += response.get("status_code") != 200
    return seen, failed


def measure(lines: int, limits: Limits, folder: Path) -> Figures:
    input_path, output_path = folder / f"in-{lines}.jsonl", folder / f"out-{lines}.jsonl"
    write_input(input_path, lines)
    server, url = start_server(limits)
    try:
        seconds, peak, _ = run_bulk(url, input_path, output_path)
    finally:
        counters = stop_server(server)
    seen, failed = read_output(output_path)
    expected = {f"r-{n}" for n in range(lines)}
    lost = len(expected - seen.keys())
    duplicated = len(
        {cid for cid, count in seen.items() if count > 1} | set(counters["duplicated"])
    )
    sustained, allowed = sustained_rates(counters, limits)
    return Figures(
        lines, seconds, sustained, allowed, counters["limited"], lost, duplicated, failed, peak
    )


def table(results: list[Figures], limits: Limits) -> str:
    rows = [
        f"Limits: {limits.describe()}; the input alternates {BLOCKS} blocks of short prompts "
        "(requests bind) and long prompts (tokens bind).",
        "",
        "| input lines | seconds | sustained requests/s | allowed requests/s | sustained / allowed | 429s seen | lost | duplicated | failed | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in results:
        rows.append(
            f"| {f.lines:,} | {f.seconds:.1f} | {f.sustained:,.0f} | {f.allowed:,.0f} | "
            f"{f.sustained / f.allowed:.3f}x | {f.limited:,} | {f.lost:,} | {f.duplicated:,} | "
            f"{f.failed:,} | {f.peak_rss_kib / 1024:.1f} MiB |"
        )
    small, large = results[0], results[-1]
    rows.append("")
    rows.append(
        f"peak RSS, {large.lines:,} lines / {small.lines:,} lines: "
        f"{large.peak_rss_kib / small.peak_rss_kib:.2f}x"
    )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 3,000 lines")
    options = parser.parse_args()
    sizes, limits = QUICK if options.quick else FULL
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as folder:
        for lines in sizes:
            results.append(measure(lines, limits, Path(folder)))
            print(f"{lines:,} lines done", file=sys.stderr, flush=True)
    print(table(results, limits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
