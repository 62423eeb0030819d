"""multipart/form-data bodies streamed from disk, from memory or from open files.

Uploads (files, audio, images) are sent with a Content-Length computed up front and each file
read in 64 KiB pieces as the socket takes them: a 1 GiB file uploads in constant memory.
Iterating a Multipart again streams it again from the start, so a retry can resend it. It is
iterable (the blocking client sends it) and async-iterable (the async one does): the pieces are
the same; only the progress callback differs, which the async client awaits when it is a
coroutine function.

What a user may upload (`FileInput`) is checked by `checked_upload()` before any
network, and becomes an `Upload`: a path, bytes, an open binary file (streamed from
where it stands when seekable; read whole at once when it is not, a pipe), or a
`(filename, content[, content_type])` tuple of any of these.
"""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Callable, Optional, Union

from .clientbase import refuse_awaitable

__all__ = ["FileContent", "FileInput", "Multipart", "Upload", "checked_file", "checked_upload"]

_PIECE = 64 * 1024
# What a file's content may be given as, and an upload argument: that, or a tuple that names it.
FileContent = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
FileInput = Union[FileContent, "tuple[str, FileContent]", "tuple[str, FileContent, str]"]
DEFAULT_FILENAME = "upload"  # a file with no name of its own (bytes, an unnamed stream)
_KINDS = "a path, bytes, a binary file or a (filename, content[, content_type]) tuple"


