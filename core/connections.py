"""The connections a client shares with the clients derived from it (``with_options``): one
transport, and the proxy it goes through. ``set_proxy`` on any of them replaces the transport
for all; the one replaced is closed once the calls still using it are done, never under them.
"""

from __future__ import annotations

import threading
from typing import Optional

from .errors import APIConnectionError
from .http import Transport

__all__ = ["Connections", "Lease"]


class Connections:
    """The transport in use, the proxy it was built for, and why there is none when the
    environment's proxy cannot be used (``problem``, raised by the calls that would use it).
    Thread-safe."""

    def __init__(
        self, transport: Optional[Transport], proxy: Optional[str], problem: Optional[str] = None
    ) -> None:
        self._lock = threading.Lock()
        self._transport = transport
        self.proxy = proxy
        self.problem = problem
        self._users: dict[int, int] = {}  # calls in flight, by id() of their transport
        self._retired: dict[int, Transport] = {}  # replaced, to close when its calls end

    @property
    def transport(self) -> Optional[Transport]:
        return self._transport

    def lease(self) -> Lease:
        """The transport for one call, held until :meth:`Lease.release`."""
        with self._lock:
            transport = self._transport
            if transport is None:
                raise APIConnectionError(self.problem or "this client has no transport")
            self._users[id(transport)] = self._users.get(id(transport), 0) + 1
        return Lease(self, transport)

    def _release(self, transport: Transport) -> None:
        with self._lock:
            key = id(transport)
            self._users[key] -= 1
            if self._users[key]:
                return
            del self._users[key]
            retired = self._retired.pop(key, None)
        if retired is not None:
            retired.close()

    def switch(self, transport: Transport, proxy: Optional[str]) -> None:
        """Use this transport (built for ``proxy``) from now on, for every client sharing
        these connections; the old one closes now if idle, else when its last call ends."""
        with self._lock:
            old, self._transport = self._transport, transport
            self.proxy, self.problem = proxy, None
            if old is None or old is transport:
                return
            if self._users.get(id(old)):
                self._retired[id(old)] = old
                return
        old.close()

    def close(self) -> None:
        """Close the transport in use (it opens new connections if used again)."""
        if self._transport is not None:
            self._transport.close()


class Lease:
    """One call's hold on a transport."""

    def __init__(self, connections: Connections, transport: Transport) -> None:
        self.transport = transport
        self._connections = connections
        self._lock = threading.Lock()
        self._held = True

    def release(self) -> None:
        """Let the transport go (once; later calls do nothing)."""
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._connections._release(self.transport)
