"""The async client, `AsyncOpenAI`: the same arguments, resources and policy as `OpenAI`
(clientbase.py), driven by awaiting.

    async with openaistream.AsyncOpenAI() as client:
        stream = await client.chat.create(messages, model="gpt-4o-mini", stream=True)
        async for chunk in stream:
            ...

Every resource method is the plugin's own, unchanged: `request` returns an awaitable here,
so the method does too. The policy of a call (policy.py) says what to do next; `_driven`
here awaits it: `transport.send`, `asyncio.sleep`, reads of the body. Arguments are
checked when the method is called, before any network, as on `OpenAI`.

A task cancelled anywhere in a call (sending, waiting to retry, reading) lets its connection
go at once: the driver closes the policy's steps, which release the transport, and a stream
closes its response. This module loads asyncio; `openaistream` loads this module only
when `AsyncOpenAI` is first asked for.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, Union, cast

from . import answers
from .astream import AsyncDataStream
from .clientbase import Call, ClientBase, Procedure
from .http import AsyncResponse, AsyncTransport, Request
from .log import CallLog
from .policy import BodyGuard, Close, GetKey, ReadStart, Send, Steps, Wait
from .retention import client_keep

__all__ = ["AsyncOpenAI"]

T = TypeVar("T")


class AsyncOpenAI(ClientBase):
    """The asynchronous client for the OpenAI API: the arguments, environment variables and
    resources of [`OpenAI`][openaistream.client.OpenAI], each method awaited:

    ```python
    async with openaistream.AsyncOpenAI() as client:
        answer = await client.chat.create(messages, model="gpt-4o-mini")
        stream = await client.chat.create(messages, model="gpt-4o-mini", stream=True)
        async with stream:
            async for chunk in stream:
                ...
    ```

    Resources are attributes, as on `OpenAI`; `client.resources` lists them, and so does
    `dir(client)`. The built-in ones:

    {builtin_resources}

    Its default transport, `"aiohttp"`, comes with the `async` extra: `pip install
    'openaistream[async]'`. A streamed call answers an
    [`AsyncDataStream`][openaistream.astream.AsyncDataStream].

    Close it (`await client.close()`, or `async with`) in the event loop that used it:
    its connections belong to that loop.

    {arguments}
    """

    serves = "async"
    default_transport = "aiohttp"

    def _retirement(self) -> _Retirement:
        return _Retirement()

    async def close(self) -> None:
        """Close the connections this client holds (and the clients derived from it with
        `with_options`); it opens new ones if used again."""
        await cast(_Retirement, self._retiring).finish()
        transport = self._connections.transport
        if transport is not None:
            await transport.aclose()

    async def aclose(self) -> None:
        """The same as [`close()`][openaistream.aclient.AsyncOpenAI.close] (the name asyncio and
        aiohttp users reach for)."""
        await self.close()

    async def __aenter__(self) -> AsyncOpenAI:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    # -- the call path ---------------------------------------------------------------------

    def _execute(self, call: Call) -> Any:
        if call.decoder is None:
            return _driven(call.steps)
        return _streamed(call)

    async def send(self, request: Request, *, log: Optional[CallLog] = None) -> AsyncResponse:
        """As `OpenAI.send`: the AsyncResponse as soon as its headers are in, or the typed
        error; the policy of every call (hooks, retries, deadline, scrubbing) applies."""
        return cast(AsyncResponse, await _driven(self._policy().send(request, log)))

    async def run(self, procedure: Procedure[T]) -> T:
        """As `OpenAI.run`: the steps of a resource method that makes more than one call;
        what each step yields is awaited (when it is awaitable) and sent back."""
        told: Any = None
        failed: Optional[BaseException] = None
        try:
            while True:
                if failed is not None:
                    step, failed = procedure.throw(failed), None
                else:
                    step = procedure.send(told)
                try:
                    told = await step if inspect.isawaitable(step) else step
                except Exception as exc:  # for the procedure to handle, or to let go up
                    failed = exc
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            procedure.close()

    async def _wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _gather(
        self, calls: Iterable[Callable[[], Any]], limit: int, context: contextvars.Context
    ) -> list[Any]:
        """`Resource.gather` here: the calls in `limit` tasks made in `context`, each
        call's answer awaited; their answers in the order of `calls`. When one raises (or
        this is cancelled), the other tasks are cancelled and awaited, then it is raised."""
        pending = enumerate(calls)
        answers: dict[int, Any] = {}

        async def work() -> None:
            for index, call in pending:  # one iterator: each task takes the next call
                answer = call()
                answers[index] = await answer if inspect.isawaitable(answer) else answer

        loop = asyncio.get_running_loop()
        # A task copies the context it is made in (Python 3.9 has no context= argument).
        workers = [context.run(loop.create_task, work()) for _ in range(limit)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        return [answers[index] for index in range(len(answers))]

    def _guarded(self, response: AsyncResponse, guard: BodyGuard) -> AsyncResponse:
        return _GuardedResponse(response, guard)


class _Retirement:
    """Closes the transports `set_proxy` replaced, once their calls are done: in a task of
    the running loop (kept here, so none is collected unfinished, and awaited by the client's
    `close()`), or, when no loop is running, by `close()` itself."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: list[AsyncTransport] = []

    def __call__(self, transport: AsyncTransport) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._waiting.append(transport)
            return
        task = loop.create_task(transport.aclose())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finish(self) -> None:
        waiting, self._waiting = self._waiting, []
        for transport in waiting:
            await transport.aclose()
        if self._tasks:
            await asyncio.gather(*self._tasks)


