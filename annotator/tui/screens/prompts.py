"""Small one-field dialogs: find, go to document N, edit the document note, confirm.

Imported when one opens (not with the annotation screen: start-up does not need them).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from annotator.layout import visual_string
from annotator.tui.screens.dialog import ModalDialog
from annotator.tui.shown import isolated
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


class FindScreen(_Prompt):
    """Asks what to find; the number of matches follows the typing (Arabic shown in reading order)."""

    def __init__(self, query: str, count: Callable[[str], tuple[int, bool]], *, within: int) -> None:
        """``count(query)``: (matches, whether all were counted); ``within``: the characters it
        counts in when not."""
        super().__init__()
        self.query_text = query
        self.count = count
        self.within = within

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Find (harakat, tatweel, hamza forms ignored) — enter finds, esc cancels")
            yield SafeInput(value=self.query_text, id="find")
            yield Static(self._said(self.query_text), id="find-count")

    def _said(self, query: str) -> Text:
        if not query.strip():
            return Text("")
        n, complete = self.count(query)
        said = f"{n} match(es)" if complete else f"{n} match(es) in the first {self.within:,} characters"
        return Text(visual_string(f"«{isolated(query)}»: {said}", direction="ltr"))  # an English sentence

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#find-count", Static).update(self._said(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value if event.value.strip() else None)
