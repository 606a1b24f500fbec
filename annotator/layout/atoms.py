"""Stage 1 of a paragraph's layout: resolve it once, cut it into atoms, measure them.

Per paragraph: bidi classes and embedding levels (:mod:`bidi`), Arabic shaping on the
logical text (:mod:`shaping`), then the text is cut into *atoms* that must never be split
or separated: a grapheme cluster (base, any invisible controls, its marks — the L3 unit
FriBidi reorders with ``FRIBIDI_FLAG_REORDER_NSM``) or a lam-alef ligature. Every atom gets
its width, whether it is whitespace, its cell text (plain and mirrored for L4), its level
and its L1 role. Lines are chosen from these (:mod:`breaking`) and drawn (:mod:`cells`).

Measuring has two fast paths and a general one, chosen in :func:`measure_atoms` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress
from typing import cast

from annotator.layout.bidi import (
    CLASS_CODE_TABLE,
    CLASS_OF_CODE,
    L1_ROLE,
    bidi_classes,
    has_explicit,
    paragraph_level,
    paragraph_level_of_codes,
    resolve_levels,
    resolve_simple_codes,
)
from annotator.layout.clusters import HIGH_BYTES, STARTS_ATOM, atom_starts, first_codes, glyphs_by_slices
from annotator.layout.codes import ByteTable, Pages
from annotator.layout.glyphs import (
    BASE,
    CHAR_CODES,
    CHAR_INFO,
    CONTROL,
    HIDDEN,
    KIND_CACHE,
    KIND_OF_CODE,
    MARK,
    NOT_ITSELF_OF_CODE,
    SPACE,
    SPACE_OF_CODE,
    TAB,
    WIDTH_OF_CODE,
    base_text_width,
    char_info,
    char_kind,
)
from annotator.layout.joins import shape_plain
from annotator.layout.lines import LayoutOptions
from annotator.layout.shaping import CONSUMED, joining_type, shape
from annotator.layout.unicode_data import MIRRORS

# (widths, whitespace flags, one-cell texts) of the atoms; see :func:`measure_atoms`.
Measures = tuple[list[int], Sequence[int], list["str | None"]]


class PreparedParagraph:
    """Everything resolved once per paragraph, before any line is chosen.

    Per atom ``a`` (characters ``atom_starts[a]`` to ``atom_starts[a + 1]``): ``atom_widths``
    (-1 when it holds a tab: its width depends on the column), ``atom_spaces`` (whitespace:
    where a line may break and trail), ``atom_glyphs`` (its text when it is one cell, None
    otherwise), ``atom_rtl_glyphs`` (the same mirrored), ``atom_levels`` (before L1) and
    ``atom_roles`` (L1 role, :data:`bidi.L1_ROLE`).
    """

    __slots__ = ("text", "n", "options", "pages", "class_bytes", "codes", "_classes", "_kinds", "para_level",
                 "levels", "uniform", "one_level", "shaped", "atom_starts", "start_mask", "atom_widths", "atom_spaces",
                 "atom_glyphs", "atom_rtl_glyphs", "measured_atom_by_atom", "has_complex", "_joined", "_atom_levels",
                 "_atom_roles")

    def __init__(self, text: str, options: LayoutOptions) -> None:
        self.text = text
        self.options = options
        self.n = len(text)
        # Per-character codes looked up in C (``codes.Pages``): class codes as bytes (what the
        # per-atom work reads: ``clusters``, L1 roles) and as one string (what the bidi rules'
        # regular expressions read); the list of class names only when a general path asks (``classes``).
        self.pages = pages = Pages(text)
        self.class_bytes = class_bytes = pages.codes(CLASS_CODE_TABLE)
        self.codes = codes = class_bytes.decode("latin-1")
        self._classes: list[str] | None = None
        self._kinds: list[int] | None = None
        if options.fast_paths:
            self.para_level = paragraph_level_of_codes(codes, options.direction)
        else:
            self.para_level = paragraph_level(self.classes, options.direction)
        if options.fast_paths and not has_explicit(codes):
            # X1–X10 would give one sequence, the whole paragraph: ``resolve_levels``'s fast path
            self.levels = levels = resolve_simple_codes(text, codes, self.para_level)
        else:
            self.levels = levels = resolve_levels(text, self.classes, self.para_level,
                                                  fast_paths=options.fast_paths)
        self.uniform = not levels or levels.count(levels[0]) == len(levels)  # one level throughout
        self.one_level = self.uniform and bool(levels) and levels[0] == self.para_level  # L1 resets nothing
        consumed: list[int] | None = None  # alefs of lam-alefs, when known
        self.shaped = None
        if options.shape:
            joining = pages.codes(_JOINING_CODES)
            plain = shape_plain(text, joining, levels, one_level=self.uniform, pages=pages) \
                if options.fast_paths else None
            if plain is not None:
                self.shaped, consumed = plain
            else:
                # shape() reads classes only where a run of letters changes level: never at one level.
                self.shaped = shape(text, levels, None if self.uniform else self.classes,
                                    joining=joining.decode("latin-1"))
        self.atom_starts, joined, consumed = atom_starts(text, class_bytes, levels, self.shaped, self.para_level,
                                                         fast=options.fast_paths, consumed=consumed)
        # 1 where a character starts an atom (None: every one does)
        self.start_mask = joined.translate(STARTS_ATOM) if joined is not None else None
        self.measured_atom_by_atom = False  # set by measure_atoms
        self.atom_widths, self.atom_spaces, self.atom_glyphs = measure_atoms(self, joined, consumed)
        self.atom_rtl_glyphs = mirrored_glyphs(self.atom_glyphs, fast=options.fast_paths, text=text)
        # Levels and L1 roles per atom when a line asks (a one-level paragraph's lines never do).
        self._joined = joined
        self._atom_levels: list[int] | None = None
        self._atom_roles: Sequence[int] = b""
        # Only the general measuring path makes atoms that are not one cell (text None).
        self.has_complex = self.measured_atom_by_atom and None in self.atom_glyphs

    def _levels_and_roles(self) -> tuple[list[int], Sequence[int]]:
        if self._atom_levels is None:
            self._atom_levels, self._atom_roles = atom_levels_and_roles(self, self._joined)
        return self._atom_levels, self._atom_roles

    @property
    def atom_levels(self) -> list[int]:
        """Level of every atom before L1 (its first character's)."""
        return self._levels_and_roles()[0]

    @property
    def atom_roles(self) -> Sequence[int]:
        """L1 role of every atom (:data:`bidi.L1_ROLE`)."""
        return self._levels_and_roles()[1]

    @property
    def has_separators(self) -> bool:
        """Whether an atom is a segment separator (a tab): L1 resets it wherever it is."""
        return 2 in self.atom_roles

    @property
    def classes(self) -> list[str]:
        """Bidi_Class of each character, computed when a general path needs the names."""
        if self._classes is None:
            self._classes = bidi_classes(self.text)
        return self._classes

    @property
    def kinds(self) -> list[int]:
        """How each character is drawn (:func:`glyphs.char_kind`), computed when a slow path needs it."""
        if self._kinds is None:
            get = KIND_CACHE.get
            self._kinds = [get(ch) or char_kind(ch) for ch in self.text]
        return self._kinds


# -- measuring: the one place a path is chosen, then the paths --------------------------------
def measure_atoms(par: PreparedParagraph, joined: bytearray | None, consumed: list[int]) -> Measures:
    """Width, whitespace flag and one-cell text of every atom (see :class:`PreparedParagraph`).

    The fast paths work on whole strings (one code byte per character, ``glyphs.CHAR_CODES``)
    and apply when every atom is one cell of known text; ``LayoutOptions(fast_paths=False)``
    makes every paragraph take the general path, which gives the same result.
    """
    if par.options.fast_paths:
        codes = par.pages.codes(_DRAW_CODES[par.options.show_controls])
        kinds = codes.translate(KIND_OF_CODE)
        if joined is None:
            if b"\x02" not in kinds and b"\x05" not in kinds:  # no MARK, no TAB
                return _measure_single_characters(par, codes)
        elif ("m" not in par.codes and b"\x02" not in kinds and b"\x05" not in kinds) \
                or _every_atom_one_cell(kinds, joined, consumed):
            # (no mark and no tab: only lam-alefs join, each a lam and its alef side by side)
            return _measure_one_cell_atoms(par, codes, joined, consumed)
    par.measured_atom_by_atom = True
    return _measure_atom_by_atom(par)


def _measure_single_characters(par: PreparedParagraph, codes: bytes) -> Measures:
    """Fast path: every atom is one character, none a tab or an (orphan) mark — most
    paragraphs without harakat. Widths and whitespace straight from the code bytes."""
    return list(codes.translate(WIDTH_OF_CODE)), codes.translate(SPACE_OF_CODE), _char_glyphs(par, codes)


def _measure_one_cell_atoms(par: PreparedParagraph, codes: bytes, joined: bytearray,
                            consumed: list[int]) -> Measures:
    """Fast path: every atom is a character alone or a letter with its marks (or a lam-alef),
    none a tab (see :func:`_every_atom_one_cell`) — diacritized text. An atom's width and
    whitespace are its first character's, its text all its characters' cell texts."""
    marks = joined.count(1) != len(consumed)  # characters other than consumed alefs continue atoms
    if marks:
        firsts = first_codes(codes, joined)
    else:  # only lam-alefs: the consumed alefs are the characters to leave out
        flagged = bytearray(codes)
        for i in consumed:
            flagged[i] = 0x80
        firsts = bytes(flagged.translate(None, HIGH_BYTES))
    widths = list(firsts.translate(WIDTH_OF_CODE))
    spaces = firsts.translate(SPACE_OF_CODE)
    pieces = _char_glyphs(par, codes)
    starts_mask = cast(bytes, par.start_mask)  # set from ``joined`` before measuring
    if joined.count(b"\x00\x01") * 8 > len(firsts):  # many clusters (diacritized text)
        return widths, spaces, glyphs_by_slices(pieces, starts_mask, consumed)
    glyphs: list[str | None] = list(compress(pieces, starts_mask))
    if not marks:
        return widths, spaces, glyphs  # only lam-alefs: the lam's text is the ligature, the alef adds none
    before = 0  # characters continuing an atom, before the current one
    for m in _CONTINUING.finditer(joined):
        s, e = m.span()
        # a consumed alef (None) and hidden characters ("") add nothing to the text
        glyphs[s - 1 - before] = "".join(filter(None, pieces[s - 1:e]))
        before += e - s
    return widths, spaces, glyphs


def _measure_atom_by_atom(par: PreparedParagraph) -> Measures:
    """General path: any atom, one at a time (a tab, an orphan mark, a letter with a control
    inside its cluster…). An atom that is not one cell of known text gets text None."""
    text, shaped, show = par.text, par.shaped, par.options.show_controls
    starts = par.atom_starts
    get = CHAR_INFO[show].get
    widths: list[int] = []
    spaces: list[int] = []
    glyphs: list[str | None] = []
    add_width, add_space, add_glyph = widths.append, spaces.append, glyphs.append
    for s, e in zip(starts, starts[1:], strict=False):
        if e == s + 1:
            ch = text[s]
            width, space, glyph, base = get(ch) or char_info(ch, show)
            if width >= 0:
                if base and shaped is not None:
                    shaped_glyph = shaped[s]
                    if shaped_glyph != ch:
                        glyph = shaped_glyph
                add_width(width)
                add_space(space)
                add_glyph(glyph)
                continue
        kinds = par.kinds
        if kinds[s] == BASE and all(kinds[i] == MARK or (shaped is not None and shaped[i] is CONSUMED)
                                    for i in range(s + 1, e)):
            # A letter with its marks, or a lam-alef: still one cell of known text.
            ch = text[s]
            width, _, glyph, _ = get(ch) or char_info(ch, show)
            if shaped is not None and shaped[s] != ch:
                glyph = shaped[s]
            add_width(width)
            add_space(False)
            add_glyph(cast(str, glyph) + "".join([text[i] for i in range(s + 1, e) if kinds[i] == MARK]))
            continue
        width, space = atom_width(par, s, e, 0)
        add_width(-1 if any(kinds[i] == TAB for i in range(s, e)) else width)
        add_space(space)
        add_glyph(None)
    return widths, spaces, glyphs


def _char_glyphs(par: PreparedParagraph, codes: bytes) -> list[str | None]:
    """Cell text of every character alone (shaped; marks as themselves; a consumed alef
    None). May be ``par.shaped`` itself: never to be changed in place."""
    text, shaped, show = par.text, par.shaped, par.options.show_controls
    glyphs: list[str | None] = list(text) if shaped is None else shaped
    not_itself = codes.translate(NOT_ITSELF_OF_CODE)
    i = not_itself.find(1)
    if i >= 0:
        # Characters not drawn as themselves (controls, hidden, other spaces).
        get = CHAR_INFO[show].get
        glyphs = list(glyphs)
        while i >= 0:
            ch = text[i]
            _, _, glyph, base = get(ch) or char_info(ch, show)
            if shaped is not None and base and shaped[i] != ch:
                glyph = shaped[i]
            glyphs[i] = glyph
            i = not_itself.find(1, i + 1)
    return glyphs


_JOINED_CODE = bytes((0, 8)) + bytes(254)
_CONTINUING = re.compile(b"\x01+")
# An atom that is not one cell of known text (kind + 8 when the character continues an atom):
# an orphan mark, a tab, a continuing character that is not a mark (a consumed alef is a mark
# here), or a continued character that is not a letter.
_NOT_ONE_CELL = re.compile(b"[\x02\x05\x09\x0b-\x0e]|[\x03\x04\x06][\x09-\x0e]")


def _every_atom_one_cell(kinds: bytes, joined: bytearray, consumed: list[int]) -> bool:
    """Whether every atom is a character alone or a letter with its marks (or a lam-alef)."""
    n = len(kinds)
    # kind + 8 where a character continues an atom: an OR of two big integers, no loop.
    structure = bytearray((int.from_bytes(kinds, "big") | int.from_bytes(joined.translate(_JOINED_CODE),
                                                                           "big")).to_bytes(n, "big"))
    for i in consumed:
        structure[i] = MARK + 8
    return not _NOT_ONE_CELL.search(structure)


def atom_width(par: PreparedParagraph, s: int, e: int, col: int) -> tuple[int, bool]:
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


# -- direction: mirrored texts (L4), levels and L1 roles per atom -----------------------------
_MIRRORED = re.compile("[" + re.escape("".join(MIRRORS)) + "]")
_ROLE_OF_CLASS_CODE = bytes(L1_ROLE.get(CLASS_OF_CODE.get(chr(code), ""), 0) for code in range(256))
_JOINING_CODES = ByteTable(lambda ch: ord(joining_type(ch)), "joining")  # shaping.joining_type, by pages
# How each character is drawn (glyphs.CHAR_CODES), by pages; by show_controls
def _draw_code(table: dict[int, str]) -> Callable[[str], int]:
    return lambda ch: ord(table[ord(ch)])


_DRAW_CODES = {show: ByteTable(_draw_code(CHAR_CODES[show]), f"draw-{show}") for show in (False, True)}


def mirrored_glyphs(glyphs: list[str | None], *, fast: bool = True, text: str | None = None) -> list[str | None]:
    """Cell texts at an odd level (L4: a cluster mirrors its base); ``glyphs`` itself when
    nothing mirrors (most paragraphs). Fast paths: ``text`` (the paragraph's) holds no
    character that mirrors, so no cell text does (shaped letters and control symbols never
    mirror); every text one character, mirrored by a ``str.translate`` of them all."""
    if fast and text is not None and not _MIRRORED.search(text):
        return glyphs
    together = "".join(filter(None, glyphs))  # None and "" left out
    if not _MIRRORED.search(together):
        return glyphs
    if fast and len(together) == len(glyphs) and None not in glyphs and "" not in glyphs:
        return list(together.translate(_MIRROR_TABLE))
    mirrors = MIRRORS
    return [(mirrors.get(g, g) if len(g) == 1 else mirrors.get(g[0], g[0]) + g[1:]) if g else g
            for g in glyphs]


_MIRROR_TABLE = str.maketrans(MIRRORS)
_KEEP_ROLE = bytes((255, 0)) + bytes(254)  # joined[i + 1] -> mask of character i's role


def atom_levels_and_roles(par: PreparedParagraph, joined: bytearray | None) -> tuple[list[int], Sequence[int]]:
    """Level (before L1) and L1 role of every atom: its first character's. An atom of several
    characters holds a mark, which L1 never resets, so it has no role. ``joined``: see
    :func:`atom_starts`."""
    starts = par.atom_starts
    roles = par.class_bytes.translate(_ROLE_OF_CLASS_CODE)
    if len(starts) - 1 == par.n:  # every atom is one character
        return par.levels, roles
    levels = par.levels
    if par.options.fast_paths and joined is not None:
        # Whole strings: a character followed by one that continues its atom loses its role
        # (an AND of two big integers), then the atoms' first characters are picked in C.
        n = par.n
        keep = int.from_bytes((joined[1:] + b"\x00").translate(_KEEP_ROLE), "big")
        return (list(compress(levels, cast(bytes, par.start_mask))),
                first_codes((int.from_bytes(roles, "big") & keep).to_bytes(n, "big"), joined))
    return ([levels[s] for s in starts[:-1]],
            bytes([roles[s] if e == s + 1 else 0 for s, e in zip(starts, starts[1:], strict=False)]))
