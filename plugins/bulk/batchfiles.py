"""The batch input files of a run: its requests split into files the Batch API takes.

A batch runs one endpoint, so each file holds one URL's requests; it holds at most 50,000
requests and 200 MB, and an embeddings batch at most 50,000 inputs over all its requests
(facts from the OpenAPI spec: CreateBatchRequest). Lines are written as the input has them,
so the answers match the input byte for byte. A request that no batch could take (another
method than POST, an endpoint the Batch API does not run, a line larger than a whole file)
is named before anything is uploaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Optional

from .inputs import BulkRequest

__all__ = ["ENDPOINTS", "BatchFile", "BatchLimits", "embedding_inputs", "split_requests"]

# The endpoints a batch may run (the spec's CreateBatchRequest.endpoint).
ENDPOINTS = (
    "/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions",
    "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos",
)  # fmt: skip
EMBEDDINGS = "/v1/embeddings"


@dataclass(frozen=True)
class BatchLimits:
    """What one batch may hold (the API's limits)."""

    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024
    max_embedding_inputs: int = 50_000


@dataclass(frozen=True)
class BatchFile:
    """A file written: its name in the folder, the URL of all its lines, how many."""

    name: str
    url: str
    count: int


class _Filling:
    """A file being written, and what it holds so far."""

    def __init__(self, name: str, url: str, stream: IO[bytes]) -> None:
        self.name, self.url, self.stream = name, url, stream
        self.count = self.size = self.inputs = 0

    def fits(self, size: int, inputs: int, limits: BatchLimits) -> bool:
        return (
            self.count < limits.max_requests
            and self.size + size <= limits.max_bytes
            and self.inputs + inputs <= limits.max_embedding_inputs
        )

    def add(self, line: bytes, inputs: int) -> None:
        self.stream.write(line)
        self.count += 1
        self.size += len(line)
        self.inputs += inputs


def split_requests(
    requests: Iterable[BulkRequest], limits: BatchLimits, folder: Path
) -> list[BatchFile]:
    """Write the requests into `folder` as batch files (`part-0001.jsonl`, ...), in input
    order within each URL; the files, in the order they were begun."""
    files: list[_Filling] = []
    filling: dict[str, _Filling] = {}  # by URL: the file its next request goes to
    try:
        for request in requests:
            _check(request, limits)
            line = request.raw + b"\n"
            inputs = embedding_inputs(request.body) if request.url == EMBEDDINGS else 0
            current = filling.get(request.url)
            if current is None or not current.fits(len(line), inputs, limits):
                if current is not None:
                    current.stream.close()
                name = f"part-{len(files) + 1:04d}.jsonl"
                current = _Filling(name, request.url, (folder / name).open("wb"))
                files.append(current)
                filling[request.url] = current
            current.add(line, inputs)
    finally:
        for file in filling.values():
            file.stream.close()
    return [BatchFile(file.name, file.url, file.count) for file in files]


def _check(request: BulkRequest, limits: BatchLimits) -> None:
    where = f"line {request.line}"
    if request.method != "POST":
        raise ValueError(
            f"{where}: the Batch API sends POST requests only, not {request.method}: run this "
            "input directly"
        )
    if request.url not in ENDPOINTS:
        raise ValueError(
            f"{where}: the Batch API does not run {request.url} (it runs {', '.join(ENDPOINTS)})"
            ": run this input directly"
        )
    size = len(request.raw) + 1
    if size > limits.max_bytes:
        raise ValueError(f"{where}: {size:,} bytes, more than a batch file may hold")
    inputs = embedding_inputs(request.body) if request.url == EMBEDDINGS else 0
    if inputs > limits.max_embedding_inputs:
        raise ValueError(f"{where}: {inputs:,} embedding inputs, more than a batch may hold")


def embedding_inputs(body: Optional[Any]) -> int:
    """How many inputs an embeddings request embeds: a string or a list of tokens is one, a
    list of strings or of token lists one each."""
    text = body.get("input") if isinstance(body, dict) else None
    if not isinstance(text, list) or not text:
        return 1
    if all(isinstance(item, int) for item in text):
        return 1  # one input given as tokens
    return len(text)
