"""Operations: validation against schema and text, and exact inverses (undo gives back the same state)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.errors import OperationError
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    Batch,
    LinkClaimer,
    LinkIdentity,
    MoveEntity,
    RelabelEntity,
    RemoveEntity,
    ReplaceAnnotations,
    SetClaimAttributes,
    SetStatus,
    UnlinkIdentity,
    apply_operation,
    operation_from_json,
)

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
PER = (4, 14)  # مصطفى بالي
ORG = (18, 40)  # قوات سوريا الديمقراطية


def empty() -> Annotations:
    return Annotations(doc_id="d", annotator="a")


def test_offsets_in_the_sentence_are_what_the_tests_think():
    assert TEXT[PER[0]:PER[1]] == "مصطفى بالي"
    assert TEXT[ORG[0]:ORG[1]] == "قوات سوريا الديمقراطية"


def test_add_entity_checks_label_offsets_and_duplicates(news_schema):
    s, _ = apply_operation(AddEntity(Entity("e1", *PER, "PER")), empty(), TEXT, news_schema)
    assert s.entities[0].text_in(TEXT) == "مصطفى بالي"
    with pytest.raises(OperationError, match="unknown label 'XYZ'"):
        apply_operation(AddEntity(Entity("e2", *PER, "XYZ")), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="outside the text"):
        apply_operation(AddEntity(Entity("e2", 60, 999, "PER")), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="empty"):
        apply_operation(AddEntity(Entity("e2", 5, 5, "PER")), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="already labelled PER"):
        apply_operation(AddEntity(Entity("e2", *PER, "PER")), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="already used"):
        apply_operation(AddEntity(Entity("e1", *ORG, "ORG")), s, TEXT, news_schema)


def test_span_edge_may_not_split_a_letter_from_its_haraka(news_schema):
    text = "وَقَالَ الرَّئِيسُ"
    with pytest.raises(OperationError, match="diacritic"):
        apply_operation(AddEntity(Entity("e1", 1, 7, "PER")), empty(), text, news_schema)
    with pytest.raises(OperationError, match="diacritic"):
        apply_operation(AddEntity(Entity("e1", 0, 1, "PER")), empty(), text, news_schema)
    s, _ = apply_operation(AddEntity(Entity("e1", 2, 7, "PER")), empty(), text, news_schema)
    assert s.entities[0].text_in(text) == "قَالَ"


def test_overlap_rules_follow_the_schema(news_schema):
    s, _ = apply_operation(AddEntity(Entity("e1", *ORG, "ORG")), empty(), TEXT, news_schema)
    # nested (سوريا inside قوات سوريا الديمقراطية) is allowed by news.yaml
    s, _ = apply_operation(AddEntity(Entity("e2", 23, 28, "GPE")), s, TEXT, news_schema)
    assert TEXT[23:28] == "سوريا"
    # crossing is not
    assert not news_schema.allow_overlap
    with pytest.raises(OperationError, match="partly overlap"):
        apply_operation(AddEntity(Entity("e3", 15, 22, "PER")), s, TEXT, news_schema)


def test_claimer_must_exist_and_have_an_allowed_label(news_schema):
    s, _ = apply_operation(AddEntity(Entity("e1", *PER, "PER")), empty(), TEXT, news_schema)
    s, _ = apply_operation(AddEntity(Entity("e2", 60, 64, "DATE")), s, TEXT, news_schema)
    s, _ = apply_operation(AddClaim(Claim("c1", 18, 68)), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="not an entity"):
        apply_operation(LinkClaimer("c1", "e9"), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="DATE cannot be a claimer"):
        apply_operation(LinkClaimer("c1", "e2"), s, TEXT, news_schema)
    s, _ = apply_operation(LinkClaimer("c1", "e1"), s, TEXT, news_schema)
    assert s.claim("c1").claimer == "e1"
    # the claimer cannot be relabelled into a label that may not claim
    with pytest.raises(OperationError, match="is a claimer"):
        apply_operation(RelabelEntity("e1", "DATE"), s, TEXT, news_schema)


def test_claim_attributes_are_checked_by_kind(news_schema):
    s, _ = apply_operation(AddClaim(Claim("c1", 18, 68)), empty(), TEXT, news_schema)
    with pytest.raises(OperationError, match="not one of"):
        apply_operation(SetClaimAttributes("c1", {"verdict": "maybe"}), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="unknown claim attribute"):
        apply_operation(SetClaimAttributes("c1", {"colour": "red"}), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="true or false"):
        apply_operation(SetClaimAttributes("c1", {"needs_review": "yes"}), s, TEXT, news_schema)
    with pytest.raises(OperationError, match="must be at most 5"):
        apply_operation(SetClaimAttributes("c1", {"confidence": 9}), s, TEXT, news_schema)
    s, _ = apply_operation(SetClaimAttributes("c1", {"cue": "قال", "confidence": 4}), s, TEXT, news_schema)
    assert s.claim("c1").attributes == {"cue": "قال", "confidence": 4}


def test_done_is_refused_until_required_attributes_are_filled(news_schema):
    s, _ = apply_operation(AddClaim(Claim("c1", 18, 68)), empty(), TEXT, news_schema)
    with pytest.raises(OperationError, match="cannot mark done") as err:
        apply_operation(SetStatus("done"), s, TEXT, news_schema)
    assert "checkworthy" in str(err.value).lower() or "check-worth" in str(err.value).lower()
    s, _ = apply_operation(SetClaimAttributes("c1", {"checkworthy": "yes", "claim_type": "event", "verdict": "unverified"}), s, TEXT,
                           news_schema)
    s, _ = apply_operation(SetStatus("done"), s, TEXT, news_schema)
    assert s.status == "done"


def test_removing_a_claimer_unlinks_and_undo_relinks(news_schema):
    s, _ = apply_operation(AddEntity(Entity("e1", *PER, "PER")), empty(), TEXT, news_schema)
    s, _ = apply_operation(AddClaim(Claim("c1", 18, 68, {}, "e1")), s, TEXT, news_schema)
    after, inverse = apply_operation(RemoveEntity("e1"), s, TEXT, news_schema)
    assert after.claim("c1").claimer is None and after.entity("e1") is None
    restored, _ = apply_operation(inverse, after, TEXT, news_schema)
    assert restored == s


def test_operations_round_trip_through_json(news_schema):
    ops = [
        AddEntity(Entity("e1", *PER, "PER", "import:prodigy")),
        MoveEntity("e1", 4, 9),
        AddClaim(Claim("c1", 18, 68, {"verdict": "false"}, None)),
        Batch((RelabelEntity("e1", "ORG"), LinkClaimer("c1", "e1")), "two"),
    ]
    for op in ops:
        assert operation_from_json(op.to_json()) == op


# -- property: any sequence of valid operations is undone exactly by its inverses --------

spans = st.tuples(st.integers(0, len(TEXT) - 1), st.integers(1, 12)).map(
    lambda t: (t[0], min(len(TEXT), t[0] + t[1])))


@st.composite
def op_sequences(draw):
    ops = []
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["add", "remove", "relabel", "move", "claim", "link", "attr", "same", "apart"]))
        s, e = draw(spans)
        label = draw(st.sampled_from(["PER", "ORG", "GPE", "DATE"]))
        eid = f"e{draw(st.integers(1, 4))}"
        if kind == "add":
            ops.append(AddEntity(Entity(eid, s, e, label)))
        elif kind == "remove":
            ops.append(RemoveEntity(eid))
        elif kind == "relabel":
            ops.append(RelabelEntity(eid, label))
        elif kind == "move":
            ops.append(MoveEntity(eid, s, e))
        elif kind == "claim":
            ops.append(AddClaim(Claim(f"c{i}", s, e)))
        elif kind == "link":
            ops.append(LinkClaimer(f"c{draw(st.integers(0, 11))}", eid))
        elif kind == "same":
            ops.append(LinkIdentity(eid, f"e{draw(st.integers(1, 4))}"))
        elif kind == "apart":
            ops.append(UnlinkIdentity(eid))
        else:
            ops.append(SetClaimAttributes(f"c{draw(st.integers(0, 11))}",
                                          {"verdict": draw(st.sampled_from(["true", "false", None]))}))
    return ops


@settings(max_examples=150, deadline=None)
@given(op_sequences())
def test_inverses_restore_every_intermediate_state(news_schema_cached, ops):
    schema = news_schema_cached
    states = [empty()]
    inverses = []
    for op in ops:
        try:
            new, inv = apply_operation(op, states[-1], TEXT, schema)
        except OperationError:
            continue
        states.append(new)
        inverses.append(inv)
        assert all(len(m) >= 2 for m in new.identities().values())  # a lone identity is dissolved
    state = states[-1]
    for inv, expected in zip(reversed(inverses), reversed(states[:-1]), strict=True):
        state, _ = apply_operation(inv, state, TEXT, schema)
        assert state == expected


@pytest.fixture(scope="module")
def news_schema_cached():
    from annotator.schema import default_schema_path, load_schema

    return load_schema(default_schema_path())


# -- identities: mentions of one person or organization --------------------------------

ID_TEXT = "قال مصطفى بالي إن بالي وقسد وقوات سوريا الديمقراطية اتفقوا"


def mentions(schema) -> Annotations:
    s = empty()
    for eid, word, label in [("e1", "مصطفى بالي", "PER"), ("e2", "بالي", "PER"), ("e3", "قسد", "ORG"),
                             ("e4", "قوات سوريا الديمقراطية", "ORG")]:
        start = ID_TEXT.index(word, 5 if eid == "e2" else 0)
        s, _ = apply_operation(AddEntity(Entity(eid, start, start + len(word), label)), s, ID_TEXT, schema)
    return s


def identities(s: Annotations) -> dict[str, str | None]:
    return {e.id: e.identity for e in s.entities}


def test_linking_creates_joins_and_merges_identities_and_undo_restores_exactly(news_schema):
    s0 = mentions(news_schema)
    s1, undo1 = apply_operation(LinkIdentity("e2", "e1"), s0, ID_TEXT, news_schema)
    assert identities(s1) == {"e1": "i1", "e2": "i1", "e3": None, "e4": None}
    s2, undo2 = apply_operation(LinkIdentity("e3", "e4"), s1, ID_TEXT, news_schema)
    assert identities(s2) == {"e1": "i1", "e2": "i1", "e3": "i2", "e4": "i2"}
    assert [e.id for e in s2.mentions("i2")] == ["e3", "e4"] and list(s2.identities()) == ["i1", "i2"]
    s3, undo3 = apply_operation(LinkIdentity("e4", "e2"), s2, ID_TEXT, news_schema)  # merge i2 into i1
    assert set(identities(s3).values()) == {"i1"}
    for undo, after, before in [(undo3, s3, s2), (undo2, s2, s1), (undo1, s1, s0)]:
        assert apply_operation(undo, after, ID_TEXT, news_schema)[0] == before
    with pytest.raises(OperationError, match="already one identity"):
        apply_operation(LinkIdentity("e1", "e2"), s1, ID_TEXT, news_schema)
    with pytest.raises(OperationError, match="to itself"):
        apply_operation(LinkIdentity("e1", "e1"), s1, ID_TEXT, news_schema)
    with pytest.raises(OperationError, match="no entity 'e9'"):
        apply_operation(LinkIdentity("e9", "e1"), s1, ID_TEXT, news_schema)


def test_unlinking_the_last_but_one_mention_dissolves_the_identity(news_schema):
    s, _ = apply_operation(LinkIdentity("e2", "e1"), mentions(news_schema), ID_TEXT, news_schema)
    s, _ = apply_operation(LinkIdentity("e4", "e1"), s, ID_TEXT, news_schema)
    two, undo = apply_operation(UnlinkIdentity("e4"), s, ID_TEXT, news_schema)
    assert identities(two) == {"e1": "i1", "e2": "i1", "e3": None, "e4": None}
    assert apply_operation(undo, two, ID_TEXT, news_schema)[0] == s
    none, undo = apply_operation(UnlinkIdentity("e1"), two, ID_TEXT, news_schema)
    assert set(identities(none).values()) == {None}
    assert apply_operation(undo, none, ID_TEXT, news_schema)[0] == two
    with pytest.raises(OperationError, match="not linked"):
        apply_operation(UnlinkIdentity("e1"), none, ID_TEXT, news_schema)


def test_removing_a_mention_keeps_the_others_linked_and_dissolves_a_lone_one(news_schema):
    s, _ = apply_operation(LinkIdentity("e2", "e1"), mentions(news_schema), ID_TEXT, news_schema)
    s, _ = apply_operation(LinkIdentity("e4", "e1"), s, ID_TEXT, news_schema)
    s, _ = apply_operation(AddClaim(Claim("c1", 0, 14, {}, "e4")), s, ID_TEXT, news_schema)
    after, undo = apply_operation(RemoveEntity("e4"), s, ID_TEXT, news_schema)
    assert identities(after) == {"e1": "i1", "e2": "i1", "e3": None}
    assert apply_operation(undo, after, ID_TEXT, news_schema)[0] == s
    lone, undo = apply_operation(RemoveEntity("e2"), after, ID_TEXT, news_schema)
    assert identities(lone) == {"e1": None, "e3": None}
    assert apply_operation(undo, lone, ID_TEXT, news_schema)[0] == after


def test_an_identity_must_be_a_name(news_schema):
    with pytest.raises(OperationError, match="identity must be text"):
        apply_operation(AddEntity(Entity("e1", *PER, "PER", None, 7)), empty(), TEXT, news_schema)
    bad = Annotations("d", "a", entities=(Entity("e1", *PER, "PER", None, " "),))
    with pytest.raises(OperationError, match="identity is empty"):
        apply_operation(ReplaceAnnotations(bad), empty(), TEXT, news_schema)


def test_accepting_or_relabelling_a_proposal_among_8000_keeps_its_place_without_sorting(monkeypatch):
    """An entity changed in place (accepted, relabelled, moved) is put where ``sort_spans`` puts it by
    bisection, not by a sort key for every span and a sort (before: 10 ms and more a key among 30,000)."""
    from dataclasses import replace

    from annotator.model import operations
    from annotator.model.annotations import sort_spans
    from annotator.model.operations import SetSource
    from annotator.schema import default_schema_path, load_schema

    schema = replace(load_schema(default_schema_path()), allow_nesting=True)
    text = "ب" * 24_100
    entities = tuple(Entity(f"p{i}", 3 * i, 3 * i + 2, "GPE", source="string-match") for i in range(8_000))
    state = Annotations("d", "a", entities=entities)
    keyed = []
    real = operations.span_order
    monkeypatch.setattr(operations, "span_order", lambda s: keyed.append(s) or real(s))
    accepted, _ = apply_operation(SetSource("p4000", None), state, text, schema)
    relabelled, _ = apply_operation(RelabelEntity("p4001", "PER"), accepted, text, schema)
    moved, _ = apply_operation(MoveEntity("p10", 30_00, 30_05), relabelled, text, schema)
    assert len(keyed) < 100, len(keyed)
    monkeypatch.setattr(operations, "span_order", real)
    assert moved.entities == sort_spans(moved.entities)
    assert [(e.id, e.source, e.label) for e in moved.entities[4_000:4_002]] == [("p4000", None, "GPE"),
                                                                               ("p4001", "string-match", "PER")]
    assert moved.entities[999].id == "p10" and moved.entities[999].start == 3_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 8)), min_size=1, max_size=20), st.integers(0, 100),
       st.integers(0, 30), st.integers(1, 8))
def test_an_entity_changed_in_place_lands_where_a_sort_puts_it(bounds, pick, start, length):
    from dataclasses import replace

    from annotator.model.annotations import sort_spans
    from annotator.model.operations import _replaced

    spans = sort_spans(Entity(f"e{i}", s, s + n, "PER") for i, (s, n) in enumerate(bounds))
    old = spans[pick % len(spans)]
    for new in (replace(old, label="ORG"), replace(old, start=start, end=start + length)):
        assert _replaced(spans, old, new) == sort_spans(new if s.id == old.id else s for s in spans)


def test_a_state_stored_out_of_order_is_loaded_in_canonical_order_and_a_label_lands_in_its_place(tmp_path):
    """A store edited by hand may hold a state's spans in any order; a new label is put in its place by bisection
    (``operations._inserted``), which needs the canonical order: the load makes sure of it, once (before: the
    label landed among the disordered spans, wherever the bisection fell)."""
    import json
    import sqlite3

    from annotator.model.annotations import Document, sort_spans
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession
    from annotator.store import open_store

    schema = load_schema(default_schema_path())
    path = tmp_path / "hand.db"
    store = open_store(str(path))
    store.add_document(Document("d", TEXT))
    session = AnnotationSession(store, schema, "amal")
    for start, end, label in ((0, 3, "PER"), (4, 9, "PER"), (10, 14, "PER"), (18, 22, "ORG"), (23, 28, "GPE")):
        session.add_entity("d", start, end, label)
    session.add_claim("d", 0, 14)
    session.add_claim("d", 18, 40)
    store.close()
    db = sqlite3.connect(path)
    (raw,) = db.execute("SELECT state FROM annotations WHERE doc_id='d'").fetchone()
    state = json.loads(raw)
    state["entities"].reverse()
    state["claims"].reverse()
    db.execute("UPDATE annotations SET state=? WHERE doc_id='d'", (json.dumps(state, ensure_ascii=False),))
    db.commit()
    db.close()
    store = open_store(str(path))
    session = AnnotationSession(store, schema, "amal")
    loaded = session.annotations("d")
    assert loaded.entities == sort_spans(loaded.entities) and loaded.claims == sort_spans(loaded.claims)
    after = session.add_entity("d", 15, 17, "GPE").state  # «إن», between the third and the fourth
    assert [e.start for e in after.entities] == [0, 4, 10, 15, 18, 23]
    assert [e.start for e in store.load("d", "amal").entities] == [0, 4, 10, 15, 18, 23]
    store.close()
