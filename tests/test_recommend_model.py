"""Proposals in the model and the session: added as pre-annotations, accepted, rejected and remembered."""

from __future__ import annotations

import pytest

from annotator.errors import OperationError
from annotator.model.annotations import Annotations, Claim, Document, Entity, Rejection
from annotator.model.operations import (
    AddProposals,
    RejectProposal,
    SetRejected,
    apply_operation,
    operation_from_json,
)
from annotator.recommend.apply import accept_operation, next_proposal, proposals_operation, reject_operation
from annotator.recommend.base import Proposal
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

TEXT = "قال أيمن الصفدي إن الأردن يرفض ذلك، وأكد الصفدي أن عمّان لن تقبل."
SAFADI = (4, 15)


def _state(*entities: Entity, claims: tuple[Claim, ...] = ()) -> Annotations:
    return Annotations("d", "amal", entities=entities, claims=claims)


def test_reject_removes_the_proposal_remembers_it_and_undo_restores_exactly(news_schema):
    claim = Claim("c1", 19, 34, {}, "e1", "recommend:claim-cues")
    before = _state(Entity("e1", *SAFADI, "PER", "recommend:string-match"), claims=(claim,))
    after, inverse = apply_operation(RejectProposal("e1"), before, TEXT, news_schema)
    assert after.entities == ()
    assert after.claims[0].claimer is None  # a rejected claimer is unlinked
    assert after.rejected == (Rejection("entity", *SAFADI, "PER"),)
    restored, _ = apply_operation(operation_from_json(inverse.to_json()), after, TEXT, news_schema)
    assert restored == before


def test_reject_refuses_a_label_and_an_unknown_span(news_schema):
    state = _state(Entity("e1", *SAFADI, "PER"))
    with pytest.raises(OperationError, match="is a label, not a proposal"):
        RejectProposal("e1").apply(state, TEXT, news_schema)
    with pytest.raises(OperationError, match="no entity or claim"):
        RejectProposal("e9").apply(state, TEXT, news_schema)


def test_set_rejected_inverse_keeps_an_earlier_rejection(news_schema):
    r = Rejection("claim", 19, 34)
    state = _state().with_(rejected=(r,))
    after, inverse = apply_operation(SetRejected(r), state, TEXT, news_schema)
    assert after.rejected == (r,)  # not twice
    assert apply_operation(inverse, after, TEXT, news_schema)[0].rejected == (r,)
    with pytest.raises(OperationError):
        SetRejected(Rejection("entity", 0, 999, "PER")).apply(state, TEXT, news_schema)


def test_state_json_without_rejections_is_unchanged_and_with_them_round_trips():
    plain = _state(Entity("e1", *SAFADI, "PER"))
    assert "rejected" not in plain.to_json()  # stores written before this feature read and write the same
    rejecting = plain.with_(rejected=(Rejection("entity", *SAFADI, "ORG"), Rejection("claim", 19, 34)))
    assert Annotations.from_json(rejecting.to_json()) == rejecting


def test_add_proposals_refuses_a_span_without_source(news_schema):
    with pytest.raises(OperationError, match="never a label"):
        AddProposals((Entity("e1", *SAFADI, "PER"),)).apply(_state(), TEXT, news_schema)


def test_proposals_operation_adds_pre_annotations_in_one_undoable_step(news_schema):
    proposals = [Proposal("entity", *SAFADI, "PER", 1.0, "string-match"),
                 Proposal("entity", 19, 25, "GPE", 1.0, "string-match"),
                 Proposal("claim", 19, 34, None, 0.6, "claim-cues", claimer=None)]
    op = proposals_operation(proposals, _state(), TEXT, news_schema)
    after, inverse = apply_operation(op, _state(), TEXT, news_schema)
    assert [(e.start, e.end, e.label, e.source) for e in after.entities] == [
        (4, 15, "PER", "recommend:string-match"), (19, 25, "GPE", "recommend:string-match")]
    assert after.claims[0].source == "recommend:claim-cues"
    assert after.claims[0].attributes == {"verdict": "unverified", "needs_review": False}  # the schema's defaults
    assert apply_operation(inverse, after, TEXT, news_schema)[0] == _state()


def _session(tmp_path, news_schema, annotator="amal"):
    store = SQLiteStore(tmp_path / "s.db")
    store.add_document(Document("d", TEXT))
    return store, AnnotationSession(store, news_schema, annotator)


def test_session_pre_annotating_leaves_a_todo_document_todo(tmp_path, news_schema):
    store, session = _session(tmp_path, news_schema)
    op = proposals_operation([Proposal("entity", *SAFADI, "PER", 1.0, "string-match")],
                             session.annotations("d"), TEXT, news_schema)
    change = session.apply("d", op)
    assert change.state.status == "todo"
    assert change.state.entities[0].source == "recommend:string-match"
    store.close()


def test_session_reject_is_remembered_across_restart_and_undone_by_undo(tmp_path, news_schema):
    store, session = _session(tmp_path, news_schema)
    proposal = Proposal("entity", *SAFADI, "PER", 1.0, "string-match")
    session.apply("d", proposals_operation([proposal], session.annotations("d"), TEXT, news_schema))
    span_id = session.annotations("d").entities[0].id
    session.apply("d", reject_operation(span_id))
    store.close()
    store = SQLiteStore(tmp_path / "s.db")  # a restart
    session = AnnotationSession(store, news_schema, "amal")
    state = session.annotations("d")
    assert state.entities == () and state.rejected == (Rejection("entity", *SAFADI, "PER"),)
    assert proposals_operation([proposal], state, TEXT, news_schema) is None  # not proposed again
    # the same span with another label is a different proposal
    assert proposals_operation([Proposal("entity", *SAFADI, "ORG", 1.0, "x")], state, TEXT, news_schema)
    session.undo("d")
    state = session.annotations("d")
    assert state.rejected == () and state.entities[0].source == "recommend:string-match"
    store.close()


def test_accept_with_enter_or_a_label_key(tmp_path, news_schema):
    store, session = _session(tmp_path, news_schema)
    session.apply("d", proposals_operation([Proposal("entity", *SAFADI, "PER", 1.0, "string-match"),
                                            Proposal("entity", 19, 25, "LOC", 1.0, "string-match")],
                                           session.annotations("d"), TEXT, news_schema))
    state = session.annotations("d")
    first, second = state.entities
    session.apply("d", accept_operation(state, first.id))
    session.apply("d", accept_operation(session.annotations("d"), second.id, "GPE"))
    state = session.annotations("d")
    assert [(e.label, e.source) for e in state.entities] == [("PER", None), ("GPE", None)]
    session.undo("d")  # accepting as another label is one step
    assert [(e.label, e.source) for e in session.annotations("d").entities][1] == ("LOC", "recommend:string-match")
    with pytest.raises(OperationError, match="already a label"):
        accept_operation(session.annotations("d"), first.id)
    store.close()


def test_next_proposal_jumps_forward_and_wraps(news_schema):
    state = _state(Entity("e1", *SAFADI, "PER", "recommend:x"), Entity("e2", 19, 25, "GPE"),
                   Entity("e3", 51, 56, "GPE", "recommend:x"))
    assert next_proposal(state, 0).id == "e1"
    assert next_proposal(state, 4).id == "e3"  # the label e2 is not a proposal
    assert next_proposal(state, 51).id == "e1"  # wraps
    assert next_proposal(state, 51, backwards=True).id == "e1"
    assert next_proposal(state, 4, backwards=True).id == "e3"  # wraps backwards
    assert next_proposal(_state(), 0) is None
