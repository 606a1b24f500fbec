"""Proclitic boundaries inside an Arabic word, offered as places a span edge may move to.

This is a hint list, not morphology (camel-tools' analyser needs a database that is not
installed with the app): it recognises the written shapes and errs toward offering *no*
edge, because a false edge inside a name (بالي، فلول) moves a span edge wrongly: a clitic
before the article (وال، بال، كال، لل، ال) is offered; a bare و ف ب ك ل only before at
least four more letters, و before three (بعد، فيما، بقعة، فلول are not split; وقال، لسوريا، و2013 are);
and the whole analysis must leave a stem of two letters or digits. Measured against
Farasa's gold segmentation of WikiNews (``tests/test_tui_defects.py``).
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


_NOT_ARTICLE = frozenset({"الذي", "التي", "الذين", "اللذان", "اللتان", "اللذين", "اللتين", "اللاتي",
                          "اللواتي", "اللائي", "الله", "اللهم", "الا", "الى", "الي"})
"""Words whose leading ال is not the article (relative pronouns, الله, misspelt إلا / إلى)."""

_BARE_CLITIC_REST = 4  # a bare و ف ب ك ل (no article after it): only when at least this many letters follow


def _prefix_lengths(letters: str, total: int) -> list[int]:
    """How many letters each proclitic covers, shortest first; ``total`` counts the word's letters.

    Stricter than the written shapes alone (issue 13 §5.8): a clitic before the article
    (وال، بال، كال، لل) is offered; a bare one (و ف ب ك ل before anything else) only before
    at least ``_BARE_CLITIC_REST`` letters; and the whole analysis must leave a stem of
    ``_MIN_REMAINDER`` letters, else no edge at all (بالي is not ب + ال + ي)."""
    lengths: list[int] = []
    pos = 0
    if letters[:1] and letters[0] in _CONJUNCTIONS:
        pos = 1
        lengths.append(pos)
    nxt, after = letters[pos:pos + 1], letters[pos + 1:pos + 3]
    if nxt and nxt in _PREPOSITIONS and after[:1] in _ALEFS and after[1:] == _LAM:
        lengths += [pos + 1, pos + 3]
    elif nxt == _LAM and after[:1] == _LAM:  # لل = ل + article with its alef dropped
        lengths.append(pos + 2)
    elif nxt and nxt in _ALEFS and after[:1] == _LAM:
        lengths.append(pos + 2)
    elif nxt and (nxt in _PREPOSITIONS or nxt == _LAM) and total - pos - 1 >= _BARE_CLITIC_REST:
        lengths.append(pos + 1)  # a lone ب / ك / ل only before a long word (بمصر no, بدمشق yes)
    elif pos and total - pos < (_BARE_CLITIC_REST - 1 if letters[0] == "و" else _BARE_CLITIC_REST):
        return []  # فلول، فيما: too short to trust a bare ف (و keeps وقال at three letters)
    if lengths and total - lengths[-1] < _MIN_REMAINDER:
        # the longest analysis leaves no stem (بالي is not ب + ال + ي): the clitics before it stay only
        # where a long word follows them (وبالي is و + بالي; والي and بالي are words)
        return [n for n in lengths if total - n >= _BARE_CLITIC_REST]
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
    total = len(_COUNTED.findall(word))
    if _plain_word(word) in _NOT_ARTICLE or _plain_word(word)[1:] in _NOT_ARTICLE:
        return ()
    lengths = _prefix_lengths(letters, total)
    return tuple(units[n - 1][1] for n in lengths)


def _plain_word(word: str) -> str:
    return "".join(_plain(ch) for ch in word if _is_letter(ch))
