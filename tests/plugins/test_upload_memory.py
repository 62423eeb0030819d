"""A 512 MiB upload (the largest /files takes) streams from disk in constant memory, on
either client, whether it is given as a path or as an open file: the client runs in a
subprocess that reports its own peak RSS, against a local server that counts the bytes and
keeps none."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.servers import Conn, RawServer

SIZE = 512 << 20  # 512 MiB: files.upload refuses more (uploads.upload_file takes it)
RSS_BOUND_MB = 64

# The client of each kind, in a process of its own (make_client cannot reach there): it
# uploads the file named on its command line (its path, or the file opened when the third
# argument says "file"), then prints the answer and its peak RSS.
UPLOAD = {
    "sync": """
        client = openaistream.OpenAI(KEY, base_url=sys.argv[1], max_retries=0)
        answer = client.files.upload(SOURCE, purpose="batch")
    """,
    "async": """
        async def upload():
            async with openaistream.AsyncOpenAI(KEY, base_url=sys.argv[1], max_retries=0) as c:
                return await c.files.upload(SOURCE, purpose="batch")

        answer = asyncio.run(upload())
    """,
}
PROLOGUE = """
    import asyncio, json, sys
    import openaistream

    KEY = "sk-test-upload-0000000000"
    SOURCE = open(sys.argv[2], "rb") if sys.argv[3] == "file" else sys.argv[2]
"""
REPORT = """
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest).
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"answer": answer, "peak_mb": peak_kb / 1024}))
"""


def client_script(kind: str) -> str:
    return "".join(textwrap.dedent(part) for part in (PROLOGUE, UPLOAD[kind], REPORT))


class CountingUpload:
    """Reads a multipart body of any size as it arrives, keeping only its first and last
    bytes, and answers with what it counted."""

    def __init__(self) -> None:
        self.received = 0
        self.length = -1
        self.head = b""
        self.tail = b""

    def __call__(self, conn: Conn) -> None:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += conn.sock.recv(65536)
        header, _, body = buffer.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")[1:]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)
        }
        self.length = int(headers["content-length"])
        self.head = body[:512]
        self.received = len(body)
        self.tail = body[-64:]
        while self.received < self.length:
            data = conn.sock.recv(1 << 20)
            if not data:
                break
            if len(self.head) < 512:  # the first read may have held the HTTP head alone
                self.head = (self.head + data)[:512]
            self.received += len(data)
            self.tail = (self.tail + data)[-64:]
        answer = json.dumps(
            {"id": "file-big", "object": "file", "received": self.received}
        ).encode()
        conn.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(answer), answer)
        )


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="peak RSS is read from /proc (Linux only)"
)
@pytest.mark.parametrize("source", ["path", "file"])
def test_a_512_mib_upload_streams_in_constant_memory(
    tmp_path: Path, client_kind: str, source: str
) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("wb") as file:
        file.truncate(SIZE)  # sparse: no disk space used, zeros when read
    counter = CountingUpload()
    with RawServer(counter) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                client_script(client_kind),
                server.url + "/v1",
                str(big),
                source,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["answer"]["received"] == counter.length
    assert counter.received == counter.length > SIZE
    assert b'name="file"; filename="big.jsonl"' in counter.head
    assert counter.tail.endswith(b"--\r\n")
    assert report["peak_mb"] < RSS_BOUND_MB, f"peak RSS {report['peak_mb']:.1f} MB"
    print(f"peak RSS uploading 512 MiB ({client_kind}, {source}): {report['peak_mb']:.1f} MB")
