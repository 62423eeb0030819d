"""``client.webhooks``: the Standard Webhooks signatures OpenAI sends, verified on both clients
(plain methods on both: nothing to await), with no network but the end-to-end test's own.

The test vector is the Standard Webhooks project's (github.com/standard-webhooks/standard-webhooks,
the signing test its libraries share: ``libraries/python/tests/test_webhooks.py``
``test_sign_function``, the same in ``libraries/go/webhook_test.go`` and
``libraries/javascript/src/webhook.test.ts``): the secret, message id, timestamp and body
below sign to ``v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=``. The extra entries of
the multi-signature case (``Ceo5...``, one of them a ``v2``) and the near-miss signature
(``...1OA=``) are from the same tests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

import openaistream
from openaistream import InvalidWebhookSignatureError
from tests.conftest import API_KEY

# The Standard Webhooks signing vector (see the module docstring).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KEY_TEXT = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the secret without its prefix
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = '{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
NEAR_MISS = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="  # one character off
OTHER = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="  # a signature of something else

# What no message or repr may show.
HIDDEN = [SECRET, KEY_TEXT, SIGNATURE[3:], OTHER]


def headers(signature: str = SIGNATURE, **changed: str) -> dict[str, str]:
    found = {"webhook-id": MSG_ID, "webhook-timestamp": str(TIMESTAMP)}
    found["webhook-signature"] = signature
    found.update({name.replace("_", "-"): value for name, value in changed.items()})
    return found


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """A v1 signature, computed here to build cases the vector does not cover."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


@pytest.fixture
def webhooks(make_client: Any) -> Any:
    """``client.webhooks`` of each kind, its clock stopped at the vector's timestamp."""
    resource = make_client(api_key=API_KEY).webhooks
    resource._clock = lambda: float(TIMESTAMP)
    return resource


def refused(webhooks: Any, *args: Any, match: str, **kwargs: Any) -> Exception:
    """The error ``verify_signature`` raises, checked to show no secret or signature."""
    with pytest.raises(InvalidWebhookSignatureError, match=match) as caught:
        webhooks.verify_signature(*args, **kwargs)
    shown = str(caught.value) + repr(caught.value)
    assert not [hidden for hidden in HIDDEN if hidden in shown]
    return caught.value


# -- the vectors -----------------------------------------------------------------------------


def test_the_standard_webhooks_vector_verifies(webhooks: Any) -> None:
    assert webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET) is None
    assert webhooks.verify_signature(PAYLOAD.encode(), headers(), secret=SECRET) is None
    assert webhooks.verify_signature(bytearray(PAYLOAD.encode()), headers(), secret=SECRET) is None


def test_unwrap_returns_the_event_as_a_dict(webhooks: Any) -> None:
    assert webhooks.unwrap(PAYLOAD, headers(), secret=SECRET) == {"test": 2432232314}
    assert webhooks.unwrap(PAYLOAD.encode(), headers(), secret=SECRET) == {"test": 2432232314}


def test_the_vectors_near_miss_is_refused(webhooks: Any) -> None:
    refused(webhooks, PAYLOAD, headers(NEAR_MISS), secret=SECRET, match="no webhook signature")


def test_any_v1_signature_of_several_may_match(webhooks: Any) -> None:
    # The vectors' own list: a v1 of something else, a v2, the valid one, another v1.
    listed = f"v1,{OTHER} v2,{OTHER} {SIGNATURE} v1,{OTHER}"
    assert webhooks.verify_signature(PAYLOAD, headers(listed), secret=SECRET) is None
    # Only the second of two matches (a secret being rotated).
    second = headers(f"v1,{OTHER} {SIGNATURE}")
    assert webhooks.verify_signature(PAYLOAD, second, secret=SECRET) is None
    neither = headers(f"v1,{OTHER} v1,{OTHER}")
    refused(webhooks, PAYLOAD, neither, secret=SECRET, match="no webhook signature")


def test_an_entry_of_another_version_is_not_checked(webhooks: Any) -> None:
    # The right bytes, labelled v2 (or with no label): not a v1 signature, so not accepted.
    refused(webhooks, PAYLOAD, headers("v2," + SIGNATURE[3:]), secret=SECRET, match="no v1")
    refused(webhooks, PAYLOAD, headers(SIGNATURE[3:]), secret=SECRET, match="no v1")
    others = headers(f"v1a,{OTHER} v2,{SIGNATURE[3:]}")
    refused(webhooks, PAYLOAD, others, secret=SECRET, match="no v1")


