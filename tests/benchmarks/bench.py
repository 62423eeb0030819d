# ruff: noqa: E501 - a benchmark script: wire formats and table rows read best on one line
"""The benchmark: openaistream against raw urllib3 + json.loads (the baseline; with orjson
installed, urllib3 + orjson.loads too, the baseline of the ``fast`` extra) and openai-python
when it is installed, all in one run against one local server, side by side.

    python tests/benchmarks/bench.py            # 100,000 events a stream, a 32 MB event
    python tests/benchmarks/bench.py --quick    # 10,000 events, 100,000 for memory, 8 MB

Machines are noisy: the ratio to the baseline of the same run is the figure. The server runs
in its own process, so it does not compete with the contenders for the GIL. Not collected by
pytest (its name does not start with test_).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable

# A chat.completion.chunk of the size the API sends (about 290 bytes).
EVENT = (
    b'data: {"id":"chatcmpl-ASYMZ4oSykiIFK4lXLReDiKyAjsQl","object":"chat.completion.chunk",'
    b'"created":1731368639,"model":"gpt-4-0613","system_fingerprint":null,"choices":[{"index":0,'
    b'"delta":{"content":" is"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
)
DONE = b"data: [DONE]\n\n"
KEY = "sk-bench-00000000000000000000"


# -- the server (its own process) ---------------------------------------------------------


def serve(port_out: Any) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port_out.put(listener.getsockname()[1])
    bodies: dict[tuple[str, int], bytes] = {}

    def body(kind: str, count: int) -> bytes:
        if (kind, count) not in bodies:
            if kind == "chunked":
                one = b"%x\r\n%s\r\n" % (len(EVENT), EVENT)
                bodies[kind, count] = one * count + b"%x\r\n%s\r\n0\r\n\r\n" % (len(DONE), DONE)
            else:
                bodies[kind, count] = EVENT * count + DONE
        return bodies[kind, count]

    def handle(conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {
                    k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
                }
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    data = conn.recv(1 << 20)
                    if not data:
                        return
                    if length > 1 << 24:  # an upload: count it, keep nothing
                        length -= len(data)
                        continue
                    buffer += data
                buffer = buffer[length:] if length <= len(buffer) else b""
                query = dict(p.split("=") for p in target.partition("?")[2].split("&") if p)
                kind, count = query.get("kind", "small"), int(query.get("n", "0"))
                if kind == "small":
                    answer = b'{"id":"x","object":"test","ok":true}'
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)
                    )
                elif kind == "first":
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n"
                    )
                    conn.sendall(b"%x\r\n%s\r\n" % (len(EVENT), EVENT))
                    time.sleep(0.2)
                    conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(DONE), DONE))
                elif kind == "chunked":
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" + body(kind, count)
                    )
                else:
                    data = body(kind, count)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(data) + data
                    )

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


# -- the contenders -----------------------------------------------------------------------


def baseline_stream(
    url: str, kind: str, count: int, first: bool = False, fast: bool = False
) -> float:
    """Raw urllib3 + json.loads: stream() (one read per chunk) or read1, split, loads; with
    ``fast``, orjson.loads instead (the baseline of the ``fast`` extra)."""
    import urllib3

    fast_loads = __import__("orjson").loads if fast else None

    pool = urllib3.PoolManager()
    start = time.perf_counter()
    response = pool.request("POST", f"{url}/chat/completions?kind={kind}&n={count}",
                            body=b'{"stream": true}', preload_content=False)  # fmt: skip
    reads = (
        response.read_chunked() if response.chunked else iter(lambda: response.read1(65536), b"")
    )
    held, events = b"", 0
    for data in reads:
        held += data
        *blocks, held = held.split(b"\n\n")
        for block in blocks:
            if block == b"data: [DONE]":
                break
            if fast_loads is None:
                json.loads(block[6:].decode())
            else:
                fast_loads(block[6:])
            events += 1
            if first:
                return time.perf_counter() - start
    elapsed = time.perf_counter() - start
    assert events == count, events
    return elapsed


def openaistream_stream(client: Any, kind: str, count: int, first: bool = False) -> float:
    start = time.perf_counter()
    stream = client.request("POST", f"/chat/completions?kind={kind}&n={count}",
                            json={"stream": True}, stream=True)  # fmt: skip
    events = 0
    for _ in stream:
        events += 1
        if first:
            elapsed = time.perf_counter() - start
            stream.close()
            return elapsed
    elapsed = time.perf_counter() - start
    assert events == count, events
    return elapsed


def openai_python_stream(url: str, kind: str, count: int, first: bool = False) -> float:
    import openai

    client = openai.OpenAI(api_key=KEY, base_url=url, max_retries=0)
    start = time.perf_counter()
    stream = client.chat.completions.create(
        model="m", messages=[], stream=True, extra_query={"kind": kind, "n": count}
    )
    events = 0
    for _ in stream:
        events += 1
        if first:
            return time.perf_counter() - start
    elapsed = time.perf_counter() - start
    assert events == count, events
    return elapsed


def best(runs: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(runs))


# -- one long event: decoding time by line ending, and peak memory ---------------------------


def long_event_chunks(size: int, newline: bytes) -> Any:
    """A short event, then one event of ``size`` bytes arriving in 64 KiB chunks."""
    piece = b"x" * 65536
    yield b'data: {"a": 1}' + newline * 2 + b'data: {"long": "'
    for _ in range(size // len(piece)):
        yield piece
    yield b'"}' + newline * 2


def long_event_seconds(size: int, newline: bytes) -> float:
    from openaistream.sse import decode_sse

    start = time.perf_counter()
    items = list(decode_sse(long_event_chunks(size, newline)))
    elapsed = time.perf_counter() - start
    assert len(items[1]["long"]) == size
    return elapsed


def long_event_peak(size: int) -> float:
    """The peak of traced memory while a DataStream reads one long event (default keep),
    as a multiple of the event's size: chunks, joins, text and the parsed value."""
    import tracemalloc

    import openaistream

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        response = openaistream.Response(200, {}, long_event_chunks(size, b"\r\n"))
        items = list(openaistream.DataStream(response))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(items[1]["long"]) == size
    return peak / size


