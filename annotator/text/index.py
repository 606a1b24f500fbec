"""Cached analysis of one document's text, with the offset lookups the UI needs.

Built once per text (tokenizing is the expensive part); every lookup is a
binary search over start offsets, so it stays fast on 50,000-token documents.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from annotator.text.segments import TextSpan, paragraphs, sentences
from annotator.text.tokens import Token, tokenize

__all__ = ["TextIndex"]


def _containing(starts: list[int], ends: list[int], offset: int) -> int | None:
    """Index of the sorted, non-overlapping span holding ``offset``, if any."""
    i = bisect_right(starts, offset) - 1
    if i >= 0 and offset < ends[i]:
        return i
    return None


class TextIndex:
    """Tokens, sentences and paragraphs of one text, plus lookups by offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = tokenize(text)
        self.sentences: list[TextSpan] = sentences(text)
        self.paragraphs: list[TextSpan] = paragraphs(text)
        self._tok_starts = [t.start for t in self.tokens]
        self._tok_ends = [t.end for t in self.tokens]
        self._sent_starts = [s.start for s in self.sentences]
        self._sent_ends = [s.end for s in self.sentences]
        self._para_starts = [p.start for p in self.paragraphs]
        self._para_ends = [p.end for p in self.paragraphs]
        self._normalized: tuple[str, list[int]] | None = None

    def token_at(self, offset: int) -> int | None:
        """Index of the token containing ``offset`` (None on whitespace / out of range)."""
        return _containing(self._tok_starts, self._tok_ends, offset)

    def token_at_or_after(self, offset: int) -> int | None:
        """The token containing ``offset``, else the first one after it."""
        i = bisect_right(self._tok_ends, offset)  # first token whose end > offset
        return i if i < len(self.tokens) else None

    def token_at_or_before(self, offset: int) -> int | None:
        """The token containing ``offset``, else the last one before it."""
        i = bisect_right(self._tok_starts, offset) - 1
        return i if i >= 0 else None

    def sentence_at(self, offset: int) -> int | None:
        return _containing(self._sent_starts, self._sent_ends, offset)

    def paragraph_at(self, offset: int) -> int | None:
        return _containing(self._para_starts, self._para_ends, offset)

    def tokens_in(self, start: int, end: int) -> range:
        """Indices of the tokens that overlap [start, end)."""
        first = bisect_right(self._tok_ends, start)
        return range(first, max(first, bisect_left(self._tok_starts, end)))

    def snap_to_tokens(self, start: int, end: int) -> tuple[int, int]:
        """Widen [start, end) to whole tokens: a partly covered token is taken whole,
        and whitespace at either end is dropped. A range touching no token is
        returned unchanged (an empty range inside a token becomes that token)."""
        if start > end:
            raise ValueError(f"range start {start} is after its end {end}")
        if start == end:
            i = self.token_at(start)
            return (self.tokens[i].start, self.tokens[i].end) if i is not None else (start, end)
        hit = self.tokens_in(start, end)
        if not hit:
            return start, end
        return self.tokens[hit[0]].start, self.tokens[hit[-1]].end

    def search(self, query: str) -> list[TextSpan]:
        """``annotator.text.matching.search`` on this text; the normalized copy is built once."""
        # imported here: matching needs camel-tools' normalizers, whose import builds
        # tables for most of a second; opening a document must not wait for it
        from annotator.text.matching import normalized_with_map, search_normalized

        if self._normalized is None:
            self._normalized = normalized_with_map(self.text)
        return search_normalized(self.text, self._normalized, query)
