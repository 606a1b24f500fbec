"""The top line: which document, its status, and the corpus progress of this annotator."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from annotator.layout import visual_string
from annotator.tui.shown import shown
from annotator.tui.widgets.span_panel import fit_logical


class DocHeader(Horizontal):

    def compose(self) -> ComposeResult:
        yield Static("", id="doc-title")
        yield ProgressBar(total=1, show_eta=False, show_percentage=True, id="progress")
        yield Static("", id="progress-text")

    def show(self, number: int, count: int, doc_id: str, status: str, note: str) -> None:
        """Number and status first, so a narrow window cuts the id and the note (with "…"), never them."""
        title = f" {number}/{count} [{shown(status)}] {shown(doc_id)}"
        if note:
            title += "  ✎ " + visual_string(fit_logical(" ".join(note.split()), 30))
        if title != getattr(self, "_title", None):
            self._title = title
            self.query_one("#doc-title", Static).update(Text(title, no_wrap=True, overflow="ellipsis"),
                                                       layout=False)

    def progress(self, finished: int, total: int) -> None:
        if (finished, total) == getattr(self, "_progress", None):
            return
        self._progress = (finished, total)
        self.query_one(ProgressBar).update(total=max(total, 1), progress=finished)
        self.query_one("#progress-text", Static).update(f"{finished}/{total} finished ", layout=False)
