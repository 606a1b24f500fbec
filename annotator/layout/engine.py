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

import gc
import re
import sys
import unicodedata
from bisect import bisect_right
from functools import lru_cache, wraps
from itertools import accumulate, compress, count, repeat
from operator import itemgetter
from typing import Callable, Sequence, TypeVar

from wcwidth import wcwidth

from annotator.layout.bidi import (
    REMOVED,
    TRAILING_RESET,
    bidi_class,
    bidi_classes,
    paragraph_level,
    reorder,
    resolve_levels,
)
from annotator.layout.lines import Cell, LayoutOptions, VisualLine, cells_of, make_cell
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


CharInfo = tuple[int, bool, "str | None", bool]
_SHOWN_INFO: dict[str, CharInfo] = {}
_HIDDEN_INFO: dict[str, CharInfo] = {}


def _char_info(ch: str, show: bool) -> CharInfo:
    """(width, whitespace?, cell text, shapeable base?) of a character alone in its atom;
    width -1 when it needs the slow path (a tab, an orphan mark)."""
    kind = char_kind(ch)
    if kind == BASE:
        glyph, width = base_text_width(ch)
        info: CharInfo = (width, False, glyph, True)
    elif kind == SPACE:
        width = base_text_width(ch)[1]
        info = (width, True, " " * width, False)
    elif kind == HIDDEN:
        info = (1, False, invisible_marker(ch), False) if show else (0, False, "", False)
    elif kind == CONTROL:
        info = (1, False, control_symbol(ch), False)
    else:  # TAB, MARK
        info = (-1, False, None, False)
    (_SHOWN_INFO if show else _HIDDEN_INFO)[ch] = info
    return info


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

    __slots__ = ("text", "n", "classes", "levels", "para_level", "shaped", "_kinds", "atom_starts",
                 "atom_widths", "atom_spaces", "atom_glyphs", "atom_rtl_glyphs", "atom_levels",
                 "atom_reset", "has_separators", "has_complex", "options")

    def __init__(self, text: str, options: LayoutOptions) -> None:
        self.text = text
        self.options = options
        self.n = n = len(text)
        self.classes = classes = bidi_classes(text)
        self.para_level = paragraph_level(classes, options.direction)
        self.levels = levels = resolve_levels(text, classes, self.para_level)
        self.shaped = shape(text, levels, classes) if options.shape else None
        self._kinds: list[int] | None = None
        self.atom_starts, joined, consumed = _atom_starts(text, classes, levels, self.shaped, n)
        self._measure_atoms(joined, consumed)
        self._atom_properties()

    @property
    def kinds(self) -> list[int]:
        """How each character is drawn (:func:`char_kind`), computed when a slow path needs it."""
        if self._kinds is None:
            get = _KIND_CACHE.get
            self._kinds = [get(ch) or char_kind(ch) for ch in self.text]
        return self._kinds

    def _measure_atoms(self, joined: bytearray | None, consumed: list[int]) -> None:
        """Width of every atom (-1 when it holds a tab: its width depends on the column),
        whether it is whitespace, and its cell text when it is one cell (None otherwise)."""
        text, shaped = self.text, self.shaped
        show = self.options.show_controls
        starts = self.atom_starts
        get = (_SHOWN_INFO if show else _HIDDEN_INFO).get
        # Whole-string translations first, one code byte per character.
        codes = text.translate(_CHAR_CODES[show]).encode("latin-1")
        kinds = codes.translate(_KIND_OF_CODE)
        if joined is None:
            if b"\x02" not in kinds and b"\x05" not in kinds:
                # Every atom is one character, none a tab or an orphan mark.
                self.atom_widths = list(codes.translate(_WIDTH_OF_CODE))
                self.atom_spaces = codes.translate(_SPACE_OF_CODE)
                self.atom_glyphs = self._char_glyphs(codes, get)
                return
        elif _every_atom_one_cell(kinds, joined, consumed):
            # Every atom is a character alone or a letter with its marks (or a lam-alef): its
            # width and whitespace are its first character's, its text all its characters'.
            firsts = _firsts(starts)
            self.atom_widths = list(firsts(codes.translate(_WIDTH_OF_CODE)))
            self.atom_spaces = firsts(codes.translate(_SPACE_OF_CODE))
            pieces = self._char_glyphs(codes, get)
            if pieces is shaped:
                pieces = list(pieces)
            for i in consumed:
                pieces[i] = ""
            glyphs = list(firsts(pieces))
            before = 0  # characters continuing an atom, before the current one
            for m in _CONTINUING.finditer(joined):
                s, e = m.span()
                glyphs[s - 1 - before] = "".join(pieces[s - 1:e])
                before += e - s
            self.atom_glyphs = glyphs
            return
            infos = [get(ch) or _char_info(ch, show) for ch in text]
            if not any(info[0] < 0 for info in infos):
                self.atom_widths = [info[0] for info in infos]
                self.atom_spaces = [info[1] for info in infos]
                if shaped is None:
                    self.atom_glyphs = [info[2] for info in infos]
                else:
                    self.atom_glyphs = [glyph if info[3] and glyph != ch else info[2]
                                        for info, ch, glyph in zip(infos, text, shaped)]
                return
        widths: list[int] = []
        spaces: list[bool] = []
        glyphs: list[str | None] = []
        add_width, add_space, add_glyph = widths.append, spaces.append, glyphs.append
        for s, e in zip(starts, starts[1:]):
            if e == s + 1:
                ch = text[s]
                width, space, glyph, base = get(ch) or _char_info(ch, show)
                if width >= 0:
                    if base and shaped is not None:
                        shaped_glyph = shaped[s]
                        if shaped_glyph != ch:
                            glyph = shaped_glyph
                    add_width(width)
                    add_space(space)
                    add_glyph(glyph)
                    continue
            kinds = self.kinds
            if kinds[s] == BASE and all(kinds[i] == MARK or (shaped is not None and shaped[i] is CONSUMED)
                                        for i in range(s + 1, e)):
                # A letter with its marks, or a lam-alef: still one cell of known text.
                ch = text[s]
                width, _, glyph, _ = get(ch) or _char_info(ch, show)
                if shaped is not None and shaped[s] != ch:
                    glyph = shaped[s]
                add_width(width)
                add_space(False)
                add_glyph(glyph + "".join([text[i] for i in range(s + 1, e) if kinds[i] == MARK]))
                continue
            width, space = _atom_width(self, s, e, 0)
            add_width(-1 if any(kinds[i] == TAB for i in range(s, e)) else width)
            add_space(space)
            add_glyph(None)
        self.atom_widths = widths
        self.atom_spaces = spaces
        self.atom_glyphs = glyphs

    def _char_glyphs(self, codes: bytes, get: Callable[[str], CharInfo | None]) -> list[str]:
        """Cell text of every character alone (shaped; marks as themselves; a consumed alef
        None). May be ``self.shaped`` itself: never to be changed in place."""
        text, shaped, show = self.text, self.shaped, self.options.show_controls
        glyphs = list(text) if shaped is None else shaped
        odd = [m.start() for m in _NOT_ITSELF.finditer(codes)]
        if odd:
            # Characters not drawn as themselves (controls, hidden, other spaces).
            glyphs = list(glyphs)
            for i in odd:
                ch = text[i]
                _, _, glyph, base = get(ch) or _char_info(ch, show)
                if shaped is not None and base and shaped[i] != ch:
                    glyph = shaped[i]
                glyphs[i] = glyph
        return glyphs

    def _atom_properties(self) -> None:
        """Mirrored cell text, paragraph level and L1 role of every atom."""
        glyphs = self.atom_glyphs
        starts = self.atom_starts
        mirrors = MIRRORS
        if None not in glyphs and not _MIRRORED.search("".join(glyphs)):
            self.atom_rtl_glyphs = glyphs  # nothing to mirror (most paragraphs)
        else:
            self.atom_rtl_glyphs = [
                (mirrors.get(g, g) if len(g) == 1 else mirrors.get(g[0], g[0]) + g[1:]) if g else g
                for g in glyphs]
        levels, classes = self.levels, self.classes
        code = _L1_ROLE.get
        if len(starts) - 1 == self.n:
            self.atom_levels = levels
            reset = self.text.translate(_L1_CODES).encode("latin-1")
        else:
            self.atom_levels = [levels[s] for s in starts[:-1]]
            # An atom of several characters holds a mark: never reset by L1.
            reset = [code(classes[s], 0) if e == s + 1 else 0 for s, e in zip(starts, starts[1:])]
        self.atom_reset = reset
        self.has_separators = 2 in reset
        self.has_complex = None in glyphs


