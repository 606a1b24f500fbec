"""One state's spans, indexed by start for the overlap query (and their ids, for a new span's): made once per
state, by the editing core.

The editor finds the spans under the cursor with it and the document view draws each line's spans
from the same object (``Editor.spans``): a change is indexed once, not once per reader. What a change
of the state shown changed (``SpanChange``) is likewise found once (``Editor.show``) and handed to each
reader: the index kept in step, the lines the view draws again, the side panel's rows. Entities and
claims are kept apart: a long claim would widen every entity look-up (``SpansByStart`` scans back
from ``start - longest``). Which span is "meant" where several cover a character is
``innermost_first``'s rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress, count
from math import isqrt
from operator import is_not
from typing import cast

from annotator.model.annotations import Annotations, Claim, Entity, Span
from annotator.model.places import offer
from annotator.session import highest_id, id_number
from annotator.text.overlaps import SpansByStart

REINDEX_AT = 64  # spans changed (beyond a 16th of them) past which a state's index is made afresh
MERGE_AT = 64  # ids put in or taken out since an ``IdSet``'s base (beyond a square root of the spans): made afresh


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

    __slots__ = ("state", "entities", "claims", "entity_ids", "claim_ids")

    def __init__(self, state: Annotations | None) -> None:
        self.state = state
        self.entities: SpansByStart[Span] = SpansByStart.of_spans(state.entities if state is not None else ())
        self.claims: SpansByStart[Span] = SpansByStart.of_spans(state.claims if state is not None else ())
        self.entity_ids = IdSet(state.entities if state is not None else ())
        self.claim_ids = IdSet(state.claims if state is not None else ())
        self._offer()

    def _offer(self) -> None:
        """Offer the entities' index and each kind's ids to the checks of the next change to this state
        (``model.places``): a label's overlap check then looks at the entities it overlaps, not at every one, and
        its new id is looked up, not compared with each span's."""
        if self.state is not None:
            offer(self.state.entities, cast("SpansByStart[Entity]", self.entities), self.entity_ids)
            offer(self.state.claims, ids=self.claim_ids)

    def following(self, state: Annotations, change: SpanChange | None = None) -> SpanIndex:
        """The index of ``state``, a later state of the same document, kept in step with this one's: the
        spans that changed are taken out and put in (``SpansByStart.updated``), so a label among 8,000
        spans costs a few bisections, not an index of every span made again; a change of many spans
        (a recommender's proposals) is indexed afresh. Unchanged kinds are shared. ``change``: what
        changed from this index's state to ``state``, when the caller has found it already."""
        if state is self.state:
            return self
        if self.state is None:
            return SpanIndex(state)
        change = SpanChange.of(self.state, state, change)
        index = object.__new__(SpanIndex)
        index.state = state
        index.entities = _following(self.entities, change.entities, state.entities)
        index.claims = _following(self.claims, change.claims, state.claims)
        index.entity_ids = self.entity_ids.following(change.entities, state.entities)
        index.claim_ids = self.claim_ids.following(change.claims, state.claims)
        index._offer()
        return index

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


def _span_id(span: Span) -> str:
    return span.id


Diff = tuple[tuple[Span, ...], tuple[Span, ...]]  # (gone, come): ``changed``'s answer for one kind


def changed(old: tuple[Span, ...], new: tuple[Span, ...]) -> Diff:
    """(gone, come): the spans of ``old`` that ``new`` no longer holds as they were, and those ``new`` holds
    anew (added, or changed under the same id).

    States in canonical order share the objects of the spans a change left alone, so what changed lies
    in the stretch between the longest common head and tail (compared by identity, in C): only that
    stretch is looked at, by id and value, not every span of a state of thousands."""
    if old is new:
        return (), ()
    n = min(len(old), len(new))
    head = next(compress(count(), map(is_not, old, new)), n)
    tail = min(next(compress(count(), map(is_not, reversed(old), reversed(new))), n), n - head)
    gone, come = old[head:len(old) - tail], new[head:len(new) - tail]
    if gone and come:  # a span in both (moved within the stretch, or the store's equal copy) did not change
        now = {s.id: s for s in come}
        same = {s.id for s in gone if now.get(s.id) == s}
        if same:
            gone, come = tuple(s for s in gone if s.id not in same), tuple(s for s in come if s.id not in same)
    return gone, come


class SpanChange:
    """What changed from ``old`` to ``new`` (a later state of the same document), each kind's (gone, come)
    by ``changed``'s rule: found once per state shown (``Editor.show``) and handed on, so the index kept
    in step, the view's lines to draw again and the side panel's rows do not each compare the states."""

    __slots__ = ("old", "new", "entities", "claims")

    def __init__(self, old: Annotations | None, new: Annotations) -> None:
        self.old, self.new = old, new
        self.entities = changed(old.entities if old is not None else (), new.entities)
        self.claims = changed(old.claims if old is not None else (), new.claims)

    @classmethod
    def of(cls, old: Annotations | None, new: Annotations, given: SpanChange | None = None) -> SpanChange:
        """The change from ``old`` to ``new``: ``given`` when it is that very change (a caller handed on what the
        editor found), else found here. The one owner of "use the change given, or compute it"."""
        return given if given is not None and given.between(old, new) else cls(old, new)

    def between(self, old: Annotations | None, new: Annotations) -> bool:
        """Whether this is the change from ``old`` to ``new`` (the very states, not equal ones)."""
        return self.old is old and self.new is new

    @property
    def count(self) -> int:
        """Spans gone plus spans come (a relabel counts both ways)."""
        return sum(len(spans) for diff in (self.entities, self.claims) for spans in diff)

    def __bool__(self) -> bool:
        return self.count > 0

    def ranges(self) -> list[tuple[int, int]]:
        """``[start, end)`` of each span added, removed or changed (old bounds and new; a claim whose
        claimer changed counts): the lines the document view draws again."""
        return [(s.start, s.end) for diff in (self.entities, self.claims) for spans in diff for s in spans]


