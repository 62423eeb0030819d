"""Loading plugins: the built-in ones, then third-party ones from the entry-point group
`openaistream`, once per process, when the first client is built.

Environment variables (read when plugins load):

- `OPENAISTREAM_LOAD_PLUGINS=a,b`: load only these third-party plugins (empty: none of
  them). When the list names built-in resource plugins too, only those built-in resources
  load. Built-in transports always load unless blocked: a client needs one.
- `OPENAISTREAM_BLOCK_PLUGINS=a,b`: never load these, built-in or not.
- `OPENAISTREAM_STRICT_PLUGINS=1`: a third-party plugin that fails to load is an error
  (by default it is skipped with a warning naming it and the error).

A name in either list that is neither built-in nor installed is an error that lists the
available names. So is a resource or transport name registered by two plugins.

A transport is registered with its declaration (`TransportDeclaration`): what it
serves, the proxy schemes it takes, whether it plays cassettes or wraps the network
transport. The core reads nothing else of a transport. A third-party transport registered
without one (as before: attributes on the class) is not loaded: naming it raises a
`PluginError` saying what to add, and `OPENAISTREAM_STRICT_PLUGINS=1` makes that an
error when plugins load.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Protocol

from .errors import PluginError

if TYPE_CHECKING:
    from importlib.metadata import Distribution, EntryPoint

    import pluggy

    from .http import Request, Response, TransportFactory
    from .resource import Resource

__all__ = [
    "DEFAULT_PLUGINS",
    "SERVES",
    "PluginInfo",
    "RegisterTransport",
    "Registry",
    "TransportDeclaration",
    "get_registry",
    "load_registry",
    "reset_registry",
]

# The built-in plugins, by module. The one place the core names a plugin or a transport.
DEFAULT_PLUGINS = (
    "openaistream.plugins.assistants",
    "openaistream.plugins.audio",
    "openaistream.plugins.batches",
    "openaistream.plugins.bulk",
    "openaistream.plugins.chat",
    "openaistream.plugins.chatkit",
    "openaistream.plugins.completions",
    "openaistream.plugins.containers",
    "openaistream.plugins.content_provenance_checks",
    "openaistream.plugins.conversations",
    "openaistream.plugins.embeddings",
    "openaistream.plugins.evals",
    "openaistream.plugins.files",
    "openaistream.plugins.fine_tuning",
    "openaistream.plugins.images",
    "openaistream.plugins.messages",
    "openaistream.plugins.models",
    "openaistream.plugins.moderations",
    "openaistream.plugins.realtime",
    "openaistream.plugins.responses",
    "openaistream.plugins.runs",
    "openaistream.plugins.skills",
    "openaistream.plugins.threads",
    "openaistream.plugins.uploads",
    "openaistream.plugins.vector_stores",
    "openaistream.plugins.videos",
    "openaistream.plugins.webhooks",
    "openaistream.transports.aiohttp",
    "openaistream.transports.replay",
    "openaistream.transports.socks",
    "openaistream.transports.urllib3",
)
_RESOURCE_PACKAGE = "openaistream.plugins."
# The clients a transport can serve: ``OpenAI`` (blocking calls) and the asynchronous one.
SERVES = ("sync", "async")


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name, where it came from, and the hooks it implements."""

    name: str
    builtin: bool
    distribution: Optional[str] = None
    version: Optional[str] = None
    hooks: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransportDeclaration:
    """A registered transport and what it said of itself when it registered.

    `serves`: the client it works for, `"sync"` or `"async"` (one name may be
    registered once for each). `proxy_schemes`: the proxy URL schemes it goes through
    itself (empty: it takes no proxy). `cassettes`: it plays cassettes, so a client given
    `cassette=` and no transport picks it. `wraps`: it sends through the network
    transport it is handed (`TransportOptions.network`), so it takes whatever proxy that one
    takes and is never picked to reach a proxy itself."""

    name: str
    factory: TransportFactory
    serves: str
    proxy_schemes: tuple[str, ...] = ()
    cassettes: bool = False
    wraps: bool = False
    plugin: str = ""

    def takes_proxy(self, scheme: str) -> bool:
        """Whether it can reach the network itself through a proxy of this scheme."""
        return not self.wraps and scheme in self.proxy_schemes


