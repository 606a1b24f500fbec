"""The document pane: the text as the layout engine lays it out, with spans, cursor and selection.

Only the lines on screen are drawn (``render_line`` turns one ``VisualLine`` into
a ``Strip``) and each drawn line is cached until its spans, the cursor or the
selection on it change, so a keystroke costs a few lines whatever the document size.
Right-to-left lines are right-aligned, keeping one blank column at the right edge
(tmux attaches a mark written in the last column to the previous cell); the vertical
scrollbar is always shown, so the wrap width never flips when it would appear.
Column 0 is a gutter that shows a bar on lines a claim covers.

Long because drawing, the line cache, scrolling and the mouse all work on the one layout
and cursor state of this widget; apart, each would reach into the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotator.editing.spans import SpanChange, SpanIndex
from annotator.layout import DocumentLayout, LayoutOptions, VisualLine
from annotator.layout.stored import Text
from annotator.model.annotations import Annotations
from annotator.schema.model import Schema
from annotator.text import TextIndex
from annotator.tui.cursor import Navigator, Selection

GUTTER = 1  # claim marker column on the left
RIGHT_PAD = 1  # blank column right of right-to-left text
CLAIM_MARK = "▌"
STRIP_CACHE = 4096  # drawn lines kept (a few screens' worth many times over)
COUNT_SLICE = 0.004  # seconds of background line counting per idle tick (keeps keys responsive)
COUNT_LIMIT = 500_000  # characters: a longer document keeps an estimated line count (its scrollbar)
REFRESH_RANGES = 64  # changed ranges beyond which ``set_state`` redraws what is shown rather than each range


def contrast(colour: str) -> str:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b = Color.parse(colour).get_truecolor()
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 140 else "#ffffff"


_PLAIN_KEY = (None, False, False, 0, False, False)  # a cell's style key (label, pre, nested, claim,
# marked, related) when nothing styles it: the key of a line drawn as one run


class DocumentView(ScrollView, can_focus=True, inherit_bindings=False):
    """Shows one document; owns the cursor and selection, not the annotations.

    It has no key bindings of its own (not even ScrollView's scrolling keys): every
    key is the annotation screen's, from ``bindings.py``.

    How a span is drawn is styled in ``app.tcss`` through the component classes
    (``document-view--selection``, ``--claim``…), so a theme can change it; the label
    colours themselves are the schema's.
    """

    COMPONENT_CLASSES = {"document-view--nested", "document-view--pre-annotation", "document-view--claim",
                         "document-view--pre-claim", "document-view--selection", "document-view--related"}

    class Shown(Message):
        """A new document was put on screen; posted to the app (which tunes the garbage
        collector on it), not bubbled: a message made in the screen's handler stops there."""

        bubble = False

        def __init__(self, view: DocumentView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, schema: Schema, *, direction: str = "rtl", on_cursor: Callable[[], None] | None = None,
                 id: str | None = None) -> None:
        """``on_cursor`` is called (synchronously, so the status line is repainted in the
        same frame as the text) whenever the cursor or the selection moves."""
        super().__init__(id=id)
        self.on_cursor = on_cursor or (lambda: None)
        self.schema = schema
        self.direction = direction
        self.show_controls = False  # draw invisible characters (bidi controls, ZWJ…) as markers
        self.text: Text = ""
        self.index = TextIndex("")
        self.doc_layout = DocumentLayout("", LayoutOptions(width=40, direction=direction))
        self.nav = Navigator(self.index, self.doc_layout)
        self.state: Annotations | None = None
        self.spans = SpanIndex(None)
        self.cursor = 0
        self.selection: Selection | None = None
        self.goal_column: int | None = None
        # drawn lines, by line index: (strip, the layout's version it was drawn at, the line's [start, end))
        self._strips: LRUCache[int, tuple[Strip, int, tuple[int, int] | None]] = LRUCache(STRIP_CACHE)
        self._drag_anchor: int | None = None
        self._styles: dict[tuple, Style] = {}
        self._count_generation = 0
        self._layout_version = -1  # the layout's version the cached strips were drawn with
        self._top_offset: int | None = None  # where the line at the top of the screen starts
        self._neighbours_due = False  # _lay_out_neighbours is queued
        self._unsized = False  # a document was set before the view had a size: laid out at the first one
        self.related: tuple[tuple[int, int], ...] = ()  # the claimer of the claim under the cursor, or its claims

    # -- content --------------------------------------------------------------------------
    def set_document(self, text: Text, state: Annotations, cursor: int = 0,
                     index: TextIndex | None = None, spans: SpanIndex | None = None) -> None:
        """Show a new document (``index`` and ``spans``, the editor's index of ``state``, may be passed
        in when already built)."""
        self.text = text
        self.index = index or TextIndex(text)
        self.doc_layout = DocumentLayout(text, LayoutOptions(width=self._layout_width(),
                                                         direction=self.direction,
                                                         show_controls=self.show_controls))
        self.nav = Navigator(self.index, self.doc_layout)
        self.state = state
        self.spans = spans if spans is not None and spans.state is state else SpanIndex(state)  # another document's
        self.cursor = self.nav.snap(min(max(cursor, 0), len(text)))
        self.selection = None
        self.goal_column = None
        self._strips.clear()
        self._top_offset = None
        # Not arranged yet (the first document, opened as the screen mounts): nothing is laid out
        # until the view has its size (its first render or ``on_resize``), not at a width it
        # replaces at once.
        self._unsized = not self.size.width
        self._restart_count()
        self.scroll_to(y=0, animate=False, immediate=True)
        if not self._unsized:
            self.scroll_cursor_into_view(center=True)
        self.refresh()
        self.on_cursor()
        if self.is_attached:
            self.app.post_message(self.Shown(self))

    def set_show_controls(self, show: bool) -> None:
        """Show or hide invisible characters as visible markers; the cursor stays on its offset."""
        if show == self.show_controls:
            return
        self.show_controls = show
        options = self.doc_layout.options
        self.doc_layout.set_options(LayoutOptions(width=options.width, direction=options.direction,
                                                  shape=options.shape, show_controls=show,
                                                  tab_size=options.tab_size))
        self.nav = Navigator(self.index, self.doc_layout)
        self._strips.clear()
        self._restart_count()
        self.scroll_cursor_into_view(center=True)
        self.refresh()
        self.on_cursor()

    def set_state(self, state: Annotations, spans: SpanIndex | None = None, change: SpanChange | None = None) -> None:
        """New annotations for the same text (``spans``: the editor's index of them; ``change``: what changed
        from the state drawn, as the editor found it): redraw only the lines whose spans changed; every drawn
        line when many changed (a recommender's proposals across a big document: finding each one's line
        would lay out the whole text). Without them (the adjudication screen draws a state no editor holds)
        the view finds the change and keeps its own index in step (``SpanIndex.following``)."""
        change = SpanChange.of(self.state, state, change)
        self.spans = spans if spans is not None and spans.state is state else self.spans.following(state, change)
        self.state = state
        if not change:  # the store's copy of what is drawn (its answer to a save): nothing to redraw
            return
        if change.count > REFRESH_RANGES:
            self._strips.clear()
            self.refresh()
            return
        for start, end in change.ranges():
            self._refresh_range(start, end)

    def _layout_width(self) -> int:
        width = self.scrollable_content_region.width if self.is_mounted else 0
        return max(8, width - GUTTER - RIGHT_PAD)

    def _update_virtual_size(self) -> None:
        """Height = the layout's line count: exact for the windows laid out so far, an estimate
        for the rest. A document up to ``COUNT_LIMIT`` characters is then laid out a window per
        idle moment (``_count_more``), so its scrollbar becomes exact; a bigger one keeps the
        estimate (laying it all out would take minutes), and the first paint never waits."""
        self.virtual_size = Size(self._layout_width() + GUTTER + RIGHT_PAD, self.doc_layout.estimated_line_count)

    def _restart_count(self) -> None:
        self._count_generation += 1
        self._update_virtual_size()
        if self.is_mounted and len(self.text) <= COUNT_LIMIT and not self._unsized:
            self.call_later(self._count_more, self._count_generation)

    def _count_more(self, generation: int) -> None:
        if generation != self._count_generation:
            return  # a newer document or width took over
        layout = self.doc_layout
        deadline = time.perf_counter() + COUNT_SLICE
        todo = layout.uncounted_window()
        while todo is not None and time.perf_counter() < deadline:
            layout.window_lines(todo)
            todo = layout.uncounted_window()
        self._keep_top()
        self._update_virtual_size()
        if todo is not None:
            self.set_timer(0.02, lambda: self._count_more(generation))

    def on_resize(self, event: events.Resize) -> None:
        if self._sync_width() or self._unsized:
            first, self._unsized = self._unsized, False
            self._restart_count()
            self.scroll_cursor_into_view(center=True)
            if first:  # nothing was drawn here yet: the line now at the top is the one to keep there
                top = self._line(round(self.scroll_y))
                self._top_offset = top.start if top is not None else None
            self.refresh()

    def _sync_width(self) -> bool:
        """Lay the text out at the view's width (True when that changed it)."""
        width = self._layout_width()
        if width == self.doc_layout.options.width:
            return False
        self.doc_layout.set_width(width)
        self._strips.clear()
        return True

    def notify_style_update(self) -> None:
        """Theme changed: every cached line is stale."""
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    # -- cursor ---------------------------------------------------------------------------
    @property
    def cursor_line(self) -> int:
        return self.doc_layout.line_of_offset(self.cursor)

    def _refresh_range(self, start: int, end: int) -> None:
        if not self.text or self._unsized:  # unsized: every line is drawn once the size comes
            return
        first = self.doc_layout.line_of_offset(start)
        last = self.doc_layout.line_of_offset(max(start, end - 1))
        for y in range(first, last + 1):
            self._strips.discard(y)
        self.refresh_lines(first, last - first + 1)

    def _marked_range(self) -> tuple[int, int]:
        if self.selection is not None:
            return self.selection.start, self.selection.end
        return self.nav.token_span(self.cursor)

    def move_to(self, offset: int, *, select: bool = False, keep_goal: bool = False,
                selection: Selection | None = None) -> None:
        """Put the cursor at ``offset`` (snapped to a token); ``select`` grows the selection."""
        old = self._marked_range()
        new_cursor = self.nav.snap(offset)
        if selection is not None:
            self.selection = selection
        elif select:
            self.selection = self.nav.extend(self.selection, self.cursor, new_cursor)
        else:
            self.selection = None
        self.cursor = new_cursor
        if not keep_goal:
            self.goal_column = None
        self._refresh_range(*old)
        self._refresh_range(*self._marked_range())
        self.scroll_cursor_into_view()
        self.on_cursor()

    def set_selection(self, selection: Selection | None) -> None:
        old = self._marked_range()
        self.selection = selection
        self._refresh_range(*old)
        self._refresh_range(*self._marked_range())
        self.on_cursor()

    def set_related(self, ranges: tuple[tuple[int, int], ...]) -> None:
        """Highlight ``ranges`` (the claimer of the claim under the cursor, or the claims an entity made)."""
        if ranges == self.related:
            return
        old, self.related = self.related, ranges
        for start, end in (*old, *ranges):
            self._refresh_range(start, end)

    def marked(self) -> tuple[int, int]:
        """What a label key applies to: the selection, else the token under the cursor."""
        return self._marked_range()

    def scroll_cursor_into_view(self, center: bool = False) -> None:
        if not self.text:
            return
        y = self.cursor_line
        self._keep_top()
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        if center and not (top <= y < top + height):
            self.scroll_to(y=max(0, y - height // 2), animate=False, immediate=True)
        elif y < top:
            self.scroll_to(y=y, animate=False, immediate=True)
        elif y >= top + height:
            self.scroll_to(y=y - height + 1, animate=False, immediate=True)
        if not self._neighbours_due:
            self._neighbours_due = True
            self.call_after_refresh(self._lay_out_neighbours)

    def _lay_out_neighbours(self) -> None:
        """After the frame: lay out and tokenize the windows just off the screen, so the key
        that crosses into one finds it ready (entering a fresh window costs 8–16 ms)."""
        self._neighbours_due = False
        if not self.text or not self.is_mounted:
            return
        layout, top = self.doc_layout, round(self.scroll_y)
        shown = layout.lines(top, max(1, self.scrollable_content_region.height))
        if not shown:
            return
        start, end = min(shown[0].start, self.cursor), max(shown[-1].end, self.cursor)
        for k in layout.lay_out_neighbours(start, end):
            self.index.tokens_in(*layout.windows.bounds(k))
        self._keep_top()
        self._update_virtual_size()

    @property
    def page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    # -- mouse ----------------------------------------------------------------------------
    def offset_at(self, x: int, y: int) -> int | None:
        """Text offset under content coordinates (x, y) of the widget, or None."""
        line = self._line(y + round(self.scroll_y))
        if line is None:
            return None
        col = x - GUTTER - line.indent(self.doc_layout.options.width)
        offset = line.offset_at_column(col)
        if offset is None or self.index.token_at(offset) is None:
            return None
        return offset

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        self.focus()
        pos = event.get_content_offset(self)
        offset = self.offset_at(pos.x, pos.y) if pos is not None else None
        if offset is None:
            return
        self.move_to(offset)
        self._drag_anchor = self.cursor
        self.capture_mouse()
        event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._drag_anchor is None or not event.button:
            return
        pos = event.get_content_offset_capture(self)
        offset = self.offset_at(pos.x, pos.y)
        if offset is None:
            return
        anchored = Selection(self._drag_anchor, self._drag_anchor, self._drag_anchor)
        sel = self.nav.extend(anchored, self._drag_anchor, offset)
        if self.nav.snap(offset) != self.cursor:
            self.move_to(offset, selection=sel)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._drag_anchor is not None:
            self._drag_anchor = None
            self.release_mouse()

    # -- drawing --------------------------------------------------------------------------
    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            style = self._make_style(*key)
            self._styles[key] = style
        return style

    def _make_style(self, label: str | None, pre: bool, nested: bool, claim: int,
                    marked: bool, related: bool = False) -> Style:
        """claim: 0 none, 1 own claim, 2 pre-annotated claim."""
        base = self.rich_style
        style = Style()
        spec = self.schema.label(label) if label else None
        if spec is not None:
            if pre:
                style += Style(color=spec.color) + self._part("pre-annotation")
            else:
                style += Style(bgcolor=spec.color, color=contrast(spec.color))
            if nested:
                style += self._part("nested")
        if claim:
            # In the text colour (readable in both themes); the claim colour is the margin bar's.
            style += self._part("claim")
            if claim == 2:
                style += self._part("pre-claim")
        if related:
            style += self._part("related")
        if marked:
            style += self._part("selection")
        return base + style

    def _part(self, name: str) -> Style:
        """The style ``app.tcss`` gives the component class ``document-view--<name>``."""
        return self.get_component_rich_style(f"document-view--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        if self._unsized:  # drawn before its first Resize event: at the width it was just given
            self._sync_width()
        if self.doc_layout.version != self._layout_version:
            self._layout_changed()
        line_index = y + round(self.scroll_y)
        width = self.scrollable_content_region.width
        version = self.doc_layout.version
        cached = self._strips.get(line_index)
        fits = cached is not None and cached[0].cell_length == width
        if fits and cached is not None and cached[1] == version:
            strip, bounds = cached[0], cached[2]  # drawn under these counts: no lookup
        else:
            line = self._line(line_index)  # the one lookup
            bounds = (line.start, line.end) if line is not None else None
            if fits and cached is not None and cached[2] == bounds:
                strip = cached[0]  # the layout changed since (a window's lines counted), this line did not
            else:
                strip = self._render_visual_line(line, width)
            if cached is not None:
                self._strips.discard(line_index)  # LRUCache's set keeps an entry it already has
            self._strips[line_index] = (strip, version, bounds)
        if y == 0 and self.text and not self._unsized:
            self._top_offset = bounds[0] if bounds is not None else None
        return strip

    def _line(self, index: int) -> VisualLine | None:
        """Line ``index`` (None past the end or without a text): the one lookup of a line by number."""
        if not self.text:
            return None
        try:
            return self.doc_layout.line(index)
        except IndexError:
            return None

    def _keep_top(self) -> None:
        """Line counts above the screen became exact: scroll by as much, so that the line at
        the top stays there (a window laid out elsewhere must not move what is shown)."""
        if self.doc_layout.version == self._layout_version:
            return
        if self._top_offset is not None and self.text:
            top = self.doc_layout.line_of_offset(self._top_offset)
            if top != round(self.scroll_y):
                self.scroll_to(y=top, animate=False, immediate=True)
        self._layout_changed()

    def _layout_changed(self) -> None:
        """A window's line count became exact: line numbers after it moved, so a cached strip is
        used again only where its line number still holds the same line (``render_line``; at
        start-up the windows counted are below the screen, and the lines drawn stay), and the
        height is updated (after this frame)."""
        self._layout_version = self.doc_layout.version
        self.call_later(self._update_virtual_size)

    @staticmethod
    def _meets(line: VisualLine, ranges: tuple[tuple[int, int], ...]) -> bool:
        """Whether any of ``ranges`` (the mark, the related spans) has a character on ``line``: a range
        test per line, not a look at each cell (each cell starts within ``[line.start, line.end)``)."""
        return any(start < end and start < line.end and line.start < end for start, end in ranges)

    def _render_visual_line(self, line: VisualLine | None, width: int) -> Strip:
        base = self.rich_style
        if line is None:
            return Strip.blank(width, base)
        spans = self.spans.overlapping(line.start, line.end) if line.end > line.start else []
        mark_start, mark_end = self._marked_range()
        segments: list[Segment] = []
        claims_here = [s for s in spans if not hasattr(s, "label")]
        if claims_here:
            pre = all(c.source for c in claims_here)
            bar = base + Style(color=self.schema.claims.color)
            segments.append(Segment(CLAIM_MARK, bar + self._part("pre-claim") if pre else bar))
        else:
            segments.append(Segment(" " * GUTTER, base))
        indent = line.indent(self.doc_layout.options.width)
        if indent:
            segments.append(Segment(" " * indent, base))
        run_text: list[str] = []
        run_key: tuple | None = None
        used = GUTTER + indent
        cells = line.cells
        if not spans and not self._meets(line, ((mark_start, mark_end), *self.related)):
            # nothing on this line is styled apart (most lines): one run, without a key per cell
            run_text, run_key = [cell.text for cell in cells], _PLAIN_KEY
            used += sum(cell.width for cell in cells)
            cells = ()
        for cell in cells:
            at = SpanIndex.at(spans, cell.start) if spans else None
            label: str | None = None
            pre = nested = False
            claim = 0
            if at is not None and at.entities:
                inner = at.entities[0]
                label, pre, nested = inner.label, inner.source is not None, len(at.entities) > 1
            if at is not None and at.claims:
                claim = 2 if all(c.source for c in at.claims) else 1
            marked = mark_start <= cell.start < mark_end
            related = any(s <= cell.start < e for s, e in self.related) if self.related else False
            key = (label, bool(pre), bool(nested), claim, marked, related)  # _PLAIN_KEY: nothing styled
            if key != run_key and run_text:
                segments.append(Segment("".join(run_text), self._style(run_key)))  # type: ignore[arg-type]
                run_text = []
            run_key = key
            run_text.append(cell.text)
            used += cell.width
        if run_text:
            segments.append(Segment("".join(run_text), self._style(run_key)))  # type: ignore[arg-type]
        if width > used:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments, max(width, used)).crop(0, width) if used > width else Strip(segments, width)
