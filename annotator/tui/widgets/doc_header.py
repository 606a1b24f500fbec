"""The top line: which document, its status, and the corpus progress of this annotator."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from annotator.tui.shown import shown
from annotator.tui.widgets.span_panel import fit_logical


class DocHeader(Horizontal):

    def compose(self) -> ComposeResult:
        yield Static("", id="doc-title")
        yield ProgressBar(total=1, show_eta=False, show_percentage=True, id="progress")
        yield Static("", id="progress-text")

    def show(self, number: int, count: int, doc_id: str, status: str, note: str) -> None:
        """Number and status first, so a narrow window cuts the id and the note (with "…"), never them."""
        parts = (f" {number}/{count} [{shown(status)}] ", shown(doc_id), " ".join(note.split()))
        if parts != getattr(self, "_parts", None):
            self._parts = parts
            self._draw()

    NOTE_MIN = 12  # cells the note keeps beside a long id

    def _draw(self) -> None:
        """Fit the title to its cells here: a cut made by the widget would drop whole words
        silently, and a cut after reordering would drop the first words of a right-to-left note."""
        parts = getattr(self, "_parts", None)
        if parts is None:
            return
        head, doc_id, note = parts
        width = self.query_one("#doc-title", Static).size.width or 30
        marker = "  ✎ "
        id_room = width - cell_len(head) - (len(marker) + self.NOTE_MIN if note else 0)
        title = fit_logical(head + fit_logical(doc_id, max(id_room, 6)), width)
        room = width - cell_len(title) - len(marker)
        if note and room >= 2:
            title += marker + shown(fit_logical(note, room))
        self.query_one("#doc-title", Static).update(Text(title), layout=False)

    def on_resize(self) -> None:
        self._draw()
        for part in self.query("#progress, #progress-text"):
            part.refresh()

    def progress(self, finished: int, total: int) -> None:
        if (finished, total) == getattr(self, "_progress", None):
            return
        self._progress = (finished, total)
        self.query_one(ProgressBar).update(total=max(total, 1), progress=finished)
        self.query_one("#progress-text", Static).update(f"{finished}/{total} finished ", layout=False)
