"""Command palette (ctrl+p): every action of the annotation screen, by name.

The palette parses a ``str`` hit or help as markup, and label descriptions hold names
from the schema: hits are given as ``Content`` (highlighted here, not by
``Matcher.highlight``, which parses its argument) and help as escaped markup.

Like every string the UI shows, a hit goes through the layout engine (a label's Arabic name
in reading order; the matched characters are found in logical order and styled on the cells
that show them), and the palette's own input is a ``SafeInput`` (``AnnotatorPalette``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import partial

from textual.app import ComposeResult
from textual.command import CommandInput, CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider, SearchIcon
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.style import Style
from textual.widgets import Button, LoadingIndicator

from annotator.layout import LayoutOptions, layout_paragraph, visual_string
from annotator.tui.bindings import all_specs, key_display, live_keys
from annotator.tui.shown import ui_content, ui_markup
from annotator.tui.widgets.safe_input import SafeInput

_LINE = LayoutOptions(width=sys.maxsize, direction="ltr", show_controls=True)


def visual_content(text: str, marked: Iterable[int] = (), style: Style | str = "") -> Content:
    """``text`` (one line, logical order) as literal content in reading order, with the cells
    showing any of the logical offsets ``marked`` styled ``style``."""
    marked = set(marked)
    lines = layout_paragraph(text.replace("\n", " "), _LINE)
    pieces = [(cell.text, any(o in marked for o in range(cell.start, cell.end))) for cell in lines[0].cells]
    content = ui_content("".join(piece for piece, _ in pieces))
    at = 0
    for piece, hit in pieces:
        if hit and piece.strip():
            content = content.stylize(style, at, at + len(piece))
        at += len(piece)
    return content


def highlight(matcher: Matcher, candidate: str) -> Content:
    """``candidate`` in reading order, with the characters ``matcher`` matched styled."""
    _, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    return visual_content(candidate, offsets, matcher.match_style)


def key_help(keys: str) -> str:
    """A hit's help line (keys may be a schema's Arabic hotkeys), as the palette's markup."""
    return ui_markup(visual_string(f"key: {keys}", direction="ltr"))


class PaletteInput(CommandInput, SafeInput):  # CommandInput first: its CSS type name and styles
    """The palette's input: Textual's, drawn through the layout engine (SafeInput's methods)."""


class AnnotatorPalette(CommandPalette):
    """Textual's command palette with a ``PaletteInput`` (its compose, that one widget changed)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="--container"):
            with Horizontal(id="--input"):
                yield SearchIcon()
                yield PaletteInput(placeholder=self._placeholder, select_on_focus=False)
                if not self.run_on_select:
                    yield Button("\u25b6")
            with Vertical(id="--results"):
                yield CommandList()
                yield LoadingIndicator()


class AnnotatorCommands(Provider):
    """Offers the annotation screen's actions (from the key table) with the keys bound now."""

    def _commands(self) -> list[tuple[str, str, str]]:
        main = getattr(self.app, "main", None)
        if main is None:
            return []
        out = []
        bound = live_keys(main)  # a keymap may have moved them
        seen = set()
        for spec in all_specs(main.schema):
            if spec.action.startswith("app.command_palette") or spec.action in seen:
                continue  # one entry per action: u and ctrl+z are the same undo
            seen.add(spec.action)
            keys = " ".join(key_display(k) for k in bound.get(spec.action.removeprefix("app."), spec.keys.split(",")))
            out.append((spec.description, spec.action, keys))
        return out

    async def _run(self, action: str) -> None:
        main = self.app.main  # type: ignore[attr-defined]
        await main.run_action(action)

    async def discover(self) -> Hits:
        for description, action, keys in self._commands():
            yield DiscoveryHit(visual_content(description), partial(self._run, action), text=description,
                               help=key_help(keys))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, keys in self._commands():
            score = matcher.match(description)
            if score > 0:
                yield Hit(score, highlight(matcher, description), partial(self._run, action),
                          text=description, help=key_help(keys))
