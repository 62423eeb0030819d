"""openaistream-vector-stores: an example third-party plugin.

One module is the plugin (the entry point names it); it implements three hooks, each in a
module of its own idea: the resource, the command group and the transport.
"""

from __future__ import annotations

from typing import Any, Callable

import openaistream

from .resource import VectorStores
from .traced import TracedTransport

__all__ = ["TracedTransport", "VectorStores"]


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("vector_stores", VectorStores)


@openaistream.hookimpl
def register_transports(register: Any) -> None:
    # Declared: it serves the blocking client, and wraps the network transport (which takes
    # the proxy, so the traced one works with any proxy the client has).
    register("traced", TracedTransport, serves="sync", wraps=True)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    # click is imported only when the command line starts, never by `import openaistream`.
    from .commands import vector_stores_group

    cli.add_command(vector_stores_group())
