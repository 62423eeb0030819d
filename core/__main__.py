"""`python -m openaistream`: the command line, for where the console script is not on PATH."""

from .cli import run

if __name__ == "__main__":  # not when a tool imports the module to read it (the docs' build)
    run()
