"""The `models` resource: list the models, retrieve one, delete a fine-tuned one.

Paths from the OpenAPI spec: `GET /models`, `GET /models/{model}`,
`DELETE /models/{model}`.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import openaistream
from openaistream.resource import path_for


class Models(openaistream.Resource):
    """The models: list them, retrieve one, delete a fine-tuned one, as `client.models`.

    `list` answers every model this key may use; `delete` needs the organization's Owner
    role.

    ```python
    for model in client.models.list()["data"]:
        print(model["id"], model["owned_by"])
    ```
    """

    endpoint = "/models"

    def list(self, *, verbosity: Optional[int] = None) -> Any:
        """The models available to this key: `{"object": "list", "data": [...]}`."""
        return self.request("GET", "/models", verbosity=verbosity)

    def retrieve(self, model: str, *, verbosity: Optional[int] = None) -> Any:
        """One model: its id, owner and creation time."""
        path = path_for("/models/{model}", model=model)
        return self.request("GET", path, verbosity=verbosity)

    def delete(self, model: str, *, verbosity: Optional[int] = None) -> Any:
        """Delete a fine-tuned model (the organization's Owner role is needed)."""
        path = path_for("/models/{model}", model=model)
        return self.request("DELETE", path, verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("models", Models)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.models import command  # only the command line loads click

    cli.add_command(command())
