"""The top line: which document, its status, and the corpus progress of this annotator.

One widget that draws the whole line (title, bar, percentage, "k/N finished"), where there were six
(two containers, two ``Static``s and Textual's three-widget ``ProgressBar``): Textual composes,
styles, lays out and renders every widget of the first screen before its first frame, and these were
a third of them. It draws what those widgets drew, cell for cell (``tests/test_doc_header.py``
compares it with them).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.renderables.bar import Bar
from textual.widgets import Static

from annotator.tui.shown import shown
from annotator.tui.widgets.span_panel import fit_logical

BAR_CELLS = 14  # narrow: at 80 columns the title keeps its status, id and note
PERCENT_CELLS = 5  # "100%", right-aligned
PROGRESS_CELLS = BAR_CELLS + PERCENT_CELLS + 1  # the bar and its percentage, one cell left empty
COUNT_CELLS = 16  # "k/N finished", right-aligned


def count_cells(text: str, width: int = COUNT_CELLS) -> str:
    """``text`` right-aligned in ``width`` cells as a one-line ``Static`` shows it: a line that does not
    fit wraps at its spaces (trailing space dropped) and only the first line is seen; a word longer than
    the line is cut."""
    if cell_len(text) > width:
        text = text.rstrip()
    if cell_len(text) > width:
        text = text.split()[0][:width]
    return " " * (width - cell_len(text)) + text


class DocHeader(Static):
    """``show`` the document (number, status, id, note) and its ``progress``; the styles are the
    component classes ``doc-header--title`` (the title's text), ``doc-header--bar`` and
    ``doc-header--complete`` (the bar's colour and its empty part's, as Textual's ``Bar``; ``app.tcss``)."""

    COMPONENT_CLASSES = {"doc-header--title", "doc-header--bar", "doc-header--complete"}

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._parts: tuple[str, str, str] | None = None
        self._progress: tuple[int, int] | None = None

    def show(self, number: int, count: int, doc_id: str, status: str, note: str) -> None:
        """Number and status first, so a narrow window cuts the id and the note (with "…"), never them."""
        parts = (f" {number}/{count} [{shown(status)}] ", shown(doc_id), " ".join(note.split()))
        if parts != self._parts:
            self._parts = parts
            self._draw()

    NOTE_MIN = 12  # cells the note keeps beside a long id

    def _title(self, width: int) -> str:
        """Fit the title to its cells here: a cut made by the widget would drop whole words
        silently, and a cut after reordering would drop the first words of a right-to-left note."""
        if self._parts is None:
            return ""
        head, doc_id, note = self._parts
        marker = "  ✎ "
        id_room = width - cell_len(head) - (len(marker) + self.NOTE_MIN if note else 0)
        title = fit_logical(head + fit_logical(doc_id, max(id_room, 6)), width)
        room = width - cell_len(title) - len(marker)
        if note and room >= 2:
            title += marker + shown(fit_logical(note, room))
        return title

    def _draw(self) -> None:
        """Before a document is shown (an empty store): an empty bar, as ``ProgressBar(total=1)``."""
        width = max(self.size.width - PROGRESS_CELLS - COUNT_CELLS, 0) or 30  # not laid out yet: redrawn on resize
        title = self._title(width)
        line = Text(end="")
        line.append(title, style=self.get_component_rich_style("doc-header--title", partial=True))
        line.append(" " * max(width - cell_len(title), 0))
        line.append_text(self._bar())
        if self._progress is not None:
            finished, total = self._progress
            line.append(count_cells(f"{finished}/{total} finished "))
        self.update(line, layout=False)

    def _bar(self) -> Text:
        """The bar and its percentage, as ``ProgressBar(total=max(total, 1), show_eta=False)`` draws them."""
        finished, total = self._progress or (0, 1)
        fraction = min(max(finished / max(total, 1), 0.0), 1.0)
        style = self.get_component_rich_style("doc-header--bar" if fraction < 1 else "doc-header--complete")
        bar = Bar(highlight_range=(0, BAR_CELLS * fraction), highlight_style=Style.from_color(style.color),
                  background_style=Style.from_color(style.bgcolor), width=BAR_CELLS)
        drawn = next(iter(bar.__rich_console__(self.app.console, self.app.console.options)))
        assert isinstance(drawn, Text)
        percent = f"{round(fraction * 100)}%"
        drawn.append(" " * (PERCENT_CELLS - len(percent)) + percent + " ")
        return drawn

    def on_resize(self) -> None:
        self._draw()

    def progress(self, finished: int, total: int) -> None:
        if (finished, total) == self._progress:
            return
        self._progress = (finished, total)
        self._draw()
