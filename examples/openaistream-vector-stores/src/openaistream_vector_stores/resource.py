"""``client.vector_stores``: paths and bodies from OpenAI's OpenAPI spec."""

from __future__ import annotations

from typing import Any, Optional

import openaistream
from openaistream.resource import check_text, path_segment


class VectorStores(openaistream.Resource):
    endpoint = "/vector_stores"  # what client.get_api_endpoints() reports

    def create(self, name: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """A new vector store; ``params``: ``file_ids``, ``expires_after``,
        ``chunking_strategy``, ``metadata``, ``description``."""
        body = {"name": check_text("name", name), **params}
        return self.request("POST", "/vector_stores", json=body, verbosity=verbosity)

    def list(self, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """The organization's vector stores; ``params``: ``limit``, ``order``, ``after``."""
        return self.request("GET", "/vector_stores", params=params, verbosity=verbosity)

    def retrieve(self, vector_store_id: str, *, verbosity: Optional[int] = None) -> Any:
        return self.request("GET", _one(vector_store_id), verbosity=verbosity)

    def modify(
        self, vector_store_id: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """Change ``name``, ``expires_after`` or ``metadata``."""
        path = _one(vector_store_id)
        return self.request("POST", path, json=params, verbosity=verbosity)

    def delete(self, vector_store_id: str, *, verbosity: Optional[int] = None) -> Any:
        return self.request("DELETE", _one(vector_store_id), verbosity=verbosity)

    def search(
        self, vector_store_id: str, query: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """The chunks most relevant to ``query``; ``params``: ``max_num_results``,
        ``filters``, ``ranking_options``, ``rewrite_query``."""
        body = {"query": check_text("query", query), **params}
        path = _one(vector_store_id) + "/search"
        return self.request("POST", path, json=body, verbosity=verbosity)


def _one(vector_store_id: str) -> str:
    return f"/vector_stores/{path_segment('vector_store_id', vector_store_id)}"