class RegisterTransport(Protocol):
    """The `register` function the `register_transports` hook is given."""

    def __call__(
        self,
        name: str,
        factory: TransportFactory,
        *,
        serves: str,
        proxy_schemes: Iterable[str] = (),
        cassettes: bool = False,
        wraps: bool = False,
    ) -> None: ...


@dataclass
class Registry:
    """What the loaded plugins provide: resources and transports by name, and the hooks."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    resources: dict[str, tuple[type[Resource], str]] = field(default_factory=dict)
    # By (what it serves, name): one name may be registered once for each client.
    transports: dict[tuple[str, str], TransportDeclaration] = field(default_factory=dict)
    # Transports registered without a valid declaration: why, by name (see the module's doc).
    refused_transports: dict[str, str] = field(default_factory=dict)

    def resource_classes(
        self, plugins: Optional[Sequence[str]] = None
    ) -> dict[str, type[Resource]]:
        """The resources to attach to a client: all, or those of the named plugins."""
        if plugins is None:
            return {name: cls for name, (cls, _) in self.resources.items()}
        if isinstance(plugins, str) or not all(isinstance(p, str) for p in plugins):
            raise TypeError(f"plugins must be a list of plugin names, not {plugins!r}")
        _check_known("plugins", plugins, self.plugins)
        return {name: cls for name, (cls, owner) in self.resources.items() if owner in plugins}

    def transports_serving(self, serves: str) -> list[TransportDeclaration]:
        """The transports for this kind of client, by name."""
        return [t for (kind, _), t in sorted(self.transports.items()) if kind == serves]

    def transport(self, name: str, serves: str) -> TransportDeclaration:
        """The transport of this name for this kind of client; a PluginError says why not."""
        found = self.transports.get((serves, name))
        if found is not None:
            return found
        if name in self.refused_transports:
            raise PluginError(self.refused_transports[name])
        names = [t.name for t in self.transports_serving(serves)]
        others = [kind for kind, other in self.transports if other == name]
        if others:
            raise PluginError(
                f"transport {name!r} serves {others[0]} clients, not {serves} ones; "
                f"{serves} transports: {', '.join(names) or 'none'}"
            )
        _check_known("transport", [name], dict.fromkeys(names))
        raise AssertionError("unreachable: _check_known raises for an unknown name")

    def cassette_transport(self, serves: str) -> TransportDeclaration:
        """The transport that plays cassettes: the first, by name, that declares it."""
        for transport in self.transports_serving(serves):
            if transport.cassettes:
                return transport
        names = [t.name for t in self.transports_serving(serves)]
        raise ValueError(f"no transport plays cassettes; transports: {names}")

    def proxy_schemes(self, serves: str) -> tuple[str, ...]:
        """Every proxy scheme some transport for this kind of client takes itself."""
        transports = self.transports_serving(serves)
        return tuple(sorted({s for t in transports if not t.wraps for s in t.proxy_schemes}))

    def network_transport(
        self, serves: str, preferred: str, scheme: Optional[str]
    ) -> TransportDeclaration:
        """The transport that reaches the network through a proxy of this scheme (None: no
        proxy): `preferred` if it can, else the first, by name, that declares the scheme
        and wraps no other transport."""
        chosen = self.transport(preferred, serves)
        if scheme is None or chosen.takes_proxy(scheme):
            return chosen
        for transport in self.transports_serving(serves):
            if transport.takes_proxy(scheme):
                return transport
        schemes = ", ".join(f"{s}://" for s in self.proxy_schemes(serves)) or "none"
        raise ValueError(f"no transport takes {scheme}:// proxies; proxy schemes taken: {schemes}")

    def before_request(self, request: Request) -> None:
        self.manager.hook.before_request(request=request)

    def after_response(self, request: Request, response: Response) -> None:
        self.manager.hook.after_response(request=request, response=response)

    def add_commands(self, cli: Any) -> None:
        self.manager.hook.register_commands(cli=cli)


_registry: Optional[Registry] = None
_lock = threading.Lock()


def get_registry() -> Registry:
    """The process's registry, loading the plugins the first time."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = load_registry()
        return _registry


