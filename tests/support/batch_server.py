"""A local Files and Batches API on pytest-httpserver, for bulk runs through the Batch API.

It keeps uploaded files, creates batches of them, and moves each batch one step further each
time it is retrieved (validating, in_progress, finalizing, then completed), answering with
``openai-poll-after-ms`` so a client polls quickly. It answers every request of a batch
itself: a chat completion whose content is the last user message upper-cased, or
embeddings. As the API does (facts from the OpenAPI spec: the Batch and BatchRequestOutput
objects), it refuses a file with more requests or bytes than its limits, or lines for
another endpoint, by failing the batch with ``errors``; writes a request that fails (a model
named ``no-such-model``: 404) to the error file with its response; and, told to, lets a
batch expire after answering only some of its requests, the rest in its error file with code
``batch_expired``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from typing import Any, Optional

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

MISSING_MODEL = "no-such-model"
EXPIRED = "batch_expired"  # the error code of a request an expired batch did not get to
# The endpoints a batch may run (the spec's CreateBatchRequest.endpoint).
ENDPOINTS = (
    "/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions",
    "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos",
)  # fmt: skip
ERROR_FILE = "batch_errors.jsonl"  # the name a batch's error file is given
STEPS = ("validating", "in_progress", "finalizing")  # a retrieve moves a batch one step on


class BatchAPI:
    """``install(httpserver)``, then read what it saw: ``uploads`` (file ids, in order),
    ``created`` (batch ids, in order), ``answered`` (answers by custom id, over all
    batches)."""

    def __init__(
        self,
        max_requests: int = 50_000,
        max_bytes: int = 200 * 1024 * 1024,
        poll_after_ms: int = 5,
        max_embedding_inputs: int = 50_000,
        max_enqueued: Optional[int] = None,
    ) -> None:
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.max_embedding_inputs = max_embedding_inputs
        # Requests (standing for tokens) the batches in progress may hold at once; a batch
        # past it fails validation with token_limit_exceeded, as the API's queue does.
        self.max_enqueued = max_enqueued
        self.poll_after_ms = poll_after_ms
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.uploads: list[str] = []
        self.created: list[str] = []
        self.answered: Counter[str] = Counter()
        self.retrieved = 0
        self.retrieved_at: list[tuple[str, float]] = []  # (batch id, time.monotonic())
        self._ending: dict[int, tuple[str, int]] = {}  # nth batch created: (status, answered)
        self._refuse_creates = 0
        self._refuse_error_files = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- what a test asks of it -------------------------------------------------------------

    def expire(self, nth: int, answering: int) -> None:
        """The ``nth`` batch created (from 1) expires having answered its first ``answering``
        requests; the others are in its error file with code ``batch_expired``."""
        self._ending[nth] = ("expired", answering)

    def cancel(self, nth: int, answering: int) -> None:
        """The ``nth`` batch created is cancelled having answered its first ``answering``
        requests; the others are in neither file."""
        self._ending[nth] = ("cancelled", answering)

    def refuse_error_files(self, times: int) -> None:
        """The next ``times`` downloads of a batch's error file answer 500."""
        self._refuse_error_files = times

    def refuse_creates(self, times: int) -> None:
        """The next ``times`` batch creations answer 500."""
        self._refuse_creates = times

    def install(self, httpserver: HTTPServer) -> BatchAPI:
        routes = [  # the more specific first: a request takes the first route it matches
            ("/v1/files", "POST", self._upload),
            ("/v1/batches", "POST", self._create),
            ("/v1/batches", "GET", self._list),
            (_pattern(r"/v1/files/[^/]+/content"), "GET", self._content),
            (_pattern(r"/v1/files/[^/]+"), "DELETE", self._delete),
            (_pattern(r"/v1/files/[^/]+"), "GET", self._file_object),
            (_pattern(r"/v1/batches/[^/]+/cancel"), "POST", self._cancel),
            (_pattern(r"/v1/batches/[^/]+"), "GET", self._retrieve),
        ]
        for path, method, handler in routes:
            httpserver.expect_request(path, method=method).respond_with_handler(handler)
        return self

    # -- files ------------------------------------------------------------------------------

    def _upload(self, request: Request) -> Response:
        upload = request.files["file"]
        data = upload.read()
        with self._lock:
            file = self._file(data, upload.filename or "upload.jsonl", request.form["purpose"])
            self.uploads.append(file["id"])
        return _json(file)

    def _file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        file_id = f"file-{next(self._ids)}"
        file = {
            "id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
            "filename": filename, "purpose": purpose, "status": "processed",
        }  # fmt: skip
        self.files[file_id] = file
        self.contents[file_id] = data
        return file

    def _content(self, request: Request) -> Response:
        file_id = request.path.split("/")[3]
        with self._lock:
            if file_id not in self.contents:
                return _json({"error": {"message": f"No such file: {file_id}"}}, 404)
            if self._refuse_error_files and self.files[file_id]["filename"] == ERROR_FILE:
                self._refuse_error_files -= 1
                return _json({"error": {"message": "The server had an error"}}, 500)
        return Response(self.contents[file_id], 200, content_type="application/octet-stream")

    def _file_object(self, request: Request) -> Response:
        file_id = request.path.split("/")[3]
        with self._lock:
            file = self.files.get(file_id)
        if file is None:
            return _json({"error": {"message": f"No such file: {file_id}"}}, 404)
        return _json(file)

    def _delete(self, request: Request) -> Response:
        file_id = request.path.split("/")[3]
        with self._lock:
            self.files.pop(file_id, None)
            self.contents.pop(file_id, None)
        return _json({"id": file_id, "object": "file", "deleted": True})

    # -- batches ----------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        body = json.loads(request.data)
        with self._lock:
            if self._refuse_creates:
                self._refuse_creates -= 1
                return _json({"error": {"message": "The server had an error"}}, 500)
            refused = self._refused(body)
            if refused:
                return _json({"error": {"message": refused, "type": "invalid_request_error"}}, 400)
            batch_id = f"batch_{next(self._ids)}"
            self.created.append(batch_id)
            self.batches[batch_id] = {
                "id": batch_id, "object": "batch", "endpoint": body["endpoint"],
                "errors": None, "input_file_id": body["input_file_id"],
                "completion_window": body["completion_window"], "status": "validating",
                "output_file_id": None, "error_file_id": None,
                "created_at": int(time.time()), "expires_at": int(time.time()) + 86400,
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
                "metadata": body.get("metadata"),
            }  # fmt: skip
            return _json(self.batches[batch_id])

    def _refused(self, body: dict[str, Any]) -> Optional[str]:
        """Why the API would not create this batch, if it would not."""
        file = self.files.get(body.get("input_file_id", ""))
        if file is None:
            return "No such input file"
        if file["purpose"] != "batch":
            return f"The input file's purpose is {file['purpose']!r}, not 'batch'"
        if body.get("endpoint") not in ENDPOINTS:
            return f"Invalid endpoint: {body.get('endpoint')!r}"
        if body.get("completion_window") != "24h":
            return "completion_window must be '24h'"
        return None

    def _list(self, request: Request) -> Response:
        with self._lock:
            data = [self.batches[batch_id] for batch_id in reversed(self.created)]
        return _json({"object": "list", "data": data, "has_more": False})

    def _retrieve(self, request: Request) -> Response:
        batch_id = request.path.split("/")[3]
        with self._lock:
            self.retrieved += 1
            self.retrieved_at.append((batch_id, time.monotonic()))
            batch = self.batches.get(batch_id)
            if batch is None:
                return _json({"error": {"message": f"No such batch: {batch_id}"}}, 404)
            self._step(batch)
            answer = json.loads(json.dumps(batch))
        return _json(answer, headers={"openai-poll-after-ms": str(self.poll_after_ms)})

    def _cancel(self, request: Request) -> Response:
        batch_id = request.path.split("/")[3]
        with self._lock:
            batch = self.batches[batch_id]
            if batch["status"] in STEPS:
                self._finish(batch, answering=0, status="cancelled", undone=None)
            return _json(batch)

    def _step(self, batch: dict[str, Any]) -> None:
        status = batch["status"]
        if status == "validating":
            problems = self._problems(batch)
            if problems:
                batch["status"] = "failed"
                batch["errors"] = {"object": "list", "data": problems}
                return
            lines = self.contents[batch["input_file_id"]].splitlines()
            batch["request_counts"]["total"] = len(lines)
            batch["status"] = "in_progress"
        elif status == "in_progress":
            # Half of what it will answer, for a poll to see the counts grow.
            ending, answering = self._end_of(batch)
            batch["request_counts"]["completed"] = answering // 2
            batch["status"] = "finalizing"
        elif status == "finalizing":
            ending, answering = self._end_of(batch)
            undone = EXPIRED if ending == "expired" else None
            self._finish(batch, answering=answering, status=ending, undone=undone)

    def _end_of(self, batch: dict[str, Any]) -> tuple[str, int]:
        """How the batch ends, and how many of its requests it answers."""
        nth = self.created.index(batch["id"]) + 1
        return self._ending.get(nth, ("completed", batch["request_counts"]["total"]))

    def _problems(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        data = self.contents[batch["input_file_id"]]
        lines = data.splitlines()
        if self.max_enqueued is not None:
            enqueued = sum(
                other["request_counts"]["total"]
                for other in self.batches.values()
                if other["status"] in ("in_progress", "finalizing")
            )
            if enqueued + len(lines) > self.max_enqueued:
                message = (
                    f"The queue holds {enqueued} of {self.max_enqueued} requests; try again "
                    "once some batches in progress have ended."
                )
                return [_problem("token_limit_exceeded", message)]
        if len(lines) > self.max_requests:
            return [_problem("too_many_requests", f"{len(lines)} requests > {self.max_requests}")]
        if len(data) > self.max_bytes:
            return [_problem("file_too_large", f"{len(data)} bytes > {self.max_bytes}")]
        seen: set[str] = set()
        inputs = 0
        for number, line in enumerate(lines, start=1):
            request = json.loads(line)
            if request.get("url") != batch["endpoint"]:
                return [_problem("mismatched_endpoint", "not the batch's endpoint", number)]
            if request["custom_id"] in seen:
                return [_problem("duplicate_custom_id", "custom_id used twice", number)]
            seen.add(request["custom_id"])
            if batch["endpoint"] == "/v1/embeddings":
                given = request["body"]["input"]
                inputs += len(given) if isinstance(given, list) else 1
        if inputs > self.max_embedding_inputs:
            message = f"{inputs} embedding inputs > {self.max_embedding_inputs}"
            return [_problem("too_many_embedding_inputs", message)]
        return []

    def _finish(
        self, batch: dict[str, Any], answering: int, status: str, undone: Optional[str]
    ) -> None:
        """Answer the first ``answering`` of the batch's requests into an output and an error
        file; the others unanswered, in the error file with the code ``undone`` if any."""
        lines = self.contents[batch["input_file_id"]].splitlines()
        output: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        counts = batch["request_counts"]
        counts["completed"] = counts["failed"] = 0
        for number, line in enumerate(lines):
            request = json.loads(line)
            custom_id = request["custom_id"]
            if number >= answering:
                if undone is not None:
                    message = "This request could not be executed before the batch ended."
                    errors.append(_line(custom_id, None, {"code": undone, "message": message}))
                continue
            status_code, body = _answer(batch["endpoint"], request["body"])
            self.answered[custom_id] += 1
            response = {
                "status_code": status_code,
                "request_id": f"req_{next(self._ids)}",
                "body": body,
            }
            (output if status_code == 200 else errors).append(_line(custom_id, response, None))
            counts["completed" if status_code == 200 else "failed"] += 1
        batch["status"] = status
        if output:
            batch["output_file_id"] = self._file(
                _jsonl(output), "batch_output.jsonl", "batch_output"
            )["id"]
        if errors:
            batch["error_file_id"] = self._file(_jsonl(errors), ERROR_FILE, "batch_output")["id"]
        batch[f"{status}_at"] = int(time.time())


def _answer(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if body.get("model") == MISSING_MODEL:
        message = f"The model `{MISSING_MODEL}` does not exist"
        error = {"message": message, "type": "invalid_request_error", "param": None,
                 "code": "model_not_found"}  # fmt: skip
        return 404, {"error": error}
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    if endpoint == "/v1/embeddings":
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": [float(len(text)), 0.5]}
                for i, text in enumerate(inputs)]  # fmt: skip
        return 200, {"object": "list", "data": data, "model": body["model"], "usage": usage}
    content = str(body["messages"][-1]["content"]).upper()
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": content},
        "finish_reason": "stop",
    }
    return 200, {"id": "chatcmpl-b", "object": "chat.completion", "model": body["model"],
                 "choices": [choice], "usage": usage}  # fmt: skip


def _line(
    custom_id: str, response: Optional[dict[str, Any]], error: Optional[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": response,
        "error": error,
    }


def _problem(code: str, message: str, line: Optional[int] = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": None, "line": line}


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _pattern(regex: str) -> Any:
    import re

    return re.compile(f"^{regex}$")


def _json(body: Any, status: int = 200, headers: Optional[dict[str, str]] = None) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")
