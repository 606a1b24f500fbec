"""Which of many [start, end) spans overlap a range, found by bisection: the one owner of that query.

The spans are kept sorted by start (outer first at one start) with the longest one's length, so
those overlapping ``[start, end)`` all start in ``[start - longest, end)``: two bisections and a
pass over that slice, not over every span (a recommender's thousands of proposals checked against
the labels, the labels touching each piece of a long text). ``updated`` follows a change of a few
spans by bisection too, rather than indexing every span again.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from operator import neg, sub
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["SpansByStart"]

T = TypeVar("T")


class _Placed(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


S = TypeVar("S", bound=_Placed)


def _start_end(span: _Placed) -> tuple[int, int]:
    return span.start, span.end


def _pair(span: tuple[int, int]) -> tuple[int, int]:
    return span


class SpansByStart(Generic[T]):
    """``items`` sorted by start (then longest first), each with its ``bounds`` (start, end)."""

    __slots__ = ("items", "_bounds", "_ends", "_starts", "_longest")

    def __init__(self, items: Iterable[T], bounds: Callable[[T], tuple[int, int]]) -> None:
        self._bounds = bounds
        kept = list(items)
        spans = [bounds(x) for x in kept]
        starts, ends = [s for s, _ in spans], [e for _, e in spans]
        # spans in a state's canonical order (``sort_spans``) are taken as they are: only checked, 3-6x cheaper
        pairs = zip(starts, starts[1:], ends, ends[1:], strict=False)
        if not all(s0 < s1 or (s0 == s1 and e0 >= e1) for s0, s1, e0, e1 in pairs):
            order = sorted(range(len(kept)), key=lambda k: (starts[k], -ends[k]))
            kept, starts, ends = [kept[k] for k in order], [starts[k] for k in order], [ends[k] for k in order]
        self.items, self._starts, self._ends = kept, starts, ends
        self._longest = max(map(sub, ends, starts), default=0)

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[int, int]]) -> SpansByStart[tuple[int, int]]:
        """Plain (start, end) pairs."""
        return SpansByStart(pairs, _pair)

    @classmethod
    def of_spans(cls, spans: Iterable[S]) -> SpansByStart[S]:
        """Spans with ``start`` and ``end`` (entities, claims)."""
        return SpansByStart(spans, _start_end)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: T) -> None:
        """Put ``item`` in its place (after any with the same bounds): a batch checked one by one."""
        self._insert(item, None)

    def updated(self, gone: Iterable[T], come: Iterable[T], tie: Callable[[T], Any] | None = None) -> SpansByStart[T]:
        """A copy without ``gone`` (items equal to them) and with ``come``, each where a fresh index of the
        result would put it: at one start longest first, then (equal bounds) in ``tie``'s order (a state's
        canonical order: ``tie`` = the id), else after those already there. A bisection and a list insert
        per item changed (and a copy of the lists, at C speed), where a fresh index pays per span kept."""
        new = object.__new__(SpansByStart)
        new._bounds, new._longest = self._bounds, self._longest
        new.items, new._starts, new._ends = self.items[:], self._starts[:], self._ends[:]
        for item in gone:
            new._remove(item)
        for item in come:
            new._insert(item, tie)
        return new

    def _remove(self, item: T) -> None:
        start, end = self._bounds(item)
        lo, hi = bisect_left(self._starts, start), bisect_right(self._starts, start)
        lo = bisect_left(self._ends, -end, lo, hi, key=neg)
        hi = bisect_right(self._ends, -end, lo, hi, key=neg)
        k = next((k for k in range(lo, hi) if self.items[k] == item), None)
        if k is None:
            raise ValueError(f"not in the index: {item!r}")
        del self.items[k], self._starts[k], self._ends[k]
        if end - start == self._longest:  # it may have been the longest: the scan back need not reach as far
            self._longest = max(map(sub, self._ends, self._starts), default=0)

    def _insert(self, item: T, tie: Callable[[T], Any] | None) -> None:
        start, end = self._bounds(item)
        lo, hi = bisect_left(self._starts, start), bisect_right(self._starts, start)
        lo = bisect_left(self._ends, -end, lo, hi, key=neg)
        i = bisect_right(self._ends, -end, lo, hi, key=neg)  # after those with the same bounds…
        if tie is not None:  # …unless they come after it in the state's order
            key = tie(item)
            i = next((k for k in range(lo, i) if tie(self.items[k]) > key), i)
        self.items.insert(i, item)
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        self._longest = max(self._longest, end - start)

    def overlapping(self, start: int, end: int) -> list[T]:
        """The items with at least one character in ``[start, end)``, in order."""
        lo = bisect_left(self._starts, start - self._longest)
        hi = bisect_left(self._starts, end)
        ends = self._ends
        return [x for k, x in enumerate(self.items[lo:hi], lo) if ends[k] > start]
