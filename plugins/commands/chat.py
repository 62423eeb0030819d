"""`openaistream chat PROMPT`: ask, and print the answer as it streams."""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import click

from openaistream.cli import JSON_OPTION, PARAMS_OPTION, State, parse_params, print_stream
from openaistream.plugins.chat import accumulate

# API parameters the chat command sets from its own arguments and options.
_SET_BY_OPTIONS = {
    "messages": "PROMPT and --system", "model": "-m/--model", "stream": "--no-stream", "n": "-n",
}  # fmt: skip


def command() -> click.Command:
    """The `chat` command."""
    return chat


@click.command("chat")
@click.argument("prompt")
@click.option("-m", "--model", default="gpt-4o-mini", show_default=True)
@click.option("--system", help="A system message before the prompt.")
@click.option("--no-stream", is_flag=True, help="Wait for the whole answer.")
@click.option("-n", type=click.IntRange(min=1), default=1, help="How many answers.")
@click.option("--max-tokens", type=click.IntRange(min=1))
@click.option("--temperature", type=float)
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def chat(
    state: State,
    prompt: str,
    model: str,
    system: Optional[str],
    no_stream: bool,
    n: int,
    max_tokens: Optional[int],
    temperature: Optional[float],
    params: tuple[str, ...],
    json_output: bool,
) -> None:
    """Ask PROMPT (- reads it from stdin) and print the answer as it streams."""
    text = sys.stdin.read() if prompt == "-" else prompt
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    given = parse_params(params, taken=_SET_BY_OPTIONS)
    options = {"max_tokens": max_tokens, "temperature": temperature, **given}
    options = {key: value for key, value in options.items() if value is not None}
    client = state.client()
    if no_stream or n > 1:
        answer = client.chat.create(messages, model, stream=not no_stream, n=n, **options)
        completion = answer if no_stream else accumulate(answer)
        if json_output or state.json_output:
            click.echo(json.dumps(completion, indent=2, ensure_ascii=False))
            return
        for choice in completion["choices"]:
            if n > 1:
                click.echo(f"--- choice {choice['index']} ---")
            click.echo(choice["message"].get("content") or "")
        return
    stream = client.chat.create(messages, model, stream=True, **options)
    with stream:
        print_stream(stream, _delta_text, json_output or state.json_output)


def _delta_text(chunk: dict[str, Any]) -> Optional[str]:
    choices = chunk.get("choices") or [{}]
    return (choices[0].get("delta") or {}).get("content")
