"""Values from the data (ids, attribute values, sources) as the UI may draw them.

Anything that came from a file can hold escape sequences or bidi overrides; going
through the layout engine's ``visual_string`` puts it in display order and turns every
control into a visible symbol, so nothing raw ever reaches the terminal.
"""

from __future__ import annotations

from annotator.layout import visual_string


def shown(value: object) -> str:
    """``value`` as one line of UI text: display order, controls made visible."""
    return visual_string(str(value), direction="auto")
