"""openaistream: a streaming-first client for the OpenAI HTTP API, a small core plus plugins.

    import openaistream

    client = openaistream.OpenAI()              # OPENAI_API_KEY from the environment
    with client.chat.create(messages=[{"role": "user", "content": "Hi"}],
                            model="gpt-4o-mini", stream=True) as stream:
        for chunk in stream:
            print(chunk["choices"][0]["delta"].get("content") or "", end="", flush=True)

Importing this package loads no plugin, no HTTP library, no logging library and no asyncio:
plugins load with the first client, urllib3 with the first request, structlog with the first
log line, AsyncOpenAI and AsyncDataStream (and asyncio) when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import OpenAI
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentFilterFinishReasonError,
    InternalServerError,
    InvalidWebhookSignatureError,
    LengthFinishReasonError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    PluginError,
    RateLimitError,
    RedirectError,
    RefusalError,
    ReplayError,
    StreamError,
    UnprocessableEntityError,
)
from .http import (
    AsyncResponse,
    AsyncTransport,
    Request,
    Response,
    Timeout,
    Transport,
    TransportOptions,
)
from .pagination import paginate
from .raw import RawResponse
from .resource import Resource
from .retries import RetryPolicy
from .stream import DataStream

if TYPE_CHECKING:
    from .aclient import AsyncOpenAI
    from .astream import AsyncDataStream
    from .azure import AzureOpenAI
    from .azure_async import AsyncAzureOpenAI
    from .hookspecs import hookimpl
    from .multipart import Multipart
    from .structured import function_tool, response_format, strict_json_schema, text_format

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAzureOpenAI",
    "AsyncDataStream",
    "AsyncOpenAI",
    "AsyncResponse",
    "AsyncTransport",
    "AuthenticationError",
    "AzureOpenAI",
    "BadRequestError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "DataStream",
    "InternalServerError",
    "InvalidWebhookSignatureError",
    "LengthFinishReasonError",
    "Multipart",
    "NotFoundError",
    "OpenAI",
    "OpenAIError",
    "PermissionDeniedError",
    "PluginError",
    "RateLimitError",
    "RawResponse",
    "RedirectError",
    "RefusalError",
    "ReplayError",
    "Request",
    "Resource",
    "Response",
    "RetryPolicy",
    "StreamError",
    "Timeout",
    "Transport",
    "TransportOptions",
    "UnprocessableEntityError",
    "__version__",
    "function_tool",
    "hookimpl",
    "paginate",
    "response_format",
    "strict_json_schema",
    "text_format",
]


# Loaded when first asked for: hookimpl needs pluggy (plugin modules ask for it, plain users
# never do), Multipart needs mimetypes and pathlib (only uploads do), AsyncOpenAI and
# AsyncDataStream are for event loops only (asyncio loads with them), the structured-output
# builders for parse only.
_LAZY = {
    "hookimpl": "hookspecs",
    "Multipart": "multipart",
    "AsyncDataStream": "astream",
    "AsyncOpenAI": "aclient",
    "AzureOpenAI": "azure",
    "AsyncAzureOpenAI": "azure_async",
    "function_tool": "structured",
    "response_format": "structured",
    "strict_json_schema": "structured",
    "text_format": "structured",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'openaistream' has no attribute {name!r}")
