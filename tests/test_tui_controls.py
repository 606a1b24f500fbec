"""Invisible characters in the TUI: the annotator is told they are there and F2 draws them."""

from __future__ import annotations

import pytest
from test_tui_support import SIZE, make_app, make_session

from annotator.text.controls import count_hidden, is_hidden
from annotator.tui.widgets.document_view import DocumentView

HIDDEN_TEXT = "قال\u200f الوزير \u2067John\u2069 إن الرقم\u200d صحيح."


def test_count_hidden_counts_format_and_control_characters_only():
    assert count_hidden("نص عادي\r\n\tمع سطر") == 0
    assert count_hidden(HIDDEN_TEXT) == 4
    assert count_hidden("\x1b[31m\x07") == 2
    assert is_hidden("\ufeff") and is_hidden("\u061c") and not is_hidden("ب") and not is_hidden("\n")


@pytest.fixture
def session(tmp_path):
    s = make_session(tmp_path / "c.db", docs=(("hidden", HIDDEN_TEXT),))
    yield s
    s.store.close()


async def test_f2_shows_invisible_characters_and_the_status_says_they_exist(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        view = screen.query_one(DocumentView)
        assert "4 invisible character(s)" in screen.status.message
        hidden_cells = [c for line in view.doc_layout.lines(0, view.doc_layout.line_count) for c in line.cells]
        assert "\u2190" not in "".join(c.text for c in hidden_cells)  # RLM has no cell by default
        cursor = view.cursor
        await pilot.press("f2")
        await pilot.pause()
        shown = "".join(c.text for line in view.doc_layout.lines(0, view.doc_layout.line_count)
                        for c in line.cells)
        for marker in ("\u2190", "\u21e4", "\u21a7", "\u203f"):  # RLM, RLI, PDI, ZWJ markers
            assert marker in shown
        assert view.cursor == cursor
        assert "shown as markers" in screen.status.message
        await pilot.press("f2")
        await pilot.pause()
        assert not view.show_controls and "hidden" in screen.status.message
