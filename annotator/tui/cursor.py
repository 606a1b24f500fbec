"""Cursor and selection movement over tokens, in reading order and on screen.

Pure (no Textual): the document view asks it where a key press moves the cursor,
so the rules can be tested without a terminal. The cursor is always the start
offset of a token; the selection is an explicit ``[start, end)`` that
shift+arrows grow by whole tokens and the nudge keys move by one character
(never between a letter and its harakat).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice, takewhile

from annotator.layout import DocumentLayout, VisualLine
from annotator.text import TextIndex
from annotator.text.clusters import step
from annotator.text.segments import TextSpan


@dataclass(frozen=True)
class Selection:
    """A selected range; ``anchor`` is the token start the selection grows from."""

    start: int
    end: int
    anchor: int


class Navigator:
    """Answers "where does this key take the cursor" for one document and layout."""

    def __init__(self, index: TextIndex, layout: DocumentLayout) -> None:
        self.index = index
        self.layout = layout
        self.text = index.text

    # -- tokens -------------------------------------------------------------------------
    def snap(self, offset: int) -> int:
        """The start of the token at ``offset`` (or the nearest one): where the cursor may rest."""
        index = self.index
        tok = index.token_at(offset) or index.token_at_or_after(offset) or index.token_at_or_before(offset)
        return tok.start if tok is not None else 0

    def token_span(self, offset: int) -> tuple[int, int]:
        tok = self.index.token_at(offset)
        if tok is None:
            return offset, offset
        return tok.start, tok.end

    def step_token(self, offset: int, forward: bool) -> int:
        """The next (or previous) token in logical (reading) order."""
        index = self.index
        tok = index.token_at_or_after(offset) if forward else index.token_at_or_before(offset)
        if tok is None:
            edge = index.last_token() if forward else index.first_token()
            return edge.start if edge is not None else 0
        if forward and tok.start <= offset:
            tok = index.token_after(tok) or tok
        elif not forward and tok.start >= offset:
            tok = index.token_before(tok) or tok
        return tok.start

    def reading_forward(self, offset: int, key: str) -> bool:
        """Whether ``key`` ("left"/"right") means "forward" on the line showing ``offset``.

        In a right-to-left line ← moves to the next word and → to the previous one.
        """
        rtl = self.layout.line(self.layout.line_of_offset(offset)).rtl
        return (key == "left") == rtl

    def horizontal(self, offset: int, key: str) -> int:
        return self.step_token(offset, self.reading_forward(offset, key))

    # -- lines ----------------------------------------------------------------------------
    def column(self, offset: int) -> int:
        """Screen column of ``offset`` within the text area (right-aligned lines included)."""
        index, col = self.layout.locate(offset)
        return self.layout.line(index).indent(self.layout.options.width) + col

    def on_line(self, line: VisualLine, column: int) -> int:
        """The token shown nearest screen ``column`` (of the text area) on ``line``."""
        if not line.cells:
            return self.snap(line.start)
        col = column - line.indent(self.layout.options.width)
        col = min(max(col, 0), max(line.width - 1, 0))
        offset = line.offset_at_column(col)
        if offset is None or self.index.token_at(offset) is None:
            # On whitespace: look for the nearest token cell on this line.
            best = None
            for delta in range(1, line.width + 1):
                for c in (col - delta, col + delta):
                    o = line.offset_at_column(c) if 0 <= c < line.width else None
                    if o is not None and self.index.token_at(o) is not None:
                        best = o
                        break
                if best is not None:
                    break
            offset = best if best is not None else line.start
        return self.snap(offset)

    def vertical(self, offset: int, lines: int, goal_column: int | None) -> tuple[int, int]:
        """Move by ``lines`` visual lines keeping ``goal_column``; returns (offset, goal column).

        The lines are walked from the cursor's (``DocumentLayout.lines_from``), never found by
        number: a number counts estimates for windows not laid out yet."""
        goal = self.column(offset) if goal_column is None else goal_column
        if lines == 0:
            return offset, goal
        way = self.layout.lines_from(offset, 1 if lines > 0 else -1)
        last = deque(islice(way, abs(lines)), maxlen=1)  # that far, or the last line before the document's edge
        target = last[0] if last else None
        # A line with no token (the blank line between paragraphs) cannot hold the cursor:
        # keep going the same way, so ↑ crosses it instead of snapping back down; none: stay.
        if target is not None and not self._has_token(target):
            target = next((line for line in way if self._has_token(line)), None)
        if target is None:
            return offset, goal
        return self.on_line(target, goal), goal

    def _has_token(self, line: VisualLine) -> bool:
        """Whether ``line`` shows a token (a line that does not cannot hold the cursor)."""
        tok = self.index.token_at_or_after(line.start)
        return tok is not None and tok.start < line.end

    def line_edge(self, offset: int, logical_start: bool) -> int:
        """First (Home) or last (End) token of the visual line, in reading order."""
        line = self.layout.line(self.layout.line_of_offset(offset))
        tok = (self.index.token_at_or_after(line.start) if logical_start
               else self.index.token_at_or_before(line.end - 1))
        if tok is None or tok.start >= line.end or tok.end <= line.start:
            return offset
        return tok.start

    def document_edge(self, start: bool) -> int:
        tok = self.index.first_token() if start else self.index.last_token()
        return tok.start if tok is not None else 0

    # -- sentences and paragraphs -----------------------------------------------------------
    def _segment_step(self, following: Iterator[TextSpan], preceding: Iterator[TextSpan], offset: int,
                      forward: bool) -> int:
        """To the next segment's start, or back to this one's (else the one before it)."""
        if forward:
            nxt = next(following, None)
            return self.snap(nxt.start) if nxt is not None else offset
        last = None
        for span in preceding:
            if self.snap(span.start) < offset:
                return self.snap(span.start)
            last = span
        return self.snap(last.start) if last is not None else offset

    def sentence_step(self, offset: int, forward: bool) -> int:
        index = self.index
        return self._segment_step(index.sentences_from(offset), index.sentences_from(offset, False), offset,
                                  forward)

    def paragraph_step(self, offset: int, forward: bool) -> int:
        index = self.index
        return self._segment_step(index.paragraphs_from(offset), index.paragraphs_from(offset, False), offset,
                                  forward)

    def sentence_span(self, offset: int) -> tuple[int, int] | None:
        s = self.index.sentence_at(offset)
        return (s.start, s.end) if s is not None else None

    def next_unlabelled_sentence(self, offset: int, labelled: Callable[[int, int], bool]) -> int | None:
        """Start of the first sentence after ``offset`` that ``labelled(start, end)`` says is bare
        (wrapping round to the top); None when every sentence is labelled. Sentences are found
        window by window from the cursor, so the first bare one nearby costs a window."""
        current = self.index.sentence_at(offset)
        if current is None:
            order: Iterator[TextSpan] = self.index.sentences_from(-1)
        else:  # after the current one, then from the top round to it
            wrapped = takewhile(lambda s: s.start <= current.start, self.index.sentences_from(-1))
            order = chain(self.index.sentences_from(current.start), wrapped)
        for s in order:
            if not labelled(s.start, s.end):
                return self.snap(s.start)
        return None

    # -- selection --------------------------------------------------------------------------
    def extend(self, selection: Selection | None, cursor: int, new_cursor: int) -> Selection:
        """Selection from the anchor token to the token at ``new_cursor`` (whole tokens)."""
        anchor = selection.anchor if selection is not None else cursor
        a0, a1 = self.token_span(anchor)
        b0, b1 = self.token_span(new_cursor)
        return Selection(min(a0, b0), max(a1, b1), anchor)

    def nudge(self, selection: Selection, edge: str, delta: int) -> Selection:
        """Move the ``edge`` ("start"/"end") by one character with its marks (one cluster of
        ``text.clusters``), so an edge never falls between a letter and its harakat.
        An empty result is refused."""
        pos = selection.start if edge == "start" else selection.end
        pos = step(self.text, pos, delta > 0)
        start, end = (pos, selection.end) if edge == "start" else (selection.start, pos)
        if start >= end:
            return selection
        return Selection(start, end, selection.anchor)

    def clitic_jump(self, selection: Selection, forward: bool) -> Selection:
        """Move the start edge to the next/previous proclitic edge of the token it is in
        (the token start counts as an edge), e.g. past و or the article ال."""
        start = selection.start
        tok = self.index.token_at(start) or self.index.token_at_or_after(start)
        if tok is None:
            return selection
        edges = [tok.start, *tok.clitic_edges]
        if forward:
            later = [e for e in edges if e > start and e < selection.end]
            pos = min(later) if later else None
        else:
            earlier = [e for e in edges if e < start]
            pos = max(earlier) if earlier else None
        if pos is None:
            return selection
        return Selection(pos, selection.end, selection.anchor)
