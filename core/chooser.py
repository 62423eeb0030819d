"""Choosing a client's transport, in one place: from what the transports declared when they
registered (`openaistream.registry.TransportDeclaration`), never from the transports
themselves.

- The transport is the one named (`transport="socks"`), or the one that plays cassettes
  when a cassette is given, or the default; or an object the caller built.
- With a proxy, a transport that declares the proxy's scheme: the default gives way to one
  that does (a `socks5h://` proxy picks `socks`); a named one that does not is an error.
- A transport that wraps another (the replay transport records through it) is handed the
  network transport as a `openaistream.http.Network`: a factory and its options,
  values only, so nothing below the client calls back into it.

One chooser serves one client and those derived from it (`with_options`); it serves one kind
of client (`serves`), so the asynchronous client chooses among the asynchronous transports
with the same rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Union
from urllib.parse import urlsplit

from .config import NO_API_KEY
from .connections import Connections, close_now
from .http import AsyncTransport, Network, Transport, TransportOptions

if TYPE_CHECKING:
    from .config import ClientConfig
    from .registry import Registry, TransportDeclaration

__all__ = ["DEFAULT_TRANSPORT", "TransportChooser"]

DEFAULT_TRANSPORT = "urllib3"


class TransportChooser:
    """The transport of one client: `name` (the one named or the one a cassette needs, or
    None for the default, which gives way to the one a proxy needs) or `given` (an object
    the caller built). Arguments are checked when it is made: an unknown name, a cassette
    with a transport that plays none, an object that is not a transport of the kind the
    client needs (`serves`)."""

    def __init__(
        self,
        registry: Registry,
        transport: Union[str, Transport, AsyncTransport, None],
        *,
        cassette: Optional[str] = None,
        record_mode: Optional[str] = None,
        serves: str = "sync",
        default: str = DEFAULT_TRANSPORT,
    ) -> None:
        self._registry = registry
        self._cassette = cassette
        self._record_mode = record_mode
        self._serves = serves
        self._default = default
        self.name, self.given = self._choose(transport)

    def _choose(self, transport: Any) -> tuple[Optional[str], Any]:
        if transport is None and self._cassette is not None:
            return self._registry.cassette_transport(self._serves).name, None
        if transport is None:
            self._registry.transport(self._default, self._serves)  # blocked: fail now
            return None, None
        if isinstance(transport, str):
            declared = self._registry.transport(transport, self._serves)  # unknown: fail now
            if self._cassette is not None and not declared.cassettes:
                raise ValueError(f"cassette is given, but transport {transport!r} plays none")
            return transport, None
        if self._serves == "async" and not isinstance(transport, AsyncTransport):
            raise TypeError(
                "transport must be a transport name or an object with async send() and "
                f"aclose(), not {type(transport).__name__}"
            )
        if self._serves != "async" and not isinstance(transport, Transport):
            raise TypeError(
                "transport must be a transport name or an object with send() and close(), "
                f"not {type(transport).__name__}"
            )
        if self._cassette is not None:
            raise ValueError("cassette is given with a transport object, which plays none")
        return None, transport

    def connect(
        self, config: ClientConfig, retire: Callable[[Any], None] = close_now
    ) -> Connections:
        """The connections, built now so that a bad option fails here (transports defer their
        heavy imports). A proxy from the environment that cannot be used fails the calls
        that would use it, not the building of the client; any other error is raised now.
        `retire` closes a transport that `set_proxy` replaced (see Connections)."""
        if self.given is not None:
            return Connections(self.given, None, retire=retire)
        if config.proxy_problem is not None and self._cassette is None:
            return Connections(None, None, config.proxy_problem, retire=retire)
        try:
            declared = self._for_proxy(config.proxy)
        except ValueError as exc:
            if config.proxy_source == "proxy" or config.proxy is None:
                raise
            return Connections(None, None, f"{config.proxy_source}: {exc}", retire=retire)
        built = self._built(declared, config.proxy, config)
        return Connections(built, config.proxy, retire=retire)

    def build(self, proxy: Optional[str], config: ClientConfig) -> Any:
        """A new transport for this proxy (`set_proxy`)."""
        return self._built(self._for_proxy(proxy), proxy, config)

    def _for_proxy(self, proxy: Optional[str]) -> TransportDeclaration:
        """The transport to build for the proxy in use: the one named, or the default unless
        it does not declare the proxy's scheme. A transport that wraps takes what the network
        transport beneath it takes."""
        name = self.name or self._default
        declared = self._registry.transport(name, self._serves)
        if not proxy:
            return declared
        scheme = urlsplit(proxy).scheme
        if declared.wraps:
            self._registry.network_transport(self._serves, self._default, scheme)
            return declared
        chosen = self._registry.network_transport(self._serves, name, scheme)
        if self.name and chosen.name != self.name:
            raise ValueError(
                f"transport {name!r} does not take {scheme}:// proxies; "
                f"transport {chosen.name!r} does"
            )
        return chosen

    def _built(
        self, declared: TransportDeclaration, proxy: Optional[str], config: ClientConfig
    ) -> Any:
        network = self._network(proxy, config) if declared.wraps else None
        return declared.factory(
            TransportOptions(
                proxy=proxy,
                timeout=config.timeout,
                ca_bundle=config.ca_bundle,
                cassette=self._cassette,
                record_mode=self._record_mode,
                network=network,
            )
        )

    def _network(self, proxy: Optional[str], config: ClientConfig) -> Network:
        """The network transport a wrapping one sends through: the default, or the one the
        proxy's scheme needs. Without a proxy because the environment's cannot be used, it
        cannot be built: the calls that would send through it fail, saying why."""
        scheme = urlsplit(proxy).scheme if proxy else None
        declared = self._registry.network_transport(self._serves, self._default, scheme)
        options = TransportOptions(proxy=proxy, timeout=config.timeout, ca_bundle=config.ca_bundle)
        return Network(
            declared.factory,
            options,
            unusable=config.proxy_problem if proxy is None else None,
            keyless=None if config.api_key else NO_API_KEY,
        )
