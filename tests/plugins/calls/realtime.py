# ruff: noqa: E501 - the tables of calls read best one call to a line
"""The calls of client.realtime: client secrets, the older session endpoints, and calls (a
WebRTC call's SDP offer sent as a form; the SIP call controls)."""

from __future__ import annotations

from tests.plugins.calls import Call

CALL = "rtc_u1_9c6574da8b8a41a18da9308f4ad974ce"
# A browser's WebRTC offer, cut short (an SDP is lines of key=value, ended by CRLF).
OFFER = (
    "v=0\r\no=- 4227147428 1719357865 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=rtpmap:111 opus/48000/2\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=mid:1\r\na=sctp-port:5000\r\n"
)
SESSION = {
    "type": "realtime",
    "model": "gpt-realtime",
    "instructions": "You are a friendly assistant.",
}
TEN_MINUTES = {"anchor": "created_at", "seconds": 600}
TRANSLATION = {
    "model": "gpt-realtime-translate",
    "audio": {
        "input": {"transcription": {"model": "gpt-realtime-whisper"}, "noise_reduction": None},
        "output": {"language": "es"},
    },
}

CALLS = {
    "realtime.client_secrets_create": Call(
        lambda c: c.realtime.client_secrets_create(expires_after=TEN_MINUTES, session=SESSION),
        "POST /realtime/client_secrets",
    ),
    "realtime.client_secrets_create (transcription)": Call(
        lambda c: c.realtime.client_secrets_create(
            session={"type": "transcription", "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": {"model": "gpt-4o-transcribe", "language": "en"}}}}
        ),
        "POST /realtime/client_secrets",
    ),
    "realtime.translations_client_secrets_create": Call(
        lambda c: c.realtime.translations_client_secrets_create(TRANSLATION, expires_after=TEN_MINUTES),
        "POST /realtime/translations/client_secrets",
    ),
    # The spec requires client_secret here (its schema is the key the answer holds, an error
    # of the spec), so this call sends one to satisfy it; the method does not ask for it.
    "realtime.sessions_create": Call(
        lambda c: c.realtime.sessions_create(
            model="gpt-realtime", modalities=["audio", "text"], instructions="You are a friendly assistant.",
            client_secret={"value": "ek_abc123", "expires_at": 1756324625},
        ),
        "POST /realtime/sessions",
    ),
    "realtime.transcription_sessions_create": Call(
        lambda c: c.realtime.transcription_sessions_create(
            input_audio_format="pcm16", input_audio_transcription={"model": "gpt-4o-transcribe", "language": "en"},
            include=["item.input_audio_transcription.logprobs"],
        ),
        "POST /realtime/transcription_sessions",
    ),
    "realtime.calls_create": Call(
        lambda c: c.realtime.calls_create(OFFER, session={"type": "realtime", "model": "gpt-realtime"}),
        "POST /realtime/calls",
    ),
    "realtime.calls_create (offer only)": Call(lambda c: c.realtime.calls_create(OFFER), "POST /realtime/calls"),
    "realtime.calls_accept": Call(
        lambda c: c.realtime.calls_accept(CALL, "realtime", model="gpt-realtime", instructions="You are Alex, a friendly concierge for Example Corp."),
        "POST /realtime/calls/{call_id}/accept",
    ),
    "realtime.calls_hangup": Call(lambda c: c.realtime.calls_hangup(CALL), "POST /realtime/calls/{call_id}/hangup"),
    "realtime.calls_refer": Call(lambda c: c.realtime.calls_refer(CALL, "tel:+14155550123"), "POST /realtime/calls/{call_id}/refer"),
    "realtime.calls_reject": Call(lambda c: c.realtime.calls_reject(CALL, status_code=486), "POST /realtime/calls/{call_id}/reject"),
}  # fmt: skip
