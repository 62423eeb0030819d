"""A local API server that enforces rate limits as OpenAI's do, for the bulk plugin's tests
and benchmark.

Two budgets, requests and tokens a "minute" (``window`` seconds: 60 as the API, less in tests
so a minute passes quickly), each a bucket holding up to its limit and refilled continuously.
A request costs one request and its tokens as the API counts them before answering (the
prompt at four characters a token plus ``max_tokens``); one that does not fit is answered 429
with ``Retry-After``, ``retry-after-ms`` and the API's error body, and takes nothing. Every
answer carries the six ``x-ratelimit-*`` headers and an ``x-request-id`` (facts:
https://platform.openai.com/docs/guides/rate-limits).

In a test, its event loop runs in a thread of the test's process::

    with RateLimitedServer(rpm=100, tpm=10_000, window=1.0) as server:
        client = OpenAI(api_key=..., base_url=server.url)
        ...
        assert server.answered["r-1"] == 1

For the benchmark, in a process of its own (the client under test keeps the other core)::

    python -m tests.support.ratelimit_server --rpm 60000 --tpm 2000000 --window 60

prints its URL on the first line, and its counters as one JSON line when it gets SIGTERM or
its stdin closes.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import itertools
import json
import math
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["Bucket", "RateLimitedServer", "format_reset", "request_tokens"]

Answer = tuple[int, list[tuple[str, str]], bytes]  # status, headers, body

CHARS_PER_TOKEN = 4
_ANSWER_LIMITS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
_STOP_TIMEOUT = 5.0


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# -- the rules: what a request costs, what the buckets allow -------------------------------


def request_tokens(body: Any) -> tuple[int, int]:
    """(the prompt's tokens, the most the answer may take), as the API's limiter estimates
    them before answering: characters / 4 of the messages' text or the ``input``."""
    if not isinstance(body, Mapping):
        return 0, 0
    characters = _characters(body.get("messages")) + _characters(body.get("input"))
    prompt = math.ceil(characters / CHARS_PER_TOKEN)
    for field in _ANSWER_LIMITS:
        limit = body.get(field)
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            return prompt, limit
    return prompt, 0


def _characters(value: Any) -> int:
    """Characters of text in messages or an input: strings, content strings and text parts."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_characters(item) for item in value)
    if isinstance(value, Mapping):
        return _characters(value.get("content")) + _characters(value.get("text"))
    return 0


def format_reset(seconds: float) -> str:
    """A duration as the API writes its resets: "120ms", "1s", "6m0s", "1.5s"."""
    millis = math.ceil(seconds * 1000)
    if millis == 0:
        return "0s"
    if millis < 1000:
        return f"{millis}ms"
    minutes, millis = divmod(millis, 60_000)
    text = f"{millis / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{minutes}m{text}" if minutes else text


class Bucket:
    """A budget of ``size`` units refilled continuously at ``size / window`` a second."""

    def __init__(self, size: float, window: float, now: float) -> None:
        self.size = size
        self.rate = size / window
        self.level = float(size)
        self._at = now

    def refill(self, now: float) -> None:
        self.level = min(self.size, self.level + (now - self._at) * self.rate)
        self._at = now

    def wait_for(self, cost: float) -> float:
        """Seconds until ``cost`` fits (0 if it does now)."""
        return max(0.0, (cost - self.level) / self.rate)

    def reset(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.size - self.level) / self.rate

    def remaining(self) -> int:
        return max(0, int(self.level))


# -- the counters a test or the benchmark reads --------------------------------------------


@dataclass
class Fault:
    status: int
    times: int  # answers still to give; -1: for ever
    body: Any


class Counters:
    def __init__(self) -> None:
        self.admitted = 0  # answered 200
        self.limited = 0  # answered 429 for a rate limit
        self.faulted = 0  # answered with a fault set by the test
        self.answered: Counter[str] = Counter()  # 200s by the body's `user`
        # Each admission: seconds since the server started, and its token cost.
        self.admitted_at = array.array("d")
        self.admitted_tokens = array.array("q")

    def duplicated(self) -> list[str]:
        """The users answered 200 more than once."""
        return sorted(user for user, count in self.answered.items() if count > 1)

    def as_json(self) -> dict[str, Any]:
        return {
            "admitted": self.admitted,
            "limited": self.limited,
            "faulted": self.faulted,
            "answered": dict(self.answered),
            "duplicated": self.duplicated(),
            "admitted_at": [round(t, 5) for t in self.admitted_at],
            "admitted_tokens": list(self.admitted_tokens),
        }


# -- the API: an answer for each request ---------------------------------------------------


class RateLimitedAPI:
    """The HTTP-free part: a request's method, path and body in, an answer out."""

    def __init__(self, rpm: int, tpm: int, window: float = 60.0, latency: float = 0.0) -> None:
        self.window = window
        self.latency = latency
        self.started = time.monotonic()
        self.requests = Bucket(rpm, window, self.started)
        self.tokens = Bucket(tpm, window, self.started)
        self.counters = Counters()
        self._faults: dict[str, Fault] = {}
        self._faults_lock = threading.Lock()
        self._ids = itertools.count(1)

    def fault(self, user: str, status: int, times: int = 1, body: Any = None) -> None:
        with self._faults_lock:
            self._faults[user] = Fault(status, times, body)

    def answer(self, method: str, path: str, raw: bytes) -> Answer:
        now = time.monotonic()
        self.requests.refill(now)
        self.tokens.refill(now)
        number = next(self._ids)
        headers = [("x-request-id", f"req_{number:012d}")]
        route = _ROUTES.get((method, path.partition("?")[0]))
        if route is None:
            return self._error(404, f"Unknown request URL: {method} {path}", headers)
        try:
            body = json.loads(raw)
        except ValueError:
            return self._error(400, "We could not parse the JSON body of your request.", headers)
        if not isinstance(body, dict):
            return self._error(400, "The body of a request must be a JSON object.", headers)
        given = body.get("user")
        user = given if isinstance(given, str) else ""
        fault = self._take_fault(user)
        if fault is not None:
            self.counters.faulted += 1
            return self._faulted(fault, headers)
        prompt, most = request_tokens(body)
        cost = prompt + most
        refused = self._refusal(cost, headers)
        if refused is not None:
            self.counters.limited += 1
            return refused
        self.requests.level -= 1
        self.tokens.level -= cost
        self.counters.admitted += 1
        self.counters.answered[user] += 1
        self.counters.admitted_at.append(now - self.started)
        self.counters.admitted_tokens.append(cost)
        headers += self._limit_headers()
        answer = route(body, prompt, most, number)
        return 200, headers, _dumps(answer)

    def _take_fault(self, user: str) -> Optional[Fault]:
        if not user or not self._faults:
            return None
        with self._faults_lock:
            fault = self._faults.get(user)
            if fault is None:
                return None
            if fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    del self._faults[user]
            return fault

    def _faulted(self, fault: Fault, headers: list[tuple[str, str]]) -> Answer:
        headers += self._limit_headers()
        body = fault.body
        if body is None:
            body = _error_body(f"A fault set by the test ({fault.status}).", "server_error", None)
        return fault.status, headers, body if isinstance(body, bytes) else _dumps(body)

    def _refusal(self, cost: int, headers: list[tuple[str, str]]) -> Optional[Answer]:
        """A 429 for the first budget the request does not fit, or None."""
        for kind, bucket, needed, unit in (
            ("requests", self.requests, 1, "RPM"),
            ("tokens", self.tokens, cost, "TPM"),
        ):
            if needed <= bucket.level:
                continue
            wait = bucket.wait_for(needed) if needed <= bucket.size else self.window
            headers += self._limit_headers()
            headers += [
                ("retry-after", str(max(1, math.ceil(wait)))),
                ("retry-after-ms", str(max(1, math.ceil(wait * 1000)))),
            ]
            message = (
                f"Rate limit reached for gpt-test on {kind} per min ({unit}): "
                f"Limit {int(bucket.size)}, Used {int(bucket.size) - bucket.remaining()}, "
                f"Requested {needed}. Please try again in {format_reset(wait)}."
            )
            return 429, headers, _dumps(_error_body(message, kind, "rate_limit_exceeded"))
        return None

    def _limit_headers(self) -> list[tuple[str, str]]:
        requests, tokens = self.requests, self.tokens
        return [
            ("x-ratelimit-limit-requests", str(int(requests.size))),
            ("x-ratelimit-limit-tokens", str(int(tokens.size))),
            ("x-ratelimit-remaining-requests", str(requests.remaining())),
            ("x-ratelimit-remaining-tokens", str(tokens.remaining())),
            ("x-ratelimit-reset-requests", format_reset(requests.reset())),
            ("x-ratelimit-reset-tokens", format_reset(tokens.reset())),
        ]

    def _error(self, status: int, message: str, headers: list[tuple[str, str]]) -> Answer:
        headers += self._limit_headers()
        return status, headers, _dumps(_error_body(message, "invalid_request_error", None))


def _error_body(message: str, kind: str, code: Optional[str]) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _chat(body: dict[str, Any], prompt: int, most: int, number: int) -> dict[str, Any]:
    """A chat.completion whose content is the last user message reversed, cut to the
    answer's token limit."""
    said = ""
    for message in body.get("messages") or []:
        if isinstance(message, Mapping) and message.get("role") == "user":
            text = message.get("content")
            said = text if isinstance(text, str) else ""
    content = said[::-1]
    completion = max(1, math.ceil(len(content) / CHARS_PER_TOKEN))
    if most:
        completion = min(completion, most)
        content = content[: most * CHARS_PER_TOKEN]
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "gpt-test"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _embeddings(body: dict[str, Any], prompt: int, most: int, number: int) -> dict[str, Any]:
    given = body.get("input")
    inputs = given if isinstance(given, list) else [given]
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": [0.0, 0.5, 1.0]}
            for index in range(len(inputs))
        ],
        "model": body.get("model", "text-embedding-test"),
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    }


