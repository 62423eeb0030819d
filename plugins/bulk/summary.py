"""What a bulk run did, counted: the answer of `bulk.process` and the CLI's last line."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Summary"]


@dataclass
class Summary:
    """Counts of one run. `left` requests were not written this run (a batch expired or
    was cancelled, or the run stopped): running the same command again sends them."""

    total: int = 0  # requests in the input
    skipped: int = 0  # already in the output when the run began
    succeeded: int = 0  # written with a 2xx response
    failed: int = 0  # written with an error: a final HTTP error, or no answer at all
    left: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """One line for a person: what was written, and what a re-run would do."""
        text = (
            f"{self.succeeded:,} succeeded, {self.failed:,} failed, {self.skipped:,} already "
            f"done, of {self.total:,} requests in {self.seconds:,.1f} s"
        )
        if self.left:
            text += f"; {self.left:,} left: run the same command again to send them"
        return text
