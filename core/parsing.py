"""The push form of a decoder: a parser is fed a body's bytes as they arrive and hands back the
items they complete. It knows nothing of how the bytes move, so a blocking loop over a
response and an `async for` over one drive the same decoding code.

The contract, for every decoder's parser:

- `feed(chunk)` returns the items the bytes fed so far complete, in order, never waiting for
  more bytes to decide about the ones it has. What it returns is an iterable that decodes as
  it is taken (a chunk of hundreds of events never holds them all at once): take every item
  before feeding the next chunk;
- an error (an error event, invalid JSON) is raised in its place, once every item before it
  has been taken: by the iteration, or by `feed` itself when the chunk completes nothing
  before it. An error never takes an item with it;
- `done` turns true once the parser decodes nothing more: the stream's own end arrived
  (SSE `[DONE]`; bytes after it are not decoded), or an error did. Check it once the items
  of a chunk are taken: then read no more, and call `end()`;
- `end()` says the body is over: it returns the items its last bytes complete (a lenient
  server's last event, without its blank line), or raises a StreamError for a body cut in the
  middle of a line (or, again, the error that stopped the parser). When it returns, the body
  was whole or ended by the stream's own end: the caller finishes the response.

`iterate()` is that loop as a generator. Every item leaves as soon as its bytes are in,
and the next chunk is asked for only once every item the bytes before it complete has left:
what lets a DataStream cut the bytes it keeps at the decoder's `boundary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

__all__ = ["Parser", "iterate"]


class Parser(Protocol):
    """One body's decoding state; see the module's docstring."""

    @property
    def done(self) -> bool: ...

    def feed(self, chunk: bytes) -> Iterable[Any]: ...

    def end(self) -> Iterable[Any]: ...


def iterate(parser: Parser, chunks: Iterable[bytes]) -> Iterator[Any]:
    """The items of a body given as chunks, each as soon as its bytes are in: the pull form of
    a parser."""
    for chunk in chunks:
        yield from parser.feed(chunk)
        if parser.done:
            break
    yield from parser.end()