# -- subprocess measures: import time and peak memory ---------------------------------------


def accumulate_seconds(count: int) -> float:
    """Adding up ``count`` chat chunks of one token each, with its logprobs (three top
    alternatives, as the recording logprobs_top3_include_usage has them)."""
    from openaistream.plugins.chat import accumulate

    top = [{"token": "a", "logprob": -0.1, "bytes": [97]}] * 3
    chunks = [
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
         "choices": [{"index": 0, "delta": {"content": "tok "}, "finish_reason": None,
                      "logprobs": {"content": [{"token": "tok ", "logprob": -0.1,
                                                "bytes": [116, 111, 107, 32],
                                                "top_logprobs": top}]}}]}
        for _ in range(count)
    ]  # fmt: skip
    start = time.perf_counter()
    accumulate(chunks)
    return time.perf_counter() - start


def import_time(module: str) -> tuple[float, float]:
    """(wall seconds, -X importtime cumulative seconds), best of five fresh interpreters."""
    walls, totals = [], []
    for _ in range(5):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                                capture_output=True, text=True, check=True)  # fmt: skip
        walls.append(time.perf_counter() - start)
        last = [
            line for line in result.stderr.splitlines() if line.rstrip().endswith(f"| {module}")
        ]
        totals.append(int(last[-1].split("|")[1]) / 1e6)
    empty = min(_wall([sys.executable, "-c", "pass"]) for _ in range(5))
    return min(walls) - empty, min(totals)


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


PEAK = textwrap.dedent(
    """
    import sys, openaistream
    client = openaistream.OpenAI("{key}", base_url=sys.argv[1], max_retries=0)
    {work}
    with open("/proc/self/status") as status:
        print(next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024)
    """
).replace("{key}", KEY)


def peak_mb(url: str, work: str, *args: str) -> float:
    code = PEAK.replace("{work}", textwrap.dedent(work).strip())
    result = subprocess.run([sys.executable, "-c", code, url, *args], capture_output=True,
                            text=True, check=True)  # fmt: skip
    return float(result.stdout.strip())


CONSUME = """
stream = client.request("POST", "/chat/completions?kind=chunked&n=" + sys.argv[2], json={}, stream=True)
if sys.argv[3] == "nokeep":
    stream.keep = False
assert sum(1 for _ in stream) == int(sys.argv[2])
"""
UPLOAD = """
client.uploads.upload_file(sys.argv[2], purpose="batch")  # over the 512 MB of files.upload
"""


