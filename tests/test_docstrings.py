"""The docstrings are written in one style, the one the API reference reads: Google style, with
Markdown inside (code in backticks, cross-references as ``[name][openaistream.module.name]``,
examples in fenced blocks). reST markup would show literally on the site."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    path
    for folder in ("core", "plugins", "transports")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)

# What reST writes and Markdown shows as it is.
REST = {
    "a reST role (:class:`X`, :func:`f`, ...)": re.compile(r":[a-z]+:`"),
    "a reST literal block (a paragraph ending in ::)": re.compile(r"::\s*$", re.MULTILINE),
    "a reST directive (.. note::, .. code-block::)": re.compile(r"^\s*\.\. \w", re.MULTILINE),
    "a NumPy section (a heading underlined with dashes)": re.compile(
        r"^\s*(Parameters|Returns|Raises|Yields|Examples?)\n\s*-{3,}", re.MULTILINE
    ),
}


def docstrings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each docstring of a module: its own, its classes' and functions'."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node, clean=True)
            if text:
                line = node.body[0].lineno if node.body else 1
                yield line, text


def test_the_sources_are_found() -> None:
    assert len(SOURCES) > 80


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_docstrings_are_markdown_not_rest(path: Path) -> None:
    found = []
    for line, text in docstrings(path):
        for what, pattern in REST.items():
            match = pattern.search(text)
            if match:
                shown = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
                found.append(f"line {line}: {what}: ...{shown}...")
    assert not found, "\n".join(found)


def test_the_style_checks_catch_rest() -> None:
    # The patterns above, on what they are there to catch (so a test that passes means
    # something) and on Markdown they must leave alone.
    rest = "See :class:`DataStream`.\n\nFor example::\n\n    x = 1\n\n.. note:: no"
    markdown = "See [`DataStream`][openaistream.stream.DataStream].\n\n```python\nx = 1\n```"
    assert all(pattern.search(rest) or what.startswith("a NumPy") for what, pattern in REST.items())
    assert not any(pattern.search(markdown) for pattern in REST.values())
    numpy = "Do it.\n\nParameters\n----------\nx : int"
    assert REST["a NumPy section (a heading underlined with dashes)"].search(numpy)
