"""What stays off the UI thread on a big document (issue 12, aim 2): with ``--recommender`` the
document's whole text is read in a lane, never on the UI thread; thousands of proposals arrive
planned in the lane (planned again there when a key changed the labels meanwhile), are saved
without the key's wait for the store, and are listed in the span panel a slice at a time; a label
made at once on a big document is checked against the pieces of its text, never the whole.
No timing here: the figures are ``bench/bench_bigdoc_keys.py``'s."""

from __future__ import annotations

import threading

from test_scale_docsize import big_text
from test_scale_workers import Recording, settle, standalone
from test_stored_text import CountingStore
from test_tui_support import SIZE, main, make_app, wait_until

from annotator.editing import Editor, Saver
from annotator.layout.stored import StoredText
from annotator.model.annotations import Annotations, Document
from annotator.recommend.apply import fit_proposals
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store
from annotator.tui.screens import annotate as annotate_module
from annotator.tui.screens import writes as writes_module
from annotator.tui.widgets import span_panel as panel_module
from annotator.tui.widgets.span_panel import SpanPanel

SCHEMA = load_schema(default_schema_path())


class ThreadedStore(CountingStore):
    """Counts, and notes the thread of each whole-text read."""

    def __init__(self, store) -> None:
        super().__init__(store)
        self.whole_on: list[int] = []

    def get_document(self, doc_id):
        self.whole_on.append(threading.get_ident())
        return super().get_document(doc_id)


def big_session(tmp_path, text: str) -> tuple[AnnotationSession, ThreadedStore]:
    store = open_store(str(tmp_path / "big.db"))
    store.add_document(Document("big", text))
    counting = ThreadedStore(store)
    return AnnotationSession(counting, SCHEMA, "tester"), counting


async def test_with_a_recommender_a_big_documents_text_is_read_whole_off_the_ui_thread(tmp_path, monkeypatch):
    """Before: opening it with ``--recommender`` read the whole text (``session.document``) on the UI
    thread, about 0.2 s at 100 MB."""
    monkeypatch.setattr(annotate_module, "HIDDEN_COUNT_DELAY", 3600)  # the count of invisible characters: not here
    text = big_text(1_500_000)
    session, counting = big_session(tmp_path, text)
    learned = Recording()
    learned.learn([("سوريا", "GPE")])
    app = make_app(session, recommenders=(learned,))
    async with app.run_test(size=SIZE) as pilot:
        ui = threading.get_ident()
        await settle(pilot, app)
        screen = main(app)
        assert isinstance(screen.view.text, StoredText)
        assert counting.whole_on and ui not in counting.whole_on  # read, in the lane
        expected = {(p.start, p.end) for p in learned.matches(text)}
        assert {(e.start, e.end) for e in screen.editor.state.entities if e.source} == expected
        last = standalone(text, "الأمم", last=True)
        screen.view.move_to(last)
        await pilot.press("3")  # a hand label: taught and proposed again in the lane
        await settle(pilot, app)
        assert ui not in counting.whole_on
        assert any(e.source is None and e.start == last for e in session.annotations("big").entities)
    session.store.close()


