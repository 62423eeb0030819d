"""Multipart bodies: the length promised is the length sent, a body can be sent twice, and
the fields are written the way the API reads them."""

from __future__ import annotations

import io
import os
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from openaistream.multipart import Multipart, checked_file, checked_upload


def parsed(body: Multipart) -> list[tuple[str, str, bytes]]:
    """(content-disposition, content-type, payload) of every part, by the stdlib's parser."""
    data = b"".join(body)
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + data
    )
    return [
        (part["Content-Disposition"], part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_parts()
    ]


def test_the_length_is_the_bytes_sent_and_a_second_pass_sends_them_again(tmp_path: Path) -> None:
    path = tmp_path / "résumé.txt"
    path.write_bytes(b"hello\r\n--not-a-boundary\r\n" * 1000)
    body = Multipart({"purpose": "assistants", "n": 2}, {"file": path})
    first, second = b"".join(body), b"".join(body)
    assert len(first) == body.length
    assert first == second


def test_fields_files_and_names(tmp_path: Path) -> None:
    path = tmp_path / 'quo"te.png'
    path.write_bytes(b"\x89PNG")
    fields = {
        "stream": True,
        "include": ["logprobs", "x"],
        "expires_after": {"seconds": 60},
        "skip": None,
    }
    parts = parsed(Multipart(fields, {"image": path}))
    assert parts == [
        ('form-data; name="stream"', "text/plain", b"true"),
        ('form-data; name="include[]"', "text/plain", b"logprobs"),
        ('form-data; name="include[]"', "text/plain", b"x"),
        ('form-data; name="expires_after[seconds]"', "text/plain", b"60"),
        ('form-data; name="image"; filename="quo%22te.png"', "image/png", b"\x89PNG"),
    ]


def test_a_text_field_may_declare_its_content_type() -> None:
    offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
    body = Multipart(
        {"sdp": offer, "session": '{"type":"realtime"}', "note": "hi"},
        {},
        content_types={"sdp": "application/sdp", "session": "application/json"},
    )
    data = b"".join(body)
    assert len(data) == body.length
    assert parsed(body) == [
        ('form-data; name="sdp"', "application/sdp", offer.encode()),
        ('form-data; name="session"', "application/json", b'{"type":"realtime"}'),
        ('form-data; name="note"', "text/plain", b"hi"),
    ]
    assert b"filename" not in data  # a text part, not a file
    with pytest.raises(ValueError, match="content_types: 'sdp' must name a field"):
        Multipart({}, {}, content_types={"sdp": "application/sdp"})
    with pytest.raises(ValueError, match="content_types: 'sdp' must name a field"):
        Multipart({"sdp": offer}, {}, content_types={"sdp": "sdp\r\nX-Injected: 1"})


def test_a_list_of_files_is_sent_as_name_brackets(tmp_path: Path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"A")
    b.write_bytes(b"B")
    parts = parsed(Multipart({}, {"image": [a, b]}))
    assert [(p[0], p[2]) for p in parts] == [
        ('form-data; name="image[]"; filename="a.bin"', b"A"),
        ('form-data; name="image[]"; filename="b.bin"', b"B"),
    ]


def test_a_file_that_changes_size_while_sent_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "growing.bin"
    path.write_bytes(b"x" * 10)
    body = Multipart({}, {"file": path})
    path.write_bytes(b"x" * 20)
    with pytest.raises(OSError, match="changed size"):
        b"".join(body)


def test_checked_file_names_the_argument(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="image: no such file"):
        checked_file("image", tmp_path / "none.png")
    with pytest.raises(IsADirectoryError, match="image is a directory"):
        checked_file("image", tmp_path)
    with pytest.raises(TypeError, match="image must be a path"):
        checked_file("image", b"bytes")


def test_every_kind_of_source_sends_the_length_it_promised_on_every_pass(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"p" * 70_000)
    seeked = io.BytesIO(b"0123456789" * 10_000)
    seeked.seek(5)
    uploads = {
        "path": checked_upload("path", path),
        "bytes": checked_upload("bytes", b"b" * 200_000),
        "seeked": checked_upload("seeked", seeked),
        "tuple": checked_upload("tuple", ("t.txt", b"t", "text/x-t")),
    }
    body = Multipart({"purpose": "batch"}, {**uploads, "legacy": path})
    first, second = b"".join(body), b"".join(body)
    assert len(first) == body.length
    assert first == second
    assert [(p[0].split("; ", 2)[-1], p[1], len(p[2])) for p in parsed(body)[1:]] == [
        ('filename="a.bin"', "application/octet-stream", 70_000),
        ('filename="upload"', "application/octet-stream", 200_000),
        ('filename="upload"', "application/octet-stream", 99_995),
        ('filename="t.txt"', "text/x-t", 1),
        ('filename="a.bin"', "application/octet-stream", 70_000),
    ]


def test_a_file_object_that_changes_size_while_sent_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "growing.bin"
    path.write_bytes(b"x" * 10)
    with path.open("rb") as file:
        body = Multipart({}, {"file": checked_upload("file", file)})
        path.write_bytes(b"x" * 5)
        with pytest.raises(OSError, match=r"'growing\.bin' changed size"):
            b"".join(body)


def test_a_stream_that_cannot_seek_is_read_once_when_checked() -> None:
    read, write = os.pipe()
    os.write(write, b"piped")
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        upload = checked_upload("file", pipe)
        assert pipe.read() == b""  # read whole, once, here: the body holds the bytes
    assert (upload.filename, upload.size, b"".join(upload.pieces())) == ("upload", 5, b"piped")


def test_checked_upload_names_the_argument(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^mask is a text file \(StringIO\)"):
        checked_upload("mask", io.StringIO("x"))
    with pytest.raises(FileNotFoundError, match=r"^image: no such file"):
        checked_upload("image", ("a.png", tmp_path / "none.png"))
    with pytest.raises(TypeError, match=r"^path must be a path, bytes, a binary file or a"):
        checked_upload("path", 1.5)
