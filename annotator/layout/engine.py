"""Lay out paragraphs into visual lines of cells: the pipeline, stage by stage.

1. :mod:`atoms` — per paragraph, once: bidi classes and levels (UAX #9 up to I2, :mod:`bidi`),
   Arabic shaping, atoms (clusters and lam-alef ligatures) with their widths and cell texts;
2. :mod:`breaking` — lines chosen in logical order, between atoms;
3. :mod:`cells` — per line: L1 and L2 on its atoms, then cells left to right (L4 mirroring).

Fast paths live inside the stages, each chosen in one function; ``LayoutOptions(fast_paths=False)``
turns them all off (same output) so that tests can compare. Imports flow one way:
codes -> glyphs, bidi, shaping -> joins, clusters -> atoms -> breaking, cells -> engine -> document.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar

from annotator.layout.atoms import PreparedParagraph
from annotator.layout.breaking import choose_lines, line_bounds, simple_lines
from annotator.layout.cells import build_line, one_level_lines, paragraph_cells
from annotator.layout.glyphs import control_symbol, invisible_marker
from annotator.layout.lines import LayoutOptions, VisualLine
from annotator.layout.paragraphs import split_paragraphs

# control_symbol and invisible_marker are imported from here by callers that draw characters.
__all__ = ["control_symbol", "invisible_marker", "layout_paragraph", "layout_text", "visual_string"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _gc_paused(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``fn`` with the cyclic garbage collector paused (if it was running).

    A layout allocates one tuple per character and no reference cycles; with the collector
    running, those allocations trigger collections that walk every cell made so far (a
    tuple subclass is never untracked), about a fifth of the time of a large layout.
    """
    @wraps(fn)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()
    return paused


@_gc_paused
def layout_paragraph(text: str, options: LayoutOptions, *, offset: int = 0,
                     paragraph: int = 0) -> list[VisualLine]:
    """Visual lines of one paragraph (``text`` holds no paragraph separator).

    Offsets in the cells are ``offset`` + index into ``text``.
    """
    if not text and options.fast_paths:  # an empty line between paragraphs: nothing to resolve
        return [VisualLine.prepared((), offset, offset, 0, options.direction != "ltr", paragraph, ())]
    par = PreparedParagraph(text, options)
    if par.n == 0:
        return [VisualLine((), offset, offset, 0, bool(par.para_level & 1), paragraph)]
    ready = paragraph_cells(par, offset) if options.fast_paths else None
    if ready is not None and simple_lines(par):
        bounds, columns = line_bounds(par.atom_widths, par.atom_spaces, options.width)
        lines = one_level_lines(par, ready, bounds, columns, offset, paragraph)
        if lines is not None:
            return lines
        return [build_line(par, ready, begin, end, par.atom_widths[begin:end], offset, paragraph)
                for begin, end in bounds]
    return [build_line(par, ready, begin, end, widths, offset, paragraph)
            for begin, end, widths in choose_lines(par)]


@_gc_paused
def layout_text(text: str, options: LayoutOptions) -> list[VisualLine]:
    """Visual lines of a whole text; paragraphs split, offsets absolute."""
    lines: list[VisualLine] = []
    for index, para in enumerate(split_paragraphs(text)):
        lines.extend(layout_paragraph(text[para.start:para.end], options,
                                      offset=para.start, paragraph=index))
    return lines


@lru_cache(maxsize=4096)
def visual_string(text: str, direction: str = "rtl", shape: bool = True) -> str:
    """One line of UI text (a title, list item, status line) in visual order, shaped, unwrapped.

    Every right-to-left string shown by the UI goes through here, so that explicit mode
    (where the terminal no longer reorders) shows it correctly. Paragraph separators in
    ``text`` become spaces. Cached: the UI asks for the same labels on every refresh.
    """
    options = LayoutOptions(width=sys.maxsize, direction=direction, shape=shape)
    pieces = []
    for para in split_paragraphs(text):
        for line in layout_paragraph(text[para.start:para.end], options):
            pieces.append(line.text)
    return " ".join(pieces)