# -- what a forger changes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, changed",
    [
        ('{"test": 2432232315}', {}),  # the body
        (PAYLOAD + "\n", {}),  # the body re-serialized, or a newline added
        (PAYLOAD, {"webhook_id": "msg_p5jXN8AQM9LWM0D4loKWxJeK"}),  # the id
        (PAYLOAD, {"webhook_timestamp": str(TIMESTAMP + 1)}),  # the timestamp, within range
    ],
    ids=["body", "body-newline", "id", "timestamp"],
)
def test_a_tampered_request_is_refused(
    webhooks: Any, payload: str, changed: dict[str, str]
) -> None:
    refused(webhooks, payload, headers(**changed), secret=SECRET, match="no webhook signature")


def test_a_wrong_secret_is_refused(webhooks: Any) -> None:
    other = "whsec_" + base64.b64encode(b"another endpoint's key, 32 bytes").decode()
    refused(webhooks, PAYLOAD, headers(), secret=other, match="no webhook signature")


# -- time ------------------------------------------------------------------------------------


def test_a_timestamp_at_the_tolerance_either_way_is_accepted(webhooks: Any) -> None:
    for now in (TIMESTAMP + 300, TIMESTAMP - 300):
        webhooks._clock = lambda now=now: float(now)
        assert webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET) is None


def test_an_old_webhook_is_refused_as_too_old(webhooks: Any) -> None:
    webhooks._clock = lambda: float(TIMESTAMP + 301)
    error = refused(webhooks, PAYLOAD, headers(), secret=SECRET, match="too old")
    assert "301 seconds ago" in str(error)


def test_a_webhook_from_the_future_is_refused_as_such(webhooks: Any) -> None:
    webhooks._clock = lambda: float(TIMESTAMP - 301)
    error = refused(webhooks, PAYLOAD, headers(), secret=SECRET, match="in the future")
    assert "301 seconds ahead" in str(error)
    assert "too old" not in str(error)


def test_the_tolerance_is_the_callers(webhooks: Any) -> None:
    webhooks._clock = lambda: float(TIMESTAMP + 11)
    refused(webhooks, PAYLOAD, headers(), secret=SECRET, tolerance=10, match="too old")
    assert webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET, tolerance=11.5) is None


def test_a_stale_webhook_with_a_bad_signature_is_refused_for_its_signature(webhooks: Any) -> None:
    # The signature is checked first: "too old" says the message was authentic.
    webhooks._clock = lambda: float(TIMESTAMP + 10_000)
    refused(webhooks, "{}", headers(), secret=SECRET, match="no webhook signature")


# -- the headers -----------------------------------------------------------------------------


def test_header_names_are_read_in_any_case_from_a_mapping_or_pairs(webhooks: Any) -> None:
    mixed = {
        "Webhook-Id": MSG_ID,
        "WEBHOOK-TIMESTAMP": str(TIMESTAMP),
        "Webhook-Signature": SIGNATURE,
    }
    assert webhooks.unwrap(PAYLOAD, mixed, secret=SECRET) == {"test": 2432232314}
    pairs = [("Content-Type", "application/json"), *mixed.items()]
    assert webhooks.unwrap(PAYLOAD, pairs, secret=SECRET) == {"test": 2432232314}
    # As an ASGI server hands them over: byte strings.
    raw = [(name.lower().encode(), value.encode()) for name, value in pairs]
    assert webhooks.unwrap(PAYLOAD.encode(), raw, secret=SECRET) == {"test": 2432232314}


def test_signature_headers_sent_twice_are_one_list(webhooks: Any) -> None:
    pairs = [*headers(f"v1,{OTHER}").items(), ("Webhook-Signature", SIGNATURE)]
    assert webhooks.verify_signature(PAYLOAD, pairs, secret=SECRET) is None


def test_an_id_sent_twice_with_different_values_is_refused(webhooks: Any) -> None:
    pairs = [*headers().items(), ("Webhook-Id", "msg_other")]
    refused(webhooks, PAYLOAD, pairs, secret=SECRET, match="webhook-id header is sent 2 times")


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_or_empty_header_is_named(webhooks: Any, name: str) -> None:
    missing = {key: value for key, value in headers().items() if key != name}
    refused(webhooks, PAYLOAD, missing, secret=SECRET, match=f"the {name} header is missing")
    blank = {**headers(), name: " "}
    refused(webhooks, PAYLOAD, blank, secret=SECRET, match=f"{name} header is missing or empty")


@pytest.mark.parametrize("timestamp", ["hello", "1614265330.0", "-1614265330", "1e9", "١٦١٤٢٦٥٣٣٠"])
def test_a_timestamp_that_is_not_whole_seconds_is_refused(webhooks: Any, timestamp: str) -> None:
    given = headers(webhook_timestamp=timestamp)
    refused(webhooks, PAYLOAD, given, secret=SECRET, match="not a whole number of seconds")


