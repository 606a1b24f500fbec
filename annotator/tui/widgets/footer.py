"""The key footer, built once for each change of the keys it shows.

Textual's ``Footer`` rebuilds every key widget (CSS applied to each) whenever the screen
says its bindings may have changed: focus moving, the screen stack changing, an idle
callback. While the app starts that is three times, about 50 ms, for the same keys.
This one builds them once after any number of such signals in a frame, and not at all
when the keys, their descriptions and whether each is enabled are what it shows already.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    _shown: tuple | None = None  # what the key widgets were last built from
    _queued = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._queued:
            self._queued = True
            if self._shown is None:  # the first keys after the screen's first painted frame: the document first
                self.call_after_refresh(self.call_after_refresh, self._rebuild_if_changed)
            else:
                self.call_after_refresh(self._rebuild_if_changed)

    def shown(self) -> tuple:
        """What the footer would show now: each shown key with its text and state, and the palette's."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple((b.key, app.get_key_display(b), b.description, b.action, b.group, enabled, tooltip)
                     for _, b, enabled, tooltip in active.values() if b.show)
        palette = active.get(app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        return keys, palette[1:] if palette is not None else None, self.compact

    async def _rebuild_if_changed(self) -> None:
        self._queued = False
        shown = self.shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
