"""Multipart bodies: the length promised is the length sent, a body can be sent twice, and
the fields are written the way the API reads them."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from openaistream.multipart import Multipart, checked_file


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
