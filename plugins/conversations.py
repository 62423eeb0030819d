"""The `conversations` resource (the Conversations API, which the R package predates): a
conversation's state kept by the API for the Responses API (`responses.create(...,
conversation="conv_...")`), and its items.

The items are a collection of the conversation, named as the other nested collections are
(`assistants.file_create`, `runs.steps_list`): `items_create`, `items_list`,
`items_retrieve`, `items_delete`. `items_list` is a cursor list:
`openaistream.paginate(client.conversations.items_list, "conv_123")` walks it.

Paths from the OpenAPI spec: `POST /conversations`, `GET|POST|DELETE
/conversations/{conversation_id}`, `POST|GET /conversations/{conversation_id}/items`,
`GET|DELETE /conversations/{conversation_id}/items/{item_id}`.
"""

from __future__ import annotations

from typing import Any, Callable

import openaistream
from openaistream.operation import operation

_ONE = "/conversations/{conversation_id}"
_ITEMS = _ONE + "/items"
_ITEM = _ITEMS + "/{item_id}"


class Conversations(openaistream.Resource):
    """The Conversations API: a conversation's state, kept by the API for the Responses API, and its
    items, as `client.conversations`.

    A response joins a conversation with `responses.create(..., conversation="conv_...")`. The
    items are flat methods (`items_create`, `items_list`, `items_retrieve`, `items_delete`);
    `items_list` is a cursor list, which [`paginate()`][openaistream.pagination.paginate] walks.

    ```python
    conversation = client.conversations.create(metadata={"topic": "demo"})
    client.responses.create("gpt-4o-mini", "Hello!", conversation=conversation["id"])
    for item in openaistream.paginate(client.conversations.items_list, conversation["id"]):
        print(item["id"], item["type"])
    ```
    """

    endpoint = "/conversations"

    create = operation("POST", "/conversations", doc="Create a conversation (items=, metadata=).")
    retrieve = operation("GET", _ONE, doc="Show a conversation.")
    update = operation("POST", _ONE, "metadata", doc="Replace a conversation's metadata.")
    delete = operation("DELETE", _ONE, doc="Delete a conversation (its items stay).")
    # ``include`` is a query parameter of this POST, beside the body's items.
    items_create = operation(
        "POST", _ITEMS, "items", query=("include",), doc="Add up to 20 items to a conversation."
    )
    items_list = operation("GET", _ITEMS, doc="List a conversation's items (after=, limit=).")
    items_retrieve = operation("GET", _ITEM, doc="Show one item of a conversation.")
    items_delete = operation("DELETE", _ITEM, doc="Delete an item from a conversation.")


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("conversations", Conversations)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.conversations import command  # only the command line loads click

    cli.add_command(command())
