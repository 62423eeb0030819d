"""The calls of the resource methods, one module a group of the API, for the contract and
coverage tests (tests/plugins/test_contract.py): each names the spec's operation it must
reach and what the server answers.

A module here defines ``CALLS: dict[str, Call]``, keyed ``"<resource>.<method>"`` (a
second call of one method adds `` (<why>)``: ``"vector_stores.search (filters)"``). Every
module of this package is read; a group's calls live in its own module, so that the people
writing two groups never edit one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

ANSWERS = ("json", "sse", "bytes")


@dataclass(frozen=True)
class Call:
    """``call(client)`` makes one request; ``operation`` is the spec's key it must reach
    (``"POST /vector_stores"``); ``answer`` is what the local server sends back: ``"json"``
    (``{"id": "x"}``, or ``json`` when given), ``"sse"`` (``data: [DONE]``) or ``"bytes"``.
    ``tmp`` calls get a folder to write files in (``call(client, tmp_path)``)."""

    call: Callable[..., Any]
    operation: str
    answer: str = "json"
    json: Any = None
    tmp: bool = False

    def __post_init__(self) -> None:
        if self.answer not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, not {self.answer!r}")


def all_calls() -> dict[str, Call]:
    """Every module's CALLS, checked for names given twice."""
    found: dict[str, Call] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        calls = importlib.import_module(f"{__name__}.{module.name}").CALLS
        twice = sorted(set(found) & set(calls))
        assert not twice, f"calls named in two modules: {twice}"
        found.update(calls)
    return found
