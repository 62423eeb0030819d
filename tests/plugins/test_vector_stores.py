"""client.vector_stores beyond its plain operations: polling that waits what the API asks
(``openai-poll-after-ms``) within a bounded wait, the helpers that upload, attach and poll
(each request checked by the server, in order, and against the spec), search with filters,
a file's parsed content, the errors given before any network, and the commands."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import openaistream
from openaistream.cli import cli, main
from openaistream.plugins import polling
from openaistream.plugins.polling import PollTimeoutError
from tests.conftest import API_KEY
from tests.plugins.test_contract import check

STORE = "/v1/vector_stores/vs_abc123"
POLICY = b"Returns are accepted within 30 days with the receipt.\n" * 40


class Served:
    """The requests the server answered, each with the time it arrived."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.times: list[float] = []

    def gaps(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.times, self.times[1:])]


def expect(
    httpserver: HTTPServer,
    served: Served,
    method: str,
    path: str,
    body: dict[str, Any],
    *,
    poll_after_ms: Optional[int] = None,
    ordered: bool = True,
) -> None:
    """The next request must be ``method path`` (in order, unless ``ordered`` is False: then
    it answers every such request); it is answered ``body``, with the poll header if given."""
    headers = {} if poll_after_ms is None else {"openai-poll-after-ms": str(poll_after_ms)}

    def handler(request: Request) -> Response:
        served.times.append(time.monotonic())
        served.requests.append(request)
        return Response(json.dumps(body), headers=headers, content_type="application/json")

    expecting = httpserver.expect_ordered_request if ordered else httpserver.expect_request
    expecting(path, method=method).respond_with_handler(handler)


def vector_store_file(status: str, file_id: str = "file-abc123", **more: Any) -> dict[str, Any]:
    return {
        "id": file_id, "object": "vector_store.file", "vector_store_id": "vs_abc123",
        "status": status, "usage_bytes": 1234, "created_at": 1699061776, "last_error": None,
        **more,
    }  # fmt: skip


def file_batch(status: str, **counts: int) -> dict[str, Any]:
    return {
        "id": "vsfb_abc123", "object": "vector_store.files_batch", "vector_store_id": "vs_abc123",
        "status": status, "created_at": 1699061776,
        "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0,
                        "total": 0, **counts},
    }  # fmt: skip


def uploaded(file_id: str, filename: str) -> dict[str, Any]:
    return {
        "id": file_id, "object": "file", "bytes": len(POLICY), "created_at": 1699061776,
        "filename": filename, "purpose": "assistants",
    }  # fmt: skip


