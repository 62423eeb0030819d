"""``python -m openaistream``: the command line, for where the console script is not on PATH."""

from .cli import run

run()
