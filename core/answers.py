"""Whether an HTTP answer is the one the call asked for, and the error when it is not.

- a status of 300 or more: a redirect (never followed) or a status error, with the server's
  own message whatever the shape of its body;
- a stream request (server-sent events) answered with anything but `text/event-stream`:
  an HTML page from a captive portal, a plain JSON body from a server that ignores
  `stream`, `text/plain`: a StreamError with the start of the body;
- a JSON request answered with an HTML page: an APIError with the start of the body.

Policy only: it sees a status, headers and the start of a body, never how the bytes move, so
that a blocking client and an awaiting one can share it. The bodies of these errors are read
through `BodyStart`: never more than `BODY_KEPT` bytes, whatever the server sends.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Optional, TypeVar

from .errors import BODY_KEPT, APIError, APIStatusError, status_error
from .redact import mask_query, mask_url

__all__ = [
    "BodyStart",
    "is_failure",
    "mismatch_error",
    "not_a_stream",
    "not_json",
    "status_failure",
]

PREVIEW = 500  # characters of an unexpected body shown in the message
_HTML = ("text/html", "application/xhtml+xml")

E = TypeVar("E", bound=APIError)


def is_failure(status: int) -> bool:
    """Whether a status is no answer: a redirect (3xx) or an error (4xx, 5xx)."""
    return status >= 300


class BodyStart:
    """The first `limit` bytes of a body, fed chunk by chunk. `truncated` is True when the
    body went on past them, or its reading was cut short (a timeout, a hang-up)."""

    def __init__(self, limit: int = BODY_KEPT) -> None:
        self.limit = limit
        self.truncated = False
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk; False once the limit is reached (read no more)."""
        room = self.limit - self._size
        if len(chunk) > room:
            self._parts.append(chunk[:room])
            self._size = self.limit
            self.truncated = True
            return False
        self._parts.append(chunk)
        self._size += len(chunk)
        return True

    def cut(self) -> None:
        """The reading ended before the body did."""
        self.truncated = True

    @property
    def data(self) -> bytes:
        return b"".join(self._parts)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def content_type(headers: Mapping[str, str]) -> str:
    """The media type, lower-case, without parameters; empty when the server sent none."""
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def not_a_stream(headers: Mapping[str, str], media_type: Optional[str]) -> Optional[str]:
    """Why an answer to a stream request is not the stream asked for (`media_type`, the
    type the decoder reads; None for a decoder that reads any body), or None. A missing
    content type is taken as the stream (be liberal: some servers send none)."""
    kind = content_type(headers)
    if media_type is None or kind in ("", media_type):
        return None
    if "json" in kind:
        return f"a stream was asked for, but the server answered with one JSON body ({kind})"
    return f"a stream was asked for, but the server answered with {kind}, not {media_type}"


def not_json(headers: Mapping[str, str]) -> Optional[str]:
    """Why an answer to a JSON request is not JSON, when its headers say so: an HTML page
    (a login portal, a proxy's or a load balancer's page). Other types are parsed as usual."""
    kind = content_type(headers)
    if kind in _HTML:
        return f"a JSON answer was expected, but the server sent an HTML page ({kind})"
    return None


def mismatch_error(cls: type[E], reason: str, headers: Mapping[str, str], start: BodyStart) -> E:
    """The error for an answer that is not the one asked for, with the start of its body
    (`body`: what was read, at most `BODY_KEPT` bytes; `truncated` when there was
    more)."""
    text = start.text
    shown = text[:PREVIEW] + ("..." if len(text) > PREVIEW or start.truncated else "")
    error = cls(f"{reason}: {shown}" if shown.strip() else f"{reason}, with an empty body")
    error.body = text
    error.truncated = start.truncated
    error.request_id = headers.get("x-request-id")
    return error


def status_failure(status: int, headers: Mapping[str, str], start: BodyStart) -> APIStatusError:
    """The typed error for a status of 300 or more and the start of its body."""
    body: object = None
    if start.data:
        body = start.text
        if not start.truncated:
            with contextlib.suppress(ValueError):  # not JSON: the text
                body = json.loads(start.data)
    location = headers.get("location")
    return status_error(
        status,
        body,
        headers.get("x-request-id"),
        truncated=start.truncated,
        location=None if location is None else mask_query(mask_url(location) or ""),
        headers=headers,
    )