# -- the secret ------------------------------------------------------------------------------


def test_the_secret_comes_from_the_environment(
    webhooks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    assert webhooks.unwrap(PAYLOAD, headers()) == {"test": 2432232314}
    # The argument comes first.
    wrong = "whsec_" + base64.b64encode(b"x" * 32).decode()
    refused(webhooks, PAYLOAD, headers(), secret=wrong, match="no webhook signature")
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", wrong)
    assert webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET) is None


def test_the_clients_webhook_secret_comes_before_the_environment(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(api_key=API_KEY, webhook_secret=SECRET)  # as in openai-python
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", "whsec_" + base64.b64encode(b"x" * 32).decode())
    client.webhooks._clock = lambda: float(TIMESTAMP)
    assert client.webhooks.verify_signature(PAYLOAD, headers()) is None


def test_no_secret_anywhere_says_where_to_put_one(webhooks: Any) -> None:
    told = "no webhook secret: pass secret=, or set the OPENAI_WEBHOOK_SECRET"
    with pytest.raises(ValueError, match=told):
        webhooks.verify_signature(PAYLOAD, headers())


def test_a_secret_read_with_its_newline_works(webhooks: Any) -> None:
    assert webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET + "\n") is None


def test_a_secret_without_the_prefix_is_its_own_text_as_in_openai_python(webhooks: Any) -> None:
    plain = "a-plain-secret-of-my-own"
    signature = sign(plain.encode(), MSG_ID, TIMESTAMP, PAYLOAD.encode())
    assert webhooks.verify_signature(PAYLOAD, headers(signature), secret=plain) is None
    # Not base64-decoded, as the Standard Webhooks libraries would: the vector's key text
    # without its prefix is another key.
    refused(webhooks, PAYLOAD, headers(), secret=KEY_TEXT, match="no webhook signature")


@pytest.mark.parametrize(
    "secret, error, match",
    [
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", ValueError, "after whsec_ it must be base64"),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwx", ValueError, "after whsec_ it must be base64"),
        ("whsec_", ValueError, "no key after whsec_"),
        ("", ValueError, "the webhook secret is empty"),
        (b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", TypeError, "must be a string, not bytes"),
    ],
    ids=["bad-character", "bad-length", "no-key", "empty", "bytes"],
)
def test_a_bad_secret_is_a_clear_error_that_does_not_show_it(
    webhooks: Any, secret: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match) as caught:
        webhooks.verify_signature(PAYLOAD, headers(), secret=secret)
    assert not isinstance(caught.value, InvalidWebhookSignatureError)  # ours, not the sender's
    assert "MfKQ9r8" not in str(caught.value) + repr(caught.value)
    # Nor does a chained cause (base64's error) show it.
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_nothing_shows_the_secret(webhooks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    assert not [hidden for hidden in HIDDEN if hidden in repr(webhooks)]


# -- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, given, match",
    [
        ({"test": 1}, headers(), "payload must be the request body as str or bytes, not dict"),
        (PAYLOAD, "webhook-id: x", "headers must be the request's headers"),
        (PAYLOAD, None, "headers must be the request's headers"),
        (PAYLOAD, [("webhook-id",)], r"\(name, value\) pairs"),
        (PAYLOAD, {"webhook-id": 5}, "the webhook-id header must be str or bytes, not int"),
    ],
)
def test_a_wrong_argument_is_a_type_error_naming_it(
    webhooks: Any, payload: Any, given: Any, match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        webhooks.verify_signature(payload, given, secret=SECRET)


@pytest.mark.parametrize(
    "tolerance, error",
    [
        (True, TypeError),
        ("300", TypeError),
        (-1, ValueError),
        (float("inf"), ValueError),
    ],
)
def test_a_wrong_tolerance_is_refused(
    webhooks: Any, tolerance: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="tolerance must be"):
        webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET, tolerance=tolerance)


def test_the_methods_are_plain_on_the_async_client() -> None:
    """Not through the blocking face of the other tests (it would hide an awaitable)."""

    async def use() -> Any:
        async with openaistream.AsyncOpenAI(API_KEY) as client:
            client.webhooks._clock = lambda: float(TIMESTAMP)
            assert client.webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET) is None
            return client.webhooks.unwrap(PAYLOAD, headers(), secret=SECRET)

    assert asyncio.run(use()) == {"test": 2432232314}


def test_the_error_is_an_openai_error_and_a_value_error() -> None:
    assert issubclass(InvalidWebhookSignatureError, openaistream.OpenAIError)
    assert issubclass(InvalidWebhookSignatureError, ValueError)  # as openai-python's


