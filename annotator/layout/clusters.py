"""Where a paragraph's atoms start: grapheme clusters (a base and its marks) and lam-alef
ligatures, as L3 and the shaping need them (stage 1 of :mod:`atoms`, on plain arrays).

A mark joins the character before it when both are at one level (the common case, found in
C by :func:`_marks_join_the_letter_before`); otherwise the general :func:`_join_marks` walks
the paragraph as FriBidi's ``FRIBIDI_FLAG_REORDER_NSM`` groups marks.
"""

from __future__ import annotations

import re
from itertools import accumulate, compress, count, repeat
from operator import is_

from annotator.layout.bidi import CLASS_CODES, REMOVED
from annotator.layout.shaping import CONSUMED, LAM

STARTS_ATOM = bytes((1, 0)) + bytes(254)  # joined[i] -> whether character i starts an atom


# A segment separator (tab) is reset to the paragraph level by L1 and a mark after it is not: when the
# mark's level differs, it stands alone (as FriBidi reorders it); otherwise it stays on the tab.
_RESET_BASES = frozenset(b"SB")  # their class codes are their names
_MARK = ord(CLASS_CODES["NSM"])  # "m"


def atom_starts(text: str, codes: bytes, levels: list[int], shaped: list[str | None] | None,
                para_level: int = 0, *, fast: bool = True,
                consumed: list[int] | None = None) -> tuple[list[int], bytearray | None, list[int]]:
    """Logical start index of every atom (a cluster or a lam-alef ligature), plus ``len(text)``;
    also which characters continue the atom before them (None: none do) and the consumed alefs.
    ``codes`` are the characters' class codes (``bidi.bidi_codes``, as bytes: ``codes.Pages``); ``consumed``, where
    ``shaped`` holds :data:`CONSUMED`, when the caller knows (None: searched here)."""
    n = len(text)
    if consumed is None:
        consumed = list(compress(count(), map(is_, shaped, repeat(CONSUMED)))) if shaped is not None \
            and CONSUMED in shaped else []
    if _MARK not in codes and not consumed:
        return list(range(n + 1)), None, consumed  # every character is an atom
    joined = bytearray(n)  # joined[i] = 1: character i continues the atom of i - 1
    if _MARK in codes and not (fast and _marks_join_the_letter_before(codes, levels, joined)):
        _join_marks(codes, levels, para_level, joined)
    for i in consumed:
        # The consumed alef joins its lam (and the marks between them).
        if text[i - 1] == LAM:  # side by side (most)
            joined[i] = 1
            continue
        j = i - 1
        while j > 0 and text[j] != LAM:
            j -= 1
        for k in range(j + 1, i + 1):
            joined[k] = 1
    starts = list(compress(range(n), joined.translate(STARTS_ATOM)))
    starts.append(n)
    return starts, joined, consumed


_NO_SIMPLE_MARKS = re.compile(("[SB" + "".join(CLASS_CODES[c] for c in sorted(REMOVED)) + "]").encode())


def _marks_join_the_letter_before(codes: bytes, levels: list[int], joined: bytearray) -> bool:
    """Fast path of :func:`_join_marks`: no mark starts the paragraph, each is at the level of
    the character before it, and no mark can meet a removed control or a separator. Then each
    run of marks joins the character before it (what the general path finds), set in
    ``joined``; else False, ``joined`` untouched. Whole strings, in C."""
    if codes[0] == _MARK or _NO_SIMPLE_MARKS.search(codes):
        return False
    by_level = int.from_bytes(bytes(levels), "big")
    # a nonzero byte of ``changes`` where a character's level differs from the one before it
    changes = by_level ^ by_level >> 8
    if changes & int.from_bytes(codes.translate(_MARK_MASK), "big"):
        return False
    joined[:] = codes.translate(_MARK_ONE)
    return True


_MARK_MASK = bytes(255 if c == _MARK else 0 for c in range(256))
_MARK_ONE = bytes(1 if c == _MARK else 0 for c in range(256))


def _join_marks(codes: bytes, levels: list[int], para_level: int, joined: bytearray) -> None:
    """General path: a mark joins back over marks and removed controls at its level to its base
    (L3, as FRIBIDI_FLAG_REORDER_NSM). Linear: the nearest previous base and the start of the
    current level run are tracked instead of scanning back from every mark."""
    removed = {ord(CLASS_CODES[c]) for c in REMOVED}
    last_mark = codes.rfind(_MARK)
    base = -1  # nearest previous character that is neither a mark nor removed
    run_start = 0  # start of the run of equal levels holding i
    filled = -1  # joined[] is set up to here
    for i in range(last_mark + 1):
        if i and levels[i] != levels[i - 1]:
            run_start = i
        code = codes[i]
        if code == _MARK:
            if i == 0:
                continue
            if base >= run_start and codes[base] in _RESET_BASES and levels[i] != para_level:
                base = i  # the marks after it join it; L1 still resets the tab alone
                continue
            if base >= run_start:
                first = base  # the base is at the same level: the atom starts there
            else:
                first = run_start  # no base at this level: the atom starts at the run
            for k in range(max(first + 1, filled + 1), i + 1):
                joined[k] = 1
            filled = max(filled, i)
        elif code not in removed:
            base = i


# -- picking per atom from per-character arrays (atoms.measure_atoms) ----------------------
def glyphs_by_slices(pieces: list[str | None], starts_mask: bytes | bytearray,
                     consumed: list[int]) -> list[str | None]:
    """The atoms' texts as slices of all the characters' texts joined, in C: for many
    clusters, where filling them one by one would cost a Python loop per cluster."""
    if consumed:
        pieces = list(pieces)
        for i in consumed:
            pieces[i] = ""
    together = "".join(pieces)  # type: ignore[arg-type]  # no None: consumed are ""
    ends = list(accumulate(map(len, pieces)))  # type: ignore[arg-type]
    bounds = [0, *compress(ends, starts_mask[1:]), len(together)]
    return list(map(together.__getitem__, map(slice, bounds, bounds[1:])))


_CONTINUES_HIGH = bytes((0, 0x80)) + bytes(254)  # joined[i] -> 0x80 when character i continues an atom
HIGH_BYTES = bytes(range(0x80, 0x100))


def first_codes(codes: bytes, joined: bytearray) -> bytes:
    """The bytes of ``codes`` (each under 0x80) at the atoms' first characters, in C: the others
    get their high bit set (an OR of two big integers), then are deleted."""
    n = len(codes)
    marked = int.from_bytes(codes, "big") | int.from_bytes(joined.translate(_CONTINUES_HIGH), "big")
    return marked.to_bytes(n, "big").translate(None, HIGH_BYTES)
