"""Shared fixtures: a clean environment for every test, a client pointed at a local server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import structlog
from pytest_httpserver import HTTPServer

import openaistream
from openaistream.registry import reset_registry

pytest_plugins = ["pytester"]

API_KEY = "sk-test-a1b2c3d4e5f6g7h8i9j0SECRET"
BUILTIN_RESOURCES = [
    "assistants", "audio", "batches", "chat", "embeddings", "files", "fine_tuning", "images",
    "messages", "models", "moderations", "responses", "runs", "threads",
]  # fmt: skip
BUILTIN_TRANSPORTS = ["replay", "socks", "urllib3"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's key, base URL or plugin settings, and plugins are
    loaded afresh for every test that changes them."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "OPENAISTREAM_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    yield
    reset_registry()
    # The CLI configures structlog for its run; no test inherits that.
    structlog.reset_defaults()


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[openaistream.OpenAI]:
    with openaistream.OpenAI(
        api_key=API_KEY, base_url=httpserver.url_for("/v1"), max_retries=0
    ) as c:
        yield c
