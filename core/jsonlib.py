"""JSON decoding on the hot path: orjson when it is installed (the ``fast`` extra), else the
standard library. Both give the same values: json decides wherever orjson would differ, that
is where orjson refuses a text (NaN, lone surrogates) and where a number might not fit in 64
bits (orjson reads those as floats, json as exact integers)."""

from __future__ import annotations

import json
from typing import Any, Callable

__all__ = ["FAST", "loads", "loads_for", "orjson_loads", "stdlib_loads"]


# The C scanner json.loads itself runs, called directly: json.loads adds two regular
# expression passes for surrounding whitespace, a third of its time on an event.
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # not in typeshed


def stdlib_loads(data: bytes) -> Any:
    """json's value for ``data``; json.loads itself whenever the text is not one bare value
    (whitespace around it, or an error to report), so values and errors are json's."""
    text = data.decode()
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None  # type: ignore[assignment]


# Nineteen digits in a row may be an integer beyond 64 bits (or part of a string, which json
# then decodes to the same value). Found by mapping digits to "0" and the rest to " ": two C
# passes, several times faster than a regular expression.
_DIGITS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_RUN = b"0" * 19


def orjson_loads(data: bytes) -> Any:
    """orjson, with json deciding where the two could differ (so values and errors are
    json's)."""
    if data.translate(_DIGITS).find(_LONG_RUN) >= 0:  # find(): see loads_for
        return stdlib_loads(data)
    return _orjson_unchecked(data)


def _orjson_unchecked(data: bytes) -> Any:
    """orjson for a text known to hold no long digit run; json for what orjson refuses."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return stdlib_loads(data)


def loads_for(block: bytes) -> Callable[[bytes], Any]:
    """The loader for every text cut from ``block``: one digit-run check for a whole read
    (a Content-Length body arrives 64 KiB at a time) instead of one an event.

    Where it can, it is ``orjson.loads`` itself, not a function around it: a Python call an
    event cost more than the checks around it. So a ValueError from it may be orjson
    refusing what json takes (NaN, a lone surrogate): the caller asks :func:`stdlib_loads`
    then, whose value or error is json's.
    """
    # find(), not "in": for bytes, "in" first tries its operand as an integer, and the
    # TypeError it makes and drops costs more than the search itself.
    if loads is orjson_loads and block.translate(_DIGITS).find(_LONG_RUN) < 0:
        return orjson.loads
    return loads


FAST = orjson is not None
loads: Callable[[bytes], Any] = orjson_loads if FAST else stdlib_loads
