"""The annotation app: one session, one main screen, dialogs on top.

Keys live in ``bindings.py``; widgets in ``widgets/``; dialogs in ``screens/``;
styles in ``app.tcss``. The app holds no annotation logic: it owns the
``AnnotationSession`` and quits cleanly (saving where the annotator was).
"""

from __future__ import annotations

import time
from typing import Callable

from textual.app import App
from textual.binding import Binding

from annotator.session import AnnotationSession
from annotator.tui.commands import AnnotatorCommands
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.widgets.document_view import LineWrap


def wall_clock() -> str:
    return time.strftime("%H:%M:%S")


class AnnotatorApp(App):
    """``AnnotatorApp(session)``; tests pass ``clock=lambda: ""`` for stable snapshots."""

    CSS_PATH = "app.tcss"
    TITLE = "annotator"
    BINDINGS = [Binding("ctrl+q", "quit_annotator", "Quit", priority=True, show=True)]
    COMMANDS = App.COMMANDS | {AnnotatorCommands}

    def __init__(self, session: AnnotationSession, *, clock: Callable[[], str] = wall_clock,
                 line_wrap: LineWrap | None = None, direction: str = "rtl",
                 theme: str = "textual-dark") -> None:
        super().__init__()
        self.session = session
        self.clock = clock
        self.line_wrap = line_wrap
        self.direction = direction
        self.initial_theme = theme
        self.main: AnnotateScreen | None = None

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        self.main = AnnotateScreen(self.session, clock=self.clock, line_wrap=self.line_wrap,
                                   direction=self.direction)
        self.push_screen(self.main)

    def action_quit_annotator(self) -> None:
        if self.main is not None:
            self.main.save_position()
        self.exit(0)
