"""The app's one text input: typed text kept in logical order, drawn in reading order.

Textual's ``Input`` draws its value character by character, left to right, as stored:
Arabic typed into it reads backwards and unjoined, and a control character from the
store (ESC, a bidi override) would reach the terminal raw. ``SafeInput`` keeps the value
exactly as typed and draws it through the layout engine instead (``layout_paragraph``:
UAX #9 reordering, shaping, every control made a visible symbol), with the paragraph
direction of its first strong character: a right-to-left value is right-aligned, mixed
Arabic, Latin and digits come out in reading order, the same line ``annotator render``
prints. The engine's cell↔offset map puts the cursor on the cell of its logical offset
(the cell past the text's end, on the left of a right-to-left value, when it is at the
end), highlights the selected cells, turns a click back into an offset and chooses the
window of a value wider than the field so that the cursor stays in sight. ←/→ move the
cursor to the cell drawn on that side (the way the arrow points, in mixed text too);
ctrl+←/→ move by words, swapped in a right-to-left value (as in the document).

Only drawing and the cell↔offset conversions are replaced (``render_line``, the cursor
and click conversions, ``content_width``); editing, messages and validation are
Textual's own (a suggester's completion is not drawn; a password field is Textual's
own). Textual's own horizontal scrolling is left unused (the content is never
wider than the field): the window is chosen here, where the visual columns are known.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.geometry import Offset, Size
from textual.strip import Strip
from textual.widgets import Input
from textual.widgets.input import Selection

from annotator.layout import LayoutOptions, layout_paragraph, visual_string

_OPTIONS = LayoutOptions(width=sys.maxsize, direction="auto", shape=True, show_controls=True)


@dataclass(frozen=True)
class _Drawn:
    """One drawn cell of the value and the logical offsets ``[start, end)`` it stands for."""

    text: str
    width: int
    start: int
    end: int


class ShownValue:
    """A value as drawn: cells left to right (with one blank cell for the cursor past the end,
    at the paragraph's end side), and the column of every logical offset."""

    def __init__(self, value: str) -> None:
        line = layout_paragraph(value, _OPTIONS)[0]
        self.rtl = line.rtl
        drawn: list[_Drawn] = []
        owner: dict[int, int] = {}  # logical offset -> index in ``drawn``
        pending: list[int] = []  # offsets of zero-width cells: shown by the next drawn cell
        for cell in line.cells:
            pending.extend(range(cell.start, cell.end))
            if cell.width:
                owner.update(dict.fromkeys(pending, len(drawn)))
                pending.clear()
                drawn.append(_Drawn(cell.text, cell.width, cell.start, cell.end))
        shift = 1 if self.rtl else 0  # the end cell goes first in a right-to-left value
        end = _Drawn(" ", 1, len(value), len(value) + 1)
        self.cells = [end, *drawn] if self.rtl else [*drawn, end]
        self._end = 0 if self.rtl else len(drawn)
        self._owner = {offset: i + shift for offset, i in owner.items()}
        self.columns: list[int] = []
        col = 0
        for d in self.cells:
            self.columns.append(col)
            col += d.width
        self.width = col

    def cell_index(self, offset: int) -> int:
        """Index of the drawn cell that shows logical ``offset`` (the end cell past the text)."""
        return self._owner.get(offset, self._end)

    def column(self, offset: int) -> int:
        """Column (from the left of the drawn value) of the cell that shows ``offset``."""
        return self.columns[self.cell_index(offset)]

    def offset_at(self, column: int) -> int:
        """The logical offset shown at ``column``; beyond either side, the nearer end of the value."""
        end = self.cells[0].start if self.rtl else self.cells[-1].start
        if column < 0:
            return end if self.rtl else 0
        for d, col in zip(self.cells, self.columns, strict=True):
            if col <= column < col + d.width:
                return d.start
        return 0 if self.rtl else end


class SafeInput(Input):
    """``Input`` whose value is drawn through the layout engine (reading order, shaped,
    controls visible, right-aligned when right-to-left); the value stays as typed."""

    _view_x = 0  # the first drawn column in sight, for a value wider than the field

    # -- what is drawn -----------------------------------------------------------------------
    def shown_value(self) -> ShownValue:
        """The value as drawn (cached per value)."""
        cached = getattr(self, "_shown_cache", None)
        if cached is None or cached[0] != self.value:
            cached = (self.value, ShownValue(self.value))
            self._shown_cache = cached
        return cached[1]

    def _avail(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _window(self) -> tuple[int, int]:
        """(left padding, first visible column): right-aligns a short right-to-left value and
        scrolls a long one just enough to keep the cursor in sight."""
        shown, avail = self.shown_value(), self._avail()
        if shown.width <= avail:
            self._view_x = 0
            return (avail - shown.width if shown.rtl else 0), 0
        cursor = shown.column(self.cursor_position)
        view = min(self._view_x, cursor)
        view = max(view, cursor - avail + 1)
        view = max(0, min(view, shown.width - avail))
        self._view_x = view
        return 0, view

    def render_line(self, y: int) -> Strip:
        if y != 0 or self.password:
            return super().render_line(y)
        avail = self._avail()
        if not self.value:
            line = self._placeholder_line(avail)
        else:
            line = self._value_line(avail)
        strip = Strip(list(line.render(self.app.console)))
        return strip.crop(0, avail + 1).extend_cell_length(avail + 1).apply_style(self.rich_style)

    def _value_line(self, avail: int) -> Text:
        shown = self.shown_value()
        pad, view = self._window()
        focused = self.has_focus
        low, high = sorted(self.selection)
        cursor_cell = shown.cell_index(self.cursor_position) if focused and self._cursor_visible else -1
        cursor_style = self.get_component_rich_style("input--cursor")
        selection_style = self.get_component_rich_style("input--selection")
        line = Text(" " * pad, no_wrap=True, overflow="ignore", end="")
        for i, (d, col) in enumerate(zip(shown.cells, shown.columns, strict=True)):
            if col + d.width <= view or col >= view + avail + 1:
                continue
            if col < view:  # a wide cell cut by the window's left edge: its visible part, blank
                line.append(" " * (col + d.width - view))
                continue
            style: Style | str = ""
            if focused and low < high and d.start < high and d.end > low and d.start < len(self.value):
                style = selection_style
            if i == cursor_cell:
                style = cursor_style
            line.append(d.text, style)
        return line

    def _placeholder_line(self, avail: int) -> Text:
        shown = visual_string(self.placeholder, direction="auto") if self.placeholder else ""
        rtl = bool(shown) and ShownValue(self.placeholder).rtl
        line = Text(shown, style=self.get_component_rich_style("input--placeholder"), no_wrap=True,
                    overflow="ignore", end="")
        if self.has_focus and self._cursor_visible:
            if not shown:
                line = Text(" ", end="")
            at = len(line) - 1 if rtl else 0
            line.stylize(self.get_component_rich_style("input--cursor"), at, at + 1)
        if rtl and line.cell_len < avail:
            line = Text(" " * (avail - line.cell_len), end="") + line
        return line

    # -- cells and offsets (Textual's cursor, click and size hooks) ---------------------------
    def _position_to_cell(self, position: int) -> int:
        return super()._position_to_cell(position) if self.password else self.shown_value().column(position)

    @property
    def _cursor_offset(self) -> int:
        if self.password:  # a password field is Textual's own (dots, scrolled by Textual)
            return super()._cursor_offset
        pad, view = self._window()
        return pad + self.shown_value().column(self.cursor_position) - view

    @property
    def cursor_screen_offset(self) -> Offset:
        if self.password:
            return super().cursor_screen_offset
        x, y, _width, _height = self.content_region
        return Offset(x + self._cursor_offset, y)

    def _cell_offset_to_index(self, offset: int) -> int:
        if self.password:
            return super()._cell_offset_to_index(offset)
        pad, view = self._window()
        return self.shown_value().offset_at(offset - pad + view)

    @property
    def content_width(self) -> int:
        """Never wider than one cell: Textual's own scrolling stays at 0 (``_window`` scrolls)."""
        return super().content_width if self.password else 1

    def get_content_width(self, container: Size, viewport: Size) -> int:
        if self.placeholder and not self.value:
            return Text(self.placeholder).cell_len
        return super().get_content_width(container, viewport) if self.password else self.shown_value().width

    # -- arrows go the way they point -----------------------------------------------------------
    def _rtl(self) -> bool:
        return bool(self.value) and not self.password and self.shown_value().rtl

    def _step(self, towards: int, select: bool) -> None:
        """To the cell drawn next to the cursor's, ``towards`` -1 (left) or +1 (right): the cursor
        goes where the arrow points, also across a Latin name or digits in Arabic, a cell (a
        letter with its harakat, a lam-alef) at a time."""
        shown = self.shown_value()
        start, end = self.selection
        if not select and start != end:  # a selection collapses to its edge on that side
            edges = sorted((start, end), key=shown.column)
            self.cursor_position = edges[0] if towards < 0 else edges[-1]
            return
        i = shown.cell_index(end) + towards
        if 0 <= i < len(shown.cells):
            target = shown.cells[i].start
            self.selection = Selection(start, target) if select else Selection.cursor(target)

    def action_cursor_left(self, select: bool = False) -> None:
        if self.password:
            super().action_cursor_left(select)
        else:
            self._step(-1, select)

    def action_cursor_right(self, select: bool = False) -> None:
        if self.password:
            super().action_cursor_right(select)
        else:
            self._step(1, select)

    def action_cursor_left_word(self, select: bool = False) -> None:
        (super().action_cursor_right_word if self._rtl() else super().action_cursor_left_word)(select)

    def action_cursor_right_word(self, select: bool = False) -> None:
        (super().action_cursor_left_word if self._rtl() else super().action_cursor_right_word)(select)
