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

from annotator.editing import Failed, Outcome
from annotator.session import HEARTBEAT_SECONDS, AnnotationSession
from annotator.tui.commands import AnnotatorCommands
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.bidi_filter import LroFilter


def wall_clock() -> str:
    return time.strftime("%H:%M:%S")


class AnnotatorApp(App):
    """``AnnotatorApp(session)``; tests pass ``clock=lambda: ""`` for stable snapshots."""

    CSS_PATH = "app.tcss"
    TITLE = "annotator"
    BINDINGS = [Binding("ctrl+q", "quit_annotator", "quit", priority=True, show=True)]
    COMMANDS = App.COMMANDS | {AnnotatorCommands}

    def __init__(self, session: AnnotationSession, *, clock: Callable[[], str] = wall_clock,
                 rtl_mode: str = "plain", direction: str = "rtl", theme: str = "textual-dark") -> None:
        """``rtl_mode`` is a resolved ``annotator.terminal.rtl_mode`` mode; ``lro`` wraps
        every drawn line (the terminal switching for ``explicit`` is the caller's)."""
        super().__init__()
        self.session = session
        self.clock = clock
        self.rtl_mode = rtl_mode
        self._lro_filter = LroFilter() if rtl_mode == "lro" else None
        self.direction = direction
        self.initial_theme = theme
        self.main: AnnotateScreen | None = None

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        self.main = AnnotateScreen(self.session, clock=self.clock, direction=self.direction)
        self.push_screen(self.main)
        self._heartbeat_timer = self.set_interval(HEARTBEAT_SECONDS, self.heartbeat)

    def heartbeat(self) -> None:
        """Keep this annotator's session claim alive (queued behind the saves: a slow store never
        freezes the screen); say so once if another session took it over."""
        if self.main is not None:
            self.main.saver.submit(self.session.heartbeat, self._heartbeat_answered, independent=True)

    def _heartbeat_answered(self, outcome: Outcome) -> None:
        if isinstance(outcome, Failed):
            self.notify(outcome.message, title="session", severity="warning", markup=False)
            return
        if not outcome.value:
            self._heartbeat_timer.stop()
            self.notify("another `annotate --take-over` ended this session: quit (ctrl+q) so you do not "
                        "work against it", title="session", severity="error", timeout=3600, markup=False)

    def get_line_filters(self):
        filters = list(super().get_line_filters())
        if self._lro_filter is not None:
            filters.append(self._lro_filter)
        return filters

    def action_quit_annotator(self) -> None:
        if self.main is not None:
            self.main.close()
        self.exit(0)