_ROUTES = {("POST", "/v1/chat/completions"): _chat, ("POST", "/v1/embeddings"): _embeddings}


# -- HTTP/1.1 over asyncio streams ---------------------------------------------------------


async def _serve_connection(
    api: RateLimitedAPI, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Requests on one keep-alive connection, answered in order, until the client closes."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            method, target, headers = _parse_head(head)
            length = int(headers.get("content-length", "0"))
            raw = await reader.readexactly(length) if length else b""
            if api.latency:
                await asyncio.sleep(api.latency)
            status, answer_headers, body = api.answer(method, target, raw)
            closing = headers.get("connection", "").lower() == "close"
            writer.write(_response(status, answer_headers, body, closing))
            if closing:
                await writer.drain()
                return
            if writer.transport.get_write_buffer_size() > 1 << 16:
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        writer.close()


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


def _response(status: int, headers: list[tuple[str, str]], body: bytes, closing: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append("content-type: application/json")
    lines.append(f"content-length: {len(body)}")
    if closing:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Listener:
    """The listening socket and the connections it accepted, all closed by ``shut``."""

    def __init__(self, api: RateLimitedAPI) -> None:
        self.api = api
        self.connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        self.server: Optional[asyncio.base_events.Server] = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections[task] = writer
        try:
            await _serve_connection(self.api, reader, writer)
        finally:
            del self.connections[task]

    async def shut(self) -> None:
        """Stop listening, then close each connection: its reader sees the end and its task
        returns (cancelling it instead would make asyncio log the cancellation)."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        tasks = list(self.connections)
        for writer in self.connections.values():
            writer.close()
        await asyncio.gather(*tasks, return_exceptions=True)


# -- in a test: the loop in a thread -------------------------------------------------------


class RateLimitedServer:
    """The server on 127.0.0.1, its event loop in a background thread, stopped on exit."""

    def __init__(self, rpm: int, tpm: int, window: float = 60.0, latency: float = 0.0) -> None:
        self.api = RateLimitedAPI(rpm, tpm, window, latency)
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="ratelimit-server", daemon=True)
        self._ready = threading.Event()
        self._stop: Optional[asyncio.Event] = None
        self._failure: Optional[BaseException] = None

    @property
    def counters(self) -> Counters:
        return self.api.counters

    @property
    def answered(self) -> Counter[str]:
        return self.api.counters.answered

    def fault(self, user: str, status: int, times: int = 1, body: Any = None) -> None:
        """The next ``times`` requests whose body's ``user`` is ``user`` are answered
        ``status`` (with ``body``, or an error object); ``times=-1``: every one."""
        self.api.fault(user, status, times, body)

    def __enter__(self) -> RateLimitedServer:
        self._thread.start()
        if not self._ready.wait(_STOP_TIMEOUT) or self._failure is not None:
            self.close()
            raise RuntimeError(f"the rate-limited server did not start: {self._failure!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(_STOP_TIMEOUT)
        if not self._loop.is_closed() and not self._thread.is_alive():
            self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as error:  # reported by __enter__ when it happens at start
            self._failure = error
            self._ready.set()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        listener = _Listener(self.api)
        self.url = await listener.start()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await listener.shut()


# -- for the benchmark: a process of its own -----------------------------------------------


async def _serve_until_told(api: RateLimitedAPI) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    def stdin_readable() -> None:  # its end (the parent closed it, or died) stops the server
        if not os.read(stdin, 65536):
            loop.remove_reader(stdin)
            stop.set()

    stdin = sys.stdin.fileno()
    with contextlib.suppress(OSError, ValueError):  # not a pipe: SIGTERM alone stops it
        loop.add_reader(stdin, stdin_readable)
    listener = _Listener(api)
    print(await listener.start(), flush=True)
    try:
        await stop.wait()
    finally:
        await listener.shut()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.ratelimit_server")
    parser.add_argument("--rpm", type=int, required=True, help="requests a window")
    parser.add_argument("--tpm", type=int, required=True, help="tokens a window")
    parser.add_argument("--window", type=float, default=60.0, help="seconds in a 'minute'")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering")
    options = parser.parse_args(argv)
    api = RateLimitedAPI(options.rpm, options.tpm, options.window, options.latency)
    asyncio.run(_serve_until_told(api))
    sys.stdout.write(json.dumps(api.counters.as_json(), separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
