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
    MoveEntity,
    RelabelEntity,
    RemoveEntity,
    SetClaimAttributes,
    SetStatus,
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
        kind = draw(st.sampled_from(["add", "remove", "relabel", "move", "claim", "link", "attr"]))
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
    state = states[-1]
    for inv, expected in zip(reversed(inverses), reversed(states[:-1]), strict=True):
        state, _ = apply_operation(inv, state, TEXT, schema)
        assert state == expected


@pytest.fixture(scope="module")
def news_schema_cached():
    from annotator.schema import default_schema_path, load_schema

    return load_schema(default_schema_path())
