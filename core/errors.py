"""The one error hierarchy, named as users of openai-python know it.

    OpenAIError
    ├── PluginError                     a plugin could not be loaded or chosen
    ├── ReplayError                     no recording matches a request, or a cassette is refused
    └── APIError                        anything the API or the network did
        ├── APIStatusError              an HTTP status >= 400
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

Every error raised while a DataStream was being read carries ``received``: the
events the stream delivered before it failed, so nothing received is lost.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "PluginError",
    "RateLimitError",
    "ReplayError",
    "StreamError",
    "UnprocessableEntityError",
    "status_error",
]


class OpenAIError(Exception):
    """The base of every error this library raises on purpose."""


class PluginError(OpenAIError):
    """A plugin failed to load, clashed with another, or was named but does not exist."""


class ReplayError(OpenAIError):
    """A replayed request that no recording matches (``closest`` is the nearest recorded
    request, ``differences`` how it differs, field by field), or a cassette that cannot be
    read or must not be written."""

    def __init__(
        self, message: str, *, closest: Any = None, differences: Optional[list[str]] = None
    ) -> None:
        super().__init__(message)
        self.closest = closest
        self.differences = differences or []


class APIError(OpenAIError):
    """Something the API or the network did; ``message``, ``code`` and ``type`` come from the
    API's error object when there is one."""

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        type: Optional[str] = None,
        body: Any = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.body = body
        self.request_id = request_id
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
    """The API answered with an HTTP status of 400 or more."""

    def __init__(self, message: str, *, status: int, **details: Any) -> None:
        super().__init__(message, **details)
        self.status = status
        # openai-python calls it status_code; both names work.
        self.status_code = status

    def __str__(self) -> str:
        return f"{self.status} {super().__str__()}"


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

    ``received`` holds the events delivered before the failure (``omitted`` says how many of
    the oldest it no longer holds; none, unless the body outgrew the stream's ``keep``
    budget); ``offset`` is the byte offset in the body where the offending data starts, when
    it is known.
    """

    def __init__(
        self, message: str, *, received: Optional[list[Any]] = None, offset: Optional[int] = None
    ) -> None:
        super().__init__(message)
        self.received = list(received or [])
        self.offset = offset


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(status: int, body: Any, request_id: Optional[str]) -> APIStatusError:
    """The typed error for an HTTP status, with the API's message, code and type when the body
    is the API's error object (``{"error": {...}}``)."""
    details = body.get("error") if isinstance(body, dict) else None
    if isinstance(details, dict):
        message = str(details.get("message") or f"HTTP {status}")
        code, kind = _text(details.get("code")), _text(details.get("type"))
    else:
        message = body if isinstance(body, str) and body else f"HTTP {status}"
        code = kind = None
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    return cls(message, status=status, code=code, type=kind, body=body, request_id=request_id)


def _text(value: Any) -> Optional[str]:
    # The API sends some codes as numbers (OpenAI-compatible servers more often).
    return None if value is None else str(value)
