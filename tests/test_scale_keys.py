"""Keys at the end of a big document (issue 12, aim 2): the garbage collector is kept off the
app's long-lived objects, and the windows next to the screen are laid out before a key
needs them. No timing here: the figures are ``bench/bench_docsize.py``'s."""

from __future__ import annotations

import gc

from test_tui_support import SIZE, make_app, make_session

from annotator.layout import DocumentLayout, LayoutOptions
from annotator.tui.widgets.document_view import COUNT_LIMIT, DocumentView

SEEDS = ("قال أحمد إن الحكومة السورية أعلنت أمس أن الانتخابات ستجري في موعدها. ",
         "وأضاف أن 40% من الناخبين شاركوا في الجولة الأولى، بحسب وزارة الداخلية. ")


def big_text(chars: int) -> str:
    out, size, i = [], 0, 0
    while size < chars:
        out.append(f"({i}) " + SEEDS[i % 2] * 3)
        size += len(out[-1]) + 1
        i += 1
    return "\n".join(out)


async def test_the_heap_is_frozen_after_the_first_paint_and_again_per_opened_document(tmp_path, monkeypatch):
    """Frozen once the first document is on screen (never before its paint); opening another
    document unfreezes, collects and freezes again (so dead frozen cycles are freed: memory
    stays bounded); the app unfreezes when it ends."""
    calls: list[tuple[str, str]] = []
    app = None

    def recording(name, real):
        def call(*args):
            shown = ""  # the view's text when some of it was painted
            views = app.main.query(DocumentView) if app is not None and app.main is not None else []
            for view in views:
                if view.text and any(view._strips.get(y) is not None for y in range(3)):
                    shown = view.text[:3]
            calls.append((name, shown))
            return real(*args)
        return call

    for name in ("freeze", "unfreeze", "collect"):
        monkeypatch.setattr(gc, name, recording(name, getattr(gc, name)))
    session = make_session(tmp_path / "s.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        first = app.main.doc_id
        freezes = [c for c in calls if c[0] == "freeze"]
        assert len(freezes) == 1 and app.gc_freezes == 1
        assert freezes[0][1], "frozen before the document was painted"
        assert [c[0] for c in calls] == ["freeze"]  # no full collection at start-up
        calls.clear()
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        assert app.main.doc_id != first
        assert [c[0] for c in calls] == ["unfreeze", "collect", "freeze"] and app.gc_freezes == 2
        calls.clear()
        await pilot.press("right", "left", "down")  # keys do not freeze
        await pilot.pause()
        assert calls == []
    assert [c[0] for c in calls] == ["unfreeze"]
    assert gc.get_freeze_count() == 0
    session.store.close()


def test_neighbours_are_the_nearest_non_empty_windows_off_the_screen():
    text = "أ" * 5 + "\n" + "ب " * 20 + "\n" + "ج" * 5
    layout = DocumentLayout(text, LayoutOptions(10), window=4, long=10**6)  # the long paragraph: empty windows
    windows = layout.windows
    for start in range(len(text)):
        end = min(len(text), start + 3)
        found = layout.neighbours(start, end)
        before = [k for k in range(windows.of(start)) if windows.bounds(k)[1] > windows.bounds(k)[0]]
        after = [k for k in range(windows.of(end) + 1, windows.count) if windows.bounds(k)[1] > windows.bounds(k)[0]]
        assert found == before[-1:] + after[:1]
    assert layout.lay_out_neighbours(0, 2) == layout.neighbours(0, 2)
    assert layout.lay_out_neighbours(0, 2) == []  # already laid out


async def test_the_windows_next_to_the_screen_are_laid_out_when_idle(tmp_path):
    """At the end of a document too big to be counted in the background, the windows above
    and below the screen are laid out and tokenized while the app is idle, so the keys that
    scroll into them lay out nothing themselves (before: 8–16 ms of the key that crossed)."""
    text = big_text(COUNT_LIMIT + 100_000)
    session = make_session(tmp_path / "big.db", docs=(("big", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.main.query_one(DocumentView)
        await pilot.press("ctrl+end")
        await pilot.pause()
        layout, index = view.doc_layout, view.index
        idle, by_keys = [False], []
        prepare, window_lines = view._lay_out_neighbours, layout.window_lines

        def in_idle() -> None:
            idle[0] = True
            try:
                prepare()
            finally:
                idle[0] = False

        def recording(k: int):
            before = layout.laid_out
            lines = window_lines(k)
            if layout.laid_out > before and not idle[0]:
                by_keys.append(k)
            return lines

        view._lay_out_neighbours = in_idle
        layout.window_lines = recording
        top = layout.line(round(view.scroll_y))
        above = layout.windows.of(top.start) - 1
        tokenized = index.stats["tokenized"]
        index.tokens_in(*layout.windows.bounds(above))
        assert index.stats["tokenized"] == tokenized  # tokenized too
        crossed = 0
        for _ in range(120):  # up, line by line, across two windows
            await pilot.press("up")
            await pilot.pause()  # idle between keys
            crossed = above - layout.windows.of(layout.line(round(view.scroll_y)).start) + 1
            if crossed >= 2:
                break
        assert crossed >= 2
        assert by_keys == []
    session.store.close()
