"""Checking one foreign span against its text, and the tokens export snaps to.

A span must have integer offsets with ``0 ≤ start < end ≤ len(text)`` and a
string label; if the file also gives the span's text, it must match exactly.
Anything else is reported with the record's line and the span is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotator.formats._records import IdMaker, is_claim_label
from annotator.formats.base import ReadContext
from annotator.model.annotations import Claim, Entity
from annotator.text.bounds import Offsets, token_table


def read_span(sp: Any, text: str, start_key: str, end_key: str, label_key: str, ctx: ReadContext,
              path: Path, line: int, what: str, *, label: str | None = None) -> tuple[int, int, str] | None:
    """``(start, end, label)`` of a span object, or None after reporting what is wrong with it."""
    if not isinstance(sp, dict):
        ctx.report(path, line, f"{what} is not an object; not imported")
        return None
    start, end = sp.get(start_key), sp.get(end_key)
    label = sp.get(label_key) if label is None else label
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        ctx.report(path, line, f"{what}: offsets {start!r}, {end!r} are not integers; not imported")
        return None
    if not 0 <= start < end <= len(text):
        ctx.report(path, line, f"{what}: offsets [{start},{end}) outside the text (length {len(text)}) "
                   "or empty; not imported")
        return None
    if not isinstance(label, str) or not label:
        ctx.report(path, line, f"{what}: no label; not imported")
        return None
    given = sp.get("text")
    if isinstance(given, str) and given != text[start:end]:
        ctx.report(path, line, f"{what} ({label}): its text {given!r} differs from the text at "
                   f"[{start},{end}) {text[start:end]!r}; imported at the offsets given", note=True)
    return start, end, label


def tokens_for(text: str) -> list[tuple[int, int]]:
    """Token offsets from our tokenizer (camel-tools words aligned to the text)."""
    starts, ends = token_bounds(text)
    return list(zip(starts, ends, strict=True))


def token_bounds(text: str) -> tuple[Offsets, Offsets]:
    """Token start and end offsets of ``text`` (our tokenizer's), without a ``Token`` per token."""
    starts, ends, _ = token_table(text)
    return starts, ends


class SpanCollector:
    """The entities and claims of one record as its spans are read. A span whose label is a
    claim label becomes a claim (with the span's ``attributes`` object, if any); ids are fresh."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.entities: list[Entity] = []
        self.claims: list[Claim] = []
        self._entity_id, self._claim_id = IdMaker("e"), IdMaker("c")

    def add(self, sp: dict[str, Any], start: int, end: int, label: str) -> tuple[str, int]:
        """Add one span; returns ``("e"|"c", index)`` so relations can find it."""
        if is_claim_label(label, self.ctx):
            attrs = sp.get("attributes")
            self.claims.append(Claim(self._claim_id(), start, end, dict(attrs) if isinstance(attrs, dict) else {}))
            return "c", len(self.claims) - 1
        self.entities.append(Entity(self._entity_id(), start, end, label))
        return "e", len(self.entities) - 1
