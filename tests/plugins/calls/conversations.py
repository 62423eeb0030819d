# ruff: noqa: E501 - the tables of calls read best one call to a line
"""The calls of the ``conversations`` resource (conversations and their items)."""

from __future__ import annotations

from tests.plugins.calls import Call

# Text content: a message whose content is a list of parts is valid under two branches of
# the spec's InputItem oneOf (an easy message and an item), which the validator refuses.
HELLO = {"type": "message", "role": "user", "content": "Hello!"}
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": '{"temperature": 21}'}
LOGPROBS = "message.output_text.logprobs"

CALLS = {
    "conversations.create": Call(lambda c: c.conversations.create(metadata={"topic": "demo"}, items=[HELLO]), "POST /conversations"),
    "conversations.create (empty)": Call(lambda c: c.conversations.create(), "POST /conversations"),
    "conversations.retrieve": Call(lambda c: c.conversations.retrieve("conv_123"), "GET /conversations/{conversation_id}"),
    "conversations.update": Call(lambda c: c.conversations.update("conv_123", {"topic": "project-x"}), "POST /conversations/{conversation_id}"),
    "conversations.delete": Call(lambda c: c.conversations.delete("conv_123"), "DELETE /conversations/{conversation_id}"),
    "conversations.items_create": Call(lambda c: c.conversations.items_create("conv_123", [HELLO, OUTPUT], include=[LOGPROBS]), "POST /conversations/{conversation_id}/items"),
    "conversations.items_list": Call(lambda c: c.conversations.items_list("conv_123", limit=10, order="asc", after="msg_abc", include=[LOGPROBS]), "GET /conversations/{conversation_id}/items", json={"object": "list", "data": [], "has_more": False}),
    "conversations.items_retrieve": Call(lambda c: c.conversations.items_retrieve("conv_123", "msg_abc", include=[LOGPROBS]), "GET /conversations/{conversation_id}/items/{item_id}"),
    "conversations.items_delete": Call(lambda c: c.conversations.items_delete("conv_123", "msg_abc"), "DELETE /conversations/{conversation_id}/items/{item_id}"),
}  # fmt: skip
