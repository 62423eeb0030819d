"""The `webhooks` resource: check that a webhook request came from OpenAI, and read its event.

OpenAI signs the webhooks it sends by the Standard Webhooks scheme
(https://github.com/standard-webhooks/standard-webhooks, `spec/standard-webhooks.md`):

- three headers: `webhook-id`, `webhook-timestamp` (seconds since the epoch) and
  `webhook-signature`, a space-separated list of `v1,<base64>` entries (more than one
  while a secret is being rotated; entries of other versions are not ours to check);
- each `v1` signature is the HMAC-SHA256 of `{id}.{timestamp}.{body}`, the body exactly
  as received, under the endpoint's secret;
- the secret is shown as `whsec_` and the base64 of the key. A secret without the prefix is
  taken as the key's own text (its UTF-8 bytes), as openai-python takes it; the Standard
  Webhooks libraries would base64-decode it instead, so such a secret needs its `whsec_`
  back to be read their way.

A signature is accepted when any `v1` entry matches (compared in constant time), and then
only if the timestamp is within `tolerance` seconds of now, either way: an old message
replayed, or one dated ahead, is refused. Nothing here touches the network: the methods are
plain (never awaitable) on both clients, as in openai-python.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.errors import InvalidWebhookSignatureError
from openaistream.resource import local

__all__ = ["SECRET_ENV", "TOLERANCE", "Webhooks", "resolve_secret", "unwrap", "verify_signature"]

TOLERANCE = 300  # seconds either side of now, as OpenAI and the Standard Webhooks libraries
SECRET_ENV = "OPENAI_WEBHOOK_SECRET"
_PREFIX = "whsec_"
_ID, _TIMESTAMP, _SIGNATURE = "webhook-id", "webhook-timestamp", "webhook-signature"
_SECONDS = re.compile(r"[0-9]{1,15}")  # a Unix time in whole seconds, ASCII digits only

Payload = Union[str, bytes, bytearray]
Headers = Union[Mapping[str, Any], Iterable[tuple[Any, Any]], Any]


class Webhooks(openaistream.Resource):
    """Verify the webhooks OpenAI sends to your endpoint (no API call is made):

    ```python
    event = client.webhooks.unwrap(body, request_headers)  # raises if not OpenAI's
    ```

    The secret is `secret=`, else the client's `webhook_secret` when it has one, else
    the `OPENAI_WEBHOOK_SECRET` environment variable."""

    # What "now" is: a test sets a fixed clock on the resource, no sleeping.
    _clock: Callable[[], float] = staticmethod(time.time)

    @local
    def verify_signature(
        self,
        payload: Payload,
        headers: Headers,
        *,
        secret: Optional[str] = None,
        tolerance: float = TOLERANCE,
    ) -> None:
        """Return None if `payload` (the request body exactly as received, str or bytes)
        and `headers` (any mapping, or (name, value) pairs; names in any case) are a
        webhook OpenAI signed with this endpoint's secret less than `tolerance` seconds
        ago (or ahead); raise InvalidWebhookSignatureError if not."""
        verify_signature(
            payload, headers, secret=self._secret(secret), tolerance=tolerance, now=self._clock()
        )

    @local
    def unwrap(
        self,
        payload: Payload,
        headers: Headers,
        *,
        secret: Optional[str] = None,
        tolerance: float = TOLERANCE,
    ) -> Any:
        """The event a verified webhook carries, as the JSON it is (a dict such as
        `{"id": "evt_...", "type": "response.completed", "data": {...}}`); verified as
        `verify_signature` does first, raising InvalidWebhookSignatureError if it fails."""
        return unwrap(
            payload, headers, secret=self._secret(secret), tolerance=tolerance, now=self._clock()
        )

    def _secret(self, given: Optional[str]) -> str:
        return resolve_secret(given, getattr(self.client, "webhook_secret", None))


def resolve_secret(given: Optional[str], client_secret: Optional[str] = None) -> str:
    """The secret to verify with: the one given, else the client's, else the environment's;
    none at all is a ValueError saying where to put one."""
    for secret in (given, client_secret, os.environ.get(SECRET_ENV) or None):
        if secret is not None:
            return secret
    raise ValueError(
        "no webhook secret: pass secret=, or set the OPENAI_WEBHOOK_SECRET environment "
        "variable to the endpoint's signing secret (whsec_...)"
    )


def verify_signature(
    payload: Payload,
    headers: Headers,
    *,
    secret: str,
    tolerance: float = TOLERANCE,
    now: Optional[float] = None,
) -> None:
    """[`Webhooks.verify_signature()`][openaistream.plugins.webhooks.Webhooks.verify_signature] with
    the secret given; `now` (seconds since the epoch) is the current time unless given."""
    body = _body(payload)
    key = _key(secret)
    _check_tolerance(tolerance)
    webhook_id, timestamp, signatures = _webhook_headers(headers)
    sent_at = _seconds(timestamp)
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    candidates = [entry[3:] for entry in signatures.split() if entry.startswith("v1,")]
    if not candidates:
        raise InvalidWebhookSignatureError(
            "the webhook-signature header has no v1 signature (entries are v1,<base64>)"
        )
    # Every candidate is compared in constant time; which one matched tells an attacker
    # nothing, so stopping at the first match is fine.
    if not any(hmac.compare_digest(expected, entry.encode()) for entry in candidates):
        raise InvalidWebhookSignatureError(
            "no webhook signature matches: the body, webhook-id or webhook-timestamp was "
            "changed on the way, the body is not the raw bytes received, or the secret is "
            "not this endpoint's"
        )
    _check_time(sent_at, time.time() if now is None else now, tolerance)


def unwrap(
    payload: Payload,
    headers: Headers,
    *,
    secret: str,
    tolerance: float = TOLERANCE,
    now: Optional[float] = None,
) -> Any:
    """[`Webhooks.unwrap()`][openaistream.plugins.webhooks.Webhooks.unwrap] with the secret given:
    the verified event as JSON."""
    verify_signature(payload, headers, secret=secret, tolerance=tolerance, now=now)
    return json.loads(payload)


def _body(payload: Any) -> bytes:
    # Signed as sent: bytes as they are; text as UTF-8, the encoding of the JSON OpenAI sends.
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    raise TypeError(
        f"payload must be the request body as str or bytes, not {type(payload).__name__}"
    )


def _key(secret: Any) -> bytes:
    """The HMAC key a secret stands for; never shown in an error."""
    if not isinstance(secret, str):
        raise TypeError(f"the webhook secret must be a string, not {type(secret).__name__}")
    text = secret.strip()  # a secret read from a file keeps its newline
    if not text.startswith(_PREFIX):
        if not text:
            raise ValueError("the webhook secret is empty")
        return text.encode("utf-8")
    try:
        key = base64.b64decode(text[len(_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "the webhook secret is not valid: after whsec_ it must be base64, as OpenAI shows it"
        ) from None
    if not key:
        raise ValueError("the webhook secret is not valid: there is no key after whsec_")
    return key


def _check_tolerance(tolerance: Any) -> None:
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
        raise TypeError(f"tolerance must be a number of seconds, not {tolerance!r}")
    if not math.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number of seconds >= 0, not {tolerance!r}")


def _webhook_headers(headers: Any) -> tuple[str, str, str]:
    """The id, timestamp and signature headers, whatever the case of their names; a header
    missing, or sent twice with different values, is an error (the signature header's
    values join into one list)."""
    found: dict[str, list[str]] = {_ID: [], _TIMESTAMP: [], _SIGNATURE: []}
    for name, value in _pairs(headers):
        wanted = found.get(_text(name, "a header name").strip().lower())
        if wanted is not None:
            wanted.append(_text(value, f"the {name} header").strip())
    for name, values in found.items():
        if not values or not any(values):
            raise InvalidWebhookSignatureError(f"the {name} header is missing or empty")
        if name != _SIGNATURE and len(set(values)) > 1:
            raise InvalidWebhookSignatureError(
                f"the {name} header is sent {len(values)} times with different values"
            )
    return found[_ID][0], found[_TIMESTAMP][0], " ".join(found[_SIGNATURE])


def _pairs(headers: Any) -> Iterable[Any]:
    if isinstance(headers, (str, bytes, bytearray)) or headers is None:
        raise TypeError(
            "headers must be the request's headers: a mapping (a dict, a web framework's "
            f"headers) or (name, value) pairs, not {type(headers).__name__}"
        )
    items = getattr(headers, "items", None)
    pairs = items() if callable(items) else headers
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError("headers given as pairs must be (name, value) pairs")
        yield pair


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")  # HTTP's own reading of header bytes
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def _seconds(timestamp: str) -> int:
    if not _SECONDS.fullmatch(timestamp):
        raise InvalidWebhookSignatureError(
            f"the webhook-timestamp header is not a whole number of seconds since the epoch: "
            f"{timestamp[:40]!r}"
        )
    return int(timestamp)


def _check_time(sent_at: int, now: float, tolerance: float) -> None:
    age = now - sent_at
    if age > tolerance:
        raise InvalidWebhookSignatureError(
            f"the webhook is too old: signed {age:.0f} seconds ago, more than the tolerance "
            f"of {tolerance:g} seconds (a replayed message, or a slow or wrong clock)"
        )
    if -age > tolerance:
        raise InvalidWebhookSignatureError(
            f"the webhook is dated in the future: {-age:.0f} seconds ahead, more than the "
            f"tolerance of {tolerance:g} seconds (a wrong clock here or at the sender)"
        )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("webhooks", Webhooks)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.webhooks import command  # only the command line loads click

    cli.add_command(command())
