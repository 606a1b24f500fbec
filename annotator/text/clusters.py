"""Where a span edge may fall: the one definition of "never split a letter from its marks".

A *cluster* is a base character followed by every character that sits on it:

- combining marks, Unicode categories Mn and Me: the Arabic harakat (fatha, damma,
  kasra, tanween, sukun), shadda, superscript (dagger) alef U+0670, hamza above/below
  U+0654/U+0655, the Quranic annotation marks (U+0610–U+061A, U+06D6–U+06DC,
  U+06DF–U+06E4, U+06E7–U+06E8, U+06EA–U+06ED, most of U+08D3–U+08FF) and Latin
  accents (U+0301);
- ZWJ U+200D, which asks the letter before it to join onward: cut before it and the
  span's last letter changes shape once the span is read on its own (UAX #29 keeps it
  with the character before it, too).

Everything else starts a cluster, on purpose:

- ZWNJ U+200C marks where one written part ends and the next begins (Persian/Urdu
  ``می‌روم``, ``کتاب‌ها``): an annotator may label ``کتاب`` without its suffix, and
  nothing changes shape by cutting there. (UAX #29 would glue it to the letter before;
  we do not, so spans made before this module stay valid.)
- tatweel U+0640 is a letter-like filler that carries its own harakat.
- whitespace never takes marks: a stray haraka after a space (or at the very start
  of the text) begins a cluster of its own, so it can be labelled without the space.
- spacing marks (Mc) do not occur in Arabic script; they are left out so that every
  offset valid before this module was written is still valid (stores replay old logs).

Offsets are code points; 0 and ``len(text)`` are always boundaries. The users:
``model.operations.check_offsets`` (refuses an edge inside a cluster), ``text.matching.search``
(widens a hit to whole clusters) and ``tui.cursor.Navigator.nudge`` (moves an edge
one cluster). Token edges and proclitic edges are boundaries too (tested).
"""

from __future__ import annotations

import unicodedata

from annotator.layout.stored import Text

__all__ = ["ZWJ", "attaches", "is_boundary", "cluster_start", "cluster_end", "widen", "step"]

ZWJ = "\u200d"


def attaches(ch: str) -> bool:
    """True for a character that belongs to the character before it (marks, ZWJ)."""
    return ch == ZWJ or unicodedata.category(ch) in ("Mn", "Me")


def is_boundary(text: Text, offset: int) -> bool:
    """Whether a span edge may fall at ``offset`` (0 ≤ offset ≤ len(text))."""
    if offset <= 0 or offset >= len(text):
        return True
    return not attaches(text[offset]) or text[offset - 1].isspace()


def cluster_start(text: Text, offset: int) -> int:
    """The nearest boundary at or before ``offset``."""
    while not is_boundary(text, offset):
        offset -= 1
    return offset


def cluster_end(text: Text, offset: int) -> int:
    """The nearest boundary at or after ``offset``."""
    while not is_boundary(text, offset):
        offset += 1
    return offset


def widen(text: Text, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` grown to whole clusters."""
    return cluster_start(text, start), cluster_end(text, end)


def step(text: Text, offset: int, forward: bool) -> int:
    """The next boundary after (or before) ``offset``, staying within ``[0, len(text)]``."""
    if forward:
        return cluster_end(text, min(offset + 1, len(text)))
    return cluster_start(text, max(offset - 1, 0))
