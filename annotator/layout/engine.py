"""Lay out paragraphs into visual lines of cells.

Per paragraph: bidi classes, embedding levels resolved once (UAX #9, :mod:`bidi`),
Arabic shaping on the logical text (:mod:`shaping`), then the text is cut into
*atoms* that must never be split or separated: a grapheme cluster (base, any
invisible controls, its marks — the L3 unit FriBidi reorders with
``FRIBIDI_FLAG_REORDER_NSM``) or a lam-alef ligature. Breaks are chosen between atoms
in logical order (after whitespace; inside a token longer than the width, anywhere
between atoms). Each line then gets L1 (trailing whitespace to the paragraph level),
L2 (reverse runs of atoms), and its atoms become cells left to right, with L4
mirroring at odd levels.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache

from wcwidth import wcwidth

from annotator.layout.bidi import (
    REMOVED,
    TRAILING_RESET,
    bidi_classes,
    paragraph_level,
    reorder,
    resolve_levels,
)
from annotator.layout.lines import Cell, LayoutOptions, VisualLine, make_cell
from annotator.layout.paragraphs import split_paragraphs
from annotator.layout.shaping import CONSUMED, LAM, shape
from annotator.layout.unicode_data import MIRRORS

DOTTED_CIRCLE = "\u25cc"
REPLACEMENT = "\ufffd"

# Invisible characters: drawn as nothing by default, as these markers with show_controls.
CONTROL_MARKERS = {
    "\u200e": "\u2192",  # LRM  →
    "\u200f": "\u2190",  # RLM  ←
    "\u061c": "\u219a",  # ALM  ↚
    "\u202a": "\u21c9",  # LRE  ⇉
    "\u202b": "\u21c7",  # RLE  ⇇
    "\u202c": "\u21a5",  # PDF  ↥
    "\u202d": "\u21db",  # LRO  ⇛
    "\u202e": "\u21da",  # RLO  ⇚
    "\u2066": "\u21e5",  # LRI  ⇥
    "\u2067": "\u21e4",  # RLI  ⇤
    "\u2068": "\u21b9",  # FSI  ↹
    "\u2069": "\u21a7",  # PDI  ↧
    "\u200d": "\u203f",  # ZWJ  ‿
    "\u200c": "\u00a6",  # ZWNJ ¦
    "\ufeff": "\u2300",  # BOM  ⌀
    "\u200b": "\u2423",  # ZWSP ␣
    "\u00ad": "\u2010",  # soft hyphen ‐
}
OTHER_INVISIBLE_MARKER = "\u25c7"  # ◇ any other format character
C1_MARKER = "\u2370"  # ⍰ C1 control
DEL_MARKER = "\u2421"  # ␡

NO_BREAK_SPACES = frozenset("\u00a0\u2007\u202f")

# Character kinds
BASE, MARK, HIDDEN, CONTROL, TAB, SPACE = range(1, 7)  # never 0: looked up with `or`


_KIND_CACHE: dict[str, int] = {}


def char_kind(ch: str) -> int:
    """How a character is drawn: base, combining mark, invisible, control symbol, tab or space."""
    kind = _KIND_CACHE.get(ch)
    if kind is None:
        kind = _KIND_CACHE[ch] = _char_kind(ch)
    return kind


def _char_kind(ch: str) -> int:
    if ch == "\t":
        return TAB
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return CONTROL
    if 0xD800 <= cp <= 0xDFFF:
        return BASE  # lone surrogate: drawn as U+FFFD
    if ch in CONTROL_MARKERS:
        return HIDDEN
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me"):
        return MARK
    if cat == "Cf" or cat in ("Zl", "Zp"):
        return HIDDEN
    if cat == "Zs":
        return BASE if ch in NO_BREAK_SPACES else SPACE
    return BASE


@lru_cache(maxsize=None)
def base_text_width(ch: str) -> tuple[str, int]:
    """Text and width of a drawn base character (before shaping and mirroring)."""
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:
        return REPLACEMENT, 1
    w = wcwidth(ch)
    return ch, 2 if w == 2 else 1


def control_symbol(ch: str) -> str:
    """Visible stand-in for a C0/C1 control (ESC → ␛): raw controls never reach the terminal."""
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)
    if cp == 0x7F:
        return DEL_MARKER
    return C1_MARKER


def invisible_marker(ch: str) -> str:
    return CONTROL_MARKERS.get(ch, OTHER_INVISIBLE_MARKER)


class _Paragraph:
    """Everything resolved once per paragraph, before any line is chosen."""

    __slots__ = ("text", "n", "classes", "levels", "para_level", "shaped", "kinds", "atom_starts",
                 "atom_widths", "atom_spaces", "atom_glyphs", "atom_rtl_glyphs", "atom_levels",
                 "atom_reset", "has_separators", "options")

    def __init__(self, text: str, options: LayoutOptions) -> None:
        self.text = text
        self.options = options
        self.n = n = len(text)
        self.classes = classes = bidi_classes(text)
        self.para_level = paragraph_level(classes, options.direction)
        self.levels = levels = resolve_levels(text, classes, self.para_level)
        self.shaped = shape(text, levels, classes) if options.shape else None
        get = _KIND_CACHE.get
        self.kinds = [get(ch) or char_kind(ch) for ch in text]
        self.atom_starts = _atom_starts(text, classes, levels, self.shaped, n)
        self._measure_atoms()

    def _measure_atoms(self) -> None:
        """Width of every atom (-1 when it holds a tab: its width depends on the column),
        whether it is whitespace, and for a lone drawn character its glyph (the fast path)."""
        text, kinds, shaped = self.text, self.kinds, self.shaped
        show = self.options.show_controls
        starts = self.atom_starts
        widths: list[int] = []
        spaces: list[bool] = []
        glyphs: list[str | None] = []
        for k in range(len(starts) - 1):
            s = starts[k]
            kind = kinds[s]
            if starts[k + 1] == s + 1 and kind != TAB:
                ch = text[s]
                if kind == BASE:
                    glyph, width = base_text_width(ch)
                    if shaped is not None and shaped[s] != ch:
                        glyph = shaped[s]  # type: ignore[assignment]
                    widths.append(width)
                    spaces.append(False)
                    glyphs.append(glyph)
                    continue
                if kind == SPACE:
                    width = base_text_width(ch)[1]
                    widths.append(width)
                    spaces.append(True)
                    glyphs.append(" " * width)
                    continue
                if kind == HIDDEN:
                    widths.append(1 if show else 0)
                elif kind == CONTROL or kind == MARK:
                    widths.append(1)
                spaces.append(False)
                glyphs.append(None)
                continue
            e = starts[k + 1]
            has_tab = any(kinds[i] == TAB for i in range(s, e))
            width, space = _atom_width(self, s, e, 0)
            widths.append(-1 if has_tab else width)
            spaces.append(space)
            glyphs.append(None)
        self.atom_widths = widths
        self.atom_spaces = spaces
        self.atom_glyphs = glyphs
        mirrors = MIRRORS
        self.atom_rtl_glyphs = [mirrors.get(g, g) if g is not None else None for g in glyphs]
        levels, classes = self.levels, self.classes
        self.atom_levels = [levels[s] for s in starts[:-1]]
        reset = bytearray(len(starts) - 1)
        for k in range(len(starts) - 1):
            s = starts[k]
            if starts[k + 1] == s + 1:
                cls = classes[s]
                if cls in TRAILING_RESET:
                    reset[k] = 1
                elif cls == "S" or cls == "B":
                    reset[k] = 2
        self.atom_reset = reset
        self.has_separators = 2 in reset


def _atom_starts(text: str, classes: list[str], levels: list[int], shaped: list[str] | None,
                 n: int) -> list[int]:
    """Logical start index of every atom (a cluster or a lam-alef ligature), plus ``n``."""
    joined = bytearray(n)  # joined[i] = 1: character i continues the atom of i - 1
    for i in range(1, n):
        if classes[i] == "NSM":
            level = levels[i]
            j = i - 1
            while j >= 0 and (classes[j] in REMOVED or classes[j] == "NSM") and levels[j] == level:
                j -= 1
            first = j if j >= 0 and levels[j] == level else j + 1
            for k in range(first + 1, i + 1):
                joined[k] = 1
    if shaped is not None:
        for i in range(1, n):
            if shaped[i] is CONSUMED:
                # The consumed alef joins its lam (and the marks between them).
                j = i - 1
                while j > 0 and text[j] != LAM:
                    j -= 1
                for k in range(j + 1, i + 1):
                    joined[k] = 1
    starts = [i for i in range(n) if not joined[i]]
    starts.append(n)
    return starts


def _atom_width(par: _Paragraph, s: int, e: int, col: int) -> tuple[int, bool]:
    """Width of the atom ``[s, e)`` when it starts at logical column ``col``; and whether it is
    whitespace (a space or tab: where a line may break and trail)."""
    kinds = par.kinds
    text = par.text
    show = par.options.show_controls
    width = 0
    has_base = False
    only_space = True
    for i in range(s, e):
        kind = kinds[i]
        if kind == BASE:
            if par.shaped is not None and par.shaped[i] is CONSUMED:
                continue
            width += base_text_width(text[i])[1]
            has_base = True
            only_space = False
        elif kind == MARK:
            if not has_base:
                width += 1  # drawn on a dotted circle
                has_base = True
            only_space = False
        elif kind == HIDDEN:
            if show:
                width += 1
                has_base = False
                only_space = False
        elif kind == CONTROL:
            width += 1
            has_base = False
            only_space = False
        elif kind == TAB:
            tab = par.options.tab_size
            width += tab - (col + width) % tab
            has_base = False
        else:  # SPACE
            width += base_text_width(text[i])[1]
            has_base = False
    return width, only_space and e > s and kinds[s] in (TAB, SPACE)


def choose_lines(par: _Paragraph) -> list[tuple[int, int, list[int]]]:
    """Break the paragraph into lines in logical order.

    Returns, per line, (first atom, end atom, widths of its atoms). A line breaks after
    whitespace (or a zero-width space); a token wider than the line is broken between atoms.
    Trailing whitespace may overflow the width: it hangs (drawn with zero width).
    """
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
                w = _atom_width(par, starts[k], starts[k + 1], col)[0]
            if spaces[k]:
                widths.append(w)
                col += w
                prev_space = True
                k += 1
                continue
            if prev_space or (k > begin and text[starts[k] - 1] == "\u200b"):
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


def _mirror(ch: str) -> str:
    return MIRRORS.get(ch, ch)


def _line_atom_levels(par: _Paragraph, begin: int, end: int) -> list[int]:
    """Levels of the line's atoms after L1: separators, and whitespace (and isolate or
    removed controls) before a separator or at the end of the line, get the paragraph level.

    An atom of several characters always holds a mark, which L1 never resets, so L1 can be
    applied to atoms: only single-character atoms are candidates.
    """
    levels = par.atom_levels[begin:end]
    reset = par.atom_reset
    para_level = par.para_level
    k = end - begin - 1
    while k >= 0 and reset[begin + k]:
        levels[k] = para_level
        k -= 1
    if par.has_separators:
        trailing = False
        for k in range(end - begin - 1, -1, -1):
            r = reset[begin + k]
            if r == 2:
                levels[k] = para_level
                trailing = True
            elif r == 1 and trailing:
                levels[k] = para_level
            else:
                trailing = False
    return levels


def _build_line(par: _Paragraph, begin: int, end: int, widths: list[int], offset: int,
                paragraph: int) -> VisualLine:
    starts = par.atom_starts
    s_line, e_line = starts[begin], starts[end]
    atom_levels = _line_atom_levels(par, begin, end)
    natoms = end - begin
    # Hanging whitespace: trailing spaces beyond the width draw with zero width.
    total = sum(widths)
    if total > par.options.width:
        widths = list(widths)
        spaces = par.atom_spaces
        a = natoms - 1
        while total > par.options.width and a > 0 and spaces[begin + a]:
            total -= widths[a]
            widths[a] = 0
            a -= 1
    cells: list[Cell] = []
    append = cells.append
    glyphs = par.atom_glyphs
    rtl_glyphs = par.atom_rtl_glyphs
    for a in reorder(atom_levels):
        k = begin + a
        s = starts[k]
        rtl = atom_levels[a] & 1 == 1
        glyph = rtl_glyphs[k] if rtl else glyphs[k]
        if glyph is not None and widths[a]:
            append(make_cell(glyph, widths[a], offset + s, offset + s + 1, rtl))
        else:
            _atom_cells(cells, par, s, starts[k + 1], widths[a], rtl, offset)
    return VisualLine(tuple(cells), offset + s_line, offset + e_line, total,
                      bool(par.para_level & 1), paragraph)


def _atom_cells(cells: list[Cell], par: _Paragraph, s: int, e: int, atom_width: int, rtl: bool,
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
            if shaped is not None:
                glyph = shaped[i]
                if glyph is CONSUMED:
                    # Alef of a lam-alef: the previous cell (the lam's) covers it.
                    last = cells.pop()
                    cur_text, cur_start, cur_width, can_carry = last.text, last.start - offset, \
                        last.width, True
                    continue
                glyph_text, width = base_text_width(ch)
                if glyph != ch:
                    glyph_text = glyph  # type: ignore[assignment]
            else:
                glyph_text, width = base_text_width(ch)
            if rtl and glyph_text in MIRRORS:
                glyph_text = _mirror(glyph_text)
            cur_text, cur_start, cur_width, can_carry = glyph_text, start, width, True
        elif kind == HIDDEN:
            cur_text, cur_start, cur_width, can_carry = invisible_marker(ch), start, 1, False
        elif kind == CONTROL:
            cur_text, cur_start, cur_width, can_carry = control_symbol(ch), start, 1, False
        elif kind == TAB:
            # The tab fills what the atom's other characters (orphan marks) leave.
            width = atom_width and atom_width - _atom_width(par, i + 1, e, 0)[0]
            cur_text, cur_start, cur_width, can_carry = " " * width, start, width, False
        else:  # SPACE
            glyph_text, width = base_text_width(ch)
            cur_text, cur_start, cur_width, can_carry = " " * width, start, width, False
        pending = i + 1
    if cur_text is not None:
        flush(e)
    elif len(cells) > first:
        # Trailing hidden characters: the atom's last cell covers them.
        last = cells[-1]
        cells[-1] = Cell(last.text, last.width, last.start, offset + e, last.rtl)
    else:
        # An atom of hidden characters only: a zero-width cell keeps its offsets resolvable.
        cells.append(Cell("", 0, offset + s, offset + e, rtl))
    if atom_width == 0 and len(cells) > first and kinds[s] in (TAB, SPACE):
        # Hanging whitespace at the end of a full line.
        for idx in range(first, len(cells)):
            c = cells[idx]
            cells[idx] = Cell("", 0, c.start, c.end, c.rtl)


def layout_paragraph(text: str, options: LayoutOptions, *, offset: int = 0,
                     paragraph: int = 0) -> list[VisualLine]:
    """Visual lines of one paragraph (``text`` holds no paragraph separator).

    Offsets in the cells are ``offset`` + index into ``text``.
    """
    par = _Paragraph(text, options)
    if par.n == 0:
        return [VisualLine((), offset, offset, 0, bool(par.para_level & 1), paragraph)]
    return [_build_line(par, begin, end, widths, offset, paragraph)
            for begin, end, widths in choose_lines(par)]


def layout_text(text: str, options: LayoutOptions) -> list[VisualLine]:
    """Visual lines of a whole text; paragraphs split, offsets absolute."""
    lines: list[VisualLine] = []
    for index, para in enumerate(split_paragraphs(text)):
        lines.extend(layout_paragraph(text[para.start:para.end], options,
                                      offset=para.start, paragraph=index))
    return lines


def visual_string(text: str, direction: str = "rtl", shape: bool = True) -> str:
    """One line of UI text (a title, list item, status line) in visual order, shaped, unwrapped.

    Every right-to-left string shown by the UI goes through here, so that explicit mode
    (where the terminal no longer reorders) shows it correctly. Paragraph separators in
    ``text`` become spaces.
    """
    options = LayoutOptions(width=sys.maxsize, direction=direction, shape=shape)
    pieces = []
    for para in split_paragraphs(text):
        for line in layout_paragraph(text[para.start:para.end], options):
            pieces.append(line.text)
    return " ".join(pieces)
