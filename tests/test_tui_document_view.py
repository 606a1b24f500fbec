"""The document view's line cache: a strip drawn before the layout's counts changed is used again
where its line number still holds the same line, redrawn where it does not, and each line drawn
is looked up in the layout once (``DocumentView.render_line``)."""

from __future__ import annotations

from test_tui_support import SIZE, make_app, make_session

from annotator.tui.widgets import document_view
from annotator.tui.widgets.document_view import DocumentView

WORDS = "قال الوزير في بيروت إن عام 2019 كان صعباً على الجميع"


async def test_cached_lines_survive_a_recount_below_and_each_costs_one_lookup(tmp_path, monkeypatch):
    monkeypatch.setattr(document_view, "COUNT_LIMIT", 0)  # no counting in the background: the test counts
    text = "\n\n".join(" ".join([WORDS] * 40) for _ in range(12))  # windows below the screen stay estimates
    session = make_session(tmp_path / "cache.db", docs=(("cache", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        layout = view.doc_layout
        height = view.scrollable_content_region.height
        assert round(view.scroll_y) == 0
        drawn = {y: view.render_line(y) for y in range(height)}
        version = layout.version
        while layout.version == version:  # a window below the screen counted: its estimate was off
            k = layout.uncounted_window()
            assert k is not None, "no window changed the count"
            layout.window_lines(k)
        calls = []
        real_line = layout.line

        def counted(index):
            calls.append(index)
            return real_line(index)

        monkeypatch.setattr(layout, "line", counted)
        again = {y: view.render_line(y) for y in range(height)}
        assert all(again[y] is drawn[y] for y in range(height))  # the same lines: not redrawn
        assert sorted(calls) == list(range(height))  # one lookup a line (three for the top one before)
        calls.clear()
        assert view.render_line(0) is drawn[0] and calls == []  # kept under the new counts: no lookup

        # a line number that now holds another line (counts changed above it) is drawn afresh
        stale = view._strips.get(5)
        assert stale is not None
        view._strips[0] = (stale[0], stale[1] - 1, stale[2])
        redrawn = view.render_line(0)
        assert redrawn is not stale[0]
        assert redrawn.text == drawn[0].text
        assert view._top_offset == 0
    session.store.close()


async def test_a_label_key_indexes_the_new_state_once_for_the_editor_and_the_view(tmp_path, monkeypatch):
    """The document view draws from the editor's index of the state shown (``Editor.spans``), not an
    index of its own made from the same state (a third index a key), and that index follows each change
    rather than being made again (two more: entities and claims); the store's copy of that state,
    answering the save, shares it."""
    from test_tui_support import main, wait_until, word_span

    from annotator.text.overlaps import SpansByStart

    session = make_session(tmp_path / "spans.db", docs=(("spans", WORDS),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        made = []
        real_init = SpansByStart.__init__

        def counted(self, items, bounds):
            made.append(1)
            real_init(self, items, bounds)

        monkeypatch.setattr(SpansByStart, "__init__", counted)
        for word in ("بيروت", "الوزير"):
            screen.view.move_to(word_span(WORDS, word)[0])
            made.clear()
            await pilot.press("3")
            await wait_until(pilot, lambda: not screen.saver.pending and screen.acked is screen.state)
            assert made == []  # kept in step with the change (``SpanIndex.following``), not made again
            assert screen.view.spans is screen.editor.spans  # one index of the state shown, the editor's
        assert [e.label for e in session.annotations("spans").entities] == ["GPE", "GPE"]
    session.store.close()


async def test_a_label_key_compares_each_pair_of_states_once(tmp_path, monkeypatch):
    """What a change of the state shown changed is found once (``Editor.show``: a ``SpanChange``) and handed
    to the editor's index, the view's lines to draw again and the side panel's rows (before: the index and
    the view's ``changed_ranges`` each compared the same two states, and the panel matched its rows again)."""
    import sys

    from test_tui_support import main, wait_until, word_span

    from annotator.editing import spans as spans_module
    from annotator.tui.widgets.span_panel import SpanPanel

    compared: list[tuple[int, int]] = []
    real = spans_module.changed

    def counted(old, new, *args, **kwargs):
        if old is not new:  # the same tuple (no claims before or after) is no comparison
            compared.append((id(old), id(new)))
        return real(old, new, *args, **kwargs)

    for module in [m for name, m in sys.modules.items() if name.startswith("annotator.")]:
        if getattr(module, "changed", None) is real:  # wherever the rule was imported
            monkeypatch.setattr(module, "changed", counted)
    session = make_session(tmp_path / "pairs.db", docs=(("pairs", WORDS),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        panel = screen.query_one(SpanPanel)
        for word in ("بيروت", "الوزير"):
            screen.view.move_to(word_span(WORDS, word)[0])
            await pilot.pause()
            compared.clear()
            await pilot.press("3")
            await wait_until(pilot, lambda: not screen.saver.pending and screen.acked is screen.state
                             and panel.row_count == len(screen.state.entities))
            await pilot.pause(0.2)  # the panel lists a moment later
            assert compared and len(compared) == len(set(compared)), compared  # each pair compared once
        assert [panel.row(i).id for i in range(panel.row_count)] == [
            f"e:{e.id}" for e in screen.state.entities]
    session.store.close()


async def test_a_line_away_from_the_mark_is_drawn_without_looking_at_each_cell(tmp_path):
    """Whether the mark (or a related span) falls on a line is a range test on the line's bounds,
    not a look at each of its cells' offsets; the line drawn is the same."""
    from annotator.layout.lines import Cell, VisualLine

    reads = []

    class Watched(Cell):
        @property
        def start(self) -> int:
            reads.append(1)
            return tuple.__getitem__(self, 2)

    text = "\n".join([WORDS] * 6)
    session = make_session(tmp_path / "mark.db", docs=(("mark", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        width = view.scrollable_content_region.width
        assert view.marked()[1] <= len(WORDS)  # the mark is on the first line
        for index in (0, 3):
            line = view.doc_layout.line(index)
            watched = VisualLine.prepared(tuple(Watched(*c) for c in line.cells), line.start, line.end,
                                          line.width, line.rtl, line.paragraph, line._columns)
            reads.clear()
            drawn = view._render_visual_line(watched, width)
            assert drawn.text == view._render_visual_line(line, width).text
            assert list(drawn) == list(view._render_visual_line(line, width))
            if index:  # away from the mark: not one cell looked at
                assert reads == []
            else:  # the marked line is drawn a cell at a time
                assert reads
    session.store.close()
