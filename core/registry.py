"""Loading plugins: the built-in ones, then third-party ones from the entry-point group
``openaistream``, once per process, when the first client is built.

Environment variables (read when plugins load):

- ``OPENAISTREAM_LOAD_PLUGINS=a,b``: load only these third-party plugins (empty: none of
  them). When the list names built-in resource plugins too, only those built-in resources
  load. Built-in transports always load unless blocked: a client needs one.
- ``OPENAISTREAM_BLOCK_PLUGINS=a,b``: never load these, built-in or not.
- ``OPENAISTREAM_STRICT_PLUGINS=1``: a third-party plugin that fails to load is an error
  (by default it is skipped with a warning naming it and the error).

A name in either list that is neither built-in nor installed is an error that lists the
available names. So is a resource or transport name registered by two plugins.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from .errors import PluginError

if TYPE_CHECKING:
    from importlib.metadata import Distribution, EntryPoint

    import pluggy

    from .http import Request, Response, TransportFactory
    from .resource import Resource

__all__ = [
    "DEFAULT_PLUGINS",
    "PluginInfo",
    "Registry",
    "get_registry",
    "load_registry",
    "reset_registry",
]

# The built-in plugins, by module. The one place the core names a plugin or a transport.
DEFAULT_PLUGINS = (
    "openaistream.plugins.assistants",
    "openaistream.plugins.audio",
    "openaistream.plugins.batches",
    "openaistream.plugins.chat",
    "openaistream.plugins.embeddings",
    "openaistream.plugins.files",
    "openaistream.plugins.fine_tuning",
    "openaistream.plugins.images",
    "openaistream.plugins.messages",
    "openaistream.plugins.models",
    "openaistream.plugins.moderations",
    "openaistream.plugins.responses",
    "openaistream.plugins.runs",
    "openaistream.plugins.threads",
    "openaistream.transports.replay",
    "openaistream.transports.socks",
    "openaistream.transports.urllib3",
)
_RESOURCE_PACKAGE = "openaistream.plugins."


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name, where it came from, and the hooks it implements."""

    name: str
    builtin: bool
    distribution: Optional[str] = None
    version: Optional[str] = None
    hooks: tuple[str, ...] = ()


@dataclass
class Registry:
    """What the loaded plugins provide: resources and transports by name, and the hooks."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    resources: dict[str, tuple[type[Resource], str]] = field(default_factory=dict)
    transports: dict[str, tuple[TransportFactory, str]] = field(default_factory=dict)

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

    def transport_factory(self, name: str) -> TransportFactory:
        _check_known("transport", [name], self.transports)
        return self.transports[name][0]

    def transport_for_cassette(self) -> str:
        """The transport that plays cassettes: the first that says so (``cassettes = True``)."""
        for name, (factory, _) in sorted(self.transports.items()):
            if _declared(factory, "cassettes", False):
                return name
        raise ValueError(f"no transport plays cassettes; transports: {sorted(self.transports)}")

    def plays_cassettes(self, name: str) -> bool:
        return bool(_declared(self.transport_factory(name), "cassettes", False))

    def transport_for_proxy(self, preferred: str, scheme: str) -> str:
        """The transport to use with a proxy of this scheme: ``preferred`` if it takes such
        proxies (a factory says so in ``proxy_schemes``), else the first one that does and
        talks to the network itself (not one that ``wraps`` another, as replay does)."""
        factories = {name: factory for name, (factory, _) in sorted(self.transports.items())}
        if scheme in _declared(factories.get(preferred), "proxy_schemes", ("http", "https")):
            return preferred
        for name, factory in factories.items():
            takes = _declared(factory, "proxy_schemes", ("http", "https"))
            if scheme in takes and not _declared(factory, "wraps", False):
                return name
        raise ValueError(f"no transport takes {scheme}:// proxies; transports: {sorted(factories)}")

    def before_request(self, request: Request) -> None:
        self.manager.hook.before_request(request=request)

    def after_response(self, request: Request, response: Response) -> None:
        self.manager.hook.after_response(request=request, response=response)

    def add_commands(self, cli: Any) -> None:
        self.manager.hook.register_commands(cli=cli)


def _declared(factory: Any, name: str, default: Any) -> Any:
    """What a transport factory declares about itself: on itself (a class) or on the class
    of a classmethod factory."""
    owner = getattr(factory, "__self__", None)
    return getattr(factory, name, getattr(owner, name, default))


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
    collect_transports(registry)
    return registry


def _load_entry_point(registry: Registry, ep: EntryPoint, dist: Distribution, strict: bool) -> None:
    info = PluginInfo(ep.name, False, distribution=dist.metadata["Name"], version=dist.version)
    try:
        _register(registry, ep.name, ep.load(), info)
    except Exception as exc:
        if strict:
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}") from exc
        import structlog

        structlog.get_logger("openaistream").warning(
            "plugin failed to load and was skipped",
            plugin=ep.name,
            entry_point=ep.value,
            error=repr(exc),
        )


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
    """Call every ``register_resources`` implementation, noting which plugin gave what."""
    _collect(registry, "register_resources", registry.resources, "resource")


def collect_transports(registry: Registry) -> None:
    """Call every ``register_transports`` implementation, noting which plugin gave what."""
    _collect(registry, "register_transports", registry.transports, "transport")


def _collect(registry: Registry, hook: str, into: dict[str, Any], kind: str) -> None:
    for impl in getattr(registry.manager.hook, hook).get_hookimpls():
        owner = impl.plugin_name

        def register(name: str, value: Any, owner: str = owner) -> None:
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                raise PluginError(
                    f"plugin {owner!r} registered a {kind} with an invalid name {name!r}: "
                    "it must be a Python identifier not starting with '_'"
                )
            if name in into:
                raise PluginError(
                    f"the {kind} {name!r} is registered by two plugins: "
                    f"{into[name][1]!r} and {owner!r}; block one with OPENAISTREAM_BLOCK_PLUGINS"
                )
            into[name] = (value, owner)

        impl.function(**{arg: register for arg in impl.argnames})


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
    """The ``openaistream`` entry points by name, each with its distribution. The first
    distribution on sys.path wins a name, as for imports."""
    from importlib.metadata import distributions

    found: dict[str, tuple[EntryPoint, Distribution]] = {}
    for dist in distributions():
        for ep in dist.entry_points:
            if ep.group == "openaistream":
                found.setdefault(ep.name, (ep, dist))
    return found
