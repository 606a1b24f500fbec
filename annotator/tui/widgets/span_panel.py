"""Side panel: the document's entities and claims in text order; choosing one jumps to it."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from annotator.layout import visual_string
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.schema.model import Schema
from annotator.tui.shown import shown


def span_text(text: str, start: int, end: int, limit: int = 24) -> str:
    """The span's text for a one-line label, shortened, in visual order."""
    piece = " ".join(text[start:end].split())
    if len(piece) > limit:
        piece = piece[: limit - 1] + "…"
    return visual_string(piece)


PANEL_TEXT = 19  # characters of span text that fit beside the label in the panel


class SpanPanel(OptionList):
    """Lists spans; posts ``Jump`` when one is chosen."""


    class Jump(Message):
        def __init__(self, span: Entity | Claim) -> None:
            super().__init__()
            self.span = span

    def __init__(self, schema: Schema, id: str | None = None) -> None:
        super().__init__(id=id)
        self.schema = schema
        self._spans: list[Entity | Claim] = []

    def show(self, text: str, state: Annotations) -> None:
        spans: list[Entity | Claim] = [*state.entities, *state.claims]
        spans.sort(key=lambda s: (s.start, -s.end))
        self._spans = spans
        options = []
        for span in spans:
            line = Text(no_wrap=True, overflow="crop")  # wrapping would scramble visual-order text
            if isinstance(span, Entity):
                spec = self.schema.label(span.label)
                line.append(f"{shown(span.label):<5}", style=f"bold {spec.color}" if spec else "bold")
            else:
                line.append("claim", style=f"bold {self.schema.claims.color}")
            line.append("·" if span.source else " ")
            line.append(span_text(text, span.start, span.end, PANEL_TEXT), style="dim" if span.source else "")
            options.append(Option(line, id=f"{'e' if isinstance(span, Entity) else 'c'}:{span.id}"))
        highlighted = self.highlighted
        self.clear_options()
        self.add_options(options)
        if options:
            self.highlighted = min(highlighted or 0, len(options) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Jump(self._spans[event.option_index]))
