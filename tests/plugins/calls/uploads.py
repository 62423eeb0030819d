# ruff: noqa: E501 - the tables of calls read best one call to a line
"""The calls of ``uploads`` (the Uploads API). ``upload_file`` makes several requests: each
is checked against the spec in tests/plugins/test_uploads.py."""

from __future__ import annotations

from tests.plugins.calls import Call

UPLOAD = {"id": "upload_abc123", "object": "upload", "status": "pending"}

CALLS = {
    "uploads.create": Call(lambda c: c.uploads.create("training_examples.jsonl", "fine-tune", 2147483648, "text/jsonl"), "POST /uploads", json=UPLOAD),
    "uploads.create (expires_after)": Call(lambda c: c.uploads.create("big.jsonl", "batch", 1 << 30, "application/jsonl", expires_after={"anchor": "created_at", "seconds": 7200}), "POST /uploads", json=UPLOAD),
    "uploads.parts_create": Call(lambda c: c.uploads.parts_create("upload_abc123", b'{"prompt": "hi"}\n'), "POST /uploads/{upload_id}/parts", json={"id": "part_def456", "object": "upload.part"}),
    "uploads.parts_create (a file)": Call(lambda c, tmp: c.uploads.parts_create("upload_abc123", _part(tmp)), "POST /uploads/{upload_id}/parts", tmp=True),
    "uploads.complete": Call(lambda c: c.uploads.complete("upload_abc123", ["part_def456", "part_ghi789"]), "POST /uploads/{upload_id}/complete"),
    "uploads.complete (md5)": Call(lambda c: c.uploads.complete("upload_abc123", ["part_def456"], md5="d41d8cd98f00b204e9800998ecf8427e"), "POST /uploads/{upload_id}/complete"),
    "uploads.cancel": Call(lambda c: c.uploads.cancel("upload_abc123"), "POST /uploads/{upload_id}/cancel"),
}  # fmt: skip


def _part(tmp):  # type: ignore[no-untyped-def]
    path = tmp / "part-1.jsonl"
    path.write_bytes(b'{"prompt": "hi"}\n' * 100)
    return path
