"""The JSON Lines and bytes decoders: every split of a body gives the same values, fed to a
parser or pulled through ``decode``, and a long line (a batch output line with a large answer)
is read without copies of itself."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openaistream import DataStream, Response, StreamError, decoders
from openaistream.decoders import BYTES, DECODERS, JSON_LINES, decode_json_lines
from tests.support import recordings

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


# -- the push form: feed and end ----------------------------------------------------------------


def fed(name: str, chunks: list[bytes]) -> list[Any]:
    """What a parser gives, driven as an async reader would drive it."""
    parser = DECODERS[name].parser()
    items: list[Any] = []
    for chunk in chunks:
        items.extend(parser.feed(chunk))
        if parser.done:
            break
    items.extend(parser.end())
    return items


def test_feeding_every_split_of_a_recorded_jsonl_body_gives_what_decode_gives() -> None:
    raw = recordings.body("files/content_jsonl_2023")
    whole = list(JSON_LINES.decode([raw]))
    assert len(whole) == raw.count(b"\n") and whole[0]["completion"] == " negative"
    for cut in range(len(raw) + 1):
        assert fed("jsonl", [raw[:cut], raw[cut:]]) == whole, f"split at byte {cut}"
    assert fed("jsonl", [raw[i : i + 1] for i in range(len(raw))]) == whole


@pytest.mark.parametrize("name", ["audio_speech/mp3", "audio_speech/opus"])
def test_feeding_a_recorded_binary_body_gives_its_chunks(name: str) -> None:
    raw = recordings.body(name)
    chunks = [raw[i : i + 4096] for i in range(0, len(raw), 4096)]
    assert fed("bytes", [b"", *chunks, b""]) == chunks == list(BYTES.decode(chunks))
    assert b"".join(fed("bytes", [raw[:1], raw[1:]])) == raw


def test_values_before_an_invalid_line_in_the_same_chunk_reach_the_caller_first() -> None:
    parser = JSON_LINES.parser()
    assert list(parser.feed(b'{"n": 0}\n{"n": ')) == [{"n": 0}]
    items = parser.feed(b'1}\n{"n": 2}\n{"broken": \n{"n": 4}\n')
    taken = []
    with pytest.raises(StreamError, match="the line at byte 27 is not valid JSON") as caught:
        for item in items:
            taken.append(item)
    assert taken == [{"n": 1}, {"n": 2}]
    assert caught.value.offset == 27
    assert parser.done
    with pytest.raises(StreamError) as again:
        parser.end()
    assert again.value is caught.value


def test_a_jsonl_parser_ends_with_a_last_line_without_its_newline() -> None:
    parser = JSON_LINES.parser()
    assert list(parser.feed(b'{"a": 1}\n\n  {"b": 2}')) == [{"a": 1}]
    assert list(parser.end()) == [{"b": 2}]
    cut = JSON_LINES.parser()
    assert list(cut.feed(b'{"a": 1}\n{"b": ')) == [{"a": 1}]
    with pytest.raises(StreamError, match="the line at byte 9"):
        cut.end()
