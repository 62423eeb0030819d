"""The push form of a decoder: a parser is fed a body's bytes as they arrive and hands back the
items they complete. It knows nothing of how the bytes move, so a blocking loop over a
response and an ``async for`` over one drive the same decoding code.

The contract, for every decoder's parser:

- ``feed(chunk)`` returns every item the bytes fed so far complete, in order, and never waits
  for more bytes to decide about the ones it has;
- ``done`` turns true when the parser will decode nothing more: the stream's own end arrived
  (SSE ``[DONE]``; bytes after it are not decoded), or an error did. Feed no more then, and
  call ``end()``;
- ``end()`` says the body is over: it returns the items its last bytes complete (a lenient
  server's last event, without its blank line), or raises: the error that made the parser
  done, or a StreamError for a body cut in the middle of a line. When it returns, the body
  was whole, or ended by the stream's own end: the caller finishes the response.

An error never takes items with it. When one chunk completes two events and then an error
(an error event, invalid JSON), ``feed`` returns the two events and holds the error; ``end()``
raises it (so does any later ``feed``). A caller hands the items on, sees ``done``, and calls
``end()``, as :func:`iterate` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

__all__ = ["Parser", "iterate"]


class Parser(Protocol):
    """One body's decoding state; see the module's docstring."""

    @property
    def done(self) -> bool: ...

    def feed(self, chunk: bytes) -> list[Any]: ...

    def end(self) -> list[Any]: ...


def iterate(parser: Parser, chunks: Iterable[bytes]) -> Iterator[Any]:
    """The items of a body given as chunks, each as soon as its bytes are in: the pull form of
    a parser. It asks for the next chunk only once it has yielded every item the bytes before
    it complete, and for none after the parser is done."""
    for chunk in chunks:
        yield from parser.feed(chunk)
        if parser.done:
            break
    yield from parser.end()
