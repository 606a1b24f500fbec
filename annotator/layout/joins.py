"""Arabic shaping of a whole paragraph in C: the fast path of :func:`shaping.shape`.

:mod:`shaping` decides joins one character at a time (and caches words); here the same joins
come from big-integer operations on one byte per character, and the forms are picked by one
``itemgetter``, for any paragraph without ZWJ whose joining letters lie at odd levels (all
Arabic text without explicit overrides). ``tests/test_layout_speed_paths.py`` compares the two.
"""

from __future__ import annotations

import re
import sys
from itertools import accumulate, chain, repeat, zip_longest
from operator import getitem, itemgetter

from annotator.layout._single_byte_forms import SINGLE_BYTE_FORMS
from annotator.layout.codes import COMMON_PAGES, Pages
from annotator.layout.shaping import CONSUMED, LAM, LAM_ALEF, ZWJ, _forms, lam_alef_partner

_SIDE_BITS = bytes.maketrans(b"DRLCTU", b"\x03\x01\x02\x03\x00\x00")  # joining type -> _SIDES
_ZERO_TO_ONE = bytes((1,)) + bytes(255)
_TRANSPARENT_HIGH = bytes(0x80 if c == ord("T") else 0 for c in range(256))
_HIGH_BYTES = bytes(range(0x80, 0x100))
_NO_JOIN = bytes(256)
_TRANSPARENT_RUNS = re.compile(b"(T+)")
# A lam, then anything neither a word nor a space holds (marks among it), then an alef:
# checked by lam_alef_partner (only marks may lie between).
_LAM_ALEF_NEAR = re.compile(LAM + r"[^\w\s]*[" + "".join(LAM_ALEF) + "]")


class _FormsByChar(dict[str, tuple[str, str, str, str]]):
    """Character -> its four forms (:func:`_forms`), or itself four times (filled on first use)."""

    def __missing__(self, ch: str) -> tuple[str, str, str, str]:
        forms = self[ch] = _forms(ch) or (ch, ch, ch, ch)
        return forms


_FORMS_BY_CHAR = _FormsByChar()


def shape_plain(text: str, joining: str | bytes, levels: list[int], *, one_level: bool = False,
                pages: Pages | None = None) -> tuple[list[str | None], list[int]] | None:
    """What :func:`shape` gives (and where it put :data:`CONSUMED`), for a text without ZWJ
    whose joining letters all lie at odd levels, given the joining types of its characters;
    None for any other text. ``one_level``: every character is at ``levels[0]`` (no level
    compared then); ``pages``: the text cut into pages (``codes.Pages``), when the caller has it.

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
    kinds = joining.encode("ascii") if isinstance(joining, str) else joining
    every_kind = kinds
    marks = b"T" in kinds
    if one_level:
        if not levels[0] & 1 and kinds.translate(None, b"TU"):
            return None  # joining letters at an even level: their sides swap
        if marks:
            kinds = kinds.translate(None, b"T")
        m = len(kinds)
        bits = int.from_bytes(kinds.translate(_SIDE_BITS), "big")
        # every character at the level of the one before it; bytes of ``bits`` are under 4, so
        # the AND below keeps only bit 0 (joins the one before) without a mask
        same = ones = -1
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
        parts = _TRANSPARENT_RUNS.split(every_kind)  # others, marks, others, …
        ends = list(accumulate(map(len, parts[0::2])))
        others = map(sides.__getitem__, map(slice, [0, *ends[:-1]], ends))
        no_joins = map(bytes.translate, parts[1::2], repeat(_NO_JOIN))
        sides = b"".join(chain.from_iterable(zip_longest(others, no_joins, fillvalue=b"")))
    out = _forms_of(text, sides, pages)
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


def single_byte_forms() -> str:
    """What ``_single_byte_forms.py`` holds, made from the letter table and the joining rules:
    ``_FORMS_BY_CHAR[ch][side]`` of the 256 characters of Windows-1256, by side * 256 + byte
    (``tablegen`` writes it; ``tests/test_startup_tables.py`` compares the two)."""
    chars = bytes(range(256)).decode("cp1256")
    return "".join(_FORMS_BY_CHAR[ch][side] for side in range(4) for ch in chars)


_PAGE_TABLES: dict[bytes, tuple[bytes, list[str]]] = {}  # pages -> (page -> index * 4, forms by id)


def _forms_of(text: str, sides: bytes, pages: Pages | None = None) -> list[str | None]:
    """``_FORMS_BY_CHAR[ch][side]`` of every character, picked in C: each character gets a
    16-bit id (its Windows-1256 byte and its side; else its low byte, and its page's index in
    the paragraph times 4 plus its side), and one ``itemgetter`` of all ids reads a table of
    the forms of those characters. The bytes are ``pages``' (``codes.Pages``: the text is
    encoded there once, and its refusals are not tried again)."""
    n = len(text)
    if n < 2 or sys.byteorder != "little":
        return list(map(getitem, map(_FORMS_BY_CHAR.__getitem__, text), sides))
    if pages is None:
        pages = Pages(text)
    ids = bytearray(2 * n)
    if pages.single is not None:  # most Arabic text: one byte per character (Windows-1256), the id its byte and side
        ids[0::2] = pages.single
        ids[1::2] = sides
        return list(itemgetter(*memoryview(ids).cast("H"))(SINGLE_BYTE_FORMS))
    low, high, key = pages.low, pages.high, bytes(pages.pages)
    if low is None or high is None or len(key.translate(None, COMMON_PAGES)) > 14:
        return list(map(getitem, map(_FORMS_BY_CHAR.__getitem__, text), sides))  # short, beyond the BMP, many pages
    tables = _PAGE_TABLES.get(key)
    if tables is None:
        index = bytearray(256)
        for k, page in enumerate(key):
            index[page] = 4 * k
        forms = [_FORMS_BY_CHAR[chr(page << 8 | byte)][side] for page in key for side in range(4)
                 for byte in range(256)]
        if len(_PAGE_TABLES) > 64:  # a bound on odd mixes of scripts
            _PAGE_TABLES.clear()
        tables = _PAGE_TABLES[key] = (bytes(index), forms)
    ids[0::2] = low
    ids[1::2] = (int.from_bytes(high.translate(tables[0]), "big") | int.from_bytes(sides, "big")).to_bytes(n, "big")
    return list(itemgetter(*memoryview(ids).cast("H"))(tables[1]))
