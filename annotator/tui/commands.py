"""Command palette (ctrl+p): every action of the annotation screen, by name.

The palette parses a ``str`` hit or help as markup, and label descriptions hold names
from the schema: hits are given as ``Content`` (highlighted here, not by
``Matcher.highlight``, which parses its argument) and help as escaped markup.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from annotator.tui.bindings import all_specs, key_display, live_keys
from annotator.tui.shown import ui_content, ui_markup


def highlight(matcher: Matcher, candidate: str) -> Content:
    """``candidate`` as literal content with the characters ``matcher`` matched styled."""
    content = ui_content(candidate)
    _, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


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
            yield DiscoveryHit(ui_content(description), partial(self._run, action), text=description,
                               help=ui_markup(f"key: {keys}"))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, keys in self._commands():
            score = matcher.match(description)
            if score > 0:
                yield Hit(score, highlight(matcher, description), partial(self._run, action),
                          text=description, help=ui_markup(f"key: {keys}"))
