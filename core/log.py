"""What one call logs, by its verbosity (as in the R package):

0. nothing;
1. the request line and headers, the status and response headers, how a stream ended;
2. also the bodies, and each stream event as it passes;
3. also the transport's events: connection opened or reused, proxy, retries and their waits.

Logs go through structlog, which the library never configures: an application (or the CLI)
decides where they go. Every value passes the client's Redactor first, so the API key and
proxy passwords never appear, secret headers (Authorization, api-key, Cookie, Set-Cookie, ...)
are masked in requests and responses alike, and credential query parameters (`api-key=`)
are masked in URLs.
"""

from __future__ import annotations

from typing import Any, Union

from .http import AsyncResponse, Request, Response, shown_headers
from .redact import Redactor, mask_query, mask_url

__all__ = ["CallLog"]

_BODY_SHOWN = 4000  # characters of a body shown at verbosity 2


class CallLog:
    """The logger of one call. Build one only when verbosity > 0."""

    def __init__(self, verbosity: int, redactor: Redactor) -> None:
        import structlog  # structlog costs ~100 ms to import: only when something is logged

        self.verbosity = verbosity
        self._redactor = redactor
        self._log = structlog.get_logger("openaistream")

    def hide(self, secret: str) -> None:
        """Mask `secret` too from now on (a key a provider gave for one attempt)."""
        self._redactor = self._redactor.with_secrets([secret])

    def _emit(self, level: int, event: str, **values: Any) -> None:
        if self.verbosity >= level:
            method = self._log.info if level == 1 else self._log.debug
            method(event, **self._redactor.data(values))

    def request(self, request: Request, attempt: int) -> None:
        self._emit(
            1,
            "http.request",
            method=request.method,
            url=mask_query(request.url),
            headers=shown_headers(request.headers),
            attempt=attempt,
        )
        if self.verbosity >= 2 and request.body is not None:
            self._emit(2, "http.request.body", body=_shown_body(request.body))

    def response(self, response: Union[Response, AsyncResponse]) -> None:
        self._emit(
            1, "http.response", status=response.status, headers=shown_headers(response.headers)
        )
        if response.info:
            info = dict(response.info)
            if "proxy" in info:
                info["proxy"] = mask_url(info["proxy"])
            self._emit(3, "transport", **info)

    def response_body(self, body: bytes) -> None:
        self._emit(2, "http.response.body", body=_shown_body(body))

    def retry(self, retry: int, wait: float, reason: str) -> None:
        self._emit(3, "http.retry", retry=retry, wait=round(wait, 3), reason=reason)

    def stream_item(self, item: Any) -> None:
        if self.verbosity >= 2:
            self._emit(2, "stream.event", data=item if not isinstance(item, bytes) else len(item))

    def stream_end(self, count: int) -> None:
        self._emit(1, "stream.complete", received=count)

    def stream_closed(self, count: int) -> None:
        self._emit(1, "stream.closed", received=count)


def _shown_body(body: object) -> str:
    if not isinstance(body, (bytes, bytearray)):
        return "<streamed body>"
    text = bytes(body[:_BODY_SHOWN]).decode("utf-8", "replace")
    if len(body) > _BODY_SHOWN:
        text += f"... ({len(body)} bytes)"
    return text
