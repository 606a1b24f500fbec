"""``Bounded``: a least-recently-used cache of at most ``limit`` entries, the one the core's lazy
structures keep what they computed or read in (a text index's windows, a stored text's pieces, a
document layout's laid-out windows)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Bounded"]

_K = TypeVar("_K")
_V = TypeVar("_V")


class Bounded(Generic[_K, _V]):
    """A least-recently-used cache of at most ``limit`` entries (not thread-safe: a shared owner
    holds its own lock). ``make`` may raise: nothing is kept then."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K, make: Callable[[], _V]) -> _V:
        """The value kept for ``key``, else ``make()``'s, kept."""
        value = self._data.get(key)  # ``find``, written out: a hit is most calls, one call fewer
        if value is None:
            return self.put(key, make())
        self._data.move_to_end(key)
        return value

    def find(self, key: _K) -> _V | None:
        """The value kept for ``key`` (now the most recently used), or None."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> _V:
        """Keep ``value`` for ``key``, the least recently used entry out when over ``limit``."""
        self._data[key] = value
        if len(self._data) > self.limit:
            self._data.popitem(last=False)
        return value

    def discard(self, key: _K) -> None:
        """Keep nothing for ``key`` (what was kept for it went stale)."""
        self._data.pop(key, None)

    def __contains__(self, key: object) -> bool:
        """Whether a value is kept for ``key`` (its place in the order untouched)."""
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
