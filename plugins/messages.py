"""The `messages` resource: the messages of a thread (Assistants API v2,
`OpenAI-Beta: assistants=v2`).

Paths from the OpenAPI spec: `POST|GET /threads/{thread_id}/messages`,
`GET|POST|DELETE /threads/{thread_id}/messages/{message_id}`.

`file_retrieve` and `file_list` are the R package's, for the message-file endpoints
(`.../messages/{message_id}/files`) of the v1 Assistants API, which OpenAI retired: no longer
in the spec, answered with an error. In v2 a message's files are its `attachments` (and the
file ids in its content), returned with the message itself.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Optional, Union

import openaistream
from openaistream.resource import check_text, path_for

_ALL = "/threads/{thread_id}/messages"
_ONE = _ALL + "/{message_id}"


class Messages(openaistream.Resource):
    """The messages of a thread (Assistants API v2), as `client.messages`.

    Every request carries `OpenAI-Beta: assistants=v2`, and every method takes the thread's ID
    first. `file_retrieve` and `file_list` are the v1 message-file endpoints, which OpenAI
    retired and the API answers with an error; in v2 a message's files are its `attachments`.

    ```python
    client.messages.create(thread["id"], "user", "What is the capital of France?")
    for message in client.messages.list(thread["id"], order="asc")["data"]:
        print(message["role"], message["content"][0]["text"]["value"])
    ```
    """

    endpoint = "/threads/{thread_id}/messages"
    extra_headers: ClassVar[dict[str, str]] = {"OpenAI-Beta": "assistants=v2"}

    def create(
        self,
        thread_id: str,
        role: str,
        content: Union[str, list[Any]],
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Add a message from `role` (user or assistant) with `content` (text, or a list
        of content parts) to the thread; `params`: `attachments`, `metadata`."""
        if not isinstance(content, (str, list)):
            raise TypeError(f"content must be a string or a list of parts, not {content!r}")
        body = {"role": check_text("role", role), "content": content, **params}
        return self.request(
            "POST", path_for(_ALL, thread_id=thread_id), json=body, verbosity=verbosity
        )

    def retrieve(self, thread_id: str, message_id: str, *, verbosity: Optional[int] = None) -> Any:
        """One message of the thread."""
        path = path_for(_ONE, thread_id=thread_id, message_id=message_id)
        return self.request("GET", path, verbosity=verbosity)

    def modify(
        self, thread_id: str, message_id: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """`params`: `metadata`."""
        path = path_for(_ONE, thread_id=thread_id, message_id=message_id)
        return self.request("POST", path, json=params, verbosity=verbosity)

    def delete(self, thread_id: str, message_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Not in the R package; in the API."""
        path = path_for(_ONE, thread_id=thread_id, message_id=message_id)
        return self.request("DELETE", path, verbosity=verbosity)

    def list(self, thread_id: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """`limit`, `order`, `after`, `before`, `run_id`."""
        path = path_for(_ALL, thread_id=thread_id)
        return self.request("GET", path, params=params, verbosity=verbosity)

    # -- v1 message files (retired by OpenAI; see the module docstring) ---------------------

    def file_retrieve(
        self, thread_id: str, message_id: str, file_id: str, *, verbosity: Optional[int] = None
    ) -> Any:
        """v1, retired."""
        path = path_for(
            _ONE + "/files/{file_id}", thread_id=thread_id, message_id=message_id, file_id=file_id
        )
        return self.request("GET", path, verbosity=verbosity)

    def file_list(
        self, thread_id: str, message_id: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """v1, retired."""
        path = path_for(_ONE + "/files", thread_id=thread_id, message_id=message_id)
        return self.request("GET", path, params=params, verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("messages", Messages)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.messages import command  # only the command line loads click

    cli.add_command(command())
