"""The `openaistream` command: a thin assembler of the commands plugins contribute.

The root group holds the global options and the `plugins` command; every other command
comes from a plugin's `register_commands` hook. `--help` names the built-in commands
without importing a plugin, transport or HTTP library: plugins load when a command runs (or
when third-party plugins are installed, whose command names only they know).

Plugin authors build commands with the helpers here: `call_command()` for a command that
calls one resource method and prints its answer, `State.client()` for the client the global
options describe, `State.emit` for output (a table for lists, JSON with `--json`), and
`parse_params()` for `-o key=value`.
"""

from __future__ import annotations

import difflib
import inspect
import io
import json
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Optional

import click

from .errors import APIError, OpenAIError
from .registry import DEFAULT_PLUGINS

__all__ = [
    "JSON_OPTION",
    "PARAMS_OPTION",
    "CommandGroup",
    "State",
    "call_command",
    "cli",
    "main",
    "params_option",
    "parse_params",
    "print_stream",
    "progress",
    "resource_group",
    "write_table",
]

_PLUGIN_PACKAGE = "openaistream.plugins."


class State:
    """What the global options say; the client is built when a command first asks."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.verbosity: int = options.get("verbosity", 0)
        self.json_output: bool = options.get("json_output", False)
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            self._client = self._build()
        return self._client

    def _build(self) -> Any:
        from .client import OpenAI  # with the first command that needs the API

        o = self.options
        key = o.get("api_key") or os.environ.get("OPENAI_API_KEY")
        if not key and not o.get("cassette"):  # replaying needs no key
            raise click.UsageError(
                "no API key: pass --api-key or set OPENAI_API_KEY (or replay a --cassette)"
            )
        try:
            return OpenAI(
                key,
                base_url=o.get("base_url"),
                proxy=o.get("proxy"),
                transport=o.get("transport"),
                cassette=o.get("cassette"),
                record_mode=o.get("record_mode"),
                verbosity=min(self.verbosity, 3),
            )
        except (ValueError, TypeError, OSError) as exc:
            raise click.UsageError(str(exc)) from exc

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def emit(self, data: Any, *, columns: Sequence[str] = (), json_output: bool = False) -> None:
        """Print an answer whatever its kind: a list as a table (JSON with --json), other
        JSON as JSON, text as text, bytes as they are, and a stream (an `-o stream=true`
        makes most methods return one) as one JSON line per item as it arrives."""
        if isinstance(data, Iterator):
            try:
                for item in data:
                    self.emit(item if isinstance(item, (bytes, bytearray)) else _json_line(item))
            finally:
                close = getattr(data, "close", None)
                if callable(close):
                    close()
            return
        if isinstance(data, (bytes, bytearray)):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        if isinstance(data, str):
            click.echo(data, nl=not data.endswith("\n"))
            return
        rows = data.get("data") if isinstance(data, dict) else None
        if json_output or self.json_output or not columns or not isinstance(rows, list):
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            write_table(rows, columns)


def _json_line(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False) + "\n"


def write_table(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    """Rows as aligned columns with a header line."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)
    ]
    for line in [list(columns), *cells]:
        click.echo("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def parse_params(
    pairs: Iterable[str], *, taken: Optional[Mapping[str, str]] = None, option: str = "-o"
) -> dict[str, Any]:
    """`-o key=value` options as API parameters; a value that parses as JSON is JSON
    (`-o temperature=0.2`, `-o stop='["\\n"]'`), anything else a string.

    `taken` names the parameters the command sets itself, each with what sets it (`{"stream":
    "--no-stream"}`): one of them given again with `-o` is a usage error saying so, not a
    clash in the call. `option` is how the command spells its params option (`-p`)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint=option)
        if taken and key in taken:
            raise click.BadParameter(
                f"{key!r} is set by {taken[key]}, not by {option}",
                param_hint=option,
            )
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


JSON_OPTION = click.option("--json", "json_output", is_flag=True, help="Print the answer as JSON.")


def params_option(short: str = "-o") -> Any:
    """The repeatable `KEY=VALUE` option for any other API parameter (`-p` where `-o`
    names an output file)."""
    return click.option(
        short,
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help="Any other API parameter (VALUE is read as JSON when it is JSON).",
    )


PARAMS_OPTION = params_option()


def call_command(
    name: str,
    resource: str,
    method: str,
    arguments: Sequence[str] = (),
    *,
    columns: Sequence[str] = (),
    help: str,
) -> click.Command:
    """A command `name ARGUMENTS... [-o KEY=VALUE]... [--json]` that calls
    `client.<resource>.<method>(*ARGUMENTS, **params)` and prints the answer (a table of
    `columns` for a list)."""

    taken = {argument: argument.upper() for argument in arguments}

    def callback(state: State, params: tuple[str, ...], json_output: bool, **values: Any) -> None:
        options = parse_params(params, taken=taken)
        call = getattr(getattr(state.client(), resource), method)
        given = [_argument(argument, values[argument]) for argument in arguments]
        answer = call(*given, **options)
        state.emit(answer, columns=columns, json_output=json_output)

    command = click.Command(
        name,
        callback=click.pass_obj(callback),
        params=[click.Argument([argument]) for argument in arguments],
        help=help,
    )
    return JSON_OPTION(PARAMS_OPTION(command))


def _argument(name: str, value: Any) -> Any:
    """A command's argument as the method takes it: a JSON object or array when it is
    written as one (`'{"team": "a"}'`, `'[{"type": "message"}]'`), else the text (an
    ID, a prompt), or what the argument's own type made of it."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON ({exc})", param_hint=name.upper()) from None


