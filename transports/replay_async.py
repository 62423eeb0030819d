"""The record/replay transport of the async client: the cassettes, modes, matching, errors
and secrets of `openaistream.transports.replay` (all of it lives there, in
`Player`); only the moving of bytes is awaited here.
A cassette recorded by either client replays in both, byte for byte.

Registered as `"replay"` with `serves="async"`; loaded with the first async client that
uses it, so the sync client never loads asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable
from typing import Any, Callable

from openaistream import APIConnectionError, APITimeoutError, Request
from openaistream.http import AsyncResponse, AsyncTransport
from openaistream.transports.replay import Playback, Player, Recording, _consume

__all__ = ["AsyncReplayTransport"]


class AsyncReplayTransport(Player[AsyncTransport]):
    """Replays a cassette, or records through the async network transport into it, for the
    async client. The arguments are those of `ReplayTransport`; `network` builds an
    async transport."""

    async def send(self, request: Request) -> AsyncResponse:
        recorded, interaction = self.chosen(request)
        if interaction is not None:
            await _consume_async(request.body)
            return self.track(_replayed(self.playback(interaction, request.deadline)))
        return self.track(await self._recorded(request, Recording(recorded)))

    async def _recorded(self, request: Request, recording: Recording) -> AsyncResponse:
        live = await self.network_transport().send(request)
        recording.answered(live.status, live.headers)

        async def finish() -> None:
            if recording.finishing():
                await live.aclose()
                self.store(recording)

        body = _RecordingBody(live.__aiter__(), recording, finish)
        return AsyncResponse(live.status, live.headers, body, close=finish, info=live.info)

    async def aclose(self) -> None:
        """Close every response still open (a stream a test left unread is recorded as
        closed early), then the network transport."""
        for response in self.left_open():
            await response.aclose()
        if self._network is not None:
            await self._network.aclose()


class _ReplayBody:
    """The replayed chunks, each when it is due; a read after the response was closed ends
    with `APIConnectionError`, as a network transport's does."""

    def __init__(self, playback: Playback) -> None:
        self._playback = playback
        self.closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        wait = self._playback.wait()
        if wait:
            await asyncio.sleep(wait)
        if self.closed:
            raise APIConnectionError("the response was closed")
        chunk = self._playback.next_chunk()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        self.closed = True


def _replayed(playback: Playback) -> AsyncResponse:
    body = _ReplayBody(playback)
    return AsyncResponse(playback.status, playback.headers, body, body.aclose, playback.info)


class _RecordingBody:
    """The live body, each chunk kept as it passes; at its end, or at an error, the
    recording is finished (the live response closed, the cassette written)."""

    def __init__(
        self,
        live: AsyncIterator[bytes],
        recording: Recording,
        finish: Callable[[], Awaitable[None]],
    ) -> None:
        self._live = live
        self._recording = recording
        self._finish = finish

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._live.__anext__()
        except StopAsyncIteration:
            self._recording.completed()
            await self._finish()
            raise
        except (APIConnectionError, APITimeoutError) as exc:
            self._recording.cut(exc)
            await self._finish()
            raise
        except BaseException:  # cancelled mid-read: what was kept is closed early
            await self._finish()
            raise
        self._recording.passed(chunk)
        return chunk


async def _consume_async(body: Any) -> None:
    """Read a streamed request body to its end, as sending it would (see `_consume`): an
    async iterable is awaited, anything else read as the sync transport reads it."""
    if isinstance(body, AsyncIterable):
        async for _ in body:
            pass
    else:
        _consume(body)
