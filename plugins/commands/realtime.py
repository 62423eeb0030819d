"""`openaistream realtime client-secrets-create|calls-create|calls-accept|...`: one
command per method of the Realtime API's REST side (not the WebSocket session)."""

from __future__ import annotations

import json
from typing import Any, Optional

import click

from openaistream.cli import (
    JSON_OPTION,
    PARAMS_OPTION,
    State,
    call_command,
    operations_group,
    parse_params,
)
from openaistream.plugins.realtime import Realtime

# Their required argument is a JSON object, which a plain argument cannot be.
_BY_HAND = ("translations_client_secrets_create",)


def command() -> click.Command:
    """The `realtime` group."""
    help = "The Realtime API's requests: client secrets and calls."
    group = operations_group("realtime", "realtime", Realtime, help, skip=_BY_HAND)
    group.add_command(
        call_command("calls-hangup", "realtime", "calls_hangup", ["call_id"], help="End a call.")
    )
    group.add_command(calls_create)
    group.add_command(translations_client_secrets_create)
    return group


def _json_object(value: str, name: str) -> dict[str, Any]:
    try:
        found = json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from None
    if not isinstance(found, dict):
        raise click.BadParameter("must be a JSON object", param_hint=name)
    return found


@click.command("calls-create")
@click.argument("offer", type=click.File("rb"))
@click.option("--session", help='The session as JSON: \'{"type":"realtime","model":"..."}\'.')
@click.pass_obj
def calls_create(state: State, offer: Any, session: Optional[str]) -> None:
    """Start a WebRTC call with the SDP offer in the file OFFER (- for stdin): prints the
    SDP answer, and the call's id on stderr."""
    settings = None if session is None else _json_object(session, "--session")
    realtime = state.client().realtime.with_raw_response
    try:  # read as bytes: an SDP's lines end in CRLF, which a text read would make LF
        sdp = offer.read().decode("utf-8")
    except UnicodeDecodeError:
        raise click.BadParameter("not UTF-8 text, as an SDP offer is", param_hint="OFFER") from None
    raw = realtime.calls_create(sdp, session=settings)
    location = raw.headers.get("location", "")
    if location:
        click.echo(f"call: {location.rsplit('/', 1)[-1]}", err=True)
    state.emit(raw.parse())


@click.command("translations-client-secrets-create")
@click.argument("session")
@PARAMS_OPTION
@JSON_OPTION
@click.pass_obj
def translations_client_secrets_create(
    state: State, session: str, params: tuple[str, ...], json_output: bool
) -> None:
    """A client secret for a translation session, SESSION as JSON
    ('{"model":"gpt-realtime-translate","audio":{"output":{"language":"es"}}}')."""
    realtime = state.client().realtime
    answer = realtime.translations_client_secrets_create(
        _json_object(session, "SESSION"), **parse_params(params, taken={"session": "SESSION"})
    )
    state.emit(answer, json_output=json_output)
