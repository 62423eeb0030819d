"""The rate-limited server the bulk tests and benchmark stand on: it must limit as the API
does, or a bulk run that looks right against it could still break the API's limits."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import urllib3

from tests.support.ratelimit_server import RateLimitedServer, format_reset

ROOT = Path(__file__).resolve().parents[2]
LIMIT_HEADERS = [
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
]


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(retries=False, timeout=5.0)
    yield pool
    pool.clear()


def chat(text: str = "hello", user: str = "u", **params: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}]
    return {"model": "gpt-test", "messages": messages, "user": user, **params}


def post(
    http: urllib3.PoolManager, server: RateLimitedServer, body: Any, path: str = "/chat/completions"
) -> urllib3.BaseHTTPResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.request(
        "POST", server.url + path, body=data, headers={"content-type": "application/json"}
    )


def remaining(answer: urllib3.BaseHTTPResponse, kind: str) -> int:
    return int(answer.headers[f"x-ratelimit-remaining-{kind}"])


def test_it_admits_a_minutes_requests_then_answers_429_as_the_api(
    http: urllib3.PoolManager,
) -> None:
    with RateLimitedServer(rpm=3, tpm=100_000, window=60.0) as server:
        answers = [post(http, server, chat(user=f"r-{n}")) for n in range(4)]
        counters = server.counters.as_json()
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert [remaining(a, "requests") for a in answers] == [2, 1, 0, 0]
    for answer in answers:
        assert all(name in answer.headers for name in LIMIT_HEADERS)
        assert answer.headers["x-request-id"].startswith("req_")
        assert answer.headers["x-ratelimit-limit-requests"] == "3"
    assert len({a.headers["x-request-id"] for a in answers}) == 4
    refused = answers[3]
    # One request back takes 20 s of a 60 s minute for a limit of 3.
    assert refused.headers["retry-after"] == "20"
    assert 19_000 < int(refused.headers["retry-after-ms"]) <= 20_000
    error = json.loads(refused.data)["error"]
    assert error["type"] == "requests" and error["code"] == "rate_limit_exceeded"
    assert error["message"].startswith("Rate limit reached")
    assert counters["admitted"] == 3 and counters["limited"] == 1
    assert counters["answered"] == {"r-0": 1, "r-1": 1, "r-2": 1}


def test_the_buckets_refill_continuously(http: urllib3.PoolManager) -> None:
    with RateLimitedServer(rpm=4, tpm=100_000, window=0.4) as server:
        statuses = [post(http, server, chat()).status for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        refused = post(http, server, chat())
        wait = int(refused.headers["retry-after-ms"]) / 1000
        assert wait <= 0.1  # one request of four refills in a tenth of a 0.4 s minute
        again = None
        for _ in range(20):  # the server's own word, and a little more, should do
            time.sleep(wait + 0.02)
            again = post(http, server, chat())
            if again.status == 200:
                break
        assert again is not None and again.status == 200
        time.sleep(0.45)  # a whole minute: the bucket is full again, not fuller
        full = post(http, server, chat())
    assert remaining(full, "requests") == 3


def test_a_request_costs_its_prompt_at_four_characters_a_token_plus_its_answer_limit(
    http: urllib3.PoolManager,
) -> None:
    with RateLimitedServer(rpm=100, tpm=100, window=60.0) as server:
        # 8 + 32 characters: 10 tokens of prompt, and up to 20 of answer.
        first = post(http, server, chat("x" * 32, max_tokens=20))
        body = json.loads(first.data)
        # 70 left: 61 asked (with max_completion_tokens) does not fit, and takes nothing.
        refused = post(http, server, chat("x" * 32, max_completion_tokens=61))
        fits = post(http, server, chat("x" * 32, max_completion_tokens=50))
        embedded = post(http, server, {"model": "e", "input": ["abcd", "efgh"]}, "/embeddings")
    assert first.status == 200 and 70 <= remaining(first, "tokens") <= 71
    assert body["usage"]["prompt_tokens"] == 10
    assert body["usage"]["completion_tokens"] <= 20
    assert body["choices"][0]["message"]["content"] == "x" * 32  # the user's message reversed
    assert refused.status == 429
    assert json.loads(refused.data)["error"]["type"] == "tokens"
    assert remaining(refused, "requests") == 99  # a 429 is not counted
    assert 70 <= remaining(refused, "tokens") <= 71
    assert fits.status == 200 and remaining(fits, "tokens") <= 11
    assert embedded.status == 200
    assert json.loads(embedded.data)["usage"]["prompt_tokens"] == 2
    assert [len(e["embedding"]) > 0 for e in json.loads(embedded.data)["data"]] == [True] * 2


def test_a_request_larger_than_the_token_limit_is_told_to_wait_a_minute(
    http: urllib3.PoolManager,
) -> None:
    with RateLimitedServer(rpm=100, tpm=50, window=60.0) as server:
        answer = post(http, server, chat("hi", max_output_tokens=100))
    assert answer.status == 429 and answer.headers["retry-after"] == "60"


def test_the_chat_answer_is_the_last_user_message_reversed_within_max_tokens(
    http: urllib3.PoolManager,
) -> None:
    with RateLimitedServer(rpm=100, tpm=10_000, window=60.0) as server:
        short = json.loads(post(http, server, chat("abc def", max_tokens=16)).data)
        cut = json.loads(post(http, server, chat("a" * 40 + "b", max_tokens=2)).data)
    assert short["object"] == "chat.completion"
    assert short["choices"][0]["message"] == {
        "role": "assistant",
        "content": "fed cba",
        "refusal": None,
    }
    usage = short["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert cut["choices"][0]["message"]["content"] == "b" + "a" * 7
    assert cut["usage"]["completion_tokens"] == 2


def test_faults_answer_a_users_next_requests_then_stop(http: urllib3.PoolManager) -> None:
    with RateLimitedServer(rpm=100, tpm=10_000, window=60.0) as server:
        server.fault("r-1", 500, times=2)
        server.fault("r-2", 400, times=-1, body={"error": {"message": "bad", "type": "x"}})
        flaky = [post(http, server, chat(user="r-1")).status for _ in range(3)]
        broken = [post(http, server, chat(user="r-2")) for _ in range(3)]
        counters = server.counters.as_json()
    assert flaky == [500, 500, 200]
    assert [a.status for a in broken] == [400, 400, 400]
    assert json.loads(broken[0].data) == {"error": {"message": "bad", "type": "x"}}
    assert all(name in broken[0].headers for name in LIMIT_HEADERS)
    assert counters["faulted"] == 5 and counters["admitted"] == 1
    assert counters["answered"] == {"r-1": 1}


def test_unknown_paths_and_bodies_that_are_not_json_are_client_errors(
    http: urllib3.PoolManager,
) -> None:
    with RateLimitedServer(rpm=100, tpm=10_000, window=60.0) as server:
        unknown = post(http, server, chat(), "/nothing/here")
        garbled = post(http, server, b"{not json")
        counters = server.counters.as_json()
    assert unknown.status == 404 and garbled.status == 400
    assert json.loads(garbled.data)["error"]["type"] == "invalid_request_error"
    assert counters["admitted"] == 0 and counters["limited"] == 0


def test_requests_share_one_keep_alive_connection() -> None:
    with RateLimitedServer(rpm=100, tpm=10_000, window=60.0) as server:
        pool = urllib3.HTTPConnectionPool(
            "127.0.0.1", int(server.url.split(":")[2].split("/")[0]), maxsize=1, retries=False
        )
        with pool:
            for n in range(5):
                body = json.dumps(chat(user=f"r-{n}")).encode()
                assert pool.request("POST", "/v1/chat/completions", body=body).status == 200
            assert pool.num_connections == 1
        assert server.counters.duplicated() == []


def test_a_duplicate_answer_is_counted() -> None:
    with RateLimitedServer(rpm=100, tpm=10_000, window=60.0) as server:
        with urllib3.PoolManager(retries=False) as http:
            for user in ("r-1", "r-2", "r-1"):
                assert post(http, server, chat(user=user)).status == 200
        assert server.counters.duplicated() == ["r-1"]


def run_as_process(stop: Optional[signal.Signals]) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.support.ratelimit_server", "--rpm", "2"]
    command += ["--tpm", "1000", "--window", "60"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        with urllib3.PoolManager(retries=False, timeout=5.0) as http:
            for n in range(3):
                body = json.dumps(chat(user=f"r-{n}")).encode()
                http.request("POST", url + "/chat/completions", body=body)
        if stop is not None:
            process.send_signal(stop)
            process.wait(timeout=5)  # stopped by the signal, its stdin still open
        out, _ = process.communicate(timeout=5)  # closes its stdin first
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    return dict(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("stop", [None, signal.SIGTERM], ids=["stdin-closed", "sigterm"])
def test_as_a_process_it_prints_its_url_then_its_counters(stop: Optional[signal.Signals]) -> None:
    counters = run_as_process(stop)
    assert counters["admitted"] == 2 and counters["limited"] == 1
    assert counters["answered"] == {"r-0": 1, "r-1": 1}
    assert len(counters["admitted_at"]) == len(counters["admitted_tokens"]) == 2


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.12, "120ms"),
        (0.0004, "1ms"),
        (1.0, "1s"),
        (1.5, "1.5s"),
        (360.0, "6m0s"),
        (61.25, "1m1.25s"),
    ],
)
def test_resets_are_written_as_the_api_writes_them(seconds: float, text: str) -> None:
    assert format_reset(seconds) == text
