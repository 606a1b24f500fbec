"""The annotation screen's write path: show a change at once, save it in order off the UI thread.

What a key changes is the ``Editor``'s decision; this part only shows the answer and
hands the operation to the ``Saver`` (one writer thread, in order). While the store has
not acknowledged a change the status line says "saving…" (never "saved ✓"); a store
that answers within ``FAST_SAVE`` is shown as saved in the same frame, a slower one
leaves the screen answering keys meanwhile. A save that fails is said in red and undone
on screen (back to the last state the store acknowledged); the saves queued behind it,
planned on it, are cancelled with it. Undo and redo come from the store's log, so the
screen shows their result when the store answers, and refuses edits until then.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from annotator.editing import Answer, Edit, Failed, Outcome, Refusal, Where
from annotator.model.annotations import Annotations
from annotator.session import Change
from annotator.tui.screens.parts import ScreenPart
from annotator.tui.widgets.span_panel import SpanPanel

PANEL_DELAY = 0.05  # seconds: the span list follows an edit one frame or so later
FAST_SAVE = 0.1  # seconds a key waits for the store before it shows "saving…" and moves on


class SaverAnswered(Message):
    """Posted from the writer thread: answers are waiting (delivered here, in Textual's context)."""

    bubble = False


class Writes(ScreenPart):
    """Mixed into ``AnnotateScreen`` (which provides the widgets, ``editor``, ``saver``, ``session``)."""

    def on_saver_answered(self, message: SaverAnswered) -> None:
        self.saver.deliver()

    def save_position(self) -> None:
        """Queued like every write (a slow store never holds up the cursor)."""
        if self.doc_id is not None:
            doc_id, cursor = self.doc_id, self.view.cursor
            self._submit(lambda: self.session.save_position(doc_id, cursor), doc_id, "position")

    def where(self) -> Where:
        view = self.view
        sel = view.selection
        return Where(view.nav.token_span(view.cursor), (sel.start, sel.end) if sel is not None else None)

    def commit(self, answer: Answer | None, *, then: Callable[[Edit], None] | None = None,
               wait: bool = True) -> Answer | None:
        """Show the editor's answer: a refusal in the status line, an edit on screen at once,
        followed by ``then(edit)``, and only then saved (in order, on the writer thread; a
        fast store answers before this returns, unless ``wait`` is False: a recommender's
        thousands of proposals take longer to save than a key may wait). Returns what was shown."""
        if answer is None or self.doc_id is None:
            return None
        if isinstance(answer, Edit) and self._history_pending:
            answer = Refusal("wait a moment: the undo/redo is still being saved", error=True)
        if isinstance(answer, Refusal):
            self.status.say(answer.reason, error=answer.error)
            return answer
        self.show_state(answer.after)
        self.status.say(answer.description)
        if then is not None:
            then(answer)
        doc_id, op = self.doc_id, answer.op
        self._submit(lambda: self.session.apply(doc_id, op), doc_id, "do", wait)
        return answer

    def _submit(self, call: Callable[[], object], doc_id: str, kind: str, wait: bool = True) -> None:
        """Queue a store call; a lone one gets ``FAST_SAVE`` to answer within this key (with ``wait``)."""
        if kind != "position":
            self.status.pending(True)
        self.saver.submit(call, lambda outcome: self._answered(doc_id, kind, outcome),
                          independent=kind == "position")
        if wait and self.saver.pending == 1:
            self.saver.settle(FAST_SAVE)

    def _answered(self, doc_id: str, kind: str, outcome: Outcome) -> None:
        """The store answered a queued call (on this thread, in the order they were queued)."""
        if kind in ("undo", "redo"):
            self._history_pending -= 1
        if self._gone:
            return
        if isinstance(outcome, Failed) and kind == "position":  # changes nothing shown: just say so
            self.status.say(f"cursor position not saved: {outcome.message}", error=True)
        elif isinstance(outcome, Failed):
            self._failed(doc_id, outcome)
        elif kind != "position" and doc_id == self.doc_id:
            change = outcome.value
            assert change is None or isinstance(change, Change)
            if change is not None:
                self.acked = change.state
                if kind != "do" or not self.saver.changes_pending:  # not a cursor position: a change behind answers
                    self.show_state(change.state, cursor_to_change=kind != "do")
                if kind != "do":
                    self.status.say(change.description)
                self.status.saved()
            elif kind != "do":
                self.status.say(f"nothing to {kind} in this document")
        self.status.pending(self.saver.pending > 0)

    def _failed(self, doc_id: str, outcome: Failed) -> None:
        """Undo on screen what the store did not take (back to its last acknowledged state)."""
        shown_error = self.status.error
        if doc_id == self.doc_id and self.acked is not None and self.state != self.acked:
            self.show_state(self.acked)
        if not (outcome.cancelled and shown_error):
            self.status.say(f"not saved: {outcome.message}", error=True)
        if self._form is not None:
            self._form.show_problem(f"not saved: {outcome.message}")

    def show_state(self, state: Annotations, cursor_to_change: bool = False) -> None:
        """Draw ``state`` (the editor's from now on): text, side panel, header, open claim form."""
        if self.editor is None:
            return
        change = self.editor.show(state)  # found once, handed to the view and the side panel
        if cursor_to_change:
            ranges = change.ranges()
            if ranges:
                self.view.move_to(min(r[0] for r in ranges))
        self.view.set_state(state, self.editor.spans, change)
        self.view.set_related(self._related())  # e.g. a mention just linked to an identity
        self.query_one(SpanPanel).follow(change)
        if change:
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
