"""JSON decoding on the hot path: orjson when it is installed (the `fast` extra), else the
standard library. Both give the same values: json decides wherever orjson would differ, that
is where orjson refuses a text (NaN, lone surrogates) and where a number might not fit in 64
bits (orjson reads those as floats, json as exact integers)."""

from __future__ import annotations

import json
from typing import Any, Callable

__all__ = ["FAST", "has_long_run", "loads", "loads_for", "orjson_loads", "stdlib_loads"]


# The C scanner json.loads itself runs, called directly: json.loads adds two regular
# expression passes for surrounding whitespace, a third of its time on an event.
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # not in typeshed


def stdlib_loads(data: bytes) -> Any:
    """json's value for `data`; json.loads itself whenever the text is not one bare value
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
# then decodes to the same value). Found by mapping digits to "0" and the rest to " ": C
# passes, several times faster than a regular expression.
_DIGITS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_RUN = b"0" * 19
# A run of 19 digits holds three bytes 6 apart at offsets that are multiples of 6 (the first
# is at most 5 bytes into the run, the third 12 bytes after it), so one byte in six is looked
# at first; only where three of those in a row are digits are the bytes around them looked
# at (a long number, or digits that happen to fall there: a few in a 64 KiB read).
_STRIDE = 6
_SAMPLED_RUN = b"0" * (len(_LONG_RUN) // _STRIDE)
_CHECKED_HITS = 8  # past this many places (and one a KiB), the whole text is looked at


def has_long_run(data: bytes) -> bool:
    """Whether `data` holds 19 digits in a row (where orjson and json could differ)."""
    sampled = data[::_STRIDE].translate(_DIGITS)
    hit = sampled.find(_SAMPLED_RUN)  # find(), not "in": see loads_for
    for _ in range(_CHECKED_HITS + len(data) // 1024):
        if hit < 0:
            return False
        # A run whose first sampled byte is this one lies within the 5 bytes before it and
        # the 18 from it on.
        at = hit * _STRIDE
        around = data[max(0, at - _STRIDE + 1) : at + len(_LONG_RUN)]
        if around.translate(_DIGITS).find(_LONG_RUN) >= 0:
            return True
        hit = sampled.find(_SAMPLED_RUN, hit + 1)
    return hit >= 0 and data.translate(_DIGITS).find(_LONG_RUN) >= 0


def orjson_loads(data: bytes) -> Any:
    """orjson, with json deciding where the two could differ (so values and errors are
    json's)."""
    if has_long_run(data):
        return stdlib_loads(data)
    return _orjson_unchecked(data)


def _orjson_unchecked(data: bytes) -> Any:
    """orjson for a text known to hold no long digit run; json for what orjson refuses."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return stdlib_loads(data)


def loads_for(block: bytes) -> Callable[[bytes], Any]:
    """The loader for every text cut from `block`: one digit-run check for a whole read
    (a Content-Length body arrives 64 KiB at a time) instead of one an event.

    Where it can, it is `orjson.loads` itself, not a function around it: a Python call an
    event cost more than the checks around it. So a ValueError from it may be orjson
    refusing what json takes (NaN, a lone surrogate): the caller asks `stdlib_loads()`
    then, whose value or error is json's.
    """
    # find(), not "in": for bytes, "in" first tries its operand as an integer, and the
    # TypeError it makes and drops costs more than the search itself.
    if loads is orjson_loads and not has_long_run(block):
        return orjson.loads
    return loads


FAST = orjson is not None
loads: Callable[[bytes], Any] = orjson_loads if FAST else stdlib_loads
