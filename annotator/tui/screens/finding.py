"""The annotation screen's "label faster" keys (issue 13): find, label all, proposals.

What a key changes is the ``Editor``'s answer (``editing.find`` for matches and "label
all", ``recommend.apply`` for proposals); this part maps keys to it, runs the recommenders
given with ``--recommender`` on each opened document and tells a learning one about each
change, on the screen's lanes (``tui.lanes``): in a worker for a long document or a slow one.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any

from annotator.editing import Answer, Edit, Refusal, find_matches, step_match
from annotator.editing.find import count_matches, next_match
from annotator.errors import AnnotatorError
from annotator.layout.windows import WINDOW
from annotator.model.annotations import Annotations, Document, Entity
from annotator.tui.cursor import Selection
from annotator.tui.lanes import Job
from annotator.tui.screens.parts import ScreenPart

if TYPE_CHECKING:  # recommend is imported when a recommender runs or a proposal is shown: not at start-up
    from annotator.recommend import Proposal, Recommender

COUNT_WINDOWS = 32  # the find box counts matches in the first 32 windows (32,768 characters) as you type
RECOMMEND_NOW = 20_000  # characters: a longer document's recommenders run in a worker (``lanes``)
_Plan = tuple[Annotations, Answer | None]  # proposals planned in the lane on a state: (that state, the answer)
REPLANS = 3  # a lane plans proposals again this often when keys changed the state meanwhile, then the UI thread does
_READING = threading.Lock()  # one whole-document read at a time (the quick and the slow lane may both want it)


class FindActions(ScreenPart):
    """Mixed into ``AnnotateScreen`` (which provides ``view``, ``status``, ``editor``, ``commit``,
    ``session``); it comes first so its ``commit`` sees every change (to teach recommenders)."""

    find_query: str = ""
    last_label: str | None = None
    recommenders: tuple[Recommender, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepared: set[str] = set()  # the recommenders prepared (``_prepare``: once each)
        self._kept_document: Document | None = None  # the last document read whole (``_open_document``)

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
        """Propose on the document just opened. The quick recommenders run in order on one lane
        (each sees the proposals of those before it: claim-cues finds its claimers among them):
        at once on a short document, in a worker on a longer one; a slow one (a model) on its own
        lane, always in a worker. Answers for a document already left are dropped (``lanes``)."""
        if not self.recommenders or self.doc_id is None or self.editor is None:
            return
        doc_id, inline = self.doc_id, len(self.view.text) <= RECOMMEND_NOW
        quick = [r for r in self.recommenders if not r.slow]
        if quick:
            self.proposing.submit(partial(self._propose_on_lane, quick, doc_id, None),
                                  description="recommenders propose", inline=inline)
        for rec in self.recommenders:
            if rec.slow:
                self.status.say(f"{rec.name}: proposing…")
                self.proposing_slow.submit(partial(self._propose_on_lane, [rec], doc_id, None),
                                           description=f"{rec.name} proposes")

    def _propose_on_lane(self, recs: list[Recommender], doc_id: str, label: _AfterLabel | None, job: Job) -> None:
        """The one way proposals are made, on a lane: each recommender in turn, on the state shown
        (with the proposals of those before it), planned here and shown on the UI thread. The
        document is read here, never on the UI thread (a big one's whole text takes a while).
        ``label``: asked again after a hand label; moot once the hand labels have changed (an
        undo queues its own), and the status line keeps saying what the key did."""
        doc = self._open_document(doc_id)
        for rec in recs:
            state = job.on_ui(self._state)  # with the proposals of the recommenders before it
            if state is None or (label is not None and _taught(state) != label.taught):
                return
            problem = self._ready(rec, job)
            result = self._ask(rec, doc, state) if problem is None else problem
            if isinstance(result, str) or not result:
                if label is None:
                    job.on_ui(partial(self._say_none, rec, result))
                continue
            self._deliver(job, rec, result, state, label)

    def _ready(self, rec: Recommender, job: Job) -> str | None:
        """``rec.prepare`` once: a quick one's on the UI thread, where the store is used; a slow
        one's (a model's loading) here on its lane. The one line that says why it cannot propose, or None."""
        return self._prepare(rec) if rec.slow else job.on_ui(partial(self._prepare, rec))

    def _deliver(self, job: Job, rec: Recommender, result: list[Proposal], state: Annotations,
                 label: _AfterLabel | None) -> None:
        """Planned here (fitted and applied: thousands of proposals take a while), taken on the UI
        thread while the state shown is still the one planned on; planned again here when a key
        changed it meanwhile, and only after ``REPLANS`` tries on the UI thread."""
        for _ in range(REPLANS):
            planned = (state, self._plan(result, state))
            moved = job.on_ui(partial(self._take_proposals, rec, result, planned, label))
            if moved is None:
                return
            state = moved
        job.on_ui(partial(self._take_proposals, rec, result, None, label))

    def _plan(self, result: list[Proposal], state: Annotations) -> Answer | None:
        editor = self.editor
        return editor.propose(result, before=state) if editor is not None else None

    def _take_proposals(self, rec: Recommender, result: list[Proposal], planned: _Plan | None,
                        label: _AfterLabel | None) -> Annotations | None:
        """On the UI thread: show the planned proposals as one undo step (saved without the key's
        wait for the store: thousands take longer than that). Returns the state shown when it is
        not the one planned on (plan again), else None."""
        editor = self.editor
        if editor is None or self.doc_id is None or (label is not None and _taught(editor.state) != label.taught):
            return None
        if planned is not None and planned[0] is not editor.state:
            return editor.state
        answer = planned[1] if planned is not None else editor.propose(result)
        if answer is None:
            if label is None:
                self._say_none(rec, [])
            return None
        before = editor.state
        shown = self.commit(answer, wait=False)
        if label is not None and isinstance(shown, Edit) and self.editor is not None:
            added = _proposed(self.editor.state) - _proposed(before)
            label.said = f"{label.said}; {rec.name} proposes {added} more here (f4 goes to them)"
            self.status.say(label.said)
        return None

    def _say_none(self, rec: Recommender, result: list[Proposal] | str) -> None:
        self.status.say(result if isinstance(result, str) else f"{rec.name}: nothing new to propose here",
                        error=isinstance(result, str))

    def _open_document(self, doc_id: str | None = None) -> Document:
        """The open document (or ``doc_id``), kept: ``session.document`` first waits for every
        queued save, which would hold up each change (thousands of proposals being saved). Read
        on a lane: a big document's whole text takes a while (one read at a time). A big one is
        the text shown (``session.text``) read whole a piece at a time, never decoded at once (which
        held up the UI thread); its meta is left out (the recommenders read none)."""
        doc_id = doc_id if doc_id is not None else self.doc_id
        assert doc_id is not None
        with _READING:
            kept = self._kept_document
            if kept is None or kept.id != doc_id:
                text = self.session.text(doc_id)
                kept = self._kept_document = self.session.document(doc_id) if isinstance(text, str) \
                    else Document(doc_id, text.whole())
        return kept

    def _state(self) -> Annotations | None:
        return self.editor.state if self.editor is not None else None

    def _prepare(self, rec: Recommender) -> str | None:
        """``rec.prepare`` once (what the store teaches, a model); the one line that says why it
        cannot propose, or None."""
        from annotator.recommend import RecommendContext, RecommenderUnavailable

        if rec.name in self._prepared:
            return None
        try:
            rec.prepare(self.session.store, RecommendContext(self.schema, self.session.annotator))
        except RecommenderUnavailable as exc:
            return str(exc)
        except AnnotatorError as exc:
            return f"{rec.name}: {exc}"
        self._prepared.add(rec.name)
        return None

    def _propose(self, rec: Recommender, doc: Document, state: Annotations,
                 near: tuple[int, int] | None = None) -> list[Proposal] | str:
        """Prepared, then asked (a key that asks about one span, on the UI thread: a hand claim's claimer)."""
        problem = self._prepare(rec)
        return problem if problem is not None else self._ask(rec, doc, state, near)

    def _ask(self, rec: Recommender, doc: Document, state: Annotations,
             near: tuple[int, int] | None = None) -> list[Proposal] | str:
        """The proposals (those ``near`` a span: at least all that overlap it), or the one line that
        says why there are none (a missing model)."""
        from annotator.recommend import RecommendContext, RecommenderUnavailable

        try:
            context = RecommendContext(self.schema, self.session.annotator)
            if near is not None:
                return rec.propose_near(doc, state, context, *near)
            return rec.propose(doc, state, context)
        except RecommenderUnavailable as exc:
            return str(exc)
        except AnnotatorError as exc:
            return f"{rec.name}: {exc}"

    def commit(self, answer: Answer | None, **kwargs) -> Answer | None:
        """Every change also teaches the recommenders that learn (``string-match``), on their lane,
        so a recommender is never taught while it proposes."""
        shown = super().commit(answer, **kwargs)
        if isinstance(shown, Edit) and self.doc_id is not None:
            learners = [r for r in self.recommenders if r.learns]
            if learners:
                doc_id, inline = self.doc_id, len(self.view.text) <= RECOMMEND_NOW
                for slow in (False, True):
                    teach = [r for r in learners if r.slow == slow]
                    if teach:
                        (self.proposing_slow if slow else self.proposing).submit(
                            partial(self._observe, teach, doc_id, shown.after), description="recommenders learn",
                            inline=inline and not slow, current_only=False)
                taught = _taught(shown.after)
                quick = [r for r in learners if not r.slow]
                if quick and _taught(shown.before) != taught:
                    self.proposing.submit(partial(self._propose_on_lane, quick, doc_id,
                                                  _AfterLabel(taught, shown.description)),
                                          description="recommenders propose again", inline=inline)
        return shown

    def _observe(self, learners: list[Recommender], doc_id: str, state: Annotations, job: Job) -> None:
        doc = self._open_document(doc_id)
        for rec in learners:
            rec.observe(doc, state)


class _AfterLabel:
    """Proposals asked for again after a hand label (issue 13: what was just labelled by hand is
    proposed wherever else it occurs, as its own undo step after the label): the hand labels they
    were asked for, and what the status line says (the key's message, then how many followed)."""

    def __init__(self, taught: set[tuple[int, int, str]], said: str) -> None:
        self.taught = taught
        self.said = said


def _taught(state: Annotations) -> set[tuple[int, int, str]]:
    """The spans labelled by hand (what a learning recommender learns from)."""
    return {(e.start, e.end, e.label) for e in state.entities if e.source is None}


def _proposed(state: Annotations) -> int:
    return sum(1 for e in state.entities if e.source)
