"""A set of custom ids in about eight bytes each: the ids of a million-line file without the
hundred megabytes a set of strings would take.

Ids are kept as 64-bit BLAKE2b digests in a sorted array, looked up by bisection; new ids
wait in a small set that is merged in when it grows past an eighth of the array, so merging
stays a logarithmic number of sorts however many ids come. Two different ids share a digest
with a chance of about n^2 / 2^65 (3 in 100 million for a million ids).
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable

__all__ = ["IdSet", "digest"]

_MERGE_AT = 4096  # the least number of new ids worth a merge


def digest(custom_id: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(custom_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
        "little",
    )


class IdSet:
    """The custom ids seen so far: ``add``, ``in`` and ``len``."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._sorted = array("Q")
        self._new: set[int] = set()
        for custom_id in ids:
            self.add(custom_id)

    def add(self, custom_id: str) -> None:
        key = digest(custom_id)
        if self._has(key):
            return
        self._new.add(key)
        if len(self._new) >= max(_MERGE_AT, len(self._sorted) >> 3):
            self._merge()

    def __contains__(self, custom_id: object) -> bool:
        if not isinstance(custom_id, str):
            return False
        return self._has(digest(custom_id))

    def _has(self, key: int) -> bool:
        if key in self._new:
            return True
        at = bisect_left(self._sorted, key)
        return at < len(self._sorted) and self._sorted[at] == key

    def __len__(self) -> int:
        return len(self._sorted) + len(self._new)

    def _merge(self) -> None:
        self._sorted = array("Q", sorted(self._sorted.tolist() + list(self._new)))
        self._new.clear()
