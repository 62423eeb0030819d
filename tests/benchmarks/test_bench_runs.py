"""The benchmark itself is not run by the suite, but it must not rot: its quick mode runs here
and must report every figure the performance issue asks for. Timings are not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench.py")

METRICS = [
    "events/s, one HTTP chunk an event",
    "events/s, Content-Length body",
    "time to first event",
    "small POSTs/s over keep-alive",
    "decoding one 8 MB event in 64 KiB chunks",
    "peak memory reading one 20 MB event",
    "adding up 10,000 chunks with logprobs",
    "import wall time",
    "import, -X importtime total",
    "peak RSS, 1,000 events, default",
    "peak RSS, 100,000 events, default",
    "peak RSS, 100,000 events, keep=False",
    "peak RSS uploading 1 GiB",
    "async events/s, one HTTP chunk an event",
    "async events/s, Content-Length body",
    "async events/s, 20 streams of 100 events at once",
    "peak RSS growth a stream, 20 streams of 100 events at once",
    "RSS growth a stream, 20 streams held open mid-stream",
    "open fds after 20 streams of 100 events at once",
    "cancelling 20 streams mid-stream, the server holding",
    "cancelling 20 streams mid-stream, the body flowing",
]


def test_the_quick_benchmark_reports_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    table = done.stdout[done.stdout.index("| metric |") :].splitlines()
    for metric in METRICS:
        assert any(line.startswith(f"| {metric}") for line in table), metric
    ours = [line for line in table if "| openaistream (json) |" in line]
    assert len(ours) == 2 and all(line.rstrip(" |").endswith("x") for line in ours)
    if "orjson yes" in done.stdout:  # the fast extra against its own baseline, both framings
        raw = [line for line in table if "| urllib3 + orjson.loads (baseline) |" in line]
        fast = [line for line in table if "| openaistream (orjson) |" in line]
        assert len(raw) == 2 and len(fast) == 2
        assert all(line.rstrip(" |").endswith("x orjson baseline") for line in fast)
    assert any("| openaistream, CRLF line endings |" in line and "x LF" in line for line in table)
    async_ours = [line for line in table if "| AsyncOpenAI (json) |" in line]
    assert len(async_ours) == 2 and all(line.rstrip(" |").endswith("x") for line in async_ours)
    at_once = [line for line in table if line.startswith("| async events/s, 20 streams")]
    assert len(at_once) == 3 and all("x one stream" in line for line in at_once)
