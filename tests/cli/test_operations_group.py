"""``openaistream.cli.operations_group``: a plugin's command group made from its
``operation`` methods, one command each, named after the method, run as a user runs it
against a local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.support.api import answer, last, query
from tests.support.plugins import install_plugin

PLUGIN = """
    import openaistream
    from openaistream.operation import operation


    class Shelves(openaistream.Resource):
        endpoint = "/shelves"

        list = operation("GET", "/shelves", doc="List the shelves.")
        search = operation("POST", "/shelves/{shelf_id}/search", "query", doc="Search a shelf.")

        def tidy(self):
            return "hand-written"


    @openaistream.hookimpl
    def register_resources(register):
        register("shelves", Shelves)


    @openaistream.hookimpl
    def register_commands(cli):
        from openaistream.cli import operations_group

        cli.add_command(operations_group("shelves", "shelves", Shelves, "Shelves.", ("id",)))
"""


@pytest.fixture
def shelves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(tmp_path, monkeypatch, "shelves", PLUGIN)


def invoke(httpserver: HTTPServer, *args: str) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def test_each_operation_is_a_command_named_after_its_method(
    shelves: None, httpserver: HTTPServer
) -> None:
    answer(httpserver, {"object": "list", "data": [{"id": "hit_1"}]})

    result = invoke(httpserver, "shelves", "search", "shelf_1", "otters", "-o", "limit=3")

    assert result.exit_code == 0, result.output
    assert last(httpserver).path == "/v1/shelves/shelf_1/search"
    assert json.loads(last(httpserver).get_data()) == {"query": "otters", "limit": 3}
    assert "hit_1" in result.output


def test_the_group_lists_the_operations_with_their_help_and_no_other_method(
    shelves: None, httpserver: HTTPServer
) -> None:
    result = invoke(httpserver, "shelves", "--help")

    assert "List the shelves." in result.output and "Search a shelf." in result.output
    assert "tidy" not in result.output


def test_a_list_prints_its_columns(shelves: None, httpserver: HTTPServer) -> None:
    answer(httpserver, {"object": "list", "data": [{"id": "shelf_9", "name": "x"}]})

    result = invoke(httpserver, "shelves", "list", "-o", "limit=1")

    assert result.exit_code == 0 and "shelf_9" in result.output
    assert query(last(httpserver)) == {"limit": ["1"]}


def test_an_argument_written_as_json_is_sent_as_json(shelves: None, httpserver: HTTPServer) -> None:
    answer(httpserver, {"object": "list", "data": []})
    answer(httpserver, {"object": "list", "data": []})

    invoke(httpserver, "shelves", "search", "shelf_1", '{"text": "otters", "near": [1, 2]}')
    assert json.loads(last(httpserver).get_data())["query"] == {"text": "otters", "near": [1, 2]}

    result = invoke(httpserver, "shelves", "search", "shelf_1", "{not json")
    assert result.exit_code == 2 and "not valid JSON" in result.output
    assert len(httpserver.log) == 1