def checked_file(name: str, path: object) -> Path:
    """`path` as an existing regular file, or a clear error that names the argument."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path to a file, not {type(path).__name__}")
    file = Path(path)
    if file.is_dir():
        raise IsADirectoryError(f"{name} is a directory, not a file: {str(file)!r}")
    if not file.is_file():
        raise FileNotFoundError(f"{name}: no such file: {str(file)!r}")
    return file


class Upload:
    """One file of a multipart body: its filename, content type and size, and its bytes read
    afresh from the start each time `pieces()` is iterated (a retry resends it whole).

    Built by `checked_upload()`, or directly from a `pathlib.Path`.
    """

    __slots__ = ("_source", "_start", "content_type", "filename", "size")

    def __init__(
        self,
        source: Union[Path, bytes, IO[bytes]],
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
    ) -> None:
        self._source = source
        self._start = 0
        if isinstance(source, Path):
            self.size = source.stat().st_size
            own_name: Optional[str] = source.name
        elif isinstance(source, bytes):
            self.size = len(source)
            own_name = None
        else:  # a seekable binary file: from where it stands now to its end
            self._start = source.tell()
            source.seek(0, io.SEEK_END)
            self.size = max(0, source.tell() - self._start)
            source.seek(self._start)
            own_name = _name_of(source)
        self.filename = filename or own_name or DEFAULT_FILENAME
        self.content_type = (
            content_type or mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        )

    def pieces(self) -> Iterator[bytes]:
        """The content in pieces of at most 64 KiB, from its start."""
        source = self._source
        if isinstance(source, bytes):
            for at in range(0, self.size, _PIECE):
                yield source[at : at + _PIECE]
        elif isinstance(source, Path):
            with source.open("rb") as file:
                yield from _exactly(file, self.size, str(source))
        else:
            source.seek(self._start)
            yield from _exactly(source, self.size, f"the file {self.filename!r}")

    def __repr__(self) -> str:
        return f"<Upload {self.filename!r} {self.content_type} {self.size} bytes>"


def checked_upload(name: str, value: object) -> Upload:
    """`value` (a `FileInput`) as an `Upload`, or a clear error that names the
    argument, before any network.

    A seekable binary file is streamed from its current position at send time; one that cannot
    seek (a pipe, a socket) is read whole here, once, so that a retry can send it again.
    """
    if isinstance(value, tuple):
        if len(value) not in (2, 3):
            raise TypeError(
                f"{name}: a tuple is (filename, content) or (filename, content, content_type), "
                f"not a tuple of {len(value)} (several files go in a list)"
            )
        filename, content = value[0], value[1]
        if not isinstance(filename, str) or not filename:
            raise TypeError(f"{name}: the filename of a tuple must be a non-empty str")
        content_type = value[2] if len(value) == 3 else None
        if content_type is not None and not _is_media_type(content_type):
            raise ValueError(f"{name}: the content type must be type/subtype, not {content_type!r}")
        if isinstance(content, tuple):
            raise TypeError(
                f"{name}: the content of a tuple must be a path, bytes or a binary file"
            )
        return Upload(_checked_content(name, content), filename, content_type)
    # The value's own name: what a stream read whole keeps of it (its bytes have none).
    return Upload(_checked_content(name, value), _name_of(value))


def _checked_content(name: str, value: object) -> Union[Path, bytes, IO[bytes]]:
    if isinstance(value, (str, os.PathLike)):
        return checked_file(name, value)
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)  # a copy: the buffer could change after its length is sent
    if callable(getattr(value, "read", None)):
        return _checked_stream(name, value)
    if isinstance(value, Iterator):
        raise TypeError(
            f"{name} is an iterator ({type(value).__name__}), whose size cannot be known before "
            "it is sent: join its bytes first (b''.join(...)), or pass a file"
        )
    raise TypeError(f"{name} must be {_KINDS}, not {type(value).__name__}")


def _checked_stream(name: str, file: Any) -> Union[bytes, IO[bytes]]:
    """An open binary file that can be read: kept when it can seek, else read whole."""
    if isinstance(file, io.TextIOBase):
        raise TypeError(
            f"{name} is a text file ({type(file).__name__}): open it in binary mode ('rb'), "
            "or pass its text encoded as bytes"
        )
    if getattr(file, "closed", False):
        raise ValueError(f"{name} is a closed file")
    readable = getattr(file, "readable", None)
    if callable(readable) and not readable():
        raise ValueError(f"{name} is a file not open for reading")
    probe = file.read(0)
    if not isinstance(probe, (bytes, bytearray)):
        raise TypeError(
            f"{name} reads {type(probe).__name__}, not bytes: open it in binary mode ('rb')"
        )
    if _seekable(file):
        return file  # type: ignore[no-any-return]
    data = file.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"{name} gave {type(data).__name__} when read, not bytes")
    return bytes(data)


def _seekable(file: Any) -> bool:
    seekable = getattr(file, "seekable", None)
    if not callable(seekable) or not callable(getattr(file, "seek", None)):
        return False
    try:
        return bool(seekable()) and file.tell() >= 0
    except OSError:
        return False


def _name_of(file: Any) -> Optional[str]:
    """A file object's own filename: the last part of its `name`, unless it has none or
    a pseudo-name such as `<stdin>` (a file by descriptor has an int)."""
    name = getattr(file, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    elif isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        return None
    base = os.path.basename(name)
    if not base or (base.startswith("<") and base.endswith(">")):
        return None
    return base


def _is_media_type(text: object) -> bool:
    if not isinstance(text, str) or any(c in text for c in "\r\n\0"):
        return False
    kind, slash, rest = text.partition("/")
    return bool(kind.strip() and slash and rest.strip())


class Multipart:
    """A multipart/form-data body of text fields and files, streamed from disk as it is sent:
    its `length` is known before, so it goes with a `Content-Length`, and a retry sends it
    again whole.

    Args:
        fields: The text fields. Strings and numbers go as text, booleans as `true`/`false`,
            lists as repeated `name[]` fields, dicts as `name[key]` fields (the form the API
            reads, as in `expires_after[seconds]`); None is left out.
        files: A field name for each `Upload` or `pathlib.Path`, or a list of them (sent as
            `name[]`), each already checked (`checked_upload()`, `checked_file()`).
        progress: Called with the size of each piece of a file sent; on `AsyncOpenAI` it may
            be a coroutine function, awaited before the next piece is read.
        content_types: The media type a text field's part declares (the `encoding` of an
            OpenAPI form: an SDP offer as `application/sdp`, a JSON document as
            `application/json`); a field not named here has none, as browsers send them.

    Raises:
        ValueError: `content_types` names a field not in `fields`, or a type not `type/subtype`.
    """

    def __init__(
        self,
        fields: Mapping[str, Any],
        files: Mapping[str, Union[Upload, Path, Sequence[Union[Upload, Path]]]],
        *,
        progress: Optional[Callable[[int], Any]] = None,
        content_types: Optional[Mapping[str, str]] = None,
    ) -> None:
        # Called with the size of each piece of a file sent; on the async client it may be a
        # coroutine function, awaited before the next piece is read.
        self.progress = progress
        # The text fields as given: a client reads one (Azure routes an upload by its model).
        self.fields: Mapping[str, Any] = dict(fields)
        self.boundary = os.urandom(16).hex()  # what secrets.token_hex does, without its imports
        # (headers, the file that follows them); no file for a text field
        self._parts: list[tuple[bytes, Optional[Upload]]] = []
        types = dict(content_types or {})
        for name, kind in types.items():
            if name not in fields or not _is_media_type(kind):
                raise ValueError(f"content_types: {name!r} must name a field and a type/subtype")
        for name, value in fields.items():
            for field, text in _field_values(name, value):
                head = self._head(field, content_type=types.get(name))
                part = head + b"\r\n" + text.encode() + b"\r\n"
                self._parts.append((part, None))
        for name, given in files.items():
            one = isinstance(given, (Upload, Path))
            items = [given] if isinstance(given, (Upload, Path)) else list(given)
            for item in items:
                upload = item if isinstance(item, Upload) else Upload(item)
                field = name if one or name.endswith("[]") else f"{name}[]"
                self._parts.append((self._head(field, upload) + b"\r\n", upload))
        self._closing = f"--{self.boundary}--\r\n".encode()
        self.length = len(self._closing) + sum(
            len(head) + (upload.size + 2 if upload else 0) for head, upload in self._parts
        )

    @property
    def awaits_progress(self) -> bool:
        """Whether the progress callback is a coroutine function (only the async client
        can upload with it)."""
        import inspect  # here: only uploads with progress ask

        return self.progress is not None and inspect.iscoroutinefunction(self.progress)

    @property
    def content_type(self) -> str:
        """The body's `Content-Type` header: `multipart/form-data` with its boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(
        self, field: str, upload: Optional[Upload] = None, content_type: Optional[str] = None
    ) -> bytes:
        disposition = f'form-data; name="{_quoted(field)}"'
        lines = [f"--{self.boundary}"]
        if upload is None:
            lines.append(f"Content-Disposition: {disposition}")
            if content_type is not None:
                lines.append(f"Content-Type: {content_type}")
        else:
            filename = _quoted(upload.filename)
            lines.append(f'Content-Disposition: {disposition}; filename="{filename}"')
            lines.append(f"Content-Type: {upload.content_type}")
        return ("\r\n".join(lines) + "\r\n").encode()

    def __iter__(self) -> Iterator[bytes]:
        for piece, of_file in self._pieces():
            yield piece
            if of_file and self.progress is not None:
                refuse_awaitable(
                    self.progress(len(piece)),
                    "progress returned an awaitable, which the blocking client cannot await: "
                    "pass a plain function, or upload with AsyncOpenAI",
                )

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece, of_file in self._pieces():
            yield piece
            if of_file and self.progress is not None:
                told = self.progress(len(piece))
                if hasattr(told, "__await__"):
                    await told

    def _pieces(self) -> Iterator[tuple[bytes, bool]]:
        """The body's pieces, each with whether it is a piece of a file (progress counts it)."""
        for head, upload in self._parts:
            yield head, False
            if upload is not None:
                for piece in upload.pieces():
                    yield piece, True
                yield b"\r\n", False
        yield self._closing, False

    def __repr__(self) -> str:
        names = [head.split(b'name="', 1)[1].split(b'"', 1)[0].decode() for head, _ in self._parts]
        return f"<Multipart {self.length} bytes: {', '.join(names)}>"


def _exactly(file: IO[bytes], expected: int, what: str) -> Iterator[bytes]:
    """The next `expected` bytes of `file` in pieces, or an error if it holds more or
    fewer: the Content-Length is already on the wire, and a file that changed cannot be sent."""
    sent = 0
    while True:
        piece = file.read(_PIECE)
        if not piece:
            break
        sent += len(piece)
        if sent > expected:
            break
        yield piece
    if sent != expected:
        raise OSError(f"{what} changed size while it was being uploaded")


def _field_values(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    if isinstance(value, (list, tuple)):
        field = name if name.endswith("[]") else f"{name}[]"
        return [(field, text) for item in value for _, text in _field_values(field, item)]
    if isinstance(value, dict):
        return [
            pair for key, item in value.items() for pair in _field_values(f"{name}[{key}]", item)
        ]
    return [(name, str(value))]


def _quoted(text: str) -> str:
    """A name or filename for a quoted header parameter, as browsers write them (RFC 7578):
    UTF-8 kept, the quote and line breaks percent-encoded."""
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
