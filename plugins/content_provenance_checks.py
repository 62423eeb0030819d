"""The `content_provenance_checks` resource: whether an image or audio file carries the
provenance signals OpenAI puts in what its models make (metadata, watermarks).
`not_detected` does not mean the content was not made by OpenAI: signals can be stripped.

Path from the OpenAPI spec: `POST /content_provenance_checks` (multipart).
"""

from __future__ import annotations

from typing import Any, Callable

import openaistream
from openaistream.operation import operation


class ContentProvenanceChecks(openaistream.Resource):
    """Whether an image or audio file carries the provenance signals OpenAI puts in what its models
    make (C2PA metadata, SynthID watermarks), as `client.content_provenance_checks`.

    `create` uploads the file (a path, bytes or an open binary file). An outcome of
    `not_detected` does not prove the content was not made by OpenAI: signals can be stripped.

    ```python
    check = client.content_provenance_checks.create("picture.png")
    for result in check["results"]:
        print(result["type"], result["outcome"])
    ```
    """

    endpoint = "/content_provenance_checks"

    create = operation(
        "POST",
        "/content_provenance_checks",
        "file",
        files=("file",),
        doc="Check an image or audio file (a path, bytes or an open file) for OpenAI signals.",
    )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("content_provenance_checks", ContentProvenanceChecks)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.content_provenance_checks import command  # only the command line loads click

    cli.add_command(command())
