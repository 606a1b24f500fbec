"""The editing core without a screen (Editor, Saver, the session's counts), and through Pilot
the two things only a screen shows: a slow store never stops the keys, a failed save is undone."""

from __future__ import annotations

import threading

from test_tui_support import MIXED, SIZE, make_app, make_session, token_start, wait_until

from annotator.editing import ClaimChoice, Edit, Editor, Failed, Refusal, Saved, Saver, Where
from annotator.errors import StoreError
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.model.operations import AddEntity
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store

SCHEMA = load_schema(default_schema_path())


def word(w: str, nth: int = 0) -> tuple[int, int]:
    start = token_start(MIXED, w, nth)
    return start, start + len(w)


def editor(*entities: Entity, claims: tuple[Claim, ...] = (), status: str = "in_progress") -> Editor:
    return Editor(SCHEMA, MIXED, Annotations("a_mixed", "t", status=status, entities=tuple(entities), claims=claims))


JOHN = word("John")
JOHN_SMITH = (JOHN[0], word("Smith")[1])


# -- Editor: what a key changes ----------------------------------------------------------------


def test_the_state_shown_changes_by_show_alone_which_keeps_the_index_in_step():
    """One way to keep the editor's span index in step: ``show`` (before, assigning ``state`` also worked, the
    index then followed lazily when next asked, a second path to the same rule)."""
    import pytest

    ed = editor()
    made = ed.spans
    add = ed.label(Where(JOHN), "PER")
    with pytest.raises(AttributeError):
        ed.state = add.after  # type: ignore[misc]
    ed.show(add.after)
    assert ed._spans is not made and ed._spans.state is add.after  # followed at once, by ``show``
    assert [s.id for s in ed.spans_under(Where(JOHN))] == ["e1"]


def test_label_adds_relabels_accepts_or_says_already():
    ed = editor()
    add = ed.label(Where(JOHN), "PER")
    assert isinstance(add, Edit) and add.created == "e1"
    assert [(e.start, e.end, e.label) for e in add.after.entities] == [(*JOHN, "PER")]
    ed.show(add.after)
    relabel = ed.label(Where(JOHN), "ORG")
    assert isinstance(relabel, Edit) and type(relabel.op).__name__ == "RelabelEntity" and relabel.created is None
    assert ed.label(Where(JOHN), "PER") == Refusal("already PER")
    pre = editor(Entity("p1", *JOHN, "PER", source="import:x"))
    accept = pre.label(Where(JOHN), "PER")
    assert isinstance(accept, Edit) and accept.after.entities[0].source is None


def test_label_without_selection_relabels_the_innermost_entity_and_with_one_nests():
    ed = editor(Entity("e1", *JOHN_SMITH, "PER"))
    inside = ed.label(Where(word("Smith")), "ORG")  # no selection: the entity the word is in
    assert isinstance(inside, Edit) and [e.label for e in inside.after.entities] == ["ORG"]
    nested = ed.label(Where(JOHN, selection=JOHN), "ORG")  # a selection: a new (nested) entity
    assert isinstance(nested, Edit) and len(nested.after.entities) == 2


def test_a_refused_operation_is_a_refusal_and_changes_nothing():
    ed = editor(Entity("e1", token_start(MIXED, "قال"), JOHN[1], "PER"))
    before = ed.state
    answer = ed.label(Where(JOHN, selection=JOHN_SMITH), "ORG")  # partly overlaps: refused in news
    assert isinstance(answer, Refusal) and answer.error
    assert ed.state is before


def test_delete_prefers_the_exact_selection_then_the_innermost():
    outer, inner = Entity("e1", *JOHN_SMITH, "PER"), Entity("e2", *JOHN, "PER")
    ed = editor(outer, inner)
    assert [e.id for e in ed.delete(Where(JOHN)).after.entities] == ["e1"]
    assert [e.id for e in ed.delete(Where(JOHN, selection=JOHN_SMITH)).after.entities] == ["e2"]
    assert editor().delete(Where(JOHN)) == Refusal("nothing to delete here")


