"""The `embeddings` resource. Path from the OpenAPI spec: `POST /embeddings`."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.resource import check_input, check_text


class Embeddings(openaistream.Resource):
    """Embeddings: vectors for text, as `client.embeddings`.

    `create` takes a string, a list of strings, or token arrays; `params` carries
    `encoding_format`, `dimensions` and `user`.

    ```python
    answer = client.embeddings.create("text-embedding-3-small", ["first text", "second text"])
    vectors = [item["embedding"] for item in answer["data"]]
    ```
    """

    endpoint = "/embeddings"

    def create(
        self,
        model: str,
        input: Union[str, list[Any]],
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Vectors for `input`: a string, a list of strings, or token arrays.
        `params`: `encoding_format` (float or base64), `dimensions`, `user`."""
        body = {"model": check_text("model", model), "input": check_input("input", input), **params}
        return self.request("POST", "/embeddings", json=body, verbosity=verbosity)


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("embeddings", Embeddings)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.embeddings import command  # only the command line loads click

    cli.add_command(command())