# L1 role of a character: 1 reset when trailing, 2 always reset (a separator).
_L1_ROLE = {**{cls: 1 for cls in TRAILING_RESET}, "S": 2, "B": 2}


class _CodeTable(dict):
    """``str.translate`` table: character -> one code character, computed on first use."""

    def __init__(self, code: Callable[[str], int]) -> None:
        super().__init__()
        self._code = code

    def __missing__(self, cp: int) -> str:
        code = self[cp] = chr(self._code(chr(cp)))
        return code


def _firsts(starts: list[int]) -> Callable[[Sequence], tuple]:
    """Picks, from a per-character sequence, the entries of the atoms' first characters (in C)."""
    if len(starts) > 2:
        return itemgetter(*starts[:-1])
    return lambda seq: (seq[0],)


def _every_atom_one_cell(kinds: bytes, joined: bytearray, consumed: list[int]) -> bool:
    """Whether every atom is a character alone or a letter with its marks (or a lam-alef)."""
    n = len(kinds)
    # kind + 8 where a character continues an atom: an OR of two big integers, no loop.
    structure = bytearray((int.from_bytes(kinds, "big") | int.from_bytes(joined.translate(_JOINED_CODE),
                                                                           "big")).to_bytes(n, "big"))
    for i in consumed:
        structure[i] = MARK + 8
    return not _NOT_ONE_CELL.search(structure)


