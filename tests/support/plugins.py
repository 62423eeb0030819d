"""Installing throwaway plugins for a test: a module and a dist-info folder with an
``openaistream`` entry point, on a temporary folder put on sys.path. importlib.metadata
finds it as it finds any installed distribution."""

from __future__ import annotations

import itertools
import sys
import textwrap
from pathlib import Path

import pytest

_counter = itertools.count()


def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_name: str, source: str
) -> str:
    """Install ``source`` as a module with an entry point named ``entry_name``; return the
    module name (unique per call, so no test sees another's module)."""
    module = f"throwaway_plugin_{next(_counter)}"
    folder = tmp_path / f"site_{module}"
    folder.mkdir()
    (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist = folder / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        f"[openaistream]\n{entry_name} = {module}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, module, raising=False)
    return module
