"""The claim form dialog: the ClaimForm widget plus an editor line for text values.

It changes nothing itself: each value set posts ``Save`` to ``reply_to`` (the annotation
screen, whose editor decides and whose saver saves it, so it is undoable and shows
"saved ✓"), which answers with ``show_claim`` (the new state) or ``show_problem`` (a
refusal or a failed save). esc just closes. Returns ``LINK_BY_MOVING`` when the
annotator chose to pick the claimer by moving to it in the text.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Input, Static

from annotator.editing import Editor
from annotator.layout import visual_string
from annotator.model.annotations import Annotations, AttrValue, Claim
from annotator.text import TextIndex
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import shown, visible_controls
from annotator.tui.widgets.claim_form import CLAIMER_ROW, ClaimForm
from annotator.tui.widgets.safe_input import SafeInput
from annotator.tui.widgets.span_panel import span_text


class ClaimFormScreen(ModalDialog[str | None]):
    BINDINGS = [Binding("escape", "close", "close (all saved)", id="claim_form.close")]

    LINK_BY_MOVING = "link-by-moving"

    class Save(Message):
        """Set attribute ``key`` (or the claimer, ``CLAIMER_ROW``) of ``claim_id`` to ``value``."""

        bubble = False

        def __init__(self, claim_id: str, key: str, value: AttrValue) -> None:
            super().__init__()
            self.claim_id = claim_id
            self.key = key
            self.value = value

    def __init__(self, editor: Editor, claim_id: str, index: TextIndex, *, reply_to: MessagePump) -> None:
        """``editor``: the annotation screen's (its schema, its state shown; the claimer picker lists with it)."""
        super().__init__()
        self._editor = editor  # not the ``#editor`` line: the screen's decisions
        self.schema = editor.schema
        self.claim_id = claim_id
        self.state = editor.state
        self.index, self.text = index, index.text  # the document's (``AnnotateScreen``'s): the picker's sentences
        self.reply_to = reply_to
        self.editing: str | None = None
        self._composed = False  # show_claim may come before the widgets exist

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"Claim {shown(self.claim_id)} — hotkeys set values, esc closes "
                                    "(saved as you go)")
            yield Static("", id="claim-text")
            yield ClaimForm(self.schema, id="form")
            yield SafeInput(id="editor")
            yield Static("", id="form-status")

    @property
    def claim(self) -> Claim | None:
        return self.state.claim(self.claim_id)

    def on_mount(self) -> None:
        self._composed = True
        self.show_claim(self.state)
        self.query_one(ClaimForm).focus()

    def show_claim(self, state: Annotations) -> None:
        """Draw the claim as it is in ``state`` (closes the form once the claim is gone)."""
        self.state = state
        if not self._composed:
            return
        claim = self.claim
        if claim is None:
            self.dismiss(None)
            return
        self.query_one("#claim-text", Static).update(Text(span_text(self.text, claim.start, claim.end, 150)))
        self.query_one(ClaimForm).show(claim, state, self.text)
        missing = [a.key for a in self.schema.claims.attributes
                   if a.required and claim.attributes.get(a.key) is None]
        self.query_one("#form-status", Static).update(
            Text(f"missing: {', '.join(missing)}", style="red") if missing else Text("complete ✓", style="green"))

    def show_problem(self, reason: str) -> None:
        """A value was refused or could not be saved: say so where the annotator is looking."""
        if self._composed:
            self.query_one("#form-status", Static).update(Text(visual_string(reason, direction="ltr"),
                                                               style="bold red"))

    def _save(self, key: str, value: AttrValue) -> None:
        self.reply_to.post_message(self.Save(self.claim_id, key, value))

    def on_claim_form_set(self, event: ClaimForm.Set) -> None:
        self._save(event.key, event.value)

    def on_claim_form_edit(self, event: ClaimForm.Edit) -> None:
        attr = event.attribute
        editor = self.query_one("#editor", Input)
        value = (self.claim.attributes.get(attr.key) if self.claim else None)
        editor.value = "" if value is None else str(value)
        # logical order (SafeInput lays it out), with no raw control even in the attribute
        editor.placeholder = f"{visible_controls(attr.name_en or attr.key)}: enter saves, esc cancels"
        editor.display = True
        self.editing = attr.key
        editor.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = self.editing
        attr = self.schema.claims.attribute(key) if key is not None else None
        value = None
        if event.value.strip() and attr is not None:
            try:  # the schema's attribute owns parsing (Arabic-Indic digits, ٫) and checking
                value = attr.parse(event.value)
            except ValueError as exc:  # refused visibly; the editor stays open to fix the text
                self.show_problem(f"not saved: {exc}")  # the typed value in it, in reading order
                return
        self.editing = None
        event.input.display = False
        self.query_one(ClaimForm).focus()
        if key is None:
            return
        self._save(key, value)  # free text is stored exactly as typed; blank clears

    def on_claim_form_pick_claimer(self, event: ClaimForm.PickClaimer) -> None:
        from annotator.tui.screens.claimer_picker import ClaimerPickerScreen

        def picked(result: str | None) -> None:
            if result == ClaimerPickerScreen.BY_MOVING:
                self.dismiss(self.LINK_BY_MOVING)
            elif result is not None:
                self._save(CLAIMER_ROW, result or None)

        self.app.push_screen(ClaimerPickerScreen(self._editor, self.index, self.claim_id), picked)

    def action_close(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.query_one("#editor", Input).display = False
            self.query_one(ClaimForm).focus()
            return
        self.dismiss(None)
