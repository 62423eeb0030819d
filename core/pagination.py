"""Walking cursor-paginated lists: `after` = the last id, while `has_more`; with a `for`
loop on `OpenAI`, with `async for` on `AsyncOpenAI` (the same list methods)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Callable, Optional

from .clientbase import refuse_awaitable
from .errors import APIError

__all__ = ["Pages", "paginate"]


def paginate(list_method: Callable[..., Any], *args: Any, **params: Any) -> Pages:
    """Every item of a list method's pages, fetching the next page only when the items of
    this one are used up:

    ```python
    for file in openaistream.paginate(client.files.list, limit=100):
        ...

    async for file in openaistream.paginate(async_client.files.list, limit=100):
        ...
    ```

    `args` and `params` are passed to each call (`limit`, `order`, ...); `after` is
    set from each page's `last_id` (or its last item's `id`).
    """
    return Pages(list_method, args, params)


class Pages:
    """The items of a paginated list, once, as a generator gives them: an iterator (`for`,
    `next`) or an async iterator (`async for`, `anext`: each page awaited)."""

    def __init__(
        self, list_method: Callable[..., Any], args: tuple[Any, ...], params: dict[str, Any]
    ) -> None:
        self._list = list_method
        self._args = args
        self._params = params
        self._walk: Optional[Iterator[Any]] = None
        self._awalk: Optional[AsyncIterator[Any]] = None

    def __iter__(self) -> Pages:
        return self

    def __next__(self) -> Any:
        if self._walk is None:
            self._walk = self._walked()
        return next(self._walk)

    def __aiter__(self) -> Pages:
        return self

    async def __anext__(self) -> Any:
        if self._awalk is None:
            self._awalk = self._awalked()
        return await self._awalk.__anext__()

    def _walked(self) -> Iterator[Any]:
        params = dict(self._params)
        while True:
            page = self._list(*self._args, **params)
            refuse_awaitable(
                page,
                "this list method is awaitable (an AsyncOpenAI's): iterate its pages with "
                "`async for`",
            )
            items = _items(page)
            yield from items
            cursor = _next_cursor(page, items, params.get("after"))
            if cursor is None:
                return
            params["after"] = cursor

    async def _awalked(self) -> AsyncIterator[Any]:
        params = dict(self._params)
        while True:
            page = self._list(*self._args, **params)
            if hasattr(page, "__await__"):
                page = await page
            items = _items(page)
            for item in items:
                yield item
            cursor = _next_cursor(page, items, params.get("after"))
            if cursor is None:
                return
            params["after"] = cursor


def _items(page: Any) -> list[Any]:
    return (page.get("data") or []) if isinstance(page, dict) else []


def _next_cursor(page: Any, items: list[Any], after: Optional[str]) -> Optional[str]:
    """The `after` of the next page; None when this one is the last."""
    if not (isinstance(page, dict) and page.get("has_more") and items):
        return None
    cursor = page.get("last_id") or items[-1].get("id")
    if not cursor or cursor == after:
        raise APIError(
            f"the list says it has more, but its cursor does not advance (after={after!r})",
            body=page,
        )
    return str(cursor)
