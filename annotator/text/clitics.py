"""Proclitic boundaries inside an Arabic word, offered as places a span edge may move to.

This is a hint list, not morphology: it recognises the written shapes
(و|ف)? then (ب|ك)? (ال)?, or ل / لل (ل + article), or ال, and errs toward
offering an edge (``وزير`` offers one after و). An edge is only offered when
at least two letters or digits remain after it, so ``بل`` / ``ول`` / ``لله`` are
not split but ``و2013`` is.
Harakat, tatweel and invisible format characters (bidi marks, ZWJ/ZWNJ) that
follow a clitic letter stay with that letter.
"""

from __future__ import annotations

import unicodedata

import regex

__all__ = ["clitic_edges_in"]

_CONJUNCTIONS = frozenset("وف")
_PREPOSITIONS = frozenset("بك")
_LAM = "ل"
_ALEFS = frozenset("اٱ")  # plain alef, alef wasla (Quranic spelling of the article)
_TATWEEL = "\u0640"
_MIN_REMAINDER = 2
_MAX_PREFIX_UNITS = 5  # longest shape: و + ب + ا + ل (+ one to spare)


def _is_letter(ch: str) -> bool:
    return ch != _TATWEEL and unicodedata.category(ch).startswith("L")


def _rides_on_previous(ch: str) -> bool:
    """Characters that belong to the letter before them: marks, tatweel, format controls."""
    return ch == _TATWEEL or unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf")


def _plain(ch: str) -> str:
    """The letter behind a presentation form (ﻭ → و), for matching clitic shapes only."""
    if "\ufb50" <= ch <= "\ufeff":
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1:
            return folded
    return ch


def _leading_units(word: str) -> list[tuple[str, int]]:
    """(letter, end offset including its marks) for the first few letters of ``word``."""
    units: list[tuple[str, int]] = []
    for i, ch in enumerate(word):
        if _is_letter(ch):
            if len(units) == _MAX_PREFIX_UNITS:
                break
            units.append((_plain(ch), i + 1))
        elif _rides_on_previous(ch):
            if units:
                units[-1] = (units[-1][0], i + 1)
            # format characters before the first letter are skipped
        else:
            break
    return units


def _prefix_lengths(letters: str) -> list[int]:
    """How many letters each candidate proclitic covers, shortest first."""
    lengths: list[int] = []
    pos = 0
    if letters[:1] and letters[0] in _CONJUNCTIONS:
        pos = 1
        lengths.append(pos)
    nxt = letters[pos:pos + 1]
    if nxt and nxt in _PREPOSITIONS:
        pos += 1
        lengths.append(pos)
        if letters[pos:pos + 1] in _ALEFS and letters[pos + 1:pos + 2] == _LAM:
            lengths.append(pos + 2)
    elif nxt == _LAM:
        if letters[pos + 1:pos + 2] == _LAM:  # لل = ل + article with its alef dropped
            lengths.append(pos + 2)
        else:
            lengths.append(pos + 1)
    elif nxt and nxt in _ALEFS and letters[pos + 1:pos + 2] == _LAM:
        lengths.append(pos + 2)
    return lengths


_FIRST_LETTER = regex.compile(r"[\p{Cf}]*(.)", regex.DOTALL)
_COUNTED = regex.compile(r"(?V1)[[\p{L}\p{Nd}]--\u0640]")
_CAN_START_CLITIC = _CONJUNCTIONS | _PREPOSITIONS | _ALEFS | {_LAM}


def clitic_edges_in(word: str) -> tuple[int, ...]:
    """Offsets relative to ``word`` (strictly inside it) where a proclitic may end."""
    first = _FIRST_LETTER.match(word)
    if first is None or _plain(first.group(1)) not in _CAN_START_CLITIC:
        return ()  # the common case, decided without walking the word
    units = _leading_units(word)
    if not units:
        return ()
    letters = "".join(u[0] for u in units)
    lengths = _prefix_lengths(letters)
    if not lengths:
        return ()
    total = len(_COUNTED.findall(word))
    return tuple(units[n - 1][1] for n in lengths if total - n >= _MIN_REMAINDER)
