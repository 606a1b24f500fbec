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


def shape(text: str, levels: list[int]) -> list[str | None]:
    """Shaped replacement for each character of ``text`` (same length as ``text``).

    A character that is not an Arabic letter maps to itself, ZWJ to ``""``, and the alef of a
    lam-alef ligature to :data:`CONSUMED` (the lam's entry holds the ligature).
    """
    out: list[str | None] = list(text)
    n = len(text)
    jt = [joining_type(ch) for ch in text]
    # prev_joins[i]: letter i is joined to the previous non-transparent character.
    prev_joiner = -1  # index of the previous non-transparent character
    joins_prev = [False] * n
    joins_next = [False] * n
    for i in range(n):
        t = jt[i]
        if t == "T":
            continue
        if prev_joiner >= 0:
            p = prev_joiner
            if (jt[p] in ("D", "L", "C") and t in ("D", "R", "C")
                    and levels[p] == levels[i]):
                joins_prev[i] = True
                joins_next[p] = True
        prev_joiner = i
    for i in range(n):
        ch = text[i]
        if ch == ZWJ:
            out[i] = ""
            continue
        if jt[i] == "U" or ch not in LETTERS_ARABIC:
            continue  # a non-joining letter (hamza) stays as it is, as FriBidi leaves it
        if joins_prev[i]:
            out[i] = _form(ch, MEDIAL if joins_next[i] else FINAL)
        else:
            out[i] = _form(ch, INITIAL if joins_next[i] else ISOLATED)
    # Lam + (marks) + alef: one ligature held by the lam.
    for i in range(n):
        if text[i] == LAM:
            j = lam_alef_partner(text, i)
            if j is not None and levels[j] == levels[i]:
                isolated, final = LAM_ALEF[text[j]]
                out[i] = final if joins_prev[i] else isolated
                out[j] = CONSUMED
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
