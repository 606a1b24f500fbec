"""``ModalDialog``: the base of every dialog, so they all look alike from one rule set.

A dialog composes one box (a ``Vertical`` or ``VerticalScroll``); ``app.tcss`` centres
it and gives it the dialog border and background (``$dialog-border``,
``$dialog-background``) for every ``ModalDialog``; each dialog only sizes its box.
"""

from __future__ import annotations

from textual.screen import ModalScreen, ScreenResultType


class ModalDialog(ModalScreen[ScreenResultType]):
    """A modal screen styled as a dialog (see ``app.tcss``)."""
