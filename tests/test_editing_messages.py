"""One wording for what an action did (issue 13 §5.9): the status message of doing, undoing and
redoing every kind of operation is "Did X", "Undone: did X", "Redone: did X", naming spans by
their text; the editor's message (shown at once) and the session's (after saving) agree."""

from __future__ import annotations

import pytest
from test_tui_support import MIXED, make_app, make_session, token_start

from annotator.editing import Edit, Editor
from annotator.layout import visual_string
from annotator.model.annotations import Annotations, Claim, Entity, Rejection
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    AddProposals,
    Batch,
    LinkClaimer,
    MoveClaim,
    MoveEntity,
    RejectProposal,
    RelabelEntity,
    RemoveClaim,
    RemoveEntity,
    ReplaceAnnotations,
    SetClaimAttributes,
    SetDocumentAttributes,
    SetNotes,
    SetRejected,
    SetSource,
    SetStatus,
    said,
)

DOC = "a_mixed"
JOHN = token_start(MIXED, "John")
BEIRUT = token_start(MIXED, "بيروت")
YEAR = token_start(MIXED, "2019")
WORDS = MIXED.split("\n")[0]
CLAIM_END = 37


@pytest.fixture
def session(tmp_path):
    """The mixed document with e1 «John Smith» PER, a proposal p1 «بيروت» GPE and a claim c1."""
    s = make_session(tmp_path / "messages.db")
    s.apply(DOC, AddEntity(Entity("e1", JOHN, JOHN + 10, "PER")))
    s.apply(DOC, AddEntity(Entity("p1", BEIRUT, BEIRUT + 5, "GPE", source="import:test")))
    s.apply(DOC, AddClaim(Claim("c1", 0, CLAIM_END, {}, None)))
    yield s
    s.store.close()


CLAIM = f"claim «{MIXED[:CLAIM_END]}»"
CASES = [
    ("add entity", lambda st: AddEntity(Entity("e9", YEAR, YEAR + 4, "DATE")), "labelled «2019» as DATE"),
    ("add entity (Arabic)", lambda st: AddEntity(Entity("e9", BEIRUT, BEIRUT + 5, "LOC")), "labelled «بيروت» as LOC"),
    ("remove entity", lambda st: RemoveEntity("e1"), "removed «John Smith» PER"),
    ("relabel entity", lambda st: RelabelEntity("e1", "ORG"), "relabelled «John Smith» as ORG (was PER)"),
    ("move entity", lambda st: MoveEntity("e1", JOHN, JOHN + 4), "moved «John Smith» PER to «John»"),
    ("accept proposal", lambda st: SetSource("p1", None), "accepted proposal «بيروت» GPE"),
    ("accept as another label", lambda st: Batch((RelabelEntity("p1", "LOC"), SetSource("p1", None)), "accept p1"),
     "accepted proposal «بيروت» as LOC"),
    ("reject proposal", lambda st: RejectProposal("p1"), "rejected proposal «بيروت» GPE"),
    ("remember a rejection", lambda st: SetRejected(Rejection("entity", YEAR, YEAR + 4, "DATE")),
     "rejected «2019» DATE"),
    ("add proposals", lambda st: AddProposals((Entity("p2", YEAR, YEAR + 4, "DATE", source="test"),), (), ""),
     "added 1 proposed entities and 0 proposed claims"),
    ("add claim", lambda st: AddClaim(Claim("c2", 38, 60, {}, None)), f"marked claim «{MIXED[38:60]}»"),
    ("remove claim", lambda st: RemoveClaim("c1"), f"removed {CLAIM}"),
    ("move claim", lambda st: MoveClaim("c1", 0, 10), f"moved {CLAIM} to «{MIXED[:10]}»"),
    ("set claim attribute", lambda st: SetClaimAttributes("c1", {"checkworthy": "yes"}),
     f"set checkworthy=yes on {CLAIM}"),
    ("link claimer", lambda st: LinkClaimer("c1", "e1"), f"made «John Smith» PER the claimer of {CLAIM}"),
    ("set status", lambda st: SetStatus("flagged"), "marked the document flagged"),
    ("set notes", lambda st: SetNotes("راجع الأرقام"), "set the note to «راجع الأرقام»"),
    ("set document attribute", lambda st: SetDocumentAttributes({"topic": "انتخابات"}), "set document topic=انتخابات"),
    ("replace annotations", lambda st: ReplaceAnnotations(st.with_(entities=(Entity("e1", 0, 3, "PER"),), claims=())),
     "imported 1 entities and 0 claims"),
]


