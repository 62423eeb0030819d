"""The resource modules hold resources; the command line of each lives in a module of its own
under ``openaistream.plugins.commands``, which only the ``openaistream`` command loads."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from openaistream.cli import _builtin_commands
from openaistream.registry import DEFAULT_PLUGINS

ROOT = Path(__file__).resolve().parents[2]
RESOURCE_MODULES = [m for m in DEFAULT_PLUGINS if m.startswith("openaistream.plugins.")]
COMMAND_MODULES = [m.replace(".plugins.", ".plugins.commands.") for m in RESOURCE_MODULES]


def is_package(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    return spec is not None and spec.submodule_search_locations is not None


def parsed(module: str) -> ast.Module:
    """The installed source of ``module``, parsed, without importing it."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def imported_modules(tree: ast.Module, package: str) -> set[str]:
    """Every module ``tree`` imports, anywhere in it, relative imports resolved."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            found.add(".".join(part for part in (base, node.module) if part))
    return found


@pytest.mark.parametrize("module", RESOURCE_MODULES)
def test_a_resource_module_holds_no_command_line_code(module: str) -> None:
    tree = parsed(module)
    name = module.rpartition(".")[2]
    # A plugin that is a package (plugins/bulk/) imports from one level further up.
    package, up = (module, "..") if is_package(module) else ("openaistream.plugins", ".")
    command_line = {
        imported
        for imported in imported_modules(tree, package)
        if imported.split(".")[0] == "click" or imported == "openaistream.cli"
    }
    assert command_line == set()
    assert "click" not in {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    hook = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "register_commands"
    )
    # The hook only hands over to the plugin's commands module.
    assert [ast.unparse(statement) for statement in hook.body] == [
        f"from {up}commands.{name} import command",
        "cli.add_command(command())",
    ]


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_a_commands_module_knows_the_cli_and_no_other_plugin(module: str) -> None:
    resource = module.replace(".commands.", ".")
    ours = {
        imported
        for imported in imported_modules(parsed(module), "openaistream.plugins.commands")
        if imported.startswith("openaistream.")
    }
    # Its resource module, or the modules of its resource package.
    ours = {imported for imported in ours if not imported.startswith(f"{resource}.")}
    assert ours <= {"openaistream.cli", resource}


def test_each_command_the_help_names_is_built_by_its_commands_module() -> None:
    built = {}
    for shown, name in _builtin_commands().items():
        command = importlib.import_module(f"openaistream.plugins.commands.{name}").command()
        built[shown] = command.name
    assert built == {shown: shown for shown in _builtin_commands()}
    assert sorted(_builtin_commands().values()) == sorted(
        m.rpartition(".")[2] for m in COMMAND_MODULES
    )


LOADED = (
    "import sys\n"
    "def loaded():\n"
    "    return sorted(m for m in sys.modules if m in ('click', 'openaistream.cli')\n"
    "                  or m.startswith('openaistream.plugins.commands'))\n"
)


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", LOADED + code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_using_every_resource_loads_no_command_line(client_kind: str) -> None:
    code = (
        "import asyncio, importlib, openaistream\n"
        f"for module in {RESOURCE_MODULES!r}: importlib.import_module(module)\n"
        "async def use():\n"
        f"    client = openaistream.{'OpenAI' if client_kind == 'sync' else 'AsyncOpenAI'}"
        "('sk-test-layout')\n"
        "    used = [getattr(client, name) for name in client.resources]\n"
        f"    assert len(used) == {len(RESOURCE_MODULES)}\n"
        "    closed = client.close()\n"
        "    if closed is not None: await closed\n"
        "asyncio.run(use())\n"
        "print(loaded())\n"
    )
    assert run(code) == "[]"


def test_the_command_line_loads_the_commands_modules_when_a_plugin_command_runs() -> None:
    code = (
        "import contextlib, io\n"
        "from openaistream.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "print(loaded())\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['models', '--help'])\n"
        "print(loaded())\n"
    )
    first, then = run(code).splitlines()
    assert first == "['click', 'openaistream.cli']"
    assert ast.literal_eval(then) == [
        "click",
        "openaistream.cli",
        "openaistream.plugins.commands",
        *sorted(COMMAND_MODULES),
    ]


def test_every_source_package_is_installed() -> None:
    """A package folder left out of pyproject's ``packages`` works in an editable install
    and is missing from a wheel."""
    from setuptools.config.pyprojecttoml import read_configuration

    setuptools = read_configuration(ROOT / "pyproject.toml")["tool"]["setuptools"]
    found = set()
    for name, folder in setuptools["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            inner = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *inner)))
    assert found <= set(setuptools["packages"])
