"""The one error hierarchy, named as users of openai-python know it.

    OpenAIError
    ├── PluginError                     a plugin could not be loaded or chosen
    ├── ReplayError                     no recording matches a request, or a cassette is refused
    ├── InvalidWebhookSignatureError    a webhook not shown to be OpenAI's (also a ValueError)
    └── APIError                        anything the API or the network did
        ├── APIStatusError              an HTTP status that is not an answer: >= 400, or 3xx
        │   ├── RedirectError               3xx (redirects are never followed)
        │   ├── BadRequestError             400
        │   ├── AuthenticationError         401
        │   ├── PermissionDeniedError       403
        │   ├── NotFoundError               404
        │   ├── ConflictError               409
        │   ├── UnprocessableEntityError    422
        │   ├── RateLimitError              429
        │   └── InternalServerError         >= 500
        ├── APIConnectionError          no answer: refused, reset, DNS, TLS, proxy
        │   └── APITimeoutError
        └── StreamError                 a stream that broke or could not be decoded
    ├── LengthFinishReasonError         parse: the answer was cut by its token limit
    ├── ContentFilterFinishReasonError  parse: the content filter stopped the answer
    └── RefusalError                    parse: the model refused to answer

Every error raised while a DataStream was being read carries `received`: the
events the stream delivered before it failed, so nothing received is lost.

A status error's message is the server's own text whatever the shape of its error body
(OpenAI's `{"error": {"message": ...}}`, FastAPI's `{"detail": ...}`, a `message`, plain
text), cut to `MESSAGE_SHOWN` characters; `body` is what openai-python's is: the inner
`error` object when there is one, else the parsed body; `truncated` says the server sent
more than the client kept (`BODY_KEPT` bytes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "InternalServerError",
    "InvalidWebhookSignatureError",
    "LengthFinishReasonError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "PluginError",
    "RateLimitError",
    "RedirectError",
    "RefusalError",
    "ReplayError",
    "StreamError",
    "UnprocessableEntityError",
    "server_message",
    "status_error",
]

MESSAGE_SHOWN = 2000  # characters of the server's text an error message shows
BODY_KEPT = 64 * 1024  # bytes of an error body kept on the error


class OpenAIError(Exception):
    """The base of every error this library raises on purpose."""


class PluginError(OpenAIError):
    """A plugin failed to load, clashed with another, or was named but does not exist."""


class ReplayError(OpenAIError):
    """A replayed request that no recording matches, or a cassette that cannot be read or
    must not be written.

    Attributes:
        closest: The nearest recorded request, when there is one.
        differences: How the request differs from it, field by field.
    """

    def __init__(
        self, message: str, *, closest: Any = None, differences: Optional[list[str]] = None
    ) -> None:
        super().__init__(message)
        self.closest = closest
        self.differences = differences or []


class APIError(OpenAIError):
    """Something the API or the network did: the base of the status, connection and stream
    errors. Its text is the message, with the code and request ID when there are some.

    Attributes:
        message: What went wrong: the API's own message when it sent one.
        code: The API error object's `code`, when it has one.
        type: The API error object's `type`, when it has one.
        param: The argument the API objected to, when it said.
        body: What the server answered: as openai-python, the inner `error` object of an
            OpenAI error body, else the whole body (JSON parsed, else text).
        request_id: The answer's `x-request-id`, for OpenAI's support.
        truncated: True when `body` holds only the start of what the server sent.
        received: When a stream failed: the items it had delivered, so nothing received is
            lost.
        omitted: How many of the oldest delivered items `received` no longer holds (none
            unless the body outgrew the stream's `keep`).
    """

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        type: Optional[str] = None,
        param: Optional[str] = None,
        body: Any = None,
        request_id: Optional[str] = None,
        truncated: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.param = param
        self.body = body
        self.request_id = request_id
        self.truncated = truncated
        # Set when a stream fails: the items it delivered, and how many of the oldest of them
        # it no longer held (see DataStream.keep).
        self.received: list[Any] = []
        self.omitted = 0

    def __str__(self) -> str:
        text = self.message
        if self.code:
            text = f"{self.code}: {text}"
        if self.request_id:
            text = f"{text} (request id {self.request_id})"
        return text


class APIStatusError(APIError):
    """The API answered with an HTTP status of 400 or more (or a redirect): the subclass for
    the status when there is one (`RateLimitError` for 429, ...).

    Attributes:
        status: The HTTP status.
        status_code: The same, by openai-python's name.
        headers: The answer's headers, names in lower case (`retry-after`, `x-ratelimit-*`),
            cookies left out.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        headers: Optional[Mapping[str, str]] = None,
        **details: Any,
    ) -> None:
        super().__init__(message, **details)
        self.status = status
        self.headers = _kept_headers(headers or {})
        # openai-python calls it status_code; both names work.
        self.status_code = status

    def __str__(self) -> str:
        text = super().__str__()
        # Servers that send the status as the code would read "401 401: ...".
        if self.code is not None and self.code == str(self.status):
            text = text[len(self.code) + 2 :]
        return f"{self.status} {text}"


