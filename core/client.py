"""The blocking client, `OpenAI`: what it shares with the async one is in clientbase.py.

client.chat.create(...)            a resource plugin builds the call
  -> client.request(...)           URL, headers, JSON body (clientbase.py)
  -> CallPolicy (policy.py)        hooks, logging, retries, deadline, status errors, scrubbing:
                                   it says what to do next, and knows nothing of I/O
  -> _driven(...) here             does it, blocking: transport.send, sleep, read, close
  -> the JSON body, or a DataStream of decoded items

The transport comes from chooser.py; the connections a client shares with the clients derived
from it, from connections.py.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, Union, cast

from . import answers
from .clientbase import Call, ClientBase, Procedure, refuse_awaitable
from .http import Request, Response, Transport
from .log import CallLog
from .policy import BodyGuard, Close, GetKey, ReadStart, Send, Steps, Wait
from .retention import client_keep
from .stream import DataStream

__all__ = ["OpenAI"]

T = TypeVar("T")


class OpenAI(ClientBase):
    """A client for the OpenAI API. Resources are attributes, one for each resource plugin
    loaded (or each one named in `plugins`); `client.resources` lists them, and so does
    `dir(client)`. The built-in ones:

    {builtin_resources}

    A streamed call (`stream=True`) answers a [`DataStream`][openaistream.stream.DataStream];
    any other, the parsed JSON. Close the client (`close()`, or `with`) to let its connections
    go.

    {arguments}
    """

    def close(self) -> None:
        """Close the connections this client holds; it opens new ones if used again."""
        self._connections.close()

    def __enter__(self) -> OpenAI:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    # -- the call path ---------------------------------------------------------------------

    def _execute(self, call: Call) -> Any:
        if call.decoder is None:
            return _driven(call.steps)
        keep = client_keep(call.keep, call.decoder)
        answer = _driven(call.steps)
        if not call.raw:
            return DataStream(answer, call.decoder, call.num, keep=keep, log=call.log)
        stream: DataStream[Any] = DataStream(
            answer.parse(), call.decoder, call.num, keep=keep, log=call.log
        )
        answer.replace_parsed(stream)
        return answer

    def send(self, request: Request, *, log: Optional[CallLog] = None) -> Response:
        """Send a request with hooks, logging and retries; return the Response as soon as its
        headers are in, or raise the typed error for a status >= 300. A total timeout bounds
        every attempt, every wait between them, and the reading of the body.

        Everything the transport raises, from `send` or from the body, passes here: no
        secret the request carried leaves in an error."""
        return cast(Response, _driven(self._policy().send(request, log)))

    def run(self, procedure: Procedure[T]) -> T:
        """Carry out the steps of a resource method that makes more than one call, and return
        what it returns. `procedure` is a generator that yields what a call (or a stream's
        method) returned and is sent back its result: here the value itself, awaited first
        on `AsyncOpenAI`. One method serves both clients:

        ```python
        def download(self, file_id, path):
            def steps():
                stream = yield self.retrieve_content(file_id, stream=True)
                return (yield stream.write_to(path))
            return self.client.run(steps())
        ```
        """
        told: Any = None
        try:
            while True:
                told = procedure.send(told)
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            procedure.close()

    def _wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def _gather(
        self, calls: Iterable[Callable[[], T]], limit: int, context: contextvars.Context
    ) -> list[T]:
        """`Resource.gather` here: the calls in `limit` threads, each in a copy of
        `context`; their answers in the order of `calls`, or the first error raised."""
        return _Gathering(calls).run(limit, context)

    def _guarded(self, response: Response, guard: BodyGuard) -> Response:
        return _GuardedResponse(response, guard)


class _Gathering:
    """Calls made by worker threads, each taking the next call as it is free: no more
    than the workers are ever made at once, and none is started once one has failed."""

    def __init__(self, calls: Iterable[Callable[[], Any]]) -> None:
        self._calls = enumerate(calls)
        self._lock = threading.Lock()  # over the calls' iterator and the failure
        self._answers: dict[int, Any] = {}
        self._failure: Optional[BaseException] = None

    def run(self, workers: int, context: contextvars.Context) -> list[Any]:
        threads = [
            threading.Thread(target=context.copy().run, args=(self._work,), daemon=True)
            for _ in range(workers)
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException as exc:  # an interrupt while waiting: start no more calls
            self._failed(exc)
            raise
        if self._failure is not None:
            raise self._failure
        return [self._answers[index] for index in range(len(self._answers))]

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._failure is not None:
                    return
                try:
                    index, call = next(self._calls, (-1, None))
                except BaseException as exc:  # the calls' own generator failed
                    self._failure = exc
                    return
            if call is None:
                return
            try:
                self._answers[index] = call()
            except BaseException as exc:
                self._failed(exc)
                return

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = exc


def _driven(steps: Steps[T]) -> T:
    """Carry out what the policy of a call asks, blocking, until it answers or raises."""
    told: Any = None
    try:
        while True:
            action = steps.send(told)
            if isinstance(action, Send):
                told = _sent(action.transport, action.request)
            elif isinstance(action, Wait):
                time.sleep(action.seconds)
                told = None
            elif isinstance(action, ReadStart):
                told = _read_start(action.response, action.start)
            elif isinstance(action, Close):
                action.response.close()
                told = None
            elif isinstance(action, GetKey):
                told = _key(action)
            else:
                told = action.response.read()
    except StopIteration as answered:
        return answered.value  # type: ignore[no-any-return]
    finally:
        steps.close()  # driving stopped early (an interrupt): the policy lets the transport go


def _sent(transport: Transport, request: Request) -> Union[Response, Exception]:
    """The response, or what the transport raised. The exception is handed back, not raised
    here, so that what the policy raises in its place does not chain it as context."""
    try:
        return transport.send(request)
    except Exception as exc:
        return exc


def _key(action: GetKey) -> Any:
    """What the key provider gives, or what it raised (handed back, as `_sent` does)."""
    try:
        key = action.provider()
    except Exception as exc:
        return exc
    refuse_awaitable(
        key,
        "the api_key provider returned an awaitable, which the blocking client cannot await: "
        "give a plain function, or use AsyncOpenAI",
    )
    return key


def _read_start(response: Response, start: answers.BodyStart) -> Optional[Exception]:
    """Feed the start of a body to `start` until it has enough, then close the body (its
    connection is not kept); None, or what the reading raised."""
    try:
        for chunk in response:
            if not start.feed(chunk):
                break
    except Exception as exc:
        return exc
    finally:
        response.close()
    return None


def _guarded_chunks(response: Response, guard: BodyGuard) -> Iterator[bytes]:
    """The body's chunks as the guard allows them, and what it raises in place of an error."""
    try:
        if guard.deadline is None:
            yield from response
            return
        for chunk in response:
            guard.check_time()
            yield chunk
        return
    except Exception as exc:
        failure = guard.failure(exc)
    raise failure


class _GuardedResponse(Response):
    """A response read through the core's guard: closed when its transport's response is
    (a recording transport closes the streams left open when it closes)."""

    def __init__(self, inner: Response, guard: BodyGuard):
        self._inner = inner
        self._guard = guard
        self._closed = False
        super().__init__(
            inner.status,
            inner.headers,
            _guarded_chunks(inner, guard),
            info=inner.info,
            quick_reads=inner.quick_reads,
        )

    @property  # type: ignore[override]
    def closed(self) -> bool:
        return self._closed or self._inner.closed

    @closed.setter
    def closed(self, value: bool) -> None:
        self._closed = value

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._inner.close()
            finally:
                self._guard.closed()
