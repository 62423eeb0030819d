"""The policy of one call on its own: no server, no sleeping, no transport sending. Each test
tells the policy what happened and checks what it asks for next, as a client driving it
(blocking or awaiting) would see it."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from openaistream import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    StreamError,
    Timeout,
)
from openaistream.answers import BodyStart
from openaistream.config import ClientConfig
from openaistream.connections import Connections
from openaistream.errors import RedirectError
from openaistream.http import Request, Response
from openaistream.policy import (
    BodyGuard,
    CallPolicy,
    Close,
    ReadAll,
    ReadStart,
    Send,
    Steps,
    Wait,
)
from openaistream.redact import Redactor

KEY = "sk-policy-test-SECRET-0123456789"
URL = "https://api.example.test/v1/models"
JSON = {"content-type": "application/json"}
FAST = RetryPolicy(max_retries=2, backoff=0.5, backoff_max=0.5)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Hooks:
    """The middleware hooks, recording what they saw; ``fail`` makes one raise."""

    def __init__(self, fail: Optional[str] = None) -> None:
        self.fail = fail
        self.seen: list[str] = []

    def before_request(self, request: Request) -> None:
        self.seen.append("before")
        if self.fail == "before":
            raise RuntimeError("the before_request hook failed")
        request.headers["X-Hooked"] = "yes"

    def after_response(self, request: Request, response: Response) -> None:
        self.seen.append(f"after {response.status}")
        if self.fail == "after":
            raise RuntimeError("the after_response hook failed")


class Transport:
    """Never asked to send: the policy only names it in what it asks for."""

    def __init__(self) -> None:
        self.closed = False

    def send(self, request: Request) -> Response:
        raise AssertionError("the policy sent a request itself")

    def close(self) -> None:
        self.closed = True


class Setup:
    """A policy with hand-made parts, and the guards it put on the bodies it handed on."""

    def __init__(
        self,
        retry: RetryPolicy = FAST,
        hooks: Optional[Hooks] = None,
        clock: Optional[Clock] = None,
        transport: Optional[Transport] = None,
    ) -> None:
        self.transport = transport or Transport()
        self.connections = Connections(self.transport, None)
        self.hooks = hooks or Hooks()
        self.clock = clock or Clock()
        self.guards: list[BodyGuard] = []
        self.policy = CallPolicy(
            self.hooks,
            retry,
            self.connections,
            ClientConfig(api_key=KEY),
            self._guarded,
            clock=self.clock,
        )

    def _guarded(self, response: Response, guard: BodyGuard) -> Response:
        """What a client does: a response whose closing closes the transport's and tells the
        guard."""
        self.guards.append(guard)

        def close() -> None:
            response.close()
            guard.closed()

        return Response(response.status, response.headers, response, close=close)

    def transport_let_go(self) -> bool:
        """Whether the call let its transport go: a transport replaced while a call holds it
        is closed once that call ends."""
        self.connections.switch(Transport(), None)
        return self.transport.closed


def request(total: Optional[float] = None, body: Any = None) -> Request:
    headers = {"Authorization": f"Bearer {KEY}"}
    return Request("GET", URL, headers, body, timeout=Timeout(total=total))


def response(status: int, body: bytes = b"{}", **headers: str) -> Response:
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    return Response(status, {**JSON, **headers}, chunks)


def read_start(action: object) -> ReadStart:
    """Do what a driver does for a ReadStart: feed the body, then close it."""
    assert isinstance(action, ReadStart)
    for chunk in action.response:
        if not action.start.feed(chunk):
            break
    action.response.close()
    return action


def sends(action: object) -> Request:
    assert isinstance(action, Send)
    return action.request


def answer(steps: Steps[Any], told: Any) -> Any:
    """Send the last thing that happened; the call's answer."""
    with pytest.raises(StopIteration) as ended:
        steps.send(told)
    return ended.value.value


def test_a_success_is_sent_once_and_handed_back_holding_the_transport() -> None:
    setup = Setup()
    steps = setup.policy.send(request(), None)
    sent = sends(next(steps))
    assert sent.headers["X-Hooked"] == "yes"  # the hooks ran on the request sent
    answered = answer(steps, response(200, b'{"ok": 1}'))
    assert setup.hooks.seen == ["before", "after 200"]
    assert not setup.transport_let_go()  # the body is not read yet
    assert answered.read() == b'{"ok": 1}'
    assert setup.transport.closed  # reading it to its end closed it, and ended the call


def test_a_429_waits_as_retry_after_asks_then_sends_again() -> None:
    setup = Setup()
    steps = setup.policy.send(request(), None)
    first = sends(next(steps))
    limited = response(429, b'{"error": {"message": "slow down"}}', **{"retry-after-ms": "250"})
    read_start(steps.send(limited))
    wait = steps.send(None)
    assert isinstance(wait, Wait)
    assert wait.seconds == 0.25
    second = sends(steps.send(None))
    assert second is not first and second.headers == first.headers  # a fresh copy each try
    assert answer(steps, response(200)).status == 200


