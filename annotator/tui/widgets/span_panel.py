"""Side panel: the document's entities and claims in text order; choosing one jumps to it.

A Line API widget on Textual's public ``ScrollView`` (``virtual_size``, ``render_line``, scrolling):
it keeps its own rows, in order, and draws the ones on screen; no Textual internals are touched.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from operator import attrgetter
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotator.editing.spans import SpanChange, too_many
from annotator.layout import visual_string
from annotator.layout.stored import Text as DocText
from annotator.model.annotations import Annotations, Claim, Entity, Span
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
PANEL_CHROME = 4  # of the panel's outer width: its left border, its scrollbar and a spare cell


_KIND = {Entity: 0, Claim: 1}  # at equal bounds entities are listed before claims
RowKey = tuple[int, int, int, str]
DIM = Style(dim=True)  # a proposal's text


def _key(span: Span) -> RowKey:
    """A span's place in the list: text order, longer first, then entities, then by id (each kind's
    canonical order), so a row is found and put in by bisection; no two spans share a key."""
    return span.start, -span.end, _KIND[type(span)], span.id


class Row:
    """One span's row. Its pieces (label, mark, text) are built when first drawn or read, so a list of
    thousands of spans builds only the rows on screen, and a row whose span did not change is kept as it
    is; the last line drawn from them is kept too (it holds no row number: a row moved is still right)."""

    __slots__ = ("panel", "span", "key", "id", "_pieces", "_drawn")

    def __init__(self, panel: SpanPanel, span: Span) -> None:
        self.panel = panel
        self.span = span
        self.key = _key(span)
        self.id = f"{'e' if isinstance(span, Entity) else 'c'}:{span.id}"
        self._pieces: list[Segment] | None = None
        self._drawn: tuple[int, Style, Strip] | None = None  # (width, style, the line drawn)

    @property
    def pieces(self) -> list[Segment]:
        if self._pieces is None:
            self._pieces = self.panel._row(self.span)
        return self._pieces

    @property
    def plain(self) -> str:
        """The row's text as shown (without its styles)."""
        return "".join(piece.text for piece in self.pieces)

    def strip(self, width: int, style: Style) -> Strip:
        """The row drawn ``width`` cells wide over ``style`` (plain, highlighted or under the mouse)."""
        drawn = self._drawn
        if drawn is not None and drawn[0] == width and drawn[1] == style:
            return drawn[2]
        segments = [Segment(piece.text, style + piece.style if piece.style else style) for piece in self.pieces]
        strip = Strip(segments).crop_extend(0, width, style)
        self._drawn = (width, style, strip)
        return strip


_row_key = attrgetter("key")  # a row's place (bisection over the rows)


