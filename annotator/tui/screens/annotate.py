"""The annotation screen: maps keys and mouse events to the ``Editor`` and draws its answers.

No rule lives here. What a key changes is the editor's decision (``annotator.editing``);
the change is shown at once and saved by the ``Saver`` on its writer thread, in order.
While the store has not acknowledged it the status line says "saving…" (never
"saved ✓"); a fast store answers within ``FAST_SAVE`` and the screen shows "saved ✓"
in the same frame, a slow one leaves the screen answering keys meanwhile. A save
that fails is shown in red and undone on screen (back to the last acknowledged state).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingsMap
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from annotator.editing import Answer, ClaimChoice, Edit, Editor, Failed, Outcome, Refusal, Saver, Where
from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Entity
from annotator.session import AnnotationSession, Change
from annotator.text import TextIndex
from annotator.text.controls import count_hidden
from annotator.tui.bindings import main_bindings
from annotator.tui.cursor import Selection
from annotator.tui.screens.claim_form import ClaimFormScreen
from annotator.tui.shown import shown
from annotator.tui.spans import changed_ranges
from annotator.tui.widgets.claim_form import CLAIMER_ROW
from annotator.tui.widgets.doc_header import DocHeader
from annotator.tui.widgets.document_view import DocumentView
from annotator.tui.widgets.span_panel import SpanPanel, span_text
from annotator.tui.widgets.status_line import StatusLine

MIN_WIDTH, MIN_HEIGHT = 80, 24
POSITION_DEBOUNCE = 1.0  # seconds of stillness before the cursor position is saved
PANEL_DELAY = 0.05  # seconds: the span list follows an edit one frame or so later
FAST_SAVE = 0.1  # seconds a key waits for the store before it shows "saving…" and moves on


class AnnotateScreen(Screen):
    """One document at a time; keys from ``bindings.MAIN_KEYS`` plus the schema's hotkeys."""

    def __init__(self, session: AnnotationSession, *, clock, direction: str = "rtl") -> None:
        super().__init__()
        self.session = session
        self.schema = session.schema
        self._bindings = BindingsMap(main_bindings(self.schema))
        self.clock = clock
        self.direction = direction
        self.doc_ids: list[str] = []
        self.doc_id: str | None = None
        self.editor: Editor | None = None  # over the state shown (acknowledged + pending changes)
        self.acked: Annotations | None = None  # the last state the store acknowledged
        self.saver = Saver()
        self.linking: str | None = None  # claim id whose claimer is being picked by moving
        self._history_pending = 0  # undo/redo sent, not yet answered: the next state is unknown
        self._form: ClaimFormScreen | None = None
        self._indexes: OrderedDict[str, TextIndex] = OrderedDict()
        self._position_timer = None
        self._panel_timer = None

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
            yield Footer()
        yield Static("", id="too-small")

    @property
    def view(self) -> DocumentView:
        return self.query_one(DocumentView)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        self.saver.wake = lambda: loop.call_soon_threadsafe(self.saver.deliver)
        self.session.pending = self.saver
        self.doc_ids = self.session.document_ids()
        self.session.saved_progress(refresh=True)
        position = self.session.position()
        doc_id = position.doc_id if position.doc_id in self.doc_ids else None
        if doc_id is None and self.doc_ids:
            statuses = self.session.statuses()
            doc_id = next((d for d in self.doc_ids if statuses.get(d, "todo") in ("todo", "in_progress")),
                          self.doc_ids[0])
        self._check_size()
        if doc_id is not None:
            self.open_document(doc_id, position.cursor if doc_id == position.doc_id else 0, save=False)
        else:
            self.status.say("no documents in the store: run `annotator annotate FILE.txt…` to add some",
                            error=True)
        self.view.focus()

    def on_unmount(self) -> None:
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
        notice = self.query_one("#too-small", Static)
        notice.display = small
        if small:
            notice.update(f"The window is {width}×{height}; annotator needs at least "
                          f"{MIN_WIDTH}×{MIN_HEIGHT}. Enlarge it (nothing is lost).")

    # -- documents ------------------------------------------------------------------------
    def _index(self, doc_id: str, text: str) -> TextIndex:
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
            doc = self.session.document(doc_id)
            state = self.session.annotations(doc_id)
        except AnnotatorError as exc:
            self.status.say(str(exc), error=True)
            return
        self.doc_id = doc_id
        self.editor = Editor(self.schema, doc.text, state)
        self.acked = state
        self.linking = None
        self.view.set_document(doc.text, state, cursor, index=self._index(doc_id, doc.text))
        self.query_one(SpanPanel).show(doc.text, state)
        self._show_header()
        hidden = count_hidden(doc.text)
        if hidden and not self.view.show_controls:
            self.status.say(f"this document holds {hidden} invisible character(s) (bidi controls, "
                            "zero-width joiners…): F2 shows them")
        if save:
            self.save_position()

    def _show_header(self) -> None:
        if self.doc_id is None or self.state is None:
            return
        header = self.query_one(DocHeader)
        number = self.doc_ids.index(self.doc_id) + 1 if self.doc_id in self.doc_ids else 0
        header.show(number, len(self.doc_ids), self.doc_id, self.state.status, self.state.notes)
        progress = self.session.saved_progress()  # kept by the session: no store round trip
        header.progress(progress.finished, progress.total)

    def save_position(self) -> None:
        """Queued like every write (a slow store never holds up the cursor)."""
        if self.doc_id is not None:
            doc_id, cursor = self.doc_id, self.view.cursor
            self._submit(lambda: self.session.save_position(doc_id, cursor), doc_id, "position")

    def _step_document(self, delta: int) -> None:
        if not self.doc_ids or self.doc_id is None:
            return
        i = self.doc_ids.index(self.doc_id) + delta
        if not 0 <= i < len(self.doc_ids):
            self.status.say("no more documents in that direction")
            return
        self.open_document(self.doc_ids[i])

    # -- the write path -------------------------------------------------------------------
    def where(self) -> Where:
        view = self.view
        sel = view.selection
        return Where(view.nav.token_span(view.cursor), (sel.start, sel.end) if sel is not None else None)

    def commit(self, answer: Answer | None, *, cursor_to_change: bool = False) -> Answer | None:
        """Show the editor's answer: a refusal in the status line, an edit on screen at once
        (then saved in order on the writer thread). Returns what was shown."""
        if answer is None or self.doc_id is None:
            return None
        if isinstance(answer, Edit) and self._history_pending:
            answer = Refusal("wait a moment: the undo/redo is still being saved", error=True)
        if isinstance(answer, Refusal):
            self.status.say(answer.reason, error=answer.error)
            return answer
        self.show_state(answer.after, cursor_to_change=cursor_to_change)
        self.status.say(answer.description)
        doc_id, op = self.doc_id, answer.op
        self._submit(lambda: self.session.apply(doc_id, op), doc_id, "do")
        return answer

    def _submit(self, call: Callable[[], object], doc_id: str, kind: str) -> None:
        """Queue a store call; a lone one gets ``FAST_SAVE`` to answer within this key."""
        if kind != "position":
            self.status.pending(True)
        self.saver.submit(call, lambda outcome: self._answered(doc_id, kind, outcome),
                          independent=kind == "position")
        if self.saver.pending == 1:
            self.saver.settle(FAST_SAVE)

    def _answered(self, doc_id: str, kind: str, outcome: Outcome) -> None:
        """The store answered a queued call (on this thread, in the order they were queued)."""
        if kind in ("undo", "redo"):
            self._history_pending -= 1
        if isinstance(outcome, Failed):
            self._failed(doc_id, outcome)
        elif kind != "position" and doc_id == self.doc_id:
            change = outcome.value
            assert change is None or isinstance(change, Change)
            if change is not None:
                self.acked = change.state
                if kind != "do" or not self.saver.pending:
                    self.show_state(change.state, cursor_to_change=kind != "do")
                if kind != "do":
                    self.status.say(change.description)
                self.status.saved()
            elif kind != "do":
                self.status.say(f"nothing to {kind} in this document")
        self.status.pending(self.saver.pending > 0)

    def _failed(self, doc_id: str, outcome: Failed) -> None:
        """Undo on screen what the store did not take (back to its last acknowledged state)."""
        if not (outcome.cancelled and self.status.error):
            self.status.say(f"not saved: {outcome.message}", error=True)
        if doc_id == self.doc_id and self.acked is not None and self.state != self.acked:
            self.show_state(self.acked, cursor_to_change=True)
        if self._form is not None:
            self._form.show_problem(f"not saved: {outcome.message}")

    def show_state(self, state: Annotations, cursor_to_change: bool = False) -> None:
        """Draw ``state`` (the editor's from now on): text, side panel, header, open claim form."""
        if self.editor is None:
            return
        old, self.editor.state = self.editor.state, state
        if cursor_to_change:
            ranges = changed_ranges(old, state)
            if ranges:
                self.view.move_to(min(r[0] for r in ranges))
        self.view.set_state(state)
        if (old.entities, old.claims) != (state.entities, state.claims):
            self._schedule_panel()
        self._show_header()
        if self._form is not None:
            self._form.show_claim(state)

    def _schedule_panel(self) -> None:
        """Rebuild the side panel a moment later: the text and the status line show the
        change in this frame, the list (which re-lays out the screen) in the next."""
        if self._panel_timer is not None:
            self._panel_timer.stop()
        self._panel_timer = self.set_timer(PANEL_DELAY, self._refresh_panel)

    def _refresh_panel(self) -> None:
        self._panel_timer = None
        if self.doc_id is not None and self.state is not None:
            self.query_one(SpanPanel).show(self.view.text, self.state)

    # -- cursor feedback ------------------------------------------------------------------
    def cursor_moved(self) -> None:
        self.status.set_info(self.describe_cursor())
        if self._position_timer is not None:
            self._position_timer.stop()
        self._position_timer = self.set_timer(POSITION_DEBOUNCE, self.save_position)

    def describe_cursor(self) -> str:
        view = self.view
        if self.linking:
            return f"claimer for {shown(self.linking)}: move to an entity and press enter (esc cancels)"
        if self.editor is None:
            return ""
        parts = []
        for span in self.editor.spans_under(self.where())[:3]:
            where = f"{span.start}–{span.end}"
            text = span_text(view.text, span.start, span.end, 30)
            pre = f" (pre-annotated: {shown(span.source)}, enter accepts)" if span.source else ""
            if isinstance(span, Entity):
                parts.append(f"{shown(span.label)} «{text}» {where}{pre}")
            else:
                attrs = " ".join(f"{shown(k)}={shown(v)}" for k, v in sorted(span.attributes.items())
                                 if v is not None)
                who = f" claimer={shown(span.claimer)}" if span.claimer else ""
                parts.append(f"claim {shown(span.id)} {where} {attrs}{who}{pre}")
        if view.selection is not None:
            s = view.selection
            parts.insert(0, f"selected «{span_text(view.text, s.start, s.end, 30)}» {s.start}–{s.end}")
        if not parts:
            start, end = view.nav.token_span(view.cursor)
            parts.append(f"«{span_text(view.text, start, end, 30)}» {start}–{end}")
        return " │ ".join(parts)

    # -- movement actions -----------------------------------------------------------------
    def action_move(self, key: str) -> None:
        self.view.move_to(self.view.nav.horizontal(self.view.cursor, key))

    def action_extend(self, key: str) -> None:
        view = self.view
        view.move_to(view.nav.horizontal(view.cursor, key), select=True)

    def action_move_line(self, delta: int, select: bool = False) -> None:
        view = self.view
        offset, goal = view.nav.vertical(view.cursor, delta, view.goal_column)
        view.move_to(offset, select=select, keep_goal=True)
        view.goal_column = goal

    def action_extend_line(self, delta: int) -> None:
        self.action_move_line(delta, select=True)

    def action_page(self, direction: int) -> None:
        self.action_move_line(direction * self.view.page_height)

    def action_sentence(self, key: str) -> None:
        view = self.view
        view.move_to(view.nav.sentence_step(view.cursor, view.nav.reading_forward(view.cursor, key)))

    def action_paragraph(self, delta: int) -> None:
        view = self.view
        view.move_to(view.nav.paragraph_step(view.cursor, delta > 0))

    def action_line_edge(self, start: int) -> None:
        view = self.view
        view.move_to(view.nav.line_edge(view.cursor, bool(start)))

    def action_document_edge(self, start: int) -> None:
        self.view.move_to(self.view.nav.document_edge(bool(start)))

    def action_next_unlabelled(self) -> None:
        view = self.view
        target = view.nav.next_unlabelled_sentence(view.cursor, view.spans.covers)
        if target is None:
            self.status.say("every sentence has a label")
        else:
            view.move_to(target)

    # -- selection actions ----------------------------------------------------------------
    def action_select_sentence(self) -> None:
        view = self.view
        span = view.nav.sentence_span(view.cursor)
        if span is not None:
            view.set_selection(Selection(span[0], span[1], view.cursor))

    def _edit_edges(self, change: Callable[[Selection], Selection]) -> None:
        """An edge key moves the selection's edges, else the editor's span under the cursor
        (saved at once), else starts a selection of the word."""
        view = self.view
        span = self.editor.edge_span(self.where()) if self.editor is not None else None
        if span is None:
            start, end = view.marked()
            view.set_selection(change(view.selection or Selection(start, end, view.cursor)))
            return
        moved = change(Selection(span.start, span.end, span.start))
        self.commit(self.editor.move(span, moved.start, moved.end))

    def action_nudge(self, edge: str, delta: int) -> None:
        self._edit_edges(lambda sel: self.view.nav.nudge(sel, edge, delta))

    def action_clitic(self, forward: int) -> None:
        self._edit_edges(lambda sel: self.view.nav.clitic_jump(sel, bool(forward)))

    def action_clear(self) -> None:
        if self.linking:
            self.linking = None
            self.status.say("claimer linking cancelled")
            return
        self.view.set_selection(None)

    # -- labelling actions ----------------------------------------------------------------
    def action_label(self, label: str) -> None:
        if self.editor is not None:
            answer = self.commit(self.editor.label(self.where(), label))
            if isinstance(answer, Edit) and answer.created is not None:
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
            else:
                self.commit(answer)

    # -- claims ---------------------------------------------------------------------------
    def action_claim(self) -> None:
        if self.editor is None:
            return
        view = self.view
        answer = self.commit(self.editor.add_claim(self.where(), view.nav.sentence_span(view.cursor)))
        if isinstance(answer, Edit) and answer.created is not None:
            view.set_selection(None)
            self.open_claim_form(answer.created)

    def action_edit_claim(self) -> None:
        if self.editor is not None:
            self._choose(self.editor.claim_to_edit(self.where()), self.open_claim_form)

    def action_link_claimer(self) -> None:
        if self.editor is not None:
            self._choose(self.editor.claim_to_link(self.where()), self.start_link)

    def _choose(self, answer: ClaimChoice | Refusal, then: Callable[[str], None]) -> None:
        if isinstance(answer, Refusal):
            self.status.say(answer.reason, error=answer.error)
        else:
            then(answer.claim_id)

    def open_claim_form(self, claim_id: str) -> None:
        if self.editor is None:
            return
        form = ClaimFormScreen(self.schema, claim_id, self.editor.state, self.view.text, reply_to=self)

        def closed(result: str | None) -> None:
            self._form = None
            if result == ClaimFormScreen.LINK_BY_MOVING:
                self.start_link(claim_id)

        self._form = form
        self.app.push_screen(form, closed)

    def on_claim_form_screen_save(self, message: ClaimFormScreen.Save) -> None:
        """The claim form asks for a value; its outcome goes back to it as a problem or a new state."""
        if self.editor is None:
            return
        if message.key == CLAIMER_ROW:
            claimer = message.value if isinstance(message.value, str) and message.value else None
            answer = self.editor.set_claimer(message.claim_id, claimer)
        else:
            answer = self.editor.set_claim_attribute(message.claim_id, message.key, message.value)
        shown_answer = self.commit(answer)
        if isinstance(shown_answer, Refusal) and self._form is not None:
            self._form.show_problem(shown_answer.reason)

    def start_link(self, claim_id: str) -> None:
        self.linking = claim_id
        self.view.set_selection(None)
        self.status.set_info(self.describe_cursor())

    def _finish_link(self) -> None:
        if self.editor is None or self.linking is None:
            return
        answer = self.editor.link_claimer(self.linking, self.where())
        if isinstance(answer, Edit):
            self.linking = None
        self.commit(answer)

    # -- documents ------------------------------------------------------------------------
    def action_next_document(self) -> None:
        self._step_document(1)

    def action_previous_document(self) -> None:
        self._step_document(-1)

    def action_set_status(self, status: str) -> None:
        if self.editor is not None:
            self.commit(self.editor.set_status(status))

    def action_goto_document(self) -> None:
        from annotator.tui.screens.prompts import GotoScreen

        def chosen(number: int | None) -> None:
            if number is not None:
                if 1 <= number <= len(self.doc_ids):
                    self.open_document(self.doc_ids[number - 1])
                else:
                    self.status.say(f"no document {number}: there are {len(self.doc_ids)}", error=True)

        self.app.push_screen(GotoScreen(len(self.doc_ids)), chosen)

    def action_document_list(self) -> None:
        from annotator.tui.screens.documents import DocumentListScreen

        def chosen(doc_id: str | None) -> None:
            if doc_id:
                self.open_document(doc_id)

        self.app.push_screen(DocumentListScreen(self.session, self.doc_ids, self.doc_id), chosen)

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
        else:
            panel.focus()

    def on_span_panel_jump(self, event: SpanPanel.Jump) -> None:
        self.view.move_to(event.span.start)
        self.view.focus()

    # -- history --------------------------------------------------------------------------
    def _history(self, kind: str) -> None:
        """Undo/redo come from the store's log: the screen shows their result when it answers."""
        if self.doc_id is None:
            return
        doc_id, call = self.doc_id, (self.session.undo if kind == "undo" else self.session.redo)
        self._history_pending += 1
        self._submit(lambda: call(doc_id), doc_id, kind)

    def action_undo(self) -> None:
        self._history("undo")

    def action_redo(self) -> None:
        self._history("redo")

    # -- app ------------------------------------------------------------------------------
    def action_help(self) -> None:
        from annotator.tui.screens.help import HelpScreen

        bound = {key: active.binding.action.removeprefix("app.")
                 for key, active in self.active_bindings.items()}
        self.app.push_screen(HelpScreen(bound, self.schema))

    def action_already_saved(self) -> None:
        self.status.say("nothing to save: every change was saved the moment it was made")

    def action_toggle_controls(self) -> None:
        show = not self.view.show_controls
        self.view.set_show_controls(show)
        hidden = count_hidden(self.view.text)
        self.status.say(f"invisible characters shown as markers ({hidden} in this document)" if show
                        else "invisible characters hidden")

    def action_toggle_theme(self) -> None:
        self.app.theme = "textual-light" if self.app.theme == "textual-dark" else "textual-dark"