async def _streamed(call: Call) -> Any:
    answer = await _driven(call.steps)
    assert call.decoder is not None
    keep = client_keep(call.keep, call.decoder)
    if not call.raw:
        return AsyncDataStream(answer, call.decoder, call.num, keep=keep, log=call.log)
    stream: AsyncDataStream[Any] = AsyncDataStream(
        answer.parse(), call.decoder, call.num, keep=keep, log=call.log
    )
    answer.replace_parsed(stream)
    return answer


async def _driven(steps: Steps[T]) -> T:
    """Carry out what the policy of a call asks, awaiting, until it answers or raises. A task
    cancelled here closes the steps: the policy releases the transport."""
    told: Any = None
    try:
        while True:
            action = steps.send(told)
            if isinstance(action, Send):
                told = await _sent(action.transport, action.request)
            elif isinstance(action, Wait):
                await asyncio.sleep(action.seconds)
                told = None
            elif isinstance(action, ReadStart):
                told = await _read_start(action.response, action.start)
            elif isinstance(action, Close):
                await action.response.aclose()
                told = None
            elif isinstance(action, GetKey):
                told = await _key(action)
            else:
                told = await action.response.aread()
    except StopIteration as answered:
        return cast(T, answered.value)
    finally:
        steps.close()


async def _sent(transport: AsyncTransport, request: Request) -> Union[AsyncResponse, Exception]:
    """The response, or what the transport raised, handed back (see client._sent)."""
    try:
        return await transport.send(request)
    except Exception as exc:
        return exc


async def _key(action: GetKey) -> Any:
    """What the key provider gives (awaited, when it is a coroutine function), or what it
    raised."""
    try:
        key = action.provider()
        return await key if inspect.isawaitable(key) else key
    except Exception as exc:
        return exc


async def _read_start(response: AsyncResponse, start: answers.BodyStart) -> Optional[Exception]:
    """Feed the start of a body to `start` until it has enough, then close the body."""
    try:
        async for chunk in response:
            if not start.feed(chunk):
                break
    except Exception as exc:
        return exc
    finally:
        await response.aclose()
    return None


async def _guarded_chunks(response: AsyncResponse, guard: BodyGuard) -> AsyncIterator[bytes]:
    """The body's chunks as the guard allows them, and what it raises in place of an error."""
    try:
        if guard.deadline is None:
            async for chunk in response:
                yield chunk
            return
        async for chunk in response:
            guard.check_time()
            yield chunk
        return
    except Exception as exc:
        failure = guard.failure(exc)
    raise failure


class _GuardedResponse(AsyncResponse):
    """A response read through the core's guard (see client._GuardedResponse)."""

    def __init__(self, inner: AsyncResponse, guard: BodyGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._guarded_closed = False
        super().__init__(
            inner.status, inner.headers, _guarded_chunks(inner, guard), info=inner.info
        )

    @property  # type: ignore[override]
    def closed(self) -> bool:
        return self._guarded_closed or self._inner.closed

    @closed.setter
    def closed(self, value: bool) -> None:
        self._guarded_closed = value

    async def aclose(self) -> None:
        if self._guarded_closed:
            return
        self._guarded_closed = True
        try:
            await self._inner.aclose()
        finally:
            self._guard.closed()
            # The chunks' generator, left suspended at a chunk, ends now, not when collected
            # (an async generator the loop finalizes late is a warning at shutdown). One
            # another task is reading from ends by itself: its response is closed.
            chunks = cast(Any, self._chunks)
            if not chunks.ag_running:
                await chunks.aclose()
