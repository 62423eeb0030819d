"""Client configuration: arguments first, then the environment, then the defaults; every
value checked before any network, with an error that names the argument."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional, Union
from urllib.parse import urlsplit

from ._version import __version__
from .errors import OpenAIError
from .http import Timeout
from .redact import Redactor, mask_secret, mask_url, url_password

__all__ = ["DEFAULT_BASE_URL", "ClientConfig", "check_verbosity", "proxy_url"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


@dataclass
class ClientConfig:
    """Everything a client needs to build requests. Use :meth:`resolve` to make one."""

    api_key: str
    base_url: str = DEFAULT_BASE_URL
    organization: Optional[str] = None
    project: Optional[str] = None
    proxy: Optional[str] = None
    ca_bundle: Optional[str] = None
    timeout: Timeout = field(default_factory=Timeout)
    verbosity: int = 0

    @classmethod
    def resolve(
        cls,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[str] = None,
        timeout: Union[Timeout, float, None] = None,
        verbosity: int = 0,
        environ: Mapping[str, str] = os.environ,
        key_required: bool = True,
    ) -> ClientConfig:
        """The configuration from the arguments, with the environment for what is not given.
        ``key_required=False`` (a client replaying a cassette sends nothing) lets the key be
        missing: then no Authorization header is sent."""
        key = _text("api_key", api_key) or environ.get("OPENAI_API_KEY") or ""
        if not key and key_required:
            raise OpenAIError(
                "No API key: pass api_key=... to the client or set the OPENAI_API_KEY "
                "environment variable."
            )
        url = base_url_of(
            _text("base_url", base_url) or environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        )
        return cls(
            api_key=key,
            base_url=url,
            organization=_text("organization", organization) or environ.get("OPENAI_ORG_ID"),
            project=_text("project", project) or environ.get("OPENAI_PROJECT_ID"),
            proxy=proxy_url(proxy if proxy is not None else environment_proxy(url, environ)),
            ca_bundle=_ca_bundle(ca_bundle),
            timeout=Timeout.of(timeout),
            verbosity=check_verbosity(verbosity),
        )

    def headers(self) -> dict[str, str]:
        """The headers every request carries."""
        headers = {"User-Agent": f"openaistream/{__version__}"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers

    def redactor(self) -> Redactor:
        """Scrubs this configuration's secrets (the key, the proxy password) from text."""
        return Redactor([self.api_key, url_password(self.proxy)])

    def __repr__(self) -> str:
        return (
            f"ClientConfig(api_key={mask_secret(self.api_key)!r}, base_url={self.base_url!r}, "
            f"organization={self.organization!r}, project={self.project!r}, "
            f"proxy={mask_url(self.proxy)!r}, ca_bundle={self.ca_bundle!r}, "
            f"timeout={self.timeout!r}, "
            f"verbosity={self.verbosity})"
        )


def _text(name: str, value: object) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a string, not {type(value).__name__}")


def base_url_of(url: str) -> str:
    """The base URL without a trailing slash, once it is known to be an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http:// or https:// URL with a host, not {url!r}")
    return url.rstrip("/")


def proxy_url(url: Optional[str]) -> Optional[str]:
    """A proxy URL checked for its scheme, host and port; None means no proxy."""
    if url is None:
        return None
    _text("proxy", url)
    shown = mask_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"proxy is not a valid URL ({exc}): {shown!r}") from None
    if parts.scheme not in PROXY_SCHEMES:
        raise ValueError(
            f"proxy must start with one of {', '.join(s + '://' for s in PROXY_SCHEMES)}; "
            f"got {shown!r}"
        )
    if not parts.hostname or port is None:
        raise ValueError(
            f"proxy must name a host and a port, as in http://host:8080; got {shown!r}"
        )
    return url


def environment_proxy(base_url: str, environ: Mapping[str, str]) -> Optional[str]:
    """The proxy the environment sets for ``base_url``: ``HTTPS_PROXY`` (or ``HTTP_PROXY``
    for an http:// base URL), else ``ALL_PROXY``; none when ``NO_PROXY`` covers its host.
    Lower-case names win over upper-case ones, as in curl."""

    def variable(name: str) -> Optional[str]:
        return environ.get(name.lower()) or environ.get(name.upper()) or None

    parts = urlsplit(base_url)
    proxy = variable(f"{parts.scheme}_proxy") or variable("all_proxy")
    if proxy and _bypassed(parts.hostname or "", parts.port, variable("no_proxy") or ""):
        return None
    return proxy


def _bypassed(host: str, port: Optional[int], no_proxy: str) -> bool:
    """Whether NO_PROXY (hosts, domain suffixes, ``host:port``, or ``*``) covers the host."""
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
    """The HTTP proxy URL for the R-style ``set_proxy(ip, port)``."""
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