# -- the async server (its own process): many connections at once -------------------------


def _raise_fd_limit(wanted: int) -> None:
    """The soft limit on open files raised to ``wanted``, within the hard limit."""
    try:
        import resource
    except ImportError:  # not on Windows: its limit is high enough
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        top = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))


def serve_async(port_out: Any) -> None:
    """An asyncio server for a thousand connections at once, serving prebuilt bytes: kind=
    chunked (one HTTP chunk an event) or length (one Content-Length body) with n events and
    [DONE]; kind=hold sends n events, then holds the stream open until the client goes."""
    import asyncio

    _raise_fd_limit(8192)
    bodies: dict[tuple[str, int], bytes] = {}

    def body(kind: str, count: int) -> bytes:
        if (kind, count) not in bodies:
            one = b"%x\r\n%s\r\n" % (len(EVENT), EVENT)
            if kind == "chunked":
                data = one * count + b"%x\r\n%s\r\n0\r\n\r\n" % (len(DONE), DONE)
                head = b"Transfer-Encoding: chunked"
            elif kind == "hold":
                data, head = one * count, b"Transfer-Encoding: chunked"
            else:
                data = EVENT * count + DONE
                head = b"Content-Length: %d" % len(data)
            bodies[kind, count] = (
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n%s\r\n\r\n%s" % (head, data)
            )
        return bodies[kind, count]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next((int(line.split(":")[1]) for line in lines
                               if line.lower().startswith("content-length:")), 0)  # fmt: skip
                await reader.readexactly(length)
                target = lines[0].split(" ")[1]
                query = dict(p.split("=") for p in target.partition("?")[2].split("&") if p)
                kind, count = query.get("kind", "chunked"), int(query.get("n", "0"))
                data = memoryview(body(kind, count))
                for start in range(0, len(data), 65536):  # as a server writes: drained
                    writer.write(data[start : start + 65536])
                    await writer.drain()
                if kind == "hold":
                    await reader.read()  # until the client hangs up
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        port_out.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# -- the async contenders: AsyncOpenAI on aiohttp, raw aiohttp, openai-python's AsyncOpenAI --


async def baseline_astream(session: Any, url: str, kind: str, count: int) -> float:
    """Raw aiohttp + json.loads: readany (whatever has arrived), split, loads."""
    start = time.perf_counter()
    async with session.post(f"{url}/chat/completions?kind={kind}&n={count}",
                            data=b'{"stream": true}') as response:  # fmt: skip
        held, events = b"", 0
        while True:
            data = await response.content.readany()
            if not data:
                break
            held += data
            *blocks, held = held.split(b"\n\n")
            for block in blocks:
                if block == b"data: [DONE]":
                    break
                json.loads(block[6:].decode())
                events += 1
    elapsed = time.perf_counter() - start
    assert events == count, events
    return elapsed


async def openaistream_astream(client: Any, kind: str, count: int) -> float:
    start = time.perf_counter()
    stream = await client.request("POST", f"/chat/completions?kind={kind}&n={count}",
                                  json={"stream": True}, stream=True)  # fmt: skip
    events = 0
    async for _ in stream:
        events += 1
    elapsed = time.perf_counter() - start
    assert events == count, events
    return elapsed


async def openai_python_astream(client: Any, kind: str, count: int) -> float:
    start = time.perf_counter()
    stream = await client.chat.completions.create(
        model="m", messages=[], stream=True, extra_query={"kind": kind, "n": count}
    )
    events = 0
    async for _ in stream:
        events += 1
    elapsed = time.perf_counter() - start
    assert events == count, events
    return elapsed


async def abest(runs: int, measure: Callable[[], Any]) -> float:
    return min([await measure() for _ in range(runs)])


# -- many streams on one event loop (a subprocess of its own, for its peak RSS) ----------------


def _fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


def _status(field: str) -> int:
    """A line of /proc/self/status, in bytes."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field)) * 1024


def _reset_peak() -> None:
    """VmHWM back to the current RSS (Linux 4.0 and later)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


