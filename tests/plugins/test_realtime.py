"""client.realtime beyond its plain operations, on both clients: a WebRTC call's SDP offer and
session sent as a form of typed parts, its SDP answer read as text and the call id in the
Location header, a hang-up that sends no body, the errors of a bad call before any network,
and the ``realtime`` commands."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any, Optional

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as ServerRequest

from openaistream.cli import cli
from tests.conftest import API_KEY
from tests.plugins.calls.realtime import CALL, OFFER
from tests.support.api import answer, last
from tests.support.cli import cli_runner, shown

ANSWER = "v=0\r\no=- 4227147428 1719357865 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=mid:0\r\n"
LOCATION = {"Location": f"/v1/realtime/calls/{CALL}"}


def answer_sdp(httpserver: HTTPServer) -> None:
    answer(
        httpserver, ANSWER.encode(), status=201, content_type="application/sdp", headers=LOCATION
    )


def parts(request: ServerRequest) -> list[tuple[str, str, bytes]]:
    """(content-disposition, content-type, payload) of every part of a form, as sent."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode() + request.get_data()
    )
    return [
        (part["Content-Disposition"], part["Content-Type"], part.get_payload(decode=True))
        for part in message.iter_parts()
    ]


def test_calls_create_sends_the_offer_and_session_as_typed_parts_and_reads_the_answer(
    httpserver: HTTPServer, client: Any
) -> None:
    answer_sdp(httpserver)
    session = {"type": "realtime", "model": "gpt-realtime", "instructions": "Sé breve."}

    assert client.realtime.calls_create(OFFER, session=session) == ANSWER

    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/realtime/calls")
    assert request.headers["Accept"] == "application/sdp"
    assert request.mimetype == "multipart/form-data"
    sent = parts(request)
    assert sent == [
        ('form-data; name="sdp"', "application/sdp", OFFER.encode()),
        ('form-data; name="session"', "application/json", sent[1][2]),
    ]
    assert json.loads(sent[1][2]) == session  # as JSON, not flattened to session[type]
    assert b"filename" not in request.get_data()  # text parts, not files


def test_calls_create_with_the_offer_alone_is_still_a_form(
    httpserver: HTTPServer, client: Any
) -> None:
    """With an API key the form is the request (the raw application/sdp body is for a
    browser's ephemeral key)."""
    answer_sdp(httpserver)
    client.realtime.calls_create(OFFER)
    assert parts(last(httpserver)) == [('form-data; name="sdp"', "application/sdp", OFFER.encode())]


def test_the_call_id_is_in_the_location_of_the_raw_response(
    httpserver: HTTPServer, client: Any
) -> None:
    answer_sdp(httpserver)
    raw = client.realtime.with_raw_response.calls_create(OFFER)
    assert raw.status == 201
    assert raw.headers["location"].rsplit("/", 1)[-1] == CALL
    assert raw.parse() == ANSWER


def test_calls_hangup_sends_no_body(httpserver: HTTPServer, client: Any) -> None:
    answer(httpserver, b"", content_type="text/plain")
    client.realtime.calls_hangup(CALL)
    request = last(httpserver)
    assert (request.method, request.path) == ("POST", f"/v1/realtime/calls/{CALL}/hangup")
    assert request.get_data() == b""
    assert "Content-Type" not in request.headers


def test_a_bad_call_is_refused_by_name_before_any_network(
    httpserver: HTTPServer, client: Any
) -> None:
    realtime = client.realtime
    with pytest.raises(ValueError, match="sdp must not be empty"):
        realtime.calls_create("")
    with pytest.raises(TypeError, match="sdp must be a string"):
        realtime.calls_create(OFFER.encode())
    with pytest.raises(TypeError, match="session must be a dict, not str"):
        realtime.calls_create(OFFER, session='{"type": "realtime"}')
    with pytest.raises(TypeError, match="unexpected keyword argument 'model'"):
        realtime.calls_create(OFFER, model="gpt-realtime")
    with pytest.raises(TypeError, match="calls_accept\\(\\): missing a required argument: 'type'"):
        realtime.calls_accept(CALL)
    with pytest.raises(TypeError, match="missing a required argument: 'session'"):
        realtime.translations_client_secrets_create()
    with pytest.raises(ValueError, match=r"call_id must not be '\.\.'"):
        realtime.calls_hangup("..")
    with pytest.raises(TypeError, match="target_uri is required, not None"):
        realtime.calls_refer(CALL, None)
    assert httpserver.log == []


