"""openaistream-vllm: an example third-party plugin, for the endpoints vLLM's
OpenAI-compatible server adds to the OpenAI API.

One module is the plugin (the entry point names it); it implements three hooks, each in a
module of its own idea: the resource, the command group and the transport.
"""

from __future__ import annotations

from typing import Any, Callable

import openaistream

from .resource import Vllm
from .traced import TracedTransport

__all__ = ["TracedTransport", "Vllm"]


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("vllm", Vllm)


@openaistream.hookimpl
def register_transports(register: Any) -> None:
    # Declared: it serves the blocking client, and wraps the network transport (which takes
    # the proxy, so the traced one works with any proxy the client has).
    register("traced", TracedTransport, serves="sync", wraps=True)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    # click is imported only when the command line starts, never by `import openaistream`.
    from .commands import vllm_group

    cli.add_command(vllm_group())