class SpanPanel(ScrollView, can_focus=True, inherit_bindings=False):
    """Lists spans, one row each; posts ``Jump`` when one is chosen (enter, or a click).

    A change is applied to the rows by what changed (``follow``: the editor's ``SpanChange``, found
    once for the view and the panel): a row taken out and put in by bisection for each span changed,
    the others kept; only the rows drawn build their text (``Row``), at the width laid out. A label
    among 8,000 spans costs the row it changed and the rows on screen, not 8,000 rows, nor a sort.

    Keys, highlight and looks are those of Textual's ``OptionList`` it replaces (its styles, in
    ``app.tcss``, under this widget's own component classes)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, action, show=False) for key, action in (
            ("down", "cursor_down"), ("end", "last"), ("enter", "select"), ("home", "first"),
            ("pagedown", "page_down"), ("pageup", "page_up"), ("up", "cursor_up"))]
    """OptionList's keys: ↑/↓ (wrapping), page up/down, home/end move the highlight; enter chooses."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"span-panel--row", "span-panel--highlighted", "span-panel--hover"}
    """``--row``: every row; ``--highlighted``: the row enter would choose; ``--hover``: the row under the mouse."""

    ALLOW_SELECT = False  # a drag selects no text (as on OptionList): a click chooses a row

    PANEL_KEYS = frozenset({"up", "down", "pageup", "pagedown", "home", "end", "enter", "tab", "escape",
                            "shift+tab"})
    """Keys the focused panel answers; any other key is refused here instead of reaching the
    text behind it (the focus is where the border shows, and keys act there only)."""

    highlighted: reactive[int | None] = reactive(None, repaint=False)
    """The highlighted row's number (None: no rows)."""

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
        self._rows: list[Row] = []  # in ``_key`` order
        self._by_id: dict[str, Row] = {}
        self._labels: Counter[str] = Counter()  # the entities' labels (the label column's width)
        self._doc_text: DocText | None = None
        self._listed: Annotations | None = None  # the state listed
        self._pending: list[SpanChange] = []  # changes from the state listed on (``follow``)
        self._shape: tuple[int, int] | None = None  # (label column, room for the text) the rows are built for
        self._hover: int | None = None  # the row under the mouse
        self._label_styles: dict[str, Style] = {}

    # -- the rows, read --------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    def row(self, index: int) -> Row:
        """Row ``index`` (in text order)."""
        return self._rows[index]

    def row_index(self, row_id: str) -> int:
        """The number of the row of ``row_id`` ("e:ID" or "c:ID"), found by bisection; KeyError if none."""
        row = self._by_id[row_id]
        return bisect_left(self._rows, row.key, key=_row_key)

    # -- the rows, changed ------------------------------------------------------------------
    def follow(self, change: SpanChange) -> None:
        """Keep ``change`` (from the state listed, or from the last change kept) for the next ``show``:
        the screen lists a moment after an edit, so several may come first. A change of no span (the
        store's copy of the state listed) leaves the rows as they stand."""
        if not change and not self._pending and change.old is self._listed:
            self._listed = change.new
        else:
            self._pending.append(change)

    def show(self, text: DocText, state: Annotations) -> None:
        """List ``state``'s spans in text order, the highlight kept on the same row number: by the changes
        ``follow`` kept when they lead from the state listed to ``state``, else by what changed from it
        (an equal copy changes nothing), else (another text, or too much changed) afresh."""
        pending, self._pending = self._pending, []
        listed = self._listed
        changes: list[SpanChange] | None = None
        if text is self._doc_text and listed is not None:
            changes = pending if _chain(listed, pending, state) else [SpanChange(listed, state)]
        if changes is not None and too_many(sum(c.count for c in changes), len(self._rows)):
            changes = None  # a sort of them all costs less
        self._doc_text, self._listed = text, state
        if changes is None:
            self._list(state)
        elif any(changes):
            for change in changes:
                self._apply(change)
        else:
            return
        self._hover = None  # rows moved under the mouse
        self._reshape()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))
        self.refresh()
        self.highlighted = min(self.highlighted or 0, len(self._rows) - 1) if self._rows else None
        self.scroll_to_highlight()

    def _list(self, state: Annotations) -> None:
        """Every row afresh (their text is built when drawn)."""
        rows = sorted((Row(self, span) for span in (*state.entities, *state.claims)), key=_row_key)
        self._rows[:] = rows
        self._by_id = {row.id: row for row in rows}
        self._labels = Counter(e.label for e in state.entities)

    def _apply(self, change: SpanChange) -> None:
        """Take out the rows of the spans gone, put in rows for the spans come (a bisection each)."""
        rows, labels = self._rows, self._labels
        for gone, come in (change.entities, change.claims):
            for span in gone:
                i = bisect_left(rows, _key(span), key=_row_key)
                assert i < len(rows) and rows[i].key == _key(span), span
                del self._by_id[rows[i].id]
                del rows[i]
                if isinstance(span, Entity):
                    labels[span.label] -= 1
                    if not labels[span.label]:
                        del labels[span.label]
            for span in come:
                row = Row(self, span)
                insort(rows, row, key=_row_key)
                self._by_id[row.id] = row
                if isinstance(span, Entity):
                    labels[span.label] += 1

    def _reshape(self) -> None:
        """The label column and the room for the text at the width laid out: when they change (a longer
        label, a resize), every row is made again, its text built when drawn. Before the first layout
        nothing is shaped, so the rows of a document opened then are built once, at the laid-out width."""
        if not self.size.width:
            return
        column = min(max([5, *(len(shown(label)) for label in self._labels)]), LABEL_COLUMN_MAX)  # a few labels
        shape = (column, max(self.outer_size.width - PANEL_CHROME - column - 1, 4))
        if shape != self._shape:
            if self._shape is not None:
                self._rows[:] = [Row(self, row.span) for row in self._rows]
                self._by_id = {row.id: row for row in self._rows}
                self.refresh()
            self._shape = shape

    def on_resize(self, event: events.Resize) -> None:
        self._reshape()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))
        self.scroll_to_highlight()

    def _row(self, span: Span) -> list[Segment]:
        """The row's pieces: label key (cut to the column), a mark, the span's text in visual order; each
        a plain string with its own style (drawn over the row's)."""
        if self._shape is None:  # drawn before its first resize event
            self._reshape()
        text, shape = self._doc_text, self._shape
        assert text is not None and shape is not None, "a row is built once the panel is laid out"
        column, room = shape
        if isinstance(span, Entity):
            spec = self.schema.label(span.label)
            name = fit_logical(shown(span.label), column)
            head = Segment(f"{name:<{column}}", self._label_style(spec.color if spec else ""))
        else:
            head = Segment(f"{'claim':<{column}}", self._label_style(self.schema.claims.color))
        linked = isinstance(span, Entity) and span.identity is not None
        mark = Segment("·" if span.source else "≡" if linked else " ")  # ≡: a mention of an identity
        body = Segment(span_text(text, span.start, span.end, room), DIM if span.source else None)
        return [head, mark, body]

    def _label_style(self, color: str) -> Style:
        """A label key's style: bold, in the schema's colour for it (parsed once per colour)."""
        style = self._label_styles.get(color)
        if style is None:
            style = self._label_styles[color] = Style.parse(f"bold {color}".strip())
        return style

    # -- drawing ----------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if not 0 <= index < len(self._rows):
            return Strip.blank(width, self.get_visual_style("span-panel--row").rich_style)
        look = ("span-panel--highlighted" if index == self.highlighted
                else "span-panel--hover" if index == self._hover else None)
        style = self.get_visual_style("span-panel--row", look) if look else self.get_visual_style("span-panel--row")
        return self._rows[index].strip(width, style.rich_style)

    # -- highlight and keys ------------------------------------------------------------------
    def validate_highlighted(self, highlighted: int | None) -> int | None:
        if highlighted is None or not self._rows:
            return None
        return min(max(highlighted, 0), len(self._rows) - 1)

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        for index in (old, new):
            if index is not None:
                self.refresh_line(index)
        self.scroll_to_highlight()

    def scroll_to_highlight(self, top: bool = False) -> None:
        """Scroll the highlighted row into view (to the top with ``top``)."""
        if self.highlighted is None or not self.is_mounted:
            return
        self.scroll_to_region(Region(0, self.highlighted, self.scrollable_content_region.width, 1),
                              force=True, animate=False, top=top, immediate=True)

    def on_show(self) -> None:
        self.scroll_to_highlight()

    def notify_style_update(self) -> None:
        """A theme or focus change: the rows are drawn again in their new styles."""
        super().notify_style_update()
        self.refresh()

    def action_cursor_up(self) -> None:
        """The row above (from the first: the last)."""
        if self._rows:
            self.highlighted = ((self.highlighted or 0) - 1) % len(self._rows)

    def action_cursor_down(self) -> None:
        """The row below (from the last: the first)."""
        if self._rows:
            self.highlighted = (self.highlighted + 1) % len(self._rows) if self.highlighted is not None else 0

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = len(self._rows) - 1

    def action_page_up(self) -> None:
        self.highlighted = (self.highlighted or 0) - self.scrollable_content_region.height

    def action_page_down(self) -> None:
        at = self.highlighted
        self.highlighted = len(self._rows) - 1 if at is None else at + self.scrollable_content_region.height

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Jump(self._rows[self.highlighted].span))  # type: ignore[arg-type]

    def on_key(self, event: events.Key) -> None:
        if event.key not in self.PANEL_KEYS:
            event.stop()
            event.prevent_default()
            self.post_message(self.Refused(event.key))

    # -- mouse -------------------------------------------------------------------------------
    def _row_at(self, event: events.MouseEvent) -> int | None:
        """The number of the row under the mouse, or None (below the rows, on the border)."""
        at = event.get_content_offset(self)
        index = at.y + self.scroll_offset.y if at is not None else -1
        return index if 0 <= index < len(self._rows) else None

    def on_click(self, event: events.Click) -> None:
        index = self._row_at(event)
        if index is not None:
            self.highlighted = index
            self.action_select()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._row_at(event))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            for line in (self._hover, index):
                if line is not None:
                    self.refresh_line(line)
            self._hover = index


def _chain(listed: Annotations, changes: list[SpanChange], state: Annotations) -> bool:
    """Whether ``changes`` lead, one after the other, from ``listed`` to ``state``."""
    at = listed
    for change in changes:
        if change.old is not at:
            return False
        at = change.new
    return at is state