async def many_streams(
    url: str, phase: str, streams: int, events: int, single: int
) -> dict[str, Any]:
    """One phase, in a fresh interpreter: "default" / "nokeep" (``streams`` AsyncOpenAI
    streams of ``events`` events at once, every event checked, keep as it says), "raw" (the
    same with raw aiohttp + json.loads) or "cancel" (``streams`` streams cancelled mid-stream,
    the server holding, then flowing). The figures, as a dict."""
    import asyncio

    import aiohttp

    import openaistream

    _raise_fd_limit(streams * 2 + 256)
    expected = json.loads(EVENT[len(b"data: ") :])
    figures: dict[str, Any] = {}
    fds_before = _fds()
    client = openaistream.AsyncOpenAI(KEY, base_url=url, max_retries=0)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))  # for "raw"

    async def ours(events: int, keep: Any, kind: str = "chunked", into: Any = None) -> Any:
        stream = await client.request("POST", f"/chat/completions?kind={kind}&n={events}",
                                      json={"stream": True}, stream=True)  # fmt: skip
        if keep is not None:
            stream.keep = keep  # before reading: the client has no per-call keep
        got = 0
        async for item in stream:
            if item != expected:
                raise AssertionError(f"event {got}: {item!r}")
            got += 1
            if into is not None:
                into.append(1)
        if got != events or stream.get_state() != "complete":
            raise AssertionError(f"{got} events, {stream.get_state()}")
        return stream  # held until every stream is done: each keeps its bytes till then

    async def raw(events: int, keep: Any) -> None:
        async with session.post(f"{url}/chat/completions?kind=chunked&n={events}",
                                data=b'{"stream": true}') as response:  # fmt: skip
            held, got = b"", 0
            while True:
                data = await response.content.readany()
                if not data:
                    break
                held += data
                *blocks, held = held.split(b"\n\n")
                for block in blocks:
                    if block == b"data: [DONE]":
                        break
                    if json.loads(block[6:].decode()) != expected:
                        raise AssertionError(f"event {got}")
                    got += 1
        if got != events:
            raise AssertionError(f"{got} events")

    if phase in ("default", "nokeep", "raw"):
        read = raw if phase == "raw" else ours
        keep = False if phase == "nokeep" else None
        walls, cpus = [], []
        for _ in range(3):
            start, cpu = time.perf_counter(), time.process_time()
            await read(single, keep)
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        figures["single"] = single / min(walls)
        figures["single cpu"] = single / min(cpus)
        fds = _fds()
        rss = _status("VmRSS")
        _reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        done = await asyncio.gather(*(read(events, keep) for _ in range(streams)))
        figures["many"] = streams * events / (time.perf_counter() - start)
        figures["many cpu"] = streams * events / (time.process_time() - cpu)
        figures["growth"] = _status("VmHWM") - rss
        figures["pooled"] = _fds() - fds  # idle keep-alive connections, until closed
        del done
    else:
        for kind in ("hold", "chunked"):
            # Held: the server sends 10 events, then waits (as for a model's next token).
            # Flowing: streams four times as long, cancelled an eighth of the way through.
            fds, rss = _fds(), _status("VmRSS")
            arrived: list[int] = []
            length = 10 if kind == "hold" else events * 4
            tasks = [
                asyncio.ensure_future(ours(length, None, kind, arrived)) for _ in range(streams)
            ]
            wanted = streams * length if kind == "hold" else streams * length // 8
            for _ in range(6000):  # until enough arrived: at most a minute
                if len(arrived) >= wanted or any(task.done() for task in tasks):
                    break
                await asyncio.sleep(0.01)
            assert len(arrived) >= wanted, len(arrived)
            held = _status("VmRSS") - rss
            reading = [task for task in tasks if not task.done()]
            fds += len(tasks) - len(reading)  # a stream done already: its connection pooled
            open_now = _fds() - fds
            start = time.perf_counter()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            cancelled = time.perf_counter() - start
            assert all(task.cancelled() for task in reading)
            turns = 0
            while _fds() > fds and turns < 1000:  # the aborted sockets close in a turn or two
                await asyncio.sleep(0)
                turns += 1
            figures[kind] = {
                "held": held,
                "reading": len(reading),
                "open": open_now,
                "seconds": cancelled,
                "until fds": time.perf_counter() - start,
                "fds left": _fds() - fds,
            }
    await client.close()
    await session.close()
    figures["fds after close"] = _fds() - fds_before
    return figures


