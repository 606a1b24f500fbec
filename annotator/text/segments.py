"""Paragraphs and sentences as code-point spans of the untouched text.

Paragraphs are split at ``\\n``, ``\\r\\n``, ``\\r`` and U+2029, the same
separators as ``annotator.layout.paragraphs``; every line with non-space content
is a paragraph. Every line break ``str.splitlines`` knows (those, plus U+2028,
U+0085, VT, FF, FS/GS/RS) ends a sentence. Inside a line a sentence ends after
``.`` ``!`` ``?`` ``؟`` ``…`` (a run such as ``...`` or ``؟!`` stays together),
together with any closing quotes/brackets, marks and bidi controls right after
it. A terminator glued to a following digit or Latin letter (``12.5``, ``3.14``,
``t.co``) does not end a sentence; ``١٢٣٫٥`` and ``1,000`` never contain a
terminator. Spans never include leading or trailing whitespace, and together the
sentences cover every non-whitespace character exactly once. Abbreviations
(``U.S. Army``) are not recognised: keep it simple and predictable.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

__all__ = ["TextSpan", "sentences", "paragraphs", "line_spans"]


@dataclass(frozen=True)
class TextSpan:
    """[start, end) in code points."""

    start: int
    end: int


_PARAGRAPH_BREAK = regex.compile(r"\r\n|[\n\r\u2029]")
_LINE_BREAK = regex.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TERMINATORS = frozenset(".!?؟…")
_TERMINATOR_RE = regex.compile(r"[.!?؟…]")
_NOT_A_BREAK_AFTER = regex.compile(r"[0-9\p{Nd}\p{Latin}]")
_CLOSERS = frozenset("\"'»›")


def line_spans(text: str, breaks: regex.Pattern[str] = _LINE_BREAK) -> list[TextSpan]:
    """Every line's content (without its break), empty lines included; a line
    ends at any ``str.splitlines`` break unless ``breaks`` says otherwise."""
    spans: list[TextSpan] = []
    start = 0
    for brk in breaks.finditer(text):
        spans.append(TextSpan(start, brk.start()))
        start = brk.end()
    spans.append(TextSpan(start, len(text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> TextSpan | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return TextSpan(start, end) if start < end else None


def paragraphs(text: str) -> list[TextSpan]:
    """One span per paragraph (\\n, \\r\\n, \\r, U+2029) with non-space content, trimmed."""
    out = []
    for line in line_spans(text, _PARAGRAPH_BREAK):
        span = _trimmed(text, line.start, line.end)
        if span is not None:
            out.append(span)
    return out


def _closes_sentence(ch: str) -> bool:
    """Characters that stay with the sentence just ended: closing quotes and
    brackets, combining marks, bidi/format controls."""
    if ch in _CLOSERS:
        return True
    return unicodedata.category(ch) in ("Pe", "Pf", "Mn", "Me", "Cf")


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    """Offsets just after each sentence-ending terminator group inside [start, end).
    A group with nothing but whitespace before it in its sentence (a leading
    ``...``) does not end that sentence."""
    ends: list[int] = []
    cut = start  # where the current sentence began
    skip = start  # terminators before this were already handled as part of a group
    for match in _TERMINATOR_RE.finditer(text, start, end):
        i = match.start()
        if i < skip:
            continue
        j = i + 1
        while j < end and text[j] in _TERMINATORS:
            j += 1
        skip = j
        if j < end and _NOT_A_BREAK_AFTER.match(text[j]):
            continue  # 12.5, 3.14, t.co: the terminator is inside a token
        if text[cut:i].isspace() or cut == i:
            continue  # nothing to end yet
        while j < end and _closes_sentence(text[j]):
            j += 1
        ends.append(j)
        cut = skip = j
    return ends


def sentences(text: str) -> list[TextSpan]:
    """Sentence spans in order; they never cross a line break."""
    out: list[TextSpan] = []
    for line in line_spans(text):
        cut = line.start
        for stop in _sentence_ends(text, line.start, line.end):
            span = _trimmed(text, cut, stop)
            if span is not None:
                out.append(span)
            cut = stop
        span = _trimmed(text, cut, line.end)
        if span is not None:
            out.append(span)
    return out


# -- windows: the unit of on-demand analysis -------------------------------------------------

WINDOW = 1024  # nominal window length, in code points
LONG_PARAGRAPH = 8192  # a paragraph is cut into windows only when it is longer than about this
_SAFE_CUT = regex.compile(r"\p{L}[ ](?=\p{L})")  # a plain space between two letters


class Windows:
    """The text cut into windows, each found on demand from its number alone (no pass over the
    text before it), so a document of any size is analysed only where it is looked at.

    Window ``k`` is ``[boundary(k * size), boundary((k + 1) * size))``; ``boundary(p)`` is the
    first paragraph start at or after ``p`` when one comes within ``long`` characters, else the
    first *safe cut* at or after ``p``: just after a plain space between two letters. A window
    may be empty (a long run with no cut). Tokens never cross a window edge (an edge is at a
    paragraph separator or a space), no sentence or paragraph crosses a paragraph start, and a
    sentence or paragraph that crosses a safe cut continues across it (``cut_after``): its two
    halves are joined by the caller (``TextIndex``). Paragraphs shorter than ``long`` are never
    cut, so their layout is the whole-paragraph one.
    """

    def __init__(self, text: str, size: int = WINDOW, long: int = LONG_PARAGRAPH) -> None:
        if size < 1 or long < 1:
            raise ValueError("window sizes must be positive")
        self.text = text
        self.size = size
        self.long = long
        self.count = max(1, -(-len(text) // size))  # windows, some perhaps empty
        self._bounds: dict[int, int] = {}

    def boundary(self, k: int) -> int:
        """Start offset of window ``k`` (``len(text)`` for ``k >= count``)."""
        if k <= 0:
            return 0
        if k >= self.count:
            return len(self.text)
        found = self._bounds.get(k)
        if found is None:
            found = self._bounds[k] = self._boundary_at(k * self.size)
        return found

    def _boundary_at(self, p: int) -> int:
        text, n = self.text, len(self.text)
        brk = _PARAGRAPH_BREAK.search(text, p - 1, min(n, p + self.long))
        if brk is not None:
            end = brk.end()
            if brk.group() == "\r" and end < n and text[end] == "\n":
                end += 1  # the search stopped between \r and \n
            return end
        if n < p + self.long:
            return n  # the last paragraph ends within reach: not cut
        cut = _SAFE_CUT.search(text, max(p - 2, 0))
        stop = cut.end() if cut is not None else n
        later = _PARAGRAPH_BREAK.search(text, p - 1, stop)  # a separator before that cut wins
        if later is None:
            return stop
        end = later.end()
        return end + 1 if later.group() == "\r" and text[end:end + 1] == "\n" else end

    def bounds(self, k: int) -> tuple[int, int]:
        return self.boundary(k), self.boundary(k + 1)

    def cut_after(self, k: int) -> bool:
        """Whether window ``k`` ends at a safe cut (inside a paragraph), not at a separator or the end."""
        end = self.boundary(k + 1)
        return 0 < end < len(self.text) and self.text[end - 1] == " "

    def of(self, offset: int) -> int:
        """The window holding ``offset`` (the last non-empty one for the end of the text)."""
        n = len(self.text)
        offset = min(max(offset, 0), n)
        k = min(offset // self.size, self.count - 1)
        while k > 0 and self.boundary(k) > offset:
            k -= 1
        while k + 1 < self.count and self.boundary(k + 1) <= offset:
            k += 1
        if offset == n:
            while k > 0 and self.boundary(k) == n:
                k -= 1
        return k

    def next_nonempty(self, k: int, step: int) -> int | None:
        """The first window after (``step`` 1) or before (-1) ``k`` holding any text, or None."""
        k += step
        while 0 <= k < self.count:
            start, end = self.bounds(k)
            if end > start:
                return k
            k += step
        return None
