"""Stage 2 of a paragraph's layout: choose its lines, in logical order, between atoms.

Greedy: a line breaks after whitespace (or a zero-width space); a token wider than the line
is broken between atoms; trailing whitespace may overflow the width (it hangs: drawn with
zero width). Two paths give the same lines, chosen in ``engine.layout_paragraph`` only: the
general :func:`choose_lines`, and :func:`line_bounds` when :func:`simple_lines` holds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from annotator.layout.atoms import PreparedParagraph, atom_width

ZWSP = "\u200b"

# (first atom, end atom, widths of its atoms) of a line
LineSpan = tuple[int, int, list[int]]


def choose_lines(par: PreparedParagraph) -> list[LineSpan]:
    """Break the paragraph into lines: per line, (first atom, end atom, widths of its atoms).
    General path: atoms measured one by one along the line (a tab's width depends on its
    column), breaking after whitespace or before an atom following a zero-width space."""
    starts = par.atom_starts
    natoms = len(starts) - 1
    limit = par.options.width
    text = par.text
    static_widths = par.atom_widths
    spaces = par.atom_spaces
    lines = []
    pos = 0
    while pos < natoms:
        begin = pos
        col = 0
        widths: list[int] = []
        last_break = -1
        k = pos
        end = natoms
        prev_space = False
        while k < natoms:
            w = static_widths[k]
            if w < 0:
                w = atom_width(par, starts[k], starts[k + 1], col)[0]
            if spaces[k]:
                widths.append(w)
                col += w
                prev_space = True
                k += 1
                continue
            if prev_space or (k > begin and text[starts[k] - 1] == ZWSP):
                last_break = k
                prev_space = False
            if col + w > limit and k > begin:
                end = last_break if last_break > begin else k
                break
            widths.append(w)
            col += w
            k += 1
        lines.append((begin, end, widths[: end - begin]))
        pos = end
    return lines


def line_bounds(widths: list[int], spaces: Sequence[int], limit: int) -> tuple[list[tuple[int, int]], list[int]]:
    """Fast path: (first atom, end atom) of every line, and the start column of every atom (and of
    the end) along the unbroken paragraph, when every atom's width is known (no tab) and no
    zero-width space marks a break (:func:`simple_lines`): each line found by bisection on the
    running column and byte searches; the lines :func:`choose_lines` gives.

    A line ends before the first non-space atom (not its first) that overflows it, or rather
    at the last break (a non-space atom after a space) up to that atom, when there is one.
    """
    natoms = len(widths)
    columns = list(accumulate(widths, initial=0))  # columns[a]: start column of atom a
    kinds = bytes(spaces)  # 1: whitespace
    bounds = []
    begin = 0
    while begin < natoms:
        # First atom whose end column passes the limit (columns never decrease).
        over = bisect_right(columns, columns[begin] + limit, begin + 1) - 1
        end = natoms
        if over < natoms:
            k = kinds.find(0, max(over, begin + 1))  # trailing whitespace may overflow
            if k >= 0:
                space_then_word = kinds.rfind(b"\x01\x00", begin, k + 1)
                end = space_then_word + 1 if space_then_word >= 0 else k
        bounds.append((begin, end))
        begin = end
    return bounds, columns


def simple_lines(par: PreparedParagraph) -> bool:
    """Whether :func:`line_bounds` applies (every atom's width known, no zero-width space)."""
    # (only the general measuring path makes a width -1: a tab)
    return par.options.fast_paths and not (par.measured_atom_by_atom and -1 in par.atom_widths) \
        and ZWSP not in par.text
