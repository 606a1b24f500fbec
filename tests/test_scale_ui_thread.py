"""What stays off the UI thread on a big document (issue 12, aim 2): with ``--recommender`` the
document's whole text is read in a lane, never on the UI thread; thousands of proposals arrive
planned in the lane (planned again there when a key changed the labels meanwhile), are saved
without the key's wait for the store, and the span panel builds only the rows it shows; a label
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
from annotator.tui.widgets.span_panel import SpanPanel

SCHEMA = load_schema(default_schema_path())


class ThreadedStore(CountingStore):
    """Counts, and notes the thread of each whole-text read (at once, or a piece at a time)."""

    def __init__(self, store) -> None:
        super().__init__(store)
        self.whole_on: list[int] = []

    def get_document(self, doc_id):
        self.whole_on.append(threading.get_ident())
        return super().get_document(doc_id)

    def text_pieces(self, doc_id):
        for piece in super().text_pieces(doc_id):
            self.whole_on.append(threading.get_ident())
            yield piece


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


async def test_thousands_of_proposals_are_planned_in_the_lane_saved_without_waiting_and_listed_as_shown(
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
    real_row = SpanPanel._row

    def row(self, *args):
        listed.append(1)
        return real_row(self, *args)

    monkeypatch.setattr(SpanPanel, "_row", row)
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
        assert len(proposed) > 360
        assert planned_on and ui not in planned_on  # planned again in the lane, not on the UI thread
        assert (ui, writes_module.FAST_SAVE) not in waits  # the proposals' save was not waited for
        panel = screen.query_one(SpanPanel)
        # each listing (the proposals come in a batch or two) built only the rows on screen, never thousands
        assert 0 < len(listed) <= 4 * panel.size.height < len(proposed)
        await wait_until(pilot, lambda: panel.row_count == len(state.entities) + len(state.claims))
        assert [panel.row(i).id for i in range(panel.row_count)] == [
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
    editor.show(answer.after)
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


class _Walked(tuple):
    """Entities that count how often they are walked through."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def test_the_spans_under_the_cursor_are_found_without_walking_every_span():
    """With thousands of proposals, a key found the spans under the cursor by looking at every span
    (fails before: each ``spans_under`` walked them all). Now an index made once per state answers,
    with exactly what a walk through every span gives, in the same order, and follows a new state."""
    from dataclasses import replace

    from annotator.editing import Where
    from annotator.model.annotations import Claim, Entity

    entities = [Entity(f"e{i}", 10 * i + (i % 3), 10 * i + 4 + (i % 5) * 7, "GPE", source="p" if i % 2 else None)
                for i in range(3_000)]
    entities += [Entity("n1", 200, 204, "PER"), Entity("n2", 200, 204, "ORG")]  # equal bounds: the state's order
    claims = (Claim("c1", 150, 900, {}, None), Claim("c2", 205, 210, {}, None))
    state = Annotations("d", "tester", entities=_Walked(entities), claims=claims)
    editor = Editor(SCHEMA, "x" * 40_000, state)

    def walked(where: Where) -> list:
        start, end = where.word
        end = max(end, start + 1)
        return sorted((s for s in (*entities, *claims) if s.start < end and s.end > start),
                      key=lambda s: (s.end - s.start, s.start))

    _Walked.walks = 0
    places = [Where((w, w + 3)) for w in range(0, 30_100, 97)] + [Where((200, 204), (200, 204))]
    for where in places:
        assert editor.spans_under(where) == walked(where)
    assert editor.span_at(Where((200, 201), (200, 204))).id == "n1"
    assert _Walked.walks <= 1  # the index, once
    editor.show(replace(state, entities=_Walked(entities[:10]), claims=()))
    assert [s.id for s in editor.spans_under(Where((200, 204)))] == []
    entities, claims = entities[:10], ()
    assert editor.spans_under(Where((40, 43))) == walked(Where((40, 43))) != []


