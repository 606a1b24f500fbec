"""One state's spans, indexed by start for the overlap query: made once per state, by the editing core.

The editor finds the spans under the cursor with it and the document view draws each line's spans
from the same object (``Editor.spans``): a change is indexed once, not once per reader. Entities and
claims are kept apart: a long claim would widen every entity look-up (``SpansByStart`` scans back
from ``start - longest``). Which span is "meant" where several cover a character is
``innermost_first``'s rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from annotator.model.annotations import Annotations, Claim, Entity, Span
from annotator.text.overlaps import SpansByStart


def innermost_first(spans: Iterable[Span]) -> list[Span]:
    """The order "which span is meant" is decided in: shortest first, then leftmost (the
    status line, delete, relabel, and the colour drawn where spans nest all use it)."""
    return sorted(spans, key=lambda s: (s.end - s.start, s.start))


@dataclass(frozen=True)
class SpanAt:
    """What one character is covered by: entities innermost first, and claims."""

    entities: tuple[Entity, ...]
    claims: tuple[Claim, ...]


class SpanIndex:
    """``state``'s entities and claims by start (``text.overlaps.SpansByStart``); None: no spans."""

    __slots__ = ("state", "entities", "claims")

    def __init__(self, state: Annotations | None) -> None:
        self.state = state
        self.entities: SpansByStart[Span] = SpansByStart.of_spans(state.entities if state is not None else ())
        self.claims: SpansByStart[Span] = SpansByStart.of_spans(state.claims if state is not None else ())

    def following(self, state: Annotations) -> SpanIndex:
        """The index of ``state``, a later state of the same document: this one's lists, shared, when its
        spans are the same (the store's copy of the state shown, answering its save), else made afresh."""
        if state is self.state:
            return self
        old = self.state
        if old is None or (old.entities, old.claims) != (state.entities, state.claims):
            return SpanIndex(state)
        shared = object.__new__(SpanIndex)
        shared.state, shared.entities, shared.claims = state, self.entities, self.claims
        return shared

    def overlapping(self, start: int, end: int, kinds: int = 2) -> list[Span]:
        """Entities, then claims (``kinds`` = 1: entities only), with a character in ``[start, end)``;
        each kind by start (outer first), in the state's order for equal bounds."""
        found = self.entities.overlapping(start, end)
        return found + self.claims.overlapping(start, end) if kinds > 1 else found

    def covers(self, start: int, end: int) -> bool:
        return bool(self.entities.overlapping(start, end) or self.claims.overlapping(start, end))

    @staticmethod
    def at(spans: list[Span], offset: int) -> SpanAt:
        """Split the spans covering ``offset`` into entities (innermost first) and claims."""
        hits = innermost_first(s for s in spans if s.start <= offset < s.end)
        return SpanAt(tuple(s for s in hits if isinstance(s, Entity)),
                      tuple(s for s in hits if isinstance(s, Claim)))
