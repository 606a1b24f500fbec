"""Cursor and selection movement over tokens, in reading order and on screen.

Pure (no Textual): the document view asks it where a key press moves the cursor,
so the rules can be tested without a terminal. The cursor is always the start
offset of a token; the selection is an explicit ``[start, end)`` that
shift+arrows grow by whole tokens and the nudge keys move by one character
(never between a letter and its harakat).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from annotator.layout import DocumentLayout
from annotator.text import TextIndex
from annotator.text.clusters import step


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
        tokens = self.index.tokens
        if not tokens:
            return 0
        i = self.index.token_at(offset)
        if i is None:
            i = self.index.token_at_or_after(offset)
            if i is None:
                i = self.index.token_at_or_before(offset)
        return tokens[i].start if i is not None else 0

    def token_span(self, offset: int) -> tuple[int, int]:
        i = self.index.token_at(offset)
        if i is None:
            return offset, offset
        tok = self.index.tokens[i]
        return tok.start, tok.end

    def step_token(self, offset: int, forward: bool) -> int:
        """The next (or previous) token in logical (reading) order."""
        tokens = self.index.tokens
        if not tokens:
            return 0
        i = self.index.token_at_or_after(offset) if forward else self.index.token_at_or_before(offset)
        if i is None:
            return tokens[-1].start if forward else tokens[0].start
        if forward:
            if tokens[i].start <= offset:
                i += 1
            return tokens[min(i, len(tokens) - 1)].start
        if tokens[i].start >= offset:
            i -= 1
        return tokens[max(i, 0)].start

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

    def on_line(self, line_index: int, column: int) -> int:
        """The token shown nearest screen ``column`` (of the text area) on line ``line_index``."""
        line = self.layout.line(line_index)
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
        """Move by ``lines`` visual lines keeping ``goal_column``; returns (offset, goal column)."""
        index = self.layout.line_of_offset(offset)
        goal = self.column(offset) if goal_column is None else goal_column
        target = max(index + lines, 0)
        try:
            self.layout.line(target)  # lays out only up to the target line
        except IndexError:
            target = self.layout.line_count - 1
        # A line with no token (the blank line between paragraphs) cannot hold the cursor:
        # keep going the same way, so ↑ crosses it instead of snapping back down.
        step = 1 if lines > 0 else -1
        probe = target
        while probe != index and self._has_token(probe) is False:
            probe += step
        if probe != index and self._has_token(probe):
            target = probe
        elif self._has_token(target) is False:
            target = index  # only blank lines that way: stay
        if target == index:
            return offset, goal
        return self.on_line(target, goal), goal

    def _has_token(self, line_index: int) -> bool | None:
        """Whether the line shows a token; None past either end of the document."""
        if line_index < 0:
            return None
        try:
            line = self.layout.line(line_index)  # lays out only up to that line
        except IndexError:
            return None
        return bool(self.index.tokens_in(line.start, line.end))

    def line_edge(self, offset: int, logical_start: bool) -> int:
        """First (Home) or last (End) token of the visual line, in reading order."""
        line = self.layout.line(self.layout.line_of_offset(offset))
        hit = self.index.tokens_in(line.start, line.end)
        if not hit:
            return offset
        return self.index.tokens[hit[0] if logical_start else hit[-1]].start

    def document_edge(self, start: bool) -> int:
        tokens = self.index.tokens
        if not tokens:
            return 0
        return tokens[0].start if start else tokens[-1].start

    # -- sentences and paragraphs -----------------------------------------------------------
    def _segment_step(self, spans, offset: int, forward: bool) -> int:
        if not spans:
            return offset
        i = bisect_right([s.start for s in spans], offset) - 1  # segment starting at or before offset
        if forward:
            j = i + 1
            return self.snap(spans[j].start) if j < len(spans) else offset
        if i >= 0 and spans[i].start < offset and self.snap(spans[i].start) < offset:
            return self.snap(spans[i].start)
        return self.snap(spans[max(i - 1, 0)].start)

    def sentence_step(self, offset: int, forward: bool) -> int:
        return self._segment_step(self.index.sentences, offset, forward)

    def paragraph_step(self, offset: int, forward: bool) -> int:
        return self._segment_step(self.index.paragraphs, offset, forward)

    def sentence_span(self, offset: int) -> tuple[int, int] | None:
        i = self.index.sentence_at(offset)
        if i is None:
            return None
        s = self.index.sentences[i]
        return s.start, s.end

    def next_unlabelled_sentence(self, offset: int, labelled) -> int | None:
        """Start of the first sentence after ``offset`` that ``labelled(start, end)`` says is bare
        (wrapping round to the top); None when every sentence is labelled."""
        sents = self.index.sentences
        if not sents:
            return None
        current = self.index.sentence_at(offset)
        first = (current + 1) if current is not None else 0
        n = len(sents)
        for k in range(n):
            s = sents[(first + k) % n]
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
        i = self.index.token_at(start)
        if i is None:
            i = self.index.token_at_or_after(start)
            if i is None:
                return selection
        tok = self.index.tokens[i]
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