class RedirectError(APIStatusError):
    """3xx: the server sent the call elsewhere (`location`). Redirects are never followed:
    a request would carry the API key to another host; point `base_url` there instead."""

    def __init__(self, message: str, *, location: Optional[str] = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.location = location


class BadRequestError(APIStatusError):
    """400: the request was malformed or named something that does not exist."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such model, file, thread, ..."""


class ConflictError(APIStatusError):
    """409: the resource is in a state that does not allow this."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well formed but could not be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests, or the quota is spent."""


class InternalServerError(APIStatusError):
    """500 and above: the API failed."""


class APIConnectionError(APIError):
    """No HTTP answer: the connection was refused, reset or could not be made."""


class APITimeoutError(APIConnectionError):
    """The connection or a read took longer than the timeout allows."""


class StreamError(APIError):
    """A stream ended early or sent something that could not be decoded.

    Attributes:
        received: The items delivered before the failure.
        omitted: How many of the oldest of them `received` no longer holds (none, unless the
            body outgrew the stream's `keep` budget).
        offset: The byte offset in the body where the offending data starts, when known.
    """

    def __init__(
        self, message: str, *, received: Optional[list[Any]] = None, offset: Optional[int] = None
    ) -> None:
        super().__init__(message)
        self.received = list(received or [])
        self.offset = offset


class InvalidWebhookSignatureError(OpenAIError, ValueError):
    """A webhook request that cannot be shown to come from OpenAI: a `webhook-*` header
    missing or malformed, no signature that matches the body with this endpoint's secret, or
    a timestamp outside the tolerance. Also a `ValueError`, as openai-python's is. The
    message never shows the secret or a signature."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(
    status: int,
    body: Any,
    request_id: Optional[str],
    *,
    truncated: bool = False,
    location: Optional[str] = None,
    headers: Optional[Mapping[str, str]] = None,
) -> APIStatusError:
    """The typed error for an HTTP status, with the server's message whatever the shape of
    its error body, and the code, type and param of an OpenAI error object."""
    inner = body.get("error") if isinstance(body, dict) else None
    details = inner if isinstance(inner, dict) else {}
    message = server_message(body) or f"HTTP {status}"
    if truncated:
        message += " (the server sent more; the body was cut)"
    common: dict[str, Any] = {
        "status": status,
        "code": _text(details.get("code")),
        "type": _text(details.get("type")),
        "param": _text(details.get("param")),
        # As openai-python: the inner error object when there is one, else the whole body.
        "body": body if inner is None else inner,
        "request_id": request_id,
        "truncated": truncated,
        "headers": headers,
    }
    if 300 <= status < 400:
        where = f" to {location}" if location else " (no Location given)"
        return RedirectError(
            f"the server redirected the call{where}; redirects are not followed: "
            f"point base_url where the API is. {message}",
            location=location,
            **common,
        )
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    return cls(message, **common)


# Headers an error must not carry: the server's cookies are credentials of a kind.
_SECRET_HEADERS = frozenset({"set-cookie", "set-cookie2"})


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    lowered = ((name.lower(), value) for name, value in headers.items())
    return {name: value for name, value in lowered if name not in _SECRET_HEADERS}


def server_message(body: Any) -> Optional[str]:
    """The server's own words in an error body, whatever its shape: OpenAI's
    `{"error": {"message": ...}}`, `{"error": "..."}`, FastAPI's `{"detail": "..."}` or
    its list of validation errors (`[{"loc": [...], "msg": ...}]`), `{"message": ...}`,
    or plain text. Cut to `MESSAGE_SHOWN` characters; None when there are none."""
    text = _words(body)
    if text is None or not text.strip():
        return None
    text = " ".join(text.split()) if len(text) <= 4 * MESSAGE_SHOWN else text.strip()
    if len(text) > MESSAGE_SHOWN:
        text = f"{text[:MESSAGE_SHOWN]}... ({len(text) - MESSAGE_SHOWN} more characters)"
    return text


def _words(body: Any) -> Optional[str]:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        parts = [_words(item) for item in body]
        return "; ".join(part for part in parts if part) or None
    if not isinstance(body, dict):
        return None if body is None else _compact(body)
    for key in ("error", "detail", "message", "msg"):
        if body.get(key) not in (None, "", [], {}):
            found = _words(body[key])
            if found:
                if key == "msg" and body.get("loc"):  # one FastAPI validation error
                    where = ".".join(str(part) for part in body["loc"])
                    return f"{where}: {found}"
                return found
    return _compact(body)


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _text(value: Any) -> Optional[str]:
    # The API sends some codes as numbers (OpenAI-compatible servers more often).
    return None if value is None else str(value)


class LengthFinishReasonError(OpenAIError):
    """`parse` got an answer cut short by its token limit (a choice's `finish_reason` of
    `"length"`, or a response incomplete for `"max_output_tokens"`): its JSON is
    unfinished, so nothing can be parsed. `completion` is the whole answer as the API sent
    it (a `chat.completion` or a response dict), its `usage` included."""

    def __init__(self, *, completion: Any) -> None:
        usage = completion.get("usage") if isinstance(completion, dict) else None
        shown = f" (usage: {_compact(usage)})" if usage else ""
        super().__init__(
            "could not parse the answer: it reached its length limit before the JSON was "
            f"complete; raise max_tokens (max_output_tokens for responses){shown}"
        )
        self.completion = completion


class ContentFilterFinishReasonError(OpenAIError):
    """`parse` got an answer the content filter stopped (a `finish_reason` of
    `"content_filter"`, or a response incomplete for `"content_filter"`); `completion`
    is the whole answer as the API sent it."""

    def __init__(self, *, completion: Any = None) -> None:
        super().__init__("could not parse the answer: the content filter stopped it")
        self.completion = completion


class RefusalError(OpenAIError):
    """`parse` got a refusal instead of the structured answer: the model declined, and says
    why in `refusal` (its own words); `completion` is the whole answer as the API sent it.

    openai-python leaves `parsed` as None beside the refusal; here it is an error, as the
    other two are: a caller that reads `parsed` would otherwise fail later, further from the
    cause and without the model's reason."""

    def __init__(self, refusal: str, *, completion: Any = None) -> None:
        super().__init__(f"the model refused to answer: {refusal}")
        self.refusal = refusal
        self.completion = completion
