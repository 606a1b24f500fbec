"""A new span's id must be new (``operations._check_new_id``, its one owner), on every path: the editor's label
and claim, an operation replayed from the log, an import of proposals or of a whole state. Among thousands of
spans the editor offers the ids of the state shown, kept in step (``editing.spans.IdSet`` through
``model.places``): the check looks the id up there instead of comparing each span's (0.6 ms a label among
30,000), and refuses what it refused before, with the same words."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from annotator.editing import Edit, Editor, Refusal, Where
from annotator.editing.spans import IdSet
from annotator.errors import OperationError
from annotator.model import places
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    AddProposals,
    Operation,
    RemoveEntity,
    ReplaceAnnotations,
    apply_operation,
)
from annotator.schema import default_schema_path, load_schema

SCHEMA = load_schema(default_schema_path())
TEXT = "ب" * 30_100
TAKEN = "id {!r} is already used in this document"


class Walked(tuple):  # type: ignore[type-arg]
    """A spans tuple that counts the passes over it (``iter``: a generator over it, ``in``, ``map``)."""

    passes = 0

    def __iter__(self) -> Iterator[object]:
        Walked.passes += 1
        return super().__iter__()


def big_state(n: int = 8_000, claims: int = 100) -> Annotations:
    """``n`` proposals, one word in three, and ``claims`` claims (enough for their ids to be offered too)."""
    return Annotations("d", "a", status="in_progress",
                       entities=tuple(Entity(f"e{i + 1}", 3 * i, 3 * i + 2, "GPE", source="string-match")
                                      for i in range(n)),
                       claims=tuple(Claim(f"c{i + 1}", 240 * i, 240 * i + 200, {}, None) for i in range(claims)))


def refusal(op: Operation, state: Annotations) -> str | None:
    try:
        apply_operation(op, state, TEXT, SCHEMA)
    except OperationError as exc:
        return str(exc)
    return None


def test_a_label_among_8000_spans_looks_its_id_up_without_a_pass_over_the_spans():
    """Before: ``state.entity(id)`` and ``state.claim(id)``, a generator over every span, for each label."""
    editor = Editor(SCHEMA, TEXT, big_state())
    editor.spans  # noqa: B018 (made: the screen asks at once; its ids offered to the checks)
    editor._new_id("c")  # the highest claim id, scanned once per document (``NextIds``), as is the entities' here:
    first = editor.label(Where((24_004, 24_005)), "PER")  # the first label gathers the ids too
    assert isinstance(first, Edit)
    editor.show(first.after)
    answer = replace(first.after, entities=Walked(first.after.entities), claims=Walked(first.after.claims))
    editor.show(answer)  # the store's answer to its save: the same spans, in tuples of their own
    Walked.passes = 0
    second = editor.label(Where((24_007, 24_008)), "PER")
    assert isinstance(second, Edit) and second.created == "e8002"
    assert Walked.passes == 0
    claim = editor.add_claim(Where((24_100, 24_150), (24_100, 24_150)), None)
    assert isinstance(claim, Edit) and claim.created == "c101"
    assert Walked.passes == 0


@pytest.mark.parametrize("taken", ["e5", "c7"])
def test_the_editors_label_and_claim_refuse_a_taken_id_in_the_same_words(monkeypatch, taken):
    editor = Editor(SCHEMA, TEXT, big_state())
    editor.spans  # noqa: B018 (made: its ids offered)
    assert places.taken(editor.state.entities) is not None and places.taken(editor.state.claims) is not None
    monkeypatch.setattr(editor, "_new_id", lambda prefix: taken)
    assert editor.label(Where((24_004, 24_005)), "PER") == Refusal(TAKEN.format(taken), error=True)
    assert editor.add_claim(Where((24_100, 24_150), (24_100, 24_150)), None) == Refusal(TAKEN.format(taken), error=True)


def test_a_check_on_the_state_before_a_label_reads_that_states_ids():
    """The session's writer checks the label on the state it was planned on while the screen has moved on to the
    state after it: each state's ids are their own (before and after a label, after its undo)."""
    editor = Editor(SCHEMA, TEXT, big_state())
    editor.spans  # noqa: B018
    before = editor.state
    answer = editor.label(Where((24_004, 24_005)), "PER")
    assert isinstance(answer, Edit)
    editor.show(answer.after)
    again = AddEntity(Entity("e8001", 24_004, 24_005, "PER"))
    assert refusal(again, before) is None  # the writer's check of the same label
    assert refusal(again, answer.after) == TAKEN.format("e8001")
    undone, _ = apply_operation(RemoveEntity("e8001"), answer.after, TEXT, SCHEMA)
    editor.show(undone)
    assert places.taken(undone.entities) is not None
    assert refusal(again, undone) is None
    assert refusal(AddEntity(Entity("e8000", 24_004, 24_005, "PER")), undone) == TAKEN.format("e8000")