# -- end to end ------------------------------------------------------------------------------


def test_a_plain_http_handler_verifies_a_posted_webhook(make_client: Any) -> None:
    """A webhook POSTed to a local http.server endpoint, verified there with the client, as
    docs/webhooks.md shows; the timestamp is now, the clock the real one."""
    client = make_client(api_key=API_KEY)
    seen: list[Any] = []

    class Endpoint(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                event = client.webhooks.unwrap(body, self.headers, secret=SECRET)
            except InvalidWebhookSignatureError as error:
                seen.append(str(error))
                self.send_response(400)
            else:
                seen.append(event)
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
        now = int(time.time())
        body = json.dumps({"id": "evt_1", "type": "response.completed", "data": {"id": "resp_1"}})
        key = base64.b64decode(SECRET[len("whsec_") :])
        signed = {
            "Webhook-Id": "wh_123",
            "Webhook-Timestamp": str(now),
            "Webhook-Signature": sign(key, "wh_123", now, body.encode()),
            "Content-Type": "application/json",
        }
        assert post(url, body.encode(), signed) == 200
        assert post(url, body.replace("resp_1", "resp_2").encode(), signed) == 400
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert seen[0] == {"id": "evt_1", "type": "response.completed", "data": {"id": "resp_1"}}
    assert seen[1].startswith("no webhook signature matches")


def post(url: str, body: bytes, sent: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=sent, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, direct
    try:
        with opener.open(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


# -- the command line ------------------------------------------------------------------------


def cli_run(
    capsys: pytest.CaptureFixture[str], body: Any, *args: str, tolerance: str = "1e9"
) -> tuple[int, str, str]:
    """``openaistream webhooks ...`` on the vector's body (a file), as a user runs it; a
    tolerance wide enough for a vector from 2021 unless given."""
    from openaistream.cli import main

    code = main(["webhooks", *args, str(body), "--tolerance", tolerance])
    out, err = capsys.readouterr()
    return code, out, err


VECTOR_HEADERS = [f"-H{name}: {value}" for name, value in headers().items()]


@pytest.fixture
def body(tmp_path: Any) -> Any:
    path = tmp_path / "body.json"
    path.write_bytes(PAYLOAD.encode())
    return path


def test_the_command_line_unwraps_a_saved_webhook(
    body: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)  # and no API key: none is needed
    code, out, err = cli_run(capsys, body, "unwrap", *VECTOR_HEADERS)
    assert (code, json.loads(out), err) == (0, {"test": 2432232314}, "")
    code, out, err = cli_run(capsys, body, "verify-signature", *VECTOR_HEADERS)
    assert (code, out, err) == (0, "valid\n", "")


def test_the_command_line_refuses_what_does_not_verify(
    body: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    code, out, err = cli_run(capsys, body, "unwrap", *VECTOR_HEADERS, tolerance="300")
    assert (code, out) == (1, "")
    assert err.startswith("Error: the webhook is too old")
    tampered = [*VECTOR_HEADERS[:2], f"-Hwebhook-signature: {NEAR_MISS}"]
    code, out, err = cli_run(capsys, body, "verify-signature", *tampered)
    assert (code, out) == (1, "")
    assert err.startswith("Error: no webhook signature matches")
    assert not [hidden for hidden in [*HIDDEN, NEAR_MISS[3:]] if hidden in err]


def test_the_command_line_needs_the_secret_in_the_environment(
    body: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli_run(capsys, body, "unwrap", *VECTOR_HEADERS)
    assert (code, out) == (2, "")
    assert "OPENAI_WEBHOOK_SECRET" in err


def test_the_command_line_refuses_a_header_without_a_colon(
    body: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    code, _, err = cli_run(capsys, body, "unwrap", "-H", "webhook-signature " + SIGNATURE)
    assert code == 2
    assert "'NAME: VALUE'" in err
    assert SIGNATURE[3:] not in err


def test_the_clients_webhook_secret_shows_nowhere_and_goes_with_with_options(
    make_client: Any,
) -> None:
    client = make_client(api_key=API_KEY, webhook_secret=SECRET, base_url="http://127.0.0.1:9/v1")
    derived = client.with_options(timeout=3)
    derived.webhooks._clock = lambda: float(TIMESTAMP)

    assert derived.webhooks.verify_signature(PAYLOAD, headers()) is None
    assert SECRET not in repr(client) and SECRET not in repr(derived.webhooks)


def test_a_local_method_takes_no_per_call_options(webhooks: Any) -> None:
    with pytest.raises(TypeError, match="extra_headers"):
        webhooks.verify_signature(PAYLOAD, headers(), secret=SECRET, extra_headers={})
