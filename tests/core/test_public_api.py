"""The public names of ``openaistream``: exactly these, each importable and each documented in
docs/, so that adding or removing one is a deliberate act (change the list here, and the docs).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

import openaistream

DOCS = Path(__file__).resolve().parents[2] / "docs"

PUBLIC = [
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


def code_in_docs() -> str:
    """The code of docs/: inline code spans and fenced blocks, where a name is documented
    (a word in prose, such as "Timeout", is not)."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        fences = re.findall(r"(?ms)^```[^\n]*\n(.*?)^```", text)
        found += fences
        found += re.findall(r"`([^`\n]+)`", re.sub(r"(?ms)^```.*?^```", "", text))
    return "\n".join(found)


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(openaistream.__all__) == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_each_public_name_imports(name: str) -> None:
    # In a fresh interpreter: the lazy ones (hookimpl, Multipart) included.
    done = subprocess.run(
        [sys.executable, "-c", f"from openaistream import {name}; print({name} is not None)"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize("name", PUBLIC)
def test_each_public_name_is_documented(name: str) -> None:
    assert re.search(rf"(?<![\w.])(openaistream\.)?{re.escape(name)}\b", code_in_docs()), (
        f"openaistream.{name} is public but no page of docs/ shows it in code"
    )


def test_a_request_has_the_fields_a_transport_reads() -> None:
    # ``stream`` is gone: no transport read it (every body is read as it arrives).
    fields = [field.name for field in dataclasses.fields(openaistream.Request)]
    assert fields == ["method", "url", "headers", "body", "timeout", "deadline"]
    with pytest.raises(TypeError, match="stream"):
        openaistream.Request("GET", "http://127.0.0.1:9/v1/models", stream=True)  # type: ignore[call-arg]