def test_the_session_is_sent_in_the_body_of_client_secrets_create(
    httpserver: HTTPServer, client: Any
) -> None:
    secret = {"value": "ek_68af296e8e408191a1120ab6383263c2", "expires_at": 1756310470}
    answer(httpserver, secret)
    session = {"type": "realtime", "model": "gpt-realtime"}
    assert client.realtime.client_secrets_create(session=session) == secret
    assert json.loads(last(httpserver).get_data()) == {"session": session}


def invoke(httpserver: HTTPServer, *args: str, input: Optional[str] = None) -> Any:
    base = ["--api-key", API_KEY, "--base-url", httpserver.url_for("/v1")]
    return cli_runner().invoke(cli, [*base, "realtime", *args], input=input, catch_exceptions=False)


def test_the_calls_create_command_prints_the_answer_and_the_call_id(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    offer = tmp_path / "offer.sdp"
    offer.write_bytes(OFFER.encode())
    answer_sdp(httpserver)
    session = '{"type":"realtime","model":"gpt-realtime"}'

    result = invoke(httpserver, "calls-create", str(offer), "--session", session)

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == ANSWER.encode()  # its CRLFs kept, as the offer's are
    assert result.stderr == f"call: {CALL}\n"
    sent = parts(last(httpserver))
    assert [part[2] for part in sent] == [OFFER.encode(), session.encode()]


def test_the_commands_take_json_where_the_api_wants_an_object(httpserver: HTTPServer) -> None:
    answer(httpserver, {"value": "ek_1"})
    session = '{"model":"gpt-realtime-translate","audio":{"output":{"language":"es"}}}'
    result = invoke(
        httpserver, "translations-client-secrets-create", session, "-o", "expires_after=null"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(last(httpserver).get_data()) == {
        "session": json.loads(session),
        "expires_after": None,
    }
    for bad in ("calls-create - --session [1]", "translations-client-secrets-create {x"):
        result = cli_runner().invoke(
            cli, ["--api-key", API_KEY, "realtime", *bad.split(" ")], input=OFFER
        )
        assert result.exit_code == 2
        assert "not JSON" in shown(result) or "must be a JSON object" in shown(result)
    result = cli_runner().invoke(
        cli, ["--api-key", API_KEY, "realtime", "calls-create", "-"], input=b"\xff\xfe"
    )
    assert result.exit_code == 2
    assert "OFFER" in shown(result) and "not UTF-8" in shown(result)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("args", "path", "body"),
    [
        (["calls-hangup", CALL], f"/v1/realtime/calls/{CALL}/hangup", None),
        (["calls-reject", CALL, "-o", "status_code=486"], f"/v1/realtime/calls/{CALL}/reject",
         {"status_code": 486}),
        (["calls-accept", CALL, "realtime", "-o", "model=gpt-realtime"],
         f"/v1/realtime/calls/{CALL}/accept", {"type": "realtime", "model": "gpt-realtime"}),
        (["calls-refer", CALL, "sip:agent@example.com"], f"/v1/realtime/calls/{CALL}/refer",
         {"target_uri": "sip:agent@example.com"}),
        (["client-secrets-create", "-o", 'session={"type":"realtime"}'],
         "/v1/realtime/client_secrets", {"session": {"type": "realtime"}}),
    ],
)  # fmt: skip
def test_each_command_sends_its_request(
    httpserver: HTTPServer, args: list[str], path: str, body: Any
) -> None:
    answer(httpserver, {"ok": True})
    result = invoke(httpserver, *args)
    assert result.exit_code == 0, result.output
    request = last(httpserver)
    assert (request.method, request.path) == ("POST", path)
    assert (None if body is None else json.loads(request.get_data())) == body
