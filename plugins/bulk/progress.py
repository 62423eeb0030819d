"""How far a bulk run is, shown as it goes: a bar redrawn in place on a terminal, a plain line
every few seconds elsewhere (a log file, CI), nothing when quiet. Written to stderr, so the
output of the command stays clean."""

from __future__ import annotations

import sys
import time
from typing import Callable, Optional, TextIO

__all__ = ["MODES", "Progress"]

MODES = ("auto", "bar", "lines", "quiet")
BAR_EVERY = 0.2  # seconds between two redraws of the bar
LINE_EVERY = 10.0  # seconds between two plain lines
WIDTH = 24  # characters of the bar itself


class Progress:
    """`update` with absolute counts as often as they change; it draws only when due."""

    def __init__(
        self,
        total: int,
        mode: str = "auto",
        stream: Optional[TextIO] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"progress must be one of {', '.join(MODES)}, not {mode!r}")
        self.stream = sys.stderr if stream is None else stream
        if mode == "auto":
            mode = "bar" if _is_terminal(self.stream) else "lines"
        self.mode = mode
        self.total = total
        self._clock = clock
        self._started = clock()
        self._drawn: Optional[float] = None
        self._text = ""
        self._counts = (0, 0, 0, 0.0, 0.0)

    def update(
        self,
        *,
        done: int,
        failed: int,
        in_flight: int,
        requests_per_minute: float = 0.0,
        tokens_per_minute: float = 0.0,
    ) -> None:
        self._counts = (done, failed, in_flight, requests_per_minute, tokens_per_minute)
        now = self._clock()
        every = BAR_EVERY if self.mode == "bar" else LINE_EVERY
        if self._drawn is None or now - self._drawn >= every:
            self._draw(now)

    def close(self) -> None:
        """Draw the last state, and end the bar's line."""
        if self.mode == "quiet":
            return
        self._draw(self._clock())
        if self.mode == "bar":
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, now: float) -> None:
        self._drawn = now
        if self.mode == "quiet":
            return
        text = self.describe(now)
        if self.mode == "bar":
            # Pad over what the last, longer text left on the line.
            self.stream.write("\r" + text.ljust(len(self._text)))
        else:
            self.stream.write(text + "\n")
        self._text = text
        self.stream.flush()

    def describe(self, now: float) -> str:
        done, failed, in_flight, rpm, tpm = self._counts
        finished = done + failed
        share = finished / self.total if self.total else 1.0
        parts = [f"{finished:,}/{self.total:,} ({share:.0%})", f"{failed:,} failed"]
        parts += [f"{in_flight:,} in flight", f"{rpm:,.0f} req/min", f"{tpm:,.0f} tok/min"]
        parts.append(f"ETA {_eta(finished, self.total, now - self._started)}")
        if self.mode == "bar":
            filled = int(WIDTH * min(share, 1.0))
            return f"[{'#' * filled}{'.' * (WIDTH - filled)}] " + "  ".join(parts)
        return "bulk: " + ", ".join(parts)


def _eta(finished: int, total: int, seconds: float) -> str:
    if finished >= total:
        return "0s"
    if not finished or seconds <= 0:
        return "?"
    left = (total - finished) * seconds / finished
    hours, rest = divmod(int(left), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: not a terminal
        return False
