"""The bottom line: what is under the cursor (or the last message) and when it was saved."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from annotator.layout import visual_string


def fit(message: str, room: int) -> str:
    """``message`` (logical order) in display order within ``room`` cells: when too long, cut at
    its logical end with "…" (never the first words of an Arabic phrase, as cutting the drawn
    string at its right would)."""
    shown = visual_string(message, direction="ltr")
    if cell_len(shown) <= room:
        return shown
    lo, hi = 0, len(message)
    while lo < hi:  # the longest logical prefix that fits with its "…"
        mid = (lo + hi + 1) // 2
        if cell_len(visual_string(message[:mid].rstrip() + "…", direction="ltr")) <= room:
            lo = mid
        else:
            hi = mid - 1
    return visual_string(message[:lo].rstrip() + "…", direction="ltr")


class StatusLine(Static):
    """Left: a message or the span under the cursor. Right: "saved ✓ 14:02:11".

    ``clock`` returns the time to show after a save; tests pass one that returns ""
    so snapshots stay the same from run to run. Error, "saved" and "saving…" colours are
    the component classes ``status-line--error``, ``status-line--saved`` and
    ``status-line--saving`` (``app.tcss``).
    """

    COMPONENT_CLASSES = {"status-line--error", "status-line--saved", "status-line--saving"}

    def __init__(self, clock: Callable[[], str], id: str | None = None) -> None:
        super().__init__("", id=id)
        self.clock = clock
        self.info = ""
        self.message = self._said = ""
        self.error = False
        self.saved_at: str | None = None
        self.saving = False  # a change is shown but the store has not acknowledged it yet

    def set_info(self, info: str) -> None:
        """The description of the span under the cursor (replaces any message); its
        Arabic pieces are already in display order (``span_text``)."""
        self.info = info
        self.message = self._said = ""
        self.error = False
        self._draw()

    def say(self, message: str, error: bool = False) -> None:
        """Show ``message`` (logical order; Arabic in it is put in display order here)."""
        self.message = visual_string(message, direction="ltr") if message else ""
        self._said = message
        self.error = error
        self._draw()

    def saved(self) -> None:
        """The store acknowledged every change shown: "saved ✓ <time>"."""
        self.saved_at = self.clock()
        self.saving = False
        self._draw()

    def pending(self, saving: bool) -> None:
        """Show "saving…" while the store has not acknowledged a change shown (never "saved ✓")."""
        if saving != self.saving:
            self.saving = saving
            self._draw()

    def _draw(self) -> None:
        right = Text()
        if self.saving:
            right = Text("saving… ", style=self.get_component_rich_style("status-line--saving", partial=True))
        elif self.saved_at is not None:
            right = Text(f"saved ✓ {self.saved_at}".rstrip() + " ",
                         style=self.get_component_rich_style("status-line--saved", partial=True))
        width = max(1, self.size.width or 80)
        if right.cell_len:
            right = Text(" │ ") + right  # a message never runs into the save time
        room = width - right.cell_len
        left = Text(fit(self._said, max(0, room)) if self.message else self.info,
                    style=self.get_component_rich_style("status-line--error", partial=True) if self.error else "")
        if left.cell_len > room:
            left.truncate(max(0, room), overflow="ellipsis")
        left.append(" " * max(0, width - left.cell_len - right.cell_len))
        self.update(left + right, layout=False)  # fixed size: no re-layout of the screen

    def on_resize(self) -> None:
        self._draw()
