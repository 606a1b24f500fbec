"""Side panel: the document's entities and claims in text order; choosing one jumps to it."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast, overload

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

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


def _key(span: Span) -> tuple[int, int, int, str]:
    """A span's place in the list: text order, longer first, then entities, then by id (each kind's
    canonical order), so a row is found and put in by bisection; no two spans share a key."""
    return span.start, -span.end, _KIND[type(span)], span.id


class _Row(Option):
    """One span's row, its text built when first drawn or read: a list of thousands of spans
    builds only the rows on screen, and a row whose span did not change is kept as it is."""

    def __init__(self, panel: SpanPanel, span: Span) -> None:
        super().__init__("", id=f"{'e' if isinstance(span, Entity) else 'c'}:{span.id}")
        self._panel = panel
        self.span = span
        self.key = _key(span)
        self._built = False

    @property
    def prompt(self) -> Text:
        if not self._built:
            self._prompt = self._panel._row(self.span)
            self._built = True
        return cast(Text, self._prompt)


def _row_key(row: _Row) -> tuple[int, int, int, str]:
    return row.key


class _Lines:
    """``OptionList``'s line table when every row is one line (in place of the table it builds row by
    row): line y is line 0 of row y, and each row's first line and height follow from its number."""

    def __init__(self, rows: list[_Row]) -> None:
        self.lines = _OneLineEach(rows)
        self.heights = _RowMap(rows, lambda index: 1)
        self.index_to_line = _RowMap(rows, lambda index: index)

    def clear(self) -> None:
        """Nothing to forget: computed from the rows."""


class _OneLineEach(Sequence[tuple[int, int]]):
    """Line y is (row y, its line 0)."""

    def __init__(self, rows: list[_Row]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, y: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, y: slice) -> Sequence[tuple[int, int]]: ...

    def __getitem__(self, y: int | slice) -> tuple[int, int] | Sequence[tuple[int, int]]:
        count = len(self._rows)
        if isinstance(y, slice):
            return [(i, 0) for i in range(count)[y]]
        if y < 0:
            y += count
        if not 0 <= y < count:
            raise IndexError(y)
        return (y, 0)


class _RowMap(Mapping[int, int]):
    """Row number -> ``value(number)`` for every row (its first line, its height)."""

    def __init__(self, rows: list[_Row], value: Callable[[int], int]) -> None:
        self._rows = rows
        self._value = value

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < len(self._rows):
            raise KeyError(index)
        return self._value(index)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._rows)))

    def __len__(self) -> int:
        return len(self._rows)


class _RowNumbers(Mapping[Option, int]):
    """Row -> its number, found by bisection on the rows' keys (not a dict renumbered after each
    insertion: a label among 8,000 spans would renumber half of them)."""

    def __init__(self, rows: list[_Row]) -> None:
        self._rows = rows

    def __getitem__(self, row: Option) -> int:
        rows = self._rows
        if isinstance(row, _Row):
            i = bisect_left(rows, row.key, key=_row_key)
            if i < len(rows) and rows[i] is row:
                return i
        raise KeyError(row)

    def __iter__(self) -> Iterator[Option]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        """Nothing to forget: computed from the rows."""


