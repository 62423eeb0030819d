"""The connections a client shares with the clients derived from it (`with_options`): one
transport, and the proxy it goes through. `set_proxy` on any of them replaces the transport
for all; the one replaced is closed once the calls still using it are done, never under them.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from .errors import APIConnectionError

__all__ = ["Connections", "Lease", "close_now"]


def close_now(transport: Any) -> None:
    """A blocking transport's retirement: closed there and then."""
    transport.close()


class Connections:
    """The transport in use, the proxy it was built for, and why there is none when the
    environment's proxy cannot be used (`problem`, raised by the calls that would use it).
    Thread-safe; it never blocks on anything but its own lock, so an event loop may use it.

    `retire(transport)` closes a transport that is replaced once its calls are done: the
    blocking client closes it there and then; the async one, whose transports close by being
    awaited, schedules that (see `AsyncOpenAI`)."""

    def __init__(
        self,
        transport: Any,
        proxy: Optional[str],
        problem: Optional[str] = None,
        retire: Callable[[Any], None] = close_now,
    ) -> None:
        self._lock = threading.Lock()
        self._transport = transport
        self.proxy = proxy
        self.problem = problem
        self.retire = retire
        self._users: dict[int, int] = {}  # calls in flight, by id() of their transport
        self._retired: dict[int, Any] = {}  # replaced, to close when its calls end

    @property
    def transport(self) -> Any:
        """The transport in use (a Transport, or an AsyncTransport for the async client)."""
        return self._transport

    def lease(self) -> Lease:
        """The transport for one call, held until `Lease.release()`."""
        with self._lock:
            transport = self._transport
            if transport is None:
                raise APIConnectionError(self.problem or "this client has no transport")
            self._users[id(transport)] = self._users.get(id(transport), 0) + 1
        return Lease(self, transport)

    def _release(self, transport: Any) -> None:
        with self._lock:
            key = id(transport)
            self._users[key] -= 1
            if self._users[key]:
                return
            del self._users[key]
            retired = self._retired.pop(key, None)
        if retired is not None:
            self.retire(retired)

    def switch(self, transport: Any, proxy: Optional[str]) -> None:
        """Use this transport (built for `proxy`) from now on, for every client sharing
        these connections; the old one closes now if idle, else when its last call ends."""
        with self._lock:
            old, self._transport = self._transport, transport
            self.proxy, self.problem = proxy, None
            if old is None or old is transport:
                return
            if self._users.get(id(old)):
                self._retired[id(old)] = old
                return
        self.retire(old)

    def close(self) -> None:
        """Close the transport in use (it opens new connections if used again): the
        blocking client's way; the async client awaits its transport's `aclose`."""
        if self._transport is not None:
            self._transport.close()


class Lease:
    """One call's hold on a transport."""

    def __init__(self, connections: Connections, transport: Any) -> None:
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
