"""The JSON Lines decoder: every split of a body gives the same values, and a long line (a
batch output line with a large answer) is read without copies of itself."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openaistream import DataStream, Response, StreamError, decoders
from openaistream.decoders import JSON_LINES, decode_json_lines

BODY = b'{"a": 1}\n\n{"b": "two"}\r\n  {"c": [3]}  \n{"d": 4}'
VALUES = [{"a": 1}, {"b": "two"}, {"c": [3]}, {"d": 4}]


@settings(max_examples=100, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=12),
    long=st.booleans(),
)
def test_any_split_gives_the_same_values(cuts: list[int], long: bool) -> None:
    points = sorted(set(cuts))
    chunks = [BODY[a:b] for a, b in zip([0, *points], [*points, len(BODY)])]
    with pytest.MonkeyPatch.context() as patch:
        if long:
            patch.setattr(decoders, "_LONG_LINE", 0)  # every held line read as a long one
        assert list(decode_json_lines(chunks)) == VALUES


def long_lines(size: int, newline: bytes) -> Iterator[bytes]:
    yield b'{"a": 1}' + newline + b'{"long": "'
    for _ in range(size // 65536):
        yield b"x" * 65536
    yield b'"}' + newline + b'{"b": 2}'


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_a_20_mb_line_costs_less_than_three_times_its_size(newline: bytes) -> None:
    size = 20 << 20
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        response = Response(200, {}, long_lines(size, newline))
        values = list(DataStream(response, JSON_LINES))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert [len(value.get("long", "")) for value in values] == [0, size, 0]
    assert peak < 3 * size, f"{peak / size:.2f} times the line"


def test_a_long_last_line_without_a_newline() -> None:
    text = "é" * (1 << 20)
    body = b'{"a": 1}\n{"long": "' + text.encode() + b'"}  '
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    assert list(decode_json_lines(chunks)) == [{"a": 1}, {"long": text}]


def test_a_long_line_that_is_not_json_is_reported_at_its_offset() -> None:
    body = b'{"a": 1}\n{"long": "' + b"x" * (2 << 20) + b"\n"
    chunks: list[Any] = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    with pytest.raises(StreamError) as caught:
        list(decode_json_lines(chunks))
    assert caught.value.offset == 9
    assert "not valid JSON" in str(caught.value) and len(str(caught.value)) < 400
