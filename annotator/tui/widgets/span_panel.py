"""Side panel: the document's entities and claims in text order; choosing one jumps to it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import cast, overload

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.geometry import Size
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


class _Row(Option):
    """One span's row, its text built when first drawn or read: a list of thousands of spans
    builds only the rows on screen, and a row whose span did not change is kept as it is."""

    def __init__(self, panel: SpanPanel, span: Entity | Claim) -> None:
        super().__init__("", id=f"{'e' if isinstance(span, Entity) else 'c'}:{span.id}")
        self._panel = panel
        self._span = span
        self._built = False

    @property
    def prompt(self) -> Text:
        if not self._built:
            self._prompt = self._panel._row(self._span)
            self._built = True
        return cast(Text, self._prompt)


class _OneLineEach(Sequence[tuple[int, int]]):
    """``OptionList``'s line table when every row is one line: line y is row y, line 0 of it
    (computed, so a change of the list costs nothing here, where the table is rebuilt row by row)."""

    def __init__(self, count: int) -> None:
        self._count = count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, y: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, y: slice) -> Sequence[tuple[int, int]]: ...

    def __getitem__(self, y: int | slice) -> tuple[int, int] | Sequence[tuple[int, int]]:
        if isinstance(y, slice):
            return [(i, 0) for i in range(self._count)[y]]
        if y < 0:
            y += self._count
        if not 0 <= y < self._count:
            raise IndexError(y)
        return (y, 0)


class _RowMap(Mapping[int, int]):
    """Row index -> its first line (``same``) or its height (1), for ``OptionList``'s scrolling."""

    def __init__(self, count: int, same: bool) -> None:
        self._count = count
        self._same = same

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self._count:
            raise KeyError(index)
        return index if self._same else 1

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._count))

    def __len__(self) -> int:
        return self._count


def _place(span: Entity | Claim) -> tuple[type, str, int, int]:
    """A span's hashable key for matching rows: a claim holds its attributes in a dict, so the span
    itself cannot be a key; equality is then checked whole by ``_same``."""
    return type(span), span.id, span.start, span.end


def _same(row: _Row | None, span: Entity | Claim) -> _Row | None:
    """``row`` when it was built for a span equal to ``span`` (every field, attributes included)."""
    return row if row is not None and row._span == span else None


class SpanPanel(OptionList):
    """Lists spans; posts ``Jump`` when one is chosen.

    A change re-lists the spans by reference (rows of unchanged spans are kept; by equality
    when more than a screenful are new objects, as the store's copy of a state) and only the
    rows drawn build their text (``_Row``); every row is one line, so the line table is
    computed, not rebuilt (``_OneLineEach``). A label among 8,000 spans costs the rows it
    changed and the rows on screen, not 8,000 rows."""

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
        self._rows: dict[int, _Row] = {}  # id(span) -> its row; ``_spans`` keeps those spans alive
        self._shape: tuple[DocText | None, int, int] = (None, 0, 0)  # what every row was built for

    def show(self, text: DocText, state: Annotations) -> None:
        """List ``state``'s spans in text order, the highlight kept on the same row number."""
        spans: list[Entity | Claim] = [*state.entities, *state.claims]
        spans.sort(key=lambda s: (s.start, -s.end))
        column = self._label_column(spans)
        room = max(self._width() - column - 1, 4)
        old = self._rows if self._shape[0] is text and self._shape[1:] == (column, room) else {}
        self._shape = (text, column, room)
        found = [old.get(id(span)) for span in spans]
        if old and found.count(None) > max(self.size.height, 1):  # another copy of the spans (the store's)
            equal = {_place(row._span): row for row in old.values()}
            found = [row or _same(equal.get(_place(span)), span) for row, span in zip(found, spans, strict=True)]
        rows = [row or _Row(self, span) for row, span in zip(found, spans, strict=True)]
        self._spans = spans
        self._rows = {id(span): row for span, row in zip(spans, rows, strict=True)}
        highlighted = self.highlighted
        self._options[:] = rows
        self._id_to_option = {row._id: row for row in rows if row._id is not None}
        self._option_to_index = {row: index for index, row in enumerate(rows)}
        self._option_render_cache.clear()  # a drawn row carries its row number (a click's target)
        self._mouse_hovering_over = None
        self._update_lines()
        self.refresh()
        self.highlighted = min(highlighted or 0, len(rows) - 1) if rows else None
        self.scroll_to_highlight()

    @property
    def _lines(self) -> Sequence[tuple[int, int]]:
        return _OneLineEach(len(self._options))

    @property
    def _heights(self) -> dict[int, int]:
        return cast(dict[int, int], _RowMap(len(self._options), same=False))

    @property
    def _index_to_line(self) -> dict[int, int]:
        return cast(dict[int, int], _RowMap(len(self._options), same=True))

    def _update_lines(self) -> None:
        """The scrolled size: one line a row, known without building any row."""
        if not self.scrollable_content_region:
            return
        size = Size(self.scrollable_content_region.width, len(self._options))
        if size != self.virtual_size:
            self.virtual_size = size
            self._scroll_update(size)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._options)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def _row(self, span: Entity | Claim) -> Text:
        """The row's text: label key (cut to the column), a mark, the span's text in visual order."""
        text, column, room = self._shape
        assert text is not None
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
        return line

    def _width(self) -> int:
        """Cells a row may use: the panel's width (from the stylesheet before the first layout)."""
        width = self.size.width or (self.styles.width.value if self.styles.width else 28)
        return int(width) - PANEL_CHROME

    @staticmethod
    def _label_column(spans: list[Entity | Claim]) -> int:
        names = [len(shown(label)) for label in {s.label for s in spans if isinstance(s, Entity)}]  # a few labels
        return min(max([5, *names]), LABEL_COLUMN_MAX)

    def on_key(self, event: events.Key) -> None:
        if event.key not in self.PANEL_KEYS:
            event.stop()
            event.prevent_default()
            self.post_message(self.Refused(event.key))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Jump(self._spans[event.option_index]))
