"""What the layout engine produces: cells in visual order, grouped into lines.

A cell is the unit the terminal draws (one grapheme cluster, a lam-alef ligature,
a visible control symbol, an expanded tab); it remembers the logical ``[start, end)``
offsets it shows so that a column can be turned back into a text offset.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import NamedTuple

DIRECTIONS = ("rtl", "ltr", "auto")


class Cell(NamedTuple):
    """One drawn unit. ``text`` is safe to send to a terminal (never a raw control).

    A named tuple (immutable, compared and hashed by value) rather than a frozen dataclass:
    the engine makes one per character, and a tuple is built in C, in bulk, by :func:`cells_of`.
    """

    text: str
    width: int
    start: int
    end: int
    rtl: bool


_tuple_new = tuple.__new__
_new = object.__new__
_set = object.__setattr__


def make_cell(text: str, width: int, start: int, end: int, rtl: bool) -> Cell:
    """A :class:`Cell`, without the keyword handling of ``Cell(...)``."""
    return _tuple_new(Cell, (text, width, start, end, rtl))


def cells_of(fields: Iterable[tuple[str, int, int, int, bool]]) -> list[Cell]:
    """Cells from (text, width, start, end, rtl) tuples, built in C (no Python call per cell)."""
    return list(map(_tuple_new, repeat(Cell), fields))


@dataclass(frozen=True)
class LayoutOptions:
    """How to lay out: width in cells, paragraph direction, shaping, visible controls.

    ``fast_paths=False`` makes every stage of the engine take its general path: the same
    lines, more slowly; for tests that prove the fast paths give what the general ones give.
    """

    width: int
    direction: str = "rtl"
    shape: bool = True
    show_controls: bool = False
    tab_size: int = 8
    fast_paths: bool = True

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")
        if self.width < 1:
            raise ValueError("width must be at least 1 cell")
        if self.tab_size < 1:
            raise ValueError("tab_size must be at least 1")


@dataclass(frozen=True)
class VisualLine:
    """One screen row of a paragraph, cells left to right."""

    cells: tuple[Cell, ...]
    start: int
    end: int
    width: int
    rtl: bool
    paragraph: int
    _columns: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._columns and self.cells:
            columns = tuple(accumulate([cell.width for cell in self.cells], initial=0))
            object.__setattr__(self, "_columns", columns[:-1])

    @classmethod
    def prepared(cls, cells: tuple[Cell, ...], start: int, end: int, width: int, rtl: bool,
                 paragraph: int, columns: tuple[int, ...]) -> VisualLine:
        """A line whose cell columns the caller already knows (the engine): no per-cell pass,
        and none of the frozen dataclass ``__init__``'s ``object.__setattr__`` calls."""
        line = _new(cls)
        _set(line, "__dict__", {"cells": cells, "start": start, "end": end, "width": width,
                                "rtl": rtl, "paragraph": paragraph, "_columns": columns})
        return line

    @property
    def text(self) -> str:
        """The visual string of the line (what a terminal shows from its first cell)."""
        return "".join(cell.text for cell in self.cells)

    def indent(self, avail: int) -> int:
        """Left padding that right-aligns an RTL line within ``avail`` columns (LTR: 0)."""
        if not self.rtl:
            return 0
        return max(0, avail - self.width)

    def offset_at_column(self, col: int) -> int | None:
        """Logical offset shown at column ``col`` (counted from the first cell), or None."""
        if col < 0 or col >= self.width or not self.cells:
            return None
        index = bisect_right(self._columns, col) - 1
        # Zero-width cells share a column with the next drawn cell: prefer the drawn one.
        while index < len(self.cells) - 1 and self.cells[index].width == 0:
            index += 1
        while index >= 0 and self.cells[index].width == 0:
            index -= 1
        if index < 0:
            return None
        return self.cells[index].start

    def column_of_offset(self, offset: int) -> int | None:
        """Left column of the cell that shows ``offset``, or None if the line does not show it."""
        if offset < self.start or offset >= self.end:
            return None
        for cell, col in zip(self.cells, self._columns, strict=True):
            if cell.start <= offset < cell.end:
                return col
        return None

    def cell_of_offset(self, offset: int) -> Cell | None:
        """The cell showing ``offset`` (None if outside the line)."""
        if offset < self.start or offset >= self.end:
            return None
        for cell in self.cells:
            if cell.start <= offset < cell.end:
                return cell
        return None
