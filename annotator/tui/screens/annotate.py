"""The annotation screen: wires keys to the session and the session's answers to the widgets.

No business rule lives here: every change goes through ``AnnotationSession`` (which
validates it and saves it before returning); a refusal is shown in the status line.
"""

from __future__ import annotations

from collections import OrderedDict

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.session import AnnotationSession, Change
from annotator.text import TextIndex
from annotator.text.controls import count_hidden
from annotator.tui.bindings import screen_bindings
from annotator.tui.shown import shown
from annotator.tui.spans import changed_ranges
from annotator.tui.widgets.doc_header import DocHeader
from annotator.tui.widgets.document_view import DocumentView
from annotator.tui.widgets.span_panel import SpanPanel, span_text
from annotator.tui.widgets.status_line import StatusLine

MIN_WIDTH, MIN_HEIGHT = 80, 24
POSITION_DEBOUNCE = 1.0  # seconds of stillness before the cursor position is saved
PANEL_DELAY = 0.05  # seconds: the span list follows an edit one frame or so later


class AnnotateScreen(Screen, inherit_bindings=False):
    """One document at a time; keys from ``bindings.MAIN_KEYS`` plus the schema's hotkeys
    (``bindings.with_schema_keys`` makes the subclass the app opens)."""

    BINDINGS = screen_bindings()

    def __init__(self, session: AnnotationSession, *, clock, direction: str = "rtl") -> None:
        super().__init__()
        self.session = session
        self.schema = session.schema
        self.clock = clock
        self.direction = direction
        self.doc_ids: list[str] = []
        self.doc_id: str | None = None
        self.state: Annotations | None = None
        self.linking: str | None = None  # claim id whose claimer is being picked by moving
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
        self.doc_ids = self.session.document_ids()
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
        if save:
            self.save_position()
        try:
            doc = self.session.document(doc_id)
            state = self.session.annotations(doc_id)
        except AnnotatorError as exc:
            self.status.say(str(exc), error=True)
            return
        self.doc_id = doc_id
        self.state = state
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
        progress = self.session.progress()
        header.progress(progress.finished, progress.total)

    def save_position(self) -> None:
        if self.doc_id is not None:
            try:
                self.session.save_position(self.doc_id, self.view.cursor)
            except AnnotatorError as exc:
                self.status.say(str(exc), error=True)

    def _step_document(self, delta: int) -> None:
        if not self.doc_ids or self.doc_id is None:
            return
        i = self.doc_ids.index(self.doc_id) + delta
        if not 0 <= i < len(self.doc_ids):
            taken = self._take_next() if delta > 0 else None
            if taken is None:
                self.status.say("no more documents in that direction")
                return
            self.open_document(taken)
            return
        self.open_document(self.doc_ids[i])

    def _take_next(self) -> str | None:
        """Past the end of the queue the session may take a new document (dynamic mode)."""
        try:
            taken = self.session.next_document(self.doc_id)
        except AnnotatorError as exc:
            self.status.say(str(exc), error=True)
            return None
        if taken is not None:
            self.doc_ids = self.session.document_ids()
        return taken

    # -- the write path -------------------------------------------------------------------
    def apply(self, call, *args, cursor_to_change: bool = False) -> Change | None:
        """Run a session call; show the result or the refusal. Returns the change."""
        if self.doc_id is None:
            return None
        try:
            change = call(self.doc_id, *args)
        except AnnotatorError as exc:  # OperationError (refused) or StoreError
            self.status.say(str(exc), error=True)
            return None
        if change is None:
            return None
        self.show_change(change, cursor_to_change=cursor_to_change)
        return change

    def show_change(self, change: Change, cursor_to_change: bool = False) -> None:
        old = self.state
        self.state = change.state
        if cursor_to_change:
            ranges = changed_ranges(old, change.state)
            if ranges:
                self.view.move_to(min(r[0] for r in ranges))
        self.view.set_state(change.state)
        self._schedule_panel()
        self._show_header()
        self.status.saved()
        self.status.say(change.description)

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
        if self.state is None:
            return ""
        spans = self.spans_under_cursor()
        parts = []
        for span in spans[:3]:
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
    def _selection_or_token(self):
        from annotator.tui.cursor import Selection

        view = self.view
        if view.selection is not None:
            return view.selection
        start, end = view.nav.token_span(view.cursor)
        return Selection(start, end, view.cursor)

    def action_select_sentence(self) -> None:
        from annotator.tui.cursor import Selection

        view = self.view
        span = view.nav.sentence_span(view.cursor)
        if span is not None:
            view.set_selection(Selection(span[0], span[1], view.cursor))

    def _edit_edges(self, change) -> None:
        """Apply an edge change: to the selection if there is one, else to the innermost
        span under the cursor (saved at once), else to a selection of the word."""
        from annotator.tui.cursor import Selection

        view = self.view
        span = self._span_under_cursor() if view.selection is None else None
        if span is None:
            view.set_selection(change(self._selection_or_token()))
            return
        moved = change(Selection(span.start, span.end, span.start))
        if (moved.start, moved.end) == (span.start, span.end):
            self.status.say("that edge cannot move further")
        elif isinstance(span, Entity):
            self.apply(self.session.move_entity, span.id, moved.start, moved.end)
        else:
            self.apply(self.session.move_claim, span.id, moved.start, moved.end)

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
        """Label the selection (or the word); relabel an entity that has exactly those bounds,
        or, with no selection, the innermost entity under the cursor."""
        if self.state is None:
            return
        view = self.view
        start, end = view.marked()
        target = next((e for e in self.state.entities if (e.start, e.end) == (start, end)), None)
        if target is None and view.selection is None:
            target = next((s for s in self.spans_under_cursor() if isinstance(s, Entity)), None)
        if target is not None:
            if target.label == label and target.source is None:
                self.status.say(f"already {label}")
                return
            if target.label == label:
                self.apply(self.session.accept, target.id)
            else:
                self.apply(self.session.relabel_entity, target.id, label)
            return
        if self.apply(self.session.add_entity, start, end, label):
            view.set_selection(None)

    def spans_under_cursor(self) -> list[Entity | Claim]:
        """Spans touching the word under the cursor, innermost (shortest) first.

        The word, not just its first character: a span whose start was nudged past a
        proclitic (و|الرئيس) is still "under" the cursor resting on the word."""
        if self.state is None:
            return []
        start, end = self.view.nav.token_span(self.view.cursor)
        end = max(end, start + 1)
        hits = [s for s in (*self.state.entities, *self.state.claims) if s.start < end and s.end > start]
        return sorted(hits, key=lambda s: (s.end - s.start, s.start))

    def _span_under_cursor(self, kind=None, pre_only: bool = False):
        if self.state is None:
            return None
        view = self.view
        spans = self.spans_under_cursor()
        if view.selection is not None:
            exact = [s for s in (*self.state.entities, *self.state.claims)
                     if (s.start, s.end) == (view.selection.start, view.selection.end)]
            spans = exact + [s for s in spans if s not in exact]
        for span in spans:
            if kind is not None and not isinstance(span, kind):
                continue
            if pre_only and span.source is None:
                continue
            return span
        return None

    def action_delete_span(self) -> None:
        span = self._span_under_cursor()
        if span is None:
            self.status.say("nothing to delete here")
        elif isinstance(span, Entity):
            self.apply(self.session.remove_entity, span.id)
        else:
            self.apply(self.session.remove_claim, span.id)

    def action_activate(self) -> None:
        if self.linking:
            self._finish_link()
            return
        span = self._span_under_cursor(pre_only=True)
        if span is not None:
            self.apply(self.session.accept, span.id)
            return
        if self._span_under_cursor(Claim) is not None:
            self.action_edit_claim()
            return
        self.status.say("enter accepts a pre-annotation or edits a claim; nothing of that here")

    # -- claims ---------------------------------------------------------------------------
    def action_claim(self) -> None:
        view = self.view
        if view.selection is not None:
            start, end = view.selection.start, view.selection.end
        else:
            span = view.nav.sentence_span(view.cursor)
            if span is None:
                self.status.say("no sentence here to mark as a claim")
                return
            start, end = span
        change = self.apply(self.session.add_claim, start, end)
        if change is not None:
            view.set_selection(None)
            claim = next((c for c in change.state.claims if (c.start, c.end) == (start, end)), None)
            if claim is not None:
                self.open_claim_form(claim.id)

    def action_edit_claim(self) -> None:
        claim = self._span_under_cursor(Claim)
        if claim is None:
            self.status.say("no claim under the cursor")
            return
        self.open_claim_form(claim.id)

    def open_claim_form(self, claim_id: str) -> None:
        from annotator.tui.screens.claim_form import ClaimFormScreen

        def closed(result: str | None) -> None:
            if result == "link-by-moving":
                self.start_link(claim_id)

        self.app.push_screen(ClaimFormScreen(self, claim_id), closed)

    def action_link_claimer(self) -> None:
        claim = self._span_under_cursor(Claim)
        if claim is None:
            self.status.say("put the cursor on a claim first")
            return
        self.start_link(claim.id)

    def start_link(self, claim_id: str) -> None:
        self.linking = claim_id
        self.view.set_selection(None)
        self.status.set_info(self.describe_cursor())

    def _finish_link(self) -> None:
        claim_id, self.linking = self.linking, None
        entity = self._span_under_cursor(Entity)
        if entity is None:
            self.linking = claim_id
            self.status.say("no entity under the cursor: move to the claimer (esc cancels)", error=True)
            return
        self.apply(self.session.link_claimer, claim_id, entity.id)

    # -- documents ------------------------------------------------------------------------
    def action_next_document(self) -> None:
        self._step_document(1)

    def action_previous_document(self) -> None:
        self._step_document(-1)

    def action_set_status(self, status: str) -> None:
        if status == "done" and self.doc_id is not None:
            missing = self.session.missing_for_done(self.doc_id)
            if missing:
                self.status.say("cannot mark done: " + "; ".join(missing), error=True)
                return
        self.apply(self.session.set_status, status)

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
            if note is not None and self.state is not None and note != self.state.notes:
                self.apply(self.session.set_notes, note)

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
    def _history(self, call, what: str) -> None:
        if self.doc_id is None:
            return
        try:
            change = call(self.doc_id)
        except AnnotatorError as exc:
            self.status.say(str(exc), error=True)
            return
        if change is None:
            self.status.say(f"nothing to {what} in this document")
        else:
            self.show_change(change, cursor_to_change=True)

    def action_undo(self) -> None:
        self._history(self.session.undo, "undo")

    def action_redo(self) -> None:
        self._history(self.session.redo, "redo")

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
