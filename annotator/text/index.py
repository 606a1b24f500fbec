"""One document's tokens, sentences, paragraphs and search, computed where they are asked for.

Nothing is computed for the whole text up front: the text is cut into windows
(``segments.Windows``, found from their number alone) and each window is tokenized,
split into sentences or normalized for search only when a lookup lands in it, and kept
in a bounded cache (least recently used first out). So opening a 100 MB document costs
what its first screen needs, and memory stays bounded whatever its size. Every answer
equals the whole-text computation (``tokenize``, ``sentences``, ``paragraphs``,
``matching.search``): tokens never cross a window edge, and a sentence or paragraph
crossing a safe cut inside a long paragraph is joined back here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator

from annotator.layout.bounded import Bounded
from annotator.layout.stored import Text
from annotator.layout.windows import LONG_PARAGRAPH, WINDOW, Windows, last_paragraph_break, next_paragraph_break
from annotator.text.segments import TextSpan, sentences, trimmed
from annotator.text.tokens import Token, tokenize

__all__ = ["TextIndex"]

TOKEN_WINDOWS = 128  # windows whose tokens are kept (about 130k characters)
SENTENCE_WINDOWS = 512
SEARCH_WINDOWS = 64  # windows kept normalized for search (the find box counts in 32)


class _WindowTokens:
    """The tokens of one window, with their start and end offsets for bisection."""

    __slots__ = ("tokens", "starts", "ends")

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.starts = [t.start for t in tokens]
        self.ends = [t.end for t in tokens]


class _WindowSentences:
    """The sentences of one window alone, with their starts for bisection (kept with them, so a
    lookup does not build them again)."""

    __slots__ = ("spans", "starts")

    def __init__(self, spans: list[TextSpan]) -> None:
        self.spans = spans
        self.starts = [s.start for s in spans]


class TextIndex:
    """Tokens, sentences and paragraphs of one text, plus lookups by offset, on demand.

    ``stats`` counts the characters analysed (``tokenized``, ``split``, ``normalized``), so
    tests can see that a lookup did not touch the whole text.
    """

    def __init__(self, text: Text, *, window: int = WINDOW, long: int = LONG_PARAGRAPH) -> None:
        self.text = text
        self.windows = Windows(text, window, long)
        self._tokens: Bounded[int, _WindowTokens] = Bounded(TOKEN_WINDOWS)
        self._sentences: Bounded[int, _WindowSentences] = Bounded(SENTENCE_WINDOWS)
        self._search: Bounded[tuple[int, int], tuple[str, list[int]]] = Bounded(SEARCH_WINDOWS)
        self.stats: Counter[str] = Counter()

    # -- per window ------------------------------------------------------------------------
    def _window_tokens(self, k: int) -> _WindowTokens:
        def make() -> _WindowTokens:
            start, end = self.windows.bounds(k)
            self.stats["tokenized"] += end - start
            # a slice (a stored text reads only this window), its tokens made at their offsets in the text
            return _WindowTokens(tokenize(self.text[start:end], offset=start))
        return self._tokens.get(k, make)

    def _window_sentences(self, k: int) -> list[TextSpan]:
        """Sentences of window ``k`` alone (the first and last may continue across a safe cut)."""
        return self._window_sentences_and_starts(k).spans

    def _window_sentences_and_starts(self, k: int) -> _WindowSentences:
        """Sentences of window ``k`` with their starts, split once while the window is kept."""
        def make() -> _WindowSentences:
            start, end = self.windows.bounds(k)
            self.stats["split"] += end - start
            spans = sentences(self.text[start:end])
            return _WindowSentences([TextSpan(s.start + start, s.end + start) for s in spans])
        return self._sentences.get(k, make)

    # -- tokens ----------------------------------------------------------------------------
    def token_at(self, offset: int) -> Token | None:
        """The token containing ``offset`` (None on whitespace / out of range)."""
        if not 0 <= offset < len(self.text):
            return None
        w = self._window_tokens(self.windows.of(offset))
        i = bisect_right(w.starts, offset) - 1
        return w.tokens[i] if i >= 0 and offset < w.ends[i] else None

    def token_at_or_after(self, offset: int) -> Token | None:
        """The token containing ``offset``, else the first one after it."""
        k: int | None = self.windows.of(max(offset, 0))
        while k is not None:
            w = self._window_tokens(k)
            i = bisect_right(w.ends, offset)  # first token whose end > offset
            if i < len(w.tokens):
                return w.tokens[i]
            k = self.windows.next_nonempty(k, 1)
        return None

    def token_at_or_before(self, offset: int) -> Token | None:
        """The token containing ``offset``, else the last one before it."""
        if offset < 0:
            return None
        k: int | None = self.windows.of(offset)
        while k is not None:
            w = self._window_tokens(k)
            i = bisect_right(w.starts, offset) - 1
            if i >= 0:
                return w.tokens[i]
            k = self.windows.next_nonempty(k, -1)
        return None

    def token_after(self, token: Token) -> Token | None:
        """The token following ``token`` in reading order."""
        return self.token_at_or_after(token.end)

    def token_before(self, token: Token) -> Token | None:
        return self.token_at_or_before(token.start - 1)

    def first_token(self) -> Token | None:
        return self.token_at_or_after(0)

    def last_token(self) -> Token | None:
        return self.token_at_or_before(len(self.text))

    def tokens_in(self, start: int, end: int) -> list[Token]:
        """The tokens that overlap [start, end), in order."""
        out: list[Token] = []
        if end < start:
            return out
        k: int | None = self.windows.of(max(start, 0))
        while k is not None and self.windows.boundary(k) <= max(end - 1, start):
            w = self._window_tokens(k)
            first = bisect_right(w.ends, start)
            out.extend(w.tokens[first:max(first, bisect_left(w.starts, end))])
            k = self.windows.next_nonempty(k, 1)
        return out

    def snap_to_tokens(self, start: int, end: int) -> tuple[int, int]:
        """Widen [start, end) to whole tokens: a partly covered token is taken whole,
        and whitespace at either end is dropped. A range touching no token is
        returned unchanged (an empty range inside a token becomes that token)."""
        if start > end:
            raise ValueError(f"range start {start} is after its end {end}")
        if start == end:
            tok = self.token_at(start)
            return (tok.start, tok.end) if tok is not None else (start, end)
        first = self.token_at_or_after(start)
        if first is None or first.start >= end:
            return start, end
        last = self.token_at_or_before(end - 1)
        assert last is not None
        return first.start, last.end

    # -- sentences -------------------------------------------------------------------------
    def sentence_at(self, offset: int) -> TextSpan | None:
        """The sentence holding ``offset`` (None on whitespace between sentences)."""
        if not 0 <= offset < len(self.text):
            return None
        k = self.windows.of(offset)
        found = self._window_sentences_and_starts(k)
        spans = found.spans
        i = bisect_right(found.starts, offset) - 1
        if i >= 0 and (offset < spans[i].end or (i == len(spans) - 1 and self.windows.cut_after(k))):
            whole = self._joined(k, i)  # the space at a safe cut is inside the joined sentence
            return whole if offset < whole.end else None
        return None

    def _joined(self, k: int, i: int) -> TextSpan:
        spans = self._window_sentences(k)
        start, end = spans[i].start, spans[i].end
        if i == 0:  # may continue from the windows before
            a = k
            while True:
                prev = self.windows.next_nonempty(a, -1)
                if prev is None or not self.windows.cut_after(prev) or self.windows.boundary(a) != \
                        self.windows.boundary(prev + 1):
                    break
                before = self._window_sentences(prev)
                if not before:
                    break
                start = before[-1].start
                if len(before) > 1:
                    break
                a = prev
        if i == len(spans) - 1:  # may go on into the windows after
            b = k
            while self.windows.cut_after(b):
                nxt = self.windows.next_nonempty(b, 1)
                if nxt is None:
                    break
                after = self._window_sentences(nxt)
                if not after:
                    break
                end = after[0].end
                if len(after) > 1:
                    break
                b = nxt
        return TextSpan(start, end)

    def sentences_from(self, offset: int, forward: bool = True) -> Iterator[TextSpan]:
        """Whole sentences in reading order that start after ``offset`` (``forward``), or,
        going backwards, that start before it."""
        k: int | None = self.windows.of(offset)
        last: TextSpan | None = None
        while k is not None:
            spans = self._window_sentences(k)
            for i in (range(len(spans)) if forward else range(len(spans) - 1, -1, -1)):
                whole = self._joined(k, i)
                if whole == last or (whole.start <= offset if forward else whole.start >= offset):
                    continue
                last = whole
                yield whole
            k = self.windows.next_nonempty(k, 1 if forward else -1)
            if k is not None and last is not None:  # skip the windows a joined sentence covers
                if forward and last.end > self.windows.boundary(k + 1):
                    k = self.windows.of(last.end - 1)
                elif not forward and last.start < self.windows.boundary(k):
                    k = self.windows.of(last.start)

    # -- paragraphs ------------------------------------------------------------------------
    def _line(self, offset: int) -> tuple[int, int, int]:
        """(start, end, next start) of the line between paragraph separators holding ``offset``,
        found by searching window by window from it (never from the start of the text)."""
        text, windows = self.text, self.windows
        k = windows.of(offset)
        start = -1
        while start < 0:
            wstart = windows.boundary(k)
            brk = last_paragraph_break(text, wstart, offset)
            if brk is not None:
                start = brk[1]
            elif k == 0 or not windows.cut_after(k - 1) or wstart == 0:
                start = wstart
            else:
                k -= 1
        k = windows.of(offset)
        while True:
            wend = windows.boundary(k + 1)
            sep = next_paragraph_break(text, offset, wend)
            if sep is not None:
                return start, sep[0], sep[1]
            if wend >= len(text) or k + 1 >= windows.count:
                return start, len(text), len(text)
            k += 1

    def _trimmed_line(self, offset: int) -> tuple[TextSpan | None, int, int]:
        """The paragraph of the line holding ``offset`` (None for a blank line), the line's
        start and the next line's start."""
        start, end, nxt = self._line(offset)
        return trimmed(self.text, start, end), start, nxt

    def paragraph_at(self, offset: int) -> TextSpan | None:
        """The paragraph (a line between paragraph separators, trimmed) holding ``offset``."""
        if not 0 <= offset < len(self.text):
            return None
        para = self._trimmed_line(offset)[0]
        return para if para is not None and para.start <= offset < para.end else None

    def paragraphs_from(self, offset: int, forward: bool = True) -> Iterator[TextSpan]:
        """Paragraphs in reading order that start after ``offset`` (``forward``) or, going
        backwards, before it; found by searching for separators, never by splitting the text."""
        n = len(self.text)
        if not n:
            return
        para, start, nxt = self._trimmed_line(min(max(offset, 0), n))
        while True:
            if para is not None and (para.start > offset if forward else para.start < offset):
                yield para
            if forward:
                if nxt >= n or nxt == start:
                    return
                para, start, nxt = self._trimmed_line(nxt)
            else:
                if start == 0:
                    return
                para, start, nxt = self._trimmed_line(start - 1)

    # -- search ----------------------------------------------------------------------------
    def _normalized(self, k: int, end: int) -> tuple[str, list[int]]:
        """The search copy of window ``k`` and what follows it up to ``end`` (the same for every
        query of ordinary length, so typing a query re-normalizes nothing)."""
        from annotator.text.matching import normalized_with_map

        def make() -> tuple[str, list[int]]:
            start = self.windows.boundary(k)
            self.stats["normalized"] += end - start
            return normalized_with_map(self.text[start:end])
        return self._search.get((k, end), make)

    def search_window(self, k: int, query: str) -> list[TextSpan]:
        """The matches of ``query`` that start in window ``k`` (one window's length of text
        after it is searched too, for a match that crosses its end)."""
        # imported here: matching needs camel-tools' normalizers, whose import builds
        # tables for most of a second; opening a document must not wait for it
        from annotator.text.matching import search_normalized

        start, end = self.windows.bounds(k)
        if end <= start:
            return []
        reach = min(len(self.text), end + max(self.windows.size, 8 * len(query) + 64))
        hits = search_normalized(self.text[start:reach], self._normalized(k, reach), query)
        return [TextSpan(h.start + start, h.end + start) for h in hits if h.start + start < end]

    def search_from(self, query: str, offset: int, forward: bool = True) -> Iterator[TextSpan]:
        """Matches of ``query`` in text order from the window holding ``offset`` on (or
        backwards), window by window: the first match near the cursor costs a window."""
        k: int | None = self.windows.of(offset)
        last_end = -1
        while k is not None:
            hits = self.search_window(k, query)
            for hit in (hits if forward else reversed(hits)):
                if forward and hit.start < last_end:
                    continue
                yield hit
                last_end = hit.end
            k = self.windows.next_nonempty(k, 1 if forward else -1)

    def search(self, query: str) -> list[TextSpan]:
        """``annotator.text.matching.search`` on this text, window by window (every window:
        use ``search_from`` to stop early)."""
        return list(self.search_from(query, 0))

    # -- the whole text (tests, small documents) --------------------------------------------
    @property
    def tokens(self) -> list[Token]:
        """Every token (a pass over the whole text: for tests and small texts only)."""
        return self.tokens_in(0, len(self.text))

    @property
    def sentences(self) -> list[TextSpan]:
        """Every sentence (a pass over the whole text)."""
        first = self.sentence_at(0)
        return ([first] if first else []) + list(self.sentences_from(0))

    @property
    def paragraphs(self) -> list[TextSpan]:
        """Every paragraph (a pass over the whole text)."""
        return list(self.paragraphs_from(-1))