def test_a_5xx_is_retried_with_backoff_then_succeeds() -> None:
    setup = Setup()
    steps = setup.policy.send(request(), None)
    next(steps)
    start = read_start(steps.send(response(500, b"busy"))).start
    assert start.data == b"busy"
    wait = steps.send(None)
    assert isinstance(wait, Wait)
    assert 0.375 <= wait.seconds <= 0.5  # the backoff, less up to a quarter of jitter
    sends(steps.send(None))
    assert answer(steps, response(200)).status == 200
    assert setup.hooks.seen == ["before", "after 500", "before", "after 200"]


def test_the_last_status_error_is_raised_when_retries_run_out() -> None:
    setup = Setup(retry=RetryPolicy(max_retries=1, backoff=0.1))
    steps = setup.policy.send(request(), None)
    next(steps)
    read_start(steps.send(response(503, b'{"error": {"message": "first"}}')))
    assert isinstance(steps.send(None), Wait)
    sends(steps.send(None))
    read_start(steps.send(response(503, b'{"error": {"message": "second"}}')))
    with pytest.raises(InternalServerError, match="second"):
        steps.send(None)
    assert setup.transport_let_go()


def test_the_deadline_cuts_a_wait_that_would_end_past_it() -> None:
    clock = Clock()
    setup = Setup(clock=clock)
    steps = setup.policy.send(request(total=2.0), None)
    sent = sends(next(steps))
    assert sent.deadline == clock.now + 2.0
    clock.now += 1.0
    read_start(steps.send(response(429, b"later", **{"retry-after": "5"})))
    with pytest.raises(RateLimitError):  # no Wait asked for: the last error is the answer
        steps.send(None)
    assert setup.transport_let_go()


def test_each_try_gets_what_is_left_of_the_total_timeout() -> None:
    clock = Clock()
    setup = Setup(clock=clock)
    steps = setup.policy.send(request(total=10.0), None)
    assert sends(next(steps)).timeout.connect == 5.0
    clock.now += 8.5
    wait = steps.send(APIConnectionError("refused"))
    assert isinstance(wait, Wait)
    clock.now += wait.seconds
    second = sends(steps.send(None))
    assert second.timeout.connect == second.timeout.read == pytest.approx(10.0 - 8.5 - wait.seconds)


def test_a_connection_error_is_retried_and_raised_without_the_key() -> None:
    setup = Setup(retry=RetryPolicy(max_retries=1, backoff=0.1))
    steps = setup.policy.send(request(), None)
    next(steps)
    assert isinstance(steps.send(APIConnectionError(f"refused, key {KEY}")), Wait)
    sends(steps.send(None))
    with pytest.raises(APIConnectionError) as raised:
        steps.send(APIConnectionError(f"refused again, key {KEY}"))
    assert "refused again" in str(raised.value)
    assert KEY not in str(raised.value)
    assert setup.transport_let_go()


def test_another_error_from_the_transport_is_raised_at_once() -> None:
    setup = Setup()
    steps = setup.policy.send(request(), None)
    next(steps)
    with pytest.raises(KeyError):
        steps.send(KeyError("the transport's own bug"))
    assert setup.transport_let_go()


def test_a_body_that_cannot_be_sent_twice_is_not_retried() -> None:
    setup = Setup()
    steps = setup.policy.send(request(body=iter([b"once"])), None)
    next(steps)
    with pytest.raises(APIConnectionError):
        steps.send(APIConnectionError("reset"))


def test_a_before_request_hook_error_is_the_answer_and_nothing_is_sent() -> None:
    setup = Setup(hooks=Hooks(fail="before"))
    steps = setup.policy.send(request(), None)
    with pytest.raises(RuntimeError, match="before_request"):
        next(steps)
    assert setup.transport_let_go()


def test_an_after_response_hook_error_closes_the_response_unread() -> None:
    setup = Setup(hooks=Hooks(fail="after"))
    steps = setup.policy.send(request(), None)
    next(steps)
    ok = response(200)
    action = steps.send(ok)
    assert isinstance(action, Close) and action.response is ok  # the client closes it
    with pytest.raises(RuntimeError, match="after_response"):
        steps.send(None)
    assert setup.transport_let_go()


def test_a_hook_setting_a_bad_header_is_refused() -> None:
    class BadHook(Hooks):
        def before_request(self, request: Request) -> None:
            request.headers["X-Bad"] = "line\r\nInjected: yes"

    setup = Setup(hooks=BadHook())
    with pytest.raises(ValueError, match="before_request hooks"):
        next(setup.policy.send(request(), None))


def test_a_redirect_is_an_error_with_its_location_and_is_not_retried() -> None:
    setup = Setup()
    steps = setup.policy.send(request(), None)
    next(steps)
    moved = response(302, b"", location="https://elsewhere.test/v1/models?api-key=SECRET")
    read_start(steps.send(moved))
    with pytest.raises(RedirectError) as raised:
        steps.send(None)
    assert raised.value.status == 302
    assert raised.value.location is not None
    assert raised.value.location.startswith("https://elsewhere.test/v1/models")
    assert "SECRET" not in raised.value.location
    assert moved.closed


