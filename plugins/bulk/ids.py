"""Custom ids by the million in little memory.

- `IdSet`: the ids an output already holds, exactly (to 64 bits), in eight bytes
  each: their BLAKE2b digests in one sorted array, looked up by bisection. It is built once,
  sorting the digests in slices and merging them, so it never holds a Python object per id.
  Two different ids share a digest with a chance of about n^2 / 2^65 (3 in 100 million for a
  million ids).
- `Repeats`: which ids of an input may have been seen before, in about ten bits an id
  (a Bloom filter): a "no" is certain, a "maybe" (one id in a hundred) is checked exactly by
  the caller, so finding the repeated ids of a file costs no more than the few it flags.
"""

from __future__ import annotations

import hashlib
import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable

__all__ = ["IdSet", "Repeats", "digest"]

_SLICE = 1 << 16  # digests sorted at once while building an IdSet
_BITS_PER_ID = 10  # with 7 probes: about 1% of first sightings answered "maybe"
_PROBES = 7


def digest(custom_id: str) -> int:
    return int.from_bytes(_hash(custom_id, 8), "little")


def _hash(custom_id: str, size: int) -> bytes:
    return hashlib.blake2b(custom_id.encode("utf-8", "surrogatepass"), digest_size=size).digest()


class IdSet:
    """A fixed set of custom ids: `in` and `len`."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        slices: list[array[int]] = []
        current: list[int] = []
        for custom_id in ids:
            current.append(digest(custom_id))
            if len(current) == _SLICE:
                slices.append(array("Q", sorted(current)))
                current = []
        slices.append(array("Q", sorted(current)))
        merged = array("Q")
        merged.extend(heapq.merge(*slices))
        self._sorted = merged

    def __contains__(self, custom_id: object) -> bool:
        if not isinstance(custom_id, str):
            return False
        key = digest(custom_id)
        at = bisect_left(self._sorted, key)
        return at < len(self._sorted) and self._sorted[at] == key

    def __len__(self) -> int:
        return len(self._sorted)


class Repeats:
    """A Bloom filter sized for `expected` ids: `seen_before(id)` adds the id and says
    whether it may have been added already (False is certain)."""

    def __init__(self, expected: int) -> None:
        self._size = max(1 << 13, expected * _BITS_PER_ID)
        self._bits = bytearray((self._size + 7) // 8)

    def seen_before(self, custom_id: str) -> bool:
        whole = _hash(custom_id, 16)
        first = int.from_bytes(whole[:8], "little")
        step = int.from_bytes(whole[8:], "little") | 1
        bits, size = self._bits, self._size
        seen = True
        for probe in range(_PROBES):  # double hashing: k probes from two hashes
            at = (first + probe * step) % size
            mask = 1 << (at & 7)
            if not bits[at >> 3] & mask:
                seen = False
                bits[at >> 3] |= mask
        return seen
