"""The file content call, which the coverage test counts with the others."""

from __future__ import annotations

from tests.plugins.calls import Call

CALLS = {
    "files.retrieve_content": Call(
        lambda c: c.files.retrieve_content("file-abc123"), "GET /files/{file_id}/content", "bytes"
    ),
}
