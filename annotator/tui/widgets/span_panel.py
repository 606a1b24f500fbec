"""Side panel: the document's entities and claims in text order; choosing one jumps to it."""

from __future__ import annotations

from functools import partial

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from annotator.layout import visual_string
from annotator.layout.stored import Text as DocText
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.schema.model import Schema
from annotator.text.clusters import step
from annotator.tui.shown import shown


def fit_logical(piece: str, limit: int) -> str:
    """``piece`` cut at its logical end (never inside a letter's marks) to ``limit`` cells, "…" added.

    Cut before reordering: the words dropped are the last ones read, whichever side of the
    screen they would be drawn on; a crop after reordering would drop the first words of
    right-to-left text."""
    if cell_len(piece) <= limit:
        return piece
    cut = len(piece)
    while cut > 0 and cell_len(piece[:cut]) + 1 > limit:
        cut = step(piece, cut, False)
    return piece[:cut].rstrip() + "…"


def span_text(text: DocText, start: int, end: int, limit: int = 24) -> str:
    """The span's text for a one-line label, shortened at its logical end, in visual order."""
    return visual_string(fit_logical(" ".join(text[start:end].split()), limit))


LABEL_COLUMN_MAX = 10  # a longer label key is cut (with "…") so the text column stays aligned
PANEL_CHROME = 4  # the panel's left border, its scrollbar and a spare cell
PANEL_SLICE = 120  # rows listed at a time (about 5 ms): a longer list is added a slice per PANEL_PAUSE
PANEL_PAUSE = 0.005  # seconds between slices: the screen answers keys meanwhile


class SpanPanel(OptionList):
    """Lists spans; posts ``Jump`` when one is chosen."""


    PANEL_KEYS = frozenset({"up", "down", "pageup", "pagedown", "home", "end", "enter", "tab", "escape",
                            "shift+tab"})
    """Keys the focused panel answers; any other key is refused here instead of reaching the
    text behind it (the focus is where the border shows, and keys act there only)."""

    class Refused(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Jump(Message):
        def __init__(self, span: Entity | Claim) -> None:
            super().__init__()
            self.span = span

    def __init__(self, schema: Schema, id: str | None = None) -> None:
        super().__init__(id=id)
        self.schema = schema
        self._spans: list[Entity | Claim] = []
        self._listing = 0  # which listing the slices being added belong to (a newer one drops the older)

    def show(self, text: DocText, state: Annotations) -> None:
        """List ``state``'s spans: up to ``PANEL_SLICE`` rows at once, the rest a slice per
        ``PANEL_PAUSE`` (a recommender's thousands of proposals would hold the screen for a
        quarter of a second; keys are answered between slices). A newer ``show`` replaces it."""
        spans: list[Entity | Claim] = [*state.entities, *state.claims]
        spans.sort(key=lambda s: (s.start, -s.end))
        self._spans = spans
        self._listing += 1
        column = self._label_column(spans)
        room = max(self._width() - column - 1, 4)
        highlighted = self.highlighted
        self.clear_options()
        self._list_from(self._listing, text, 0, column, room, highlighted)

    def _list_from(self, listing: int, text: DocText, first: int, column: int, room: int,
                   highlighted: int | None) -> None:
        if listing != self._listing:
            return  # a newer list took over
        spans = self._spans
        end = min(first + PANEL_SLICE, len(spans))
        self.add_options([self._row(text, span, column, room) for span in spans[first:end]])
        if end < len(spans):
            self.set_timer(PANEL_PAUSE, partial(self._list_from, listing, text, end, column, room, highlighted))
        elif spans:
            self.highlighted = min(highlighted or 0, len(spans) - 1)

    def _row(self, text: DocText, span: Entity | Claim, column: int, room: int) -> Option:
        line = Text(no_wrap=True, overflow="crop")  # wrapping would scramble visual-order text
        if isinstance(span, Entity):
            spec = self.schema.label(span.label)
            name = fit_logical(shown(span.label), column)
            line.append(f"{name:<{column}}", style=f"bold {spec.color}" if spec else "bold")
        else:
            line.append(f"{'claim':<{column}}", style=f"bold {self.schema.claims.color}")
        linked = isinstance(span, Entity) and span.identity is not None
        line.append("·" if span.source else "≡" if linked else " ")  # ≡: a mention of an identity
        line.append(span_text(text, span.start, span.end, room), style="dim" if span.source else "")
        return Option(line, id=f"{'e' if isinstance(span, Entity) else 'c'}:{span.id}")

    def _width(self) -> int:
        """Cells a row may use: the panel's width (from the stylesheet before the first layout)."""
        width = self.size.width or (self.styles.width.value if self.styles.width else 28)
        return int(width) - PANEL_CHROME

    @staticmethod
    def _label_column(spans: list[Entity | Claim]) -> int:
        names = [len(shown(s.label)) for s in spans if isinstance(s, Entity)]
        return min(max([5, *names]), LABEL_COLUMN_MAX)

    def on_key(self, event: events.Key) -> None:
        if event.key not in self.PANEL_KEYS:
            event.stop()
            event.prevent_default()
            self.post_message(self.Refused(event.key))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Jump(self._spans[event.option_index]))
