"""A local Uploads API for ``uploads.upload_file``: a raw-socket handler (for
tests/support/servers.py's RawServer) that reads each part as it arrives and keeps only its
runs (:class:`Runs`: the lengths of its zeros and its few other bytes), so that parts of a
sparse file of any size are checked byte for byte in a little memory.

Sparse files made by :func:`sparse_file` carry a 16-byte marker at known offsets (every
``every`` bytes, and at the end): a part that starts at a marker names its own offset.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Optional, Union

HOLD_TIMEOUT = 10.0  # seconds the first parts wait for the others to be in flight
_ZEROS = bytes(1 << 20)


def marker(offset: int) -> bytes:
    return b"<%014x>" % offset  # 16 bytes


def sparse_file(path: Path, size: int, every: int) -> Path:
    """A file of ``size`` bytes, zeros on disk as holes, with a marker every ``every`` bytes
    and one in its last 16 bytes."""
    with path.open("wb") as file:
        file.truncate(size)
        for offset in [*range(0, size - 16, every), size - 16]:
            file.seek(offset)
            file.write(marker(offset))
    return path


class Runs:
    """Bytes as runs: a run of zeros as its length, other bytes as they are. Exact, and
    small for a sparse file."""

    def __init__(self) -> None:
        self.items: list[Union[int, bytes]] = []
        self.size = 0

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        rest = data.lstrip(b"\0")
        self._zeros(len(data) - len(rest))
        body = rest.rstrip(b"\0")
        if body:
            self.items.append(body)
        self._zeros(len(rest) - len(body))

    def _zeros(self, count: int) -> None:
        if not count:
            return
        if self.items and isinstance(self.items[-1], int):
            self.items[-1] += count
        else:
            self.items.append(count)

    def sha256(self) -> str:
        return sha256_of([self])

    def start(self, size: int) -> bytes:
        """The first ``size`` bytes."""
        out = b""
        for item in self.items:
            out += bytes(item) if isinstance(item, int) else item
            if len(out) >= size:
                break
        return out[:size]


def sha256_of(runs: list[Runs]) -> str:
    """The SHA-256 of the bytes of ``runs`` one after the other."""
    digest = hashlib.sha256()
    for one in runs:
        for item in one.items:
            if isinstance(item, bytes):
                digest.update(item)
                continue
            while item:
                step = min(item, len(_ZEROS))
                digest.update(_ZEROS[:step])
                item -= step
    return digest.hexdigest()


def runs_of_file(path: Path, start: int = 0) -> Runs:
    runs = Runs()
    with path.open("rb") as file:
        file.seek(start)
        for data in iter(lambda: file.read(1 << 20), b""):
            runs.feed(data)
    return runs


class UploadsServer:
    """Answers the four operations of the Uploads API for one upload, ``upload_1``.

    Parts: the first ``hold`` are held (not read) until ``hold`` are in flight at once (or
    HOLD_TIMEOUT passes); the part at ``failing`` (an offset) is answered 500 every time,
    those at ``failing_once`` the first time only; ``slow`` parts (offset -> seconds) are
    answered late. Each answered part gets a random id; ``parts`` maps it to the part's
    offset (its first marker) and runs. ``peak`` is the most parts seen in flight at once.
    """

    def __init__(
        self,
        hold: int = 0,
        failing: Optional[int] = None,
        failing_once: tuple[int, ...] = (),
        slow: Optional[dict[int, float]] = None,
    ) -> None:
        self.hold = hold
        self.failing = failing
        self.failing_once = set(failing_once)
        self.slow = slow or {}
        self.created: list[dict[str, Any]] = []
        self.completed: list[dict[str, Any]] = []
        self.cancelled: list[str] = []
        self.parts: dict[str, tuple[int, Runs]] = {}
        self.attempts: Counter[int] = Counter()
        self.opened = self.active = self.peak = 0
        self._changed = threading.Condition()

    def __call__(self, conn: Any) -> None:
        sock: socket.socket = conn.sock
        (_, target, headers), rest = _read_head(sock)
        if target.endswith("/parts"):
            status, body = self._part(sock, headers, rest)
        else:
            data = _read_body(sock, int(headers.get("content-length", "0")), rest)
            status, body = self._other(target, json.loads(data) if data else None)
        answer = json.dumps(body).encode()
        sock.sendall(
            b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (status, len(answer), answer)
        )

    def _other(self, target: str, body: Any) -> tuple[int, dict[str, Any]]:
        upload = {"id": "upload_1", "object": "upload", "filename": "big.jsonl"}
        if target.endswith("/uploads"):
            self.created.append(body)
            return 200, {**upload, "status": "pending", "bytes": body["bytes"]}
        if target.endswith("/complete"):
            self.completed.append(body)
            file = {"id": "file-xyz321", "object": "file", "bytes": self.created[-1]["bytes"]}
            return 200, {**upload, "status": "completed", "file": file}
        if target.endswith("/cancel"):
            self.cancelled.append(target.split("/")[-2])
            return 200, {**upload, "status": "cancelled"}
        return 404, {"error": {"message": f"no {target}"}}

    def _part(self, sock: socket.socket, headers: dict[str, str], rest: bytes) -> Any:
        with self._changed:
            self.opened += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
            self._changed.notify_all()
            if self.opened <= self.hold:
                self._changed.wait_for(lambda: self.opened >= self.hold, HOLD_TIMEOUT)
        try:
            runs = _read_part(sock, headers, rest)
        finally:
            with self._changed:
                self.active -= 1
        offset = int(runs.start(16)[1:15], 16)
        with self._changed:
            self.attempts[offset] += 1
            first = self.attempts[offset] == 1
        if offset == self.failing or (first and offset in self.failing_once):
            return 500, {"error": {"message": "the part could not be stored", "type": "server"}}
        if offset in self.slow:
            threading.Event().wait(self.slow[offset])
        part_id = f"part_{uuid.uuid4().hex[:12]}"
        with self._changed:
            self.parts[part_id] = (offset, runs)
        return 200, {"id": part_id, "object": "upload.part", "upload_id": "upload_1"}

    def reassembled(self) -> list[Runs]:
        """The parts in the order of the completion call."""
        return [self.parts[part_id][1] for part_id in self.completed[-1]["part_ids"]]


def _read_head(sock: socket.socket) -> tuple[tuple[str, str, dict[str, str]], bytes]:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("the client closed before its request's head")
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return (method, target, headers), rest


def _read_body(sock: socket.socket, length: int, rest: bytes) -> bytes:
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            break
        rest += data
    return rest[:length]


def _read_part(sock: socket.socket, headers: dict[str, str], rest: bytes) -> Runs:
    """Read a part's multipart body as it arrives: its one file's bytes as runs, checked
    to be framed by the boundary the Content-Type names."""
    boundary = re.search(r"boundary=(\S+)", headers["content-type"]).group(1)  # type: ignore[union-attr]
    closing = b"\r\n--%s--\r\n" % boundary.encode()
    length = int(headers["content-length"])
    while b"\r\n\r\n" not in rest:  # the part's own headers
        rest += sock.recv(65536)
    part_head, _, rest = rest.partition(b"\r\n\r\n")
    assert part_head.startswith(b"--%s\r\n" % boundary.encode()), part_head
    assert b'name="data"' in part_head, part_head
    data_size = length - len(part_head) - 4 - len(closing)
    runs, tail = Runs(), b""
    received = len(part_head) + 4
    pending = rest
    while True:
        take = min(len(pending), max(0, data_size - runs.size))
        if take:
            runs.feed(pending[:take])
        tail += pending[take:]
        received += len(pending)
        if received >= length:
            break
        pending = sock.recv(1 << 20)
        if not pending:
            raise ConnectionError("the client closed in the middle of a part")
    assert tail == closing, tail
    return runs
