"""Which of many [start, end) spans overlap a range, found by bisection: the one owner of that query.

The spans are kept sorted by start (outer first at one start) with the longest one's length, so
those overlapping ``[start, end)`` all start in ``[start - longest, end)``: two bisections and a
pass over that slice, not over every span (a recommender's thousands of proposals checked against
the labels, the labels touching each piece of a long text).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from operator import neg, sub
from typing import Generic, Protocol, TypeVar

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
        start, end = self._bounds(item)
        lo, hi = bisect_left(self._starts, start), bisect_right(self._starts, start)
        i = bisect_right(self._ends, -end, lo, hi, key=neg)  # at one start, longest first
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
