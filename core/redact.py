"""Keeping secrets out of sight: masks for API keys and proxy passwords, and a Redactor that
scrubs them from any text before it is logged or put in an error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Redactor", "mask_secret", "mask_url"]


def mask_secret(value: str) -> str:
    """``sk-...abcd``: enough to tell keys apart, never enough to use one.
    A ``Bearer`` prefix is kept; a short value is hidden entirely."""
    scheme, _, token = value.rpartition(" ")
    prefix = f"{scheme} " if scheme else ""
    if len(token) < 12:
        return f"{prefix}***"
    return f"{prefix}{token[:3]}...{token[-4:]}"


def mask_url(url: Optional[str]) -> Optional[str]:
    """The URL with the password of its user info replaced by ``***``."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def url_password(url: Optional[str]) -> Optional[str]:
    """The password in a URL's user info, if any (to be redacted wherever it might show)."""
    return urlsplit(url).password if url else None


class Redactor:
    """Replaces every known secret in text (and in the strings of JSON-like data) by its mask."""

    def __init__(self, secrets: Iterable[Optional[str]] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, mask_secret(secret))
        return value

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(item) for item in value]
        return value
