"""``openaistream vector-stores ...``, built from the helpers the core's CLI gives plugins:
each command calls a method of ``client.vector_stores`` with the global options applied
(key, base URL, proxy, verbosity, --json), and lists print as tables."""

from __future__ import annotations

from typing import Any

from openaistream.cli import resource_group


def vector_stores_group() -> Any:
    calls = [
        ("list", "list", [], "List the vector stores."),
        ("retrieve", "retrieve", ["vector_store_id"], "Show one vector store."),
        ("create", "create", ["name"], "Create a vector store."),
        ("delete", "delete", ["vector_store_id"], "Delete a vector store."),
        ("search", "search", ["vector_store_id", "query"], "Search a vector store."),
    ]
    columns = ("id", "name", "status", "file_counts")
    return resource_group("vector-stores", "vector_stores", "Vector stores.", calls, columns)
