"""What a call answered, beside the answer itself: status, headers, request id, elapsed time.

A client's `with_raw_response` (`client.with_raw_response.chat.create(...)`, or
`client.chat.with_raw_response.create(...)`, as openai-python users write it) answers a
[`RawResponse`][openaistream.raw.RawResponse] in place of the parsed body; `parse()` gives the
answer the call would have given (the dict, or the stream). The rate-limit headers of a call are
read here, with no hook that applies to every client in the process.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

from .redact import mask_query

if TYPE_CHECKING:
    from datetime import timedelta

__all__ = ["RawResponse"]


class RawResponse:
    """The HTTP answer of one call. `headers` has lower-case names. For a call that is not
    streamed, `content` is the body as received and `parse()` the answer as the call
    parses it; for a stream, `content` is None and `parse()` the stream (read it as
    usual). `elapsed` runs from the first attempt to the whole body (to the headers, for a
    stream), retries and their waits included."""

    __slots__ = ("_parsed", "_seconds", "content", "headers", "method", "status", "url")

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        headers: dict[str, str],
        elapsed: float,
        content: Optional[bytes] = None,
        parsed: Any = None,
    ) -> None:
        self.method = method
        self.url = mask_query(url)  # a credential in the query string is not shown
        self.status = status
        self.headers = headers
        self._seconds = elapsed
        self.content = content
        self._parsed = parsed

    @property
    def elapsed(self) -> timedelta:
        """The time the call took (a `timedelta`, as httpx and requests give it)."""
        from datetime import timedelta  # here: import openaistream does not load datetime

        return timedelta(seconds=self._seconds)

    @property
    def status_code(self) -> int:
        """The status (the name httpx and openai-python give it)."""
        return self.status

    @property
    def request_id(self) -> Optional[str]:
        """The API's `x-request-id` for this call (quote it to OpenAI support)."""
        return self.headers.get("x-request-id")

    @property
    def text(self) -> str:
        """The body as text (empty for a stream, which `parse()` reads)."""
        return (self.content or b"").decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON, whatever the call would have made of it."""
        return json.loads(self.text)

    def parse(self) -> Any:
        """What the call answers without `with_raw_response`: the parsed body, or the
        stream (a DataStream, or an AsyncDataStream on the async client)."""
        return self._parsed

    def replace_parsed(self, parsed: Any) -> None:
        """For the clients: what `parse()` gives from now on (a stream's Response becomes
        the stream made of it)."""
        self._parsed = parsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status}] {self.method} {self.url}>"
