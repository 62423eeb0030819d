# ruff: noqa: E501 - the tables of calls read best one call to a line
"""The calls of the stored chat completions (``chat.list``, ``retrieve``, ``update``,
``delete``, ``messages``): completions created with ``store=True``."""

from __future__ import annotations

from tests.plugins.calls import Call

CALLS = {
    "chat.list": Call(lambda c: c.chat.list(model="gpt-4o", limit=20, order="desc", after="chatcmpl-abc"), "GET /chat/completions"),
    "chat.list (metadata)": Call(lambda c: c.chat.list(metadata={"topic": "demo"}), "GET /chat/completions"),
    "chat.retrieve": Call(lambda c: c.chat.retrieve("chatcmpl-abc123"), "GET /chat/completions/{completion_id}"),
    "chat.update": Call(lambda c: c.chat.update("chatcmpl-abc123", {"foo": "bar"}), "POST /chat/completions/{completion_id}"),
    "chat.delete": Call(lambda c: c.chat.delete("chatcmpl-abc123"), "DELETE /chat/completions/{completion_id}"),
    "chat.messages": Call(lambda c: c.chat.messages("chatcmpl-abc123", limit=20, order="asc", after="msg_1"), "GET /chat/completions/{completion_id}/messages"),
}  # fmt: skip
