"""The editing core's index of a state (``editing.spans.SpanIndex``) is kept in step with the state
shown (``following``): after any sequence of edits, undos, redos and the store's copies of a state,
it holds exactly what an index made afresh from that state holds, in the same order, and the ids it holds
(``IdSet``) are exactly the state's. The ranges the
document view redraws (``SpanChange.ranges``, by ``editing.spans.changed``) are those a
comparison of every span by id finds, found without comparing every span."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.editing import Editor, Refusal, Where
from annotator.editing.spans import SpanChange, SpanIndex
from annotator.errors import OperationError
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    Batch,
    MoveClaim,
    MoveEntity,
    RelabelEntity,
    RemoveClaim,
    RemoveEntity,
    apply_operation,
)
from annotator.schema import default_schema_path, load_schema
from annotator.session import new_id
from annotator.text.overlaps import SpansByStart

TEXT = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" * 3  # no whitespace: any bounds are a span's
SCHEMA = replace(load_schema(default_schema_path()), allow_nesting=True, allow_overlap=True)
BOUNDS = st.tuples(st.integers(0, 40), st.integers(1, 12)).map(lambda p: (p[0], p[0] + p[1]))
STEP = st.tuples(st.sampled_from(["add", "add-many", "remove", "relabel", "move", "claim", "unclaim", "move-claim",
                                  "undo", "redo", "reread"]),
                 BOUNDS, st.integers(0, 10_000), st.sampled_from(["PER", "ORG", "GPE"]))


def same(a: SpansByStart, b: SpansByStart) -> None:
    assert a.items == b.items
    assert (a._starts, a._ends, a._longest) == (b._starts, b._ends, b._longest)


def every_span_compared(old: Annotations, new: Annotations) -> list[tuple[int, int]]:
    """What the ranges to redraw were before: each span of both states compared by id."""
    def keyed(state: Annotations) -> dict:
        return {**{("e", e.id): e for e in state.entities}, **{("c", c.id): c for c in state.claims}}

    before, after = keyed(old), keyed(new)
    return [(s.start, s.end) for key in before.keys() | after.keys() if before.get(key) != after.get(key)
            for s in (before.get(key), after.get(key)) if s is not None]


def operation(state: Annotations, kind: str, bounds: tuple[int, int], pick: int, label: str, made: int):
    start, end = bounds
    entities, claims = state.entities, state.claims
    if kind == "add":
        return AddEntity(Entity(f"e{made}", start, end, label))
    if kind == "add-many":  # a recommender's batch: enough to be indexed afresh, or not
        return Batch(tuple(AddEntity(Entity(f"e{made}x{k}", (start + 3 * k) % 60, (start + 3 * k) % 60 + 2, label))
                           for k in range(pick % 90)), "many")
    if kind == "claim":
        return AddClaim(Claim(f"c{made}", start, end, {}, None))
    if kind in ("remove", "relabel", "move") and entities:
        target = entities[pick % len(entities)]
        if kind == "remove":
            return RemoveEntity(target.id)
        return RelabelEntity(target.id, label) if kind == "relabel" else MoveEntity(target.id, start, end)
    if kind in ("unclaim", "move-claim") and claims:
        claim = claims[pick % len(claims)]
        return RemoveClaim(claim.id) if kind == "unclaim" else MoveClaim(claim.id, start, end)
    return None


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=40), BOUNDS)
def test_the_index_kept_in_step_holds_what_a_fresh_one_holds(steps, probe):
    state = Annotations("d", "a")
    index = SpanIndex(state)
    editor = Editor(SCHEMA, TEXT, state)  # its next ids, kept in step by ``show``
    done: list = []  # (op, inverse) of each edit, for undo
    undone: list = []
    seen: set[str] = set()  # every id held so far
    for made, (kind, bounds, pick, label) in enumerate(steps):
        before = state
        if kind == "undo" and done:
            op, inverse = done.pop()
            state, _ = apply_operation(inverse, state, TEXT, SCHEMA)
            undone.append(op)
        elif kind == "redo" and undone:
            op = undone.pop()
            state, inverse = apply_operation(op, state, TEXT, SCHEMA)
            done.append((op, inverse))
        elif kind == "reread":  # the store's copy of the state shown: equal spans, other objects
            state = Annotations.from_json(state.to_json())
        else:
            op = operation(state, kind, bounds, pick, label, made)
            if op is None:
                continue
            try:
                state, inverse = apply_operation(op, state, TEXT, SCHEMA)
            except OperationError:
                continue
            done.append((op, inverse))
            undone.clear()
        index = index.following(state)
        editor.show(state)
        assert (editor._new_id("e"), editor._new_id("c")) == (new_id(state, "e"), new_id(state, "c"))
        fresh = SpanIndex(state)
        assert index.state is state
        same(index.entities, fresh.entities)
        same(index.claims, fresh.claims)
        assert index.overlapping(*probe) == fresh.overlapping(*probe)
        assert sorted(SpanChange(before, state).ranges()) == sorted(every_span_compared(before, state))
        for ids, spans in ((index.entity_ids, state.entities), (index.claim_ids, state.claims)):
            held = {s.id for s in spans}  # the ids kept in step: those of the state's spans, none of those gone
            seen |= held
            assert len(ids) == len(held) and all(i in ids for i in held) and not any(i in ids for i in seen - held)


def test_the_ranges_a_label_changed_are_found_without_comparing_every_span(monkeypatch):
    entities = tuple(Entity(f"e{i:05d}", 3 * i, 3 * i + 2, "GPE", source="string-match") for i in range(8_000))
    state = Annotations("d", "a", entities=entities, claims=(Claim("c1", 0, 90, {}, None),))
    label, _ = apply_operation(AddEntity(Entity("n1", 12_001, 12_002, "PER")), state, "ب" * 24_100, SCHEMA)
    relabel, _ = apply_operation(RelabelEntity("e04000", "ORG"), label, "ب" * 24_100, SCHEMA)
    compared = []
    real = Entity.__eq__
    monkeypatch.setattr(Entity, "__eq__", lambda a, b: compared.append(1) or real(a, b))
    assert SpanChange(state, label).ranges() == [(12_001, 12_002)]
    assert sorted(SpanChange(label, relabel).ranges()) == [(12_000, 12_002), (12_000, 12_002)]
    assert len(compared) <= 2, len(compared)  # the stretch a change touched, not 8,000 spans


def test_a_label_among_8000_spans_scans_the_ids_once_per_document(monkeypatch):
    """The next span id is one past the highest in use (``session.new_id``): the editor finds the highest once
    and keeps it in step with each state shown (before: every id looked at for each label, 4 ms among
    30,000 proposals); an undo of the last label finds it again."""
    from annotator.editing import spans as spans_module

    entities = tuple(Entity(f"e{i + 1}", 3 * i, 3 * i + 2, "GPE", source="string-match") for i in range(8_000))
    text = "ب" * 24_100
    editor = Editor(SCHEMA, text, Annotations("d", "a", entities=entities))
    scans = []
    real = spans_module.highest_id
    monkeypatch.setattr(spans_module, "highest_id", lambda state, prefix: scans.append(prefix) or real(state, prefix))
    for k in range(3):
        answer = editor.label(Where((24_002 + 10 * k, 24_005 + 10 * k)), "PER")
        assert answer.created == f"e{8_001 + k}"
        editor.show(answer.after)
        editor.show(Annotations.from_json(answer.after.to_json()))  # the store's copy: equal, other objects
    assert scans == ["e"]  # the first label only
    before_last = answer.before
    editor.show(before_last)  # the last label undone: its id is free again
    assert editor.label(Where((24_022, 24_025)), "PER").created == "e8003" and scans == ["e", "e"]


def test_a_change_handed_on_is_used_only_between_its_very_states(monkeypatch):
    """"Use the change given, or find it" has one owner, ``SpanChange.of``: the index kept in step (and the
    document view's ``set_state``) ask it, rather than each testing the change given themselves."""
    before = Annotations("d", "a", entities=(Entity("e1", 0, 2, "PER"),))
    after, _ = apply_operation(AddEntity(Entity("e2", 4, 6, "ORG")), before, TEXT, SCHEMA)
    given = SpanChange(before, after)
    assert SpanChange.of(before, after, given) is given
    copy = Annotations.from_json(before.to_json())  # equal, but another state: not the change given
    found = SpanChange.of(copy, after, given)
    assert found is not given and found.between(copy, after) and found.ranges() == [(4, 6)]
    assert SpanChange.of(before, after).between(before, after)
    asked = []
    real = SpanChange.of.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(SpanChange, "of", classmethod(lambda cls, *a: asked.append(a) or real(cls, *a)))
    assert SpanIndex(before).following(after, given).state is after
    assert asked == [(before, after, given)]


def test_a_label_among_8000_spans_checks_only_the_entities_it_overlaps(monkeypatch):
    """The overlap check of a label (``check_entity_fits``) looks at the entities the new one overlaps, found
    by bisection in the editor's index of the state (``model.places``), not at each of 8,000 (before: 3 ms a
    label among 30,000 proposals); what it refuses, and the words, are unchanged."""
    from annotator.model import operations

    entities = tuple(Entity(f"e{i + 1}", 3 * i, 3 * i + 2, "GPE", source="string-match") for i in range(8_000))
    strict = load_schema(default_schema_path())  # no nesting, no crossing
    editor = Editor(strict, "ب" * 24_100, Annotations("d", "a", entities=entities))
    assert editor.spans.state is editor.state  # the index of the state shown: offered to the checks
    related = []
    real = operations._relation
    monkeypatch.setattr(operations, "_relation", lambda a, b: related.append(b.id) or real(a, b))
    assert [e.label for e in editor.label(Where((24_002, 24_005)), "PER").after.entities[-1:]] == ["PER"]
    assert related == []
    refused = editor.label(Where((2_999, 3_001), (2_999, 3_001)), "PER")  # across e1001 [3000, 3002)
    assert refused == Refusal("span would partly overlap GPE e1001 [3000, 3002); schema forbids overlap", error=True)
    assert related == ["e1001"]


@settings(max_examples=200, deadline=None)
@given(st.lists(BOUNDS, max_size=30), BOUNDS, st.booleans(), st.booleans())
def test_the_check_with_an_index_refuses_what_the_pass_over_each_entity_refuses(spans, new, nesting, overlap):
    from annotator.model import places
    from annotator.model.operations import check_entity_fits

    schema = replace(SCHEMA, allow_nesting=nesting, allow_overlap=overlap)
    entities = tuple(sorted((Entity(f"e{i}", s, e, "PER" if i % 2 else "ORG") for i, (s, e) in enumerate(spans)),
                            key=lambda e: (e.start, -e.end, e.id)))
    state = Annotations("d", "a", entities=entities)
    entity = Entity("n", *new, "PER")

    def refusal() -> str | None:
        try:
            check_entity_fits(state, entity, schema)
        except OperationError as exc:
            return str(exc)
        return None

    alone = refusal()
    saved = places.PLACED_FROM
    places.PLACED_FROM = 0
    try:
        SpanIndex(state)  # offers its index of ``entities``
        assert places.placed(entities) is not None
        assert refusal() == alone
    finally:
        places.PLACED_FROM = saved
