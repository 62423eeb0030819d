"""The `moderations` resource. Path from the OpenAPI spec: `POST /moderations`."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.resource import check_input


class Moderations(openaistream.Resource):
    """Moderation: whether text or images break the usage policies, category by category, as
    `client.moderations`.

    `create` takes a string, a list of strings, or a list of text and image parts; `model`
    chooses the moderation model.

    ```python
    result = client.moderations.create("some text")["results"][0]
    print(result["flagged"], result["categories"])
    ```
    """

    endpoint = "/moderations"

    def create(
        self,
        input: Union[str, list[Any]],
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Whether `input` (a string, a list of strings, or a list of text and image
        parts) breaks the usage policies, category by category. `params`: `model`."""
        check_input("input", input)
        return self.request(
            "POST", "/moderations", json={"input": input, **params}, verbosity=verbosity
        )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("moderations", Moderations)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.moderations import command  # only the command line loads click

    cli.add_command(command())
