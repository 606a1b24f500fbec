"""Checking one foreign span against its text, and the tokens export snaps to.

A span must have integer offsets with ``0 ≤ start < end ≤ len(text)`` and a
string label; if the file also gives the span's text, it must match exactly.
Anything else is reported with the record's line and the span is left out.

The tokens come from the table the store kept for the document when it was added
(``kept_tokens``: read back and checked against the text), else from tokenizing it.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Sequence
from operator import ne
from pathlib import Path
from typing import Any, NamedTuple

from annotator.formats._records import IdMaker, is_claim_label
from annotator.formats.base import ReadContext, WriteContext
from annotator.model.annotations import Claim, Document, Entity
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


class TokenTable(NamedTuple):
    """A token table the store kept (``annotator.text.bounds.pack``), read back: token starts, ends and
    "before" counts; run starts and ends (views of the packed value: nothing copied)."""

    starts: Offsets
    ends: Offsets
    before: Offsets
    run_starts: Offsets
    run_ends: Offsets


def unpack(blob: bytes, text: str) -> TokenTable | None:
    """A kept table of the current tokenizer (the store checks the version) for ``text``; None when it
    cannot be the table of that text (a damaged or hand-edited value): the caller tokenizes instead.
    The writers check the runs against the text as they use them."""
    code = blob[:1]
    if blob[1:4] != b"\0\0\0" or code not in (b"H", b"I") or (len(blob) - 4) % (size := 2 if code == b"H" else 4):
        return None
    values: Sequence[int]
    if sys.byteorder == "little":
        values = memoryview(blob)[4:].cast("H" if code == b"H" else "I")
    else:  # pragma: no cover - big-endian machines
        swapped = array(code.decode(), blob[4:])
        swapped.byteswap()
        values = swapped
    if len(values) < 2:
        return None
    n, r = values[0], values[1]
    if len(values) != 2 + 3 * n + 2 * r or (n == 0) != (r == 0) or size * len(values) != len(blob) - 4:
        return None
    cut = 2 + n
    table = TokenTable(values[2:cut], values[cut:cut + n], values[cut + n:cut + 2 * n],
                       values[cut + 2 * n:cut + 2 * n + r], values[cut + 2 * n + r:])
    if n and (table.ends[-1] > len(text) or table.run_ends[-1] != table.ends[-1]
              or table.run_starts[0] != table.starts[0]):
        return None
    return table


def spaced(text: str, table: TokenTable, sep: str = " ", touching: str = " ") -> str | None:
    """The tokens of a kept table joined by ``sep`` (its runs joined by a space, each space then made
    ``sep`` by one ``replace``: C calls per run, none per token), or None when the table cannot be this
    text's (its runs hold other white space, or not exactly its tokens' characters: tokenize instead).
    ``touching``: what stands between two runs that nothing separates in the text (a character the text
    does not hold; Prodigy's token JSON tells by it which tokens white space follows), else a space too."""
    n = len(table.starts)
    if not n:
        return ""
    # a list comprehension: quicker than map(text.__getitem__, map(slice, ...)) (no call through a wrapper)
    runs = [text[a:b] for a, b in zip(table.run_starts, table.run_ends, strict=True)]
    if touching == " ":
        joined = probe = " ".join(runs)
    else:
        parts: list[str] = [touching] * (2 * len(runs) - 1)
        parts[0::2] = runs
        parts[1::2] = map((touching, " ").__getitem__, map(ne, table.run_ends[:-1], table.run_starts[1:]))
        joined = "".join(parts)
        probe = joined.replace(touching, " ")  # the checks below see every run apart by one space
    if len(joined) != table.before[-1] + table.ends[-1] - table.starts[-1] + n - 1 \
            or "  " in probe or probe[0] == " " or probe[-1] == " ":
        return None
    # every white space character but " " is unprintable: one quick C pass clears most texts
    if not probe.isprintable() and _OTHER_SPACE.search(probe):
        return None
    if len(sep) == 1:
        return (joined if sep == " " else joined.replace(" ", sep)) if probe.count(" ") == n - 1 else None
    out = joined.replace(" ", sep)  # its length counts the spaces (no second pass to count them)
    return out if len(out) == len(joined) + (len(sep) - 1) * (n - 1) else None


_OTHER_SPACE = re.compile(r"[^\S ]")  # white space other than " " (stdlib re: \s is exactly str.isspace)


UNFIT = "document {!r}: the token boundaries kept in the store do not fit its text; tokenized again"


def kept_tokens(doc: Document, blob: bytes | None, ctx: WriteContext, sep: str = " ",
                touching: str = " ") -> tuple[TokenTable, str] | None:
    """The token table the store kept for ``doc`` (``Record.tokens``) and its tokens joined by ``sep``
    (``spaced``, runs that touch by ``touching``), or None: none kept, or one that cannot be this text's
    (said once: a damaged or hand-edited store), and the writer tokenizes the text instead."""
    if blob is None:
        return None
    table = unpack(blob, doc.text)
    joined = spaced(doc.text, table, sep, touching) if table is not None else None
    if table is None or joined is None:
        ctx.report_once(UNFIT.format(doc.id))
        return None
    return table, joined


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
