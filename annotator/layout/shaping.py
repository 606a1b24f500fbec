"""Arabic shaping to presentation forms, per character, keeping every logical offset.

Most terminals do not join Arabic letters, so each letter is replaced by its isolated,
initial, medial or final presentation form (``arabic_reshaper``'s letter table, copied
by ``tablegen``). The joining decision is ours (Unicode ArabicShaping joining types):
transparent characters (harakat, other marks, format characters) are skipped, ZWNJ breaks a join, ZWJ and
tatweel join both sides, letters at different embedding levels never join. Lam + alef
becomes one ligature (the lam carries it, the alef is consumed) so that the engine can
draw one cell covering both offsets. No other ligature is made: in particular never the
single-glyph ALLAH (U+FDF2), which draws wide in most fonts. ZWJ is never emitted.
"""

from __future__ import annotations

import re
import unicodedata

# arabic_reshaper's letter table, generated (``tablegen``): importing arabic_reshaper costs start-up
from annotator.layout._arabic_forms import FINAL, INITIAL, ISOLATED, LETTERS_ARABIC, MEDIAL
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
