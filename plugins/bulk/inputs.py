"""The input of a bulk run: the Batch API's input format, one request a line:

```json
{"custom_id": "row-1", "method": "POST", "url": "/v1/chat/completions", "body": {...}}
```

`check_input` reads the whole file once before anything is sent and reports every line
that could not be sent (not JSON, no `custom_id`, a `custom_id` used twice, a URL that is
not an API path), with its line number; `read_requests` then reads it again as the run goes,
a line at a time, so a file of any size takes the memory of one line.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from openaistream import jsonlib
from openaistream.resource import PathLike

from .ids import Repeats, digest

__all__ = [
    "METHODS",
    "BulkRequest",
    "InputError",
    "InputSummary",
    "api_path",
    "check_input",
    "read_requests",
]

METHODS = ("POST", "GET", "DELETE")  # the Batch API takes POST only; a direct run all three
SHOWN = 20  # problems an InputError lists; the rest are counted
# An API path as the Batch API names it: /v1/ and then path segments, no host, no query.
_API_PATH = re.compile(r"/v1(/[A-Za-z0-9_.~%-]+)+")


@dataclass(frozen=True)
class BulkRequest:
    """One request of the input. `raw` is its line as read, without the newline (a batch
    file gets it verbatim); `line` counts from 1."""

    line: int
    custom_id: str
    method: str
    url: str
    body: Any
    raw: bytes


@dataclass(frozen=True)
class InputSummary:
    count: int  # requests in the file
    urls: dict[str, int]  # requests per URL


class InputError(ValueError):
    """Lines of the input that cannot be sent. `problems` are (line number, what is
    wrong), in file order; nothing was sent."""

    def __init__(self, path: str, problems: list[tuple[int, str]], total: int) -> None:
        shown = "\n".join(f"  line {line}: {text}" for line, text in problems[:SHOWN])
        more = f"\n  ... and {total - SHOWN:,} more" if total > SHOWN else ""
        super().__init__(f"{path}: {total:,} line(s) cannot be sent:\n{shown}{more}")
        self.path = path
        self.problems = problems
        self.total = total


def api_path(url: str) -> str:
    """The path a client with a `.../v1` base URL calls: `/v1/chat/completions` ->
    `/chat/completions`."""
    return url[len("/v1") :]


def check_input(path: PathLike) -> InputSummary:
    """Read the whole input once: what it asks for, or an InputError naming every line
    that cannot be sent (the first `SHOWN` of them, with their line numbers)."""
    name = str(path)
    problems: list[tuple[int, str]] = []
    total_problems = 0
    repeats = Repeats(_line_count(path))
    maybe: set[int] = set()  # digests of ids the filter may have seen before
    urls: dict[str, int] = {}
    count = 0
    for number, raw in _lines(path):
        try:
            request = _parsed(number, raw)
        except ValueError as problem:
            total_problems += 1
            if len(problems) < SHOWN:
                problems.append((number, str(problem)))
            continue
        if request is None:
            continue
        if repeats.seen_before(request.custom_id):
            maybe.add(digest(request.custom_id))
        urls[request.url] = urls.get(request.url, 0) + 1
        count += 1
    if maybe:
        found = _repeats(path, maybe)
        total_problems += len(found)
        problems = sorted(problems + found)[:SHOWN]  # the first SHOWN of either kind
    if total_problems:
        raise InputError(name, problems, total_problems)
    if not count:
        raise InputError(name, [(0, "the file holds no requests")], 1)
    return InputSummary(count, urls)


def read_requests(path: PathLike, done: Optional[Container[str]] = None) -> Iterator[BulkRequest]:
    """The requests of a checked input in file order, read as they are taken, leaving out
    those whose `custom_id` is in `done` (a resumed run)."""
    for number, raw in _lines(path):
        request = _parsed(number, raw)
        if request is not None and (done is None or request.custom_id not in done):
            yield request


def _line_count(path: PathLike) -> int:
    with Path(path).open("rb") as file:
        return sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 20), b"")) + 1


def _lines(path: PathLike) -> Iterator[tuple[int, bytes]]:
    with Path(path).open("rb") as file:
        for number, line in enumerate(file, start=1):
            yield number, line.rstrip(b"\r\n")


def _parsed(number: int, raw: bytes) -> Optional[BulkRequest]:
    """The request on one line (None for a blank line), or a ValueError saying what is wrong."""
    if not raw.strip():
        return None
    try:
        value = jsonlib.loads(raw)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(value, dict):
        raise ValueError(f"a request is a JSON object, not {type(value).__name__}")
    custom_id = value.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise ValueError("custom_id is missing: each request needs a non-empty string id")
    method = value.get("method", "POST")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    url = value.get("url")
    if not isinstance(url, str) or not _API_PATH.fullmatch(url):
        raise ValueError(f"url must be an API path such as /v1/chat/completions, not {url!r}")
    body = value.get("body")
    if method == "POST" and not isinstance(body, dict):
        raise ValueError("body must be a JSON object (the request's parameters)")
    return BulkRequest(number, custom_id, method, url, body, raw)


def _repeats(path: PathLike, maybe: set[int]) -> list[tuple[int, str]]:
    """The lines whose custom id an earlier line already used, each naming that line. Only
    the few ids that may repeat are held by name."""
    first: dict[str, int] = {}
    found = []
    for number, raw in _lines(path):
        try:
            request = _parsed(number, raw)
        except ValueError:
            continue
        if request is None or digest(request.custom_id) not in maybe:
            continue
        earlier = first.setdefault(request.custom_id, number)
        if earlier != number:
            found.append((number, f"custom_id {request.custom_id!r} repeats line {earlier}"))
    return found