def test_poll_waits_what_openai_poll_after_ms_says_between_polls(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    served = Served()
    path = STORE + "/files/file-abc123"
    expect(httpserver, served, "GET", path, vector_store_file("in_progress"), poll_after_ms=30)
    expect(httpserver, served, "GET", path, vector_store_file("in_progress"), poll_after_ms=30)
    expect(httpserver, served, "GET", path, vector_store_file("completed"), poll_after_ms=30)

    done = client.vector_stores.files_poll("vs_abc123", "file-abc123")

    httpserver.check_assertions()
    assert done == vector_store_file("completed")
    assert len(served.requests) == 3
    # Waits of 30 ms as asked, not the default second: wide margins, slow machines pass.
    assert all(0.025 <= gap < 0.8 for gap in served.gaps()), served.gaps()
    assert {r.headers["OpenAI-Beta"] for r in served.requests} == {"assistants=v2"}


def test_without_the_header_the_default_interval_is_waited(
    httpserver: HTTPServer, client: openaistream.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(polling, "DEFAULT_INTERVAL", 0.05)  # the second it is, made short
    served = Served()
    path = STORE + "/file_batches/vsfb_abc123"
    expect(httpserver, served, "GET", path, file_batch("in_progress", in_progress=2, total=2))
    expect(httpserver, served, "GET", path, file_batch("completed", completed=2, total=2))

    assert client.vector_stores.file_batches_poll("vs_abc123", "vsfb_abc123")["status"] == (
        "completed"
    )
    assert len(served.requests) == 2 and 0.045 <= served.gaps()[0] < 1.0


def test_a_poll_interval_given_is_waited_whatever_the_header(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    served = Served()
    path = STORE + "/files/file-abc123"
    expect(httpserver, served, "GET", path, vector_store_file("in_progress"), poll_after_ms=5000)
    expect(httpserver, served, "GET", path, vector_store_file("failed"))

    done = client.vector_stores.files_poll("vs_abc123", "file-abc123", poll_interval=0.02)

    assert done["status"] == "failed"  # returned for the caller to read, as openai-python does
    assert served.gaps()[0] < 1.0  # not the 5 s the header asked


def test_the_bound_is_reached_with_an_error_naming_the_object_and_its_status(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    served = Served()
    pending = vector_store_file("in_progress")
    path = STORE + "/files/file-abc123"
    expect(httpserver, served, "GET", path, pending, poll_after_ms=20, ordered=False)

    started = time.monotonic()
    with pytest.raises(PollTimeoutError) as raised:
        client.vector_stores.files_poll("vs_abc123", "file-abc123", max_wait=0.15)

    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert "vector_store.file 'file-abc123'" in message and "'in_progress'" in message
    assert "max_wait=0.15" in message
    assert raised.value.status == "in_progress" and raised.value.last == pending
    assert isinstance(raised.value, TimeoutError)
    assert isinstance(raised.value, openaistream.OpenAIError)
    assert 2 <= len(served.requests) <= 12  # every 20 ms within 0.15 s, then one last look


def test_upload_and_poll_uploads_then_attaches_then_polls(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "policy.txt"
    path.write_bytes(POLICY)
    served, pieces = Served(), []
    attributes = {"author": "Ann Lee", "year": 2024}
    expect(httpserver, served, "POST", "/v1/files", uploaded("file-new1", "policy.txt"))
    expect(
        httpserver, served, "POST", STORE + "/files", vector_store_file("in_progress", "file-new1")
    )
    expect(
        httpserver, served, "GET", STORE + "/files/file-new1",
        vector_store_file("in_progress", "file-new1"), poll_after_ms=10,
    )  # fmt: skip
    expect(
        httpserver,
        served,
        "GET",
        STORE + "/files/file-new1",
        vector_store_file("completed", "file-new1"),
    )

    done = client.vector_stores.files_upload_and_poll(
        "vs_abc123", path, attributes=attributes, progress=pieces.append,
        extra_headers={"X-Trace": "t-1"},
    )  # fmt: skip

    httpserver.check_assertions()
    assert done == vector_store_file("completed", "file-new1")
    upload, attach, *polls = served.requests
    assert [check(request) for request in served.requests] == [
        "POST /files",
        "POST /vector_stores/{vector_store_id}/files",
        "GET /vector_stores/{vector_store_id}/files/{file_id}",
        "GET /vector_stores/{vector_store_id}/files/{file_id}",
    ]
    assert upload.form.to_dict() == {"purpose": "assistants"}
    assert upload.files["file"].filename == "policy.txt"
    assert upload.files["file"].read() == POLICY
    assert sum(pieces) == len(POLICY)
    assert json.loads(attach.get_data()) == {"file_id": "file-new1", "attributes": attributes}
    assert len(polls) == 2
    # The per-call options go with every request the helper makes.
    assert {request.headers["X-Trace"] for request in served.requests} == {"t-1"}


def test_file_batches_upload_and_poll_returns_a_failed_batch(
    httpserver: HTTPServer, client: openaistream.OpenAI, tmp_path: Path
) -> None:
    first, second = tmp_path / "returns.txt", tmp_path / "shipping.md"
    first.write_bytes(POLICY)
    second.write_bytes(b"# Shipping\nTwo days.\n")
    served = Served()
    expect(httpserver, served, "POST", "/v1/files", uploaded("file-new1", "returns.txt"))
    expect(httpserver, served, "POST", "/v1/files", uploaded("file-new2", "shipping.md"))
    running = file_batch("in_progress", in_progress=3, total=3)
    expect(httpserver, served, "POST", STORE + "/file_batches", running)
    failed = file_batch("failed", completed=2, failed=1, total=3)
    expect(
        httpserver, served, "GET", STORE + "/file_batches/vsfb_abc123", running, poll_after_ms=10
    )
    expect(httpserver, served, "GET", STORE + "/file_batches/vsfb_abc123", failed)

    done = client.vector_stores.file_batches_upload_and_poll(
        "vs_abc123", [first, second], file_ids=["file-old1"], chunking_strategy={"type": "auto"}
    )

    httpserver.check_assertions()
    assert done == failed  # a batch that failed is an answer, not an exception
    for request in served.requests:
        check(request)
    uploads = [request.files["file"].filename for request in served.requests[:2]]
    assert uploads == ["returns.txt", "shipping.md"]
    assert json.loads(served.requests[2].get_data()) == {
        "file_ids": ["file-old1", "file-new1", "file-new2"],
        "chunking_strategy": {"type": "auto"},
    }


def test_create_and_poll_attach_what_is_given_then_poll(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    served = Served()
    expect(httpserver, served, "POST", STORE + "/files", vector_store_file("in_progress"))
    expect(httpserver, served, "GET", STORE + "/files/file-abc123", vector_store_file("cancelled"))
    expect(httpserver, served, "POST", STORE + "/file_batches", file_batch("in_progress"))
    expect(httpserver, served, "GET", STORE + "/file_batches/vsfb_abc123", file_batch("completed"))

    stores = client.vector_stores
    assert stores.files_create_and_poll("vs_abc123", "file-abc123")["status"] == "cancelled"
    batch = stores.file_batches_create_and_poll("vs_abc123", file_ids=["file-abc123"])

    httpserver.check_assertions()
    assert batch == file_batch("completed")
    assert json.loads(served.requests[0].get_data()) == {"file_id": "file-abc123"}
    assert json.loads(served.requests[2].get_data()) == {"file_ids": ["file-abc123"]}


def test_search_sends_compound_filters_as_given(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    served = Served()
    page = {
        "object": "vector_store.search_results.page", "search_query": "return policy",
        "data": [{"file_id": "file-abc123", "filename": "policy.txt", "score": 0.95,
                  "attributes": {"author": "Ann Lee"},
                  "content": [{"type": "text", "text": "Returns within 30 days."}]}],
        "has_more": False, "next_page": None,
    }  # fmt: skip
    expect(httpserver, served, "POST", STORE + "/search", page)
    filters = {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "author", "value": "Ann Lee"},
            {"type": "or", "filters": [{"type": "gte", "key": "year", "value": 2023},
                                       {"type": "in", "key": "region", "value": ["eu", "us"]}]},
        ],
    }  # fmt: skip

    found = client.vector_stores.search(
        "vs_abc123", "return policy", filters=filters, max_num_results=3
    )

    assert found == page
    sent = json.loads(served.requests[0].get_data())
    assert sent == {"query": "return policy", "filters": filters, "max_num_results": 3}


def test_file_content_is_the_parsed_text_as_json(
    httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    served = Served()
    content = {
        "object": "vector_store.file_content.page",
        "data": [{"type": "text", "text": "Returns are accepted within 30 days."}],
        "has_more": False, "next_page": None,
    }  # fmt: skip
    expect(httpserver, served, "GET", STORE + "/files/file-abc123/content", content)

    assert client.vector_stores.files_content("vs_abc123", "file-abc123") == content
    assert served.requests[0].headers["OpenAI-Beta"] == "assistants=v2"


BAD_CALLS: dict[str, tuple[Callable[[Any], Any], type, str]] = {
    "poll_interval": (
        lambda s: s.files_poll("vs_1", "file-1", poll_interval=0), ValueError, "poll_interval"
    ),
    "max_wait": (
        lambda s: s.file_batches_poll("vs_1", "b", max_wait="1"), ValueError, "max_wait"
    ),
    "max_wait of create_and_poll": (
        lambda s: s.files_create_and_poll("vs_1", "file-1", max_wait=-1), ValueError, "max_wait"
    ),
    "no files": (
        lambda s: s.file_batches_upload_and_poll("vs_1", []), ValueError, "files and file_ids"
    ),
    "a path for the list": (
        lambda s: s.file_batches_upload_and_poll("vs_1", "a.txt"), TypeError, "files must be a list"
    ),
    "a missing second file": (
        lambda s: s.file_batches_upload_and_poll("vs_1", [b"x", "/no/such.txt"]),
        FileNotFoundError, r"files\[1\]",
    ),
    "file_ids": (
        lambda s: s.file_batches_upload_and_poll("vs_1", [b"x"], file_ids="file-1"),
        TypeError, "file_ids",
    ),
    "a missing file": (
        lambda s: s.files_upload_and_poll("vs_1", "/no/such.txt"), FileNotFoundError, "file"
    ),
    "a dot segment": (
        lambda s: s.files_upload("..", b"x"), ValueError, "vector_store_id"
    ),
    "query": (lambda s: s.search("vs_1", None), TypeError, "query"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_arguments_are_refused_before_any_network(
    name: str, httpserver: HTTPServer, client: openaistream.OpenAI
) -> None:
    call, error, named = BAD_CALLS[name]
    with pytest.raises(error, match=named):
        call(client.vector_stores)
    assert httpserver.log == []


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def test_the_upload_and_poll_command(httpserver: HTTPServer, tmp_path: Path) -> None:
    path = tmp_path / "policy.txt"
    path.write_bytes(POLICY)
    served = Served()
    expect(httpserver, served, "POST", "/v1/files", uploaded("file-new1", "policy.txt"))
    expect(
        httpserver, served, "POST", STORE + "/files", vector_store_file("in_progress", "file-new1")
    )
    expect(
        httpserver,
        served,
        "GET",
        STORE + "/files/file-new1",
        vector_store_file("completed", "file-new1"),
    )

    result = invoke(
        httpserver, "vector-stores", "files-upload-and-poll", "vs_abc123", str(path),
        "--poll-interval", "0.01", "-o", 'attributes={"author": "Ann Lee"}',
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "completed"
    assert json.loads(served.requests[1].get_data())["attributes"] == {"author": "Ann Lee"}


def test_the_batch_command_uploads_every_path(httpserver: HTTPServer, tmp_path: Path) -> None:
    paths = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for path in paths:
        path.write_bytes(POLICY)
    served = Served()
    expect(httpserver, served, "POST", "/v1/files", uploaded("file-new1", "a.txt"))
    expect(httpserver, served, "POST", "/v1/files", uploaded("file-new2", "b.txt"))
    expect(httpserver, served, "POST", STORE + "/file_batches", file_batch("completed"))
    expect(httpserver, served, "GET", STORE + "/file_batches/vsfb_abc123", file_batch("completed"))

    result = invoke(
        httpserver, "vector-stores", "file-batches-upload-and-poll", "vs_abc123", *map(str, paths)
    )

    assert result.exit_code == 0, result.output
    assert json.loads(served.requests[2].get_data()) == {"file_ids": ["file-new1", "file-new2"]}


def test_the_poll_command_reports_a_wait_too_long(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    served = Served()
    path = STORE + "/files/file-abc123"
    expect(httpserver, served, "GET", path, vector_store_file("in_progress"), ordered=False)

    code = main([
        "--api-key", API_KEY, "--base-url", httpserver.url_for("/v1"), "vector-stores",
        "files-poll", "vs_abc123", "file-abc123", "--poll-interval", "0.02", "--max-wait", "0.05",
    ])  # fmt: skip

    error = capsys.readouterr().err
    assert code == 1
    assert error.startswith("Error: vector_store.file 'file-abc123' is still 'in_progress'")
    assert "Traceback" not in error


def test_the_files_update_command_reads_attributes_as_json(httpserver: HTTPServer) -> None:
    served = Served()
    expect(httpserver, served, "POST", STORE + "/files/file-abc123", vector_store_file("completed"))

    result = invoke(
        httpserver, "vector-stores", "files-update", "vs_abc123", "file-abc123", '{"year": 2024}'
    )
    assert result.exit_code == 0, result.output
    assert json.loads(served.requests[0].get_data()) == {"attributes": {"year": 2024}}

    refused = invoke(httpserver, "vector-stores", "files-update", "vs_abc123", "file-abc123", "x")
    assert refused.exit_code == 2 and "JSON object" in refused.output
    assert len(served.requests) == 1
