"""Pick a claim's claimer from the document's entities (those the schema allows).

The nearest mentions come first (the editor's ``claimer_candidates``: those before the claim in
its sentence first), the list starts on the claim's current (or proposed) claimer, and typing
filters it under the search normalization (Arabic typing works; harakat and hamza forms ignored).
A mention linked to an identity shows the identity's first mention, and typing that text finds it too,
so any mention of the identity can be chosen. ``identity_picker`` reuses this list for linking.
Both take the document's ``TextIndex`` the annotation screen already has (its sentences found once)
and its ``Editor``, not new ones of their own.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from annotator.editing import Editor
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.text import TextIndex
from annotator.text.matching import normalize_for_search
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import shown
from annotator.tui.widgets.safe_input import SafeInput
from annotator.tui.widgets.span_panel import span_text


class ClaimerPickerScreen(ModalDialog[str | None]):
    """Returns an entity id, "" for no claimer, BY_MOVING, or None (cancelled)."""

    BY_MOVING = "\0move"
    HEADING = "Claimer — type to filter, enter picks, esc cancels"
    BINDINGS = [Binding("escape", "cancel", "cancel", id="claimer.cancel")]

    def __init__(self, editor: Editor, index: TextIndex, claim_id: str | None = None) -> None:
        """``editor``: the annotation screen's (its state shown and its schema decide the list)."""
        super().__init__()
        state = editor.state
        claim = state.claim(claim_id) if claim_id is not None else None
        self.current = claim.claimer if claim is not None else None
        self.index, self.text = index, index.text
        self.entities = self.listed(editor, claim_id)
        self._index(state)

    def listed(self, editor: Editor, subject_id: str | None) -> list[Entity]:
        """The entities the list offers for ``subject_id`` (here a claim), nearest first; a subclass
        (``IdentityPickerScreen``) lists others, built once, with the screen's editor."""
        if subject_id is None:
            return editor.claimer_candidates("", [])
        return editor.claimer_candidates(subject_id, self.sentence_of(editor.state.claim(subject_id)))

    def sentence_of(self, span: Entity | Claim | None) -> list[tuple[int, int]]:
        """The bounds of ``span``'s own sentence (all that ``nearest_first`` needs): found around it by the
        document's index (its windows' sentences already split when the screen showed them)."""
        sentence = self.index.sentence_at(span.start) if span is not None else None
        return [(sentence.start, sentence.end)] if sentence is not None else []

    def _index(self, state: Annotations) -> None:
        """What typing matches on each row: its text, label and id, and its identity's first mention."""
        text = self.text
        identities = state.identities()
        self.first = {ident: mentions[0] for ident, mentions in identities.items()}
        self.counts = {ident: len(mentions) for ident, mentions in identities.items()}
        self._keys = {e.id: normalize_for_search(f"{text[e.start:e.end]} {e.label} {e.id} {self._same(e)}")
                      for e in self.entities}

    def _same(self, ent: Entity) -> str:
        """The identity ``ent`` is a mention of, named by its first mention (logical order)."""
        first = self.first.get(ent.identity) if ent.identity is not None else None
        if first is None or first.id == ent.id:
            return ""
        return f"= {self.text[first.start:first.end]}"

    def fixed_rows(self) -> list[tuple[str, str]]:
        """(id, text) of the rows above the mentions."""
        return [("move", "→ pick it by moving the cursor in the text"), ("none", "— no claimer —")]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.HEADING
            yield SafeInput(placeholder="type to filter (Arabic or Latin)", id="claimer-filter")
            yield OptionList(id="claimers")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#claimer-filter", Input).focus()

    def candidates(self) -> list[Entity]:
        """The entities the typed filter keeps, in order (what the list shows after its two rows)."""
        needle = normalize_for_search(self.query_one("#claimer-filter", Input).value).strip()
        return [e for e in self.entities if needle in self._keys[e.id]]

    def _fill(self, _value: str) -> None:
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        fixed = self.fixed_rows()
        for oid, words in fixed:
            option_list.add_option(Option(Text(words, style="italic"), id=oid))
        shown_entities = self.candidates()
        for ent in shown_entities:
            mark = "● " if ent.id == self.current else "  "
            first = self.first.get(ent.identity) if ent.identity is not None else None
            same = (f"  ≡ {span_text(self.text, first.start, first.end, 20)} ×{self.counts[ent.identity]}"
                    if first is not None and ent.identity is not None else "")
            option_list.add_option(Option(Text(f"{mark}{shown(ent.label):<5} "
                                               f"{span_text(self.text, ent.start, ent.end, 40)}"
                                               f"  ({shown(ent.id)}, {ent.start}–{ent.end}){same}"),
                                          id=f"e:{ent.id}"))
        ids = [e.id for e in shown_entities]
        start = ids.index(self.current) if self.current in ids else 0
        option_list.highlighted = len(fixed) + start if shown_entities else 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is not None:
            self._choose(option_list.get_option_at_index(option_list.highlighted).id or "")

    def on_key(self, event: events.Key) -> None:
        """↑ / ↓ move in the list while typing in the filter."""
        if event.key in ("up", "down") and self.query_one("#claimer-filter", Input).has_focus:
            option_list = self.query_one(OptionList)
            option_list.action_cursor_up() if event.key == "up" else option_list.action_cursor_down()
            event.stop()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id or "")

    def _choose(self, oid: str) -> None:
        if oid == "move":
            self.dismiss(self.BY_MOVING)
        elif oid == "none":
            self.dismiss("")
        else:
            self.dismiss(oid.removeprefix("e:"))

    def action_cancel(self) -> None:
        self.dismiss(None)