def test_under_the_cursor_means_touching_the_word():
    walrais = word("والرئيس")
    ed = editor(Entity("e1", walrais[0] + 1, walrais[1], "PER"))  # و nudged off
    assert [s.id for s in ed.spans_under(Where(walrais))] == ["e1"]


def test_enter_accepts_a_pre_annotation_else_opens_the_claim():
    claim = Claim("c1", 0, 37, {}, None)
    assert editor(claims=(claim,)).activate(Where(JOHN)) == ClaimChoice("c1")
    pre = editor(Entity("p1", *JOHN, "PER", source="import:x"), claims=(claim,)).activate(Where(JOHN))
    assert isinstance(pre, Edit) and pre.after.entities[0].source is None
    assert isinstance(editor().activate(Where(JOHN)), Refusal)


def test_edges_move_the_span_or_say_they_cannot():
    ed = editor(Entity("e1", *JOHN, "PER"))
    span = ed.edge_span(Where(JOHN))
    assert span is not None and ed.edge_span(Where(JOHN, selection=JOHN)) is None
    assert ed.move(span, *JOHN) == Refusal("that edge cannot move further")
    moved = ed.move(span, JOHN[0] + 1, JOHN[1])
    assert isinstance(moved, Edit) and moved.after.entities[0].start == JOHN[0] + 1


def test_claims_start_with_the_schema_defaults_on_the_sentence_or_the_selection():
    ed = editor()
    on_sentence = ed.add_claim(Where(JOHN), (0, 37))
    assert isinstance(on_sentence, Edit) and on_sentence.created == "c1"
    claim = on_sentence.after.claims[0]
    assert (claim.start, claim.end, claim.attributes["verdict"]) == (0, 37, "unverified")
    assert ed.add_claim(Where(JOHN), None) == Refusal("no sentence here to mark as a claim")
    on_selection = ed.add_claim(Where(JOHN, selection=JOHN_SMITH), (0, 37))
    assert isinstance(on_selection, Edit) and on_selection.after.claims[0].start == JOHN[0]


def test_link_claimer_needs_an_entity_under_the_cursor():
    ed = editor(Entity("e1", *JOHN, "PER"), claims=(Claim("c1", 0, 37, {}, None),))
    refused = ed.link_claimer("c1", Where(word("قال")))
    assert isinstance(refused, Refusal) and refused.error
    linked = ed.link_claimer("c1", Where(JOHN))
    assert isinstance(linked, Edit) and linked.after.claims[0].claimer == "e1"


def test_done_is_checked_once_by_the_operation():
    ed = editor(claims=(Claim("c1", 0, 37, {}, None),))
    refused = ed.set_status("done")
    assert isinstance(refused, Refusal) and refused.reason.startswith("cannot mark done:")
    assert ed.set_notes("") is None  # unchanged: nothing to save


def test_the_editor_predicts_exactly_what_the_session_saves(tmp_path):
    session = make_session(tmp_path / "t.db")
    state = session.annotations("a_mixed")
    assert state.status == "todo"
    edit = Editor(SCHEMA, MIXED, state).label(Where(JOHN), "PER")
    assert isinstance(edit, Edit) and edit.after.status == "in_progress"  # the first change starts the doc
    saved = session.apply("a_mixed", edit.op).state
    keep = ("entities", "claims", "status", "notes", "attributes", "schema_name", "schema_version")
    assert {k: getattr(saved, k) for k in keep} == {k: getattr(edit.after, k) for k in keep}
    session.store.close()


# -- Saver: in order, off the caller's thread ---------------------------------------------------


def test_saver_runs_in_order_and_delivers_in_order():
    saver = Saver()
    ran, got = [], []
    for i in range(20):
        saver.submit(lambda i=i: ran.append(i) or i, got.append)
    assert saver.settle(timeout=30)
    assert ran == list(range(20))
    assert [o.value for o in got if isinstance(o, Saved)] == list(range(20))
    saver.close()