def test_a_replayed_operation_refuses_a_taken_id_with_or_without_the_editors_ids():
    """An operation read back from the log (its JSON) on a state read from the store (nothing offered), and on
    the state the editor shows (its ids offered): the same refusal."""
    logged = Operation.from_json(AddEntity(Entity("e42", 24_004, 24_005, "PER")).to_json())
    read = Annotations.from_json(big_state().to_json())
    assert places.taken(read.entities) is None
    assert refusal(logged, read) == TAKEN.format("e42")
    assert refusal(Operation.from_json(AddClaim(Claim("e42", 24_100, 24_150, {}, None)).to_json()), read) \
        == TAKEN.format("e42")
    editor = Editor(SCHEMA, TEXT, read)
    editor.spans  # noqa: B018
    assert refusal(logged, editor.state) == TAKEN.format("e42")


def test_an_import_of_proposals_or_of_a_state_refuses_a_taken_id():
    state = big_state()
    Editor(SCHEMA, TEXT, state).spans  # noqa: B018 (offered or not, the same answer)
    proposals = AddProposals((Entity("p1", 24_004, 24_005, "PER", source="x"),
                              Entity("e17", 24_010, 24_012, "PER", source="x")))
    assert refusal(proposals, state) == TAKEN.format("e17")
    assert refusal(AddProposals(claims=(Claim("c3", 24_100, 24_150, {}, None, source="x"),)), state) \
        == TAKEN.format("c3")
    twice = replace(state, entities=(*state.entities[:5], replace(state.entities[7], id="e2")))
    assert refusal(ReplaceAnnotations(twice), Annotations("d", "a")) == TAKEN.format("e2")


def test_a_state_holding_an_id_twice_gets_no_ids_offered_and_is_checked_span_by_span():
    """A store edited by hand may hold one id twice: its ids are fewer than its spans, so none are offered (a
    removal of one of the two could not know the other is left), and the pass over each span refuses the id."""
    state = big_state()
    twice = replace(state, entities=(*state.entities, Entity("e5", 24_010, 24_012, "PER")))
    editor = Editor(SCHEMA, TEXT, twice)
    assert len(editor.spans.entity_ids) == len(twice.entities) - 1
    assert places.placed(twice.entities) is not None and places.taken(twice.entities) is None
    assert refusal(AddEntity(Entity("e5", 24_020, 24_022, "PER")), twice) == TAKEN.format("e5")


def test_an_id_set_follows_changes_and_is_made_afresh_past_its_layer():
    spans = tuple(Entity(f"e{i}", i, i + 1, "GPE") for i in range(100))
    ids = IdSet(spans)
    assert IdSet(spans).following(((spans[0],), ()), spans[1:])._spans == spans[1:]  # never looked up: not gathered
    assert "e0" in ids
    relabelled, come = replace(spans[5], label="ORG"), Entity("n1", 0, 1, "PER")
    new = (*spans[1:5], relabelled, *spans[6:], come)
    followed = ids.following(((spans[0], spans[5]), (come, relabelled)), new)
    assert "e0" not in followed and "n1" in followed and "e5" in followed and "e6" in followed
    assert len(followed) == 100 and "e0" in ids and "n1" not in ids  # the set followed is unchanged
    assert followed._base is ids._base and followed._added == {"n1"} and followed._removed == {"e0"}
    many = tuple(Entity(f"m{i}", i, i + 1, "PER") for i in range(80))
    afresh = followed.following(((), many), (*new, *many))
    assert afresh._spans == (*new, *many) and len(afresh) == 180 and "m79" in afresh and "e0" not in afresh