async def test_thousands_of_proposals_are_planned_in_the_lane_saved_without_waiting_and_listed_in_slices(
        tmp_path, monkeypatch):
    """Before: when the labels changed while proposals were made, the UI thread fitted them all again;
    the UI thread waited up to ``FAST_SAVE`` for the store to save them; the span panel listed every
    span in one go (thousands of rows: a quarter of a second). Undo still takes them away in one step."""
    text = big_text(400_000)
    session, _ = big_session(tmp_path, text)
    learned = Recording()
    learned.learn([("في", "GPE")])
    learned.gate = threading.Event()
    planned_on: list[int] = []
    real_propose = Editor.propose

    def propose(self, proposals, before=None):
        planned_on.append(threading.get_ident())
        return real_propose(self, proposals, before)

    monkeypatch.setattr(Editor, "propose", propose)
    waits: list[tuple[int, float | None]] = []
    real_settle = Saver.settle

    def settling(self, timeout=None):
        waits.append((threading.get_ident(), timeout))
        return real_settle(self, timeout)

    monkeypatch.setattr(Saver, "settle", settling)
    listed: list[int] = []
    real_add = SpanPanel.add_options

    def add_options(self, options):
        options = list(options)
        listed.append(len(options))
        return real_add(self, options)

    monkeypatch.setattr(SpanPanel, "add_options", add_options)
    app = make_app(session, recommenders=(learned,))
    async with app.run_test(size=SIZE) as pilot:
        ui = threading.get_ident()
        await pilot.pause()
        screen = main(app)
        first = standalone(text, "سوريا")
        screen.view.move_to(first)
        await pilot.press("4")  # a label while string-match proposes: its plan is then on an older state
        await pilot.pause()
        waits.clear()
        listed.clear()
        learned.gate.set()
        await settle(pilot, app)
        state = session.annotations("big")
        hand = Annotations("big", "tester", entities=tuple(e for e in state.entities if e.source is None))
        expected = fit_proposals([p for p in learned.matches(text) if p.label == "GPE"], hand, text, SCHEMA)
        proposed = sorted((e.start, e.end) for e in state.entities if e.source and e.label == "GPE")
        assert proposed == sorted((p.start, p.end) for p in expected)
        assert len(proposed) > 3 * panel_module.PANEL_SLICE
        assert planned_on and ui not in planned_on  # planned again in the lane, not on the UI thread
        assert (ui, writes_module.FAST_SAVE) not in waits  # the proposals' save was not waited for
        assert max(listed) <= panel_module.PANEL_SLICE and len(listed) > 3  # listed a slice at a time
        panel = screen.query_one(SpanPanel)
        await wait_until(pilot, lambda: panel.option_count == len(state.entities) + len(state.claims))
        assert [panel.get_option_at_index(i).id for i in range(panel.option_count)] == [
            f"e:{s.id}" for s in sorted(state.entities, key=lambda s: (s.start, -s.end))]
        await pilot.press("ctrl+z", "ctrl+z")  # the label's own proposals (سوريا elsewhere), then these in one step
        await settle(pilot, app)
        assert [(e.start, e.source) for e in session.annotations("big").entities] == [(first, None)]
    session.store.close()


def test_a_worker_waiting_for_the_saves_never_runs_their_answers():
    """A lane reading the store waits for the queued saves (``session.settle``); before, it also ran
    their answers (``Saver.deliver``: the screen's callbacks) on its own thread."""
    saver = Saver()
    gate = threading.Event()
    answered: list[int] = []
    saver.submit(lambda: gate.wait(30), lambda outcome: answered.append(threading.get_ident()))
    worker = threading.Thread(target=saver.settle)
    worker.start()
    gate.set()
    worker.join(30)
    assert answered == []  # not on the worker
    assert saver.settle(30) and answered == [threading.get_ident()]
    saver.close()


def test_an_edit_on_a_big_document_is_checked_against_pieces_of_its_text():
    """Before: the editor's checks took the whole text (``Editor.text``), so a label made in the first
    second after opening a 100 MB document waited for all of it to be read."""
    text = big_text(300_000)
    reads: list[tuple[int, int]] = []

    def read(start: int, end: int) -> str:
        reads.append((start, end))
        return text[start:end]

    stored = StoredText(len(text), read, chunk=4_096)
    editor = Editor(SCHEMA, stored, Annotations("big", "tester"))
    from annotator.editing import Where

    at = standalone(text, "سوريا", last=True)
    answer = editor.label(Where((at, at + 5)), "GPE")
    assert not stored.loaded and sum(e - s for s, e in reads) <= 3 * 4_096
    assert answer.after.entities[0].start == at and "سوريا" in answer.description
    editor.state = answer.after
    moved = editor.move(answer.after.entities[0], at - 1, at + 5)  # on the space before: refused, read by pieces
    assert "stops at the word" in moved.reason and not stored.loaded


async def test_a_label_made_at_once_on_a_big_document_never_reads_its_whole_text(tmp_path, monkeypatch):
    """Before: the label's checks (``Editor.text``) and its save (``session.apply``) read the whole text,
    so a label made before the background read had finished waited for it (up to 0.3 s at 100 MB)."""
    monkeypatch.setattr(annotate_module, "HIDDEN_COUNT_DELAY", 3600)  # nothing else reads it whole here
    text = big_text(1_500_000)
    session, counting = big_session(tmp_path, text)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        await pilot.press("ctrl+end")
        last = standalone(text, "سوريا", last=True)
        screen.view.move_to(last)
        await pilot.press("3", "ctrl+z", "ctrl+y")  # label, undo, redo: checked and saved by pieces
        await settle(pilot, app)
        assert screen.status.message.startswith("Redone: labelled") and "GPE" in screen.status.message
        await pilot.press("shift+left")  # a selection; then a label on it: checked by pieces too
        await pilot.press("1")
        await settle(pilot, app)
        assert counting.whole == [] and not screen.view.text.loaded
    saved = session.annotations("big").entities
    assert (last, last + 5, "GPE") in {(e.start, e.end, e.label) for e in saved}
    assert all(text[e.start:e.end].strip() == text[e.start:e.end] for e in saved)
    session.store.close()
