"""The README and docs/resources.md name every resource and every public method, so neither
falls behind the plugins."""

from __future__ import annotations

import re
from pathlib import Path

import openaistream

ROOT = Path(__file__).resolve().parent.parent


def public_methods() -> dict[str, list[str]]:
    client = openaistream.OpenAI("sk-test-docs-00000000000")
    return {
        name: [m for m in dir(resource) if not m.startswith("_") and callable(getattr(resource, m))]
        for name, resource in client.resources.items()
    }


def test_the_readme_lists_every_resource_and_method() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for resource, methods in public_methods().items():
        row = re.search(rf"^\| `{resource}` \|(.*)$", readme, re.MULTILINE)
        assert row, f"README has no row for {resource}"
        for method in methods:
            assert f"`{method}`" in row.group(1), f"README does not list {resource}.{method}"


def test_docs_resources_lists_every_method() -> None:
    text = (ROOT / "docs" / "resources.md").read_text(encoding="utf-8")
    for resource, methods in public_methods().items():
        assert f"## {resource}" in text or f" {resource}," in text or f", {resource}" in text
        for method in methods:
            assert re.search(rf"`({resource}\.)?{method}\(", text), (
                f"docs/resources.md does not document {resource}.{method}"
            )
