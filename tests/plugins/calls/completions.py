# ruff: noqa: E501 - the tables of calls read best one call to a line
"""The calls of the legacy ``completions`` resource, streamed and not."""

from __future__ import annotations

from tests.plugins.calls import Call

CALLS = {
    "completions.create": Call(lambda c: c.completions.create("gpt-3.5-turbo-instruct", "Say this is a test", max_tokens=7, temperature=0), "POST /completions"),
    "completions.create (stream)": Call(lambda c: c.completions.create("gpt-3.5-turbo-instruct", "Say this is a test", stream=True, max_tokens=7, stream_options={"include_usage": True}), "POST /completions", answer="sse"),
    "completions.create (tokens)": Call(lambda c: c.completions.create("davinci-002", [[1212, 318, 257, 1332, 13]], n=2, logprobs=2, echo=True), "POST /completions"),
}  # fmt: skip
