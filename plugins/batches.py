"""The `batches` resource (the Batch API, which the R package predates), with helpers that
keep a batch in constant memory at any size: its input written as JSON Lines from any
iterable, its output read back as a stream of JSON lines.

Paths from the OpenAPI spec: `POST|GET /batches`, `GET /batches/{batch_id}`,
`POST /batches/{batch_id}/cancel`; the output is read from `GET /files/{file_id}/content`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Iterable, Mapping
from pathlib import Path
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.resource import PathLike, check_text, path_for

_ONE = "/batches/{batch_id}"


class Batches(openaistream.Resource):
    """The Batch API: jobs that run a file of requests within 24 hours at half the price, as
    `client.batches`.

    Two helpers keep a batch of any size in constant memory: `write_input` writes the input
    file from any iterable of requests, a line at a time, and `read_output` reads an output
    file back as a [`DataStream`][openaistream.stream.DataStream] of its JSON lines.
    `client.bulk` runs a whole file of requests to its answers, resuming where it stopped.

    ```python
    client.batches.write_input("input.jsonl", requests)  # request bodies, or whole batch lines
    uploaded = client.files.upload("input.jsonl", "batch")
    batch = client.batches.create(uploaded["id"], "/v1/chat/completions")
    # once it is completed: client.batches.read_output(batch["output_file_id"])
    ```
    """

    endpoint = "/batches"

    def create(
        self,
        input_file_id: str,
        endpoint: str,
        completion_window: str = "24h",
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Run the requests of an uploaded JSONL file (purpose `batch`) against
        `endpoint` (`/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`, ...);
        `params`: `metadata`, `output_expires_after`."""
        body = {
            "input_file_id": check_text("input_file_id", input_file_id),
            "endpoint": check_text("endpoint", endpoint),
            "completion_window": check_text("completion_window", completion_window),
            **params,
        }
        return self.request("POST", "/batches", json=body, verbosity=verbosity)

    def retrieve(self, batch_id: str, *, verbosity: Optional[int] = None) -> Any:
        """A batch: its `status`, its `request_counts`, and its `output_file_id` and
        `error_file_id` once it has them."""
        return self.request("GET", path_for(_ONE, batch_id=batch_id), verbosity=verbosity)

    def cancel(self, batch_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Cancel a batch in progress: it is `cancelling` for up to 10 minutes, then
        `cancelled`, with the results so far (if any) in its output file."""
        path = path_for(_ONE + "/cancel", batch_id=batch_id)
        return self.request("POST", path, verbosity=verbosity)

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """`after`, `limit`."""
        return self.request("GET", "/batches", params=params, verbosity=verbosity)

    @staticmethod
    def write_input(
        path: PathLike,
        requests: Union[Iterable[Mapping[str, Any]], AsyncIterable[Mapping[str, Any]]],
        url: str = "/v1/chat/completions",
    ) -> Any:
        """Write a batch input file at `path` from `requests`, one JSON line each, as
        they come (a generator of a million requests takes no more memory than one); the
        number of lines written.

        A request is either a complete batch line (`custom_id`, `method`, `url`,
        `body`; `method` and `url` default to POST and `url`, `custom_id` to its number
        as below) or just the body, which gets `custom_id` `request-1`, `request-2`, ...
        Custom ids must be unique.

        `requests` may be an async iterable (an `async def` generator): then this returns
        an awaitable of the count, `await client.batches.write_input(path, requests())`.
        The file is local work, the same from either client.
        """
        target = Path(path)
        if target.is_dir():
            raise IsADirectoryError(f"path is a directory, not a file: {str(target)!r}")
        if isinstance(requests, AsyncIterable):
            return _written_from_async(target, requests, url)
        lines = _Lines(url)
        with target.open("w", encoding="utf-8") as file:
            for request in requests:
                file.write(lines.next(request))
        return lines.count

    def read_output(self, file_id: str, *, num: int = 2, verbosity: Optional[int] = None) -> Any:
        """A batch's output (or error) file as a DataStream of its JSON lines, read as they
        arrive, never the whole file in memory. `file_id` is the batch's
        `output_file_id` or `error_file_id`."""
        path = path_for("/files/{file_id}/content", file_id=file_id)
        return self.request("GET", path, stream=True, decoder="jsonl", num=num, verbosity=verbosity)


class _Lines:
    """The lines of a batch input file, numbered, their custom ids checked unique."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.count = 0
        self._seen: set[str] = set()

    def next(self, request: Mapping[str, Any]) -> str:
        self.count += 1
        line = _batch_line(request, self.count, self.url)
        if line["custom_id"] in self._seen:
            raise ValueError(f"requests: custom_id {line['custom_id']!r} is used twice")
        self._seen.add(line["custom_id"])
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"


async def _written_from_async(
    target: Path, requests: AsyncIterable[Mapping[str, Any]], url: str
) -> int:
    """write_input from an async iterable: each line written as its request comes (a local
    write of a line holds the event loop for microseconds)."""
    lines = _Lines(url)
    with target.open("w", encoding="utf-8") as file:
        async for request in requests:
            file.write(lines.next(request))
    return lines.count


def _batch_line(request: Mapping[str, Any], number: int, url: str) -> dict[str, Any]:
    if not isinstance(request, Mapping):
        raise TypeError(f"requests[{number - 1}] must be a dict, not {type(request).__name__}")
    if "body" in request:  # a batch line: what it leaves out is filled in
        return {"custom_id": f"request-{number}", "method": "POST", "url": url, **request}
    return {"custom_id": f"request-{number}", "method": "POST", "url": url, "body": dict(request)}


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("batches", Batches)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.batches import command  # only the command line loads click

    cli.add_command(command())
