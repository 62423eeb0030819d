"""Bulk runs, the direct path: every input line ends as exactly one output line in the Batch
API's output format, a re-run resumes, failures are retried within bounds, and what a key
cannot get past stops the run with the rest left for the next. On both clients."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.plugins.bulk import BulkStoppedError, InputError
from tests.conftest import API_KEY
from tests.support.bulk_api import ChatAPI, chat_line, read_output, write_input


def bulk_client(make_client: Any, httpserver: HTTPServer, **options: Any) -> Any:
    return make_client(api_key=API_KEY, base_url=httpserver.url_for("/v1"), **options)


def test_every_request_is_answered_once_in_the_batch_output_format(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = ChatAPI().install(httpserver)
    ids = write_input(tmp_path / "in.jsonl", 150)
    client = bulk_client(make_client, httpserver)
    summary = client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    lines = read_output(tmp_path / "out.jsonl")
    assert sorted(line["custom_id"] for line in lines) == sorted(ids)
    assert set(api.answered) == set(ids) and set(api.answered.values()) == {1}
    first = next(line for line in lines if line["custom_id"] == "r-7")
    assert first["id"].startswith("bulk_req_")
    assert first["error"] is None
    assert first["response"]["status_code"] == 200
    assert first["response"]["request_id"].startswith("req_")
    assert first["response"]["body"]["choices"][0]["message"]["content"] == "r-7"
    assert (summary.total, summary.succeeded, summary.failed, summary.skipped) == (150, 150, 0, 0)


def test_a_rerun_sends_only_what_the_output_lacks_and_cuts_a_torn_last_line(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = ChatAPI().install(httpserver)
    ids = write_input(tmp_path / "in.jsonl", 20)
    done = [
        json.dumps({"id": "x", "custom_id": i, "response": None, "error": None}) for i in ids[:5]
    ]
    # A run killed mid-write left part of a sixth line.
    (tmp_path / "out.jsonl").write_text("\n".join(done) + '\n{"id": "x", "custom_id": "r-')
    client = bulk_client(make_client, httpserver)
    summary = client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    assert sorted(api.answered) == sorted(ids[5:])
    lines = read_output(tmp_path / "out.jsonl")  # every line whole: the torn one is gone
    assert sorted(line["custom_id"] for line in lines) == sorted(ids)
    assert (summary.skipped, summary.succeeded) == (5, 15)


def test_server_errors_are_retried_and_client_errors_are_the_answer(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = ChatAPI().install(httpserver)
    write_input(tmp_path / "in.jsonl", 6)
    api.fail("r-1", 500, times=2)
    api.fail("r-2", 400)
    api.fail("r-3", 503)  # for ever: the tries run out
    client = bulk_client(make_client, httpserver)
    summary = client.bulk.process(
        tmp_path / "in.jsonl", tmp_path / "out.jsonl", max_attempts=3, progress="quiet"
    )
    by_id = {line["custom_id"]: line for line in read_output(tmp_path / "out.jsonl")}
    assert api.tries["r-1"] == 3 and by_id["r-1"]["response"]["status_code"] == 200
    assert api.tries["r-2"] == 1
    assert by_id["r-2"]["response"]["status_code"] == 400
    assert by_id["r-2"]["response"]["body"]["error"]["message"] == "failure 400 for r-2"
    assert api.tries["r-3"] == 3 and by_id["r-3"]["response"]["status_code"] == 503
    assert (summary.succeeded, summary.failed) == (4, 2)


def test_a_429_holds_the_run_for_as_long_as_the_server_asks(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = ChatAPI().install(httpserver)
    write_input(tmp_path / "in.jsonl", 3)
    api.fail("r-0", 429, times=1, headers={"retry-after-ms": "300"})
    client = bulk_client(make_client, httpserver)
    client.bulk.process(
        tmp_path / "in.jsonl", tmp_path / "out.jsonl", concurrency=1, progress="quiet"
    )
    assert api.tries == {"r-0": 2, "r-1": 1, "r-2": 1}
    limited_at = api.seen_at["r-0"][0]
    # Every request after the 429, its own retry and the others, waited the 300 ms out.
    later = [api.seen_at["r-0"][1], api.seen_at["r-1"][0], api.seen_at["r-2"][0]]
    assert min(later) - limited_at >= 0.29


def test_a_request_that_gets_no_answer_ends_as_an_error_line(
    make_client: Any, tmp_path: Path
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    write_input(tmp_path / "in.jsonl", 2)
    client = make_client(api_key=API_KEY, base_url=f"http://127.0.0.1:{port}/v1")
    summary = client.bulk.process(
        tmp_path / "in.jsonl", tmp_path / "out.jsonl", max_attempts=2, progress="quiet"
    )
    lines = read_output(tmp_path / "out.jsonl")
    assert [line["response"] for line in lines] == [None, None]
    assert {line["error"]["code"] for line in lines} == {"connection_error"}
    assert summary.failed == 2


def test_a_rejected_key_stops_the_run_and_a_rerun_sends_the_rest(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    api = ChatAPI().install(httpserver)
    ids = write_input(tmp_path / "in.jsonl", 40)
    api.fail("r-3", 401, times=1)
    client = bulk_client(make_client, httpserver)
    with pytest.raises(BulkStoppedError) as stopped:
        client.bulk.process(
            tmp_path / "in.jsonl", tmp_path / "out.jsonl", concurrency=2, progress="quiet"
        )
    assert isinstance(stopped.value.__cause__, openaistream.AuthenticationError)
    written = {line["custom_id"] for line in read_output(tmp_path / "out.jsonl")}
    assert "r-3" not in written and len(written) < 40
    assert stopped.value.summary.left == 40 - len(written)
    assert "run the same command again" in str(stopped.value)
    client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    lines = read_output(tmp_path / "out.jsonl")
    assert sorted(line["custom_id"] for line in lines) == sorted(ids)


def test_insufficient_quota_stops_the_run(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    quota = {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}}
    httpserver.expect_request("/v1/chat/completions").respond_with_json(quota, status=429)
    write_input(tmp_path / "in.jsonl", 5)
    client = bulk_client(make_client, httpserver)
    with pytest.raises(BulkStoppedError, match="quota"):
        client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    assert read_output(tmp_path / "out.jsonl") == []
    assert len(httpserver.log) == 1  # the first answer stopped it: nothing else went out


CHAT = '"url": "/v1/chat/completions"'
BAD_LINES = [
    ('{"custom_id": "a", "url": "/v1/chat/completions", "body": {}}', None),
    ("not json at all", "line 2: not JSON"),
    ('{"url": "/v1/chat/completions", "body": {}}', "line 3: custom_id is missing"),
    (f'{{"custom_id": "a", {CHAT}, "body": {{}}}}', "line 4: custom_id 'a' repeats line 1"),
    ('{"custom_id": "b", "url": "https://evil.example/v1/chat"}', "line 5: url must be an API"),
    ('{"custom_id": "c", "url": "/v1/embeddings", "body": 1}', "line 6: body must be a JSON"),
    ('[1, 2]', "line 7: a request is a JSON object"),
]  # fmt: skip


def test_bad_input_lines_are_named_with_their_numbers_before_anything_is_sent(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    (tmp_path / "in.jsonl").write_text("\n".join(line for line, _ in BAD_LINES) + "\n")
    client = bulk_client(make_client, httpserver)
    with pytest.raises(InputError) as bad:
        client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    for _, problem in BAD_LINES[1:]:
        assert problem in str(bad.value)
    assert [line for line, _ in bad.value.problems] == [2, 3, 4, 5, 6, 7]
    assert httpserver.log == []
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("via", "carrier-pigeon", "via must be one of direct, batch"),
        ("max_rpm", 0, "max_rpm must be a number > 0"),
        ("max_tpm", "lots", "max_tpm must be a number > 0"),
        ("concurrency", 0, "concurrency must be a whole number >= 1"),
        ("max_attempts", 1.5, "max_attempts must be a whole number >= 1"),
        ("progress", "loud", "progress must be one of"),
    ],
)
def test_a_bad_argument_is_named_before_any_network(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path, option: str, value: Any, named: str
) -> None:
    write_input(tmp_path / "in.jsonl", 2)
    client = bulk_client(make_client, httpserver)
    with pytest.raises(ValueError, match=named):
        client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", **{option: value})
    assert httpserver.log == []


def test_the_output_must_not_be_the_input_nor_a_missing_file_the_input(
    make_client: Any, tmp_path: Path
) -> None:
    write_input(tmp_path / "in.jsonl", 2)
    client = make_client(api_key=API_KEY, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ValueError, match="output must not be the input"):
        client.bulk.process(tmp_path / "in.jsonl", tmp_path / "in.jsonl")
    with pytest.raises(FileNotFoundError, match="input is not a file"):
        client.bulk.process(tmp_path / "missing.jsonl", tmp_path / "out.jsonl")


def test_an_output_of_something_else_is_refused_not_appended_to(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    write_input(tmp_path / "in.jsonl", 2)
    (tmp_path / "out.jsonl").write_text("my precious notes\n")
    client = bulk_client(make_client, httpserver)
    with pytest.raises(ValueError, match="line 1 is not a bulk answer"):
        client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    assert (tmp_path / "out.jsonl").read_text() == "my precious notes\n"
    assert httpserver.log == []


def test_progress_lines_count_the_run(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ChatAPI().install(httpserver)
    write_input(tmp_path / "in.jsonl", 30)
    client = bulk_client(make_client, httpserver)
    client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="lines")
    shown = capsys.readouterr()
    assert shown.out == ""  # progress goes to stderr
    last = shown.err.strip().splitlines()[-1]
    assert last.startswith("bulk: 30/30 (100%), 0 failed, 0 in flight")


def test_a_rate_limit_learned_from_the_headers_paces_the_run(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    # The server says: a bucket of 10 requests, none left, full again in one second (so it
    # refills at 10 a second). After the first request, which goes alone to read that, the
    # others go at that rate (1% held back), not all at once.
    headers = {
        "x-ratelimit-limit-requests": "10",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1s",
    }
    api = ChatAPI(headers=headers).install(httpserver)
    write_input(tmp_path / "in.jsonl", 6)
    client = bulk_client(make_client, httpserver)
    client.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    times = sorted(at for seen in api.seen_at.values() for at in seen)
    assert len(times) == 6
    assert times[-1] - times[0] >= 0.5 * 0.99


def test_the_command_line_runs_a_file_and_prints_the_summary(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    from openaistream.cli import cli
    from tests.support.cli import cli_runner

    ChatAPI().install(httpserver)
    write_input(tmp_path / "in.jsonl", 12)
    url = httpserver.url_for("/v1")
    args = ["--api-key", API_KEY, "--base-url", url, "bulk", "run", str(tmp_path / "in.jsonl")]
    result = cli_runner().invoke(cli, [*args, "-o", str(tmp_path / "out.jsonl"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("12 succeeded, 0 failed, 0 already done, of 12 requests")
    assert len(read_output(tmp_path / "out.jsonl")) == 12


def test_the_command_line_check_lists_bad_lines_and_exits_2(tmp_path: Path) -> None:
    from openaistream.cli import main

    good = json.dumps(chat_line("a"))
    (tmp_path / "in.jsonl").write_text(f"{good}\n{good}\n")
    stderr = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(stderr):
        code = main(["bulk", "check", str(tmp_path / "in.jsonl")])
    assert code == 2
    assert "line 2: custom_id 'a' repeats line 1" in stderr.getvalue()


def test_the_command_line_run_names_bad_lines_exits_2_and_sends_nothing(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    import contextlib

    from openaistream.cli import main

    (tmp_path / "in.jsonl").write_text(json.dumps(chat_line("a")) + "\nnot json\n")
    url = httpserver.url_for("/v1")
    args = ["--api-key", API_KEY, "--base-url", url, "bulk", "run", str(tmp_path / "in.jsonl")]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main([*args, "-o", str(tmp_path / "out.jsonl"), "-q"])
    assert code == 2
    assert "line 2: not JSON" in stderr.getvalue()
    assert httpserver.log == []


def test_a_run_on_a_client_with_options_sends_its_headers_and_refuses_per_call_options(
    httpserver: HTTPServer, make_client: Any, tmp_path: Path
) -> None:
    ChatAPI().install(httpserver)
    write_input(tmp_path / "in.jsonl", 5)
    client = bulk_client(make_client, httpserver)
    with pytest.raises(TypeError, match="extra_headers"):
        client.bulk.process(
            tmp_path / "in.jsonl", tmp_path / "out.jsonl", extra_headers={"X-Run": "nightly"}
        )
    assert not httpserver.log
    tagged = client.with_options(default_headers={"X-Run": "nightly"})
    tagged.bulk.process(tmp_path / "in.jsonl", tmp_path / "out.jsonl", progress="quiet")
    sent = [request.headers.get("X-Run") for request, _ in httpserver.log]
    assert len(sent) == 5 and set(sent) == {"nightly"}