@pytest.mark.parametrize(("make", "did"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_do_undo_redo_say_what_the_action_did(session, make, did):
    before = session.annotations(DOC)
    op = make(before)
    assert Editor(session.schema, MIXED, before)._edit(op).description == did[0].upper() + did[1:]
    assert session.apply(DOC, op).description == did[0].upper() + did[1:]
    undone = session.undo(DOC)
    assert undone is not None and undone.description == f"Undone: {did}"
    assert session.annotations(DOC).entities == before.entities
    redone = session.redo(DOC)
    assert redone is not None and redone.description == f"Redone: {did}"


def test_the_first_change_of_a_document_and_unlinking(tmp_path):
    """The first change also marks the document "in progress" (one undo step, same words)."""
    s = make_session(tmp_path / "first.db")
    change = s.apply(DOC, AddEntity(Entity("e1", JOHN, JOHN + 10, "PER")))
    assert change.description == "Labelled «John Smith» as PER"
    assert s.undo(DOC).description == "Undone: labelled «John Smith» as PER"
    assert s.redo(DOC).description == "Redone: labelled «John Smith» as PER"
    s.apply(DOC, AddClaim(Claim("c1", 0, CLAIM_END, {}, "e1")))
    assert s.apply(DOC, LinkClaimer("c1", None)).description == f"Removed the claimer of {CLAIM}"
    assert s.undo(DOC).description == f"Undone: removed the claimer of {CLAIM}"
    s.store.close()


def test_label_all_message_and_its_undo(session):
    editor = Editor(session.schema, MIXED, session.annotations(DOC))
    edit = editor.label_all([(YEAR, YEAR + 4)], "DATE", "٢٠١٩")
    assert isinstance(edit, Edit) and edit.description == "Labelled 1 match(es) of «٢٠١٩» as DATE (one undo step)"
    session.apply(DOC, edit.op)
    assert session.undo(DOC).description == "Undone: labelled 1 match(es) of «٢٠١٩» as DATE"
    assert session.redo(DOC).description == "Redone: labelled 1 match(es) of «٢٠١٩» as DATE"


def test_said_without_text_names_spans_by_id():
    op = AddEntity(Entity("e1", 3, 7, "PER"))
    assert said("undo", op, Annotations("d", "a"), "") == "Undone: labelled e1 [3, 7) as PER"


async def test_status_line_shows_undo_in_reading_order(session):
    from test_tui_support import main

    app = make_app(session)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        screen = main(app)
        screen.view.move_to(YEAR)
        await pilot.press("5")  # a label key
        await pilot.pause()
        label = next(e.label for e in screen.editor.state.entities if e.start == YEAR)
        await pilot.press("ctrl+z")
        await pilot.pause(0.3)
        assert screen.status.message == visual_string(f"Undone: labelled «2019» as {label}", direction="ltr")
        screen.view.move_to(BEIRUT)
        await pilot.press("enter")  # accept the proposal
        await pilot.pause()
        await pilot.press("ctrl+z")
        await pilot.pause(0.3)
        assert screen.status.message == visual_string("Undone: accepted proposal «بيروت» GPE", direction="ltr")
        assert "ﺕﻭﺮﻴﺑ" in screen.status.message  # the Arabic is shaped, in reading order


def test_a_long_message_is_cut_at_its_logical_end():
    """At the status line's width, the Arabic phrase keeps its first words (not its last)."""
    from rich.cells import cell_len

    from annotator.tui.widgets.status_line import fit

    message = "Undone: labelled «قوات سوريا الديمقراطية في شرق البلاد» as ORG"
    shown = fit(message, 40)
    assert cell_len(shown) <= 40 and shown != visual_string(message, direction="ltr")
    assert shown.startswith("Undone: labelled «") and shown.endswith("…")
    assert visual_string("قوات سوريا", direction="rtl") in shown, shown
    assert fit("Labelled «بيروت» as GPE", 40) == visual_string("Labelled «بيروت» as GPE", direction="ltr")


def test_identity_messages(session):
    from annotator.model.operations import LinkIdentity, UnlinkIdentity

    session.apply(DOC, AddEntity(Entity("e2", JOHN, JOHN + 4, "PER")))
    link = session.apply(DOC, LinkIdentity("e2", "e1"))
    did = "linked «John» PER to «John Smith» PER as one identity"
    assert link.description == did[0].upper() + did[1:]
    assert session.undo(DOC).description == f"Undone: {did}"
    assert session.redo(DOC).description == f"Redone: {did}"
    did = "unlinked «John» PER from its identity"
    assert session.apply(DOC, UnlinkIdentity("e2")).description == did[0].upper() + did[1:]
    assert session.undo(DOC).description == f"Undone: {did}"
