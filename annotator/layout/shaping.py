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

import unicodedata

from arabic_reshaper.letters import FINAL, INITIAL, ISOLATED, LETTERS_ARABIC, MEDIAL

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
    forms = LETTERS_ARABIC.get(ch)
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
    ``joins_previous + 2 * joins_next``; None when the letter has no presentation forms."""
    if ch in _FORMS_CACHE:
        return _FORMS_CACHE[ch]
    forms = None
    if ch in LETTERS_ARABIC and joining_type(ch) != "U":
        forms = (_form(ch, ISOLATED), _form(ch, FINAL), _form(ch, INITIAL), _form(ch, MEDIAL))
    _FORMS_CACHE[ch] = forms
    return forms


_JOINS_NEXT = frozenset("DLC")
_JOINS_PREVIOUS = frozenset("DRC")


def shape(text: str, levels: list[int]) -> list[str | None]:
    """Shaped replacement for each character of ``text`` (same length as ``text``).

    A character that is not an Arabic letter maps to itself (a non-joining letter such as
    hamza too, as FriBidi leaves it), ZWJ to ``""``, and the alef of a lam-alef ligature to
    :data:`CONSUMED` (the lam's entry holds the ligature).
    """
    out: list[str | None] = list(text)
    n = len(text)
    get = _JOINING_CACHE.get
    joins_previous = bytearray(n)
    prev = -1  # index of the previous non-transparent character
    prev_type = "U"
    prev_joined = 0
    for i in range(n):
        ch = text[i]
        t = get(ch) or joining_type(ch)
        if t == "T":
            continue
        joined = prev >= 0 and prev_type in _JOINS_NEXT and t in _JOINS_PREVIOUS \
            and levels[prev] == levels[i]
        if prev >= 0 and prev_type != "U":
            forms = _forms(text[prev])
            if forms is not None:
                out[prev] = forms[prev_joined + 2 * joined]
        if joined:
            joins_previous[i] = 1
        prev, prev_type, prev_joined = i, t, 1 if joined else 0
        if ch == ZWJ:
            out[i] = ""
    if prev >= 0 and prev_type != "U":
        forms = _forms(text[prev])
        if forms is not None:
            out[prev] = forms[prev_joined]
    # Lam + (marks) + alef: one ligature held by the lam.
    i = text.find(LAM)
    while i >= 0:
        j = lam_alef_partner(text, i)
        if j is not None and levels[j] == levels[i]:
            isolated, final = LAM_ALEF[text[j]]
            out[i] = final if joins_previous[i] else isolated
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
