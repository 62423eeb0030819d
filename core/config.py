"""Client configuration: arguments first, then the environment, then the defaults; every
value checked before any network, with an error that names the argument (or the environment
variable) and never shows a value that may be a secret.

Values that go into headers (the key, organization, project, any header a caller or a hook
sets) lose surrounding whitespace (a key read from a file ends in a newline); any other
control character, or one that HTTP headers cannot carry (outside Latin-1), is refused.

An environment proxy that cannot be used does not stop a client from being built: the call
that would use it fails, naming the variable (see `ClientConfig.proxy_problem`). The proxy
schemes there are come from the transports (what they declare); the configuration only
checks a proxy against them. A `socks://` proxy (what desktop environments set) means
`socks5h://`: SOCKS5, with the proxy resolving host names.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union, cast
from urllib.parse import urlsplit, urlunsplit

from ._version import __version__
from .errors import OpenAIError
from .http import Timeout
from .redact import Redactor, mask_secret, mask_url, mask_userinfo, url_password

__all__ = [
    "DEFAULT_BASE_URL",
    "NO_API_KEY",
    "ApiKey",
    "ClientConfig",
    "KeyProvider",
    "api_url",
    "check_verbosity",
    "checked_headers",
    "header_text",
    "merge_headers",
    "proxy_url",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_API_KEY = (
    "No API key: pass api_key=... to the client or set the OPENAI_API_KEY environment variable."
)
# Schemes read as another: socks:// is what GNOME and KDE put in ALL_PROXY.
PROXY_ALIASES = {"socks": "socks5h"}
# A header name (an HTTP token), and what a header value cannot carry: control characters
# (C0, DEL, C1) and anything outside Latin-1. Regular expressions: every request checks its
# headers, and a loop over each character cost more than the rest of building it.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NOT_HEADER_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f]|[^\x00-\xff]")

# A function that gives the key for each attempt (a rotating key, a token from an identity
# provider): plain, or on the async client a coroutine function.
KeyProvider = Callable[[], Union[str, Awaitable[str]]]
ApiKey = Union[str, KeyProvider]


@dataclass
class ClientConfig:
    """Everything a client needs to build requests. Use `resolve()` to make one."""

    api_key: str
    base_url: str = DEFAULT_BASE_URL
    organization: Optional[str] = None
    project: Optional[str] = None
    proxy: Optional[str] = None
    ca_bundle: Optional[str] = None
    timeout: Timeout = field(default_factory=Timeout)
    verbosity: int = 0
    # Why the environment's proxy cannot be used, naming the variable; the calls that would
    # go through it fail with this (the client is still built: it may never call out).
    proxy_problem: Optional[str] = None
    proxy_source: str = "proxy"  # where the proxy came from, for errors
    # Sent with every request, after the client's own headers (a gateway's header); in the
    # query string of every request, after the base URL's query.
    default_headers: dict[str, str] = field(default_factory=dict)
    default_query: dict[str, Any] = field(default_factory=dict)
    # Called for every attempt in place of a fixed api_key (see KeyProvider).
    key_provider: Optional[KeyProvider] = None
    # The secret webhooks.verify_signature checks signatures with (else OPENAI_WEBHOOK_SECRET).
    webhook_secret: Optional[str] = None
    # How the key is sent: "Authorization: Bearer <key>" for OpenAI; Azure sends "api-key".
    key_header: str = "Authorization"
    key_prefix: str = "Bearer "

    @classmethod
    def resolve(
        cls,
        api_key: Optional[ApiKey] = None,
        *,
        base_url: Optional[str] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[str] = None,
        timeout: Union[Timeout, float, None] = None,
        verbosity: int = 0,
        default_headers: Optional[Mapping[str, Any]] = None,
        default_query: Optional[Mapping[str, Any]] = None,
        webhook_secret: Optional[str] = None,
        environ: Mapping[str, str] = os.environ,
        key_required: bool = True,
        proxy_schemes: Collection[str],
    ) -> ClientConfig:
        """The configuration from the arguments, with the environment for what is not given.
        `api_key` may be a function called for every attempt (`KeyProvider`).
        `key_required=False` (a client given a cassette, which may send nothing) lets the
        key be missing: then no Authorization header is sent. `proxy_schemes`: the schemes
        the client's transports take (as they declared them)."""
        provider = checked_key_provider(api_key)
        given = None if provider else cast(Optional[str], api_key)
        key = "" if provider else _setting("api_key", given, "OPENAI_API_KEY", environ) or ""
        if not key and not provider and key_required:
            raise OpenAIError(NO_API_KEY)
        url = base_url_of(
            *_labelled("base_url", base_url, "OPENAI_BASE_URL", environ, DEFAULT_BASE_URL)
        )
        problem, source = None, "proxy"
        if proxy is not None:
            chosen = proxy_url(proxy, "proxy", proxy_schemes)
        else:
            chosen, problem, source = _environment_proxy(url, environ, proxy_schemes)
        return cls(
            api_key=key,
            base_url=url,
            organization=_setting("organization", organization, "OPENAI_ORG_ID", environ),
            project=_setting("project", project, "OPENAI_PROJECT_ID", environ),
            proxy=chosen,
            ca_bundle=_ca_bundle(ca_bundle),
            timeout=Timeout.of(timeout),
            verbosity=check_verbosity(verbosity),
            proxy_problem=problem,
            proxy_source=source,
            default_headers=default_headers_of(default_headers),
            default_query=default_query_of(default_query),
            key_provider=provider,
            webhook_secret=header_text("webhook_secret", _text("webhook_secret", webhook_secret)),
        )

    def headers(self) -> dict[str, str]:
        """The headers every request carries (the key's when it is fixed: a provider's is
        set for each attempt), then the default headers (a None value removes a header)."""
        headers = {"User-Agent": f"openaistream/{__version__}"}
        if self.api_key:
            headers[self.key_header] = self.key_prefix + self.api_key
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        if self.default_headers:
            merge_headers(headers, self.default_headers)
        return headers

    def redactor(self) -> Redactor:
        """Scrubs this configuration's secrets (the key, the proxy password) from text."""
        return Redactor([self.api_key, url_password(self.proxy), self.webhook_secret])

    def shown_key(self) -> str:
        """The key as it may be shown: masked, or where it comes from."""
        if self.key_provider is not None:
            return "<from a key provider>"
        return mask_secret(self.api_key) if self.api_key else ""

    def __repr__(self) -> str:
        return (
            f"ClientConfig(api_key={self.shown_key()!r}, base_url={self.base_url!r}, "
            f"organization={self.organization!r}, project={self.project!r}, "
            f"proxy={mask_url(self.proxy)!r}, ca_bundle={self.ca_bundle!r}, "
            f"timeout={self.timeout!r}, "
            f"verbosity={self.verbosity})"
        )