def test_a_failure_cancels_what_was_planned_on_it_but_not_later_work():
    saver = Saver()
    gate = threading.Event()
    got: list = []

    def fail():
        gate.wait(30)
        raise StoreError("disk full")

    saver.submit(fail, got.append)
    saver.submit(lambda: "planned on the failed one", got.append)
    saver.submit(lambda: "heartbeat", got.append, independent=True)
    gate.set()
    assert saver.settle(timeout=30)
    assert isinstance(got[0], Failed) and not got[0].cancelled and got[0].message == "disk full"
    assert isinstance(got[1], Failed) and got[1].cancelled
    assert got[2] == Saved("heartbeat")
    saver.submit(lambda: "after the owner heard", got.append)
    assert saver.settle(timeout=30)
    assert got[3] == Saved("after the owner heard")
    saver.close()


class GatedStore:
    """A store whose commits wait for ``gate`` (a slow server) or raise (a failing one)."""

    def __init__(self, inner, fail: bool = False) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.fail = fail
        self.commits = 0
        self.status_scans = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def commit(self, *args):
        if not self.gate.wait(60):
            raise StoreError("test gate never opened")
        if self.fail:
            raise StoreError("the server went away")
        self.commits += 1
        return self.inner.commit(*args)

    def statuses(self, annotator):
        self.status_scans += 1
        return self.inner.statuses(annotator)

    def status_counts(self, annotator):  # progress over the whole store: the kept tallies
        self.status_scans += 1
        return self.inner.status_counts(annotator)


def gated_session(tmp_path, fail: bool = False) -> tuple[AnnotationSession, GatedStore]:
    plain = make_session(tmp_path / "t.db")
    store = GatedStore(plain.store, fail=fail)
    return AnnotationSession(store, plain.schema, plain.annotator), store


def test_session_reads_wait_for_queued_writes(tmp_path):
    session, store = gated_session(tmp_path)
    saver = Saver()
    session.pending = saver
    op = AddEntity(Entity("e1", *JOHN, "PER"))
    saver.submit(lambda: session.apply("a_mixed", op))
    threading.Timer(0.2, store.gate.set).start()
    assert [e.id for e in session.annotations("a_mixed").entities] == ["e1"]  # waited for the save
    saver.close()
    store.close()


def test_progress_is_counted_once_then_kept_by_commits(tmp_path):
    session, store = gated_session(tmp_path)
    store.gate.set()
    assert session.progress().finished == 0
    session.add_entity("a_mixed", *JOHN, "PER")
    session.set_status("a_mixed", "done")
    session.set_status("b_second", "skipped")
    progress = session.progress()
    assert (progress.finished, progress.by_status["in_progress"], progress.by_status["todo"]) == (2, 0, 1)
    session.undo("b_second")
    kept = session.progress()
    assert kept.by_status["todo"] == 2
    assert store.status_scans == 1  # one scan, not one per change
    assert session.progress(refresh=True) == kept  # what a fresh scan finds
    store.close()


def test_kept_counts_are_over_the_annotators_queue(tmp_path):
    session = make_session(tmp_path / "t.db")  # a_mixed, b_second, c_third
    session.store.assign([("c_third", "tester"), ("a_mixed", "tester"), ("b_second", "other")])
    assert session.progress().total == 2  # counted once, over the queue
    session.set_status("a_mixed", "done")
    session.set_status("b_second", "done")  # not in the queue: not counted
    kept = session.progress()
    assert (kept.total, kept.finished, kept.by_status["todo"]) == (2, 1, 1)
    assert session.progress(refresh=True) == kept
    session.store.close()


