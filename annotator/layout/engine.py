"""Lay out paragraphs into visual lines (temporary skeleton: no bidi yet)."""

from __future__ import annotations

from annotator.layout.lines import Cell, LayoutOptions, VisualLine
from annotator.layout.paragraphs import split_paragraphs


def layout_paragraph(text: str, options: LayoutOptions, *, offset: int = 0,
                     paragraph: int = 0) -> list[VisualLine]:
    """Visual lines of one paragraph (``text`` holds no paragraph separator)."""
    rtl = options.direction != "ltr"
    lines = []
    for start in range(0, max(len(text), 1), options.width):
        chunk = range(start, min(start + options.width, len(text)))
        cells = [Cell(text[i], 1, offset + i, offset + i + 1, rtl) for i in chunk]
        if rtl:
            cells.reverse()
        lines.append(VisualLine(tuple(cells), offset + start, offset + chunk.stop,
                                len(cells), rtl, paragraph))
    return lines


def layout_text(text: str, options: LayoutOptions) -> list[VisualLine]:
    """Visual lines of a whole text; offsets are absolute."""
    lines: list[VisualLine] = []
    for index, para in enumerate(split_paragraphs(text)):
        lines.extend(layout_paragraph(text[para.start:para.end], options,
                                      offset=para.start, paragraph=index))
    return lines


def visual_string(text: str, direction: str = "rtl", shape: bool = True) -> str:
    """One line of UI text (title, list item) in visual order, shaped, never wrapped."""
    lines = layout_paragraph(text, LayoutOptions(width=max(1, 4 * len(text) + 8), direction=direction,
                                                 shape=shape))
    return lines[0].text if lines else ""
