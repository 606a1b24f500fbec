"""Characters a reader cannot see: bidi controls, zero-width joiners, BOM, C0/C1 controls.

They are stored as given (text is sacred) but an annotator must be told they are
there, because they change how the text reads and how offsets count.
"""

from __future__ import annotations

import unicodedata

import regex

from annotator.layout.stored import Text

# Candidates only (any "other" character but line breaks and tabs), found by a C scan that
# releases the GIL; each is then judged by ``is_hidden`` (Python's own Unicode tables).
_CANDIDATE = regex.compile(r"[\p{C}--[\n\r\t]]", regex.V1)

_VISIBLE_WHITESPACE = frozenset("\n\r\t")


def is_hidden(ch: str) -> bool:
    """True for a format character (Cf: LRM, RLM, ALM, embeddings, isolates, ZWJ, ZWNJ, BOM…)
    or a control character other than line breaks and tabs."""
    if ch in _VISIBLE_WHITESPACE:
        return False
    return unicodedata.category(ch) in ("Cf", "Cc")


def count_hidden(text: Text) -> int:
    """How many hidden characters ``text`` holds (only non-printable characters are examined; a stored
    text is read a piece at a time, never whole: each character is judged alone)."""
    if isinstance(text, str):
        return _count_hidden(text)
    return sum(_count_hidden(piece) for piece in text.pieces())


def _count_hidden(text: str) -> int:
    if text.isprintable():
        return 0
    return sum(1 for m in _CANDIDATE.finditer(text, concurrent=True) if is_hidden(m.group()))
