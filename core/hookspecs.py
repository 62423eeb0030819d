"""The hooks a plugin can implement. Each spec's docstring is its reference.

A plugin is a module (or any object) with functions named like these specs and marked with
`@openaistream.hookimpl`. Built-in plugins are listed in `DEFAULT_PLUGINS`; third-party
ones are found through the entry-point group `openaistream`:

```toml
# pyproject.toml of a plugin package
[project.entry-points.openaistream]
vllm = "my_package.vllm"
```

Markers are named `openaistream`. Every hook is called from exactly one function of the
core, named in its docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:
    import click

    from .http import Request, Response
    from .registry import RegisterTransport
    from .resource import Resource

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("openaistream")
hookimpl = pluggy.HookimplMarker("openaistream")


@hookspec
def register_resources(register: Callable[[str, type[Resource]], None]) -> None:
    """Add resources to every client: call `register(name, ResourceClass)` once for each.

    `name` becomes the client attribute (`client.<name>`), so it must be a Python identifier that no
    other plugin uses and that is not a client method. `ResourceClass` subclasses
    [`openaistream.Resource`][openaistream.resource.Resource] and is built with the client as its
    one argument. Two plugins that register the same name make loading fail with an error naming
    both.

    Args:
        register: Call it as `register(name, ResourceClass)`, once for each resource.

    For example:

    ```python
    @openaistream.hookimpl
    def register_resources(register):
        register("vllm", Vllm)
    ```

    Called by `openaistream.registry.collect_resources` when plugins load.
    """


@hookspec
def register_transports(register: RegisterTransport) -> None:
    """Add transports: call `register(name, factory, serves=..., ...)` once for each,
    declaring what the transport is; the core reads nothing else of it.

    `factory(options)` receives
    [`openaistream.TransportOptions`][openaistream.http.TransportOptions] (proxy, timeouts, CA
    bundle, cassette, record mode, and `network`, which builds the transport the client would
    otherwise use) and returns an object with `send(request) -> Response` and `close()`
    ([`openaistream.Transport`][openaistream.http.Transport]), or, for the async client, `async
    send(request) -> AsyncResponse` and `async aclose()`
    ([`openaistream.AsyncTransport`][openaistream.http.AsyncTransport]). A client picks a transport
    with `OpenAI(transport=name)`; the default is `"urllib3"` (`"aiohttp"` for `AsyncOpenAI`). The
    declaration, by keyword:

    - `serves` (required): `"sync"` for `OpenAI`, `"async"` for the asynchronous
      client (`send` is then a coroutine). A name may be registered once for each.
    - `proxy_schemes`: the proxy URL schemes it goes through itself, as
      `("http", "https")`; a client with a proxy of another scheme uses a transport that
      declares it. Default: none, it takes no proxy.
    - `cassettes=True`: it plays cassettes; a client given `cassette=` picks it. It
      checks `record_mode` itself, when it is built.
    - `wraps=True`: it sends through `options.network()`, so it takes whatever proxy the
      network transport takes, and is never picked to reach a proxy itself.

    Names are unique across plugins, as for resources. A transport registered without
    `serves` (attributes on the class such as `wraps = True` are not read) is refused:
    naming it raises a `PluginError` saying what to add, and with
    `OPENAISTREAM_STRICT_PLUGINS=1` loading the plugins fails with it.

    Args:
        register: Call it as `register(name, factory, serves=..., proxy_schemes=...,
            cassettes=..., wraps=...)`, once for each transport, declared as above.

    For example:

    ```python
    @openaistream.hookimpl
    def register_transports(register):
        register("logging", LoggingTransport, serves="sync", wraps=True)
    ```

    Called by `openaistream.registry.collect_transports` when plugins load.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the `openaistream` command line.

    `cli` is the root `click.Group`; add commands or groups to it with `cli.command()`,
    `cli.group()` or `cli.add_command(...)`. Commands should build their client through the
    context object the CLI provides, so global options (key, base URL, proxy, verbosity)
    apply to them. Keep the commands in a module of their own that the hook imports, so that
    only the command line loads click.

    Args:
        cli: The root command group, to add commands and groups to.

    For example:

    ```python
    @openaistream.hookimpl
    def register_commands(cli):
        from .commands import command  # a function that builds the click group

        cli.add_command(command())
    ```

    Called by `Registry.add_commands` (`openaistream.registry`) when the CLI starts.
    """


@hookspec
def before_request(request: Request) -> None:
    """Change or observe a request just before each attempt is sent.

    `request` is the complete [`openaistream.Request`][openaistream.http.Request]; change
    `request.headers` or `request.url` in place (for example to add an `api-key` header and an
    `api-version` query for an Azure-style endpoint). Called once per attempt, retries included. An
    exception raised here stops the call before anything is sent.

    Args:
        request: The request about to be sent, to change in place.

    Raises:
        Exception: Any exception stops the call, before anything is sent, as its answer.

    For example:

    ```python
    @openaistream.hookimpl
    def before_request(request):
        request.headers["api-key"] = os.environ["AZURE_OPENAI_KEY"]
    ```

    Called by `Registry.before_request` (`openaistream.registry`) from the call policy
    (`openaistream.policy`), for both clients: keep it quick, it runs in the event loop of
    an `AsyncOpenAI`.
    """


@hookspec
def after_response(request: Request, response: Response) -> None:
    """Observe a response as soon as its status and headers are in, before its body is read.

    Called for every attempt, error statuses included, so it suits metrics and tracing (status,
    `x-request-id`, rate-limit headers). Do not read the body here: a streamed body belongs to the
    caller. On `AsyncOpenAI` the response is an
    [`openaistream.AsyncResponse`][openaistream.http.AsyncResponse], with the same `status` and
    `headers`: one hook serves both clients. If the hook raises, the response is closed unread and
    the error is the call's answer.

    Args:
        request: The request this answers, as it was sent.
        response: The response, its body unread: a `Response`, or an `AsyncResponse` on
            `AsyncOpenAI`.

    For example:

    ```python
    @openaistream.hookimpl
    def after_response(request, response):
        metrics.count("openai.status", response.status)
    ```

    Called by `Registry.after_response` (`openaistream.registry`) from the call policy
    (`openaistream.policy`), for both clients.
    """