def too_many(changed: int, spans: int) -> bool:
    """Whether ``changed`` spans out of ``spans`` are past what a step-by-step update pays for: made afresh
    (sorted whole) costs less then (a recommender's proposals). One rule for the index and the side panel."""
    return changed > REINDEX_AT + spans // 16


def _following(index: SpansByStart[Span], diff: Diff, new: tuple[Span, ...]) -> SpansByStart[Span]:
    """``index`` made to index ``new`` by ``diff`` (what changed); made afresh when too much changed to pay;
    shared when nothing did (the store's equal copy of the spans shown)."""
    gone, come = diff
    if not gone and not come:
        return index
    if too_many(len(gone) + len(come), len(new)):
        return SpansByStart.of_spans(new)
    return index.updated(gone, come, tie=_span_id)


class IdSet:
    """The ids of one kind of a state's spans, for the check that a new span's id is new (offered through
    ``model.places``), kept in step with each change without copying every id: a shared ``base`` with the ids a
    few changes put in (``added``, none of the base) and took out (``removed``, all of the base), made afresh from
    the spans once those grow past ``MERGE_AT`` and a square root of the spans (a change then copies a few hundred
    ids at most at 30,000 spans, where a set of all of them copied costs 1 ms). The base is gathered when first
    looked up (a document opened and never labelled pays nothing). Its ids never change: the session's writer may
    check a change to an earlier state with that state's set while the screen moves on. Its ``len`` is its ids':
    fewer than the spans when an id is held twice (a store edited by hand), and then ``places`` gives it to no
    check (a removal of one of the two cannot know the other is left)."""

    __slots__ = ("_spans", "_base", "_added", "_removed")

    def __init__(self, spans: tuple[Span, ...]) -> None:
        self._spans: tuple[Span, ...] | None = spans  # None once the base is gathered
        self._base: frozenset[str] = frozenset()
        self._added: frozenset[str] = frozenset()
        self._removed: frozenset[str] = frozenset()

    def _gathered(self) -> frozenset[str]:
        spans = self._spans  # read once: the writer's thread may gather it at the same time, to the same set
        if spans is None:
            return self._base
        self._base = base = frozenset(map(_span_id, spans))
        self._spans = None
        return base

    def __contains__(self, span_id: object) -> bool:
        return span_id in self._added or (span_id in self._gathered() and span_id not in self._removed)

    def __len__(self) -> int:
        return len(self._gathered()) - len(self._removed) + len(self._added)

    def following(self, diff: Diff, new: tuple[Span, ...]) -> IdSet:
        """The ids of ``new``, the spans of this set's with ``diff`` (``changed``'s gone, come) applied."""
        gone, come = diff
        if not gone and not come:
            return self
        if self._spans is not None:  # not looked up yet: nor gathered for the next state until it is
            return IdSet(new)
        come_ids = set(map(_span_id, come))
        out = set(map(_span_id, gone)) - come_ids
        added = (self._added - out) | (come_ids - self._base)
        removed = (self._removed - come_ids) | (out & self._base)
        if len(added) + len(removed) > MERGE_AT + isqrt(len(new)):
            return IdSet(new)
        ids = IdSet(())
        ids._spans, ids._base, ids._added, ids._removed = None, self._base, added, removed
        return ids


class NextIds:
    """The next span id of the state shown (``session.new_id``: one past ``highest_id``), the highest number
    found once per document (a scan of every id, 4 ms among 30,000 proposals) and then kept in step with each
    ``SpanChange``: the ids come count; one gone that was the highest sends it back to a scan (an undo of the
    last label)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Annotations, int]] = {}  # prefix -> (a state, its ``highest_id``)

    def new_id(self, state: Annotations, prefix: str) -> str:
        known = self._known.get(prefix)
        if known is None or known[0] is not state:
            known = self._known[prefix] = (state, highest_id(state, prefix))
        return f"{prefix}{known[1] + 1}"

    def follow(self, change: SpanChange) -> None:
        gone = {s.id for diff in (change.entities, change.claims) for s in diff[0]}
        come = {s.id for diff in (change.entities, change.claims) for s in diff[1]}
        for prefix, (state, highest) in list(self._known.items()):
            if state is not change.old or any(id_number(i, prefix) == highest for i in gone - come):
                del self._known[prefix]
            else:
                self._known[prefix] = (change.new, max([highest, *(id_number(i, prefix) for i in come)]))
