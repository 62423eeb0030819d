"""A click test runner that keeps the command's standard error apart from its output, on
every click the project supports: click 8.2 and later always do; on older ones (those
Python 3.9 installs) it is asked for."""

from __future__ import annotations

import inspect

from click.testing import CliRunner, Result


def cli_runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()


def shown(result: Result) -> str:
    """Everything the command printed, output and errors: click 8.2 and later put both in
    ``output``; an older click, asked to keep them apart, has the errors in ``stderr``."""
    errors = result.stderr if result.stderr_bytes is not None else ""
    return result.output if errors in result.output else result.output + errors
