"""The bulk benchmark is not run by the suite, but it must not rot: its quick mode runs here
against the rate-limited server and must report every figure, with no request lost and none
duplicated. Timings and rates are not asserted (a shared machine decides them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).with_name("bench_bulk.py")
COLUMNS = [
    "input lines", "seconds", "sustained requests/s", "allowed requests/s",
    "sustained / allowed", "429s seen", "lost", "duplicated", "failed", "peak RSS",
]  # fmt: skip


@pytest.mark.timeout(300)
def test_the_quick_bulk_benchmark_reports_every_figure_and_loses_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| input lines |"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == COLUMNS
    rows = [line for line in lines if line.startswith("| 1,000 |") or line.startswith("| 3,000 |")]
    assert len(rows) == 2
    for row in rows:
        cells = dict(zip(COLUMNS, (cell.strip() for cell in row.strip("|").split("|"))))
        assert all(cells[column] for column in COLUMNS), row
        assert cells["lost"] == "0" and cells["duplicated"] == "0", row
        assert cells["failed"] == "0", row
        assert cells["sustained / allowed"].endswith("x")
        assert cells["peak RSS"].endswith(" MiB")
    assert any(line.startswith("peak RSS, 3,000 lines / 1,000 lines: ") for line in lines)