def _char_code(ch: str, show: bool) -> int:
    """Everything the engine needs of a character alone, in one byte: its kind (:func:`char_kind`,
    bits 0-2), width (bits 3-4), whitespace (bit 5), and bit 6 when its cell text is itself."""
    kind = char_kind(ch)
    width, space, glyph, _ = _char_info(ch, show)
    if width < 0:  # a tab or a mark: its width depends on where it is
        return kind | (64 if kind == MARK else 0)
    return kind | width << 3 | (32 if space else 0) | (64 if glyph == ch else 0)


_CHAR_CODES = {show: _CodeTable(lambda ch, show=show: _char_code(ch, show)) for show in (False, True)}
_WIDTH_OF_CODE = bytes(code >> 3 & 3 for code in range(256))
_SPACE_OF_CODE = bytes(code >> 5 & 1 for code in range(256))
_KIND_OF_CODE = bytes(code & 7 for code in range(256))
_NOT_ITSELF = re.compile(b"[\x00-\x3f]")
_JOINED_CODE = bytes((0, 8)) + bytes(254)
_CONTINUING = re.compile(b"\x01+")
# An atom that is not one cell of known text (kind + 8 when the character continues an atom):
# an orphan mark, a tab, a continuing character that is not a mark (a consumed alef is a mark
# here), or a continued character that is not a letter.
_NOT_ONE_CELL = re.compile(b"[\x02\x05\x09\x0b-\x0e]|[\x03\x04\x06][\x09-\x0e]")
_L1_CODES = _CodeTable(lambda ch: _L1_ROLE.get(bidi_class(ch), 0))
_MIRRORED = re.compile("[" + re.escape("".join(MIRRORS)) + "]")


_STARTS_ATOM = bytes((1, 0)) + bytes(254)  # joined[i] -> whether character i starts an atom


