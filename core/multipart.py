"""multipart/form-data bodies streamed from disk.

Uploads (files, audio, images) are sent with a Content-Length computed up front and the file
read in 64 KiB pieces as the socket takes them: a 1 GiB file uploads in constant memory.
Iterating a Multipart again streams it again from the start, so a retry can resend it. It is
iterable (the blocking client sends it) and async-iterable (the async one does): the pieces are
the same; only the progress callback differs, which the async client awaits when it is a
coroutine function.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .clientbase import refuse_awaitable

__all__ = ["Multipart", "checked_file"]

_PIECE = 64 * 1024
PathLike = Union[str, "os.PathLike[str]"]


def checked_file(name: str, path: object) -> Path:
    """``path`` as an existing regular file, or a clear error that names the argument."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path to a file, not {type(path).__name__}")
    file = Path(path)
    if file.is_dir():
        raise IsADirectoryError(f"{name} is a directory, not a file: {str(file)!r}")
    if not file.is_file():
        raise FileNotFoundError(f"{name}: no such file: {str(file)!r}")
    return file


class Multipart:
    """A multipart/form-data body of text fields and files.

    ``fields`` values: strings and numbers as text, booleans as ``true``/``false``, lists as
    repeated ``name[]`` fields, dicts as ``name[key]`` fields (the form the API reads, as in
    ``expires_after[seconds]``); None is left out. ``files`` maps a field name
    to one path or a list of paths (sent as ``name[]``), each already checked.
    """

    def __init__(
        self,
        fields: Mapping[str, Any],
        files: Mapping[str, Union[Path, Sequence[Path]]],
        *,
        progress: Optional[Callable[[int], Any]] = None,
    ) -> None:
        # Called with the size of each piece of a file sent; on the async client it may be a
        # coroutine function, awaited before the next piece is read.
        self.progress = progress
        self.boundary = os.urandom(16).hex()  # what secrets.token_hex does, without its imports
        # (headers, file, its size when the length was computed); no file for a text field
        self._parts: list[tuple[bytes, Optional[Path], int]] = []
        for name, value in fields.items():
            for field, text in _field_values(name, value):
                part = self._head(field) + b"\r\n" + text.encode() + b"\r\n"
                self._parts.append((part, None, 0))
        for name, paths in files.items():
            many = not isinstance(paths, Path)
            for path in [paths] if isinstance(paths, Path) else paths:
                field = f"{name}[]" if many and not name.endswith("[]") else name
                head = self._head(field, path) + b"\r\n"
                self._parts.append((head, path, path.stat().st_size))
        self._closing = f"--{self.boundary}--\r\n".encode()
        self.length = len(self._closing) + sum(
            len(head) + (size + 2 if path else 0) for head, path, size in self._parts
        )

    @property
    def awaits_progress(self) -> bool:
        """Whether the progress callback is a coroutine function (only the async client
        can upload with it)."""
        import inspect  # here: only uploads with progress ask

        return self.progress is not None and inspect.iscoroutinefunction(self.progress)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(self, field: str, path: Optional[Path] = None) -> bytes:
        disposition = f'form-data; name="{_quoted(field)}"'
        lines = [f"--{self.boundary}"]
        if path is None:
            lines.append(f"Content-Disposition: {disposition}")
        else:
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            lines.append(f'Content-Disposition: {disposition}; filename="{_quoted(path.name)}"')
            lines.append(f"Content-Type: {kind}")
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
        for head, path, size in self._parts:
            yield head, False
            if path is not None:
                for piece in _file_pieces(path, size):
                    yield piece, True
                yield b"\r\n", False
        yield self._closing, False

    def __repr__(self) -> str:
        names = [head.split(b'name="', 1)[1].split(b'"', 1)[0].decode() for head, *_ in self._parts]
        return f"<Multipart {self.length} bytes: {', '.join(names)}>"


def _file_pieces(path: Path, expected: int) -> Iterator[bytes]:
    sent = 0
    with path.open("rb") as file:
        while True:
            piece = file.read(_PIECE)
            if not piece:
                break
            sent += len(piece)
            if sent > expected:
                break
            yield piece
    if sent != expected:
        # The Content-Length is already on the wire: a file that changed cannot be sent.
        raise OSError(f"{path} changed size while it was being uploaded")


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
