"""ReplaceAnnotations (every import's write) checks a whole state at once: it must accept and refuse exactly
what adding the spans one by one would, with the same first error, and stay near-linear in the spans."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.errors import OperationError
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.model.operations import AddClaim, AddEntity, LinkClaimer, ReplaceAnnotations

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019 و ذكر أن الناس عادوا."
WORDS = [(i, i + len(w)) for i, w in ((TEXT.index(w), w) for w in dict.fromkeys(TEXT.replace(".", " ").split()))]


def one_by_one(target: Annotations, state: Annotations, schema) -> Annotations:
    """The reference: each span added by the operation a person would use."""
    fresh = dataclasses.replace(state, entities=(), claims=(), status=target.status, notes=target.notes,
                                attributes=dict(target.attributes))
    for e in target.entities:
        fresh = AddEntity(e).apply(fresh, TEXT, schema)
    for c in target.claims:
        fresh = AddClaim(dataclasses.replace(c, claimer=None)).apply(fresh, TEXT, schema)
    for c in target.claims:
        if c.claimer is not None:
            fresh = LinkClaimer(c.id, c.claimer).apply(fresh, TEXT, schema)
    return fresh


@st.composite
def targets(draw):
    n = draw(st.integers(0, 12))
    entities = []
    for i in range(n):
        a = draw(st.integers(0, len(WORDS) - 1))
        b = draw(st.integers(a, min(a + 3, len(WORDS) - 1)))
        start, end = WORDS[a][0], WORDS[b][1]
        if draw(st.integers(0, 20)) == 0:
            end = start + 1 + draw(st.integers(0, 2))  # maybe not on a letter boundary
        label = draw(st.sampled_from(["PER", "ORG", "GPE", "DATE", "NOPE"]))
        eid = draw(st.sampled_from([f"e{i}", f"e{i}", "e0", ""]))
        entities.append(Entity(eid, start, end, label))
    claims = []
    for i in range(draw(st.integers(0, 3))):
        a = draw(st.integers(0, len(WORDS) - 1))
        claimer = draw(st.sampled_from([None, "e0", "e1", "e2", "zz"]))
        cid = draw(st.sampled_from([f"c{i}", "e0"]))
        claims.append(Claim(cid, WORDS[a][0], WORDS[-1][1], claimer=claimer))
    return Annotations(doc_id="d", annotator="a", entities=tuple(entities), claims=tuple(claims))


def outcome(fn):
    try:
        return fn()
    except OperationError as exc:
        return f"refused: {exc}"


@pytest.mark.parametrize("nesting,overlap", [(True, False), (False, False), (True, True)])
def test_whole_state_checks_agree_with_adding_one_by_one(news_schema, nesting, overlap):
    schema = dataclasses.replace(news_schema, allow_nesting=nesting, allow_overlap=overlap)
    start = Annotations(doc_id="d", annotator="a")

    @settings(max_examples=300, deadline=None)
    @given(targets())
    def check(target):
        expected = outcome(lambda: one_by_one(target, start, schema))
        got = outcome(lambda: ReplaceAnnotations(target).apply(start, TEXT, schema))
        assert got == expected

    check()


def test_many_spans_are_checked_without_quadratic_work(news_schema):
    """20,000 disjoint entities (a long CoNLL sentence): one by one this took minutes."""
    import time

    text = "بالي " * 20_000
    entities = tuple(Entity(f"e{i}", 5 * i, 5 * i + 4, "PER") for i in range(20_000))
    target = Annotations(doc_id="d", annotator="a", entities=entities)
    began = time.monotonic()
    state = ReplaceAnnotations(target).apply(Annotations(doc_id="d", annotator="a"), text, news_schema)
    assert len(state.entities) == 20_000
    assert time.monotonic() - began < 60  # a generous limit, not a timing assertion: quadratic took > 400 s
