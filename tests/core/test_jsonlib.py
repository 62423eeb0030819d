"""orjson, when installed, gives exactly what the standard library gives: over every event
of every recording, over generated JSON, and through the whole SSE decoder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openaistream import jsonlib
from openaistream.sse import decode_sse
from tests.support import recordings

pytestmark = pytest.mark.skipif(not jsonlib.FAST, reason="orjson is not installed")


def all_event_data() -> list[bytes]:
    data = []
    for name in recordings.sse_names():
        for _, text in recordings.reference_events(recordings.body(name)):
            if text != "[DONE]":
                data.append(text.encode())
    return data


def test_the_fast_loader_is_the_default_when_orjson_is_there() -> None:
    assert jsonlib.loads is jsonlib.orjson_loads


def test_every_recorded_event_decodes_the_same() -> None:
    events = all_event_data()
    assert len(events) > 1000
    for data in events:
        assert jsonlib.orjson_loads(data) == jsonlib.stdlib_loads(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_generated_json_decodes_the_same(value: Any) -> None:
    data = json.dumps(value).encode()
    assert jsonlib.orjson_loads(data) == jsonlib.stdlib_loads(data) == json.loads(data)


@pytest.mark.parametrize(
    "text", [b"123456789012345678901234567890", b"[NaN, Infinity]", b'"\\ud800"']
)
def test_what_orjson_refuses_json_decides(text: bytes) -> None:
    assert repr(jsonlib.orjson_loads(text)) == repr(json.loads(text))


def test_the_decoder_yields_the_same_with_either(monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = [recordings.body(name) for name in recordings.sse_names()]

    def decoded() -> list[Any]:
        out: list[Any] = []
        for body in bodies:
            try:
                out.append(list(decode_sse([body])))
            except Exception as error:  # the recorded error streams
                out.append(type(error).__name__)
        return out

    fast = decoded()
    monkeypatch.setattr(jsonlib, "loads", jsonlib.stdlib_loads)
    assert decoded() == fast


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": 1}',
        b' {"a": 1} ',
        b'{"a": 1}\n',
        b"[1, 2]",
        b'"s"',
        b"3",
        b"null",
        b'{"a": 1} x',
        b"{",
        b"",
        b"  ",
    ],
)
def test_the_stdlib_loader_gives_json_loads_values_and_errors(text: bytes) -> None:
    try:
        expected: Any = json.loads(text.decode())
    except ValueError as error:
        with pytest.raises(type(error), match=str(error).split(":")[0]):
            jsonlib.stdlib_loads(text)
    else:
        assert jsonlib.stdlib_loads(text) == expected


@pytest.mark.parametrize("cut", [0, 10, 20, 26, 40])
def test_the_decoder_keeps_long_integers_exact_wherever_the_chunks_end(cut: int) -> None:
    body = b'data: {"n": 123456789012345678901234567890}\n\ndata: {"m": 1}\n\n'
    events = list(decode_sse([body[:cut], body[cut:]] if cut else [body]))
    assert events == [{"n": 123456789012345678901234567890}, {"m": 1}]
    assert isinstance(events[0]["n"], int)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"1", b"7", b"0", b"a", b",", b".", b" ", b"1234", b"123456789"]),
        max_size=60,
    )
)
def test_the_sampled_digit_run_check_finds_what_a_full_scan_finds(parts: list[bytes]) -> None:
    # One byte in six is looked at first: no run of 19 digits may slip between them.
    data = b"".join(parts)
    for text in [b"x" * shift + data for shift in range(6)]:
        full_scan = text.translate(jsonlib._DIGITS).find(b"0" * 19) >= 0
        assert jsonlib.has_long_run(text) is full_scan


@pytest.mark.parametrize("shift", range(6))
@pytest.mark.parametrize("length", [18, 19, 25])
def test_a_long_run_at_any_offset_is_found(shift: int, length: int) -> None:
    text = b"a" * shift + b'{"n": ' + b"9" * length + b"}" + b" 1 2 3 4" * 20
    assert jsonlib.has_long_run(text) is (length >= 19)
    assert jsonlib.has_long_run(b"1.5, " * 3 + text) is (length >= 19)
