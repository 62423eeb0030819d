"""Keeping secrets out of sight: masks for API keys and proxy passwords, and a Redactor that
scrubs them from any text before it is logged or put in an error."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = ["Redactor", "mask_query", "mask_secret", "mask_url", "mask_userinfo"]

# Query parameters that carry credentials (Azure's api-key and SAS signature, Google's key,
# OAuth tokens): masked in logs and errors, never written to a cassette.
SECRET_PARAMS = frozenset({"api-key", "api_key", "apikey", "key", "access_token", "token", "sig"})


def mask_secret(value: str) -> str:
    """`sk-...abcd`: enough to tell keys apart, never enough to use one.
    An auth scheme (`Bearer`) is kept; a short value is hidden entirely."""
    scheme, _, token = value.rpartition(" ")
    if not scheme.isalpha():  # not "Bearer <token>": a cookie, or text with spaces
        scheme, token = "", value
    prefix = f"{scheme} " if scheme else ""
    if len(token) < 12:
        return f"{prefix}***"
    return f"{prefix}{token[:3]}...{token[-4:]}"


def mask_url(url: Optional[str]) -> Optional[str]:
    """The URL with the password of its user info replaced by `***`."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def mask_userinfo(text: str) -> str:
    """Any `user:password@` in a URL-like text replaced by `***@`, whether the text parses
    as a URL or not (to show a proxy value that was refused)."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    if "@" not in rest:
        return text
    return f"{scheme}{sep}***@{rest.rpartition('@')[2]}"


def mask_query(url: str) -> str:
    """The URL with the values of credential parameters (`api-key=...`) replaced by `***`."""
    base, sep, query = url.partition("?")
    if not sep:
        return url
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + fragment
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        pairs.append(f"{name}=***" if equals and name.lower() in SECRET_PARAMS else pair)
    return f"{base}?{'&'.join(pairs)}{fragment}"


def request_secrets(
    url: str, headers: Mapping[str, str], secret_headers: Iterable[str]
) -> list[str]:
    """The secrets one request carries: its secret headers' values (and their tokens, without
    a `Bearer` prefix) and its credential query parameters."""
    found: list[str] = []
    names = {name.lower() for name in secret_headers}
    for name, value in headers.items():
        if name.lower() in names and isinstance(value, str):
            found += [value, value.rpartition(" ")[2]]
    query = urlsplit(url).query
    found += [value for name, value in parse_qsl(query) if name.lower() in SECRET_PARAMS]
    return [secret for secret in found if len(secret) >= 4]


def url_password(url: Optional[str]) -> Optional[str]:
    """The password in a URL's user info, if any (to be redacted wherever it might show)."""
    return urlsplit(url).password if url else None


class Redactor:
    """Replaces every known secret in text (and in the strings of JSON-like data) by its mask."""

    def __init__(self, secrets: Iterable[Optional[str]] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """A redactor that also scrubs these."""
        return Redactor([*self._secrets, *secrets])

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, mask_secret(secret))
        return value

    def finds(self, value: str) -> bool:
        """Whether the text holds a secret."""
        return any(secret in value for secret in self._secrets)

    def exception(self, exc: BaseException) -> BaseException:
        """The exception, safe to let out: every secret masked in its args and notes and in
        those of the exceptions it chains (`__cause__`, `__context__`). A chained
        exception that still shows a secret (one that keeps the text in an attribute of its
        own) is cut from the chain; one raised, replaced by an exception that says so."""
        chain: list[BaseException] = []
        link: Optional[BaseException] = exc
        while link is not None and link not in chain and len(chain) < 32:
            chain.append(link)
            link = link.__cause__ or link.__context__
        for position, link in enumerate(chain):
            self._scrub(link)
            if self._shows(link):
                if position == 0:
                    return self._stand_in(exc)
                cut = chain[position - 1]
                cut.__cause__ = cut.__context__ = None
                cut.__suppress_context__ = True
                break
        return exc

    def _scrub(self, exc: BaseException) -> None:
        if isinstance(exc, Exception) and hasattr(exc, "message") and isinstance(exc.message, str):
            exc.message = self.text(exc.message)
        if hasattr(exc, "body"):
            # A read-only attribute of another library's exception stays as it is.
            with contextlib.suppress(AttributeError):
                exc.body = self.data(exc.body)
        with contextlib.suppress(AttributeError, TypeError):
            exc.args = tuple(self._scrubbed_arg(arg) for arg in exc.args)
        notes = getattr(exc, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [self.text(note) if isinstance(note, str) else note for note in notes]

    def _scrubbed_arg(self, arg: Any) -> Any:
        if isinstance(arg, str):
            return self.text(arg)
        if isinstance(arg, (bytes, bytearray)):
            text = bytes(arg).decode("latin-1")
            return self.text(text).encode("latin-1") if self.finds(text) else arg
        if isinstance(arg, (int, float, bool)) or arg is None:
            return arg
        return self.text(repr(arg)) if self.finds(repr(arg)) else arg

    def _shows(self, exc: BaseException) -> bool:
        try:
            shown = [str(exc), repr(exc), *map(str, getattr(exc, "__notes__", None) or [])]
            held = getattr(exc, "object", None)  # a UnicodeError keeps the whole text here
            if isinstance(held, (str, bytes)):
                shown.append(held if isinstance(held, str) else held.decode("latin-1"))
        except Exception:  # an exception that cannot even show itself shows nothing
            return False
        return any(self.finds(text) for text in shown)

    def _stand_in(self, exc: BaseException) -> BaseException:
        from .errors import APIConnectionError

        error = APIConnectionError(
            f"the transport raised {type(exc).__name__}, whose text held a secret: not shown"
        )
        error.__suppress_context__ = True
        return error

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(item) for item in value]
        return value
