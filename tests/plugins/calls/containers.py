# ruff: noqa: E501 - the table of calls reads best one call to a line
"""The calls of ``client.containers``: containers, their files (uploaded from bytes or a
path, or copied by ``file_id``) and file content."""

from __future__ import annotations

from tests.plugins.calls import Call

CSV = b"date,otters\n2026-01-01,3\n2026-01-02,5\n"
ONE = "/containers/{container_id}"
FILE = ONE + "/files/{file_id}"

CALLS = {
    "containers.create": Call(lambda c: c.containers.create("My Container", file_ids=["file-1"], expires_after={"anchor": "last_active_at", "minutes": 20}, memory_limit="4g", network_policy={"type": "allowlist", "allowed_domains": ["pypi.org"]}), "POST /containers"),
    "containers.list": Call(lambda c: c.containers.list(limit=20, order="desc", name="My Container"), "GET /containers"),
    "containers.retrieve": Call(lambda c: c.containers.retrieve("cntr_123"), "GET " + ONE),
    "containers.delete": Call(lambda c: c.containers.delete("cntr_123"), "DELETE " + ONE),
    "containers.files_create": Call(lambda c: c.containers.files_create("cntr_123", ("otters.csv", CSV)), "POST " + ONE + "/files"),
    "containers.files_create (path)": Call(lambda c, tmp: c.containers.files_create("cntr_123", _csv(tmp)), "POST " + ONE + "/files", tmp=True),
    "containers.files_create (file_id)": Call(lambda c: c.containers.files_create("cntr_123", file_id="file-123"), "POST " + ONE + "/files"),
    "containers.files_list": Call(lambda c: c.containers.files_list("cntr_123", limit=10, order="asc", after="cfile_1"), "GET " + ONE + "/files"),
    "containers.files_retrieve": Call(lambda c: c.containers.files_retrieve("cntr_123", "cfile_123"), "GET " + FILE),
    "containers.files_delete": Call(lambda c: c.containers.files_delete("cntr_123", "cfile_123"), "DELETE " + FILE),
    "containers.files_content": Call(lambda c: c.containers.files_content("cntr_123", "cfile_123"), "GET " + FILE + "/content", answer="bytes"),
    "containers.files_content (stream)": Call(lambda c: c.containers.files_content("cntr_123", "cfile_123", stream=True), "GET " + FILE + "/content", answer="bytes"),
    "containers.files_download": Call(lambda c, tmp: c.containers.files_download("cntr_123", "cfile_123", tmp / "out.csv"), "GET " + FILE + "/content", answer="bytes", tmp=True),
}  # fmt: skip


def _csv(tmp):  # type: ignore[no-untyped-def]
    path = tmp / "otters.csv"
    path.write_bytes(CSV)
    return path
