"""The adjudication screen: the annotation screen over the gold annotator's labels, plus a panel
listing what each finished annotator proposed under the cursor, and keys to move between
disagreements and accept or reject proposals.

Composition only: every ordinary key (labelling by hand, undo/redo, claims, documents) is the
annotation screen's; an accepted or rejected proposal is an ordinary operation
(``annotator.adjudication``) shown and saved through the same ``commit`` as any edit, so gold
gets undo/redo, crash safety and the op log like everyone's work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from annotator.adjudication import (
    AdjudicationSession,
    Candidate,
    accept_operations,
    candidates,
    finished_states,
    in_gold,
    is_rejected,
    open_candidates,
    overlay,
    reject_operation,
)
from annotator.editing import Edit, Refusal
from annotator.errors import OperationError
from annotator.model.operations import Batch, Operation, said
from annotator.session import AnnotationSession, plan_change
from annotator.tui.app import AnnotatorApp
from annotator.tui.bindings import KeySpec, key_display, key_for_character, with_schema_keys
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.screens.help import HelpScreen
from annotator.tui.shown import shown, ui_text
from annotator.tui.widgets.span_panel import span_text

ADJUDICATE_KEYS: tuple[KeySpec, ...] = (
    KeySpec("adjudicate.next", "full_stop", "next_disagreement", "next disagreement", "Adjudicate",
            show=True, short="next disagreement"),
    KeySpec("adjudicate.previous", "comma", "previous_disagreement", "previous disagreement", "Adjudicate"),
    KeySpec("adjudicate.accept", "a", "accept_candidate", "accept the proposal under the cursor into gold",
            "Adjudicate", show=True, short="accept"),
    KeySpec("adjudicate.reject", "X", "reject_candidate", "reject the proposal under the cursor (not offered again)",
            "Adjudicate", show=True, short="reject"),
    KeySpec("adjudicate.accept_unanimous", "A", "accept_unanimous",
            "accept everything all annotators agree on in this document", "Adjudicate", show=True,
            short="accept unanimous"),
)
_KEY_NAMES = {"full_stop": ".", "comma": ","}
ADJUDICATE_HOTKEYS = frozenset({".", ",", "a", "X", "A"})
assert {key_for_character(c) for c in ADJUDICATE_HOTKEYS} == {s.keys for s in ADJUDICATE_KEYS}


class AdjudicationPanel(Static):
    """Each annotator's proposals under the cursor (names and labels are data: ``shown``, as Text);
    styled in ``app.tcss`` (``#adjudication``)."""


def adjudication_help_table(bound: dict[str, str]) -> Table:
    """The adjudication keys as bound now (a keymap applied), every cell a ``Text``."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("keys", style="bold", no_wrap=True, min_width=14)
    table.add_column("does")
    table.add_row(ui_text(" Adjudicate ", style="reverse"), ui_text(""))
    for spec in ADJUDICATE_KEYS:
        keys = [k for k, action in bound.items() if action == spec.action]
        if keys:
            table.add_row(ui_text(" ".join(_KEY_NAMES.get(k, key_display(k)) for k in keys)),
                          ui_text(spec.description))
    return table


class AdjudicationHelp(HelpScreen):
    """The help screen with the adjudication keys on top."""

    def tables(self) -> Iterator[Static]:
        yield Static(adjudication_help_table(self.bound), id="adjudicate-help")
        yield from super().tables()


class AdjudicateScreen(AnnotateScreen, inherit_bindings=True):
    """``AdjudicateScreen(gold_session, annotators)``: the documents are the session's
    (``AdjudicationSession``); ``annotators``: whose work to merge (None: every finished one but gold)."""

    BINDINGS = [spec.binding() for spec in ADJUDICATE_KEYS]

    def __init__(self, session: AnnotationSession, annotators: Sequence[str] | None,
                 *, clock, direction: str = "rtl") -> None:
        super().__init__(session, clock=clock, direction=direction)
        self.annotators = list(annotators) if annotators is not None else None
        self.groups: list[Candidate] = []

    # -- what the annotators proposed ----------------------------------------------------
    def open_document(self, doc_id: str, cursor: int = 0, save: bool = True) -> None:
        if not self.query(AdjudicationPanel):  # the first document: the panel joins the body
            self.query_one("#body").mount(AdjudicationPanel(id="adjudication"))
        super().open_document(doc_id, cursor, save)
        if self.doc_id != doc_id:
            return
        self.saver.settle()  # the store is used by one thread at a time
        states = finished_states(self.session.store, doc_id, self.annotators, self.session.annotator)
        self.groups = candidates(states)
        self._draw()

    def cursor_moved(self) -> None:
        super().cursor_moved()
        self._show_proposals()

    def show_state(self, state, cursor_to_change: bool = False) -> None:
        super().show_state(state, cursor_to_change)
        self._draw()

    def _draw(self) -> None:
        """The text shows gold plus the open proposals (drawn as pre-annotations); the editor keeps gold."""
        if self.state is not None:
            self.view.set_state(overlay(self.state, self.groups))
        self._show_proposals()

    def _under_cursor(self) -> list[Candidate]:
        start, end = self.where().marked
        end = max(end, start + 1)
        return [c for c in self.groups if c.start < end and start < c.end]

    def _open(self) -> list[Candidate]:
        return open_candidates(self.groups, self.state) if self.state is not None else []

    def _show_proposals(self) -> None:
        if self.state is None or not self.is_mounted:
            return
        try:
            panel = self.query_one(AdjudicationPanel)
        except Exception:  # not mounted yet
            return
        gold, text = self.state, self.view.text
        left = self._open()
        out = Text()
        out.append(f"{len(left)} to decide in this document "
                   f"({sum(not c.unanimous for c in left)} disputed)\n\n")
        for cand in self._under_cursor():
            mark = ("in gold" if in_gold(cand, gold) else "rejected" if is_rejected(cand, gold)
                    else "unanimous" if cand.settled else "disputed")
            what = shown(cand.label) if cand.kind == "entity" else "claim"
            out.append(f"{what} «{span_text(text, cand.start, cand.end, 20)}» {cand.start}–{cand.end}\n",
                       style="bold")
            out.append(f"  {len(cand.proposers)}/{cand.finished} · {mark}\n")
            for name in cand.proposers:
                line = f"  {shown(name)}"
                if cand.kind == "claim":
                    attrs = cand.attributes.get(name, {})
                    line += " " + " ".join(f"{shown(k)}={shown(v)}" for k, v in sorted(attrs.items())
                                           if v is not None)
                    claimer = cand.claimers.get(name)
                    if claimer is not None:
                        line += f" claimer={shown(claimer[2])} «{span_text(text, claimer[0], claimer[1], 12)}»"
                out.append(line + "\n")
        panel.update(out)

    # -- keys --------------------------------------------------------------------------------
    def action_help(self) -> None:
        self.app.push_screen(AdjudicationHelp.of(self, self.schema))

    def _step_disagreement(self, forward: bool) -> None:
        cursor = self.view.cursor
        disputed = [c for c in self._open() if not c.settled]
        hits = ([c for c in disputed if c.start > cursor] if forward
                else [c for c in reversed(disputed) if c.start < cursor])
        if not hits:
            self.status.say(f"no more disagreements {'after' if forward else 'before'} the cursor "
                            f"({len(disputed)} left in this document)")
            return
        self.view.move_to(hits[0].start)
        self.status.say(f"{hits[0].describe()}: a accepts, X rejects")

    def action_next_disagreement(self) -> None:
        self._step_disagreement(True)

    def action_previous_disagreement(self) -> None:
        self._step_disagreement(False)

    def _edit(self, ops: list[Operation], description: str) -> Edit | Refusal:
        """An Edit of ``ops`` (one undo step) planned on the shown state, as the Editor plans;
        ``description`` (past tense) names a batch, in its message and its undo's (``said``)."""
        assert self.editor is not None
        op = ops[0] if len(ops) == 1 else Batch(tuple(ops), description)
        try:
            _, after, _ = plan_change(op, self.editor.state, self.editor.text, self.schema)
        except OperationError as exc:
            return Refusal(str(exc), error=True)
        return Edit(op, self.editor.state, after, said("do", op, self.editor.state, self.editor.text))

    def _chosen(self) -> Candidate | None:
        """The open proposal under the cursor: the one most annotators proposed, innermost first."""
        here = [c for c in self._under_cursor() if c in self._open()]
        if not here:
            self.status.say("no open proposal under the cursor (. goes to the next disagreement)")
            return None
        return sorted(here, key=lambda c: (-len(c.proposers), c.end - c.start))[0]

    def action_accept_candidate(self) -> None:
        editor = self.editor
        cand = self._chosen() if editor is not None else None
        if cand is not None and editor is not None:
            ops = accept_operations(cand, editor.state, editor.text, self.schema)
            self.commit(self._edit(ops, f"accepted {cand.describe()}"))

    def action_reject_candidate(self) -> None:
        cand = self._chosen() if self.editor is not None else None
        if cand is not None:
            self.commit(self._edit([reject_operation(cand)], f"rejected {cand.describe()}"))

    def action_accept_unanimous(self) -> None:
        if self.editor is None:
            return
        from annotator.adjudication import auto_plan

        plan = auto_plan(self.groups, self.editor.state, self.editor.text, self.schema, "unanimous")
        if plan.op is None:
            self.status.say("nothing unanimous left to accept in this document")
            return
        self.commit(self._edit(list(plan.op.ops), f"accepted {len(plan.written)} unanimous item(s)"))


class AdjudicatorApp(AnnotatorApp):
    """The app in adjudication mode: ``AdjudicatorApp(AdjudicationSession(...), annotators)``."""

    TITLE = "annotator: adjudication"

    def __init__(self, session: AdjudicationSession, annotators: Sequence[str] | None, **kwargs) -> None:
        super().__init__(session, **kwargs)
        self.annotators = annotators

    def make_main_screen(self) -> AnnotateScreen:
        screen = with_schema_keys(AdjudicateScreen, self.session.schema)
        return screen(self.session, self.annotators, clock=self.clock, direction=self.direction)
