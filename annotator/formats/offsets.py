"""Converting between Python code-point offsets and UTF-16 code-unit offsets.

Label Studio (JavaScript strings) and ArAIEval count UTF-16 code units; we count
code points. The two differ only after a character outside the Basic Multilingual
Plane (an emoji counts 1 here, 2 there), so a text without one converts as identity.
"""

from __future__ import annotations

import re
from bisect import bisect_left

# A character outside the BMP: found by the regular-expression engine, not a Python loop over every
# character (which was most of a Label Studio export's time, and minutes on a 100 MB text).
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _any_astral(text: str) -> bool:
    """Whether ``text`` holds a character outside the BMP: its UTF-16 is then longer than two bytes a code
    point. Encoding (a copy of each code unit, a piece at a time: never the whole of a huge text) costs a
    few instructions a character where the search costs about forty; a text that has one is searched."""
    if len(text) <= _PIECE:
        return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
    return any(len(piece.encode("utf-16-le", "surrogatepass")) != 2 * len(piece)
               for piece in map(text.__getitem__, map(slice, range(0, len(text), _PIECE),
                                                      range(_PIECE, len(text) + _PIECE, _PIECE))))


_PIECE = 1 << 16  # code points encoded at a time


class Utf16Offsets:
    """Exact offset conversion for one text, both ways."""

    def __init__(self, text: str) -> None:
        self.text = text
        # code-point indexes of the astral characters, in order
        self._astral = [m.start() for m in _ASTRAL.finditer(text)] if _any_astral(text) else []
        self.utf16_length = len(text) + len(self._astral)
        self.has_astral = bool(self._astral)  # without one, UTF-16 offsets are code-point offsets

    def to_utf16(self, cp: int) -> int:
        """UTF-16 offset of code-point offset ``cp`` (0 ≤ cp ≤ len(text))."""
        if not 0 <= cp <= len(self.text):
            raise ValueError(f"offset {cp} outside the text (length {len(self.text)})")
        return cp + bisect_left(self._astral, cp) if self._astral else cp

    def to_utf16_many(self, offsets: list[int]) -> list[int]:
        """``[to_utf16(cp) for cp in offsets]``: ``offsets`` themselves, without a call each, when the text has no
        astral character and every offset is inside it (a writer's spans, nearly always)."""
        if not self._astral and (not offsets or (min(offsets) >= 0 and max(offsets) <= len(self.text))):
            return offsets
        return [self.to_utf16(cp) for cp in offsets]

    def to_codepoint(self, unit: int) -> int | None:
        """Code-point offset of UTF-16 offset ``unit``; None if it is outside the text or
        falls between the two halves of a surrogate pair (no code point is there)."""
        if not 0 <= unit <= self.utf16_length:
            return None
        if not self._astral:
            return unit
        # find cp with cp + (#astral before cp) == unit
        lo, hi = 0, len(self.text)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.to_utf16(mid) < unit:
                lo = mid + 1
            else:
                hi = mid
        return lo if self.to_utf16(lo) == unit else None


def utf16_len(text: str) -> int:
    return len(text) + sum(1 for _ in _ASTRAL.finditer(text))
