"""Layout of a whole document, laid out on demand, window by window, within a bounded cache.

Nothing is done for the whole text up front, so a document of any size opens in the time
its first screen takes. The text is cut into windows (``layout.windows.Windows``: at
paragraph starts, and inside a paragraph longer than ``long`` at a space between two
letters); a window is laid out only when one of its lines is asked for, paragraph by
paragraph (``layout_paragraph``, cached by the paragraph's text and the options, so an edit
re-lays out only the paragraph it touches). A paragraph shorter than ``long`` is laid out
whole, exactly as ``layout_text`` does; a longer one is laid out one window-piece at a time
(its own direction kept), so a 1 MB single-line paragraph costs the lines on screen: each
piece starts a new line.

Line numbers: a window not laid out yet counts as ``estimate`` lines; once laid out, its
exact count is kept (a few integers, even after its lines leave the cache). So line numbers
are exact up to the last window laid out before them, and ``version`` changes whenever a
count becomes exact, which the view uses to keep what is on screen where it was. A number is
therefore good only until a window before it is laid out: a move by lines walks the lines
themselves (``lines_from``), never numbers.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace

from annotator.layout.bidi import bidi_classes
from annotator.layout.bidi.explicit import first_strong_level
from annotator.layout.bounded import Bounded
from annotator.layout.engine import layout_paragraph
from annotator.layout.lines import LayoutOptions, VisualLine, cells_of
from annotator.layout.paragraphs import Paragraph, split_paragraphs
from annotator.layout.stored import Text, whole_text
from annotator.layout.windows import LONG_PARAGRAPH, WINDOW, Windows, last_paragraph_break

PARAGRAPH_CACHE = 100_000  # characters of laid-out paragraphs kept, by text (relative offsets)
WINDOW_CACHE = 48  # laid-out windows kept (absolute offsets): about 50k characters


def _shift_line(line: VisualLine, delta: int, paragraph: int) -> VisualLine:
    """The same line with offsets moved by ``delta`` (an edit before it shifted the text)."""
    if delta == 0 and line.paragraph == paragraph:
        return line
    cells = tuple(cells_of([(text, width, start + delta, end + delta, rtl)
                            for text, width, start, end, rtl in line.cells]))
    return VisualLine.prepared(cells, line.start + delta, line.end + delta, line.width, line.rtl,
                               paragraph, line._columns)


class DocumentLayout:
    """Cached, on-demand layout of a whole document.

    ``VisualLine.paragraph`` is the offset where the line's paragraph starts (a number found
    without counting the paragraphs before it).
    """

    def __init__(self, text: Text, options: LayoutOptions, *, window: int = WINDOW,
                 long: int = LONG_PARAGRAPH) -> None:
        self._options = options
        self._window, self._long = window, long
        self._cache: OrderedDict[tuple[str, LayoutOptions], list[VisualLine]] = OrderedDict()
        self._cached = 0  # characters in _cache
        self.version = 0
        self.laid_out = 0  # characters laid out (paragraphs not found in the cache): for tests
        self._set(text)

    # -- inputs ---------------------------------------------------------------------------
    @property
    def text(self) -> Text:
        return self._text

    @property
    def options(self) -> LayoutOptions:
        return self._options

    @property
    def windows(self) -> Windows:
        return self._windows

    @property
    def paragraphs(self) -> list[Paragraph]:
        """Every paragraph (a pass over the whole text: for tests and small texts)."""
        return split_paragraphs(whole_text(self._text))

    def set_width(self, width: int) -> None:
        """Change the width; windows are re-laid out lazily when next asked for."""
        self.set_options(replace(self._options, width=width))

    def set_options(self, options: LayoutOptions) -> None:
        if options != self._options:
            self._options = options
            self._reset_lines()

    def set_text(self, text: Text) -> None:
        """Replace the text; unchanged paragraphs come from the cache (only shifted)."""
        self._set(text)

    def _set(self, text: Text) -> None:
        self._text = text
        self._windows = Windows(text, self._window, self._long)
        self._reset_lines()

    def _reset_lines(self) -> None:
        self._lines: Bounded[int, list[VisualLine]] = Bounded(WINDOW_CACHE)  # window -> lines, absolute
        self._counts: dict[int, int] = {}  # window -> exact line count, once laid out
        self._laid: list[int] = []  # windows with an exact count, in order
        self._excess: list[int] = [0]  # _excess[i]: sum of (count - estimate) over _laid[:i]
        self._next_uncounted = 0
        self.estimate = max(1, -(-self._window // self._options.width))
        self.version += 1

    # -- per window -------------------------------------------------------------------------
    def _relative_lines(self, ptext: str, options: LayoutOptions) -> list[VisualLine]:
        key = (ptext, options)
        relative = self._cache.get(key)
        if relative is None:
            self.laid_out += len(ptext)
            relative = layout_paragraph(ptext, options, offset=0, paragraph=0)
            self._cache[key] = relative
            self._cached += len(ptext)
            while self._cached > PARAGRAPH_CACHE and len(self._cache) > 1:
                self._cached -= len(self._cache.popitem(last=False)[0][0])
        else:
            self._cache.move_to_end(key)
        return relative

    def _piece_options(self, para_start: int) -> LayoutOptions:
        """Options for a piece of the long paragraph that starts at ``para_start``: the direction
        is the whole paragraph's (``auto`` looks for the paragraph's first strong character,
        which may lie in an earlier or a later piece)."""
        options = self._options
        if options.direction != "auto":
            return options
        k = self._windows.of(para_start)
        level = None
        while level is None:
            a, b = self._windows.bounds(k)
            level = first_strong_level(bidi_classes(self._text[max(a, para_start):b]))
            if not self._windows.cut_after(k) or k + 1 >= self._windows.count:
                break
            k += 1
        return replace(options, direction="ltr" if level == 0 else "rtl")

    def _paragraph_start(self, offset: int) -> int:
        """Where the paragraph holding ``offset`` starts (a search backwards for its separator)."""
        brk = last_paragraph_break(self._text, 0, offset)
        return brk[1] if brk is not None else 0

    def window_lines(self, k: int) -> list[VisualLine]:
        """Visual lines of window ``k`` (absolute offsets), laid out if needed."""
        lines = self._lines.find(k)
        if lines is not None:
            return lines
        text, windows = self._text, self._windows
        a, b = windows.bounds(k)
        lines = []
        if b > a or k == 0:
            paras = split_paragraphs(text[a:b])
            if b < len(text) and not windows.cut_after(k) and len(paras) > 1:
                paras.pop()  # the empty tail after the window's last separator starts the next window
            continued = a > 0 and windows.cut_after(k - 1)
            for i, para in enumerate(paras):
                start = a + para.start
                if i == 0 and continued:  # a piece of a long paragraph
                    owner = self._paragraph_start(start)  # searched once: it may lie far back
                    options = self._piece_options(owner)
                else:
                    options, owner = self._options, start
                lines.extend(_shift_line(line, start, owner)
                             for line in self._relative_lines(text[start:a + para.end], options))
        self._lines.put(k, lines)
        if k not in self._counts:
            self._counts[k] = len(lines)
            i = bisect_left(self._laid, k)
            insort(self._laid, k)
            excess = self._excess
            excess.insert(i + 1, excess[i])
            diff = len(lines) - self.estimate
            for j in range(i + 1, len(excess)):
                excess[j] += diff
            if diff:
                self.version += 1
        return lines

    def neighbours(self, start: int, end: int) -> list[int]:
        """The windows a move off ``start``..``end`` (what is on screen) enters next: the first
        non-empty window before ``start``'s and the first after ``end``'s."""
        w = self._windows
        return [k for k in (w.next_nonempty(w.of(start), -1), w.next_nonempty(w.of(end), 1)) if k is not None]

    def lay_out_neighbours(self, start: int, end: int) -> list[int]:
        """Lay out ``neighbours(start, end)`` not in the cache yet (the view calls this when
        idle, so crossing into them does not cost a key its budget); the windows laid out."""
        todo = [k for k in self.neighbours(start, end) if k not in self._lines]
        for k in todo:
            self.window_lines(k)
        return todo

    def uncounted_window(self) -> int | None:
        """The first window whose line count is still an estimate (None when all are exact)."""
        k = self._next_uncounted
        while k < self._windows.count and k in self._counts:
            k += 1
        self._next_uncounted = k
        return k if k < self._windows.count else None

    def first_line(self, k: int) -> int:
        """Line number of window ``k``'s first line (estimates for windows not laid out before it)."""
        return k * self.estimate + self._excess[bisect_left(self._laid, k)]

    def _window_of_line(self, index: int) -> int:
        """The window that line ``index`` falls in under the current counts."""
        lo, hi = 0, self._windows.count - 1
        while lo < hi:  # the last window whose first line is <= index
            mid = (lo + hi + 1) // 2
            if self.first_line(mid) <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # -- queries ----------------------------------------------------------------------------
    @property
    def line_count(self) -> int:
        """Number of visual lines (lays out every window not yet counted: a whole-text pass)."""
        for k in range(self._windows.count):
            if k not in self._counts:
                self.window_lines(k)
        return self.estimated_line_count

    @property
    def estimated_line_count(self) -> int:
        """Number of visual lines, counting ``estimate`` for each window not laid out yet."""
        return self.first_line(self._windows.count)

    def line(self, index: int) -> VisualLine:
        """Line ``index`` under the current counts; laying out its window renumbers only the
        lines after that window's start, so lines asked for in order follow one another.
        IndexError past the end as counted now: counting windows before ``index`` to look
        further would renumber lines the caller already holds (and could cost the whole text)."""
        if index < 0:
            raise IndexError(index)
        while True:
            if index >= self.estimated_line_count:
                raise IndexError(index)
            k = self._window_of_line(index)
            if k in self._counts:
                lines = self.window_lines(k)
                return lines[index - self.first_line(k)]
            self.window_lines(k)  # its count is now exact: look again

    def lines(self, first: int, count: int) -> list[VisualLine]:
        """Up to ``count`` lines from ``first`` (fewer at the end of the document)."""
        result = []
        for index in range(max(first, 0), max(first, 0) + count):
            try:
                result.append(self.line(index))
            except IndexError:
                break
        return result

    def _place(self, offset: int) -> tuple[int, list[VisualLine], int]:
        """(window, its lines, index among them) of the line that shows ``offset``: the last line
        starting at or before it, so a separator is on its paragraph's last line."""
        offset = min(max(offset, 0), len(self._text))
        k = self._windows.of(offset)
        lines = self.window_lines(k)
        return k, lines, max(0, bisect_right([line.start for line in lines], offset) - 1)

    def line_of_offset(self, offset: int) -> int:
        """Index of the visual line that shows ``offset`` (the last line of its paragraph for a separator)."""
        k, _lines, i = self._place(offset)
        return self.first_line(k) + i

    def lines_from(self, offset: int, step: int) -> Iterator[VisualLine]:
        """The visual lines after (``step`` 1) or before (-1) the one showing ``offset``, nearest
        first, windows laid out as they are reached. A move by lines walks these rather than line
        numbers: a number counts estimates for the windows before it not laid out yet, and
        counting any of them (on the way up, or looking past the end) shifts it."""
        k, lines, i = self._place(offset)
        count = self._windows.count
        while True:
            i += step
            while not 0 <= i < len(lines):  # into the next window that way (an empty one is crossed)
                k += step
                if not 0 <= k < count:
                    return
                lines = self.window_lines(k)
                i = 0 if step > 0 else len(lines) - 1
            yield lines[i]

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
