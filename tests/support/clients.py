"""Both clients behind one blocking face, so that one behaviour test runs on each.

``make(kind, **options)`` builds an ``OpenAI`` (kind "sync") or an ``AsyncOpenAI`` (kind
"async"). The async client is driven from the test through :class:`Blocking`: every
awaitable a method returns is run to its end on an event loop in a thread of its own (one
loop a test, stopped with the test), and an AsyncDataStream is read item by item through
``__anext__`` there. Nothing of the async client is replaced: its own transport (aiohttp, or
replay) talks to the test's real server, in its own loop. What a test asserts (answers,
errors and their types, what was received, what the server saw) it asserts of both.

The stream helpers of the async client (``AsyncChatStream``, ``AsyncResponseStream``: an
``AsyncHelper``) become BlockingHelpers the same way: their awaitables are run, the async
iterators their methods return (``text_deltas()``, ``events()``) are read item by item, ``for``
reads their events and ``with`` closes them.

What the face cannot make the same is left to tests of its own: a ``for`` loop left by
``break`` (a blocking stream closes at once; an async one when its generator is finalized),
closing from another thread, KeyboardInterrupt.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, Optional

import openaistream
from openaistream.plugins.stream_helper import AsyncHelper
from openaistream.raw import RawResponse

KINDS = ("sync", "async")
WAIT = 60.0  # seconds any one awaited step may take before the test fails


class LoopThread:
    """An event loop in a daemon thread; ``run(awaitable)`` waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, awaitable: Any, timeout: float = WAIT) -> Any:
        async def awaited() -> Any:
            return await awaitable

        coroutine: Coroutine[Any, Any, Any] = (
            awaitable if inspect.iscoroutine(awaitable) else awaited()
        )
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Finish what the loop holds (async generators left suspended), then stop it."""
        if self.loop.is_closed():
            return
        try:
            self.run(self.loop.shutdown_asyncgens(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


class Blocking:
    """An AsyncOpenAI, or anything it hands out, driven blocking: awaitables are run on the
    loop, AsyncDataStreams become BlockingStreams, resources and derived clients are wrapped
    the same way."""

    def __init__(self, target: Any, loop: LoopThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_loop", loop)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value) and not isinstance(value, type):
            return _Method(value, self._loop)
        return self._loop_face(value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def _loop_face(self, value: Any) -> Any:
        return faced(value, self._loop)

    def __dir__(self) -> list[str]:
        return dir(self._target)

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        closer = getattr(self._target, "close", None) or self._target.aclose
        self._loop.run(closer())

    def __repr__(self) -> str:
        return repr(self._target)


class _Method:
    def __init__(self, method: Any, loop: LoopThread) -> None:
        self._method = method
        self._loop = loop

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return faced(self._method(*args, **kwargs), self._loop)


class BlockingStream:
    """An AsyncDataStream read blocking: the DataStream's face over it."""

    def __init__(self, stream: Any, loop: LoopThread) -> None:
        self._stream = stream
        self._loop = loop

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return self._loop.run(self._stream.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    @property
    def next_value(self) -> Any:
        return self._loop.run(self._stream.next_value())

    def write_to(self, target: Any) -> int:
        return int(self._loop.run(self._stream.write_to(target)))

    def close(self) -> None:
        self._loop.run(self._stream.aclose())

    def __enter__(self) -> BlockingStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # The face's own two attributes stay here; the rest (``keep``) is the stream's.
        if name in ("_stream", "_loop"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._stream, name, value)

    def __repr__(self) -> str:
        return repr(self._stream)


class BlockingIterator:
    """An async iterator (a helper's ``text_deltas()``) read blocking, item by item. One left
    unfinished is finalized by its loop, as an async generator is."""

    def __init__(self, iterator: Any, loop: LoopThread) -> None:
        self._iterator = iterator
        self._loop = loop

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return self._loop.run(self._iterator.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None


class BlockingHelper:
    """A stream helper of the async client read blocking: the sync helper's face over it."""

    def __init__(self, helper: Any, loop: LoopThread) -> None:
        object.__setattr__(self, "_helper", helper)
        object.__setattr__(self, "_loop", loop)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._helper, name)
        if callable(value):
            return _Method(value, self._loop)
        return faced(value, self._loop)

    def __iter__(self) -> Iterator[Any]:
        return BlockingIterator(self._helper.__aiter__(), self._loop)

    def __enter__(self) -> BlockingHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.run(self._helper.__aexit__(None, None, None))

    def __repr__(self) -> str:
        return repr(self._helper)


def faced(value: Any, loop: LoopThread) -> Any:
    """What a method of the async client handed out, as the blocking client would."""
    if inspect.isawaitable(value):
        value = loop.run(value)
    if isinstance(value, openaistream.AsyncDataStream):
        return BlockingStream(value, loop)
    if isinstance(value, RawResponse) and isinstance(value.parse(), openaistream.AsyncDataStream):
        value.replace_parsed(BlockingStream(value.parse(), loop))
        return value
    if isinstance(value, AsyncHelper):
        return BlockingHelper(value, loop)
    if inspect.isasyncgen(value):
        return BlockingIterator(value, loop)
    if isinstance(value, (openaistream.AsyncOpenAI, openaistream.Resource)):
        return Blocking(value, loop)
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(item, openaistream.Resource) for item in value.values())
    ):
        return {name: Blocking(item, loop) for name, item in value.items()}
    return value


class Clients:
    """Builds the clients of one test, of one kind, and closes them all when it ends."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._loop: Optional[LoopThread] = None
        self._made: list[Any] = []

    @property
    def loop(self) -> LoopThread:
        if self._loop is None:
            self._loop = LoopThread()
        return self._loop

    def make(self, *args: Any, **options: Any) -> Any:
        """``OpenAI(*args, **options)``, or an ``AsyncOpenAI`` of the same, faced blocking."""
        return self.make_of(openaistream.OpenAI, openaistream.AsyncOpenAI, *args, **options)

    def make_of(self, sync: type[Any], async_: type[Any], *args: Any, **options: Any) -> Any:
        """A client of class ``sync`` (kind "sync") or ``async_`` (faced blocking), with
        these arguments: ``AzureOpenAI`` and ``AsyncAzureOpenAI``, say."""
        if self.kind == "sync":
            client = sync(*args, **options)
            self._made.append(client)
            return client
        # Built inside the loop, as an application builds it.
        made = self.loop.run(_built(async_, args, options))
        self._made.append(made)
        return Blocking(made, self.loop)

    def close(self) -> None:
        try:
            for client in self._made:
                if self.kind == "sync":
                    client.close()
                else:
                    self.loop.run(client.close())
        finally:
            if self._loop is not None:
                self._loop.stop()


async def _built(cls: type[Any], args: tuple[Any, ...], options: dict[str, Any]) -> Any:
    return cls(*args, **options)
