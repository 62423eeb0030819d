# ruff: noqa: E501 - the table of calls reads best one call to a line
"""The calls of the custom voice methods of ``client.audio``: consent recordings and voice
samples uploaded as multipart forms, the consents listed, read, renamed and deleted."""

from __future__ import annotations

from tests.plugins.calls import Call

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
CONSENT = "/audio/voice_consents/{consent_id}"

CALLS = {
    "audio.voice_consents_create": Call(lambda c: c.audio.voice_consents_create("Jordan's consent", ("consent.wav", WAV, "audio/wav"), "en-US"), "POST /audio/voice_consents"),
    "audio.voice_consents_create (path)": Call(lambda c, tmp: c.audio.voice_consents_create("Jordan's consent", _wav(tmp), "en-US"), "POST /audio/voice_consents", tmp=True),
    "audio.voice_consents_list": Call(lambda c: c.audio.voice_consents_list(limit=20, after="cons_100"), "GET /audio/voice_consents"),
    "audio.voice_consents_retrieve": Call(lambda c: c.audio.voice_consents_retrieve("cons_1234"), "GET " + CONSENT),
    "audio.voice_consents_update": Call(lambda c: c.audio.voice_consents_update("cons_1234", "Jordan (2026)"), "POST " + CONSENT),
    "audio.voice_consents_delete": Call(lambda c: c.audio.voice_consents_delete("cons_1234"), "DELETE " + CONSENT),
    "audio.voices_create": Call(lambda c: c.audio.voices_create("Jordan", ("sample.wav", WAV, "audio/wav"), "cons_1234"), "POST /audio/voices"),
}  # fmt: skip


def _wav(tmp):  # type: ignore[no-untyped-def]
    path = tmp / "consent.wav"
    path.write_bytes(WAV)
    return path
