"""The SOCKS transport: the urllib3 transport over a SOCKS proxy, through PySocks and
`urllib3.contrib.socks`. socks4, socks4a, socks5 and socks5h (the proxy resolves host
names), with a user and password from the proxy URL.

The core picks it for a `socks*://` proxy; `OpenAI(transport="socks")` names it.
PySocks loads when the first SOCKS connection pool is built, not before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import openaistream
from openaistream import APIConnectionError, APITimeoutError, TransportOptions
from openaistream.transports.urllib3 import Urllib3Transport, pool_options, without_userinfo

if TYPE_CHECKING:
    import urllib3

__all__ = ["SocksTransport"]


class SocksTransport(Urllib3Transport):
    """Sends requests through a SOCKS proxy; streaming, pooling and errors as urllib3's."""

    proxy_schemes = ("socks4", "socks4a", "socks5", "socks5h")

    def _manager(self, urllib3: Any, options: TransportOptions) -> urllib3.PoolManager:
        proxy = urlsplit(options.proxy or "")
        if proxy.scheme not in self.proxy_schemes:
            raise ValueError(
                "the socks transport needs a socks4://, socks4a://, socks5:// or socks5h:// proxy"
            )
        try:
            from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError as exc:  # pragma: no cover - PySocks is a dependency
            raise ImportError("SOCKS proxies need PySocks: pip install pysocks") from exc
        return SOCKSProxyManager(
            without_userinfo(options.proxy or ""),
            username=unquote(proxy.username) if proxy.username is not None else None,
            password=unquote(proxy.password) if proxy.password is not None else None,
            **pool_options(options),
        )

    def _error(self, exc: Exception, url: str) -> APIConnectionError:
        """Say which side failed: the proxy itself, its handshake, or the way beyond it."""
        import socks  # PySocks: loaded by urllib3.contrib.socks already
        from urllib3 import exceptions

        proxy = urlsplit(self.options.proxy or "")
        where = f"the SOCKS proxy at {proxy.hostname}:{proxy.port}"
        if not isinstance(exc, exceptions.NewConnectionError):
            if isinstance(exc, exceptions.ConnectTimeoutError):
                return APITimeoutError(f"connecting through {where} timed out")
            return super()._error(exc, url)
        cause = exc.__cause__ or exc.__context__  # urllib3 chains some of them implicitly
        reason = str(getattr(cause, "msg", None) or cause or exc)
        if isinstance(cause, socks.ProxyConnectionError):
            return APIConnectionError(f"{where} refused the connection: {cause.socket_err}")
        if isinstance(cause, socks.SOCKS5AuthError) or "closed unexpectedly" in reason:
            # PySocks reports a proper refusal as SOCKS5AuthError; some proxies just hang up.
            user = f" for user {unquote(proxy.username)!r}" if proxy.username else ""
            return APIConnectionError(
                f"{where} ended the handshake: it refused the credentials{user}, or wants "
                f"some ({reason})"
            )
        return APIConnectionError(f"could not reach {_target(url)} through {where}: {reason}")


def _target(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2]


@openaistream.hookimpl
def register_transports(register: Any) -> None:
    register("socks", SocksTransport, serves="sync", proxy_schemes=SocksTransport.proxy_schemes)
