"""Windows: the unit in which a document is analysed and laid out on demand.

A window is found from its number alone (no pass over the text before it), so a document of
any size is tokenized, split into sentences, searched (``text.index.TextIndex``) and laid out
(``layout.document.DocumentLayout``) only where it is looked at. Pure: ``regex`` only. The text may
be a ``layout.stored.StoredText``: it is only ever sliced, so only the slices looked at are read.
"""

from __future__ import annotations

import regex

from annotator.layout.stored import Text, search_backward, search_forward

__all__ = ["LONG_PARAGRAPH", "WINDOW", "Windows", "last_paragraph_break", "next_paragraph_break"]

# The paragraph separators of ``layout.paragraphs`` (and ``text.segments``), forwards and backwards: one owner.
_SEPARATORS = "\n\r\u2029"  # and "\r\n" as one; the most common first (``last_paragraph_break``)
PARAGRAPH_BREAK = regex.compile(f"\r\n|[{_SEPARATORS}]")
PARAGRAPH_BREAK_BACKWARDS = regex.compile(f"(?r)\r\n|[{_SEPARATORS}]")


def next_paragraph_break(text: Text, start: int, stop: int) -> tuple[int, int] | None:
    """[start, end) of the first paragraph separator starting in ``text[start:stop]``, whole: a
    ``\r\n`` that the piece-wise search (``search_forward``) or ``stop`` cut after its ``\r`` is
    given its ``\n`` here, the one place that rule lives."""
    brk = search_forward(PARAGRAPH_BREAK, text, start, stop)
    if brk is None:
        return None
    end = brk[1]
    if brk[2] == "\r" and text[end:end + 1] == "\n":
        end += 1  # the search stopped between \r and \n
    return brk[0], end


def last_paragraph_break(text: Text, start: int, stop: int) -> tuple[int, int] | None:
    """[start, end) of the last paragraph separator in ``text[start:stop]``, a ``\r\n`` whole when its
    ``\r`` is in the stretch: where the paragraph holding ``stop`` starts, searched back from it. A
    ``str`` is searched with ``str.rfind`` (C, some 20 times a regular expression's reverse search: a
    long paragraph's windows each look back to its start), each separator only after the nearest one
    found so far; a ``StoredText`` a piece at a time back from ``stop`` (``search_backward``: each piece
    ends one character into the one searched before it, so a ``\r\n`` across their edge is found whole).
    The one backward search of a text: each kind of text has one path."""
    start, stop = max(start, 0), min(stop, len(text))
    if stop <= start:
        return None
    last = start - 1  # the separator's last character
    if isinstance(text, str):
        for separator in _SEPARATORS:
            last = max(last, text.rfind(separator, last + 1, stop))
    else:
        found = search_backward(PARAGRAPH_BREAK_BACKWARDS, text, start, stop)
        if found is not None:
            last = found[1] - 1
    if last < start:
        return None
    if text[last] == "\n" and last > start and text[last - 1] == "\r":
        return last - 1, last + 1
    return last, last + 1


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

    def __init__(self, text: Text, size: int = WINDOW, long: int = LONG_PARAGRAPH) -> None:
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
        """Searched in slices of the text (a ``StoredText`` reads only those), never from its start."""
        text, n = self.text, len(self.text)
        brk = next_paragraph_break(text, p - 1, min(n, p + self.long))
        if brk is not None:
            return brk[1]
        if n < p + self.long:
            return n  # the last paragraph ends within reach: not cut
        cut = search_forward(_SAFE_CUT, text, max(p - 2, 0), n)
        stop = cut[1] if cut is not None else n
        later = next_paragraph_break(text, p - 1, stop)  # a separator before that cut wins
        return stop if later is None else later[1]

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
