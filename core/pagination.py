"""Walking cursor-paginated lists: ``after`` = the last id, while ``has_more``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable

from .errors import APIError

__all__ = ["paginate"]


def paginate(list_method: Callable[..., Any], *args: Any, **params: Any) -> Iterator[Any]:
    """Every item of a list method's pages, fetching the next page only when the items of
    this one are used up::

        for file in openaistream.paginate(client.files.list, limit=100):
            ...

    ``args`` and ``params`` are passed to each call (``limit``, ``order``, ...); ``after`` is
    set from each page's ``last_id`` (or its last item's ``id``).
    """
    after = params.get("after")
    while True:
        page = list_method(*args, **params)
        items = page.get("data") or [] if isinstance(page, dict) else []
        yield from items
        if not (isinstance(page, dict) and page.get("has_more") and items):
            return
        cursor = page.get("last_id") or items[-1].get("id")
        if not cursor or cursor == after:
            raise APIError(
                f"the list says it has more, but its cursor does not advance (after={after!r})",
                body=page,
            )
        after = params["after"] = cursor
