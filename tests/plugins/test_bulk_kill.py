"""A bulk run killed mid-way (Ctrl-C, or SIGKILL: no chance to clean up) and run again ends
with every custom id in the output exactly once, each line whole. The run is the real
command, in a process of its own, against a local server that answers slowly enough to be
caught in the middle."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import API_KEY
from tests.support.bulk_api import ChatAPI, interrupt_when, read_output, write_input

COUNT = 300


def command(httpserver: HTTPServer, tmp_path: Path) -> list[str]:
    url = httpserver.url_for("/v1")
    return [
        sys.executable, "-m", "openaistream", "--api-key", API_KEY, "--base-url", url,
        "bulk", "run", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"),
        "--concurrency", "4", "--progress", "lines",
    ]  # fmt: skip


def lines_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_killed_run_run_again_has_every_custom_id_once(
    httpserver: HTTPServer, tmp_path: Path, how: signal.Signals
) -> None:
    api = ChatAPI(latency=0.004).install(httpserver)
    ids = write_input(tmp_path / "in.jsonl", COUNT)
    out = tmp_path / "out.jsonl"
    returncode, stderr = interrupt_when(
        command(httpserver, tmp_path), lambda: lines_in(out) >= 40, how
    )
    if how == signal.SIGINT:
        assert returncode == 130
        assert b"run the same command again" in stderr
    else:
        assert returncode == -signal.SIGKILL
    first = lines_in(out)
    assert 40 <= first < COUNT
    assert all(line["custom_id"] in ids for line in read_output(out))  # every line whole

    again = subprocess.run(
        command(httpserver, tmp_path), capture_output=True, timeout=60, check=False
    )
    assert again.returncode == 0, again.stderr
    assert f"already done, of {COUNT} requests".encode() in again.stdout
    written = [line["custom_id"] for line in read_output(out)]
    assert sorted(written) == sorted(ids)  # each exactly once
    assert all(api.answered[custom_id] >= 1 for custom_id in ids)
    for line in read_output(out):
        assert line["response"]["body"]["choices"][0]["message"]["content"] == line["custom_id"]
    assert API_KEY not in out.read_text() + again.stderr.decode() + stderr.decode()
