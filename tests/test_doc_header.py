"""The header is one widget that draws what six did: it must look the same, cell for cell.

The reference is the composition the header replaced (``Horizontal`` > ``Static`` title,
``ProgressBar(show_eta=False)``, ``Static`` count, with their old rules), set up the way the app set it
(values given before the first layout); both are drawn in the same app and theme and compared cell by
cell: character, colours and attributes (the colour and weight of a blank cell are not seen).
"""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from annotator.tui.widgets.doc_header import DocHeader, count_cells

OLD_CSS = """
OldHeader { height: 1; background: $panel; color: $text; }
OldHeader > #doc-title { width: 1fr; height: 1; text-style: bold; }
OldHeader > ProgressBar { width: 20; height: 1; }
OldHeader Bar { width: 14; }
OldHeader > #progress-text { width: 16; height: 1; content-align: right middle; }
"""


class OldHeader(Horizontal):
    """The header as it was: six widgets."""

    def __init__(self, title: str, progress: tuple[int, int] | None) -> None:
        super().__init__()
        self.title_text, self.counts = title, progress

    def compose(self) -> ComposeResult:
        yield Static("", id="doc-title")
        yield ProgressBar(total=1, show_eta=False, show_percentage=True, id="progress")
        yield Static("", id="progress-text")

    def on_mount(self) -> None:
        self.query_one("#doc-title", Static).update(Text(self.title_text), layout=False)
        if self.counts is not None:
            finished, total = self.counts
            self.query_one(ProgressBar).update(total=max(total, 1), progress=finished)
            self.query_one("#progress-text", Static).update(f"{finished}/{total} finished ", layout=False)


class Both(App):
    CSS = OLD_CSS + """
    DocHeader { height: 1; background: $panel; color: $text; }
    DocHeader > .doc-header--title { text-style: bold; }
    DocHeader > .doc-header--bar { color: $primary; background: $surface; }
    DocHeader > .doc-header--complete { color: $success; background: $surface; }
    """

    def __init__(self, doc: tuple[str, str, str, str] | None, progress: tuple[int, int] | None, theme: str) -> None:
        super().__init__()
        self.doc, self.counts, self.initial_theme = doc, progress, theme

    def compose(self) -> ComposeResult:
        yield DocHeader()
        yield OldHeader("", self.counts)  # its title is given once the width is known (the header fits it itself)

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        header = self.query_one(DocHeader)
        if self.doc is not None:  # as the screen does, before the first layout
            number, count, status, doc_id = self.doc
            header.show(int(number), int(count), doc_id, status, "")
        if self.counts is not None:
            header.progress(*self.counts)


def _cells(strip) -> list[tuple]:
    out = []
    for seg in strip:
        style = seg.style
        for ch in seg.text:
            seen = ch != " "
            out.append((ch, style.color if seen and style else None, style.bgcolor if style else None,
                        (style.bold, style.italic, style.underline, style.dim) if seen and style else None,
                        bool(style and style.reverse)))
    return out


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("progress", [None, (0, 5), (2, 5), (1, 3), (5, 5), (12, 1200), (7, 200), (3, 1000000),
                                      (123456, 1000000), (1, 0)])
async def test_the_header_draws_what_its_six_widgets_drew(theme, progress):
    for width in (80, 100, 137):
        doc = None if progress is None else ("3", "5", "in_progress", "001_5e1237ce7e7ca306")
        app = Both(doc, progress, theme)
        async with app.run_test(size=(width, 2)) as pilot:
            await pilot.pause()
            new, old = app.query_one(DocHeader), app.query_one(OldHeader)
            old.query_one("#doc-title", Static).update(Text(new._title(width - 36) if doc else ""), layout=False)
            await pilot.pause()
            strips = app.screen._compositor.render_strips()
            assert _cells(strips[0]) == _cells(strips[1]), (width, progress)


def test_the_count_is_cut_as_a_one_line_static_cuts_it():
    assert count_cells("2/5 finished ") == "   2/5 finished "
    assert count_cells("12/1200 finished ") == "12/1200 finished"  # the trailing space goes first
    assert count_cells("3/1000000 finished ") == "       3/1000000"  # the second line of the wrap is not seen
