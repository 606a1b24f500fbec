"""Which spans cover which characters, kept cheap to query per screen line.

Pure (no Textual). The document view asks, for each visual line it draws, the
entities and claims overlapping that line; after an edit it asks which ranges
changed so it redraws only those lines. Which span is "meant" where several cover
a character is the editing core's rule (``editing.innermost_first``), not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.editing import innermost_first
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.text.overlaps import SpansByStart

Span = Entity | Claim


@dataclass(frozen=True)
class SpanAt:
    """What one character is covered by: entities innermost first, claims, and nesting depth."""

    entities: tuple[Entity, ...]
    claims: tuple[Claim, ...]


class SpanIndex:
    """A state's entities and claims for the overlap query (``text.overlaps.SpansByStart``)."""

    def __init__(self, state: Annotations | None) -> None:
        spans: tuple[Span, ...] = () if state is None else (*state.entities, *state.claims)
        self._by_start: SpansByStart[Span] = SpansByStart.of_spans(spans)

    def overlapping(self, start: int, end: int) -> list[Span]:
        """Spans with at least one character in ``[start, end)``, by start (outer first)."""
        return self._by_start.overlapping(start, end)

    def covers(self, start: int, end: int) -> bool:
        return bool(self.overlapping(start, end))

    @staticmethod
    def at(spans: list[Span], offset: int) -> SpanAt:
        """Split the spans covering ``offset`` into entities (innermost first) and claims."""
        hits = innermost_first(s for s in spans if s.start <= offset < s.end)
        return SpanAt(tuple(s for s in hits if isinstance(s, Entity)),
                      tuple(s for s in hits if isinstance(s, Claim)))


def changed_ranges(old: Annotations | None, new: Annotations | None) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of spans added, removed or changed between two states
    (a claim whose claimer changed counts; so does its claimer entity)."""
    def keyed(state: Annotations | None) -> dict[tuple[str, str], Span]:
        if state is None:
            return {}
        out: dict[tuple[str, str], Span] = {("e", e.id): e for e in state.entities}
        out.update({("c", c.id): c for c in state.claims})
        return out

    before, after = keyed(old), keyed(new)
    ranges = []
    for key in before.keys() | after.keys():
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        for s in (a, b):
            if s is not None:
                ranges.append((s.start, s.end))
    return ranges
