"""Find in a document and label every match, decided without a screen (issue 13).

Matching is the project's search normalization (``text.matching`` through ``TextIndex``:
harakat, tatweel, alef/hamza forms, alef maksura and teh marbuta are ignored). A match is a
whole word, or the rest of a word after a proclitic (``text.clitics``): finding بالي finds
the بالي in وبالي with the span on بالي, never the بالي inside بالية.

``label_all`` turns the matches into one ``Batch`` (one undo step), skipping each match
the schema's overlap rules refuse and saying how many were skipped and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from annotator.errors import OperationError
from annotator.layout.stored import Text
from annotator.model.annotations import Annotations, Entity
from annotator.model.operations import AddEntity, Batch, Operation, SetSource
from annotator.schema.model import Schema
from annotator.session import new_id, plan_change
from annotator.text import TextIndex
from annotator.text.clitics import clitic_edges_in
from annotator.text.segments import TextSpan


def find_matches(index: TextIndex, query: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each match of ``query`` in text order: starting at a word's start or
    at one of its proclitic edges, ending at a word's end (a query of several words spans them).
    Every window of the text is searched: ``matches_from`` stops at the first few."""
    return list(matches_from(index, query, 0))


def _whole_words(index: TextIndex, hit: TextSpan) -> bool:
    first = index.token_at(hit.start)
    last = index.token_at(hit.end - 1) if hit.end > hit.start else None
    if first is None or last is None:
        return False
    starts = {first.start} | {first.start + e for e in clitic_edges_in(first.text)}
    return hit.start in starts and hit.end == last.end


def matches_from(index: TextIndex, query: str, offset: int, backwards: bool = False) -> Iterator[tuple[int, int]]:
    """The matches of ``find_matches`` in text order from the window holding ``offset`` on (or
    backwards from it), searched window by window: the next match costs a window or so."""
    for hit in index.search_from(query, offset, not backwards):
        if _whole_words(index, hit):
            yield hit.start, hit.end


def next_match(index: TextIndex, query: str, cursor: int, backwards: bool = False) -> tuple[int, int] | None:
    """The match after ``cursor`` (before it, ``backwards``), wrapping round the text; None if
    there is none. Searches outwards from the cursor, so a match nearby is found at once."""
    if backwards:
        found = next((m for m in matches_from(index, query, cursor, True) if m[0] < cursor), None)
        return found or next(matches_from(index, query, len(index.text), True), None)
    found = next((m for m in matches_from(index, query, cursor) if m[0] > cursor), None)
    return found or next(matches_from(index, query, 0), None)


def count_matches(index: TextIndex, query: str, limit: int) -> tuple[int, bool]:
    """How many matches, counting at most ``limit`` windows of text: (count, whether that was all)."""
    count, last_end = 0, -1
    windows = index.windows
    for k in range(min(limit, windows.count)):
        for hit in index.search_window(k, query):
            if hit.start >= last_end:
                last_end = hit.end
                count += _whole_words(index, hit)
    return count, limit >= windows.count


def step_match(matches: list[tuple[int, int]], cursor: int, backwards: bool = False) -> int | None:
    """The index of the match after ``cursor`` (before it, ``backwards``), wrapping; None if none."""
    if not matches:
        return None
    if backwards:
        return next((i for i in range(len(matches) - 1, -1, -1) if matches[i][0] < cursor), len(matches) - 1)
    return next((i for i, m in enumerate(matches) if m[0] > cursor), 0)


@dataclass(frozen=True)
class LabelAllPlan:
    """What "label all" does: ``op`` (None when nothing is left to do), the state after it, the
    number labelled, and the skipped matches counted by reason."""

    op: Operation | None
    after: Annotations
    labelled: int
    skipped: dict[str, int]

    def describe(self, label: str, query: str) -> str:
        said = f"labelled {self.labelled} match(es) of «{query}» as {label} (one undo step)"
        if self.skipped:
            why = "; ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
            said += f"; skipped {sum(self.skipped.values())}: {why}"
        return said


def plan_label_all(schema: Schema, text: Text, state: Annotations, matches: list[tuple[int, int]],
                   label: str) -> LabelAllPlan:
    """Label each match as ``label``: a pre-annotation with that label and bounds is accepted, an
    entity already there is left alone, a match the schema refuses (overlap rules) is skipped."""
    ops: list[Operation] = []
    skipped: Counter[str] = Counter()
    current = state
    for start, end in matches:
        same = [e for e in current.entities if (e.start, e.end) == (start, end)]
        if any(e.label == label and e.source is None for e in same):
            skipped["already labelled so"] += 1
            continue
        pre = next((e for e in same if e.label == label), None)
        if pre is None and same:
            skipped[f"already labelled {same[0].label}"] += 1
            continue
        op: Operation = (SetSource(pre.id, None) if pre is not None
                         else AddEntity(Entity(new_id(current, "e"), start, end, label)))
        try:
            current = op.apply(current, text, schema)
        except OperationError as exc:
            skipped[_reason(str(exc))] += 1
            continue
        ops.append(op)
    if not ops:
        return LabelAllPlan(None, state, 0, dict(skipped))
    batch = Batch(tuple(ops), f"label all: {len(ops)} × {label}")
    _, after, _ = plan_change(batch, state, text, schema)
    return LabelAllPlan(batch, after, len(ops), dict(skipped))


def _reason(message: str) -> str:
    """The schema's refusal without the other span's id and offsets, so equal reasons group
    ("span would nest with PER e3 [4, 8); schema forbids nesting" → "schema forbids nesting")."""
    return message.rsplit("; ", 1)[-1]
