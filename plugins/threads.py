"""The `threads` resource (Assistants API v2, `OpenAI-Beta: assistants=v2`).

Paths from the OpenAPI spec: `POST /threads`, `GET|POST|DELETE /threads/{thread_id}`.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Optional

import openaistream
from openaistream.resource import path_for

_ONE = "/threads/{thread_id}"


class Threads(openaistream.Resource):
    """The threads of the Assistants API (v2), the conversations an assistant's runs read and add
    to, as `client.threads`.

    Every request carries `OpenAI-Beta: assistants=v2`. A thread's messages are
    `client.messages`, its runs `client.runs` (whose `create_thread` creates a thread and runs
    an assistant on it in one call).

    ```python
    thread = client.threads.create(messages=[{"role": "user", "content": "Hi"}])
    ```
    """

    endpoint = "/threads"
    extra_headers: ClassVar[dict[str, str]] = {"OpenAI-Beta": "assistants=v2"}

    def create(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """A new thread; `params`: `messages`, `tool_resources`, `metadata`."""
        return self.request("POST", "/threads", json=params, verbosity=verbosity)

    def retrieve(self, thread_id: str, *, verbosity: Optional[int] = None) -> Any:
        """A thread: its `tool_resources` and `metadata` (its messages are
        `client.messages.list`)."""
        return self.request("GET", path_for(_ONE, thread_id=thread_id), verbosity=verbosity)

    def modify(self, thread_id: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """`params`: `tool_resources`, `metadata`."""
        path = path_for(_ONE, thread_id=thread_id)
        return self.request("POST", path, json=params, verbosity=verbosity)

    def delete(self, thread_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Delete a thread."""
        return self.request("DELETE", path_for(_ONE, thread_id=thread_id), verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("threads", Threads)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.threads import command  # only the command line loads click

    cli.add_command(command())
