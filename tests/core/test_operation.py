"""Resource methods made by ``openaistream.operation`` from one line of description, on both
clients, against a local server that checks what arrived: the path with its IDs checked and
quoted, the required arguments by position or name, the body, the query, streams, binary
content and uploads, and the errors of a bad call before any network."""

from __future__ import annotations

import inspect
import json
from typing import Any, ClassVar

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.operation import operation
from tests.conftest import API_KEY
from tests.support.api import answer, last, query


class Stores(openaistream.Resource):
    endpoint = "/vector_stores"
    extra_headers: ClassVar[dict[str, str]] = {"OpenAI-Beta": "assistants=v2"}

    create = operation("POST", "/vector_stores", doc="A vector store.")
    retrieve = operation("GET", "/vector_stores/{vector_store_id}")
    list = operation("GET", "/vector_stores")
    delete = operation("DELETE", "/vector_stores/{vector_store_id}")
    search = operation("POST", "/vector_stores/{vector_store_id}/search", "query")
    file_content = operation(
        "GET", "/vector_stores/{vector_store_id}/files/{file_id}/content", content=True
    )
    events = operation("POST", "/vector_stores/{vector_store_id}/events", stream="sse")
    attach = operation(
        "POST", "/containers/{container_id}/files", "file", files=("file",), query=("tag",)
    )


@pytest.fixture
def stores(httpserver: HTTPServer, make_client: Any, clients: Any) -> Any:
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0)
    resource = Stores(getattr(client, "_target", client))
    if clients.kind == "async":
        from tests.support.clients import Blocking

        return Blocking(resource, clients.loop)
    return resource


def sent_json(httpserver: HTTPServer) -> Any:
    return json.loads(last(httpserver).get_data())


def test_required_arguments_by_position_or_name_and_the_rest_in_the_body(
    httpserver: HTTPServer, stores: Any
) -> None:
    answer(httpserver, {"object": "list"})
    answer(httpserver, {"object": "list"})

    stores.search("vs_1", "otters", max_num_results=5)
    assert last(httpserver).path == "/v1/vector_stores/vs_1/search"
    assert sent_json(httpserver) == {"query": "otters", "max_num_results": 5}
    assert last(httpserver).headers["OpenAI-Beta"] == "assistants=v2"

    stores.search(query="seals", vector_store_id="vs 2/x")
    assert last(httpserver).environ["RAW_URI"] == "/v1/vector_stores/vs%202%2Fx/search"
    assert sent_json(httpserver) == {"query": "seals"}


def test_a_get_or_delete_sends_its_arguments_in_the_query(
    httpserver: HTTPServer, stores: Any
) -> None:
    answer(httpserver, {"data": []})
    answer(httpserver, {"deleted": True})

    stores.list(limit=2, order="asc")
    assert query(last(httpserver)) == {"limit": ["2"], "order": ["asc"]}
    assert last(httpserver).get_data() == b""

    assert stores.delete("vs_1") == {"deleted": True}
    assert last(httpserver).method == "DELETE"


def test_binary_content_is_bytes_or_a_stream_of_them(httpserver: HTTPServer, stores: Any) -> None:
    answer(httpserver, b"\x00\x01video", content_type="application/octet-stream")
    answer(httpserver, b"\x00\x01video", content_type="application/octet-stream")

    assert stores.file_content("vs_1", "file_1") == b"\x00\x01video"
    with stores.file_content("vs_1", "file_1", stream=True) as stream:
        assert b"".join(stream) == b"\x00\x01video"
    assert last(httpserver).path == "/v1/vector_stores/vs_1/files/file_1/content"


def test_a_streamed_operation_sends_the_flag_and_decodes_the_events(
    httpserver: HTTPServer, stores: Any
) -> None:
    answer(httpserver, b'data: {"n": 1}\n\ndata: [DONE]\n\n', content_type="text/event-stream")

    with stores.events("vs_1", stream=True, since=3) as stream:
        assert list(stream) == [{"n": 1}]
    assert sent_json(httpserver) == {"since": 3, "stream": True}