def _atom_starts(text: str, classes: list[str], levels: list[int], shaped: list[str] | None,
                 n: int) -> tuple[list[int], bytearray | None, list[int]]:
    """Logical start index of every atom (a cluster or a lam-alef ligature), plus ``n``; also
    which characters continue the atom before them (None: none do) and the consumed alefs."""
    marks = list(compress(count(), map("NSM".__eq__, classes))) if "NSM" in classes else []
    consumed = [i for i, g in enumerate(shaped) if g is CONSUMED] if shaped is not None \
        and CONSUMED in shaped else []
    if not marks and not consumed:
        return list(range(n + 1)), None, consumed  # every character is an atom
    joined = bytearray(n)  # joined[i] = 1: character i continues the atom of i - 1
    if marks:
        # A mark joins back over marks and removed controls at its level to its base (L3, as
        # FRIBIDI_FLAG_REORDER_NSM). Linear: the nearest previous base and the start of the
        # current level run are tracked instead of scanning back from every mark.
        mark_set = set(marks)
        base = -1  # nearest previous character that is neither a mark nor removed
        run_start = 0  # start of the run of equal levels holding i
        filled = -1  # joined[] is set up to here
        for i in range(marks[-1] + 1):
            if i and levels[i] != levels[i - 1]:
                run_start = i
            if i in mark_set:
                if i == 0:
                    continue
                if base >= run_start:
                    first = base  # the base is at the same level: the atom starts there
                else:
                    first = run_start  # no base at this level: the atom starts at the run
                for k in range(max(first + 1, filled + 1), i + 1):
                    joined[k] = 1
                filled = max(filled, i)
            elif classes[i] not in REMOVED:
                base = i
    for i in consumed:
        # The consumed alef joins its lam (and the marks between them).
        j = i - 1
        while j > 0 and text[j] != LAM:
            j -= 1
        for k in range(j + 1, i + 1):
            joined[k] = 1
    starts = list(compress(range(n), joined.translate(_STARTS_ATOM)))
    starts.append(n)
    return starts, joined, consumed


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
    if -1 not in static_widths and "\u200b" not in text:
        return _choose_lines_static(static_widths, spaces, limit)
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


def _choose_lines_static(widths: list[int], spaces: Sequence[int], limit: int
                         ) -> list[tuple[int, int, list[int]]]:
    """:func:`choose_lines` when every atom's width is known (no tab) and no zero-width space
    marks a break: each line found by bisection on the running column and byte searches.

    A line ends before the first non-space atom (not its first) that overflows it, or rather
    at the last break (a non-space atom after a space) up to that atom, when there is one.
    """
    natoms = len(widths)
    columns = list(accumulate(widths, initial=0))  # columns[a]: start column of atom a
    kinds = bytes(spaces)  # 1: whitespace
    lines = []
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
        lines.append((begin, end, widths[begin:end]))
        begin = end
    return lines


def _mirror(ch: str) -> str:
    return MIRRORS.get(ch, ch)


def _line_atom_levels(par: _Paragraph, begin: int, end: int) -> tuple[list[int], list[int]]:
    """Levels of the line's atoms after L1: separators, and whitespace (and isolate or
    removed controls) before a separator or at the end of the line, get the paragraph level.
    Also the (line-relative) atoms whose direction L1 changed.

    An atom of several characters always holds a mark, which L1 never resets, so L1 can be
    applied to atoms: only single-character atoms are candidates.
    """
    levels = par.atom_levels[begin:end]
    reset = par.atom_reset
    para_level = par.para_level
    flipped = []
    k = end - begin - 1
    while k >= 0 and reset[begin + k]:
        if (levels[k] ^ para_level) & 1:
            flipped.append(k)
        levels[k] = para_level
        k -= 1
    if par.has_separators:
        trailing = False
        for k in range(end - begin - 1, -1, -1):
            r = reset[begin + k]
            if r == 2 or (r == 1 and trailing):
                if (levels[k] ^ para_level) & 1:
                    flipped.append(k)
                levels[k] = para_level
                trailing = True
            else:
                trailing = False
    return levels, flipped


def _paragraph_cells(par: _Paragraph, offset: int) -> list[Cell]:
    """The cell of every atom as it is drawn at its own level with its own width, made in one
    go (most atoms end up in a line exactly so). An atom that is not one plain cell (a tab,
    an orphan mark) gets a cell with text None: lines build those one by one."""
    levels = par.atom_levels
    starts = par.atom_starts
    if offset:
        starts = [s + offset for s in starts]
    if max(levels) == min(levels):  # one direction (most paragraphs): no per-atom choice
        rtl = levels[0] & 1 == 1
        texts = par.atom_rtl_glyphs if rtl else par.atom_glyphs
        return cells_of(zip(texts, par.atom_widths, starts, starts[1:], repeat(rtl)))
    texts = [r if lv & 1 else g for g, r, lv in zip(par.atom_glyphs, par.atom_rtl_glyphs, levels)]
    return cells_of(zip(texts, par.atom_widths, starts, starts[1:], [lv & 1 == 1 for lv in levels]))


