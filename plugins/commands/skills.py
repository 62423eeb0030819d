"""`openaistream skills ...`: one command per method of the `skills` resource, and
`create PATH...` / `versions-create SKILL_ID PATH...` that upload a skill's files (a
directory, a zip file, or several files)."""

from __future__ import annotations

from typing import Any

import click

from openaistream.cli import JSON_OPTION, PARAMS_OPTION, State, operations_group, parse_params
from openaistream.plugins.skills import Skills

_PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))


def command() -> click.Command:
    """The `skills` group."""
    columns = ("id", "name", "default_version", "latest_version", "created_at")
    group = operations_group("skills", "skills", Skills, "Skills and their versions.", columns)
    group.add_command(create)
    group.add_command(versions_create)
    return group


def _files(paths: tuple[str, ...]) -> Any:
    """One path as it is (a directory or a zip file), several as a list of files."""
    return paths[0] if len(paths) == 1 else list(paths)


@click.command("create")
@_PATHS
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def create(
    state: State, paths: tuple[str, ...], params: tuple[str, ...], json_output: bool
) -> None:
    """Create a skill from PATHS: a directory, a zip file, or its files."""
    options = parse_params(params, taken={"files": "PATHS"})
    answer = state.client().skills.create(_files(paths), **options)
    state.emit(answer, json_output=json_output)


@click.command("versions-create")
@click.argument("skill_id")
@_PATHS
@click.option("--default", "default", is_flag=True, help="Make it the default version.")
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def versions_create(
    state: State,
    skill_id: str,
    paths: tuple[str, ...],
    default: bool,
    params: tuple[str, ...],
    json_output: bool,
) -> None:
    """A new version of SKILL_ID from PATHS: a directory, a zip file, or its files."""
    options = parse_params(params, taken={"files": "PATHS", "default": "--default"})
    if default:
        options["default"] = True
    answer = state.client().skills.versions_create(skill_id, _files(paths), **options)
    state.emit(answer, json_output=json_output)