class SpanPanel(OptionList):
    """Lists spans; posts ``Jump`` when one is chosen.

    A change is applied to the rows by what changed (``follow``: the editor's ``SpanChange``, found
    once for the view and the panel): a row taken out and put in by bisection for each span changed,
    the others kept; only the rows drawn build their text (``_Row``), at the width laid out; every
    row is one line, so the line table is computed (``_Lines``). A label among 8,000 spans costs the
    row it changed and the rows on screen, not 8,000 rows, nor a sort or a dict of them."""

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
        self._rows: list[_Row] = []  # in ``_key`` order
        self._by_id: dict[str, _Row] = {}
        self._labels: Counter[str] = Counter()  # the entities' labels (the label column's width)
        self._text: DocText | None = None
        self._state: Annotations | None = None  # the state listed
        self._pending: list[SpanChange] = []  # changes from the state listed on (``follow``)
        self._shape: tuple[int, int] | None = None  # (label column, room for the text) the rows are built for
        self._adopt_rows()

    def _adopt_rows(self) -> None:
        """The one place ``OptionList``'s internals are touched. Textual (8.x) has no public way to put in
        or take out an option at an index: ``add_options`` appends, ``remove_option`` renumbers every option
        after it in a Python loop, ``set_options`` rebuilds everything, and its line table is built row by
        row. So ``OptionList`` is handed the panel's own rows (kept in order by ``_apply``), a row number
        found by bisection, and a line table computed from the count; its drawing, highlight, keys, mouse
        and scrolling stay its own. ``_rows_moved`` drops what it keeps by row number."""
        self._options = cast(list[Option], self._rows)
        self._id_to_option = cast(dict[str, Option], self._by_id)
        self._option_to_index = cast(dict[Option, int], _RowNumbers(self._rows))
        self._line_cache = cast(Any, _Lines(self._rows))

    def _rows_moved(self, since: tuple[int, int, int, str] | None = None) -> None:
        """Rows were put in or taken out, from the place ``since`` on (a row's key; None: anywhere): a drawn
        row carries its row number (a click's target), so those drawn from there on are dropped (a label
        below the rows on screen draws none of them again), and so is the row under the mouse."""
        cache = self._option_render_cache
        if since is None:
            cache.clear()
        else:
            for key in [k for k in cache.keys() if not (isinstance(k[0], _Row) and k[0].key < since)]:
                cache.discard(key)
        self._mouse_hovering_over = None

    def follow(self, change: SpanChange) -> None:
        """Keep ``change`` (from the state listed, or from the last change kept) for the next ``show``:
        the screen lists a moment after an edit, so several may come first. A change of no span (the
        store's copy of the state listed) leaves the rows as they stand."""
        if not change and not self._pending and change.old is self._state:
            self._state = change.new
        else:
            self._pending.append(change)

    def show(self, text: DocText, state: Annotations) -> None:
        """List ``state``'s spans in text order, the highlight kept on the same row number: by the changes
        ``follow`` kept when they lead from the state listed to ``state``, else by what changed from it
        (an equal copy changes nothing), else (another text, or too much changed) afresh."""
        pending, self._pending = self._pending, []
        listed = self._state
        changes: list[SpanChange] | None = None
        if text is self._text and listed is not None:
            changes = pending if _chain(listed, pending, state) else [SpanChange(listed, state)]
        if changes is not None and too_many(sum(c.count for c in changes), len(self._rows)):
            changes = None  # a sort of them all costs less
        self._text, self._state = text, state
        if changes is None:
            self._list(state)
            self._rows_moved()
        elif any(changes):
            self._rows_moved(min(_key(s) for change in changes for diff in (change.entities, change.claims)
                                 for spans in diff for s in spans))
            for change in changes:
                self._apply(change)
        else:
            return
        self._reshape()
        self._update_lines()
        self.refresh()
        highlighted = self.highlighted
        self.highlighted = min(highlighted or 0, len(self._rows) - 1) if self._rows else None
        self.scroll_to_highlight()

    def _list(self, state: Annotations) -> None:
        """Every row afresh (their text is built when drawn)."""
        rows = sorted((_Row(self, span) for span in (*state.entities, *state.claims)), key=_row_key)
        self._rows[:] = rows
        self._by_id.clear()
        self._by_id.update((cast(str, row.id), row) for row in rows)
        self._labels = Counter(e.label for e in state.entities)

    def _apply(self, change: SpanChange) -> None:
        """Take out the rows of the spans gone, put in rows for the spans come (a bisection each)."""
        rows, labels = self._rows, self._labels
        for gone, come in (change.entities, change.claims):
            for span in gone:
                i = bisect_left(rows, _key(span), key=_row_key)
                assert i < len(rows) and rows[i].key == _key(span), span
                del self._by_id[cast(str, rows[i].id)]
                del rows[i]
                if isinstance(span, Entity):
                    labels[span.label] -= 1
                    if not labels[span.label]:
                        del labels[span.label]
            for span in come:
                row = _Row(self, span)
                insort(rows, row, key=_row_key)
                self._by_id[cast(str, row.id)] = row
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
                self._rows[:] = [_Row(self, row.span) for row in self._rows]
                self._by_id.update((cast(str, row.id), row) for row in self._rows)
                self._rows_moved()
            self._shape = shape

    def on_resize(self, event: events.Resize) -> None:
        self._reshape()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def _row(self, span: Span) -> Text:
        """The row's text: label key (cut to the column), a mark, the span's text in visual order."""
        if self._shape is None:  # drawn before its first resize event
            self._reshape()
        text, shape = self._text, self._shape
        assert text is not None and shape is not None, "a row is built once the panel is laid out"
        column, room = shape
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

    def on_key(self, event: events.Key) -> None:
        if event.key not in self.PANEL_KEYS:
            event.stop()
            event.prevent_default()
            self.post_message(self.Refused(event.key))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Jump(cast(Entity | Claim, cast(_Row, event.option).span)))


def _chain(listed: Annotations, changes: list[SpanChange], state: Annotations) -> bool:
    """Whether ``changes`` lead, one after the other, from ``listed`` to ``state``."""
    at = listed
    for change in changes:
        if change.old is not at:
            return False
        at = change.new
    return at is state