def reset_registry() -> None:
    """Forget the loaded plugins; the next client loads them again (and re-reads the
    environment). For tests, and for programs that install plugins while running."""
    global _registry
    with _lock:
        _registry = None


def load_registry(environ: Mapping[str, str] = os.environ) -> Registry:
    """Load the plugins the environment allows into a new Registry."""
    only = _names(environ.get("OPENAISTREAM_LOAD_PLUGINS"))
    blocked = _names(environ.get("OPENAISTREAM_BLOCK_PLUGINS")) or set()
    strict = environ.get("OPENAISTREAM_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")
    builtins = {module.rpartition(".")[2]: module for module in DEFAULT_PLUGINS}
    entry_points = _entry_points()
    known = {**dict.fromkeys(builtins), **dict.fromkeys(entry_points)}
    _check_known("OPENAISTREAM_LOAD_PLUGINS", sorted(only or ()), known)
    _check_known("OPENAISTREAM_BLOCK_PLUGINS", sorted(blocked), known)

    import pluggy  # with the first client, not at import

    from . import hookspecs

    manager = pluggy.PluginManager("openaistream")
    manager.add_hookspecs(hookspecs)
    registry = Registry(manager)
    # Built-in resources are chosen too when the load list names any of them.
    chosen_resources = {
        name for name in only or () if builtins.get(name, "").startswith(_RESOURCE_PACKAGE)
    }
    for name, module in builtins.items():
        is_resource = module.startswith(_RESOURCE_PACKAGE)
        if name in blocked or (is_resource and chosen_resources and name not in chosen_resources):
            continue
        _register(registry, name, importlib.import_module(module), PluginInfo(name, True))
    for name, (ep, dist) in entry_points.items():
        if name in blocked or (only is not None and name not in only):
            continue
        _load_entry_point(registry, ep, dist, strict)
    collect_resources(registry)
    collect_transports(registry, strict)
    return registry


def _load_entry_point(registry: Registry, ep: EntryPoint, dist: Distribution, strict: bool) -> None:
    info = PluginInfo(ep.name, False, distribution=dist.metadata["Name"], version=dist.version)
    try:
        _register(registry, ep.name, ep.load(), info)
    except Exception as exc:
        if strict:
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}") from exc
        _warn("plugin failed to load and was skipped", ep.name, repr(exc), entry_point=ep.value)


def _register(registry: Registry, name: str, plugin: object, info: PluginInfo) -> None:
    try:
        registry.manager.register(plugin, name=name)
    except ValueError as exc:  # pluggy: the same object or name twice
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from exc
    hooks = tuple(sorted(caller.name for caller in registry.manager.get_hookcallers(plugin) or ()))
    registry.plugins[name] = PluginInfo(
        info.name, info.builtin, info.distribution, info.version, hooks
    )


def collect_resources(registry: Registry) -> None:
    """Call every `register_resources` implementation, noting which plugin gave what."""
    _collect(registry, "register_resources", registry.resources, "resource")


def collect_transports(registry: Registry, strict: bool = False) -> None:
    """Call every `register_transports` implementation, keeping each transport with its
    declaration and the plugin that gave it. A transport registered without a valid
    declaration is refused (see the module's doc): a built-in one, or any under
    `strict`, fails the loading of plugins."""
    for impl in registry.manager.hook.register_transports.get_hookimpls():
        owner = impl.plugin_name
        info = registry.plugins.get(owner)
        fail = strict or info is None or info.builtin
        register = functools.partial(_register_transport, registry, owner, fail)
        impl.function(**{arg: register for arg in impl.argnames})


