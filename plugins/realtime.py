"""The `realtime` resource: the REST side of the Realtime API. Client secrets (the
short-lived keys a browser or phone app connects with), the older session endpoints, and
calls: a WebRTC call set up by your server (`calls_create`) and the SIP calls it answers
(accept, reject, refer, hang up).

Not here: the Realtime session itself, a WebSocket (or WebRTC) connection that streams events
both ways for as long as it lasts, not a request and its answer. A browser or app connects on
its own with a client secret made here; a server program uses a WebSocket library.

Paths from the OpenAPI spec: `POST /realtime/client_secrets`,
`POST /realtime/translations/client_secrets`, `POST /realtime/sessions`,
`POST /realtime/transcription_sessions`, `POST /realtime/calls` and
`POST /realtime/calls/{call_id}/accept|hangup|refer|reject`.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

import openaistream
from openaistream.operation import operation
from openaistream.resource import check_text

_CALL = "/realtime/calls/{call_id}"


class Realtime(openaistream.Resource):
    """The REST side of the Realtime API: client secrets, the older session endpoints, and calls
    (WebRTC calls set up by your server, SIP calls answered), as `client.realtime`.

    Not the Realtime session itself, a WebSocket (or WebRTC) connection carrying events both
    ways: make a client secret here, on your server, for a browser or app to connect with.
    Names are openai-python's, flattened (`client_secrets.create` is `client_secrets_create`).
    What `calls_create` returns is OpenAI's SDP answer, as text; the call's ID is in its
    `Location` header.

    ```python
    secret = client.realtime.client_secrets_create(
        session={"type": "realtime", "model": "gpt-realtime"}
    )
    send_to_the_browser(secret["value"])  # ek_..., never your API key
    ```
    """

    endpoint = "/realtime"

    client_secrets_create = operation(
        "POST",
        "/realtime/client_secrets",
        doc="A client secret (ek_...) for a browser or app, with its session's settings.",
    )
    translations_client_secrets_create = operation(
        "POST",
        "/realtime/translations/client_secrets",
        "session",
        doc="A client secret for a translation session (session: its model and audio).",
    )
    # The spec marks ``client_secret`` required here, but its schema is the key the answer
    # holds (and the spec's own example leaves it out): it is not asked for.
    sessions_create = operation(
        "POST",
        "/realtime/sessions",
        doc="A session and its ephemeral key (the older endpoint: see client_secrets_create).",
    )
    transcription_sessions_create = operation(
        "POST",
        "/realtime/transcription_sessions",
        doc="A transcription session and its ephemeral key (the older endpoint).",
    )
    calls_accept = operation(
        "POST",
        _CALL + "/accept",
        "type",
        doc='Answer an incoming SIP call; type is "realtime", the rest set the session.',
    )
    calls_refer = operation(
        "POST",
        _CALL + "/refer",
        "target_uri",
        doc="Transfer a SIP call to target_uri (tel:+14155550123, sip:agent@example.com).",
    )
    calls_reject = operation(
        "POST",
        _CALL + "/reject",
        doc="Decline an incoming SIP call (status_code: 603 unless given).",
    )

    calls_hangup = operation(
        "POST", _CALL + "/hangup", body=False, doc="End a call, SIP or WebRTC."
    )

    def calls_create(
        self,
        sdp: str,
        *,
        session: Optional[dict[str, Any]] = None,
        verbosity: Optional[int] = None,
    ) -> Any:
        """Start a WebRTC call from your server: `sdp` is the caller's SDP offer, `session`
        the session's settings (`{"type": "realtime", "model": "gpt-realtime"}`). The answer
        is OpenAI's SDP answer, as text; the call's id is in its `Location` header
        (`client.realtime.with_raw_response.calls_create(...).headers["location"]`,
        `/v1/realtime/calls/rtc_...`).

        `POST /realtime/calls` as a form: the offer as `application/sdp`, the session
        as `application/json`, as the spec declares them."""
        from openaistream.multipart import Multipart  # only calls that send a form load it

        fields = {"sdp": check_text("sdp", sdp)}
        types = {"sdp": "application/sdp"}
        if session is not None:
            if not isinstance(session, dict):
                raise TypeError(f"session must be a dict, not {type(session).__name__}")
            fields["session"] = json.dumps(session, ensure_ascii=False, separators=(",", ":"))
            types["session"] = "application/json"
        form = Multipart(fields, {}, content_types=types)
        accept = {"Accept": "application/sdp"}
        return self.request(
            "POST",
            "/realtime/calls",
            multipart=form,
            headers=accept,
            parse="text",
            verbosity=verbosity,
        )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("realtime", Realtime)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.realtime import command  # only the command line loads click

    cli.add_command(command())
