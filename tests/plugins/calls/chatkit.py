"""client.chatkit: sessions and threads, with the spec's example bodies (no number among the
state variables: an integer is valid under both its ``integer`` and ``number`` branches of the
spec's ``oneOf``, which JSON Schema counts as invalid)."""

from __future__ import annotations

from tests.plugins.calls import Call

THREAD = "cthr_abc123"
WORKFLOW = {
    "id": "wf_68df4b13b3588190a09d19288d4610ec0df388c3983f58d1",
    "version": "1",
    "state_variables": {"plan": "pro", "trial": False},
}

CALLS = {
    "chatkit.sessions_create": Call(
        lambda c: c.chatkit.sessions_create(WORKFLOW, "user_123"), "POST /chatkit/sessions"
    ),
    "chatkit.sessions_create (options)": Call(
        lambda c: c.chatkit.sessions_create(
            user="user_123",
            workflow={"id": WORKFLOW["id"], "tracing": {"enabled": False}},
            expires_after={"anchor": "created_at", "seconds": 600},
            rate_limits={"max_requests_per_1_minute": 60},
            chatkit_configuration={
                "file_upload": {"enabled": True, "max_files": 5},
                "history": {"enabled": True},
            },
        ),
        "POST /chatkit/sessions",
    ),
    "chatkit.sessions_cancel": Call(
        lambda c: c.chatkit.sessions_cancel("cksess_123"),
        "POST /chatkit/sessions/{session_id}/cancel",
    ),
    "chatkit.threads_list": Call(
        lambda c: c.chatkit.threads_list(user="user_123", limit=20, order="desc", after="cthr_1"),
        "GET /chatkit/threads",
    ),
    "chatkit.threads_retrieve": Call(
        lambda c: c.chatkit.threads_retrieve(THREAD), "GET /chatkit/threads/{thread_id}"
    ),
    "chatkit.threads_delete": Call(
        lambda c: c.chatkit.threads_delete(THREAD), "DELETE /chatkit/threads/{thread_id}"
    ),
    "chatkit.threads_list_items": Call(
        lambda c: c.chatkit.threads_list_items(THREAD, limit=50, order="asc", before="cthi_9"),
        "GET /chatkit/threads/{thread_id}/items",
    ),
}
