"""The annotation app: one session, one main screen, dialogs on top.

Keys live in ``bindings.py`` (a user's keymap file is read by ``keymap.py`` and
applied with Textual's ``set_keymap``); widgets in ``widgets/``; dialogs in
``screens/``; every style in ``app.tcss``. The app holds no annotation logic: it owns the
``AnnotationSession`` and quits cleanly (saving where the annotator was).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App

from annotator.editing import Failed, Outcome
from annotator.session import HEARTBEAT_SECONDS, AnnotationSession
from annotator.tui.bidi_filter import LroFilter
from annotator.tui.bindings import app_bindings, with_schema_keys
from annotator.tui.commands import AnnotatorCommands, AnnotatorPalette
from annotator.tui.keymap import Keymap
from annotator.tui.screens.annotate import AnnotateScreen


def wall_clock() -> str:
    return time.strftime("%H:%M:%S")


class AnnotatorApp(App):
    """``AnnotatorApp(session)``; tests pass ``clock=lambda: ""`` for stable snapshots."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: a subclass elsewhere keeps it
    TITLE = "annotator"
    BINDINGS = app_bindings()  # ctrl+q quit, ctrl+p palette (ids app.quit, app.palette)
    COMMANDS = App.COMMANDS | {AnnotatorCommands}

    def __init__(self, session: AnnotationSession, *, clock: Callable[[], str] = wall_clock,
                 rtl_mode: str = "plain", direction: str = "rtl", theme: str = "textual-dark",
                 keymap: Keymap | None = None, recommenders: tuple = ()) -> None:
        """``rtl_mode`` is a resolved ``annotator.terminal.rtl_mode`` mode; ``lro`` wraps
        every drawn line (the terminal switching for ``explicit`` is the caller's).
        ``keymap`` rebinds keys by binding id; a bad one raises ``KeymapError`` here,
        before anything is drawn. ``recommenders`` (``annotator.recommend``) propose on each
        opened document."""
        super().__init__()
        if keymap is not None:
            keys = keymap.resolve(session.schema)
            self.set_keymap(keys)
            if "app.palette" in keys:  # the footer finds the palette's key by this (class) name
                self.COMMAND_PALETTE_BINDING = keys["app.palette"].split(",")[0]  # type: ignore[misc]
        self.session = session
        self.clock = clock
        self.rtl_mode = rtl_mode
        self._lro_filter = LroFilter() if rtl_mode == "lro" else None
        self.direction = direction
        self.initial_theme = theme
        self.main: AnnotateScreen | None = None
        self.recommenders = tuple(recommenders)

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        self.main = self.make_main_screen()
        self.push_screen(self.main)
        self._heartbeat_timer = self.set_interval(HEARTBEAT_SECONDS, self.heartbeat)

    def make_main_screen(self) -> AnnotateScreen:
        """The main screen (with the schema's keys); a mode of the app (adjudication) makes its own."""
        screen = with_schema_keys(AnnotateScreen, self.session.schema)
        return screen(self.session, clock=self.clock, direction=self.direction, recommenders=self.recommenders)

    def action_command_palette(self) -> None:
        """Textual's palette with its input drawn through the layout engine (``commands.py``)."""
        if self.use_command_palette and not AnnotatorPalette.is_open(self):
            self.push_screen(AnnotatorPalette(id="--command-palette"))

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
