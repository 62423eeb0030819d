"""`openaistream responses create|retrieve|delete|cancel|input-items|input-tokens|compact`:
`create` prints the text as it streams."""

from __future__ import annotations

from typing import Any, Optional

import click

from openaistream.cli import (
    JSON_OPTION,
    PARAMS_OPTION,
    CommandGroup,
    State,
    call_command,
    parse_params,
    print_stream,
)

# Old command names, kept working: the commands are named after the methods.
COMMAND_ALIASES = {"get": "retrieve"}


def command() -> click.Command:
    """The `responses` group."""
    group = CommandGroup("responses", help="The Responses API.", aliases=COMMAND_ALIASES)
    group.add_command(create)
    for name, method, help_text in (
        ("retrieve", "retrieve", "Show a response."),
        ("delete", "delete", "Delete a response."),
        ("cancel", "cancel", "Cancel a background response."),
        ("input-items", "input_items", "List a response's input items."),
    ):
        group.add_command(call_command(name, "responses", method, ["response_id"], help=help_text))
    group.add_command(
        call_command(
            "input-tokens",
            "responses",
            "input_tokens",
            help="Count the input tokens of a response: -o model=... -o input=...",
        )
    )
    group.add_command(
        call_command(
            "compact",
            "responses",
            "compact",
            ["model"],
            help="Compact a conversation: -o input=[...] or -o previous_response_id=...",
        )
    )
    return group


@click.command("create")
@click.argument("input")
@click.option("-m", "--model", default="gpt-4o-mini", show_default=True)
@click.option("--no-stream", is_flag=True, help="Wait for the whole response.")
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def create(
    state: State,
    input: str,
    model: str,
    no_stream: bool,
    params: tuple[str, ...],
    json_output: bool,
) -> None:
    """Create a response to INPUT and print its text as it streams."""
    taken = {"model": "-m/--model", "input": "INPUT", "stream": "--no-stream"}
    options = parse_params(params, taken=taken)
    client = state.client()
    if no_stream:
        state.emit(client.responses.create(model, input, **options))
        return
    with client.responses.create(model, input, stream=True, **options) as stream:
        print_stream(stream, _delta_text, json_output or state.json_output)


def _delta_text(event: dict[str, Any]) -> Optional[str]:
    if event.get("event") == "response.output_text.delta":
        return str(event["data"].get("delta", ""))
    return None
