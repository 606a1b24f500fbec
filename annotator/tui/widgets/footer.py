"""The key footer, built once for each change of the keys it shows.

Textual's ``Footer`` rebuilds every key widget (CSS applied to each) whenever the screen
says its bindings may have changed: focus moving, the screen stack changing, an idle
callback. While the app starts that is three times, about 50 ms, for the same keys.
This one rebuilds only when the keys, their descriptions or whether each is enabled
differ from what it shows, and builds its first keys after the screen's first painted
frame, so the document is painted first.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    _shown: tuple | None = None  # what the key widgets were last built from
    _first_signal_seen = False

    def bindings_changed(self, screen: Screen) -> None:
        if not self._first_signal_seen:  # one refresh later: Textual then waits for another
            self._first_signal_seen = True
            self.call_after_refresh(super().bindings_changed, screen)
            return
        super().bindings_changed(screen)

    def shown(self) -> tuple:
        """What the footer would show now: each shown key with its text and state, and the palette's."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple((b.key, app.get_key_display(b), b.description, b.action, b.group, enabled, tooltip)
                     for _, b, enabled, tooltip in active.values() if b.show)
        palette = active.get(app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        return keys, palette[1:] if palette is not None else None, self.compact

    async def recompose(self) -> None:
        shown = self.shown()
        if shown != self._shown:
            self._shown = shown
            await super().recompose()
