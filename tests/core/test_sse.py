"""The SSE decoder against the WHATWG event-stream rules, the OpenAI conventions, and every
real SSE recording, whatever the chunk boundaries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openaistream import APIError, StreamError, sse
from openaistream.decoders import SSE, SSE_EVENTS
from openaistream.sse import SSEParser, decode_sse, decode_sse_events
from tests.support import recordings


def events(*chunks: bytes) -> list[Any]:
    """What the "sse" decoder yields: payloads."""
    return list(decode_sse(chunks))


def named(*chunks: bytes) -> list[Any]:
    """What the "sse-events" decoder yields: {"event": name, "data": payload}."""
    return list(decode_sse_events(chunks))


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_every_line_ending_separates_lines_and_events(newline: bytes) -> None:
    body = newline.join([b'data: {"a": 1}', b"", b"event: named", b'data: {"b": 2}', b"", b""])
    assert events(body) == [{"a": 1}, {"b": 2}]
    assert named(body) == [{"event": None, "data": {"a": 1}}, {"event": "named", "data": {"b": 2}}]


def test_crlf_split_between_chunks_is_one_line_ending() -> None:
    assert events(b'data: {"a": 1}\r', b"\n\r", b'\ndata: {"b": 2}\r\n\r\n') == [{"a": 1}, {"b": 2}]


def test_data_lines_of_one_event_join_with_newline() -> None:
    # Two data lines make the JSON text '{"text":\n"two lines"}', which is valid JSON.
    assert events(b'data: {"text":\ndata: "two lines"}\n\n') == [{"text": "two lines"}]
    assert events(b'data: ["a",\ndata: "b"]\n\n') == [["a", "b"]]


def test_comment_lines_are_ignored() -> None:
    body = b': keep-alive\n\n: OPENROUTER PROCESSING\ndata: {"a": 1}\n: trailing\n\n'
    assert events(body) == [{"a": 1}]


@pytest.mark.parametrize("split", [0, 1, 2, 3, 5])
def test_a_leading_bom_is_dropped_wherever_the_chunk_ends(split: int) -> None:
    body = b'\xef\xbb\xbfdata: {"a": 1}\n\n'
    assert events(body[:split], body[split:]) == [{"a": 1}]


def test_a_bom_after_the_start_is_not_dropped() -> None:
    # It becomes part of the field name, "\ufeffdata", which is no field: the event is empty.
    assert events(b'data: {"a": 1}\n\n\xef\xbb\xbfdata: {"b": 2}\n\n') == [{"a": 1}]


def test_blocks_without_data_are_not_dispatched() -> None:
    body = b'event: ping\n\nid: 7\nretry: 100\n\nevent: x\ndata:\n\ndata: {"a": 1}\n\n'
    assert events(body) == [{"a": 1}]


def test_events_with_empty_data_are_skipped_like_keep_alives() -> None:
    body = b'data: \n\ndata:\n\nevent: ping\ndata: \n\ndata: {"a": 1}\n\n'
    assert events(body) == [{"a": 1}]
    assert events(body.replace(b"\n", b"\r\n")) == [{"a": 1}]


def test_a_field_without_a_space_after_the_colon() -> None:
    assert named(b'data:{"a": 1}\nevent:named\n\n') == [{"event": "named", "data": {"a": 1}}]


def test_done_ends_the_stream_and_nothing_after_it_is_yielded() -> None:
    body = b'data: {"a": 1}\n\ndata: [DONE]\n\ndata: {"after": true}\n\n'
    assert events(body) == [{"a": 1}]


def test_done_must_be_exact() -> None:
    with pytest.raises(StreamError):
        events(b"data: [DONE] \n\n")


def test_done_as_a_named_event_ends_the_stream() -> None:
    body = b'event: thread.run.completed\ndata: {"id": "run_1"}\n\nevent: done\ndata: [DONE]\n\n'
    assert named(body) == [{"event": "thread.run.completed", "data": {"id": "run_1"}}]
    assert events(body) == [{"id": "run_1"}]


def test_the_shape_of_an_item_is_the_decoders_not_the_streams() -> None:
    # The OpenAI API names every Responses event; the LiteLLM proxy sends the same payloads
    # with no event: line. Each decoder yields one shape for both.
    with_names = (
        b'event: response.created\ndata: {"type": "response.created"}\n\n'
        b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", '
        b'"delta": "Hi"}\n\n'
    )
    without = b"".join(line + b"\n" for line in with_names.split(b"\n")[:-1]
                       if not line.startswith(b"event:"))  # fmt: skip
    assert b"event:" not in without
    for body in (with_names, without):
        assert named(body) == [
            {"event": "response.created", "data": {"type": "response.created"}},
            {
                "event": "response.output_text.delta",
                "data": {"type": "response.output_text.delta", "delta": "Hi"},
            },
        ]
        assert events(body) == [item["data"] for item in named(body)]


def test_sse_events_names_an_event_by_its_field_first_then_its_type() -> None:
    body = (
        b'event: given\ndata: {"type": "other"}\n\n'  # the field wins
        b'data: {"type": 7}\n\n'  # a type that is not a name is none
        b"data: [1, 2]\n\n"  # a payload that is not an object has no type
        b'event: x\ndata: "text"\n\n'
    )
    assert named(body) == [
        {"event": "given", "data": {"type": "other"}},
        {"event": None, "data": {"type": 7}},
        {"event": None, "data": [1, 2]},
        {"event": "x", "data": "text"},
    ]


def test_error_in_a_payload_with_an_error_key() -> None:
    body = (
        b'data: {"a": 1}\n\n'
        b'data: {"error": {"message": "The server had an error", "type": "server_error", '
        b'"code": "overloaded"}}\n\n'
    )
    stream = decode_sse([body])
    assert next(stream) == {"a": 1}
    with pytest.raises(APIError) as caught:
        next(stream)
    assert caught.value.message == "The server had an error"
    assert caught.value.code == "overloaded"
    assert caught.value.type == "server_error"


def test_error_as_a_named_error_event() -> None:
    body = b'event: error\ndata: {"message": "Rate limited mid-stream", "code": "rate_limit"}\n\n'
    with pytest.raises(APIError) as caught:
        events(body)
    assert (caught.value.message, caught.value.code) == ("Rate limited mid-stream", "rate_limit")


def test_error_as_a_payload_of_type_error() -> None:
    body = (
        b'event: error\ndata: {"type": "error", "code": "server_error", '
        b'"message": "The model failed", "param": null}\n\n'
    )
    with pytest.raises(APIError) as caught:
        events(body)
    assert (caught.value.message, caught.value.code) == ("The model failed", "server_error")
    unnamed = b'data: {"type": "error", "error": {"message": "boom", "code": "x"}}\n\n'
    with pytest.raises(APIError, match="boom"):
        events(unnamed)


@pytest.mark.parametrize("together", [True, False], ids=["one-chunk", "a-chunk-each"])
def test_a_null_error_or_another_type_is_an_event_not_an_error(together: bool) -> None:
    bodies = [
        b'data: {"error": null}\n\n',
        b'data: {"type": "response.created", "error": null}\n\n',
        b'data: {"type": "x"}\n\n',
        b'data: {"error": {"message": "boom"}}\n\n',
    ]
    chunks = [b"".join(bodies)] if together else bodies
    taken = []
    with pytest.raises(APIError, match="boom"):
        for item in decode_sse(chunks):
            taken.append(item)
    assert taken == [{"error": None}, {"type": "response.created", "error": None}, {"type": "x"}]


@pytest.mark.parametrize("held", [b"", b'data: {"a"', b"data: {"], ids=["none", "part", "prefix"])
def test_an_error_after_several_events_in_one_read_names_its_offset(held: bytes) -> None:
    # The events before it arrive in the same read, after the start of an event held back.
    first = b'data: {"a": 1}\n\n' if held else b""
    good = b'data: {"b": 2}\n\n: a comment\n\nevent: x\ndata: {"c": 3}\n\n'
    body = first + good + b'data: {"broken"\n\n'
    chunks = [held, body[len(held) :]] if held else [body]
    with pytest.raises(StreamError) as caught:
        events(*chunks)
    assert caught.value.offset == len(first) + len(good)


@pytest.mark.parametrize("held", [b"", b'data: {"a"', b"data: {"], ids=["none", "part", "prefix"])
@pytest.mark.parametrize("bad", [b'data: {"broken"', b'data: {"error": {"message": "boom"}}'])
def test_an_error_in_a_read_of_data_lines_only_names_its_offset(held: bytes, bad: bytes) -> None:
    # A read of nothing but "data:" lines, as a Content-Length body arrives: the events before
    # the bad one reach the caller, and the error names where its event starts.
    first = b'data: {"a": 1}\n\n' if held else b""
    good = b'data: {"b": 2}\n\ndata: \n\ndata: {"c": 3}\n\n'
    body = first + good + bad + b"\n\n" + b'data: {"d": 4}\n\n'
    chunks = [held, body[len(held) :]] if held else [body]
    taken = []
    with pytest.raises(APIError) as caught:
        for item in decode_sse(chunks):
            taken.append(item)
    assert taken == [{"a": 1}, {"b": 2}, {"c": 3}][0 if held else 1 :]
    if isinstance(caught.value, StreamError):
        assert caught.value.offset == len(first) + len(good)
        assert '{"broken"' in str(caught.value)
    else:
        assert caught.value.message == "boom"


@pytest.mark.parametrize("together", [True, False], ids=["one-chunk", "a-chunk-each"])
def test_a_value_continued_on_a_line_without_data_is_not_json_however_it_arrives(
    together: bool,
) -> None:
    # The second line is a field of its own (named '"b"'), ignored: the event's data is "{",
    # however many events the read holds.
    bodies = [b'data: {"a": 1}\n\n', b'data: {\n"b": 2}\n\n', b'data: {"c": 3}\n\n']
    with pytest.raises(StreamError) as caught:
        events(b"".join(bodies)) if together else events(*bodies)
    assert caught.value.offset == len(bodies[0])


@pytest.mark.parametrize("together", [True, False], ids=["one-chunk", "a-chunk-each"])
def test_what_orjson_refuses_json_decodes_in_a_stream(together: bool) -> None:
    texts = [b'{"n": NaN}', b'{"s": "\\ud800"}', b'{"big": 123456789012345678901234567890}']
    bodies = [b"data: " + text + b"\n\n" for text in texts]
    got = events(b"".join(bodies)) if together else events(*bodies)
    assert repr(got) == repr([json.loads(text) for text in texts])
    assert got[2]["big"] == 123456789012345678901234567890  # exact, not a float


def test_invalid_json_names_the_line_and_its_byte_offset() -> None:
    body = b'data: {"a": 1}\n\ndata: {"broken": \n\n'
    with pytest.raises(StreamError) as caught:
        events(body)
    assert caught.value.offset == 16
    assert "byte 16" in str(caught.value)
    assert "not valid JSON" in str(caught.value)
    assert '{"broken": ' in str(caught.value)


def test_a_long_offending_line_is_cut_short_in_the_message() -> None:
    body = b"data: {" + b"x" * 5000 + b"\n\n"
    with pytest.raises(StreamError) as caught:
        events(body)
    assert len(str(caught.value)) < 400
    assert "..." in str(caught.value)


def test_invalid_utf8_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="not valid UTF-8"):
        events(b'data: {"a": "\xff\xfe"}\n\n')


def test_utf8_split_across_chunks_decodes() -> None:
    body = 'data: {"text": "héllo wörld ✓"}\n\n'.encode()
    for cut in range(1, len(body)):
        assert events(body[:cut], body[cut:]) == [{"text": "héllo wörld ✓"}]


def test_a_body_cut_mid_line_is_a_stream_error_after_the_complete_events() -> None:
    stream = decode_sse([b'data: {"a": 1}\n\ndata: {"b": '])
    assert next(stream) == {"a": 1}
    with pytest.raises(StreamError, match="middle of a line"):
        next(stream)


def test_a_last_event_without_its_blank_line_is_still_delivered() -> None:
    assert events(b'data: {"a": 1}\n\ndata: {"b": 2}\n') == [{"a": 1}, {"b": 2}]


def test_an_event_arriving_one_byte_at_a_time() -> None:
    body = b'event: x\ndata: {"a": [1, 2]}\n\ndata: {"b": 2}\n\n'
    assert named(*[body[i : i + 1] for i in range(len(body))]) == [
        {"event": "x", "data": {"a": [1, 2]}},
        {"event": None, "data": {"b": 2}},
    ]


def test_a_large_event_in_many_chunks() -> None:
    text = "y" * 1_000_000
    body = b'data: {"big": "' + text.encode() + b'"}\n\n'
    parts = [body[i : i + 7001] for i in range(0, len(body), 7001)]
    assert events(*parts) == [{"big": text}]


def test_an_event_ended_by_a_cr_leaves_before_the_next_chunk_is_read() -> None:
    # A CR ends a line at once; an LF after it, in the next chunk, adds nothing.
    asked: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        for part in (b'data: {"a": 1}\r\n\r', b'\ndata: {"b": 2}\r\n\r', b"\n"):
            asked.append(part)
            yield part

    stream = decode_sse(chunks())
    assert next(stream) == {"a": 1}
    assert len(asked) == 1
    assert next(stream) == {"b": 2}
    assert len(asked) == 2


def long_body(newline: bytes, text: str) -> bytes:
    """A short event, a long named one with a comment and two data lines, a short one."""
    lines = [
        b": the next event is long",
        b"event: response.output_text.delta",
        b'data: {"type": "response.output_text.delta",',
        b'data: "delta": "' + text.encode() + b'"}',
    ]
    body = b"\n".join(
        [b'data: {"a": 1}', b"", *lines, b"", b"event: x", b'data: {"b": 2}', b"", b""]
    )
    return body.replace(b"\n", newline)


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_a_long_event_decodes_as_a_short_one_does(newline: bytes) -> None:
    text = "é✓" * 400_000  # 2 MB of UTF-8, some of it cut between chunks
    body = long_body(newline, text)
    parts = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    delta = {"type": "response.output_text.delta", "delta": text}
    assert named(*parts) == [
        {"event": None, "data": {"a": 1}},
        {"event": "response.output_text.delta", "data": delta},
        {"event": "x", "data": {"b": 2}},
    ]
    assert events(*parts) == [{"a": 1}, delta, {"b": 2}]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.timeout(3)
def test_a_long_event_in_small_chunks_decodes_in_linear_time(newline: bytes) -> None:
    # Once a stream used CRLF, every chunk re-split all the bytes held before it: this
    # took about 45 s (8 MB: 11 s), and takes a small fraction of a second in both cases.
    size = 16 << 20
    piece = b"x" * 4096

    def chunks() -> Iterator[bytes]:
        yield b'data: {"a": 1}' + newline * 2 + b'data: {"long": "'
        for _ in range(size // len(piece)):
            yield piece
        yield b'"}' + newline * 2

    first, long = decode_sse(chunks())
    assert first == {"a": 1}
    assert len(long["long"]) == size


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_a_long_event_that_is_not_json_is_reported_at_its_offset(newline: bytes) -> None:
    body = b'data: {"a": 1}' + newline * 2 + b'data: {"long": "' + b"x" * (2 << 20) + newline * 2
    parts = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    with pytest.raises(StreamError, match="not valid JSON") as caught:
        events(*parts)
    assert caught.value.offset == len(b'data: {"a": 1}' + newline * 2)
    assert len(str(caught.value)) < 400
    spoiled = body.replace(b"xxxx", b"\xff\xfe", 1)
    parts = [spoiled[i : i + 65536] for i in range(0, len(spoiled), 65536)]
    with pytest.raises(StreamError, match="not valid UTF-8"):
        events(*parts)


# -- the recordings -------------------------------------------------------------------------


def expected(raw: bytes, with_names: bool = False) -> tuple[list[Any], bool]:
    """What the reference parser says the stream yields, and whether it ends in an error."""
    items: list[Any] = []
    for name, data in recordings.reference_events(raw):
        if data == "[DONE]":
            return items, False
        payload = json.loads(data)
        if name == "error" or (isinstance(payload, dict) and payload.get("error") is not None):
            return items, True
        if with_names:
            kind = payload.get("type") if isinstance(payload, dict) else None
            items.append({"event": name or kind, "data": payload})
        else:
            items.append(payload)
    return items, False


def decoded(chunks: list[bytes], with_names: bool = False) -> tuple[list[Any], bool]:
    items: list[Any] = []
    try:
        for item in (decode_sse_events if with_names else decode_sse)(chunks):
            items.append(item)
    except APIError:
        return items, True
    return items, False


@pytest.mark.parametrize("with_names", [False, True], ids=["sse", "sse-events"])
@pytest.mark.parametrize("name", recordings.sse_names())
def test_recording_decodes_to_the_expected_events(name: str, with_names: bool) -> None:
    recording = recordings.load(name)
    raw = recordings.body(recording)
    items, failed = decoded([raw], with_names)
    assert (items, failed) == expected(raw, with_names)
    # The recorders' own parser counted the events, [DONE] included.
    check = recording["sse_check"]
    assert len(items) + check["done_sentinel"] + failed == check["events"]


@pytest.mark.parametrize(
    "name", [n for n in recordings.sse_names() if "chunks" in recordings.load(n)["response"]]
)
def test_recording_decodes_the_same_in_the_recorders_chunks(name: str) -> None:
    recording = recordings.load(name)
    chunks = [c.encode() for c in recording["response"]["chunks"]]
    assert decoded(chunks) == decoded([recordings.body(recording)])


SSE_BODIES = {
    name: recordings.body(name) for name in recordings.sse_names() if "logprobs_top3" not in name
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(SSE_BODIES)),
    cuts=st.lists(st.integers(min_value=0, max_value=10**9), max_size=40),
)
def test_any_split_of_a_recording_gives_the_same_events(name: str, cuts: list[int]) -> None:
    raw = SSE_BODIES[name]
    points = sorted({cut % (len(raw) + 1) for cut in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])]
    assert decoded(chunks) == fed(chunks) == decoded([raw])
    assert decoded(chunks, with_names=True) == fed(chunks, True) == decoded([raw], with_names=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(SSE_BODIES)),
    cuts=st.lists(st.integers(min_value=0, max_value=10**9), max_size=40),
)
def test_any_split_gives_the_same_events_when_every_event_is_read_as_a_long_one(
    name: str, cuts: list[int]
) -> None:
    raw = SSE_BODIES[name]
    points = sorted({cut % (len(raw) + 1) for cut in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])]
    whole = decoded([raw]), decoded([raw], with_names=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sse, "_LONG", 0)  # the long-event path for every event held at all
        assert (decoded(chunks), decoded(chunks, with_names=True)) == whole


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=1, max_value=300))
def test_every_fixed_chunk_size_gives_the_same_events(size: int) -> None:
    for raw in (
        SSE_BODIES["audio_speech/sse_stream"],
        SSE_BODIES["chat_completions_stream/n2_include_usage"],
    ):
        chunks = [raw[i : i + size] for i in range(0, len(raw), size)]
        assert decoded(chunks) == decoded([raw])


# -- the push form: feed and end ----------------------------------------------------------------


def fed(chunks: list[bytes], with_names: bool = False) -> tuple[list[Any], bool]:
    """What a parser gives, driven as an async reader would drive it: each chunk fed and its
    items taken, until the parser is done or the body over; then end()."""
    parser = (SSE_EVENTS if with_names else SSE).parser()
    items: list[Any] = []
    try:
        for chunk in chunks:
            for item in parser.feed(chunk):
                items.append(item)
            if parser.done:
                break
        for item in parser.end():
            items.append(item)
    except APIError:
        assert parser.done
        return items, True
    return items, False


# Every split of these is tried; of the larger ones, a byte at a time and random splits.
SMALL_BODIES = sorted(name for name, raw in SSE_BODIES.items() if len(raw) <= 5000)


@pytest.mark.parametrize("name", SMALL_BODIES)
def test_feeding_every_split_of_a_recording_gives_what_decode_gives(name: str) -> None:
    raw = SSE_BODIES[name]
    whole = decoded([raw])
    assert whole[0]  # the recording has events to compare
    for cut in range(len(raw) + 1):
        assert fed([raw[:cut], raw[cut:]]) == whole, f"split at byte {cut}"


@pytest.mark.parametrize("name", recordings.sse_names())
def test_feeding_a_recording_a_byte_at_a_time_gives_what_decode_gives(name: str) -> None:
    raw = recordings.body(name)
    one_by_one = [raw[i : i + 1] for i in range(len(raw))]
    assert fed(one_by_one) == decoded([raw])
    assert fed(one_by_one, with_names=True) == decoded([raw], with_names=True)


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_feed_returns_an_event_as_soon_as_its_blank_line_is_in(newline: bytes) -> None:
    parser = SSEParser()
    first = b'data: {"a": 1}' + newline
    assert list(parser.feed(first)) == []
    # A CR ends a line at once: the LF that may follow it is not waited for.
    assert list(parser.feed(newline[:1])) == [{"a": 1}]
    assert list(parser.feed(newline[1:] + b'data: {"b": 2}' + newline * 2)) == [{"b": 2}]
    assert not parser.done
    assert list(parser.end()) == []


BAD_THIRD = {
    "error payload": b'data: {"error": {"message": "overloaded", "code": "server_error"}}',
    "event: error": b'event: error\ndata: {"message": "overloaded", "code": "server_error"}',
    "invalid JSON": b'data: {"broken": ',
    "invalid UTF-8": b'data: {"a": "\xff"}',
}


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("bad", sorted(BAD_THIRD))
def test_events_before_an_error_in_the_same_chunk_reach_the_caller_first(
    bad: str, newline: bytes
) -> None:
    good = b'data: {"n": 1}' + newline * 2 + b'data: {"n": 2}' + newline * 2
    third = BAD_THIRD[bad].replace(b"\n", newline) + newline * 2
    parser = SSEParser()
    items = parser.feed(good + third + b'data: {"n": 4}' + newline * 2)
    taken = []
    with pytest.raises(APIError) as caught:
        for item in items:
            taken.append(item)
    assert taken == [{"n": 1}, {"n": 2}]
    error = caught.value
    if bad in ("error payload", "event: error"):
        assert (error.message, error.code) == ("overloaded", "server_error")
    else:
        assert isinstance(error, StreamError) and error.offset == len(good)
    # The parser stops there: nothing after the error is decoded, and it is raised again.
    assert parser.done
    with pytest.raises(APIError) as again:
        parser.end()
    assert again.value is error
    with pytest.raises(APIError):
        parser.feed(b'data: {"n": 5}\n\n')


def test_an_error_with_nothing_before_it_in_its_chunk_is_raised_by_feed() -> None:
    parser = SSEParser()
    assert list(parser.feed(b'data: {"n": 1}\n\n')) == [{"n": 1}]
    with pytest.raises(StreamError, match="byte 16"):
        parser.feed(b'data: {"broken": \n\n')
    assert parser.done


def test_after_done_nothing_is_decoded_and_end_returns_nothing() -> None:
    parser = SSEParser()
    items = list(parser.feed(b'data: {"n": 1}\n\ndata: [DONE]\n\ndata: {"broken": \n\n'))
    assert items == [{"n": 1}]
    assert parser.done
    assert list(parser.feed(b"not even SSE")) == []
    assert list(parser.end()) == []


def test_end_gives_a_lenient_last_event_or_a_stream_error_for_a_cut_line() -> None:
    lenient = SSEParser()
    assert list(lenient.feed(b'data: {"n": 1}\n\ndata: {"n": 2}\n')) == [{"n": 1}]
    assert list(lenient.end()) == [{"n": 2}]
    cut = SSEParser()
    assert list(cut.feed(b'data: {"n": 1}\n\ndata: {"n": ')) == [{"n": 1}]
    with pytest.raises(StreamError, match="middle of a line at byte 16"):
        cut.end()
    empty = SSEParser()
    assert list(empty.feed(b"\xef\xbb")) == []  # perhaps a BOM, still arriving
    with pytest.raises(StreamError, match="middle of a line"):
        empty.end()
    assert list(SSEParser().end()) == []


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_a_long_event_fed_in_chunks_comes_out_with_the_events_around_it(newline: bytes) -> None:
    text = "é✓" * 400_000  # over the 1 MiB at which an event is read as a long one
    body = long_body(newline, text)
    parser = SSEParser(named=True)
    out = []
    for start in range(0, len(body), 65536):
        out.append([item["event"] for item in parser.feed(body[start : start + 65536])])
    out.append([item["event"] for item in parser.end()])
    assert [names for names in out if names] == [[None], ["response.output_text.delta", "x"]]
