"""Keystroke-to-repaint timing for the benchmarks that drive the app through Pilot.

A key is timed from its arrival at the app (``App.on_event``) to the last repaint, within the
settle time, that redraws the text, the status line or the screen (the compositor refresh of a
frame that had one of them dirty). The side panel's repaint is recorded apart: it follows an
edit a frame later on purpose. Shared by ``bench_tui.py`` and ``bench_docsize.py``.
"""

from __future__ import annotations

import time
from typing import Any

from textual import events

# the widgets whose repaint shows what a key did
SHOWN = frozenset({"DocumentView", "StatusLine", "AnnotateScreen"})


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile by nearest rank (NaN for no values)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


class KeyClock:
    """Wraps the screen's compositor refresh and the app's event handler to time keys."""

    def __init__(self, app: Any) -> None:
        self.painted: list[float] = []
        self.panel_painted: list[float] = []
        self.received: list[float] = []
        screen = app.screen
        refresh = screen._compositor_refresh
        on_event = app.on_event

        def recording_refresh() -> None:
            dirty = {type(w).__name__ for w in screen._dirty_widgets}
            refresh()
            if dirty & SHOWN:
                self.painted.append(time.perf_counter())
            if "SpanPanel" in dirty:
                self.panel_painted.append(time.perf_counter())

        async def recording_on_event(event: events.Event) -> None:
            if isinstance(event, events.Key):
                self.received.append(time.perf_counter())
            await on_event(event)

        screen._compositor_refresh = recording_refresh
        app.on_event = recording_on_event

    async def press(self, pilot: Any, *keys: str, settle: float = 0.05) -> tuple[float, float]:
        """Press ``keys`` after the app is idle; (ms to the text's repaint, ms to the side panel's),
        NaN where that repaint did not come within ``settle`` seconds."""
        await pilot.pause()
        self.painted.clear()
        self.panel_painted.clear()
        self.received.clear()
        await pilot.press(*keys)
        await pilot.pause(settle)
        if not self.received:
            return float("nan"), float("nan")
        first = self.received[0]
        text = (self.painted[-1] - first) * 1000 if self.painted else float("nan")
        panel = (self.panel_painted[-1] - first) * 1000 if self.panel_painted else float("nan")
        return text, panel
