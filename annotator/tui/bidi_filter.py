"""The ``lro`` bidi mode for the whole screen: every drawn line wrapped in LRO … PDF.

A Textual line filter, so the document pane, the side panel, the status line and
the dialogs are all protected from a terminal that would reorder our already-visual
text. As ``annotator.terminal.rtl_mode.wrap_line_for_mode`` requires, the LRO never
goes in the line's first column: it follows the first character.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from annotator.terminal.rtl_mode import LRO, PDF


class LroFilter(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        for i, seg in enumerate(segments):
            if seg.text and not seg.control:
                head, tail = seg.text[:1], seg.text[1:]
                out = segments[:i]
                out.append(Segment(head, seg.style))
                out.append(Segment(LRO + tail, seg.style))
                out.extend(segments[i + 1:])
                out.append(Segment(PDF, seg.style))
                return out
        return segments
