"""Bulk runs through the Batch API (``via="batch"``), end to end against a local Files and
Batches API: the input split within the limits and by URL, uploaded, run, polled and merged
into the same output format as the direct path; a batch that fails some requests, one that
expires, one refused whole; a run stopped part-way and run again. On both clients."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.plugins.bulk.batchfiles import BatchLimits, embedding_inputs, split_requests
from openaistream.plugins.bulk.inputs import read_requests
from openaistream.plugins.bulk.outputs import OutputFile
from openaistream.plugins.bulk.progress import Progress
from openaistream.plugins.bulk.summary import Summary
from openaistream.plugins.bulk.viabatch import run_via_batch
from tests.conftest import API_KEY
from tests.support.batch_server import MISSING_MODEL, BatchAPI
from tests.support.bulk_api import chat_line, interrupt_when, read_output


def embedding_line(custom_id: str, text: str) -> dict[str, Any]:
    body = {"model": "text-embedding-3-small", "input": text}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/embeddings", "body": body}


def write_lines(path: Path, lines: list[dict[str, Any]]) -> list[str]:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return [line["custom_id"] for line in lines]


def run(client: Any, tmp_path: Path, **options: Any) -> Any:
    return client.bulk.process(
        tmp_path / "in.jsonl", tmp_path / "out.jsonl", via="batch", progress="quiet", **options
    )


def batch_client(make_client: Any, httpserver: HTTPServer, **options: Any) -> Any:
    return make_client(api_key=API_KEY, base_url=httpserver.url_for("/v1"), **options)


def test_a_run_is_split_by_url_and_limits_run_and_merged(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI(max_requests=4).install(httpserver)
    chats = [chat_line(f"chat-{n}", f"hello {n}") for n in range(10)]
    embeddings = [embedding_line(f"emb-{n}", "x" * n) for n in range(3)]
    ids = write_lines(tmp_path / "in.jsonl", chats[:5] + embeddings + chats[5:])
    client = batch_client(make_client, httpserver)
    summary = run(client, tmp_path, max_batch_requests=4)
    # Ten chats in batches of at most four (4, 4, 2), the three embeddings in one.
    assert len(api.created) == 4
    endpoints = sorted(api.batches[batch]["endpoint"] for batch in api.created)
    assert endpoints == ["/v1/chat/completions"] * 3 + ["/v1/embeddings"]
    lines = {line["custom_id"]: line for line in read_output(tmp_path / "out.jsonl")}
    assert sorted(lines) == sorted(ids)
    assert lines["chat-3"]["response"]["status_code"] == 200
    assert lines["chat-3"]["response"]["body"]["choices"][0]["message"]["content"] == "HELLO 3"
    assert lines["emb-2"]["response"]["body"]["data"][0]["embedding"] == [2.0, 0.5]
    assert (summary.succeeded, summary.failed, summary.left) == (13, 0, 0)
    # Every request was answered once; nothing is left beside the output.
    assert set(api.answered.values()) == {1}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_the_byte_limit_splits_too(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    lines = [chat_line(f"r-{n}", "y" * 200) for n in range(6)]
    size = len(json.dumps(lines[0])) + 1
    api = BatchAPI(max_bytes=2 * size).install(httpserver)
    write_lines(tmp_path / "in.jsonl", lines)
    client = batch_client(make_client, httpserver)
    run(client, tmp_path, max_batch_bytes=2 * size)
    assert len(api.created) == 3
    assert len(read_output(tmp_path / "out.jsonl")) == 6


def test_requests_a_batch_failed_are_merged_with_their_error(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    BatchAPI().install(httpserver)
    lines = [chat_line(f"r-{n}") for n in range(5)]
    lines[1]["body"]["model"] = MISSING_MODEL
    lines[3]["body"]["model"] = MISSING_MODEL
    write_lines(tmp_path / "in.jsonl", lines)
    client = batch_client(make_client, httpserver)
    summary = run(client, tmp_path)
    by_id = {line["custom_id"]: line for line in read_output(tmp_path / "out.jsonl")}
    assert len(by_id) == 5
    assert by_id["r-1"]["response"]["status_code"] == 404
    assert by_id["r-1"]["response"]["body"]["error"]["code"] == "model_not_found"
    assert by_id["r-0"]["response"]["status_code"] == 200
    assert (summary.succeeded, summary.failed) == (3, 2)


def test_an_expired_batch_writes_what_it_answered_and_a_rerun_sends_the_rest(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    api.expire(nth=2, answering=1)  # the second batch answers one of its three, then expires
    ids = write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(9)])
    client = batch_client(make_client, httpserver)
    first = run(client, tmp_path, max_batch_requests=3)
    written = [line["custom_id"] for line in read_output(tmp_path / "out.jsonl")]
    assert len(written) == 7 and "r-4" not in written and "r-5" not in written
    assert (first.succeeded, first.left) == (7, 2)
    assert not (tmp_path / "out.jsonl.batches.json").exists()  # a new round next time

    second = run(client, tmp_path, max_batch_requests=3)
    assert (second.skipped, second.succeeded, second.left) == (7, 2, 0)
    assert len(api.created) == 4  # one new batch, of the two left
    written = [line["custom_id"] for line in read_output(tmp_path / "out.jsonl")]
    assert sorted(written) == sorted(ids)  # each once


def test_a_batch_refused_whole_writes_each_request_as_an_error(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    # The server takes fewer requests a file than the client was told: it fails the batch.
    BatchAPI(max_requests=2).install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(3)])
    client = batch_client(make_client, httpserver)
    summary = run(client, tmp_path)
    lines = read_output(tmp_path / "out.jsonl")
    assert len(lines) == 3
    assert {line["error"]["code"] for line in lines} == {"batch_failed"}
    assert all("3 requests > 2" in line["error"]["message"] for line in lines)
    assert all(line["response"] is None for line in lines)
    assert summary.failed == 3


def test_a_run_stopped_part_way_resumes_without_a_second_batch_for_the_same_lines(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    ids = write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(6)])
    client = batch_client(make_client, httpserver, max_retries=0)
    api.refuse_creates(1)  # the first batch's creation fails: the run stops there
    with pytest.raises(openaistream.InternalServerError):
        run(client, tmp_path, max_batch_requests=3)
    state = json.loads((tmp_path / "out.jsonl.batches.json").read_text())
    assert [part["file_id"] is not None for part in state["parts"]] == [True, False]
    assert [part["batch_id"] for part in state["parts"]] == [None, None]
    assert len(api.uploads) == 1

    summary = run(client, tmp_path, max_batch_requests=3)
    assert len(api.uploads) == 2  # the first part not uploaded again
    assert len(api.created) == 2
    written = [line["custom_id"] for line in read_output(tmp_path / "out.jsonl")]
    assert sorted(written) == sorted(ids)
    assert summary.succeeded == 6
    assert not (tmp_path / "out.jsonl.batches").exists()


def test_a_batch_created_just_before_a_crash_is_found_again_not_created_twice(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(2)])
    client = batch_client(make_client, httpserver)
    # A first run uploaded the part, created its batch and died before saving the batch id.
    (tmp_path / "out.jsonl.batches").mkdir()
    part = tmp_path / "out.jsonl.batches" / "part-0001.jsonl"
    part.write_bytes((tmp_path / "in.jsonl").read_bytes())
    uploaded = client.files.upload(part, "batch")
    client.batches.create(uploaded["id"], "/v1/chat/completions")
    state = {"parts": [{"name": part.name, "url": "/v1/chat/completions", "count": 2,
                        "file_id": uploaded["id"], "batch_id": None, "status": None,
                        "merged": False, "counts": {}}]}  # fmt: skip
    (tmp_path / "out.jsonl.batches.json").write_text(json.dumps(state))
    (tmp_path / "out.jsonl.batches.json.tmp").write_text('{"parts": [')  # a save cut short
    run(client, tmp_path)
    assert len(api.created) == 1
    assert len(read_output(tmp_path / "out.jsonl")) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_polls_wait_as_the_server_advises(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI(poll_after_ms=120).install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line("r-1")])
    client = batch_client(make_client, httpserver)
    run(client, tmp_path)
    # validating -> in_progress -> finalizing -> completed: three retrieves, and between
    # two of them at least the 120 ms the server asked for (less the clock's grain).
    times = [at for _, at in api.retrieved_at]
    assert len(times) == 3
    assert all(later - earlier >= 0.1 for earlier, later in zip(times, times[1:]))


def test_a_poll_interval_given_overrides_the_servers_advice(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    # Were the advised minute between polls honoured, the test would time out.
    api = BatchAPI(poll_after_ms=60_000).install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line("r-1")])
    client = batch_client(make_client, httpserver)
    summary = run(client, tmp_path, poll_interval=0.01)
    assert summary.succeeded == 1 and len(api.retrieved_at) == 3


def test_the_batch_path_takes_post_requests_only(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    get = {"custom_id": "m", "method": "GET", "url": "/v1/models"}
    write_lines(tmp_path / "in.jsonl", [chat_line("r-1"), get])
    client = batch_client(make_client, httpserver)
    with pytest.raises(ValueError, match="line 2: the Batch API sends POST requests only"):
        run(client, tmp_path)
    assert api.uploads == []
    assert not (tmp_path / "out.jsonl.batches").exists()


def test_an_endpoint_no_batch_runs_is_named_before_anything_is_uploaded(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    speech = {"custom_id": "s", "method": "POST", "url": "/v1/audio/speech", "body": {}}
    write_lines(tmp_path / "in.jsonl", [chat_line("r-1"), speech])
    client = batch_client(make_client, httpserver)
    with pytest.raises(ValueError, match="line 2: the Batch API does not run /v1/audio/speech"):
        run(client, tmp_path)
    assert api.uploads == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_a_line_larger_than_a_batch_file_is_named_before_anything_is_uploaded(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line("r-1"), chat_line("r-2", "z" * 500)])
    client = batch_client(make_client, httpserver)
    with pytest.raises(ValueError, match=r"line 2: .* bytes, more than a batch file may hold"):
        run(client, tmp_path, max_batch_bytes=400)
    assert api.uploads == []


def test_a_cancelled_batch_writes_what_it_answered_and_a_rerun_sends_the_rest(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    api.cancel(nth=1, answering=2)  # answered two of four; the others in neither file
    ids = write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(4)])
    client = batch_client(make_client, httpserver)
    first = run(client, tmp_path)
    assert [line["custom_id"] for line in read_output(tmp_path / "out.jsonl")] == ids[:2]
    assert (first.succeeded, first.failed, first.left) == (2, 0, 2)

    second = run(client, tmp_path)
    assert (second.skipped, second.succeeded, second.left) == (2, 2, 0)
    assert sorted(line["custom_id"] for line in read_output(tmp_path / "out.jsonl")) == ids
    assert set(api.answered.values()) == {1}


def test_a_merge_stopped_half_way_is_finished_by_the_next_run(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    lines = [chat_line(f"r-{n}") for n in range(4)]
    lines[2]["body"]["model"] = MISSING_MODEL  # so the batch has an error file
    ids = write_lines(tmp_path / "in.jsonl", lines)
    client = batch_client(make_client, httpserver, max_retries=0)
    api.refuse_error_files(1)  # the output file is merged, then the error file fails
    with pytest.raises(openaistream.InternalServerError):
        run(client, tmp_path)
    assert len(read_output(tmp_path / "out.jsonl")) == 3
    state = json.loads((tmp_path / "out.jsonl.batches.json").read_text())
    assert [(part["status"], part["merged"]) for part in state["parts"]] == [("completed", False)]

    summary = run(client, tmp_path)
    assert len(api.created) == 1  # the same batch merged, not run again
    written = [line["custom_id"] for line in read_output(tmp_path / "out.jsonl")]
    assert sorted(written) == sorted(ids)
    assert (summary.skipped, summary.succeeded, summary.failed) == (3, 0, 1)
    assert not (tmp_path / "out.jsonl.batches.json").exists()


def shown_run(httpserver: HTTPServer, tmp_path: Path, total: int) -> tuple[Summary, list[str]]:
    """run_via_batch on an AsyncOpenAI, a progress line at every update; the summary and how
    far each line said the run was ("3/4")."""
    shown = io.StringIO()
    ticks = itertools.count(step=100.0)  # every update is due for a line

    async def main() -> Summary:
        async with openaistream.AsyncOpenAI(
            api_key=API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0
        ) as aclient:
            with OutputFile(tmp_path / "out.jsonl") as output:
                progress = Progress(total, "lines", shown, clock=lambda: next(ticks))
                return await run_via_batch(aclient, tmp_path / "in.jsonl", output, progress)

    summary = asyncio.run(main())
    lines = shown.getvalue().splitlines()
    return summary, [line.split(" ")[1] for line in lines]


def test_progress_follows_the_batches_request_counts(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    BatchAPI().install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(4)])
    summary, far = shown_run(httpserver, tmp_path, 4)
    assert summary.succeeded == 4
    # One line a poll: nothing answered while in progress, half while finalizing, then all.
    assert far == ["0/4", "2/4", "4/4"]


def test_progress_of_a_resumed_run_counts_each_request_once(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    lines = [chat_line(f"r-{n}") for n in range(4)]
    lines[3]["body"]["model"] = MISSING_MODEL
    write_lines(tmp_path / "in.jsonl", lines)
    api.refuse_error_files(1)  # three answers merged, then the run stops
    with pytest.raises(openaistream.InternalServerError):
        shown_run(httpserver, tmp_path, 4)
    summary, far = shown_run(httpserver, tmp_path, 4)
    assert (summary.skipped, summary.failed) == (3, 1)
    assert far == ["4/4"]  # not the three already written counted again


def test_a_stopped_run_of_another_input_is_not_finished_into_this_output(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(2)])
    write_lines(tmp_path / "other.jsonl", [chat_line(f"o-{n}") for n in range(2)])
    client = batch_client(make_client, httpserver, max_retries=0)
    api.refuse_creates(1)
    with pytest.raises(openaistream.InternalServerError):
        client.bulk.process(
            tmp_path / "other.jsonl", tmp_path / "out.jsonl", via="batch", progress="quiet"
        )
    with pytest.raises(ValueError, match=r"holds the batches of a run of .*other\.jsonl"):
        run(client, tmp_path)
    assert (len(api.uploads), len(api.created)) == (1, 0)
    assert (tmp_path / "out.jsonl.batches.json").exists()  # left for the other input's run


def test_embeddings_are_split_by_their_inputs_too(httpserver: HTTPServer, tmp_path: Path) -> None:
    # Three requests of three inputs each, at most five inputs a batch: three batches, each
    # within the server's own limit (else it would fail the batch).
    api = BatchAPI(max_embedding_inputs=5).install(httpserver)
    lines = [embedding_line(f"e-{n}", "x") for n in range(3)]
    for line in lines:
        line["body"]["input"] = ["a", "bb", "ccc"]
    write_lines(tmp_path / "in.jsonl", lines)

    async def main() -> Summary:
        async with openaistream.AsyncOpenAI(
            api_key=API_KEY, base_url=httpserver.url_for("/v1")
        ) as aclient:
            with OutputFile(tmp_path / "out.jsonl") as output:
                limits = BatchLimits(max_embedding_inputs=5)
                return await run_via_batch(
                    aclient, tmp_path / "in.jsonl", output, Progress(3, "quiet"), limits=limits
                )

    summary = asyncio.run(main())
    assert len(api.created) == 3
    assert (summary.succeeded, summary.failed) == (3, 0)


@pytest.mark.parametrize(
    ("given", "counted"),
    [("text", 1), (["a", "b", "c"], 3), ([1, 2, 3], 1), ([[1, 2], [3]], 2), (None, 1)],
)
def test_an_embeddings_request_counts_its_inputs(given: Any, counted: int) -> None:
    assert embedding_inputs({"model": "m", "input": given}) == counted


def test_the_command_line_runs_via_batch(httpserver: HTTPServer, tmp_path: Path) -> None:
    from openaistream.cli import cli
    from tests.support.cli import cli_runner

    api = BatchAPI().install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(4)])
    args = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "bulk", "run"]
    args += [str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--via", "batch"]
    result = cli_runner().invoke(
        cli, [*args, "--max-batch-requests", "3", "--poll-interval", "0.01", "-q"]
    )
    assert len(api.created) == 2
    assert result.exit_code == 0, result.output
    assert result.output.startswith("4 succeeded, 0 failed, 0 already done, of 4 requests")


def batch_command(httpserver: HTTPServer, tmp_path: Path) -> list[str]:
    url = httpserver.url_for("/v1")
    return [
        sys.executable, "-m", "openaistream", "--api-key", API_KEY, "--base-url", url,
        "bulk", "run", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"),
        "--via", "batch", "--max-batch-requests", "2", "--progress", "lines",
    ]  # fmt: skip


def started_parts(state: Path) -> int:
    """Parts whose batch the state names (0 while it is missing or being replaced)."""
    try:
        parts = json.loads(state.read_text())["parts"]
    except (OSError, ValueError):
        return 0
    return sum(part["batch_id"] is not None for part in parts)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_run_killed_while_polling_resumes_its_batches(
    httpserver: HTTPServer, tmp_path: Path, how: signal.Signals
) -> None:
    api = BatchAPI(poll_after_ms=400).install(httpserver)  # polls slow enough to be caught
    ids = write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(6)])
    state = tmp_path / "out.jsonl.batches.json"
    returncode, stderr = interrupt_when(
        batch_command(httpserver, tmp_path), lambda: started_parts(state) >= 3, how
    )
    assert returncode == (130 if how == signal.SIGINT else -signal.SIGKILL), stderr
    if how == signal.SIGINT:
        assert b"run the same command again" in stderr
    assert len(api.created) == 3
    assert not (tmp_path / "out.jsonl").exists() or not read_output(tmp_path / "out.jsonl")

    again = subprocess.run(
        batch_command(httpserver, tmp_path), capture_output=True, timeout=60, check=False
    )
    assert again.returncode == 0, again.stderr
    assert (len(api.uploads), len(api.created)) == (3, 3)  # the same batches, polled again
    written = [line["custom_id"] for line in read_output(tmp_path / "out.jsonl")]
    assert sorted(written) == sorted(ids)  # each exactly once
    assert not state.exists()
    assert API_KEY not in again.stderr.decode() + stderr.decode()


def test_a_batch_the_full_queue_refused_is_created_again_when_another_ends(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    # The queue holds four requests: of three batches of two, the third is refused while
    # the first two run, and created again once they have ended.
    api = BatchAPI(max_enqueued=4).install(httpserver)
    ids = write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(6)])
    client = batch_client(make_client, httpserver)
    summary = run(client, tmp_path, max_batch_requests=2)
    statuses = [api.batches[batch]["status"] for batch in api.created]
    assert statuses == ["completed", "completed", "failed", "completed"]
    assert (
        api.batches[api.created[3]]["input_file_id"] == api.batches[api.created[2]]["input_file_id"]
    )  # the same file, not uploaded again
    assert len(api.uploads) == 3
    lines = read_output(tmp_path / "out.jsonl")
    assert sorted(line["custom_id"] for line in lines) == sorted(ids)
    assert all(line["response"]["status_code"] == 200 for line in lines)
    assert (summary.succeeded, summary.failed, summary.left) == (6, 0, 0)


def test_a_batch_the_full_queue_refused_with_nothing_else_running_is_left_for_next_time(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI(max_enqueued=2).install(httpserver)  # a batch of three never fits
    ids = write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(3)])
    client = batch_client(make_client, httpserver)
    first = run(client, tmp_path)
    # Not written as failures (a rerun would skip them): left, and sent again next time.
    assert read_output(tmp_path / "out.jsonl") == []
    assert (first.succeeded, first.failed, first.left) == (0, 0, 3)
    assert len(api.created) == 1

    api.max_enqueued = None  # the queue has emptied
    second = run(client, tmp_path)
    assert (second.succeeded, second.left) == (3, 0)
    assert sorted(line["custom_id"] for line in read_output(tmp_path / "out.jsonl")) == ids


def test_lines_added_to_the_input_while_a_run_was_stopped_are_counted_left_then_sent(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = BatchAPI().install(httpserver)
    ids = write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(3)])
    client = batch_client(make_client, httpserver, max_retries=0)
    api.refuse_creates(1)
    with pytest.raises(openaistream.InternalServerError):
        run(client, tmp_path)
    more = write_lines(tmp_path / "more.jsonl", [chat_line(f"new-{n}") for n in range(2)])
    with (tmp_path / "in.jsonl").open("a") as appended:
        appended.write((tmp_path / "more.jsonl").read_text())

    # The resumed run finishes the first run's batch; the two new lines were in none.
    resumed = run(client, tmp_path)
    assert (resumed.succeeded, resumed.left) == (3, 2)
    third = run(client, tmp_path)
    assert (third.skipped, third.succeeded, third.left) == (3, 2, 0)
    written = sorted(line["custom_id"] for line in read_output(tmp_path / "out.jsonl"))
    assert written == sorted(ids + more)


def split_counts(tmp_path: Path, lines: list[dict[str, Any]], limits: BatchLimits) -> list[Any]:
    """(url, count) of each batch file split_requests writes, and every line kept verbatim."""
    tmp_path.mkdir(exist_ok=True)
    write_lines(tmp_path / "in.jsonl", lines)
    folder = tmp_path / "parts"
    folder.mkdir()
    files = split_requests(read_requests(tmp_path / "in.jsonl"), limits, folder)
    written = b"".join((folder / file.name).read_bytes() for file in files)
    assert sorted(written.splitlines()) == sorted((tmp_path / "in.jsonl").read_bytes().splitlines())
    return [(file.url.rsplit("/", 1)[1], file.count) for file in files]


def test_a_batch_file_is_filled_up_to_each_limit_exactly(tmp_path: Path) -> None:
    lines = [chat_line(f"r-{n}") for n in range(5)]  # ids of one digit: lines of one size
    size = len(json.dumps(lines[0])) + 1
    exactly = split_counts(tmp_path / "a", lines, BatchLimits(max_bytes=2 * size))
    under = split_counts(tmp_path / "b", lines, BatchLimits(max_bytes=2 * size - 1))
    by_count = split_counts(tmp_path / "c", lines, BatchLimits(max_requests=5))
    assert exactly == [("completions", 2), ("completions", 2), ("completions", 1)]
    assert under == [("completions", 1)] * 5
    assert by_count == [("completions", 5)]


def test_each_url_fills_its_own_files_in_the_order_they_were_begun(tmp_path: Path) -> None:
    chats = [chat_line(f"c-{n}") for n in range(3)]
    embeddings = [embedding_line(f"e-{n}", "x") for n in range(3)]
    mixed = [chats[0], embeddings[0], chats[1], embeddings[1], chats[2], embeddings[2]]
    files = split_counts(tmp_path, mixed, BatchLimits(max_requests=2, max_embedding_inputs=2))
    assert files == [("completions", 2), ("embeddings", 2), ("completions", 1), ("embeddings", 1)]


def test_the_local_batch_api_refuses_what_the_api_refuses(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    BatchAPI().install(httpserver)
    client = batch_client(make_client, httpserver, max_retries=0)
    write_lines(tmp_path / "in.jsonl", [chat_line("r-1")])
    batch_file = client.files.upload(tmp_path / "in.jsonl", "batch")
    other_file = client.files.upload(tmp_path / "in.jsonl", "assistants")
    assert client.files.retrieve(batch_file["id"])["purpose"] == "batch"
    with pytest.raises(openaistream.BadRequestError, match="purpose"):
        client.batches.create(other_file["id"], "/v1/chat/completions")
    with pytest.raises(openaistream.BadRequestError, match="Invalid endpoint"):
        client.batches.create(batch_file["id"], "/v1/audio/speech")
    assert client.batches.create(batch_file["id"], "/v1/chat/completions")["status"] == "validating"


@pytest.mark.timeout(20)
def test_batches_the_full_queue_refused_together_are_left_when_nothing_else_runs(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    # Two batches of two, a queue of one: both refused in the same round. The first waits
    # for the second, which is refused too: the run must still end, both left.
    api = BatchAPI(max_enqueued=1).install(httpserver)
    write_lines(tmp_path / "in.jsonl", [chat_line(f"r-{n}") for n in range(4)])
    client = batch_client(make_client, httpserver)
    summary = run(client, tmp_path, max_batch_requests=2)
    assert (summary.succeeded, summary.failed, summary.left) == (0, 0, 4)
    assert read_output(tmp_path / "out.jsonl") == []
    assert len(api.created) == 3  # the first tried once more once nothing else ran
    assert not (tmp_path / "out.jsonl.batches.json").exists()
