"""A file read in parts at their offsets, for the uploads sent in parallel parts.

Parts sent side by side must not share a file position: each part reads its bytes at their
offsets (`os.pread` on the file's descriptor where the system has it; elsewhere a lock
around a seek and a read), 64 KiB at a time as the socket takes them, so an upload of any
size holds a few pieces per part in flight, never a part, never the file.

A part is an open binary file of its own as far as a multipart body can tell (`read`,
`seek`, `tell`): `Upload` sends it as it sends any file,
again from its start when a retry resends it.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Callable, Optional, Union

from openaistream.multipart import Upload, checked_upload

__all__ = ["FileParts", "Part"]

ReadAt = Callable[[int, int], bytes]  # (offset, size) -> the bytes there


class FileParts:
    """The file of an upload by parts: its name, content type and size (from its position
    when it is an open file), and its parts once `open()` has opened it."""

    def __init__(self, name: str, file: object) -> None:
        if not isinstance(file, (str, os.PathLike)) and callable(getattr(file, "read", None)):
            _check_seekable(name, file)
        elif isinstance(file, (bytes, bytearray, memoryview, tuple)):
            raise TypeError(
                f"{name} must be a path or an open binary file that can seek, not "
                f"{type(file).__name__}: its parts are read from the file as they are sent"
            )
        described = checked_upload(name, file)  # the checks and names of every upload
        self.filename = described.filename
        self.content_type = described.content_type
        self.size = described.size
        self._file: Union[Path, IO[bytes]] = (
            Path(file) if isinstance(file, (str, os.PathLike)) else file  # type: ignore[assignment]
        )
        self._start = 0 if isinstance(self._file, Path) else self._file.tell()
        self._read_at: Optional[ReadAt] = None
        self._opened: Optional[IO[bytes]] = None

    def open(self) -> FileParts:
        """Open a path (an open file is used as it is); `close` closes what this opened."""
        if isinstance(self._file, Path):
            self._opened = self._file.open("rb", buffering=0)
            self._read_at = _reader(self._opened, 0)
        else:
            self._read_at = _reader(self._file, self._start)
        return self

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
            self._opened = None

    def __enter__(self) -> FileParts:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def spans(self, part_size: int) -> Iterator[tuple[int, int]]:
        """(offset, size) of each part of at most `part_size` bytes, in the file's order,
        made as they are asked for (tiny parts of a large file would be millions)."""
        return ((at, min(part_size, self.size - at)) for at in range(0, self.size, part_size))

    def part(self, offset: int, size: int, progress: Optional[Callable[[int], Any]]) -> Part:
        """The part of `size` bytes at `offset`, to send as an `Upload`."""
        if self._read_at is None:
            raise ValueError("the file is not open: use FileParts as a context manager")
        return Part(self._read_at, offset, size, progress)


class Part:
    """`size` bytes at `offset` of a file, read as a binary file of their own.

    `sent` is the progress of a multipart body sending it: it reports the bytes sent past
    the furthest point reported before, so a part resent by a retry is not counted twice."""

    def __init__(
        self, read_at: ReadAt, offset: int, size: int, progress: Optional[Callable[[int], Any]]
    ) -> None:
        self._read_at = read_at
        self._offset = offset
        self._size = size
        self._at = 0
        self._reported = 0
        self._progress = progress

    def upload(self, filename: str) -> Upload:
        return Upload(self, filename, "application/octet-stream")  # type: ignore[arg-type]

    def read(self, size: int = -1) -> bytes:
        left = self._size - self._at
        wanted = left if size is None or size < 0 else min(size, left)
        if wanted <= 0:
            return b""
        data = self._read_at(self._offset + self._at, wanted)
        self._at += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def sent(self, _size: int) -> Any:
        """Called by the multipart body after each piece of this part went out."""
        advance = self._at - self._reported
        if advance <= 0 or self._progress is None:
            return None
        self._reported = self._at
        return self._progress(advance)


def _check_seekable(name: str, file: Any) -> None:
    """An open file whose parts can be read at their offsets: one that can seek."""
    seekable = getattr(file, "seekable", None)
    try:
        can_seek = callable(seekable) and bool(seekable()) and file.tell() >= 0
    except (OSError, ValueError):
        can_seek = False
    if not can_seek:
        raise ValueError(
            f"{name} is a file that cannot seek (a pipe?): its parts are read at their "
            "offsets, in parallel; save it to a file first, or pass its path"
        )


def _reader(file: IO[bytes], start: int) -> ReadAt:
    """How to read `size` bytes at an offset (from `start`) without moving a position
    another part reads from: `os.pread` on the descriptor, or a seek and a read under a
    lock where there is none (an `io.BytesIO`, or a system without `pread`)."""
    pread = getattr(os, "pread", None)
    try:
        descriptor = file.fileno() if pread is not None else -1
    except (OSError, ValueError, AttributeError):
        descriptor = -1
    if pread is not None and descriptor >= 0:
        return lambda offset, size: pread(descriptor, size, start + offset)  # type: ignore[no-any-return]
    lock = threading.Lock()

    def read_at(offset: int, size: int) -> bytes:
        with lock:
            file.seek(start + offset)
            return file.read(size)

    return read_at