def _many(url: str, phase: str, streams: int, events: int, single: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--many", url, phase, str(streams),
                           str(events), str(single)], capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def many_rows(streams: int, events: int, single: int, row: Callable[..., None]) -> None:
    """The figures of ``many_streams``, each phase in a fresh interpreter (its peak RSS its
    own), against the asyncio server."""
    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_async, args=(ports,), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=10)}/v1"
        phases = {phase: _many(url, phase, streams, events, single)
                  for phase in ("raw", "default", "nokeep", "cancel")}  # fmt: skip
    finally:
        server.terminate()
        server.join()
    at_once = f"{streams:,} streams of {events:,} events at once"
    body = len(EVENT) * events + len(DONE)  # what each stream keeps by default: all of it
    for phase, name in (("raw", "aiohttp + json.loads"), ("default", "AsyncOpenAI, default keep"),
                        ("nokeep", "AsyncOpenAI, keep=False")):  # fmt: skip
        got = phases[phase]
        ratio = f"{got['many'] / got['single']:.2f}x one stream ({got['many cpu'] / got['single cpu']:.2f}x in CPU time)"
        row(f"async events/s, {at_once}", name, got["many"], f"/s  {ratio}")
        row(f"async events/s, one stream of {single:,} alone", name, got["single"], "/s")
    for phase, name in (("raw", "aiohttp + json.loads"), ("default", f"AsyncOpenAI, default keep (keeps {body / 1024:.0f} KB)"),
                        ("nokeep", "AsyncOpenAI, keep=False")):  # fmt: skip
        growth = phases[phase]["growth"] / streams
        beyond = (
            f"  {(growth - body) / 1024:.1f} KB beyond what it keeps" if phase == "default" else ""
        )
        row(f"peak RSS growth a stream, {at_once}", name, growth / 1024, f"KB{beyond}")
    held = phases["cancel"]["hold"]
    row(f"RSS growth a stream, {streams:,} streams held open mid-stream", "AsyncOpenAI, default keep",
        held["held"] / streams / 1024, "KB")  # fmt: skip
    row(f"open fds after {at_once}", "AsyncOpenAI, pooled, idle (until the client closes)",
        phases["default"]["pooled"], "fds")  # fmt: skip
    row(f"open fds after {at_once}", "AsyncOpenAI, after client.close(), beyond the baseline",
        phases["default"]["fds after close"], "fds")  # fmt: skip
    for kind, how in (("hold", "the server holding"), ("chunked", "the body flowing")):
        cancel = phases["cancel"][kind]
        row(f"cancelling {streams:,} streams mid-stream, {how}",
            f"AsyncOpenAI, {cancel['reading']:,} reading, {cancel['open']:,} fds open", cancel["seconds"] * 1000,
            f"ms  fds back to the baseline +{cancel['fds left']} in {cancel['until fds'] * 1000:.0f} ms")  # fmt: skip


async def async_rows(url: str, count: int, runs: int, row: Callable[..., None]) -> None:
    """The async rows: raw aiohttp + json.loads (the async baseline), AsyncOpenAI on the
    aiohttp transport, openai-python's AsyncOpenAI; runs interleaved, best of each."""
    import aiohttp

    import openaistream
    from openaistream import jsonlib

    ours = openaistream.AsyncOpenAI(KEY, base_url=url, max_retries=0)
    try:
        import openai

        theirs: Any = openai.AsyncOpenAI(api_key=KEY, base_url=url, max_retries=0)
    except ImportError:
        theirs = None

    async def plain(kind: str) -> float:
        jsonlib.loads = jsonlib.stdlib_loads
        try:
            return await openaistream_astream(ours, kind, count)
        finally:
            jsonlib.loads = jsonlib.orjson_loads

    async with aiohttp.ClientSession() as session:
        for kind in ("chunked", "length"):
            metric = f"async events/s, {'one HTTP chunk an event' if kind == 'chunked' else 'Content-Length body'}"
            times: dict[str, list[float]] = {"base": [], "fast": [], "plain": [], "theirs": []}
            for run in range(runs):
                times["base"].append(await baseline_astream(session, url, kind, count))
                times["fast"].append(await openaistream_astream(ours, kind, count))
                if jsonlib.FAST:
                    times["plain"].append(await plain(kind))
                if theirs is not None and run == 0:
                    times["theirs"].append(await openai_python_astream(theirs, kind, count))
            base = count / min(times["base"])
            row(metric, "aiohttp + json.loads (baseline)", base, "/s")
            fast = count / min(times["fast"])
            name = f"AsyncOpenAI ({'orjson' if jsonlib.FAST else 'json'})"
            row(metric, name, fast, f"/s  {fast / base:.2f}x")
            if times["plain"]:
                slow = count / min(times["plain"])
                row(metric, "AsyncOpenAI (json)", slow, f"/s  {slow / base:.2f}x")
            if times["theirs"]:
                other = count / min(times["theirs"])
                row(metric, "openai-python AsyncOpenAI", other, f"/s  {other / base:.2f}x")
                row(metric, "AsyncOpenAI / openai-python's", fast / other, "x")
    await ours.close()
    if theirs is not None:
        await theirs.close()


