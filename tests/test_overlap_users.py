"""The overlap query has one owner (``text.overlaps.SpansByStart``); its users answer as a scan of
every span would: ``SpansByStart.add`` keeps the order a fresh index has, ``PlacedEntities`` (a
batch of proposals checked one by one) refuses with the error ``check_entity_fits`` gives against
the whole state and keeps the entities in canonical order, and the editing core's ``SpanIndex`` (the
editor's, which the document view draws from) finds every entity and claim with a character in a range."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from annotator.editing.spans import SpanIndex
from annotator.errors import OperationError
from annotator.model.annotations import Annotations, Claim, Entity, sort_spans
from annotator.model.operations import PlacedEntities, check_entity_fits
from annotator.schema import default_schema_path, load_schema
from annotator.text.overlaps import SpansByStart

SCHEMA = load_schema(default_schema_path())
BOUNDS = st.tuples(st.integers(0, 20), st.integers(1, 8)).map(lambda p: (p[0], p[0] + p[1]))
ENTITIES = st.lists(st.tuples(BOUNDS, st.sampled_from(["PER", "ORG"]), st.integers(0, 99)), max_size=25).map(
    lambda rows: [Entity(f"e{n}", s, e, label) for (s, e), label, n in rows])


@settings(max_examples=200, deadline=None)
@given(st.lists(BOUNDS, max_size=30), st.lists(BOUNDS, max_size=30))
def test_spans_added_one_by_one_stand_where_a_fresh_index_puts_them(first, later):
    index = SpansByStart(list(enumerate(first)), lambda x: x[1])
    for x in enumerate(later, len(first)):
        index.add(x)
    fresh = SpansByStart([*enumerate(first), *enumerate(later, len(first))], lambda x: x[1])
    assert index.items == fresh.items  # ties of bounds in the order they came
    for start in range(-2, 30, 3):
        assert index.overlapping(start, start + 4) == fresh.overlapping(start, start + 4)


@settings(max_examples=300, deadline=None)
@given(ENTITIES, ENTITIES, st.booleans(), st.booleans())
# e9 crosses e5 and e1 (added later, same bounds): the error names e1, first in canonical order
@example([Entity("e5", 0, 4, "PER")], [Entity("e1", 0, 4, "ORG"), Entity("e9", 2, 6, "PER")], True, False)
def test_placed_entities_refuse_and_order_as_the_whole_state_check(state, new, nesting, overlap):
    schema = replace(SCHEMA, allow_nesting=nesting, allow_overlap=overlap)
    placed, kept = PlacedEntities(state), list(state)
    for entity in new:
        try:
            check_entity_fits(Annotations("d", "a", entities=sort_spans(kept)), entity, schema)
            expected = None
        except OperationError as exc:
            expected = str(exc)
        try:
            placed.fits(entity, schema)
            got = None
        except OperationError as exc:
            got = str(exc)
        assert got == expected
        if got is None:
            placed.add(entity)
            kept.append(entity)
    assert placed.entities == sort_spans(kept)


@settings(max_examples=200, deadline=None)
@given(ENTITIES, st.lists(BOUNDS, max_size=10), st.integers(-2, 30), st.integers(0, 10))
def test_span_index_finds_the_spans_a_scan_finds(entities, claims, start, length):
    state = Annotations("d", "a", entities=sort_spans(entities),
                        claims=sort_spans(Claim(f"c{i}", s, e) for i, (s, e) in enumerate(claims)))
    got = SpanIndex(state).overlapping(start, start + length)
    every = [*state.entities, *state.claims]
    assert sorted(got, key=every.index) == [s for s in every if s.start < start + length and start < s.end]
    for kind in (Entity, Claim):  # entities, then claims, each by start (outer first)
        bounds = [(s.start, -s.end) for s in got if isinstance(s, kind)]
        assert bounds == sorted(bounds)
    assert got == [s for s in got if isinstance(s, Entity)] + [s for s in got if isinstance(s, Claim)]
