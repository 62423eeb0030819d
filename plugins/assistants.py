"""The `assistants` resource (Assistants API v2, `OpenAI-Beta: assistants=v2`).

Paths from the OpenAPI spec: `POST|GET /assistants`, `GET|POST|DELETE
/assistants/{assistant_id}`.

The `file_*` methods are the R package's, for the assistant-file endpoints
(`/assistants/{assistant_id}/files`) of the v1 Assistants API, which OpenAI retired: they are
no longer in the spec and the API answers them with an error. Kept so code written for the R
package still has its names; in v2, give files to an assistant through `tool_resources`
(`code_interpreter.file_ids`, or `file_search.vector_store_ids` with a vector store).
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Optional

import openaistream
from openaistream.resource import check_text, path_for

BETA = {"OpenAI-Beta": "assistants=v2"}
_ONE = "/assistants/{assistant_id}"
_FILES = "/assistants/{assistant_id}/files"


class Assistants(openaistream.Resource):
    """The Assistants API (v2): assistants, a model with its instructions and tools, as
    `client.assistants`.

    Every request carries `OpenAI-Beta: assistants=v2`. The `file_*` methods are the v1
    assistant-file endpoints, which OpenAI retired and the API answers with an error; in v2 an
    assistant's files go in its `tool_resources`. Its threads, messages and runs are
    `client.threads`, `client.messages` and `client.runs`.

    ```python
    assistant = client.assistants.create("gpt-4o", instructions="You answer briefly.")
    client.assistants.modify(assistant["id"], name="Brief")
    ```
    """

    endpoint = "/assistants"
    extra_headers: ClassVar[dict[str, str]] = BETA

    def create(self, model: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """A new assistant on `model`; `params`: `name`, `instructions`, `tools`,
        `tool_resources`, `metadata`, ..."""
        body = {"model": check_text("model", model), **params}
        return self.request("POST", "/assistants", json=body, verbosity=verbosity)

    def retrieve(self, assistant_id: str, *, verbosity: Optional[int] = None) -> Any:
        """An assistant: its model, instructions, tools and `tool_resources`."""
        return self.request("GET", path_for(_ONE, assistant_id=assistant_id), verbosity=verbosity)

    def modify(self, assistant_id: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """Change an assistant; `params`: the fields to change (`model`, `name`,
        `instructions`, `tools`, `tool_resources`, `metadata`, ...)."""
        path = path_for(_ONE, assistant_id=assistant_id)
        return self.request("POST", path, json=params, verbosity=verbosity)

    def delete(self, assistant_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Delete an assistant."""
        return self.request(
            "DELETE", path_for(_ONE, assistant_id=assistant_id), verbosity=verbosity
        )

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """`limit`, `order`, `after`, `before`."""
        return self.request("GET", "/assistants", params=params, verbosity=verbosity)

    # -- v1 assistant files (retired by OpenAI; see the module docstring) -------------------

    def file_create(
        self, assistant_id: str, file_id: str, *, verbosity: Optional[int] = None
    ) -> Any:
        """v1, retired: attach a file. In v2, use `modify(assistant_id, tool_resources=...)`."""
        path = path_for(_FILES, assistant_id=assistant_id)
        body = {"file_id": check_text("file_id", file_id)}
        return self.request("POST", path, json=body, verbosity=verbosity)

    def file_retrieve(
        self, assistant_id: str, file_id: str, *, verbosity: Optional[int] = None
    ) -> Any:
        """v1, retired."""
        path = path_for(_FILES + "/{file_id}", assistant_id=assistant_id, file_id=file_id)
        return self.request("GET", path, verbosity=verbosity)

    def file_delete(
        self, assistant_id: str, file_id: str, *, verbosity: Optional[int] = None
    ) -> Any:
        """v1, retired."""
        path = path_for(_FILES + "/{file_id}", assistant_id=assistant_id, file_id=file_id)
        return self.request("DELETE", path, verbosity=verbosity)

    def file_list(
        self, assistant_id: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """v1, retired."""
        path = path_for(_FILES, assistant_id=assistant_id)
        return self.request("GET", path, params=params, verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("assistants", Assistants)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.assistants import command  # only the command line loads click

    cli.add_command(command())