def _register_transport(
    registry: Registry,
    owner: str,
    fail: bool,
    name: str,
    factory: Any = None,
    *,
    serves: Any = None,
    proxy_schemes: Any = (),
    cassettes: Any = False,
    wraps: Any = False,
) -> None:
    _check_name(owner, "transport", name)
    problem = _declaration_problem(factory, serves, proxy_schemes, cassettes, wraps)
    if problem is not None:
        message = (
            f"plugin {owner!r} registered the transport {name!r} {problem}; "
            "see the register_transports hook in docs/hooks.md"
        )
        if fail:
            raise PluginError(message)
        registry.refused_transports[name] = message
        _warn("transport refused: its registration declares too little", owner, message)
        return
    taken = registry.transports.get((serves, name))
    if taken is not None:
        raise PluginError(
            f"the transport {name!r} is registered by two plugins: {taken.plugin!r} and "
            f"{owner!r}; block one with OPENAISTREAM_BLOCK_PLUGINS"
        )
    registry.transports[(serves, name)] = TransportDeclaration(
        name, factory, serves, tuple(proxy_schemes), cassettes, wraps, owner
    )


def _declaration_problem(
    factory: Any, serves: Any, proxy_schemes: Any, cassettes: Any, wraps: Any
) -> Optional[str]:
    """What is wrong with a transport's declaration, said as what to change; None if nothing."""
    if not callable(factory):
        return f"with a factory that cannot be called ({type(factory).__name__})"
    if serves is None:
        return (
            "without saying what it serves: add serves='sync' to register(...), and, as the "
            "transport does, proxy_schemes=(...), cassettes=True, wraps=True "
            "(attributes of the transport are not read)"
        )
    if serves not in SERVES:
        return f"with serves={serves!r}: it must be one of {', '.join(map(repr, SERVES))}"
    if isinstance(proxy_schemes, str) or not all(
        isinstance(scheme, str) and scheme.isascii() and scheme.isalnum() and scheme.islower()
        for scheme in proxy_schemes
    ):
        return f"with proxy_schemes={proxy_schemes!r}: it must be a tuple of lower-case schemes"
    for flag, value in (("cassettes", cassettes), ("wraps", wraps)):
        if not isinstance(value, bool):
            return f"with {flag}={value!r}: it must be True or False"
    if wraps and proxy_schemes:
        return (
            "with wraps=True and proxy_schemes: a transport that wraps takes the proxies of "
            "the network transport it wraps; drop proxy_schemes"
        )
    return None


def _collect(registry: Registry, hook: str, into: dict[str, Any], kind: str) -> None:
    for impl in getattr(registry.manager.hook, hook).get_hookimpls():
        owner = impl.plugin_name

        def register(name: str, value: Any, owner: str = owner) -> None:
            _check_name(owner, kind, name)
            if name in into:
                raise PluginError(
                    f"the {kind} {name!r} is registered by two plugins: "
                    f"{into[name][1]!r} and {owner!r}; block one with OPENAISTREAM_BLOCK_PLUGINS"
                )
            into[name] = (value, owner)

        impl.function(**{arg: register for arg in impl.argnames})


def _check_name(owner: str, kind: str, name: object) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise PluginError(
            f"plugin {owner!r} registered a {kind} with an invalid name {name!r}: "
            "it must be a Python identifier not starting with '_'"
        )


def _warn(event: str, plugin: str, error: str, **details: str) -> None:
    import structlog  # with the first warning, not at import

    structlog.get_logger("openaistream").warning(event, plugin=plugin, error=error, **details)


def _check_known(what: str, names: Iterable[str], known: Mapping[str, Any]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise PluginError(
            f"{what}: unknown {'name' if len(unknown) == 1 else 'names'} "
            f"{', '.join(map(repr, unknown))}; available: {', '.join(sorted(known)) or 'none'}"
        )


def _names(value: Optional[str]) -> Optional[set[str]]:
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _entry_points() -> dict[str, tuple[EntryPoint, Distribution]]:
    """The `openaistream` entry points by name, each with its distribution. The first
    distribution on sys.path wins a name, as for imports."""
    from importlib.metadata import distributions

    found: dict[str, tuple[EntryPoint, Distribution]] = {}
    for dist in distributions():
        for ep in dist.entry_points:
            if ep.group == "openaistream":
                found.setdefault(ep.name, (ep, dist))
    return found