def test_the_start_of_an_error_body_is_at_most_what_is_kept() -> None:
    setup = Setup(retry=RetryPolicy(max_retries=0))
    steps = setup.policy.send(request(), None)
    next(steps)
    action = steps.send(response(400, b"x" * 100))
    assert isinstance(action, ReadStart)
    assert action.start.limit == BodyStart().limit
    read_start(action)


def test_a_timeout_while_reading_an_error_body_keeps_what_came() -> None:
    setup = Setup(retry=RetryPolicy(max_retries=0))
    steps = setup.policy.send(request(), None)
    next(steps)
    action = steps.send(response(500))
    assert isinstance(action, ReadStart)
    action.start.feed(b'{"error": ')
    with pytest.raises(InternalServerError) as raised:
        steps.send(APITimeoutError("the read timed out"))
    assert raised.value.truncated
    assert raised.value.body == '{"error": '


def test_an_html_page_for_a_json_call_is_an_error_with_its_start() -> None:
    setup = Setup()
    steps = setup.policy.call(request(), None)
    next(steps)
    page = Response(200, {"content-type": "text/html"}, [b"<html>Log in</html>"])
    read_start(steps.send(page))
    with pytest.raises(APIError, match="HTML page"):
        steps.send(None)
    assert setup.transport_let_go()


def test_a_json_body_for_a_stream_call_is_a_stream_error() -> None:
    setup = Setup()
    steps = setup.policy.call(request(), None, stream=True, media_type="text/event-stream")
    next(steps)
    read_start(steps.send(response(200, b'{"id": 1}')))
    with pytest.raises(StreamError, match="one JSON body"):
        steps.send(None)


def test_a_stream_is_handed_back_unread() -> None:
    setup = Setup()
    steps = setup.policy.call(request(), None, stream=True, media_type="text/event-stream")
    next(steps)
    events = Response(200, {"content-type": "text/event-stream"}, [b"data: 1\n\n"])
    assert answer(steps, events).read() == b"data: 1\n\n"


def test_a_json_answer_is_read_whole_then_parsed() -> None:
    setup = Setup()
    steps = setup.policy.call(request(), None)
    next(steps)
    action = steps.send(response(200, b'{"data": []}'))
    assert isinstance(action, ReadAll)
    assert answer(steps, action.response.read()) == {"data": []}


def test_a_body_that_is_not_json_is_an_error_without_the_key() -> None:
    setup = Setup()
    steps = setup.policy.call(request(), None)
    next(steps)
    steps.send(response(200))
    with pytest.raises(APIError, match="not valid JSON") as raised:
        steps.send(f"oops {KEY}".encode())
    assert KEY not in str(raised.value.body)


def test_the_guard_ends_a_body_at_the_deadline() -> None:
    clock = Clock()
    guard = BodyGuard(clock.now + 2.0, 2.0, lambda: Redactor([KEY]), None, clock)
    guard.check_time()
    clock.now += 2.5
    with pytest.raises(APITimeoutError, match=r"total timeout of 2\.0 s"):
        guard.check_time()


def test_the_guard_turns_a_transports_value_error_into_a_connection_error() -> None:
    guard = BodyGuard(None, None, lambda: Redactor([KEY]), None)
    fault = ValueError(f"bad chunk size near {KEY}")
    error = guard.failure(fault)
    assert isinstance(error, APIConnectionError)
    assert error.__cause__ is fault
    assert KEY not in str(error) and KEY not in str(fault)


def test_the_guard_leaves_other_errors_as_they_are_but_scrubbed() -> None:
    guard = BodyGuard(None, None, lambda: Redactor([KEY]), None)
    full = OSError(f"disk full writing {KEY}")
    assert guard.failure(full) is full
    assert KEY not in str(full)


def test_the_guard_lets_the_transport_go_when_the_body_closes() -> None:
    released: list[bool] = []
    BodyGuard(None, None, lambda: Redactor(), lambda: released.append(True)).closed()
    assert released == [True]


def test_stopping_early_lets_the_transport_go() -> None:
    """A driver interrupted while it waits (KeyboardInterrupt, a cancelled task) closes the
    steps: the call ends there, holding nothing."""
    setup = Setup()
    steps = setup.policy.send(request(), None)
    next(steps)
    read_start(steps.send(response(503)))
    assert isinstance(steps.send(None), Wait)
    steps.close()
    assert setup.transport_let_go()


def test_the_blocking_driver_lets_the_transport_go_when_it_is_interrupted() -> None:
    from openaistream.client import _driven

    class Interrupted(Transport):
        def send(self, request: Request) -> Response:
            raise KeyboardInterrupt  # not a transport's error: it passes, and ends the call

    setup = Setup(transport=Interrupted())
    steps = setup.policy.send(request(), None)  # held here: not let go by garbage collection
    with pytest.raises(KeyboardInterrupt):
        _driven(steps)
    assert setup.transport_let_go()
