"""An ``Input`` that never sends a control character of its value to the terminal.

Textual's ``Input`` draws its value as it is. A value loaded from the store (a claim's
free-text attribute, a document note) or pasted in can hold ESC sequences, C1 controls
or bidi overrides, which would then clear the screen, set the clipboard or reorder
the line. This one draws each such character as the visible symbol the layout engine
uses (ESC → ␛, RLO → its marker), one symbol per code point, so positions in the value
and cursor columns still match; the value itself is stored exactly as typed.
"""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text
from textual.widgets import Input

from annotator.tui.shown import visible_controls


class SafeInput(Input):
    """``Input`` whose drawn value has every control character made visible."""

    @property
    def _value(self) -> Text:  # Textual 8.2.8 draws the value from here
        if self.password:
            return super()._value
        text = Text(visible_controls(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text

    def _position_to_cell(self, position: int) -> int:
        return cell_len(visible_controls(self.value[:position]))

    def _cell_offset_to_index(self, offset: int) -> int:
        cell_offset = 0
        scroll_x, _ = self.scroll_offset
        offset += scroll_x
        shown = visible_controls(self.value)
        for index, char in enumerate(shown):
            width = get_character_cell_size(char)
            if cell_offset <= offset < cell_offset + width:
                return index
            cell_offset += width
        return max(0, min(offset, len(shown)))
