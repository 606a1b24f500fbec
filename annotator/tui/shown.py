"""Values from the data and the schema (ids, names, attribute values, sources) as the UI
may draw them: the one owner of "nothing from a file is ever markup or raw".

Two dangers, two steps:

* Anything that came from a file can hold escape sequences or bidi overrides; going
  through the layout engine's ``visual_string`` (``shown``) puts it in display order
  and turns every control into a visible symbol, so nothing raw reaches the terminal.
* Rich and Textual parse a plain ``str`` as markup in most places (``Static``,
  ``Label``, Rich table cells, the command palette's hits and help, border titles):
  ``[/]`` in a label name raises ``MarkupError``, ``[ar]`` vanishes as a style and
  ``[@click=app.quit]`` becomes a live action. So a UI string that holds data is handed
  over as a ``Text`` (``ui_text``) or ``Content`` (``ui_content``), never as a ``str``;
  where an API takes nothing but markup, it gets ``ui_markup`` (escaped).

``ui_*`` take a string already assembled for display (its data pieces passed through
``shown``): they do not reorder it again.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text
from textual.content import Content

from annotator.layout import visual_string
from annotator.layout.engine import control_symbol, invisible_marker


def shown(value: object) -> str:
    """``value`` as one line of UI text: display order, controls made visible."""
    return visual_string(str(value), direction="auto")


def isolated(value: str) -> str:
    """``value`` for a sentence that is laid out whole (``visual_string``): between FSI and PDI,
    UAX #9's isolates, so the value takes its own direction and what follows it keeps the
    sentence's (``«…»: 2 match(es)``, not ``«2 :«…`` where the number joins the Arabic run).
    The isolates are not drawn."""
    return f"\u2068{value}\u2069"


def visible_controls(text: str) -> str:
    """``text`` in logical order with each control, format or separator character replaced
    by one visible symbol (one code point for one: offsets still match). For what is drawn
    as typed, like an input field's value; everything else goes through ``shown``."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        category = unicodedata.category(ch) if not ch.isprintable() else ""
        if category == "Cc":
            out.append(control_symbol(ch))
        elif category in ("Cf", "Zl", "Zp"):
            out.append(invisible_marker(ch))
        elif category == "Cs":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def ui_text(text: str, style: str = "") -> Text:
    """A display string as a Rich ``Text``: drawn literally, never parsed as markup.
    ``style`` covers the characters only (not a table cell's padding), as markup would."""
    out = Text(text)
    if style:
        out.stylize(style)
    return out


def ui_content(text: str) -> Content:
    """A display string as Textual ``Content``: drawn literally, never parsed as markup."""
    return Content(text)


def ui_markup(text: str) -> str:
    """A display string escaped for an API that only accepts Textual markup (a palette hit's help).

    Every ``[`` is escaped: ``textual.markup.escape`` only escapes what looks like a
    tag to Rich, and Textual's own parser still fails on e.g. ``b[//[,``."""
    return text.replace("[", "\\[")


def shown_text(value: object, style: str = "") -> Text:
    """One data value, ready to draw: ``ui_text(shown(value))``."""
    return ui_text(shown(value), style)
