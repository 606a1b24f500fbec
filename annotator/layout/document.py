"""Layout of a whole document, laid out lazily and cached per paragraph.

The TUI asks only for the lines it shows, so paragraphs are laid out on demand
(with a running count of lines per paragraph) and a width change or an edit
re-lays out only the paragraphs it touches: the cache is keyed on the paragraph
text and the options, and holds lines with offsets relative to the paragraph so
that an edit earlier in the document (which shifts offsets) costs only a shift.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from dataclasses import replace

from annotator.layout.engine import layout_paragraph
from annotator.layout.lines import LayoutOptions, VisualLine, cells_of
from annotator.layout.paragraphs import Paragraph, split_paragraphs

_CACHE_LIMIT = 20_000


def _shift_line(line: VisualLine, delta: int, paragraph: int) -> VisualLine:
    """The same line with offsets moved by ``delta`` (an edit before it shifted the text)."""
    if delta == 0 and line.paragraph == paragraph:
        return line
    cells = tuple(cells_of([(text, width, start + delta, end + delta, rtl)
                            for text, width, start, end, rtl in line.cells]))
    return VisualLine.prepared(cells, line.start + delta, line.end + delta, line.width, line.rtl,
                               paragraph, line._columns)


class DocumentLayout:
    """Cached layout of a whole document; re-lays out only paragraphs whose text/width/options changed."""

    def __init__(self, text: str, options: LayoutOptions) -> None:
        self._options = options
        self._cache: OrderedDict[tuple[str, LayoutOptions], list[VisualLine]] = OrderedDict()
        self._set(text)

    # -- inputs ---------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    @property
    def options(self) -> LayoutOptions:
        return self._options

    @property
    def paragraphs(self) -> list[Paragraph]:
        return list(self._paragraphs)

    def set_width(self, width: int) -> None:
        """Change the width; paragraphs are re-laid out lazily when next asked for."""
        self.set_options(replace(self._options, width=width))

    def set_options(self, options: LayoutOptions) -> None:
        if options != self._options:
            self._options = options
            self._reset_lines()

    def set_text(self, text: str) -> None:
        """Replace the text; unchanged paragraphs come from the cache (only shifted)."""
        self._set(text)

    def _set(self, text: str) -> None:
        self._text = text
        self._paragraphs = split_paragraphs(text)
        self._para_starts = [p.start for p in self._paragraphs]
        self._reset_lines()

    def _reset_lines(self) -> None:
        n = len(self._paragraphs)
        self._relative: list[list[VisualLine] | None] = [None] * n  # offsets from the paragraph
        self._lines: list[list[VisualLine] | None] = [None] * n  # absolute offsets, made on demand
        # _first_line[i] = index of the first visual line of paragraph i, known for i < len.
        self._first_line: list[int] = [0]

    # -- per-paragraph layout ---------------------------------------------------------------
    def _relative_lines(self, index: int) -> list[VisualLine]:
        """Lines of paragraph ``index`` with offsets relative to it (from the cache if possible)."""
        relative = self._relative[index]
        if relative is None:
            para = self._paragraphs[index]
            ptext = self._text[para.start:para.end]
            key = (ptext, self._options)
            relative = self._cache.get(key)
            if relative is None:
                relative = layout_paragraph(ptext, self._options, offset=0, paragraph=0)
                self._cache[key] = relative
                if len(self._cache) > _CACHE_LIMIT:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            self._relative[index] = relative
        return relative

    def paragraph_lines(self, index: int) -> list[VisualLine]:
        """Visual lines of paragraph ``index`` (absolute offsets), laid out if needed."""
        lines = self._lines[index]
        if lines is None:
            start = self._paragraphs[index].start
            lines = [_shift_line(line, start, index) for line in self._relative_lines(index)]
            self._lines[index] = lines
        return lines

    def _extend_counts(self, paragraph: int) -> None:
        """Make ``_first_line`` known up to and including ``paragraph + 1``."""
        first = self._first_line
        last = min(paragraph + 1, len(self._paragraphs))
        while len(first) <= last:
            i = len(first) - 1
            first.append(first[i] + len(self._relative_lines(i)))

    # -- queries ----------------------------------------------------------------------------
    @property
    def line_count(self) -> int:
        """Number of visual lines (lays out every paragraph not yet laid out)."""
        self._extend_counts(len(self._paragraphs) - 1)
        return self._first_line[len(self._paragraphs)]

    def line(self, index: int) -> VisualLine:
        if index < 0:
            raise IndexError(index)
        # Lay out paragraphs until the line is reached.
        while self._first_line[-1] <= index:
            if len(self._first_line) > len(self._paragraphs):
                raise IndexError(index)
            self._extend_counts(len(self._first_line) - 1)
        para = bisect_right(self._first_line, index) - 1
        return self.paragraph_lines(para)[index - self._first_line[para]]

    def lines(self, first: int, count: int) -> list[VisualLine]:
        """Up to ``count`` lines from ``first`` (fewer at the end of the document)."""
        result = []
        for index in range(max(first, 0), max(first, 0) + count):
            try:
                result.append(self.line(index))
            except IndexError:
                break
        return result

    def paragraph_of_offset(self, offset: int) -> int:
        """Index of the paragraph holding ``offset`` (a separator belongs to the paragraph it ends)."""
        offset = min(max(offset, 0), len(self._text))
        return max(0, bisect_right(self._para_starts, offset) - 1)

    def line_of_offset(self, offset: int) -> int:
        """Index of the visual line that shows ``offset`` (the last line of its paragraph for a separator)."""
        para = self.paragraph_of_offset(offset)
        self._extend_counts(para)
        lines = self.paragraph_lines(para)
        for i, line in enumerate(lines):
            if offset < line.end:
                return self._first_line[para] + i
        return self._first_line[para] + len(lines) - 1

    def locate(self, offset: int) -> tuple[int, int]:
        """(line index, column within the line's cells) of ``offset``.

        An offset no cell shows (a paragraph separator, the end of the text) is placed
        just past the logical end of its line: column 0 of an RTL line, its width for LTR.
        """
        index = self.line_of_offset(offset)
        line = self.line(index)
        col = line.column_of_offset(offset)
        if col is None:
            col = 0 if line.rtl else line.width
        return index, col
