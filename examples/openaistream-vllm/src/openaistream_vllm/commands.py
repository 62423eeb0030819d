"""``openaistream vllm ...``, built from the helpers the core's CLI gives plugins: a command
for each one-line method of ``client.vllm`` whose arguments are words (``tokenize PROMPT``),
and by hand those that take numbers or lists. Each runs with the global options applied
(key, base URL, proxy, verbosity, --json)."""

from __future__ import annotations

from typing import Any

import click

from openaistream.cli import JSON_OPTION, State, operations_group

from .resource import Vllm

# Their arguments are lists, which read better in Python than as command-line words.
_BY_HAND = ("tokenize_chat", "detokenize", "rerank")


def vllm_group() -> Any:
    group = operations_group(
        "vllm", "vllm", Vllm, "A vLLM server's extra endpoints.", skip=_BY_HAND
    )
    group.add_command(detokenize)
    group.add_command(fits)
    return group


@click.command("detokenize")
@click.argument("tokens", nargs=-1, required=True, type=int)
@click.option("--model", help="The model whose tokenizer to use (the server's, if it has one).")
@JSON_OPTION
@click.pass_obj
def detokenize(state: State, tokens: tuple[int, ...], model: str, json_output: bool) -> None:
    """The text of the token IDs TOKENS."""
    options = {"model": model} if model else {}
    answer = state.client().vllm.detokenize(list(tokens), **options)
    state.emit(answer if json_output else answer["prompt"], json_output=json_output)


@click.command("fits")
@click.argument("prompt")
@click.option("--max-tokens", type=click.IntRange(min=0), required=True, help="Room to leave.")
@click.option("--model", help="The model whose context to measure.")
@click.pass_obj
def fits(state: State, prompt: str, max_tokens: int, model: str) -> None:
    """Whether PROMPT leaves room for --max-tokens in the model's context (exit 1 if not)."""
    options = {"model": model} if model else {}
    answer = state.client().vllm.fits(prompt, max_tokens, **options)
    click.echo(f"{answer['count']} + {max_tokens} of {answer['max_model_len']} tokens")
    if not answer["fits"]:
        raise SystemExit(1)
