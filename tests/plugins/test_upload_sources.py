"""Every upload argument takes a path, bytes, an open binary file, a BytesIO or a
``(filename, content[, content_type])`` tuple, on both clients: the server parses the
multipart body it received and checks each file's filename, content type and exact bytes.
A seekable file is sent from where it stood, and sent again whole from there on a retry;
progress counts every byte of every kind; a bad argument is refused before any network."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any, Callable, NamedTuple

import pytest
from pytest_httpserver import HTTPServer

from openaistream import RetryPolicy
from tests.conftest import API_KEY
from tests.support.api import answer, last
from tests.support.servers import Conn, RawServer

# More than two 64 KiB pieces and not a multiple of one, with bytes a careless multipart
# writer would mangle (line breaks, a boundary-like line, NUL, 0xFF).
CONTENT = (b"\x89PNG\r\n--boundary?\r\n\x00\xff" * 9000)[:150_001]
SKIP = 1000  # where a seeked file stands when handed over: only what follows is sent
PIPED = CONTENT[:4000]  # small enough for a pipe's buffer: no writer thread needed
PNG, JSON, OCTETS = "image/png", "application/json", "application/octet-stream"


class Source(NamedTuple):
    """An upload argument, and what the server must receive for it."""

    argument: Any
    filename: str
    content_type: str
    content: bytes


class Make:
    """Builds the sources of one test: files in its tmp_path, closed when it ends."""

    def __init__(self, tmp_path: Path, stack: ExitStack) -> None:
        self.tmp_path = tmp_path
        self.stack = stack

    def path(self, name: str) -> Path:
        path = self.tmp_path / name
        path.write_bytes(CONTENT)
        return path

    def opened(self, name: str, **options: Any) -> Any:
        return self.stack.enter_context(self.path(name).open("rb", **options))

    def seeked(self, name: str) -> Any:
        file = self.opened(name)
        file.seek(SKIP)
        return file

    def named_bytesio(self, name: str) -> io.BytesIO:
        memory = io.BytesIO(CONTENT)
        memory.name = name  # the openai-python habit: a BytesIO given a name
        return memory

    def pipe(self) -> Any:
        """A pipe's read end (it cannot seek) holding PIPED, its write end closed."""
        read, write = os.pipe()
        os.write(write, PIPED)
        os.close(write)
        return self.stack.enter_context(os.fdopen(read, "rb"))


SOURCES: dict[str, Callable[[Make], Source]] = {
    "str path": lambda m: Source(str(m.path("otter.png")), "otter.png", PNG, CONTENT),
    "Path": lambda m: Source(m.path("données.png"), "données.png", PNG, CONTENT),
    "bytes": lambda m: Source(CONTENT, "upload", OCTETS, CONTENT),
    "bytearray": lambda m: Source(bytearray(CONTENT), "upload", OCTETS, CONTENT),
    "memoryview": lambda m: Source(memoryview(CONTENT), "upload", OCTETS, CONTENT),
    "open file": lambda m: Source(m.opened("a.png"), "a.png", PNG, CONTENT),
    "unbuffered file": lambda m: Source(m.opened("b.png", buffering=0), "b.png", PNG, CONTENT),
    "seeked file": lambda m: Source(m.seeked("c.png"), "c.png", PNG, CONTENT[SKIP:]),
    "BytesIO": lambda m: Source(io.BytesIO(CONTENT), "upload", OCTETS, CONTENT),
    "named BytesIO": lambda m: Source(m.named_bytesio("dir/s.mp3"), "s.mp3", "audio/mpeg", CONTENT),
    "pipe": lambda m: Source(m.pipe(), "upload", OCTETS, PIPED),
    "(name, bytes)": lambda m: Source(("t.png", CONTENT), "t.png", PNG, CONTENT),
    "(name, path)": lambda m: Source(("u.png", m.path("x.bin")), "u.png", PNG, CONTENT),
    "(name, file)": lambda m: Source(("v.json", m.seeked("y")), "v.json", JSON, CONTENT[SKIP:]),
    "(name, pipe)": lambda m: Source(("w.png", m.pipe()), "w.png", PNG, PIPED),
    "(name, BytesIO, type)": lambda m: Source(
        ("z", io.BytesIO(CONTENT), "image/webp"), "z", "image/webp", CONTENT
    ),
}  # fmt: skip


class Method(NamedTuple):
    """An upload method, called with one source; the form field the source is sent in."""

    call: Callable[[Any, Any, Path], Any]
    field: str


METHODS: dict[str, Method] = {
    "files.upload": Method(lambda c, a, _: c.files.upload(a, purpose="vision"), "file"),
    "audio.transcription": Method(lambda c, a, _: c.audio.transcription(a), "file"),
    "audio.translation": Method(lambda c, a, _: c.audio.translation(a), "file"),
    "images.variation": Method(lambda c, a, _: c.images.variation(a, n=1), "image"),
    "images.edit image": Method(lambda c, a, _: c.images.edit(a, "a hat"), "image"),
    "images.edit [image]": Method(
        lambda c, a, png: c.images.edit([png, a], "a hat", model="gpt-image-1"), "image[]"
    ),
    "images.edit mask": Method(lambda c, a, png: c.images.edit(png, "a hat", mask=a), "mask"),
}


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Make]:
    with ExitStack() as stack:
        yield Make(tmp_path, stack)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("kind", list(SOURCES))
def test_each_kind_of_source_arrives_with_its_name_type_and_bytes(
    httpserver: HTTPServer, client: Any, make: Make, kind: str, method: str
) -> None:
    source = SOURCES[kind](make)
    other = make.tmp_path / "other.png"  # the first image, when the source is another
    other.write_bytes(b"first image")
    answer(httpserver, {"id": "ok"})

    METHODS[method].call(client, source.argument, other)

    request = last(httpserver)
    assert int(request.headers["Content-Length"]) == len(request.get_data(cache=True))
    sent = request.files.getlist(METHODS[method].field)[-1]
    assert sent.filename == source.filename
    assert sent.content_type == source.content_type
    assert sent.read() == source.content


