"""The docs keep up with the code: the README and docs/resources.md name every resource and
method, the hook reference every hook with its signature (and every hook has a test), the R
mapping every method of the R package, and the site's navigation every page."""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from pathlib import Path

import openaistream
from openaistream import hookspecs

ROOT = Path(__file__).resolve().parent.parent


# What every resource inherits (Resource.request): not an API method of its own.
BASE_METHODS = set(dir(openaistream.Resource))


def public_methods() -> dict[str, list[str]]:
    client = openaistream.OpenAI("sk-test-docs-00000000000")
    return {
        name: [
            m
            for m in dir(resource)
            if not m.startswith("_") and m not in BASE_METHODS and callable(getattr(resource, m))
        ]
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


# -- the hook reference ----------------------------------------------------------------------


def hook_specs() -> dict[str, str]:
    """Each hook spec's name and its signature as written in core/hookspecs.py."""
    specs = {}
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(function, "openaistream_spec"):
            signature = inspect.signature(function)  # annotations are the source's strings
            params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
            specs[name] = f"{name}({params}) -> {signature.return_annotation}"
    return specs


def hook_sections() -> dict[str, str]:
    """docs/hooks.md's level-2 sections: heading text to body."""
    text = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    parts = re.split(r"(?m)^## ", text)[1:]
    return {part.partition("\n")[0].strip(): part.partition("\n")[2] for part in parts}


def test_every_hook_is_documented_with_its_current_signature() -> None:
    sections = hook_sections()
    specs = hook_specs()
    assert len(specs) == 5  # the five hooks of the design; a new one needs its section too
    for name, signature in specs.items():
        heading = f"`{name}`"  # short, for the sidebar and the anchor; the signature beneath
        assert heading in sections, f"docs/hooks.md has no heading {heading}"
        body = sections[heading]
        assert body.lstrip().startswith(f"```py\n{signature}\n```"), (
            f"{name}: the signature under the heading is not {signature}"
        )
        for argument in inspect.signature(getattr(hookspecs, name)).parameters:
            assert f"- `{argument}`:" in body, f"{name}: argument {argument} is not described"
        example = re.search(r"```python\n(.*?)```", body, re.DOTALL)
        assert example, f"{name} has no example"
        assert "@openaistream.hookimpl" in example.group(1)
        assert f"def {name}(" in example.group(1)


def test_the_hook_reference_documents_no_hook_that_is_gone() -> None:
    documented = {heading.strip("`") for heading in hook_sections()}
    assert documented == set(hook_specs())


def test_every_hook_has_a_test_of_its_own() -> None:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    for hook in hook_specs():
        assert any(name.startswith(f"test_hook_{hook}") for name in names), (
            f"hook {hook} has no test named test_hook_{hook}..."
        )


# -- the R mapping, the site ---------------------------------------------------------------


def test_the_r_mapping_covers_every_method_of_the_r_package() -> None:
    methods = json.loads((ROOT / "tests/fixtures/r_reference/methods.json").read_text())
    rows = [
        line
        for line in (ROOT / "docs" / "from-r.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    missing = [
        f"{owner}${method}"
        for owner, names in methods.items()
        for method in names
        if not any(
            row.startswith(f"| `{owner}${method}(") or row.startswith(f"| `{owner}${method}` |")
            for row in rows
        )
    ]
    assert sum(map(len, methods.values())) == 91
    assert not missing, f"docs/from-r.md has no row for {missing}"


def test_every_page_of_docs_is_in_the_site_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    in_nav = set(re.findall(r"(?:-|:)\s*([\w/-]+\.md)\s*$", config, re.MULTILINE))
    docs = ROOT / "docs"
    pages = {path.relative_to(docs).as_posix() for path in docs.rglob("*.md")}
    assert in_nav == pages


def test_every_python_example_in_the_docs_is_python() -> None:
    """Each ```python block of the README and docs/ parses (``await`` allowed at the top level:
    the async pages show fragments of a coroutine), so none is a sketch that cannot run."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    blocks = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for block in re.finditer(r"^( *)```python\n(.*?)^\1```", text, re.DOTALL | re.MULTILINE):
            code = textwrap.dedent(block.group(2))
            line = text[: block.start()].count("\n") + 2
            try:
                compile(code, f"{page.name}:{line}", "exec", flags=flags)
            except SyntaxError as exc:
                raise AssertionError(f"{page.name}, the block at line {line}: {exc}") from exc
            blocks += 1
    assert blocks > 40


def test_the_async_page_covers_the_async_client() -> None:
    """docs/async.md names what an async user reaches for, as the code spells it."""
    text = (ROOT / "docs" / "async.md").read_text(encoding="utf-8")
    stream_methods = ["next_value", "get_state", "write_to", "aclose", "close"]
    for name in stream_methods:
        assert hasattr(openaistream.AsyncDataStream, name)
        assert f"stream.{name}(" in text, f"docs/async.md does not show stream.{name}()"
    for name in ["close", "aclose"]:
        assert hasattr(openaistream.AsyncOpenAI, name)
        assert f"await client.{name}()" in text
    for word in ["pip install 'openaistream[async]'", "asyncio.wait_for", "asyncio.timeout",
                 "async_openai_client", "self.run(", "socks5h://", "cassette="]:  # fmt: skip
        assert word in text, f"docs/async.md does not mention {word}"


# What issue 14 lists as the capabilities openai-python users reach for: each has its row.
OPENAI_PYTHON_CAPABILITIES = [
    "Async client", "Raw response", "Streaming response", "Structured outputs",
    "Stream helpers", "Auto-pagination", "Azure", "Custom transport", "Per-request options",
    "Idempotency", "Webhooks", "Uploads from memory", "Realtime", "Retries", "Logging",
    "Request ids", "`with_options` / `copy`", "Timeouts",
]  # fmt: skip


def test_the_openai_python_page_has_a_row_for_every_capability_and_its_tests_exist() -> None:
    page = (ROOT / "docs" / "from-openai-python.md").read_text(encoding="utf-8")
    table = page[page.index("## Every capability") :]
    rows = {
        match.group(1): line
        for line in table.splitlines()
        if (match := re.match(r"\| \*\*(.+?)\*\*", line))
    }
    assert sorted(set(OPENAI_PYTHON_CAPABILITIES) - set(rows)) == []
    for capability, row in rows.items():
        shown_by = row.rstrip(" |").rsplit(" | ", 1)[1]
        named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", shown_by)
        assert named, f"the row of {capability!r} names no test"
        for path, test in named:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert not test or re.search(rf"^(async )?def {test}\(", source, re.M), (
                f"{capability!r}: {path}::{test} does not exist"
            )
