"""`openaistream webhooks unwrap|verify-signature`: check a saved webhook request (its body
and headers) against the endpoint's secret, from `OPENAI_WEBHOOK_SECRET`."""

from __future__ import annotations

from typing import BinaryIO

import click

from openaistream.cli import State
from openaistream.plugins.webhooks import TOLERANCE, resolve_secret, unwrap, verify_signature

BODY = click.argument("body", type=click.File("rb"), default="-")
HEADERS = click.option(
    "-H",
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="A header of the request (webhook-id, webhook-timestamp, webhook-signature).",
)
TOLERANCE_OPTION = click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=TOLERANCE,
    show_default=True,
    help="Seconds the timestamp may be from now, either way.",
)
# The secret comes only from the environment: on a command line it would be in the
# shell's history and in every process listing.
SECRET_HELP = "The secret is read from OPENAI_WEBHOOK_SECRET."


def command() -> click.Command:
    """The `webhooks` group."""
    group = click.Group("webhooks", help="Check the webhooks OpenAI sends (no API call).")
    group.add_command(unwrap_command)
    group.add_command(verify_command)
    return group


@click.command("unwrap", help=f"Verify the webhook whose body is BODY (- for stdin) and print "
                              f"its event. {SECRET_HELP}")  # fmt: skip
@BODY
@HEADERS
@TOLERANCE_OPTION
@click.pass_obj
def unwrap_command(
    state: State, body: BinaryIO, headers: tuple[str, ...], tolerance: float
) -> None:
    event = unwrap(body.read(), _pairs(headers), secret=resolve_secret(None), tolerance=tolerance)
    state.emit(event, json_output=True)


@click.command("verify-signature", help=f"Verify the webhook whose body is BODY (- for stdin): "
                                        f"exit 0 if it is OpenAI's. {SECRET_HELP}")  # fmt: skip
@BODY
@HEADERS
@TOLERANCE_OPTION
def verify_command(body: BinaryIO, headers: tuple[str, ...], tolerance: float) -> None:
    verify_signature(body.read(), _pairs(headers), secret=resolve_secret(None), tolerance=tolerance)
    click.echo("valid")


def _pairs(headers: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            # Not shown: it may hold a signature.
            raise click.BadParameter("a header is not 'NAME: VALUE'", param_hint="-H")
        pairs.append((name.strip(), value.strip()))
    return pairs
