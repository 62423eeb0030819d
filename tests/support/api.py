"""Helpers for resource tests against pytest-httpserver: answer the next request, and read
back what the client sent."""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from pytest_httpserver import HTTPServer
from werkzeug import Request as ServerRequest

ANY_PATH = re.compile(r"^/v1/.*")


def answer(
    httpserver: HTTPServer,
    body: Any = None,
    *,
    status: int = 200,
    content_type: str = "application/json",
    headers: Optional[dict[str, str]] = None,
) -> None:
    """Answer the next request, whatever its path, with ``body`` (JSON unless bytes)."""
    data = body if isinstance(body, bytes) else json.dumps({"ok": True} if body is None else body)
    httpserver.expect_oneshot_request(ANY_PATH).respond_with_data(
        data, status=status, content_type=content_type, headers=headers
    )


def last(httpserver: HTTPServer) -> ServerRequest:
    """The last request the server received."""
    assert httpserver.log, "the server received no request"
    return httpserver.log[-1][0]


def query(request: ServerRequest) -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)