def _build_line(par: _Paragraph, cells_ready: list[Cell], begin: int, end: int, widths: list[int],
                offset: int, paragraph: int) -> VisualLine:
    starts = par.atom_starts
    s_line, e_line = starts[begin], starts[end]
    atom_levels, special = _line_atom_levels(par, begin, end)
    natoms = end - begin
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
    if par.has_complex:
        glyphs = par.atom_glyphs
        special.extend([a for a in range(natoms) if glyphs[begin + a] is None])
    if not special:
        # Every atom is drawn as prepared for the paragraph: L2 on whole lists.
        if max(atom_levels) == min(atom_levels):
            cells = cells_ready[begin:end]
            if atom_levels[0] & 1:
                cells.reverse()
                widths = widths[::-1]
        else:
            order = reorder(atom_levels)
            cells = [cells_ready[begin + a] for a in order]
            widths = [widths[a] for a in order]
        columns = tuple(accumulate(widths, initial=0))
        return VisualLine.prepared(tuple(cells), offset + s_line, offset + e_line, total,
                                   bool(par.para_level & 1), paragraph, columns[:-1])
    order = reorder(atom_levels)
    special_set = set(special)
    cells = []
    append = cells.append
    glyphs = par.atom_glyphs
    rtl_glyphs = par.atom_rtl_glyphs
    for a in order:
        k = begin + a
        if a not in special_set:
            append(cells_ready[k])
            continue
        s = starts[k]
        rtl = atom_levels[a] & 1 == 1
        glyph = rtl_glyphs[k] if rtl else glyphs[k]
        width = widths[a]
        if glyph is not None and (width or not spaces[k]):
            append(make_cell(glyph, width, offset + s, offset + starts[k + 1], rtl))
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
        cells[-1] = make_cell(last.text, last.width, last.start, offset + e, last.rtl)
    else:
        # An atom of hidden characters only: a zero-width cell keeps its offsets resolvable.
        cells.append(make_cell("", 0, offset + s, offset + e, rtl))
    if atom_width == 0 and len(cells) > first and kinds[s] in (TAB, SPACE):
        # Hanging whitespace at the end of a full line.
        for idx in range(first, len(cells)):
            c = cells[idx]
            cells[idx] = make_cell("", 0, c.start, c.end, c.rtl)


_F = TypeVar("_F", bound=Callable)


def _gc_paused(fn: _F) -> _F:
    """Run ``fn`` with the cyclic garbage collector paused (if it was running).

    A layout allocates one tuple per character and no reference cycles; with the collector
    running, those allocations trigger collections that walk every cell made so far (a
    tuple subclass is never untracked), about a fifth of the time of a large layout.
    """
    @wraps(fn)
    def paused(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()
    return paused  # type: ignore[return-value]


@_gc_paused
def layout_paragraph(text: str, options: LayoutOptions, *, offset: int = 0,
                     paragraph: int = 0) -> list[VisualLine]:
    """Visual lines of one paragraph (``text`` holds no paragraph separator).

    Offsets in the cells are ``offset`` + index into ``text``.
    """
    par = _Paragraph(text, options)
    if par.n == 0:
        return [VisualLine((), offset, offset, 0, bool(par.para_level & 1), paragraph)]
    cells = _paragraph_cells(par, offset)
    return [_build_line(par, cells, begin, end, widths, offset, paragraph)
            for begin, end, widths in choose_lines(par)]


@_gc_paused
def layout_text(text: str, options: LayoutOptions) -> list[VisualLine]:
    """Visual lines of a whole text; paragraphs split, offsets absolute."""
    lines: list[VisualLine] = []
    for index, para in enumerate(split_paragraphs(text)):
        lines.extend(layout_paragraph(text[para.start:para.end], options,
                                      offset=para.start, paragraph=index))
    return lines


@lru_cache(maxsize=4096)
def visual_string(text: str, direction: str = "rtl", shape: bool = True) -> str:
    """One line of UI text (a title, list item, status line) in visual order, shaped, unwrapped.

    Every right-to-left string shown by the UI goes through here, so that explicit mode
    (where the terminal no longer reorders) shows it correctly. Paragraph separators in
    ``text`` become spaces. Cached: the UI asks for the same labels on every refresh.
    """
    options = LayoutOptions(width=sys.maxsize, direction=direction, shape=shape)
    pieces = []
    for para in split_paragraphs(text):
        for line in layout_paragraph(text[para.start:para.end], options):
            pieces.append(line.text)
    return " ".join(pieces)
