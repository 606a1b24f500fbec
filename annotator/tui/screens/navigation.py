"""The annotation screen's cursor: moving, selecting, and what the status line says is under it.

Where a key moves the cursor is the ``Navigator``'s answer; which span an edge key
moves is the ``Editor``'s. This part maps the keys to them.
"""

from __future__ import annotations

from collections.abc import Callable

from annotator.model.annotations import Claim, Entity
from annotator.tui.cursor import Selection
from annotator.tui.screens.parts import ScreenPart
from annotator.tui.shown import shown
from annotator.tui.widgets.span_panel import span_text

POSITION_DEBOUNCE = 1.0  # seconds of stillness before the cursor position is saved


class Navigation(ScreenPart):
    """Mixed into ``AnnotateScreen`` (which provides ``view``, ``status``, ``editor``, ``commit``)."""

    def cursor_moved(self) -> None:
        self.status.set_info(self.describe_cursor())
        self.view.set_related(self._related())
        if self._position_timer is not None:
            self._position_timer.stop()
        self._position_timer = self.set_timer(POSITION_DEBOUNCE, self.save_position)

    def _related(self) -> tuple[tuple[int, int], ...]:
        """On a claim: its claimer; on an entity: the claims it made and the other mentions of its
        identity (highlighted in the text)."""
        if self.editor is None:
            return ()
        state = self.editor.state
        for span in self.editor.spans_under(self.where()):
            if isinstance(span, Entity):
                made = tuple((c.start, c.end) for c in state.claims if c.claimer == span.id)
                same = tuple((e.start, e.end) for e in state.mentions(span.identity) if e.id != span.id)
                if made or same:
                    return made + same
            elif isinstance(span, Claim) and span.claimer and (claimer := state.entity(span.claimer)) is not None:
                return ((claimer.start, claimer.end),)
        return ()

    def describe_cursor(self) -> str:
        view = self.view
        if self.linking:
            return f"claimer for {shown(self.linking)}: move to an entity and press enter (esc cancels)"
        if self.editor is None:
            return ""
        parts = []
        guideline = ""
        for span in self.editor.spans_under(self.where())[:3]:
            where = f"{span.start}–{span.end}"
            text = span_text(view.text, span.start, span.end, 30)
            pre = f" (pre-annotated: {shown(span.source)}, enter accepts)" if span.source else ""
            if isinstance(span, Entity):
                made = [shown(c.id) for c in self.editor.state.claims if c.claimer == span.id]
                said = f" claimer of {', '.join(made)}" if made else ""
                parts.append(f"{shown(span.label)} «{text}» {where}{said}{self._identity(span)}{pre}")
                guideline = guideline or self._guideline(span.label)
            elif isinstance(span, Claim):
                attrs = " ".join(f"{shown(k)}={shown(v)}" for k, v in sorted(span.attributes.items())
                                 if v is not None)
                claimer = self.editor.state.entity(span.claimer) if span.claimer else None
                who = (f" claimer «{span_text(view.text, claimer.start, claimer.end, 20)}» ({shown(claimer.id)})"
                       f"{self._identity(claimer)}"
                       if claimer is not None else f" claimer={shown(span.claimer)}" if span.claimer else "")
                parts.append(f"claim {shown(span.id)} {where} {attrs}{who}{pre}")
        if guideline:
            parts.append(guideline)
        if view.selection is not None:
            s = view.selection
            parts.insert(0, f"selected «{span_text(view.text, s.start, s.end, 30)}» {s.start}–{s.end}")
        if not parts:
            start, end = view.nav.token_span(view.cursor)
            parts.append(f"«{span_text(view.text, start, end, 30)}» {start}–{end}")
        return " │ ".join(parts)

    def _identity(self, entity: Entity) -> str:
        """The identity ``entity`` is a mention of: its first mention's text and the mention count."""
        mentions = self.editor.state.mentions(entity.identity) if self.editor is not None else ()
        if not mentions:
            return ""
        first = mentions[0]
        return (f" ≡ {shown(entity.identity)} «{span_text(self.view.text, first.start, first.end, 20)}» "
                f"×{len(mentions)}")

    def _guideline(self, label: str) -> str:
        """The schema's guideline for ``label`` (issue 13 §4): where it is needed, under the cursor."""
        spec = self.schema.label(label)
        if spec is None:
            return ""
        text = spec.guideline or spec.guideline_ar
        if not text:
            return ""
        names = " · ".join(shown(n) for n in (spec.name_en, spec.name_ar) if n)
        return f"{names}: {shown(text)}"

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
        editor = self.editor
        span = editor.edge_span(self.where()) if editor is not None else None
        if editor is None or span is None:
            start, end = view.marked()
            old = view.selection or Selection(start, end, view.cursor)
            new = change(old)
            refused = editor.edge_refusal((old.start, old.end), (new.start, new.end)) if editor else None
            if refused is not None:
                self.status.say(refused.reason)
                return
            view.set_selection(new)
            return
        moved = change(Selection(span.start, span.end, span.start))
        self.commit(editor.move(span, moved.start, moved.end))

    def action_nudge(self, edge: str, delta: int) -> None:
        self._edit_edges(lambda sel: self.view.nav.nudge(sel, edge, delta))

    def action_clitic(self, forward: int) -> None:
        self._edit_edges(lambda sel: self.view.nav.clitic_jump(sel, bool(forward)))

    def action_clear(self) -> None:
        if not self.view.has_focus and self.focused is not None:
            self.view.focus()  # esc in the span list: back to the text
            self.status.say("back in the text")
            return
        if self.linking:
            self.linking = None
            self.status.say("claimer linking cancelled")
            return
        self.view.set_selection(None)
