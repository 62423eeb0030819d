# ruff: noqa: E501 - the tables of calls read best one call to a line
"""The calls of the newer Responses endpoints: ``responses.input_tokens``, ``compact``."""

from __future__ import annotations

from tests.plugins.calls import Call

CONVERSATION = [
    {"role": "user", "content": "Create a simple landing page for a dog petting café."},
    {"id": "msg_001", "type": "message", "status": "completed", "role": "assistant",
     "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "Below is a landing page..."}]},
]  # fmt: skip

CALLS = {
    "responses.input_tokens": Call(lambda c: c.responses.input_tokens(model="gpt-5", input="Tell me a joke.", instructions="Be brief."), "POST /responses/input_tokens", json={"object": "response.input_tokens", "input_tokens": 11}),
    "responses.input_tokens (items)": Call(lambda c: c.responses.input_tokens(model="gpt-5", input=CONVERSATION, tools=[{"type": "web_search"}]), "POST /responses/input_tokens"),
    "responses.compact": Call(lambda c: c.responses.compact("gpt-5.1-codex-max", input=CONVERSATION), "POST /responses/compact"),
    "responses.compact (previous)": Call(lambda c: c.responses.compact("gpt-5.1", previous_response_id="resp_123"), "POST /responses/compact"),
}  # fmt: skip
