"""The claim form dialog: the ClaimForm widget plus an editor line for text values.

Every change is saved at once through the annotation screen (so it is undoable and
shows "saved ✓"); esc just closes. Returns "link-by-moving" when the annotator
chose to pick the claimer by moving to it in the text.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from annotator.layout import visual_string
from annotator.model.annotations import Claim
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import shown
from annotator.tui.widgets.claim_form import CLAIMER_ROW, ClaimForm
from annotator.tui.widgets.safe_input import SafeInput
from annotator.tui.widgets.span_panel import span_text


class ClaimFormScreen(ModalDialog[str | None]):
    BINDINGS = [Binding("escape", "close", "close (all saved)", id="claim_form.close")]

    def __init__(self, owner, claim_id: str) -> None:
        super().__init__()
        self.owner = owner  # the AnnotateScreen: its apply() is the write path
        self.claim_id = claim_id
        self.editing: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"Claim {shown(self.claim_id)} — hotkeys set values, esc closes "
                                    "(saved as you go)")
            yield Static("", id="claim-text")
            yield ClaimForm(self.owner.schema, id="form")
            yield SafeInput(id="editor")
            yield Static("", id="preview")
            yield Static("", id="form-status")

    @property
    def claim(self) -> Claim | None:
        state = self.owner.state
        return state.claim(self.claim_id) if state is not None else None

    def on_mount(self) -> None:
        self.refresh_form()
        self.query_one(ClaimForm).focus()

    def refresh_form(self) -> None:
        claim = self.claim
        if claim is None:
            self.dismiss(None)
            return
        text = self.owner.view.text
        self.query_one("#claim-text", Static).update(Text(span_text(text, claim.start, claim.end, 150)))
        self.query_one(ClaimForm).show(claim, self.owner.state, text)
        missing = [a.key for a in self.owner.schema.claims.attributes
                   if a.required and claim.attributes.get(a.key) is None]
        self.query_one("#form-status", Static).update(
            Text(f"missing: {', '.join(missing)}", style="red") if missing else Text("complete ✓", style="green"))

    def _save(self, key: str, value) -> None:
        owner = self.owner
        if key == CLAIMER_ROW:
            owner.apply(owner.session.link_claimer, self.claim_id, value)
        else:
            owner.apply(owner.session.set_claim_attributes, self.claim_id, {key: value})
        if owner.status.error:
            self.query_one("#form-status", Static).update(Text(owner.status.message, style="bold red"))
        else:
            self.refresh_form()

    def on_claim_form_set(self, event: ClaimForm.Set) -> None:
        self._save(event.key, event.value)

    def on_claim_form_edit(self, event: ClaimForm.Edit) -> None:
        attr = event.attribute
        editor = self.query_one("#editor", Input)
        value = (self.claim.attributes.get(attr.key) if self.claim else None)
        editor.value = "" if value is None else str(value)
        editor.placeholder = f"{shown(attr.name_en or attr.key)}: enter saves, esc cancels"
        editor.display = True
        self.editing = attr.key
        editor.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#preview", Static).update(Text(visual_string(event.value)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = self.editing
        attr = self.owner.schema.claims.attribute(key) if key is not None else None
        value = None
        if event.value.strip() and attr is not None:
            try:  # the schema's attribute owns parsing (Arabic-Indic digits, ٫) and checking
                value = attr.parse(event.value)
            except ValueError as exc:  # refused visibly; the editor stays open to fix the text
                self.query_one("#form-status", Static).update(Text(f"not saved: {exc}", style="bold red"))
                return
        self.editing = None
        event.input.display = False
        self.query_one("#preview", Static).update("")
        self.query_one(ClaimForm).focus()
        if key is None:
            return
        self._save(key, value)  # free text is stored exactly as typed; blank clears

    def on_claim_form_pick_claimer(self, event: ClaimForm.PickClaimer) -> None:
        from annotator.tui.screens.claimer_picker import ClaimerPickerScreen

        def picked(result: str | None) -> None:
            if result == ClaimerPickerScreen.BY_MOVING:
                self.dismiss("link-by-moving")
            elif result is not None:
                self._save(CLAIMER_ROW, result or None)

        self.app.push_screen(ClaimerPickerScreen(self.owner.schema, self.owner.state, self.owner.view.text),
                             picked)

    def action_close(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.query_one("#editor", Input).display = False
            self.query_one(ClaimForm).focus()
            return
        self.dismiss(None)