def checked_key_provider(api_key: object) -> Optional[KeyProvider]:
    """`api_key` when it is a function that gives keys; None when it is a key (or None)."""
    if api_key is None or isinstance(api_key, str) or not callable(api_key):
        return None
    return api_key  # type: ignore[return-value]


def default_headers_of(headers: Optional[Mapping[str, Any]]) -> dict[str, str]:
    """`default_headers` checked as every header is (a None value is kept: it removes
    that header from what is sent)."""
    if headers is None:
        return {}
    return checked_headers(headers, "default_headers", removable=True)


def default_query_of(query: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    if query is None:
        return {}
    if not isinstance(query, Mapping) or not all(isinstance(name, str) for name in query):
        raise TypeError("default_query must be a dict of parameter names to values")
    return dict(query)


def _text(name: str, value: object) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a string, not {type(value).__name__}")


def _setting(
    name: str, value: Optional[str], variable: str, environ: Mapping[str, str]
) -> Optional[str]:
    """An argument, else its environment variable; checked as header text, None when unset
    or blank."""
    return _labelled(name, value, variable, environ, None)[0]


def _labelled(
    name: str, value: Optional[str], variable: str, environ: Mapping[str, str], default: Any
) -> tuple[Any, str]:
    """(an argument, else its environment variable, else the default; where it came from)."""
    given = header_text(name, _text(name, value))
    if given:
        return given, name
    label = f"the {variable} environment variable"
    return header_text(label, environ.get(variable)) or default, label


def header_text(name: str, value: object) -> Optional[str]:
    """A value that goes into a header (or a URL), without its surrounding whitespace.
    `name` says where it came from; the value itself is never shown (it may be a key)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    value = value.strip()
    found = _NOT_HEADER_TEXT.search(value)
    if found is None:
        return value
    position = found.start()
    if ord(found.group()) <= 0xFF:
        raise ValueError(
            f"{name} holds a control character (at position {position}); the value is not shown"
        )
    raise ValueError(
        f"{name} holds a character HTTP headers cannot carry (at position "
        f"{position}, not Latin-1): is it pasted from a document? The value is not shown"
    )


def checked_headers(
    headers: Mapping[str, object], where: str, *, removable: bool = False
) -> dict[str, Any]:
    """Headers as they can be sent: names that are HTTP tokens, values checked as
    `header_text()` (an error names the header and `where` it was set). With
    `removable`, a None value stays None: it says "send no such header"."""
    if not isinstance(headers, Mapping):
        raise TypeError(f"{where} must be a dict of header names to values")
    checked: dict[str, Any] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(f"{where}: {name!r} is not a valid header name")
        if value is None and removable:
            checked[name] = None
            continue
        checked[name] = header_text(f"{where}: the value of {name!r}", value) or ""
    return checked


def merge_headers(headers: dict[str, str], extra: Mapping[str, Optional[str]]) -> None:
    """Add `extra` to `headers`, each name replacing the same name in any case (HTTP
    header names are case-insensitive); a None value removes the header."""
    for name, value in extra.items():
        lowered = name.lower()
        for old in [old for old in headers if old.lower() == lowered]:
            del headers[old]
        if value is not None:
            headers[name] = value


def base_url_of(url: str, name: str = "base_url") -> str:
    """The base URL without a trailing slash before its query (kept: gateways read
    `?api-version=...` on every call), once it is known to be an http(s) URL with no
    user info."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{name} is not a valid URL ({exc}): {mask_userinfo(url)!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{name} must be an http:// or https:// URL with a host, not {mask_userinfo(url)!r}"
        )
    if "@" in parts.netloc:
        raise ValueError(
            f"{name} must not hold a user name or password ({parts.scheme}://***@"
            f"{parts.netloc.rpartition('@')[2]}...): they are never used to authenticate; "
            "pass the key as api_key"
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def api_url(base_url: str, path: str, query: str = "") -> str:
    """The URL of `path` under the base URL: the path before the base URL's query, then the
    path's own query, then `query` (the call's parameters)."""
    base, _, base_query = base_url.partition("?")
    path, _, path_query = path.partition("?")
    queries = [part for part in (base_query, path_query, query) if part]
    return base + path + ("?" + "&".join(queries) if queries else "")


def proxy_url(
    url: Optional[str], name: str = "proxy", schemes: Optional[Collection[str]] = None
) -> Optional[str]:
    """A proxy URL checked for its scheme (one of `schemes`, when given), host and port
    (`socks://` read as `socks5h://`); None means no proxy. `name` is where it came
    from, for errors."""
    if url is None:
        return None
    url = header_text(name, url) or ""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in PROXY_ALIASES:
        url = f"{PROXY_ALIASES[scheme.lower()]}://{rest}"
    shown = mask_userinfo(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{name} is not a valid URL ({exc}): {shown!r}") from None
    if schemes is not None and parts.scheme not in schemes:
        aliases = [alias for alias, scheme in PROXY_ALIASES.items() if scheme in schemes]
        listed = ", ".join(s + "://" for s in (*sorted(schemes), *aliases)) or "none"
        raise ValueError(
            f"{name} must start with one of {listed} (the schemes the transports take); "
            f"got {shown!r}"
        )
    if not parts.hostname or port is None:
        raise ValueError(
            f"{name} must name a host and a port, as in http://host:8080; got {shown!r}"
        )
    return url


def _environment_proxy(
    base_url: str, environ: Mapping[str, str], schemes: Collection[str]
) -> tuple[Optional[str], Optional[str], str]:
    """(the environment's proxy for `base_url`, checked, or None; why it cannot be used, or
    None; the variable it came from, as errors name it)."""
    found = environment_proxy_variable(base_url, environ)
    if found is None:
        return None, None, "proxy"
    source = f"the {found[0]} environment variable"
    try:
        return proxy_url(found[1], source, schemes), None, source
    except (TypeError, ValueError) as exc:
        return None, str(exc), source


def environment_proxy(base_url: str, environ: Mapping[str, str]) -> Optional[str]:
    """The proxy the environment sets for `base_url`: `HTTPS_PROXY` (or `HTTP_PROXY`
    for an http:// base URL), else `ALL_PROXY`; none when `NO_PROXY` covers its host.
    Lower-case names win over upper-case ones, as in curl."""

    found = environment_proxy_variable(base_url, environ)
    return None if found is None else found[1]


def environment_proxy_variable(
    base_url: str, environ: Mapping[str, str]
) -> Optional[tuple[str, str]]:
    """(the variable's name, its value) for `environment_proxy()`."""

    def variable(name: str) -> Optional[tuple[str, str]]:
        for spelled in (name.lower(), name.upper()):
            if environ.get(spelled):
                return spelled, environ[spelled]
        return None

    parts = urlsplit(base_url)
    found = variable(f"{parts.scheme}_proxy") or variable("all_proxy")
    no_proxy = variable("no_proxy")
    if found and _bypassed(parts.hostname or "", parts.port, no_proxy[1] if no_proxy else ""):
        return None
    return found


def _bypassed(host: str, port: Optional[int], no_proxy: str) -> bool:
    """Whether NO_PROXY (hosts, domain suffixes, `host:port`, or `*`) covers the host."""
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and port is not None and entry_port != str(port):
            continue
        name = name.lstrip(".")
        if host.lower() == name or host.lower().endswith("." + name):
            return True
    return False


def _ca_bundle(path: Optional[str]) -> Optional[str]:
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"ca_bundle must be a path to a PEM file, not {type(path).__name__}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ca_bundle: no such file: {str(path)!r}")
    return os.fspath(path)


def proxy_from_address(ip: str, port: Union[int, str]) -> str:
    """The HTTP proxy URL for the R-style `set_proxy(ip, port)`."""
    if not isinstance(ip, str) or not ip.strip():
        raise ValueError(f"proxy_ip must be a host name or address, not {ip!r}")
    text = str(port)
    if isinstance(port, bool) or not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"proxy_port must be a port number from 1 to 65535, not {port!r}")
    host = f"[{ip}]" if ":" in ip and not ip.startswith("[") else ip
    return f"http://{host}:{int(text)}"


def check_verbosity(verbosity: object) -> int:
    if isinstance(verbosity, bool) or not isinstance(verbosity, int) or not 0 <= verbosity <= 3:
        raise ValueError(f"verbosity must be 0, 1, 2 or 3, not {verbosity!r}")
    return verbosity