def file_parts(body: bytes, content_type: str) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes) of each file in a multipart body, by the stdlib's
    parser."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_parts()
        if part.get_filename() is not None
    ]


@pytest.mark.parametrize("kind", ["seeked file", "BytesIO", "(name, file)", "pipe"])
def test_a_retry_resends_a_file_object_whole_from_where_it_stood(
    make_client: Any, make: Make, kind: str
) -> None:
    """The server answers 500 to the first upload and 200 to the second: both carry the whole
    content, from the position the file object had when it was handed over."""

    def handler(conn: Conn) -> None:
        while conn.read_request() is not None:
            failed = len(server.requests) == 1
            body = json.dumps({"error": {"message": "boom"}} if failed else {"id": "file-1"})
            conn.send(
                b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (500 if failed else 200, len(body), body.encode())
            )

    source = SOURCES[kind](make)
    retries = RetryPolicy(max_retries=1, backoff=0.01, backoff_max=0.02)
    with RawServer(handler) as server:
        client = make_client(API_KEY, base_url=server.url + "/v1", max_retries=retries)
        assert client.files.upload(source.argument, "batch") == {"id": "file-1"}
        client.close()
    first, second = server.requests
    assert first.body == second.body
    expected = (source.filename, source.content_type, source.content)
    assert file_parts(second.body, second.headers["content-type"]) == [expected]


@pytest.mark.parametrize("kind", list(SOURCES))
def test_progress_counts_every_byte_of_every_kind(
    httpserver: HTTPServer, client: Any, make: Make, kind: str
) -> None:
    source = SOURCES[kind](make)
    answer(httpserver, {"id": "file-1"})
    told: list[int] = []
    client.files.upload(source.argument, "batch", progress=told.append)
    assert sum(told) == len(source.content)
    assert all(0 < n <= 64 * 1024 for n in told)


def test_a_file_object_is_left_at_its_end_and_can_be_uploaded_again_after_a_seek(
    httpserver: HTTPServer, client: Any, make: Make
) -> None:
    file = make.seeked("again.png")
    for _ in range(2):
        answer(httpserver, {"id": "file-1"})
        client.files.upload(file, "vision")
        assert last(httpserver).files["file"].read() == CONTENT[SKIP:]
        assert file.tell() == len(CONTENT)
        file.seek(SKIP)


class Bad(NamedTuple):
    value: Callable[[Make], Any]
    error: type[Exception]
    says: str


BAD: dict[str, Bad] = {
    "StringIO": Bad(lambda m: io.StringIO("text"), TypeError, "is a text file .StringIO"),
    "text-mode file": Bad(
        lambda m: m.stack.enter_context(m.path("t.txt").open()), TypeError, "binary mode"
    ),
    "closed file": Bad(lambda m: _closed(m.path("c.png")), ValueError, "is a closed file"),
    "write-only file": Bad(
        lambda m: m.stack.enter_context((m.tmp_path / "w.png").open("wb")),
        ValueError,
        "not open for reading",
    ),
    "directory": Bad(lambda m: m.tmp_path, IsADirectoryError, "is a directory"),
    "missing path": Bad(lambda m: m.tmp_path / "none.png", FileNotFoundError, "no such file"),
    "int": Bad(lambda m: 42, TypeError, "must be a path, bytes, a binary file or a"),
    "generator": Bad(lambda m: (b for b in [b"x"]), TypeError, "is an iterator"),
    "tuple of 4": Bad(lambda m: ("a.png", b"x", PNG, 1), TypeError, "not a tuple of 4"),
    "tuple without a name": Bad(lambda m: (None, b"x"), TypeError, "filename of a tuple"),
    "tuple of a text file": Bad(lambda m: ("a.png", io.StringIO("x")), TypeError, "is a text file"),
    "bad content type": Bad(
        lambda m: ("a.png", b"x", "png\r\nX-Injected: 1"), ValueError, "type/subtype"
    ),
}

# The name each method's errors give its upload argument.
ARGUMENT = {
    "files.upload": "path",
    "audio.transcription": "path",
    "audio.translation": "path",
    "images.variation": "image",
    "images.edit image": "image",
    "images.edit [image]": r"image\[1\]",
    "images.edit mask": "mask",
}


def _closed(path: Path) -> Any:
    file = path.open("rb")
    file.close()
    return file


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("bad", list(BAD))
def test_a_bad_upload_argument_is_named_before_any_network(
    httpserver: HTTPServer, client: Any, make: Make, bad: str, method: str
) -> None:
    other = make.path("other.png")
    case = BAD[bad]
    with pytest.raises(case.error, match=f"^{ARGUMENT[method]}.*{case.says}"):
        METHODS[method].call(client, case.value(make), other)
    assert httpserver.log == []


def test_several_images_are_a_list_and_a_tuple_is_one_named_image(
    httpserver: HTTPServer, client: Any, make: Make
) -> None:
    answer(httpserver, {"id": "ok"})
    client.images.edit([("one.png", b"1"), io.BytesIO(b"2"), make.path("three.png")], "hats")
    files = last(httpserver).files.getlist("image[]")
    assert [(f.filename, f.read()) for f in files] == [
        ("one.png", b"1"),
        ("upload", b"2"),
        ("three.png", CONTENT),
    ]
    with pytest.raises(ValueError, match="image is an empty list"):
        client.images.edit([], "hats")
    assert len(httpserver.log) == 1
