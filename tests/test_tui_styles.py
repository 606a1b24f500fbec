"""Styles in one place: one stylesheet (app.tcss), one dialog base, and the document pane's
span styles as component classes a theme can change, drawn exactly as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.style import Style
from test_tui_support import SIZE, make_session

from annotator.tui.app import AnnotatorApp

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def session(tmp_path):
    s = make_session(tmp_path / "s.db")
    yield s
    s.store.close()


def sgr(style: Style) -> str:
    """The escape codes a style sends to a terminal: equal codes look the same."""
    console = Console(color_system="truecolor", force_terminal=True)
    with console.capture() as capture:
        console.print("x", style=style, end="")
    return capture.get()


def test_no_widget_carries_its_own_css():
    for path in (ROOT / "annotator" / "tui").rglob("*.py"):
        assert "DEFAULT_CSS" not in path.read_text(encoding="utf-8"), path
    css = (ROOT / "annotator" / "tui" / "app.tcss").read_text(encoding="utf-8")
    assert css.count("round $accent") == 1 and "$dialog-border: round $accent;" in css  # one definition


def test_every_dialog_is_a_modal_dialog():
    from annotator.tui.screens.claim_form import ClaimFormScreen
    from annotator.tui.screens.claimer_picker import ClaimerPickerScreen
    from annotator.tui.screens.dialog import ModalDialog
    from annotator.tui.screens.documents import DocumentListScreen
    from annotator.tui.screens.help import HelpScreen
    from annotator.tui.screens.prompts import GotoScreen, NoteScreen

    for screen in (ClaimFormScreen, ClaimerPickerScreen, DocumentListScreen, HelpScreen, GotoScreen, NoteScreen):
        assert issubclass(screen, ModalDialog), screen


async def test_component_styles_draw_as_before(session):
    app = AnnotatorApp(session, clock=lambda: "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.main.view
        assert view._part("selection") == Style(reverse=True)
        assert view._part("claim") == Style(underline=True)
        assert view._part("pre-claim") == Style(dim=True)
        assert view._part("nested") == Style(bold=True)
        assert view._part("pre-annotation") == Style(italic=True)
        status = app.main.status
        assert sgr(status.get_component_rich_style("status-line--error", partial=True)) == sgr(Style.parse("bold red"))
        assert sgr(status.get_component_rich_style("status-line--saved", partial=True)) == sgr(Style.parse("green"))


class ThemedApp(AnnotatorApp):
    CSS = """
    DocumentView > .document-view--selection { text-style: underline; }
    DocumentView > .document-view--claim { text-style: italic; }
    StatusLine > .status-line--error { color: magenta; }
    """


async def test_a_stylesheet_can_restyle_selection_claims_and_errors(session):
    app = ThemedApp(session, clock=lambda: "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left", "shift+left")
        view = app.main.view
        marked = view._style((None, False, False, 0, True))
        assert marked.underline and not marked.reverse
        claimed = view._style((None, False, False, 1, False))
        assert claimed.italic and not claimed.underline
        line = view.render_line(view.cursor_line - round(view.scroll_y))
        assert any(seg.style is not None and seg.style.underline for seg in line)
        app.main.status.say("refused", error=True)
        error = app.main.status.get_component_rich_style("status-line--error", partial=True)
        assert error.color is not None and error.color.triplet is not None and error.color.triplet.red > 200
