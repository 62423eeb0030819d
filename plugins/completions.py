"""The `completions` resource: the legacy Completions API (text in, text out, for
`gpt-3.5-turbo-instruct`, `davinci-002` and `babbage-002`), streamed or not.

Streamed, each event is a `text_completion` object whose `choices[].text` is the next
piece of text, until `data: [DONE]`, as chat completions stream.

Path from the OpenAPI spec: `POST /completions`.
"""

from __future__ import annotations

from typing import Any, Callable

import openaistream
from openaistream.operation import operation


class Completions(openaistream.Resource):
    """The legacy Completions API, text in and text out (`gpt-3.5-turbo-instruct`,
    `davinci-002`, `babbage-002`), as `client.completions`.

    With `stream=True`, `create` answers a [`DataStream`][openaistream.stream.DataStream] of
    `text_completion` chunks, whose `choices[].text` is the next piece of text.

    ```python
    answer = client.completions.create("gpt-3.5-turbo-instruct", "Say this is a test")
    print(answer["choices"][0]["text"])
    ```
    """

    endpoint = "/completions"

    create = operation(
        "POST",
        "/completions",
        "model",
        "prompt",
        stream="sse",
        doc="A completion of prompt (a string, strings, or tokens); stream=True for its chunks.",
    )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("completions", Completions)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.completions import command  # only the command line loads click

    cli.add_command(command())
