"""Right-to-left layout engine: logical text in, visual lines of terminal cells out.

Pure module (no Textual): UAX #9 levels resolved once per paragraph, breaks chosen
in logical order, rules L1–L4 per line, Arabic shaping per cluster, visible controls.
"""

from annotator.layout.document import DocumentLayout
from annotator.layout.engine import layout_paragraph, layout_text, visual_string
from annotator.layout.lines import Cell, LayoutOptions, VisualLine
from annotator.layout.paragraphs import Paragraph, split_paragraphs

__all__ = [
    "Cell",
    "DocumentLayout",
    "LayoutOptions",
    "Paragraph",
    "VisualLine",
    "layout_paragraph",
    "layout_text",
    "split_paragraphs",
    "visual_string",
]
