"""Arabic shaping to presentation forms, per character, keeping every logical offset.

Most terminals do not join Arabic letters, so each letter is replaced by its isolated,
initial, medial or final presentation form (``arabic_reshaper``'s letter table). The
joining decision is ours (Unicode ArabicShaping joining types): transparent characters
(harakat, other marks, format characters) are skipped, ZWNJ breaks a join, ZWJ and
tatweel join both sides, letters at different embedding levels never join. Lam + alef
becomes one ligature (the lam carries it, the alef is consumed) so that the engine can
draw one cell covering both offsets. No other ligature is made: in particular never the
single-glyph ALLAH (U+FDF2), which draws wide in most fonts. ZWJ is never emitted.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from itertools import accumulate, chain, repeat, zip_longest
from operator import getitem, itemgetter

# arabic_reshaper ships no type information: its letter table is typed where it is read.
from arabic_reshaper.letters import (
    FINAL,
    INITIAL,
    ISOLATED,
    LETTERS_ARABIC,
    MEDIAL,
)

from annotator.layout.unicode_data import JOINING_TYPES

ZWJ = "\u200d"
ZWNJ = "\u200c"
LAM = "\u0644"
# Alef variants and the (isolated, final) lam-alef ligatures they make.
LAM_ALEF = {
    "\u0622": ("\ufef5", "\ufef6"),
    "\u0623": ("\ufef7", "\ufef8"),
    "\u0625": ("\ufef9", "\ufefa"),
    "\u0627": ("\ufefb", "\ufefc"),
}
# What the engine finds at an alef consumed by a lam-alef ligature.
CONSUMED = None

_JOINING_CACHE: dict[str, str] = {}


def joining_type(ch: str) -> str:
    """Joining_Type: ``D`` dual, ``R`` right, ``L`` left, ``C`` join-causing, ``T`` transparent, ``U`` none."""
    jt = _JOINING_CACHE.get(ch)
    if jt is None:
        jt = JOINING_TYPES.get(ch)
        if jt is None:
            if ch == ZWNJ:
                jt = "U"
            elif 0xD800 <= ord(ch) <= 0xDFFF:
                jt = "U"
            else:
                jt = "T" if unicodedata.category(ch) in ("Mn", "Me", "Cf") else "U"
        _JOINING_CACHE[ch] = jt
    return jt


def _form(ch: str, index: int) -> str:
    forms: tuple[str, str, str, str] | None = LETTERS_ARABIC.get(ch)
    if forms is None:
        return ch
    form = forms[index]
    if form:
        return form
    # A form the letter lacks (e.g. medial of a right-joining letter): fall back sensibly.
    if index == MEDIAL and forms[FINAL]:
        return forms[FINAL]
    if index == INITIAL and forms[ISOLATED]:
        return forms[ISOLATED]
    return forms[ISOLATED] or ch


_FORMS_CACHE: dict[str, tuple[str, str, str, str] | None] = {}


def _forms(ch: str) -> tuple[str, str, str, str] | None:
    """(isolated, final, initial, medial) forms of a joining letter, indexed by
    ``joined_on_right + 2 * joined_on_left``; None when the letter has no presentation forms."""
    if ch in _FORMS_CACHE:
        return _FORMS_CACHE[ch]
    forms = None
    if ch in LETTERS_ARABIC and joining_type(ch) != "U":
        forms = (_form(ch, ISOLATED), _form(ch, FINAL), _form(ch, INITIAL), _form(ch, MEDIAL))
    _FORMS_CACHE[ch] = forms
    return forms


# Sides a joining type can join on: 1 right, 2 left (R joins only on its right side).
_SIDES = {"R": 1, "L": 2, "D": 3, "C": 3, "U": 0}
_LEVELLESS = frozenset(("BN", "LRE", "RLE", "LRO", "RLO", "PDF"))


class _JoiningTable(dict[int, str]):
    """``str.translate`` table: character -> its joining type letter (filled on first use)."""

    def __missing__(self, cp: int) -> str:
        jt = joining_type(chr(cp))
        self[cp] = jt
        return jt


_JOINING_TABLE = _JoiningTable()
# A run of characters that may join: joining letters with transparent marks among them.
_RUN = re.compile("[DRLC][DRLCT]*")
_RUN_CACHE: dict[tuple[str, int], list[str | None]] = {}
_RUN_CACHE_LIMIT = 100_000


def clear_cache() -> None:
    """Forget every shaped run (to measure the first layout in a process)."""
    _RUN_CACHE.clear()


def shape(text: str, levels: list[int], classes: list[str] | None = None, *,
          joining: str | None = None) -> list[str | None]:
    """Shaped replacement for each character of ``text`` (same length as ``text``).

    Only runs of joining characters (words, in practice) need work, and a run at one
    level shapes the same wherever it occurs: such runs are cached. ``joining``: the joining
    type of every character (:func:`joining_type`), when the caller has them.
    """
    if joining is None:
        joining = text.translate(_JOINING_TABLE)
    out: list[str | None] = list(text)
    for match in _RUN.finditer(joining):
        s, e = match.span()
        level = levels[s]
        if levels[s:e].count(level) == e - s:
            key = (text[s:e], level & 1)
            shaped = _RUN_CACHE.get(key)
            if shaped is None:
                if len(_RUN_CACHE) > _RUN_CACHE_LIMIT:
                    _RUN_CACHE.clear()
                shaped = _RUN_CACHE[key] = shape_run(text[s:e], [level] * (e - s))
        else:
            shaped = shape_run(text[s:e], levels[s:e], classes[s:e] if classes is not None else None)
        out[s:e] = shaped
    return out


def shape_run(text: str, levels: list[int], classes: list[str] | None = None) -> list[str | None]:
    """Shaped replacement for each character of ``text`` (same length as ``text``).

    A character that is not an Arabic letter maps to itself (a non-joining letter such as
    hamza too, as FriBidi leaves it), ZWJ to ``""``, and the alef of a lam-alef ligature to
    :data:`CONSUMED` (the lam's entry holds the ligature).

    Joins are decided on visual sides, as FriBidi does: at an odd level a letter joins the
    logically previous one on its right; at an even level (Arabic forced left-to-right by an
    override) the two swap roles, so the letters that end up side by side are the ones joined.
    With ``classes``, characters removed by X9 (ZWJ…) join whatever their level.
    """
    out: list[str | None] = list(text)
    n = len(text)
    get = _JOINING_CACHE.get
    sides = bytearray(n)  # bit 1: joined on the right, bit 2: joined on the left
    prev = -1  # index of the previous non-transparent character
    prev_bits = 0
    for i in range(n):
        ch = text[i]
        t = get(ch) or joining_type(ch)
        if t == "T":
            continue
        if ch == ZWJ:
            out[i] = ""
        bits = _SIDES[t]
        if prev >= 0 and bits and prev_bits:
            level, prev_level = levels[i], levels[prev]
            # Controls removed by X9 (ZWJ, embeddings) have no level of their own: they match any.
            if level == prev_level or (classes is not None and (
                    classes[i] in _LEVELLESS or classes[prev] in _LEVELLESS)):
                following = 2 if prev_level & 1 else 1  # the side of prev facing i
                preceding = 1 if level & 1 else 2  # the side of i facing prev
                if prev_bits & following and bits & preceding:
                    sides[prev] |= following
                    sides[i] |= preceding
        prev, prev_bits = i, bits
    for i in range(n):
        if sides[i]:
            forms = _forms(text[i])
            if forms is not None:
                out[i] = forms[sides[i]]
        elif text[i] in LETTERS_ARABIC:
            forms = _forms(text[i])
            if forms is not None:
                out[i] = forms[0]
    # Lam + (marks) + alef at a right-to-left level: one ligature held by the lam.
    i = text.find(LAM)
    while i >= 0:
        j = lam_alef_partner(text, i)
        if j is not None and levels[j] == levels[i] and levels[i] & 1:
            isolated, final = LAM_ALEF[text[j]]
            out[i] = final if sides[i] & 1 else isolated
            out[j] = CONSUMED
        i = text.find(LAM, i + 1)
    return out


def lam_alef_partner(text: str, i: int) -> int | None:
    """Index of the alef a lam at ``i`` ligates with (marks may sit between), else None."""
    if text[i] != LAM:
        return None
    n = len(text)
    j = i + 1
    while j < n and joining_type(text[j]) == "T" and unicodedata.category(text[j]) == "Mn":
        j += 1
    if j < n and text[j] in LAM_ALEF:
        return j
    return None


# -- fast path of shape(): whole strings in C -------------------------------------------------
# (a separate hunk, owned by the layout engine's speed work: see docs/performance.md)
_SIDE_BITS = bytes.maketrans(b"DRLCTU", b"\x03\x01\x02\x03\x00\x00")  # joining type -> _SIDES
_ZERO_TO_ONE = bytes((1,)) + bytes(255)
_TRANSPARENT_HIGH = bytes(0x80 if c == ord("T") else 0 for c in range(256))
_HIGH_BYTES = bytes(range(0x80, 0x100))
_NO_JOIN = bytes(256)
_TRANSPARENT_RUNS = re.compile(b"(T+)")
# A lam, then anything a word does not hold (marks among it), then an alef: checked by
# lam_alef_partner (only marks may lie between).
_LAM_ALEF_NEAR = re.compile(LAM + r"\W*[" + "".join(LAM_ALEF) + "]")


class _FormsByChar(dict[str, tuple[str, str, str, str]]):
    """Character -> its four forms (:func:`_forms`), or itself four times (filled on first use)."""

    def __missing__(self, ch: str) -> tuple[str, str, str, str]:
        forms = self[ch] = _forms(ch) or (ch, ch, ch, ch)
        return forms


_FORMS_BY_CHAR = _FormsByChar()


def shape_plain(text: str, joining: str, levels: list[int], *,
                one_level: bool = False) -> tuple[list[str | None], list[int]] | None:
    """What :func:`shape` gives (and where it put :data:`CONSUMED`), for a text without ZWJ
    whose joining letters all lie at odd levels, given the joining types of its characters;
    None for any other text. ``one_level``: every character is at ``levels[0]`` (no level
    compared then).

    Transparent characters (marks) are left out; then every letter's neighbours are the
    characters beside it, so the joins of the whole text come from big-integer operations on
    one byte per character (its joinable sides, its level), and each form is picked in C.
    Runs of marks and lam-alef pairs are few: handled one by one.
    """
    if ZWJ in text:
        return None
    n = len(text)
    if n == 0:
        return [], []
    kinds = joining.encode("ascii")
    marks = b"T" in kinds
    if one_level:
        if not levels[0] & 1 and kinds.translate(None, b"TU"):
            return None  # joining letters at an even level: their sides swap
        if marks:
            kinds = kinds.translate(None, b"T")
        m = len(kinds)
        ones = int.from_bytes(b"\x01" * m, "big")
        same = ones  # every character at the level of the one before it
        bits = int.from_bytes(kinds.translate(_SIDE_BITS), "big")
    else:
        by_level = bytes(levels)
        if marks:  # levels (each under 0x80) of the other characters: the marks' flagged, then deleted
            flagged = int.from_bytes(by_level, "big") | int.from_bytes(kinds.translate(_TRANSPARENT_HIGH), "big")
            by_level = flagged.to_bytes(n, "big").translate(None, _HIGH_BYTES)
            kinds = kinds.translate(None, b"T")
        m = len(kinds)
        ones = int.from_bytes(b"\x01" * m, "big")
        bits = int.from_bytes(kinds.translate(_SIDE_BITS), "big")
        level_bytes = int.from_bytes(by_level, "big")
        if (bits | bits >> 1) & ones & ~level_bytes:
            return None  # a joining letter at an even level: its sides swap
        # Byte i of ``same``: 1 when character i is at the level of character i - 1.
        same = int.from_bytes((level_bytes ^ level_bytes >> 8).to_bytes(m, "big").translate(_ZERO_TO_ONE), "big")
    # Character i joins the one before it when it joins on its right and that one on its left.
    right = bits & bits >> 9 & same & ones
    sides = (right | right << 9).to_bytes(m + 2, "big")[2:]
    if marks:  # back to one byte per character, 0 (no join) for each mark: pieces joined in C
        parts = _TRANSPARENT_RUNS.split(joining.encode("ascii"))  # others, marks, others, …
        ends = list(accumulate(map(len, parts[0::2])))
        others = map(sides.__getitem__, map(slice, [0, *ends[:-1]], ends))
        no_joins = map(bytes.translate, parts[1::2], repeat(_NO_JOIN))
        sides = b"".join(chain.from_iterable(zip_longest(others, no_joins, fillvalue=b"")))
    out = _forms_of(text, sides)
    consumed = []
    for match in _LAM_ALEF_NEAR.finditer(text):
        i, end = match.span()
        j = end - 1 if end == i + 2 else lam_alef_partner(text, i)  # side by side, or marks between
        if j is not None and (one_level or levels[j] == levels[i]) and levels[i] & 1:
            isolated, final = LAM_ALEF[text[j]]
            out[i] = final if sides[i] & 1 else isolated
            out[j] = CONSUMED
            consumed.append(j)
    return out, consumed


_SINGLE_BYTE_FORMS: list[str] = []


def _single_byte_forms() -> list[str]:
    """Forms of the 256 characters of Windows-1256, by side * 256 + byte."""
    if not _SINGLE_BYTE_FORMS:
        chars = bytes(range(256)).decode("cp1256")
        _SINGLE_BYTE_FORMS.extend(_FORMS_BY_CHAR[ch][side] for side in range(4) for ch in chars)
    return _SINGLE_BYTE_FORMS


_COMMON_PAGES = bytes((0x00, 0x06))  # ASCII and Latin-1, Arabic
_PAGE_TABLES: dict[bytes, tuple[bytes, list[str]]] = {}  # pages -> (page -> index * 4, forms by id)


def _forms_of(text: str, sides: bytes) -> list[str | None]:
    """``_FORMS_BY_CHAR[ch][side]`` of every character, picked in C: each character gets a
    16-bit id (its Windows-1256 byte and its side; else its low byte, and its page's index in
    the paragraph times 4 plus its side), and one ``itemgetter`` of all ids reads a table of
    the forms of those characters."""
    n = len(text)
    if n < 2 or sys.byteorder != "little":
        return list(map(getitem, map(_FORMS_BY_CHAR.__getitem__, text), sides))
    try:  # most Arabic text: one byte per character (Windows-1256), the id its byte and side
        ids = bytearray(2 * n)
        ids[0::2] = text.encode("cp1256")
        ids[1::2] = sides
        return list(itemgetter(*memoryview(ids).cast("H"))(_single_byte_forms()))
    except UnicodeEncodeError:
        pass
    units = text.encode("utf-16-le", "surrogatepass")
    if n < 32 or len(units) != 2 * n:  # short: one by one costs less
        return list(map(getitem, map(_FORMS_BY_CHAR.__getitem__, text), sides))
    high = units[1::2]
    rest = high.translate(None, _COMMON_PAGES)
    pages = bytes(sorted(set(rest))) if rest else b""
    if len(pages) > 14 or any(0xD8 <= page <= 0xDF for page in pages):
        return list(map(getitem, map(_FORMS_BY_CHAR.__getitem__, text), sides))
    pages += bytes(page for page in _COMMON_PAGES if page in high)
    tables = _PAGE_TABLES.get(pages)
    if tables is None:
        index = bytearray(256)
        for k, page in enumerate(pages):
            index[page] = 4 * k
        forms = [_FORMS_BY_CHAR[chr(page << 8 | low)][side] for page in pages for side in range(4)
                 for low in range(256)]
        if len(_PAGE_TABLES) > 64:  # a bound on odd mixes of scripts
            _PAGE_TABLES.clear()
        tables = _PAGE_TABLES[pages] = (bytes(index), forms)
    ids = bytearray(units)
    ids[1::2] = (int.from_bytes(high.translate(tables[0]), "big") | int.from_bytes(sides, "big")).to_bytes(n, "big")
    return list(itemgetter(*memoryview(ids).cast("H"))(tables[1]))