async def test_the_count_of_invisible_characters_reads_a_big_text_a_piece_at_a_time(tmp_path, monkeypatch):
    """Before: the worker that counts a big document's invisible characters read its whole text (SQLite
    handing out the 100 MB value and decoding it held the GIL, so the UI thread stalled 250–290 ms). Now
    it streams the text a piece at a time (``Store.text_pieces``) and nothing keeps it whole; the count
    is exact, pieces' edges included."""
    from annotator.layout.stored import CHUNK, STREAM_CHUNKS
    from annotator.text.controls import count_hidden

    monkeypatch.setattr(annotate_module, "HIDDEN_COUNT_DELAY", 0.01)
    text = big_text(1_500_000)
    for at in (10, CHUNK * STREAM_CHUNKS - 1, CHUNK * STREAM_CHUNKS, 3 * CHUNK * STREAM_CHUNKS + 1, len(text) - 3):
        text = text[:at] + "\u200f" + text[at + 1:]
    session, counting = big_session(tmp_path, text)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await wait_until(pilot, lambda: screen._hidden is not None)
        assert screen._hidden == count_hidden(text) >= 5
        assert isinstance(screen.view.text, StoredText) and not screen.view.text.loaded
        assert counting.whole == [] and counting.streamed == len(text)
    session.store.close()


async def test_label_all_the_claim_form_and_the_pickers_never_read_a_big_text_whole(tmp_path, monkeypatch):
    """Before: "label all", the claim form and the identity picker took the whole text (``Editor.text``),
    which read it whole on the UI thread. Now they slice it; what label all labels is exact."""
    from annotator.editing import find_matches
    from annotator.tui.screens.claim_form import ClaimFormScreen
    from annotator.tui.screens.identity_picker import IdentityPickerScreen

    monkeypatch.setattr(annotate_module, "HIDDEN_COUNT_DELAY", 3600)
    text = big_text(1_500_000)
    session, counting = big_session(tmp_path, text)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.pause()
        await pilot.press("ctrl+end", "ctrl+f", *"سوريا", "enter")
        await pilot.pause()
        await pilot.press("3", "ctrl+a")
        await wait_until(pilot, lambda: len(screen.editor.state.entities) > 1)
        matches = find_matches(screen.view.index, "سوريا")
        assert sorted((e.start, e.end) for e in screen.editor.state.entities) == matches
        assert all(text[s:e] == "سوريا" for s, e in matches) and len(matches) > 10
        await pilot.press("equals_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, IdentityPickerScreen))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ClaimFormScreen))
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.view.text.loaded and counting.whole == [] and counting.streamed == 0
    saved = session.annotations("big")
    assert sorted((e.start, e.end) for e in saved.entities) == matches and len(saved.claims) == 1
    session.store.close()


def test_the_find_keys_keep_what_they_read_whole_as_attributes():
    """The screen's find part sets its own attributes when it is made (they were read through
    ``getattr``/``hasattr``, so a misspelt name went unnoticed)."""
    from annotator.tui.screens.annotate import AnnotateScreen
    from annotator.tui.screens.finding import FindActions

    store = open_store(":memory:")
    screen = AnnotateScreen(AnnotationSession(store, SCHEMA, "tester"), clock=lambda: "")
    assert isinstance(screen, FindActions)
    assert vars(screen)["_kept_document"] is None and vars(screen)["_prepared"] == set()
    store.close()


def test_string_match_learns_from_a_big_labelled_document_without_reading_it_whole(tmp_path):
    """Before: ``prepare`` (on the UI thread, when a document opens) read every labelled document whole
    to take its labels' text: at 100 MB a stall of a second. Now a big one is read by ranges, the
    pieces holding the labels; what is learned is what the whole text teaches."""
    from annotator.model.annotations import Entity
    from annotator.model.operations import AddEntity
    from annotator.recommend import RecommendContext
    from annotator.recommend.learned import StringMatch

    text = big_text(1_500_000)
    session, counting = big_session(tmp_path, text)
    last = standalone(text, "الأمم", last=True)
    for n, (start, word) in enumerate([(standalone(text, "سوريا"), "سوريا"), (last, "الأمم")]):
        session.apply("big", AddEntity(Entity(f"e{n}", start, start + len(word), "GPE")))
    learned = StringMatch()
    learned.prepare(counting, RecommendContext(SCHEMA, "tester"))
    whole = StringMatch()
    whole.observe(Document("big", text), session.annotations("big"))
    assert counting.whole == [] and counting.streamed == 0 and counting.ranged <= 4 * 65_536
    assert learned.lexicon.labels == whole.lexicon.labels and len(learned.lexicon) == 2
    session.store.close()
