# ruff: noqa: E501 - the table of calls reads best one call to a line
"""The calls of ``vector_stores``: stores, their files and file batches, file content and
search, with the bodies of the spec's examples.

The helpers make several requests, and the contract's server answers one: each helper's call
here is made until its second request, which the server leaves unanswered (an error the call
expects); that request, the one the helper adds to what the plain methods send, is checked.
Their whole conversations are tested in tests/plugins/test_vector_stores.py."""

from __future__ import annotations

from typing import Any, Callable

import openaistream
from tests.plugins.calls import Call

STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
ATTRIBUTES = {"author": "Ann Lee", "year": 2024, "public": True}
FILTER = {"type": "eq", "key": "author", "value": "Ann Lee"}
FILE = b"The return policy: 30 days, with the receipt.\n"


def second_request(call: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``call`` made until the server leaves its second request unanswered."""

    def made(client: Any) -> None:
        try:
            call(client)
        except openaistream.InternalServerError:
            return  # the request after the one answered: the one checked
        raise AssertionError("the helper made only the one request the server answered")

    return made


CALLS = {
    "vector_stores.create": Call(lambda c: c.vector_stores.create(name="Support FAQ", file_ids=["file-abc123"], expires_after={"anchor": "last_active_at", "days": 7}, chunking_strategy=STATIC, metadata={"team": "support"}), "POST /vector_stores"),
    "vector_stores.list": Call(lambda c: c.vector_stores.list(limit=20, order="desc", after="vs_abc123"), "GET /vector_stores"),
    "vector_stores.retrieve": Call(lambda c: c.vector_stores.retrieve("vs_abc123"), "GET /vector_stores/{vector_store_id}"),
    "vector_stores.update": Call(lambda c: c.vector_stores.update("vs_abc123", name="Support FAQ v2", expires_after={"anchor": "last_active_at", "days": 30}, metadata={"team": "care"}), "POST /vector_stores/{vector_store_id}"),
    "vector_stores.delete": Call(lambda c: c.vector_stores.delete("vs_abc123"), "DELETE /vector_stores/{vector_store_id}"),
    "vector_stores.search": Call(lambda c: c.vector_stores.search("vs_abc123", "What is the return policy?", filters=FILTER, max_num_results=5, rewrite_query=True, ranking_options={"ranker": "auto", "score_threshold": 0.5}), "POST /vector_stores/{vector_store_id}/search"),
    "vector_stores.search (several queries)": Call(lambda c: c.vector_stores.search("vs_abc123", ["return policy", "refunds"]), "POST /vector_stores/{vector_store_id}/search"),
    "vector_stores.files_create": Call(lambda c: c.vector_stores.files_create("vs_abc123", "file-abc123", attributes=ATTRIBUTES, chunking_strategy={"type": "auto"}), "POST /vector_stores/{vector_store_id}/files"),
    "vector_stores.files_list": Call(lambda c: c.vector_stores.files_list("vs_abc123", filter="completed", limit=50, order="asc", before="file-abc123"), "GET /vector_stores/{vector_store_id}/files"),
    "vector_stores.files_retrieve": Call(lambda c: c.vector_stores.files_retrieve("vs_abc123", "file-abc123"), "GET /vector_stores/{vector_store_id}/files/{file_id}"),
    "vector_stores.files_update": Call(lambda c: c.vector_stores.files_update("vs_abc123", "file-abc123", ATTRIBUTES), "POST /vector_stores/{vector_store_id}/files/{file_id}"),
    "vector_stores.files_delete": Call(lambda c: c.vector_stores.files_delete("vs_abc123", "file-abc123"), "DELETE /vector_stores/{vector_store_id}/files/{file_id}"),
    "vector_stores.files_content": Call(lambda c: c.vector_stores.files_content("vs_abc123", "file-abc123"), "GET /vector_stores/{vector_store_id}/files/{file_id}/content"),
    "vector_stores.file_batches_create": Call(lambda c: c.vector_stores.file_batches_create("vs_abc123", file_ids=["file-abc123", "file-abc456"], attributes=ATTRIBUTES, chunking_strategy=STATIC), "POST /vector_stores/{vector_store_id}/file_batches"),
    "vector_stores.file_batches_create (files)": Call(lambda c: c.vector_stores.file_batches_create("vs_abc123", files=[{"file_id": "file-abc123", "attributes": ATTRIBUTES}, {"file_id": "file-abc456", "chunking_strategy": {"type": "auto"}}]), "POST /vector_stores/{vector_store_id}/file_batches"),
    "vector_stores.file_batches_retrieve": Call(lambda c: c.vector_stores.file_batches_retrieve("vs_abc123", "vsfb_abc123"), "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}"),
    "vector_stores.file_batches_cancel": Call(lambda c: c.vector_stores.file_batches_cancel("vs_abc123", "vsfb_abc123"), "POST /vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel"),
    "vector_stores.file_batches_list_files": Call(lambda c: c.vector_stores.file_batches_list_files("vs_abc123", "vsfb_abc123", filter="failed", limit=10), "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files"),
    # The helpers: a poll answered "completed" is one request; the others are checked at their second.
    "vector_stores.files_poll": Call(lambda c: c.vector_stores.files_poll("vs_abc123", "file-abc123"), "GET /vector_stores/{vector_store_id}/files/{file_id}", json={"id": "file-abc123", "object": "vector_store.file", "status": "completed"}),
    "vector_stores.file_batches_poll": Call(lambda c: c.vector_stores.file_batches_poll("vs_abc123", "vsfb_abc123"), "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}", json={"id": "vsfb_abc123", "object": "vector_store.files_batch", "status": "failed"}),
    "vector_stores.files_create_and_poll": Call(second_request(lambda c: c.vector_stores.files_create_and_poll("vs_abc123", "file-abc123", attributes=ATTRIBUTES, poll_interval=0.01)), "GET /vector_stores/{vector_store_id}/files/{file_id}"),
    "vector_stores.file_batches_create_and_poll": Call(second_request(lambda c: c.vector_stores.file_batches_create_and_poll("vs_abc123", file_ids=["file-abc123"], poll_interval=0.01)), "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}"),
    "vector_stores.files_upload": Call(second_request(lambda c: c.vector_stores.files_upload("vs_abc123", ("policy.txt", FILE), attributes=ATTRIBUTES)), "POST /vector_stores/{vector_store_id}/files"),
    "vector_stores.files_upload_and_poll": Call(second_request(lambda c: c.vector_stores.files_upload_and_poll("vs_abc123", ("policy.txt", FILE), chunking_strategy=STATIC)), "POST /vector_stores/{vector_store_id}/files"),
    "vector_stores.file_batches_upload_and_poll": Call(second_request(lambda c: c.vector_stores.file_batches_upload_and_poll("vs_abc123", [("policy.txt", FILE)], file_ids=["file-abc456"], attributes=ATTRIBUTES)), "POST /vector_stores/{vector_store_id}/file_batches"),
}  # fmt: skip
