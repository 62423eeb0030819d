"""The output of a bulk run: the Batch API's output format, one answer a line:

```json
{"id": "bulk_req_...", "custom_id": "row-1",
 "response": {"status_code": 200, "request_id": "req_...", "body": {...}}, "error": null}
```

or, for a request that got no HTTP answer, `"response": null` and `"error": {"code",
"message"}`. Lines are appended, each with one `os.write`: a run killed at any moment
leaves whole lines and at most a torn last one, which the next run cuts off before it reads
which custom ids are done.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

from openaistream import jsonlib
from openaistream.resource import PathLike

from .ids import IdSet

__all__ = ["OutputError", "OutputFile", "error_record", "response_record"]


class OutputError(ValueError):
    """The output file holds a line that is not one of a bulk run's answers: it is not
    overwritten, nor appended to."""


def response_record(
    custom_id: str, status_code: int, request_id: Optional[str], body: Any
) -> dict[str, Any]:
    """The line of a request the server answered, whatever the status."""
    response = {"status_code": status_code, "request_id": request_id, "body": body}
    return {"id": _line_id(), "custom_id": custom_id, "response": response, "error": None}


def error_record(custom_id: str, code: str, message: str) -> dict[str, Any]:
    """The line of a request that got no answer (the network, or a batch that failed)."""
    error = {"code": code, "message": message}
    return {"id": _line_id(), "custom_id": custom_id, "response": None, "error": error}


def _line_id() -> str:
    return f"bulk_req_{uuid.uuid4().hex}"


class OutputFile:
    """The output, open for appending. `done` holds the custom ids it held when it was
    opened (a run writes each id of its input once: it need not remember them again)."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise IsADirectoryError(f"the output is a directory, not a file: {str(self.path)!r}")
        self.done = IdSet(_written_ids(self.path) if self.path.exists() else ())
        self._fd: Optional[int] = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one whole line."""
        if self._fd is None:
            raise ValueError(f"the output {str(self.path)!r} is closed")
        data = _dumps(record) + b"\n"
        view = memoryview(data)
        while view:  # a regular file takes it in one write but on a full disk
            view = view[os.write(self._fd, view) :]

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _written_ids(path: Path) -> Iterator[str]:
    """The custom ids of the file's whole lines; a torn last line is cut off first."""
    _cut_torn_line(path)
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                custom_id = jsonlib.loads(line).get("custom_id")
            except (ValueError, AttributeError):
                custom_id = None
            if not isinstance(custom_id, str):
                raise OutputError(
                    f"{str(path)!r} line {number} is not a bulk answer (no custom_id): is it "
                    "the output of another run? Name a new file or remove it"
                )
            yield custom_id


def _cut_torn_line(path: Path) -> None:
    """Cut off what follows the last newline: the part of a line a killed run left."""
    with path.open("rb+") as file:
        size = file.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - 65536)
            file.seek(start)
            block = file.read(end - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                break
            end = start
        if end != size:
            file.truncate(end)


def _dumps(record: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: keep it escaped
        return json.dumps(record, separators=(",", ":")).encode("ascii")
