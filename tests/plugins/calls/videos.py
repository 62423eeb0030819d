# ruff: noqa: E501 - the table of calls reads best one call to a line
"""The calls of ``client.videos``: JSON or multipart as the source is a reference or an
upload, the content as bytes, as a stream and into a file."""

from __future__ import annotations

from tests.plugins.calls import Call

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
MP4 = bytes.fromhex("0000001c667479706d703432") + bytes(64)  # an ftyp box, then zeros
CAT = "A calico cat playing a piano on stage"
DONE = {"id": "video_123", "object": "video", "status": "completed", "progress": 100}

CALLS = {
    "videos.create": Call(lambda c: c.videos.create(CAT, model="sora-2", seconds="8", size="1280x720"), "POST /videos"),
    "videos.create (reference)": Call(lambda c: c.videos.create(CAT, model="sora-2-pro", input_reference={"file_id": "file-123"}), "POST /videos"),
    "videos.create (upload)": Call(lambda c: c.videos.create(CAT, model="sora-2", input_reference=("cat.png", PNG), seconds="4", size="720x1280"), "POST /videos"),
    "videos.list": Call(lambda c: c.videos.list(limit=20, order="desc", after="video_100"), "GET /videos"),
    "videos.retrieve": Call(lambda c: c.videos.retrieve("video_123"), "GET /videos/{video_id}"),
    "videos.delete": Call(lambda c: c.videos.delete("video_123"), "DELETE /videos/{video_id}"),
    "videos.remix": Call(lambda c: c.videos.remix("video_123", "Extend the scene with the cat taking a bow"), "POST /videos/{video_id}/remix"),
    "videos.content": Call(lambda c: c.videos.content("video_123"), "GET /videos/{video_id}/content", answer="bytes"),
    "videos.content (stream)": Call(lambda c: c.videos.content("video_123", stream=True, variant="thumbnail"), "GET /videos/{video_id}/content", answer="bytes"),
    "videos.download_content": Call(lambda c, tmp: c.videos.download_content("video_123", tmp / "cat.mp4", variant="video"), "GET /videos/{video_id}/content", answer="bytes", tmp=True),
    "videos.edit": Call(lambda c: c.videos.edit({"id": "video_123"}, "Make the piano bright red"), "POST /videos/edits"),
    "videos.edit (upload)": Call(lambda c, tmp: c.videos.edit(_mp4(tmp), "Make the piano bright red"), "POST /videos/edits", tmp=True),
    "videos.extend": Call(lambda c: c.videos.extend({"id": "video_123"}, "The cat takes a bow", "8"), "POST /videos/extensions"),
    "videos.extend (upload)": Call(lambda c: c.videos.extend(("cat.mp4", MP4, "video/mp4"), "The cat takes a bow", "4"), "POST /videos/extensions"),
    "videos.create_character": Call(lambda c: c.videos.create_character(("cat.mp4", MP4), "Calico"), "POST /videos/characters"),
    "videos.get_character": Call(lambda c: c.videos.get_character("char_123"), "GET /videos/characters/{character_id}"),
    "videos.poll": Call(lambda c: c.videos.poll("video_123", poll_interval=0.01, max_wait=5), "GET /videos/{video_id}", json=DONE),
    # A video answered completed (or failed) is not polled: the one request is the create.
    "videos.create_and_poll": Call(lambda c: c.videos.create_and_poll(CAT, model="sora-2", seconds="4"), "POST /videos", json=DONE),
}  # fmt: skip


def _mp4(tmp):  # type: ignore[no-untyped-def]
    path = tmp / "cat.mp4"
    path.write_bytes(MP4)
    return path