class CommandGroup(click.Group):
    """A command group that answers a mistyped command with the closest names ("Did you
    mean ...?") and keeps old command names working as hidden `aliases` (old -> new)."""

    def __init__(
        self, *args: Any, aliases: Optional[Mapping[str, str]] = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.aliases = dict(aliases or {})

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in self.aliases:
            found = super().get_command(ctx, self.aliases[cmd_name])
        return found

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[Optional[str], Optional[click.Command], list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            hint = _did_you_mean(args[0], self.list_commands(ctx), self.aliases) if args else ""
            if not hint or not error.message.startswith("No such command"):
                raise
            raise click.UsageError(error.message + hint, ctx=error.ctx) from None


def _did_you_mean(typed: str, names: Sequence[str], aliases: Mapping[str, str]) -> str:
    """ " Did you mean 'models'?" for the names closest to `typed`, or nothing."""
    close = difflib.get_close_matches(typed, [*names, *aliases], n=3, cutoff=0.6)
    shown = list(dict.fromkeys(aliases.get(name, name) for name in close))
    if not shown:
        return ""
    return " Did you mean " + " or ".join(repr(name) for name in shown) + "?"


def resource_group(
    name: str,
    resource: str,
    help: str,
    calls: Sequence[tuple[str, str, Sequence[str], str]],
    columns: Sequence[str] = (),
    aliases: Optional[Mapping[str, str]] = None,
) -> CommandGroup:
    """A command group of `call_command()` commands, one per `(command, method,
    arguments, help)`; `columns` are the table columns of the list commands. Name each
    command after its method (`retrieve_content` -> `retrieve-content`); `aliases`
    keeps old names working, unlisted (`{"get": "retrieve"}`)."""
    group = CommandGroup(name, help=help, aliases=aliases)
    for command, method, arguments, text in calls:
        shown = columns if method.endswith("list") else ()
        group.add_command(
            call_command(command, resource, method, arguments, columns=shown, help=text)
        )
    return group


def operations_group(
    name: str,
    resource: str,
    resource_class: type,
    help: str,
    columns: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> CommandGroup:
    """A `resource_group()` with a command for each method of `resource_class` made by
    [`openaistream.operation.operation()`][openaistream.operation.operation] (but those in `skip`),
    named after it (`file_content` -> `file-content`), taking its path IDs and required arguments,
    with the first line of its docstring as help. Add the commands of hand-written methods to the
    group it returns."""
    calls = []
    for method, value in vars(resource_class).items():
        if method in skip or not getattr(value, "__openaistream_operation__", None):
            continue
        arguments = [
            parameter.name
            for parameter in inspect.signature(value).parameters.values()
            if parameter.kind is parameter.POSITIONAL_OR_KEYWORD and parameter.name != "self"
        ]
        text = (value.__doc__ or method).strip().splitlines()[0]
        calls.append((method.replace("_", "-"), method, arguments, text))
    return resource_group(name, resource, help, calls, columns)


def print_stream(stream: Iterable[Any], text_of: Any, json_output: bool = False) -> None:
    """Print a stream as it arrives: the text `text_of(item)` finds in each item (None to
    skip it), or each item as a JSON line with `--json`."""
    out = sys.stdout
    wrote = False
    for item in stream:
        text = json.dumps(item, ensure_ascii=False) + "\n" if json_output else text_of(item)
        if text:
            out.write(text)
            out.flush()
            wrote = True
    if wrote and not json_output:
        out.write("\n")
        out.flush()


def progress(length: int, label: str) -> Any:
    """A progress bar on stderr when it is a terminal; elsewhere one that draws nothing."""
    shown = sys.stderr.isatty()
    return click.progressbar(
        length=length, label=label, file=sys.stderr if shown else io.StringIO()
    )


def _builtin_commands() -> dict[str, str]:
    """Each built-in resource plugin's command group, named after it, known without
    importing it."""
    names = [m[len(_PLUGIN_PACKAGE) :] for m in DEFAULT_PLUGINS if m.startswith(_PLUGIN_PACKAGE)]
    return {name.replace("_", "-"): name for name in names}


class PluginGroup(CommandGroup):
    """The root group: its own commands, and those the plugins register, loaded the first
    time a plugin command is asked for."""

    _plugin_commands: Optional[dict[str, click.Command]] = None
    _commands_of: Any = None  # the registry they came from: reloaded plugins bring theirs

    def plugin_commands(self) -> dict[str, click.Command]:
        from .registry import get_registry

        registry = get_registry()
        if self._plugin_commands is None or self._commands_of is not registry:
            group = click.Group()
            registry.add_commands(group)
            self._plugin_commands, self._commands_of = dict(group.commands), registry
        return self._plugin_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        if self._plugin_commands is None and not _plugins_chosen() and not _third_party_plugins():
            return sorted(names | set(_builtin_commands()))
        return sorted(names | set(self.plugin_commands()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        return super().get_command(ctx, cmd_name) or self.plugin_commands().get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = super().get_command(ctx, name)
            if command is None and self._plugin_commands is not None:
                command = self._plugin_commands.get(name)
            if command is not None:
                rows.append((name, command.get_short_help_str(formatter.width)))
            else:  # a built-in plugin not loaded: its name says what it is
                rows.append((name, f"The {_builtin_commands()[name]} resource."))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _plugins_chosen() -> bool:
    """Whether the environment loads or blocks plugins by name: then only the plugins loaded
    know which built-in commands there are."""
    return any(name in os.environ for name in _CHOOSING_VARIABLES)


# The registry reads them (see openaistream.registry).
_CHOOSING_VARIABLES = ("OPENAISTREAM_LOAD_PLUGINS", "OPENAISTREAM_BLOCK_PLUGINS")


def _third_party_plugins() -> bool:
    from importlib.metadata import distributions

    return any(ep.group == "openaistream" for dist in distributions() for ep in dist.entry_points)


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api-key", metavar="KEY", help="API key (default: $OPENAI_API_KEY).")
@click.option("--base-url", metavar="URL", help="API base URL (default: $OPENAI_BASE_URL).")
@click.option("--proxy", metavar="URL", help="http://, https:// or socks5h:// proxy URL.")
@click.option("--transport", metavar="NAME", help="Transport: urllib3, socks, replay, ...")
@click.option("--cassette", metavar="PATH", help="Replay (or record) this cassette.")
@click.option(
    "--record-mode",
    type=click.Choice(["replay", "record", "once", "new"]),
    help="How --cassette is used (default: replay, no network).",
)
@click.option("-v", "--verbose", "verbosity", count=True, help="Log to stderr: -v, -vv, -vvv.")
@click.option("--json", "json_output", is_flag=True, help="Print data as JSON.")
@click.version_option(package_name="openaistream")
@click.pass_context
def cli(ctx: click.Context, **options: Any) -> None:
    """openaistream: the OpenAI API from the command line, streaming first."""
    state = State(**options)
    ctx.obj = state
    ctx.call_on_close(state.close)
    if state.verbosity:
        _log_to_stderr()


def _log_to_stderr() -> None:
    """structlog to stderr, configured here and only here: the library never does."""
    import logging

    import structlog

    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="%H:%M:%S"),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


@cli.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the built-in plugins.")
def plugins_command(show_all: bool) -> None:
    """List the loaded plugins as JSON: name, version, source and hooks."""
    from ._version import __version__
    from .registry import get_registry

    listed = [
        {
            "name": info.name,
            "version": __version__ if info.builtin else info.version,
            "source": "built-in" if info.builtin else info.distribution,
            "hooks": list(info.hooks),
        }
        for info in sorted(get_registry().plugins.values(), key=lambda info: info.name)
        if show_all or not info.builtin
    ]
    click.echo(json.dumps(listed, indent=2))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The console script: one line on stderr for an error, exit 130 on Ctrl-C."""
    verbosity = _verbosity(sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=list(argv) if argv is not None else None,
                        prog_name="openaistream", standalone_mode=False)  # fmt: skip
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as problem:
        problem.show()
        return problem.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("Interrupted.", err=True)
        return 130
    except (APIError, OpenAIError, OSError, ValueError, TypeError) as error:
        if verbosity >= 3:
            traceback.print_exc()
        click.echo(f"Error: {_one_line(error)}", err=True)
        # A webhook refused (InvalidWebhookSignatureError, also a ValueError) is an outcome,
        # not a usage error.
        usage = isinstance(error, (OSError, ValueError, TypeError))
        return 2 if usage and not isinstance(error, OpenAIError) else 1
    except Exception as error:  # a bug, ours or a plugin's: still one line, not a traceback
        if verbosity >= 3:
            traceback.print_exc()
        click.echo(
            f"Error: {type(error).__name__}: {_one_line(error)} (an unexpected error; "
            "-vvv shows where)",
            err=True,
        )
        return 1
    # Not standalone, click answers a command's ``Exit`` (``--help``, an interrupted bulk run)
    # with its code instead of raising it; any other command answers None.
    return code if isinstance(code, int) else 0


def _verbosity(args: Sequence[str]) -> int:
    """-v, -vv, -vvv and --verbose, counted before click parses them (for the traceback of
    an error that happens while it does)."""
    count = 0
    for arg in args:
        if arg == "--":
            break
        if arg == "--verbose":
            count += 1
        elif arg.startswith("-v") and set(arg[1:]) == {"v"}:
            count += len(arg) - 1
    return count


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def run() -> None:  # pragma: no cover - the installed console script
    sys.exit(main())