def test_an_upload_operation_sends_a_form(httpserver: HTTPServer, stores: Any) -> None:
    answer(httpserver, {"id": "cfile_1"})

    stores.attach("cntr_1", ("notes.txt", b"hello"), tag="a", purpose="x")

    request = last(httpserver)
    assert request.path == "/v1/containers/cntr_1/files"
    assert query(request) == {"tag": ["a"]}
    assert request.files["file"].filename == "notes.txt"
    assert request.files["file"].read() == b"hello"
    assert request.form["purpose"] == "x"


def test_per_call_options_and_raw_responses_work_as_on_any_method(
    httpserver: HTTPServer, stores: Any
) -> None:
    answer(httpserver, {"id": "vs_1"}, headers={"x-request-id": "req_1"})

    stores.create(name="docs", extra_headers={"X-Trace": "1"}, extra_body={"extra": True})

    assert last(httpserver).headers["X-Trace"] == "1"
    assert sent_json(httpserver) == {"name": "docs", "extra": True}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: s.search("vs_1"), TypeError, r"search\(\): missing a required argument"),
        (lambda s: s.search("vs_1", None), TypeError, "query is required, not None"),
        (lambda s: s.retrieve(".."), ValueError, "vector_store_id must not be '..'"),
        (lambda s: s.retrieve(7), TypeError, "vector_store_id must be a string"),
        (lambda s: s.events("vs_1", stream="yes"), TypeError, "stream must be True or False"),
        (lambda s: s.attach("c", "no/such/file"), FileNotFoundError, "file"),
    ],
)  # fmt: skip
def test_a_bad_call_is_refused_by_name_before_any_network(
    call: Any, error: type[Exception], message: str, httpserver: HTTPServer, stores: Any
) -> None:
    with pytest.raises(error, match=message):
        call(stores)
    assert httpserver.log == []


def test_the_method_has_a_signature_and_a_docstring() -> None:
    assert str(inspect.signature(Stores.search)) == (
        "(self, vector_store_id, query, *, verbosity=None, **params)"
    )
    assert str(inspect.signature(Stores.events)) == (
        "(self, vector_store_id, *, stream=False, num=2, verbosity=None, **params)"
    )
    assert Stores.create.__doc__.startswith("A vector store.")
    assert "`POST /vector_stores/{vector_store_id}/search`" in (Stores.search.__doc__ or "")
    assert Stores.search.__name__ == "search"


def test_a_bad_description_is_refused_when_the_class_is_written() -> None:
    with pytest.raises(ValueError, match="stream must be one of"):
        operation("POST", "/x", stream="xml")
    with pytest.raises(ValueError, match="files names arguments that are not required"):
        operation("POST", "/x", files=("file",))


class Jobs(openaistream.Resource):
    retrieve = operation("GET", "/jobs/{job_id}")

    def wait_for(self, job_id: str) -> Any:
        """Poll until the job is done: steps given to run, paused with self.wait."""

        def steps() -> Any:
            for _ in range(10):
                job = yield self.retrieve(job_id)
                if job["status"] == "done":
                    return job
                yield self.wait(0.01)
            raise TimeoutError(job_id)

        return self.run(steps())


def test_steps_pause_with_wait_on_both_clients(
    httpserver: HTTPServer, make_client: Any, clients: Any
) -> None:
    answer(httpserver, {"status": "running"})
    answer(httpserver, {"status": "done"})
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"))
    jobs = Jobs(getattr(client, "_target", client))
    if clients.kind == "async":
        from tests.support.clients import Blocking

        jobs = Blocking(jobs, clients.loop)

    assert jobs.wait_for("job_1") == {"status": "done"}
    assert len(httpserver.log) == 2


class Batches(openaistream.Resource):
    cancel = operation("POST", "/batches/{batch_id}/cancel", body=False)


def test_an_operation_without_a_body_sends_none(
    httpserver: HTTPServer, make_client: Any, clients: Any
) -> None:
    answer(httpserver, {"status": "cancelling"})
    client = make_client(API_KEY, base_url=httpserver.url_for("/v1"))
    batches: Any = Batches(getattr(client, "_target", client))
    if clients.kind == "async":
        from tests.support.clients import Blocking

        batches = Blocking(batches, clients.loop)

    batches.cancel("batch_1", reason="x")

    request = last(httpserver)
    assert request.get_data() == b"" and "Content-Type" not in request.headers
    assert query(request) == {"reason": ["x"]}
    with pytest.raises(ValueError, match="without a body takes no required"):
        operation("POST", "/x/{x_id}/cancel", "why", body=False)
