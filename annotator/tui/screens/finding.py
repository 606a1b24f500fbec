"""The annotation screen's "label faster" keys (issue 13): find, label all, proposals.

What a key changes is the ``Editor``'s answer (``editing.find`` for matches and "label
all", ``recommend.apply`` for proposals); this part maps keys to it, runs the recommenders
given with ``--recommender`` on each opened document (a slow one in a worker thread) and
tells a learning one about each change.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from annotator.editing import Answer, Edit, Refusal, find_matches, step_match
from annotator.editing.find import count_matches, next_match
from annotator.errors import AnnotatorError
from annotator.layout.windows import WINDOW
from annotator.model.annotations import Annotations, Document, Entity
from annotator.tui.cursor import Selection
from annotator.tui.screens.parts import ScreenPart

if TYPE_CHECKING:  # recommend is imported when a recommender runs or a proposal is shown: not at start-up
    from annotator.recommend import Proposal, Recommender

COUNT_WINDOWS = 32  # the find box counts matches in the first 32 windows (32,768 characters) as you type


class FindActions(ScreenPart):
    """Mixed into ``AnnotateScreen`` (which provides ``view``, ``status``, ``editor``, ``commit``,
    ``session``); it comes first so its ``commit`` sees every change (to teach recommenders)."""

    find_query: str = ""
    last_label: str | None = None
    recommenders: tuple[Recommender, ...] = ()
    _prepared: set[str]

    # -- find -----------------------------------------------------------------------------
    def _matches(self) -> list[tuple[int, int]]:
        return find_matches(self.view.index, self.find_query) if self.find_query else []

    def action_find(self) -> None:
        def chosen(query: str | None) -> None:
            if query is not None:
                self.find_query = query
                self._step_match(backwards=False, from_cursor=self.view.cursor - 1)

        from annotator.tui.screens.prompts import FindScreen  # prompts and dialogs: imported when one opens

        count = partial(count_matches, self.view.index, limit=COUNT_WINDOWS)
        self.app.push_screen(FindScreen(self._find_default(), count, within=COUNT_WINDOWS * WINDOW), chosen)

    def _find_default(self) -> str:
        """What find starts with (selected: typing replaces it): the selection, else the entity under
        the cursor, else the last query; so labelling one mention and then ctrl+f enter ctrl+a labels
        them all."""
        sel = self.view.selection
        under = self.editor.span_at(self.where(), Entity) if self.editor is not None else None
        bounds = (sel.start, sel.end) if sel is not None else (under.start, under.end) if under is not None else None
        if bounds is not None:
            marked = self.view.text[bounds[0]:bounds[1]]
            if marked.strip() and "\n" not in marked:
                return marked
        return self.find_query

    def action_find_next(self) -> None:
        self._step_match(backwards=False)

    def action_find_previous(self) -> None:
        self._step_match(backwards=True)

    def _step_match(self, backwards: bool, from_cursor: int | None = None) -> None:
        if not self.find_query:
            self.status.say("nothing to find yet: ctrl+f asks what to find")
            return
        if from_cursor is None:  # from the match shown (its start may be past a proclitic), else the cursor
            sel = self.view.selection
            from_cursor = sel.start if sel is not None else self.view.cursor
        index = self.view.index
        if index.windows.count <= COUNT_WINDOWS:  # small enough to count every match as we go
            matches = self._matches()
            i = step_match(matches, from_cursor, backwards)
            found = matches[i] if i is not None else None
            where = f"{i + 1} of {len(matches)}" if i is not None else ""
        else:  # searched outwards from the cursor, a window at a time, never the whole text
            found = next_match(index, self.find_query, from_cursor, backwards)
            where = f"at {found[0]}–{found[1]}" if found is not None else ""
        if found is None:
            self.status.say(f"no match of «{self.find_query}» in this document", error=True)
            return
        start, end = found
        self.view.move_to(start, selection=Selection(start, end, start))
        self.status.say(f"match {where} for «{self.find_query}» (a label key labels it, "
                        "ctrl+a labels them all)")

    def action_label_all(self) -> None:
        """Every match of the last find, with the label under the cursor, else the last label key's."""
        if self.editor is None:
            return
        if not self.find_query:
            self.status.say("find first (ctrl+f), then ctrl+a labels every match", error=True)
            return
        under = self.editor.span_at(self.where(), Entity)
        label = under.label if isinstance(under, Entity) else self.last_label
        if label is None:
            self.status.say("which label? press a label key on one match first, then ctrl+a", error=True)
            return
        self.commit(self.editor.label_all(self._matches(), label, self.find_query))

    # -- proposals ------------------------------------------------------------------------
    def action_reject_proposal(self) -> None:
        if self.editor is not None:
            self.commit(self.editor.reject(self.where()))

    def action_next_proposal(self, backwards: int = 0) -> None:
        if self.editor is None:
            return
        span = self.editor.next_proposal(self.view.cursor, bool(backwards))
        if isinstance(span, Refusal):
            self.status.say(span.reason)
            return
        self.view.move_to(span.start)
        count = len([s for s in (*self.editor.state.entities, *self.editor.state.claims) if s.source])
        from annotator.recommend import recommender_of

        name = recommender_of(span) or span.source
        self.status.say(f"proposal from {name} ({count} left): enter or a label key accepts, ctrl+r rejects")

    # -- recommenders ---------------------------------------------------------------------
    def run_recommenders(self) -> None:
        """Propose on the document just opened: a quick recommender here, a slow one in a worker."""
        if not self.recommenders or self.doc_id is None or self.editor is None:
            return
        doc = self.session.document(self.doc_id)
        for rec in self.recommenders:
            state = self.editor.state
            if rec.slow:
                self.status.say(f"{rec.name}: proposing…")
                self.run_worker(partial(self._propose_in_worker, rec, doc, state), thread=True,
                                group="recommenders")
            else:
                self._proposed(doc.id, rec, self._propose(rec, doc, state))

    def _propose(self, rec: Recommender, doc: Document, state: Annotations) -> list[Proposal] | str:
        """The proposals, or the one line that says why there are none (a missing model)."""
        from annotator.recommend import RecommendContext, RecommenderUnavailable

        context = RecommendContext(self.schema, self.session.annotator)
        try:
            if rec.name not in self._prepared_names():
                rec.prepare(self.session.store, context)
                self._prepared.add(rec.name)
            return rec.propose(doc, state, context)
        except RecommenderUnavailable as exc:
            return str(exc)
        except AnnotatorError as exc:
            return f"{rec.name}: {exc}"

    def _propose_in_worker(self, rec: Recommender, doc: Document, state: Annotations) -> None:
        result = self._propose(rec, doc, state)
        self.app.call_from_thread(self._proposed, doc.id, rec, result)

    def _prepared_names(self) -> set[str]:
        if not hasattr(self, "_prepared"):
            self._prepared = set()
        return self._prepared

    def _proposed(self, doc_id: str, rec: Recommender, result: list[Proposal] | str) -> None:
        if isinstance(result, str):
            self.status.say(result, error=True)
            return
        if doc_id != self.doc_id or self.editor is None:
            return  # the annotator has moved on; the next opening proposes again
        answer = self.editor.propose(result)
        if answer is None:
            self.status.say(f"{rec.name}: nothing new to propose here")
        else:
            self.commit(answer)

    def commit(self, answer: Answer | None, **kwargs) -> Answer | None:
        """Every change also teaches the recommenders that learn (``string-match``)."""
        shown = super().commit(answer, **kwargs)
        if isinstance(shown, Edit) and self.doc_id is not None:
            learners = [r for r in self.recommenders if r.learns]
            if learners:
                doc = self.session.document(self.doc_id)
                for rec in learners:
                    rec.observe(doc, shown.after)
                if _taught(shown.before) != _taught(shown.after):
                    self._propose_again(doc, [r for r in learners if not r.slow], shown.description)
        return shown

    def _propose_again(self, doc: Document, learners: list[Recommender], said: str) -> None:
        """What was just labelled by hand is proposed wherever else it occurs in this document too
        (issue 13: "in this document and the next ones"), as its own undo step after the label;
        the status line keeps saying what the key did, and adds how many proposals followed."""
        for rec in learners:
            if self.editor is None or self.doc_id != doc.id:
                return
            before = self.editor.state
            result = self._propose(rec, doc, before)
            answer = self.editor.propose(result) if isinstance(result, list) and result else None
            if isinstance(self.commit(answer), Edit) and self.editor is not None:
                added = _proposed(self.editor.state) - _proposed(before)
                said = f"{said}; {rec.name} proposes {added} more here (f4 goes to them)"
                self.status.say(said)


def _taught(state: Annotations) -> set[tuple[int, int, str]]:
    """The spans labelled by hand (what a learning recommender learns from)."""
    return {(e.start, e.end, e.label) for e in state.entities if e.source is None}


def _proposed(state: Annotations) -> int:
    return sum(1 for e in state.entities if e.source)
