"""The annotation app: one session, one main screen, dialogs on top.

Keys live in ``bindings.py`` (a user's keymap file is read by ``keymap.py`` and
applied with Textual's ``set_keymap``); widgets in ``widgets/``; dialogs in
``screens/``; every style in ``app.tcss``. The app holds no annotation logic: it owns the
``AnnotationSession`` and quits cleanly (saving where the annotator was).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from textual.app import App
from textual.screen import Screen

from annotator.editing import Failed, Outcome
from annotator.session import HEARTBEAT_SECONDS, AnnotationSession
from annotator.tui.bidi_filter import LroFilter
from annotator.tui.bindings import app_bindings, with_schema_keys
from annotator.tui.keymap import Keymap
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.widgets.document_view import DocumentView


def _commands() -> ModuleType:
    """The palette's module, imported when the palette first opens (not at start-up)."""
    from annotator.tui import commands

    return commands


def wall_clock() -> str:
    return time.strftime("%H:%M:%S")


class AnnotatorApp(App):
    """``AnnotatorApp(session)``; tests pass ``clock=lambda: ""`` for stable snapshots."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: a subclass elsewhere keeps it
    TITLE = "annotator"
    BINDINGS = app_bindings()  # ctrl+q quit, ctrl+p palette (ids app.quit, app.palette)
    COMMANDS = App.COMMANDS | {lambda: _commands().AnnotatorCommands}  # Textual calls it when the palette opens

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
        self.gc_freezes = 0  # how often the heap was frozen (``_freeze_heap``): for tests

    def get_default_screen(self) -> Screen:
        """The main screen is the app's first screen: pushed over Textual's default one, that blank
        screen (with its toast rack and tooltip) was composed, styled and laid out at every start,
        and never seen."""
        self.theme = self.initial_theme
        self.main = self.make_main_screen()
        return self.main

    def on_mount(self) -> None:
        self._heartbeat_timer = self.set_interval(HEARTBEAT_SECONDS, self.heartbeat)

    def on_document_view_shown(self, message: DocumentView.Shown) -> None:
        """Once a document is painted, freeze the heap (after its next refresh: never before
        the paint)."""
        message.view.call_after_refresh(self._freeze_heap)

    def on_annotate_screen_empty(self, message: AnnotateScreen.Empty) -> None:
        """No document to paint (an empty store): start-up ends after this frame."""
        self.call_after_refresh(self.started)

    def _freeze_heap(self) -> None:
        """Keep the cyclic garbage collector off the objects alive now, so keys pay only for
        what they allocate.

        Why: after the first screen, the process holds about 100,000 tracked objects, mostly
        Textual's widgets, styles and bindings, which live as long as the app. Each collection
        of the oldest generation walks them all (60–130 ms), and a big document triggers such
        collections often, which was most of the keys' p95 tail. ``gc.freeze`` moves them out
        of every generation, so a collection walks only what was allocated since.

        Why memory stays bounded: a frozen object is still freed by its reference count; only
        a frozen *cycle* that becomes garbage is kept. So the first time (at the first paint)
        the heap is frozen as it is, a bounded one-off; every later time (a document opened)
        it is unfrozen and collected whole first, which frees whatever frozen cycles died
        since, then frozen again. The frozen set is thus at most what was alive at the last
        opening plus its garbage, whatever the number of documents opened. That full
        collection is one per opened document, after its paint (60–130 ms, which the
        collector would otherwise spend at some later key)."""
        if self.gc_freezes:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
        self.gc_freezes += 1
        self.started()

    def started(self) -> None:
        """The first screen is painted: the collector runs again (``annotator annotate`` turns it
        off for its start-up, where it would walk every object Textual and our imports just made,
        30–60 ms of a 370 ms start, to find almost no garbage). Called by the first freeze, or
        when the main screen says it has no document to show (``AnnotateScreen.Empty``)."""
        gc.enable()

    def on_unmount(self) -> None:
        """Give the frozen objects back to the collector: a process that runs apps one after
        another (the tests, an embedding) must not keep each one's garbage."""
        if self.gc_freezes:
            gc.unfreeze()

    def make_main_screen(self) -> AnnotateScreen:
        """The main screen (with the schema's keys); a mode of the app (adjudication) makes its own."""
        screen = with_schema_keys(AnnotateScreen, self.session.schema)
        return screen(self.session, clock=self.clock, direction=self.direction, recommenders=self.recommenders)

    def action_command_palette(self) -> None:
        """Textual's palette with its input drawn through the layout engine (``commands.py``)."""
        palette = _commands().AnnotatorPalette
        if self.use_command_palette and not palette.is_open(self):
            self.push_screen(palette(id="--command-palette"))

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
