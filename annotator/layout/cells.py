"""Stage 3 of a paragraph's layout: each chosen line reordered (L1, L2) and drawn as cells.

Per paragraph, the cell of every atom as drawn at its own level and width is made once, in
bulk (:func:`paragraph_cells`): most atoms end up in a line exactly so, and a line is then a
slice or gather of those. Only the atoms a line changes — a direction changed by L1, hanging
whitespace, a tab or an orphan mark — are redrawn alone (:func:`_redraw_one_cell_atoms`) or,
when not one cell, the line atom by atom (:func:`_atom_cells`). The choice is made in
:func:`build_line`; :func:`one_level_lines` is its fast path for a whole paragraph at its own
level (no L1, no L2 runs: each line one slice).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate, compress, islice, repeat
from operator import getitem, itemgetter, sub

from annotator.layout.atoms import PreparedParagraph, atom_width
from annotator.layout.bidi import line_levels, reorder, reversals
from annotator.layout.glyphs import (
    BASE,
    CONTROL,
    DOTTED_CIRCLE,
    HIDDEN,
    MARK,
    SPACE,
    TAB,
    base_text_width,
    control_symbol,
    invisible_marker,
)
from annotator.layout.lines import Cell, VisualLine, cells_of, make_cell
from annotator.layout.shaping import CONSUMED
from annotator.layout.unicode_data import MIRRORS


def paragraph_cells(par: PreparedParagraph, offset: int) -> list[Cell]:
    """The cell of every atom as it is drawn at its own level with its own width, made in one
    go, in C. An atom that is not one plain cell (a tab, an orphan mark) gets a cell with text
    None: lines draw those one by one."""
    starts: Sequence[int] = par.atom_starts
    if len(starts) - 1 == par.n:  # every atom is one character
        starts = range(offset, offset + par.n + 1)
    elif offset and par.start_mask is not None:
        starts = list(compress(range(offset, offset + par.n), par.start_mask))
        starts.append(offset + par.n)
    glyphs, rtl_glyphs = par.atom_glyphs, par.atom_rtl_glyphs
    if par.uniform:  # one level (most paragraphs): no per-atom choice
        rtl = par.levels[0] & 1 == 1
        texts = rtl_glyphs if rtl else glyphs
        fields = zip(texts, par.atom_widths, starts, islice(starts, 1, None), repeat(rtl), strict=False)
    else:
        # Per atom, in C: its direction from its level, its text mirrored or not by it.
        odd = list(map(_ODD.__getitem__, par.atom_levels))
        texts = glyphs if rtl_glyphs is glyphs else list(map(getitem, zip(glyphs, rtl_glyphs, strict=True), odd))
        fields = zip(texts, par.atom_widths, starts, islice(starts, 1, None), odd, strict=False)
    return cells_of(fields)  # type: ignore[arg-type]  # None texts: see above


_ODD = tuple(level & 1 == 1 for level in range(256))  # level -> at an odd level (right to left)
_WIDTH_OF_CELL = itemgetter(1)


def build_line(par: PreparedParagraph, ready: list[Cell] | None, begin: int, end: int, widths: list[int],
               offset: int, paragraph: int) -> VisualLine:
    """The visual line of atoms ``[begin, end)`` (their ``widths`` from line breaking): L1, L2,
    hanging whitespace, cells. ``ready`` is :func:`paragraph_cells` (None: draw every atom)."""
    starts = par.atom_starts
    natoms = end - begin
    # L1: nothing to reset in a paragraph at its own level throughout (most)
    one_level = par.one_level
    if one_level and ready is not None:
        atom_levels, special = [par.para_level] * natoms, list[int]()
    else:
        atom_levels, special = line_levels(par.atom_levels, par.atom_roles, begin, end, par.para_level,
                                           separators=par.has_separators)
    # Hanging whitespace: trailing spaces beyond the width draw with zero width.
    total = sum(widths)
    spaces = par.atom_spaces
    if total > par.options.width:
        widths = list(widths)
        a = natoms - 1
        while total > par.options.width and a > 0 and spaces[begin + a]:
            total -= widths[a]
            widths[a] = 0
            special.append(a)
            a -= 1
    if ready is None:
        return _line_atom_by_atom(par, None, begin, end, widths, atom_levels, set(range(natoms)),
                                  total, offset, paragraph)
    if par.has_complex:
        glyphs = par.atom_glyphs
        special.extend([a for a in range(natoms) if glyphs[begin + a] is None])
    cells = ready[begin:end]
    if special and not _redraw_one_cell_atoms(par, cells, begin, widths, atom_levels, special, offset):
        return _line_atom_by_atom(par, ready, begin, end, widths, atom_levels, set(special), total,
                                  offset, paragraph)
    # Fast path: every atom is drawn as prepared for the paragraph, or redrawn as one cell:
    # L2 on whole lists, a slice reversed per run.
    if one_level or max(atom_levels) == min(atom_levels):
        if atom_levels[0] & 1:
            cells.reverse()
            widths = widths[:0:-1]  # reversed, the last drawn left out: columns are starts
        else:
            widths = widths[:-1]
    else:
        for a, b in reversals(atom_levels):
            cells[a:b] = cells[a:b][::-1]
        widths = list(map(_WIDTH_OF_CELL, cells[:-1]))  # each cell's width is its atom's on this line
    return VisualLine.prepared(tuple(cells), offset + starts[begin], offset + starts[end], total,
                               bool(par.para_level & 1), paragraph, tuple(accumulate(widths, initial=0)))


def one_level_lines(par: PreparedParagraph, ready: list[Cell], bounds: list[tuple[int, int]],
                    columns: list[int], offset: int, paragraph: int) -> list[VisualLine] | None:
    """Fast path of :func:`build_line` for a whole paragraph at its own level throughout (most
    Arabic prose), every atom one plain cell: L1 resets nothing and L2 reverses the line or
    not, so each line is a slice of ``ready`` and its columns come from the paragraph's
    ``columns`` (``breaking.line_bounds``). None when the paragraph is not such. A line with
    hanging whitespace is drawn by :func:`build_line`."""
    if not par.one_level or par.has_complex:
        return None
    starts, widths, limit = par.atom_starts, par.atom_widths, par.options.width
    rtl = bool(par.para_level & 1)
    lines = []
    for begin, end in bounds:
        right = columns[end]
        total = right - columns[begin]
        if total > limit:  # trailing whitespace hangs
            lines.append(build_line(par, ready, begin, end, widths[begin:end], offset, paragraph))
            continue
        cells = ready[begin:end]
        if rtl:
            cells.reverse()
            starts_at = tuple(map(sub, repeat(right), columns[end:begin:-1]))
        else:
            starts_at = tuple(map(sub, columns[begin:end], repeat(columns[begin])))
        lines.append(VisualLine.prepared(tuple(cells), offset + starts[begin], offset + starts[end], total, rtl,
                                         paragraph, starts_at))
    return lines


def _redraw_one_cell_atoms(par: PreparedParagraph, cells: list[Cell], begin: int, widths: list[int],
                           atom_levels: list[int], special: list[int], offset: int) -> bool:
    """Redraw in ``cells`` (the line's, logical order) the ``special`` atoms whose cell L1 or
    hanging changed, when each is still one cell: a direction changed, or one hanging space.
    False (``cells`` partly redrawn) when one is not: the line is then drawn atom by atom."""
    starts, spaces = par.atom_starts, par.atom_spaces
    for a in special:
        k = begin + a
        s, e = starts[k], starts[k + 1]
        rtl = atom_levels[a] & 1 == 1
        glyph = par.atom_rtl_glyphs[k] if rtl else par.atom_glyphs[k]
        if glyph is None:
            return False
        width = widths[a]
        if width or not spaces[k]:
            cells[a] = make_cell(glyph, width, offset + s, offset + e, rtl)
        elif e == s + 1:  # a whitespace character hanging at the end of a full line: drawn empty
            cells[a] = make_cell("", 0, offset + s, offset + e, rtl)
        else:
            return False
    return True


def _line_atom_by_atom(par: PreparedParagraph, ready: list[Cell] | None, begin: int, end: int,
                       widths: list[int], atom_levels: list[int], special: set[int], total: int,
                       offset: int, paragraph: int) -> VisualLine:
    """General path: the line's atoms in L2 order, the ``special`` ones (line-relative) drawn
    here at their level after L1 and their width on this line, the others taken ready."""
    starts = par.atom_starts
    spaces = par.atom_spaces
    glyphs = par.atom_glyphs
    rtl_glyphs = par.atom_rtl_glyphs
    cells: list[Cell] = []
    append = cells.append
    for a in reorder(atom_levels):
        k = begin + a
        if a not in special and ready is not None:
            append(ready[k])
            continue
        s = starts[k]
        rtl = atom_levels[a] & 1 == 1
        glyph = rtl_glyphs[k] if rtl else glyphs[k]
        width = widths[a]
        if glyph is not None and (width or not spaces[k]):
            append(make_cell(glyph, width, offset + s, offset + starts[k + 1], rtl))
        else:
            _atom_cells(cells, par, s, starts[k + 1], widths[a], rtl, offset)
    return VisualLine(tuple(cells), offset + starts[begin], offset + starts[end], total,
                      bool(par.para_level & 1), paragraph)


def _atom_cells(cells: list[Cell], par: PreparedParagraph, s: int, e: int, width_on_line: int, rtl: bool,
                offset: int) -> None:
    """Append the cells of the atom ``[s, e)`` (in logical order inside the atom)."""
    text, kinds, shaped, show = par.text, par.kinds, par.shaped, par.options.show_controls
    first = len(cells)
    cur_text: str | None = None  # text of the cell being built
    cur_start = s
    cur_width = 0
    can_carry = False
    pending = s  # start of not-yet-assigned (hidden) characters

    def flush(end: int) -> None:
        nonlocal cur_text
        if cur_text is not None:
            cells.append(make_cell(cur_text, cur_width, offset + cur_start, offset + end, rtl))
            cur_text = None

    for i in range(s, e):
        kind = kinds[i]
        ch = text[i]
        if kind == MARK:
            if cur_text is not None and can_carry:
                cur_text += ch
                pending = i + 1
                continue
            flush(i)
            cur_text, cur_start, cur_width, can_carry = DOTTED_CIRCLE + ch, min(pending, i), 1, True
            pending = i + 1
            continue
        if kind == HIDDEN and not show:
            if cur_text is not None:
                pending = i + 1  # the current cell's end grows to cover it
            continue  # else it goes to the next cell of the atom (or a zero-width cell)
        flush(i)
        start = min(pending, i)
        if kind == BASE:
            glyph_text, width = base_text_width(ch)
            if shaped is not None:
                glyph = shaped[i]
                if glyph is CONSUMED:
                    # Alef of a lam-alef: the previous cell (the lam's) covers it.
                    last = cells.pop()
                    cur_text, cur_start, cur_width, can_carry = last.text, last.start - offset, \
                        last.width, True
                    continue
                if glyph != ch:
                    glyph_text = glyph
            if rtl and glyph_text in MIRRORS:
                glyph_text = MIRRORS[glyph_text]
            cur_text, cur_start, cur_width, can_carry = glyph_text, start, width, True
        elif kind == HIDDEN:
            cur_text, cur_start, cur_width, can_carry = invisible_marker(ch), start, 1, False
        elif kind == CONTROL:
            cur_text, cur_start, cur_width, can_carry = control_symbol(ch), start, 1, False
        elif kind == TAB:
            # The tab fills what the atom's other characters (orphan marks) leave.
            width = width_on_line and width_on_line - atom_width(par, i + 1, e, 0)[0]
            cur_text, cur_start, cur_width, can_carry = " " * width, start, width, False
        else:  # SPACE
            width = base_text_width(ch)[1]
            cur_text, cur_start, cur_width, can_carry = " " * width, start, width, False
        pending = i + 1
    if cur_text is not None:
        flush(e)
    elif len(cells) > first:
        # Trailing hidden characters: the atom's last cell covers them.
        last = cells[-1]
        cells[-1] = make_cell(last.text, last.width, last.start, offset + e, last.rtl)
    else:
        # An atom of hidden characters only: a zero-width cell keeps its offsets resolvable.
        cells.append(make_cell("", 0, offset + s, offset + e, rtl))
    if width_on_line == 0 and len(cells) > first and kinds[s] in (TAB, SPACE):
        # Hanging whitespace at the end of a full line.
        for idx in range(first, len(cells)):
            c = cells[idx]
            cells[idx] = make_cell("", 0, c.start, c.end, c.rtl)