# -- the run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events, for a first look")
    # URL PHASE STREAMS EVENTS SINGLE: one phase of many_rows, in a fresh interpreter
    parser.add_argument("--many", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.many:
        import asyncio

        url, phase, *numbers = args.many
        figures = asyncio.run(many_streams(url, phase, *map(int, numbers)))
        print(json.dumps(figures))
        return
    count = 10_000 if args.quick else 100_000
    memory_events = 100_000 if args.quick else 1_000_000
    runs = 3

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=10)}/v1"

    import openaistream
    from openaistream import jsonlib
    from openaistream.transports.replay import ReplayTransport

    client = openaistream.OpenAI(KEY, base_url=url, max_retries=0)
    try:
        import openai  # noqa: F401

        has_openai = True
    except ImportError:
        has_openai = False

    rows: list[tuple[str, str, float, str]] = []

    def row(metric: str, contender: str, value: float, unit: str) -> None:
        rows.append((metric, contender, value, unit))
        print(f"  {metric:<34} {contender:<34} {value:>12,.1f} {unit}", flush=True)

    print(f"python {sys.version.split()[0]}, orjson {'yes' if jsonlib.FAST else 'no'}, "
          f"{count:,} events a stream, best of {runs}\n")  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        cassette = Path(folder) / "bench.json"
        recorder = openaistream.OpenAI(KEY, base_url=url, transport="replay",
                                       cassette=str(cassette), record_mode="record")  # fmt: skip
        openaistream_stream(recorder, "chunked", count)
        recorder.close()

        for kind in ("chunked", "length"):
            metric = f"events/s, {'one HTTP chunk an event' if kind == 'chunked' else 'Content-Length body'}"
            base = count / best(runs, lambda kind=kind: baseline_stream(url, kind, count))
            row(metric, "urllib3 + json.loads (baseline)", base, "/s")
            fast = count / best(runs, lambda kind=kind: openaistream_stream(client, kind, count))
            if jsonlib.FAST:
                # The fast extra's own baseline: what a hand-written client using orjson does.
                quick = count / best(
                    runs, lambda kind=kind: baseline_stream(url, kind, count, fast=True)
                )
                row(metric, "urllib3 + orjson.loads (baseline)", quick, f"/s  {quick / base:.2f}x")
                row(metric, "openaistream (orjson)", fast,
                    f"/s  {fast / base:.2f}x  {fast / quick:.2f}x orjson baseline")  # fmt: skip
            else:
                row(metric, "openaistream (json)", fast, f"/s  {fast / base:.2f}x")
            if jsonlib.FAST:  # the same, with json
                jsonlib.loads = jsonlib.stdlib_loads
                plain = count / best(
                    runs, lambda kind=kind: openaistream_stream(client, kind, count)
                )
                jsonlib.loads = jsonlib.orjson_loads
                row(metric, "openaistream (json)", plain, f"/s  {plain / base:.2f}x")
            if kind == "chunked":

                def replayed(kind: str = kind) -> float:
                    player = openaistream.OpenAI(
                        KEY, base_url=url, transport=ReplayTransport(cassette)
                    )
                    return openaistream_stream(player, kind, count)

                replay = count / best(runs, replayed)
                row(
                    metric, "openaistream replaying a cassette", replay, f"/s  {replay / base:.2f}x"
                )
            if has_openai:
                theirs = count / best(1, lambda kind=kind: openai_python_stream(url, kind, count))
                row(metric, "openai-python", theirs, f"/s  {theirs / base:.2f}x")

    import asyncio

    asyncio.run(async_rows(url, count, runs, row))

    base = best(runs, lambda: baseline_stream(url, "first", 1, first=True)) * 1000
    row("time to first event", "urllib3 + json.loads (baseline)", base, "ms")
    ours = best(runs, lambda: openaistream_stream(client, "first", 1, first=True)) * 1000
    row("time to first event", "openaistream", ours, f"ms  {ours / base:.2f}x")
    if has_openai:
        theirs = best(runs, lambda: openai_python_stream(url, "first", 1, first=True)) * 1000
        row("time to first event", "openai-python", theirs, f"ms  {theirs / base:.2f}x")

    long_size = (8 if args.quick else 32) << 20
    metric = f"decoding one {long_size >> 20} MB event in 64 KiB chunks"
    lf = best(runs, lambda: long_event_seconds(long_size, b"\n")) * 1000
    row(metric, "openaistream, LF line endings", lf, "ms")
    crlf = best(runs, lambda: long_event_seconds(long_size, b"\r\n")) * 1000
    row(metric, "openaistream, CRLF line endings", crlf, f"ms  {crlf / lf:.2f}x LF")
    peak = long_event_peak(20 << 20)
    row("peak memory reading one 20 MB event", "openaistream", peak, "x the event")

    for chunks in (1_000, 10_000) if args.quick else (5_000, 50_000):
        seconds = best(runs, lambda chunks=chunks: accumulate_seconds(chunks))
        row(f"adding up {chunks:,} chunks with logprobs", "openaistream accumulate",
            seconds / chunks * 1e6, "us a chunk")  # fmt: skip

    posts = 2000 if not args.quick else 500
    import urllib3

    pool = urllib3.PoolManager()

    def raw_posts() -> float:
        start = time.perf_counter()
        for _ in range(posts):
            answer = pool.request("POST", f"{url}/small", body=b'{"input":"hi"}',
                                  headers={"Content-Type": "application/json"})  # fmt: skip
            json.loads(answer.data)
        return time.perf_counter() - start

    def our_posts() -> float:
        start = time.perf_counter()
        for _ in range(posts):
            client.request("POST", "/small", json={"input": "hi"})
        return time.perf_counter() - start

    base = posts / best(runs, raw_posts)
    row("small POSTs/s over keep-alive", "urllib3 pool.request + json.loads (baseline)", base, "/s")
    ours = posts / best(runs, our_posts)
    row("small POSTs/s over keep-alive", "openaistream", ours, f"/s  {ours / base:.2f}x")

    modules = ["urllib3", "openaistream"] + (["openai"] if has_openai else [])
    times = {module: import_time(module) for module in modules}
    for module, (wall, total) in times.items():
        ratio = f"  {wall / times['urllib3'][0]:.2f}x urllib3"
        row("import wall time", module, wall * 1000, f"ms{ratio}")
        row("import, -X importtime total", module, total * 1000, "ms")

    if Path("/proc/self/status").exists():
        for mode in ("default", "nokeep"):
            small = peak_mb(url, CONSUME, "1000", mode)
            large = peak_mb(url, CONSUME, str(memory_events), mode)
            label = "default (keeps <= 2 MiB for received)" if mode == "default" else "keep=False"
            row(f"peak RSS, 1,000 events, {label}", "openaistream", small, "MB")
            row(
                f"peak RSS, {memory_events:,} events, {label}",
                "openaistream",
                large,
                f"MB  +{large - small:.1f} MB",
            )
        with tempfile.TemporaryDirectory() as folder:
            big = Path(folder) / "big.jsonl"
            with big.open("wb") as file:
                file.truncate(1 << 30)
            row("peak RSS uploading 1 GiB", "openaistream", peak_mb(url, UPLOAD, str(big)), "MB")

    if Path("/proc/self/status").exists():
        streams, events, single = (20, 100, 2000) if args.quick else (1000, 1000, count)
        many_rows(streams, events, single, row)

    client.close()
    server.terminate()
    print("\n| metric | contender | value |\n| --- | --- | --- |")
    for metric, contender, value, unit in rows:
        print(f"| {metric} | {contender} | {value:,.1f} {unit} |")


if __name__ == "__main__":
    main()