def test_a_document_taken_in_dynamic_mode_grows_the_kept_total(tmp_path):
    from annotator.assignment import DynamicQueue

    session = make_session(tmp_path / "t.db")
    session.store.set_setting("assignment", DynamicQueue(1, 600).to_setting())
    assert session.document_ids() == ["a_mixed"]  # opening takes one
    assert session.progress().total == 1
    session.set_status("a_mixed", "done")
    assert session.next_document("a_mixed") == "b_second"  # taken past the end
    progress = session.progress()
    assert (progress.total, progress.finished, progress.by_status["todo"]) == (2, 1, 1)
    assert session.progress(refresh=True) == progress
    session.store.close()


# -- through the screen ---------------------------------------------------------------------------


async def test_a_slow_store_never_stops_the_keys(tmp_path):
    session, store = gated_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("left", "1")  # the save waits at the gate
        assert screen.status.saving and screen.status.saved_at is None
        assert [e.label for e in screen.state.entities] == ["PER"]  # shown at once, pending
        await pilot.press("left")  # a key pressed during the save is handled
        assert screen.view.cursor == token_start(MIXED, "Smith")
        assert store.commits == 0 and screen.status.saving
        store.gate.set()
        await wait_until(pilot, lambda: not screen.status.saving)
        assert screen.status.saved_at == "" and store.commits == 1
    check = open_store(str(tmp_path / "t.db"))
    assert [(e.start, e.end) for e in check.load("a_mixed", "tester").entities] == [JOHN]
    check.close()


async def test_a_failed_save_is_shown_and_undone_on_screen(tmp_path):
    session, store = gated_session(tmp_path, fail=True)
    store.gate.set()
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("left", "1")
        await wait_until(pilot, lambda: screen.status.error)
        assert "not saved: the server went away" in screen.status.message
        assert screen.state.entities == () and screen.view.state.entities == ()
        assert not screen.status.saving and screen.status.saved_at is None  # never "saved ✓"
        store.fail = False
        await pilot.press("1")  # the next change is saved normally
        await wait_until(pilot, lambda: screen.status.saved_at == "")
        assert [e.label for e in session.annotations("a_mixed").entities] == ["PER"]


async def test_undo_waits_for_the_store_and_edits_wait_for_the_undo(tmp_path):
    session, store = gated_session(tmp_path)
    store.gate.set()
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("left", "1")
        await wait_until(pilot, lambda: screen.status.saved_at == "")
        store.gate.clear()  # the server is slow from now on
        await pilot.press("ctrl+z")
        assert screen.status.saving and [e.label for e in screen.state.entities] == ["PER"]
        await pilot.press("2")  # planned on a state the undo is about to change: refused, not queued
        assert screen.status.error and "still being saved" in screen.status.message
        store.gate.set()
        await wait_until(pilot, lambda: not screen.status.saving)
        assert screen.state.entities == ()
        assert session.annotations("a_mixed").entities == ()
        assert store.commits == 2  # the label and its undo; the refused relabel never reached the store


async def test_a_saves_answer_is_shown_when_only_a_cursor_position_waits_behind_it(tmp_path):
    """A label's save slower than the cursor's debounce (30,000 spans on a loaded machine) had the position save
    queued behind it, and its answer was kept (``acked``) but never shown: the screen stayed on its own forecast
    of the state, and a bench waiting for the store's state to be shown waited for ever. Only a change queued
    behind (which answers later, and is shown then) holds an answer back."""
    session, store = gated_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("left", "1")  # the save waits at the gate
        screen.save_position()  # the cursor's debounce ran out meanwhile
        assert screen.saver.pending == 2 and screen.saver.changes_pending == 1
        store.gate.set()
        await wait_until(pilot, lambda: not screen.saver.pending)
        assert screen.acked is screen.state and screen.state.version == 1
        await pilot.press("left", "2")  # a change behind a change: only the last answer is shown
        store.gate.clear()
        await pilot.press("right", "3")
        assert screen.saver.changes_pending >= 1
        store.gate.set()
        await wait_until(pilot, lambda: not screen.saver.pending)
        assert screen.acked is screen.state and screen.state.version == 3
