"""Command palette (ctrl+p): every action of the annotation screen, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from annotator.tui.bindings import key_display, label_specs, live_specs


class AnnotatorCommands(Provider):
    """Offers the annotation screen's actions (from the key table) with their keys."""

    def _commands(self) -> list[tuple[str, str, str]]:
        main = getattr(self.app, "main", None)
        if main is None:
            return []
        out = []
        for spec in (*live_specs(main.schema), *label_specs(main.schema)):
            if spec.action.startswith("app.command_palette"):
                continue
            keys = " ".join(key_display(k) for k in spec.keys.split(","))
            out.append((spec.description, spec.action, keys))
        return out

    async def _run(self, action: str) -> None:
        main = self.app.main  # type: ignore[attr-defined]
        await main.run_action(action)

    async def discover(self) -> Hits:
        for description, action, keys in self._commands():
            yield DiscoveryHit(description, partial(self._run, action), help=f"key: {keys}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, keys in self._commands():
            score = matcher.match(description)
            if score > 0:
                yield Hit(score, matcher.highlight(description), partial(self._run, action),
                          help=f"key: {keys}")
