"""Characters a reader cannot see: bidi controls, zero-width joiners, BOM, C0/C1 controls.

They are stored as given (text is sacred) but an annotator must be told they are
there, because they change how the text reads and how offsets count.
"""

from __future__ import annotations

import unicodedata

_VISIBLE_WHITESPACE = frozenset("\n\r\t")


def is_hidden(ch: str) -> bool:
    """True for a format character (Cf: LRM, RLM, ALM, embeddings, isolates, ZWJ, ZWNJ, BOM…)
    or a control character other than line breaks and tabs."""
    if ch in _VISIBLE_WHITESPACE:
        return False
    return unicodedata.category(ch) in ("Cf", "Cc")


def count_hidden(text: str) -> int:
    """How many hidden characters ``text`` holds (only non-printable characters are examined)."""
    if text.isprintable():
        return 0
    return sum(1 for c in text if not c.isprintable() and is_hidden(c))
