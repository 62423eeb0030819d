"""The `chatkit` resource (beta): the sessions a ChatKit front end starts with, and the
threads of its conversations.

Every request carries `OpenAI-Beta: chatkit_beta=v1`, as the spec's examples and OpenAI's
SDKs send it. Sessions and threads are flat methods here (`sessions_create`,
`threads_list_items`), where openai-python nests them (`beta.chatkit.sessions.create`).
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import openaistream
from openaistream.operation import operation

_THREAD = "/chatkit/threads/{thread_id}"


class ChatKit(openaistream.Resource):
    """ChatKit (beta): the sessions a ChatKit front end starts with, and the threads of its
    conversations, as `client.chatkit`.

    Every request carries `OpenAI-Beta: chatkit_beta=v1`. Sessions and threads are flat methods
    (`sessions_create`, `threads_list_items`), where openai-python nests them
    (`beta.chatkit.sessions.create`).

    ```python
    session = client.chatkit.sessions_create({"id": "wf_123"}, "user_123")
    secret = session["client_secret"]  # for the ChatKit front end
    ```
    """

    endpoint = "/chatkit"
    extra_headers: ClassVar[dict[str, str]] = {"OpenAI-Beta": "chatkit_beta=v1"}

    sessions_create = operation(
        "POST", "/chatkit/sessions", "workflow", "user",
        doc="Start a session: its client_secret is what the ChatKit front end uses.",
    )  # fmt: skip

    sessions_cancel = operation(
        "POST", "/chatkit/sessions/{session_id}/cancel", body=False, doc="Cancel an active session."
    )

    threads_list = operation("GET", "/chatkit/threads", doc="List the threads; user, limit, ...")
    threads_retrieve = operation("GET", _THREAD, doc="Show a thread.")
    threads_delete = operation("DELETE", _THREAD, doc="Delete a thread and its items.")
    threads_list_items = operation("GET", _THREAD + "/items", doc="List the items of a thread.")


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("chatkit", ChatKit)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.chatkit import command  # only the command line loads click

    cli.add_command(command())
