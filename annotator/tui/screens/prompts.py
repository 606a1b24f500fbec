"""Small one-field dialogs: go to document N, edit the document note."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from annotator.layout import visual_string
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.widgets.safe_input import SafeInput


class _Prompt(ModalDialog):
    BINDINGS = [Binding("escape", "cancel", "cancel", id="prompt.cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class GotoScreen(_Prompt):
    """Asks for a document number (1-based)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Go to document (1–{self.count}), enter to go, esc to cancel")
            yield SafeInput(placeholder="number", restrict=r"[0-9]*", id="number")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(int(value) if value else None)


class NoteScreen(_Prompt):
    """Edits the document note (drawn in reading order by ``SafeInput`` as it is typed)."""

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Note for this document — enter saves, esc cancels")
            yield SafeInput(value=self.note, id="note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class ConfirmScreen(_Prompt):
    """A yes/no question; y or enter answers yes, n or esc no."""

    BINDINGS = [Binding("y,enter", "answer(True)", "yes", id="confirm.yes"),
                Binding("n,escape", "answer(False)", "no", id="confirm.no")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(visual_string(self.question, direction="ltr")))  # Arabic in it, in reading order
            yield Label("y / enter: yes    n / esc: no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
