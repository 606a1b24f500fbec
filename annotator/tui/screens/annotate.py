"""The annotation screen: maps keys and mouse events to the ``Editor`` and draws its answers.

No rule lives here: what a key changes is the editor's decision (``annotator.editing``);
where it moves the cursor, the navigator's (``tui.cursor``). The screen is split by
concern: ``navigation`` (cursor, selection, status line), ``claims`` (claim form, claimer
linking), ``writes`` (showing a change at once, saving it in order off the UI thread);
this module composes them and holds documents, labels and the dialogs.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from annotator.editing import ClaimChoice, Edit, Editor, Saver
from annotator.errors import AnnotatorError
from annotator.layout.stored import Text
from annotator.model.annotations import Annotations
from annotator.session import AnnotationSession, Documents
from annotator.text import TextIndex
from annotator.text.controls import count_hidden
from annotator.tui.bindings import screen_bindings
from annotator.tui.lanes import Job, Lane
from annotator.tui.screens.claims import ClaimActions
from annotator.tui.screens.finding import FindActions
from annotator.tui.screens.navigation import Navigation
from annotator.tui.screens.writes import SaverAnswered, Writes
from annotator.tui.shown import shown
from annotator.tui.widgets.doc_header import DocHeader
from annotator.tui.widgets.document_view import DocumentView
from annotator.tui.widgets.footer import SteadyFooter
from annotator.tui.widgets.span_panel import SpanPanel
from annotator.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:  # imported when a claim form opens (``claims.py``): not at start-up
    from annotator.tui.screens.claim_form import ClaimFormScreen

MIN_WIDTH, MIN_HEIGHT = 80, 24
HIDDEN_COUNT_NOW = 1_000_000  # characters: a longer document's invisible characters are counted in a worker
HIDDEN_COUNT_DELAY = 0.5  # seconds after opening: the count competes for the CPU with the first paint
COUNTING = "invisible characters shown as markers (counting them…)"


class AnnotateScreen(FindActions, Navigation, ClaimActions, Writes, Screen, inherit_bindings=False):
    """One document at a time; keys from ``bindings.MAIN_KEYS`` plus the schema's hotkeys
    (``bindings.with_schema_keys`` makes the subclass the app opens)."""

    BINDINGS = screen_bindings()

    class Empty(Message):
        """No document for this annotator, or the first failed to open: nothing will be painted, start-up is over."""

    def __init__(self, session: AnnotationSession, *, clock, direction: str = "rtl",
                 recommenders: tuple = ()) -> None:
        super().__init__()
        self.recommenders = tuple(recommenders)  # run on each opened document (``FindActions``)
        self.session = session
        self.schema = session.schema
        self.clock = clock
        self.direction = direction
        self.documents: Documents | None = None  # the annotator's, walked a few rows at a time
        self.doc_id: str | None = None
        self.editor: Editor | None = None  # over the state shown (acknowledged + pending changes)
        self.acked: Annotations | None = None  # the last state the store acknowledged
        self.saver = Saver()
        self.linking: str | None = None  # claim id whose claimer is being picked by moving
        self._history_pending = 0  # undo/redo sent, not yet answered: the next state is unknown
        self._form: ClaimFormScreen | None = None
        self._gone = False
        self._indexes: OrderedDict[str, TextIndex] = OrderedDict()
        self._position_timer = None
        self._panel_timer = None
        self._opening = 0  # bumped per opened document: answers from workers for an older one are dropped
        self._hidden: int | None = 0  # the open document's invisible characters; None while being counted
        self.counting = Lane(self, "count", self._era)
        self.proposing = Lane(self, "propose", self._era)  # quick recommenders (``FindActions``)
        self.proposing_slow = Lane(self, "propose-slow", self._era)  # a model's: never holds up the others

    ALWAYS_AVAILABLE = frozenset({"help", "toggle_theme", "toggle_controls", "document_list", "goto_document", "clear",
                                  "already_saved"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """With no document open (an empty store) only help, theme and the lists work."""
        if self.doc_id is None and action not in self.ALWAYS_AVAILABLE:
            return False
        return True

    @property
    def state(self) -> Annotations | None:
        return self.editor.state if self.editor is not None else None

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="main"):
            yield DocHeader(id="header")
            with Horizontal(id="body"):
                yield DocumentView(self.schema, direction=self.direction,
                                   on_cursor=self.cursor_moved, id="document")
                yield SpanPanel(self.schema, id="spans")
            yield StatusLine(self.clock, id="status")
            yield SteadyFooter()

    @property
    def view(self) -> DocumentView:
        return self.query_one(DocumentView)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    def on_mount(self) -> None:
        self.saver.wake = lambda: self.post_message(SaverAnswered())  # thread-safe
        self.session.pending = self.saver
        # the queue and its progress read once here (progress then kept by each commit), and where to start
        self.documents, start = self.session.opening()
        self._check_size()
        if start.doc_id is not None:
            self.open_document(start.doc_id, start.cursor, save=False)  # a failure is said on the status line
        else:
            self.status.say("no documents in the store: run `annotator annotate FILE.txt…` to add some", error=True)
        if self.doc_id is None:  # nothing to paint (no document, or it failed to open): start-up ends
            self.post_message(self.Empty())
        self.view.focus()

    def on_unmount(self) -> None:
        self._gone = True  # answers still arriving have no screen to draw on
        for lane in (self.counting, self.proposing, self.proposing_slow):
            lane.close()
        self.saver.close()  # whatever is queued still reaches the store
        if self.session.pending is self.saver:
            self.session.pending = None

    def close(self) -> None:
        """Quitting: save where the annotator is and wait for every queued save."""
        self.save_position()
        self.saver.settle()

    def on_resize(self, event: events.Resize) -> None:
        self._check_size()

    def _check_size(self) -> None:
        width, height = self.app.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.query_one("#main").display = not small
        notices = self.query("#too-small").results(Static)
        notice = next(notices, None)
        if notice is None:
            if not small:
                return
            notice = Static("", id="too-small")  # made the first time it is needed: one widget less to build
            self.mount(notice)
        notice.display = small
        if small:
            notice.update(f"The window is {width}×{height}; annotator needs at least "
                          f"{MIN_WIDTH}×{MIN_HEIGHT}. Enlarge it (nothing is lost).")

    # -- documents ------------------------------------------------------------------------
    def _index(self, doc_id: str, text: Text) -> TextIndex:
        index = self._indexes.get(doc_id)
        if index is None or index.text != text:
            index = TextIndex(text)
            self._indexes[doc_id] = index
            if len(self._indexes) > 8:
                self._indexes.popitem(last=False)
        self._indexes.move_to_end(doc_id)
        return index

    def open_document(self, doc_id: str, cursor: int = 0, save: bool = True) -> None:
        """Show ``doc_id``; the current document's queued saves finish (and are answered) first."""
        if save:
            self.save_position()
        self.saver.settle()
        try:
            text = self.session.text(doc_id)  # a big one is read by ranges: the first screen reads what it shows
            state = self.session.annotations(doc_id)
        except AnnotatorError as exc:
            self.status.say(str(exc), error=True)
            return
        self.doc_id = doc_id
        self._opening += 1
        self.editor = Editor(self.schema, text, state)
        self.acked = state
        self.linking = None
        self.view.set_document(text, state, cursor, index=self._index(doc_id, text), spans=self.editor.spans)
        self.query_one(SpanPanel).show(text, state)
        self._show_header()
        self._count_hidden(text)
        if save:
            self.save_position()
        self.run_recommenders()

    def _era(self) -> tuple[str | None, int]:
        """Which document opening is current (what a worker's answer must still match)."""
        return self.doc_id, self._opening

    def _count_hidden(self, text: Text) -> None:
        """Count the invisible characters once per opening (F2 reuses the count): a short text at
        once; a longer one with a C scan that releases the GIL, in a worker, once the first
        screen is painted (a stored text a piece at a time: never whole)."""
        self._hidden = None
        if len(text) <= HIDDEN_COUNT_NOW:
            self._counted(count_hidden(text))
            return
        era = self._era()

        def count(job: Job) -> None:
            hidden = count_hidden(text)
            job.on_ui(lambda: self._counted(hidden))

        self.set_timer(HIDDEN_COUNT_DELAY, lambda: self.counting.submit(
            count, description="count invisible characters") if self._era() == era else None)

    def _counted(self, hidden: int) -> None:
        """The count arrived: said now if F2 is waiting for it, else if there is anything to show."""
        self._hidden = hidden
        if self.view.show_controls:
            if self.status.message == COUNTING:
                self.status.say(f"invisible characters shown as markers ({hidden} in this document)")
        elif hidden:
            self.status.say(f"this document holds {hidden} invisible character(s) (bidi controls, "
                            "zero-width joiners…): F2 shows them")

    def _show_header(self) -> None:
        if self.doc_id is None or self.state is None:
            return
        header = self.query_one(DocHeader)
        documents = self.documents
        number, count = (documents.number(self.doc_id), len(documents)) if documents is not None else (0, 0)
        header.show(number, count, self.doc_id, self.state.status, self.state.notes)
        progress = self.session.saved_progress()  # kept by the session: no store round trip
        header.progress(progress.finished, progress.total)

    def _step_document(self, delta: int) -> None:
        if self.documents is None or self.doc_id is None:
            return
        target = self.documents.step(self.doc_id, delta)
        if target is None:
            target = self._take_next() if delta > 0 else None
            if target is None:
                self.status.say("no more documents in that direction")
                return
        self.open_document(target)

    def _take_next(self) -> str | None:
        """Past the end of the queue the session may take a new document (dynamic mode)."""
        try:
            taken = self.session.next_document(self.doc_id)
        except AnnotatorError as exc:
            self.status.say(str(exc), error=True)
            return None
        if taken is not None:
            self.documents = self.session.documents()
        return taken

    # -- labelling actions ----------------------------------------------------------------
    def action_label(self, label: str) -> None:
        if self.editor is not None:
            self.last_label = label  # what "label all" uses away from a labelled match
            self.commit(self.editor.label(self.where(), label), then=self._clear_if_added)

    def _clear_if_added(self, edit: Edit) -> None:
        if edit.created is not None:
            self.view.set_selection(None)

    def action_delete_span(self) -> None:
        if self.editor is not None:
            self.commit(self.editor.delete(self.where()))

    def action_activate(self) -> None:
        if self.linking:
            self._finish_link()
        elif self.editor is not None:
            answer = self.editor.activate(self.where())
            if isinstance(answer, ClaimChoice):
                self.open_claim_form(answer.claim_id)
            else:  # an accepted claim proposal opens its form
                self.commit(answer, then=self._open_added_claim)

    # -- documents ------------------------------------------------------------------------
    def action_next_document(self) -> None:
        self._step_document(1)

    def action_previous_document(self) -> None:
        self._step_document(-1)

    def action_set_status(self, status: str) -> None:
        """Done asks first when the document has no label at all, then moves on to the next one."""
        if self.editor is None:
            return
        if status != "done":
            self.commit(self.editor.set_status(status))
            return
        state = self.editor.state
        if state.entities or state.claims:
            self._mark_done()
            return
        from annotator.tui.screens.prompts import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._mark_done()
            else:
                self.status.say("not marked done")

        self.app.push_screen(ConfirmScreen("This document has no labels. Mark it done anyway?"), answered)

    def _mark_done(self) -> None:
        if self.editor is None:
            return
        answer = self.commit(self.editor.set_status("done"))
        if isinstance(answer, Edit):
            before = self.doc_id
            self._step_document(1)
            if self.doc_id != before:
                self.status.say(f"{shown(before)} marked done; this is the next document")
            else:
                self.status.say(f"{shown(before)} marked done; it is the last document")

    def action_goto_document(self) -> None:
        from annotator.tui.screens.prompts import GotoScreen

        def chosen(number: int | None) -> None:
            if number is not None and self.documents is not None:
                doc_id = self.documents.at(number)
                if doc_id is not None:
                    self.open_document(doc_id)
                else:
                    self.status.say(f"no document {number}: there are {len(self.documents)}", error=True)

        self.app.push_screen(GotoScreen(len(self.documents) if self.documents is not None else 0), chosen)

    def action_document_list(self) -> None:
        from annotator.tui.screens.documents import DocumentListScreen

        def chosen(doc_id: str | None) -> None:
            if doc_id and doc_id != self.doc_id:  # the open one stays as it is, cursor included
                self.open_document(doc_id)

        queue = self.documents.queue if self.documents is not None else None
        self.app.push_screen(DocumentListScreen(self.session, queue, self.doc_id), chosen)

    def action_edit_note(self) -> None:
        from annotator.tui.screens.prompts import NoteScreen

        def done(note: str | None) -> None:
            if note is not None and self.editor is not None:
                self.commit(self.editor.set_notes(note))

        self.app.push_screen(NoteScreen(self.state.notes if self.state else ""), done)

    def action_focus_panel(self) -> None:
        if self._panel_timer is not None:
            self._panel_timer.stop()
            self._refresh_panel()
        panel = self.query_one(SpanPanel)
        if panel.has_focus:
            self.view.focus()
            self.status.say("back in the text")
        else:
            panel.focus()
            self.status.say("span list: ↑/↓ choose, enter jumps to the span, tab or esc go back to the text")

    def on_span_panel_jump(self, event: SpanPanel.Jump) -> None:
        """A chosen row (enter or a click) moves the text cursor there and gives the text the focus."""
        self.view.move_to(event.span.start)
        self.view.focus()
        self.call_after_refresh(self.view.focus)  # after the click that focused the panel

    def on_span_panel_refused(self, event: SpanPanel.Refused) -> None:
        self.status.say("the span list has the focus: ↑/↓ and enter choose a span, tab or esc go back "
                        "to the text")

    # -- app ------------------------------------------------------------------------------
    def action_help(self) -> None:
        from annotator.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen.of(self, self.schema))

    def action_already_saved(self) -> None:
        self.status.say("nothing to save: every change was saved the moment it was made")

    def action_toggle_controls(self) -> None:
        show = not self.view.show_controls
        self.view.set_show_controls(show)
        hidden = self._hidden  # counted when the document opened (None: still being counted)
        self.status.say("invisible characters hidden" if not show else COUNTING if hidden is None
                        else f"invisible characters shown as markers ({hidden} in this document)")

    def action_toggle_theme(self) -> None:
        self.app.theme = "textual-light" if self.app.theme == "textual-dark" else "textual-dark"
