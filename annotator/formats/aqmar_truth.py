"""The AQMAR Topcoder standoff ``truth.csv``: ``Filename,Start,End,Type,Surface``.

``Start``/``End`` are 1-based line numbers in the token file named by ``Filename``
(blank lines count), ``End`` inclusive; ``Surface`` is the tokens joined by one
space. The token file must be beside the CSV: the exact ``Filename``, or else the
only ``<stem>*.txt`` there (``dev_first80sent.txt`` for ``dev.txt``; the choice is
reported), or ``ctx.options["tokens"]``. A ``Filename`` that leads out of the CSV's
folder (``/etc/x``, ``../x``, a symlink) is refused with the CSV's line. Its tags are
ignored: the spans come from the CSV (read the token file with ``conll`` to get its
BIO spans).

Documents are the token file's sentences, exactly as ``conll`` makes them (same
ids and text), so the two readings can be compared span by span. Each row's
surface is checked against the tokens. Two rows in the published file break
RFC-4180 quoting (a bare ``"`` token written unescaped, or as ``\\"``): they are
read leniently and reported. Rows are held in memory (they are small); the token
file is streamed. Import only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from annotator.errors import InputError
from annotator.formats._io import inside, iter_lines
from annotator.formats.base import Format, ReadContext, Record
from annotator.formats.conll import read_sentences, sentence_record

NAME = "aqmar-truth"
HEADER = "Filename,Start,End,Type,Surface"


class _Row:
    def __init__(self, line: int, start: int, end: int, label: str, surface: str) -> None:
        self.line, self.start, self.end, self.label, self.surface = line, start, end, label, surface


def _surface(raw: str, path: Path, line: int, ctx: ReadContext) -> str:
    if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
        return raw
    inner = raw[1:-1]
    if '\\"' in inner:
        ctx.report(path, line, 'Surface escapes a quote as \\" (not CSV); read as a plain "', note=True)
        return inner.replace('\\"', '"')
    unescaped = inner.replace('""', "")
    if '"' in unescaped:
        ctx.report(path, line, 'Surface holds an unescaped " inside quotes (not CSV); read as written', note=True)
        return inner
    return inner.replace('""', '"')


def _read_rows(path: Path, ctx: ReadContext) -> dict[str, list[_Row]]:
    rows: dict[str, list[_Row]] = defaultdict(list)
    for number, line in iter_lines(path):
        if number == 1:
            if line.strip() != HEADER:
                raise InputError(f"expected the header {HEADER!r}", str(path), 1)
            continue
        if not line.strip():
            continue
        parts = line.split(",", 4)
        if len(parts) != 5:
            ctx.report(path, number, "expected 5 comma-separated fields; row not imported")
            continue
        name, start, end, label, raw = parts
        try:
            first, last = int(start), int(end)
        except ValueError:
            ctx.report(path, number, f"Start/End {start!r}, {end!r} are not line numbers; row not imported")
            continue
        if not 1 <= first <= last:
            ctx.report(path, number, f"line range {first}-{last} is empty or reversed; row not imported")
            continue
        rows[name].append(_Row(number, first, last, label, _surface(raw, path, number, ctx)))
    return rows


def _token_file(csv_path: Path, name: str, ctx: ReadContext) -> Path | None:
    """The token file for ``name``; an InputError if the name (or a symlink) leads out of the CSV's folder."""
    if ctx.options.get("tokens"):
        return Path(ctx.options["tokens"])  # named by the caller, not by the data
    folder = csv_path.parent
    exact = inside(folder, folder / name)
    if exact.is_file():
        return exact
    stem = Path(name).stem
    found = sorted(p for p in folder.glob(f"{stem}*.txt") if p != csv_path)
    if len(found) == 1:
        inside(folder, found[0])
        ctx.report(csv_path, None, f"token file {name} not found; using {found[0].name} beside it", note=True)
        return found[0]
    return None


class AqmarTruthFormat(Format):
    name = NAME
    description = "AQMAR Topcoder truth.csv standoff (line-number spans over a token file beside it)"
    signature = f"a CSV header {HEADER}"

    def sniff(self, path: Path, head: str) -> bool:
        return head.split("\n", 1)[0].strip() == HEADER

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        for name, rows in _read_rows(path, ctx).items():
            try:
                tokens = _token_file(path, name, ctx)
            except InputError as exc:
                ctx.reject(path, rows[0].line, f"Filename {name!r}: {exc.problem}; "
                           f"{len(rows)} row(s) not imported")
                continue
            if tokens is None:
                ctx.report(path, rows[0].line, f"{len(rows)} row(s) for {name} not imported: its token file is "
                           "not beside the CSV")
                continue
            yield from self._documents(path, tokens, rows, ctx)

    def _documents(self, path: Path, tokens: Path, rows: list[_Row], ctx: ReadContext) -> Iterator[Record]:
        by_start: dict[int, list[_Row]] = defaultdict(list)
        for row in rows:
            by_start[row.start].append(row)
        used: set[int] = set()
        for number, sent in enumerate(read_sentences(tokens, ctx), start=1):
            index = {line: i for i, line in enumerate(sent.lines)}
            spans = []
            for line in sent.lines:
                for row in by_start.get(line, ()):
                    used.add(id(row))
                    if row.end not in index:
                        ctx.report(path, row.line, f"{row.label} span over lines {row.start}-{row.end} of "
                                   f"{tokens.name} crosses a sentence break; not imported")
                        continue
                    first, last = index[row.start], index[row.end]
                    if last - first != row.end - row.start:
                        ctx.report(path, row.line, f"lines {row.start}-{row.end} of {tokens.name} include a "
                                   "marker line; not imported")
                        continue
                    words = " ".join(sent.tokens[first:last + 1])
                    if words != row.surface:
                        ctx.report(path, row.line, f"Surface {row.surface!r} differs from the tokens "
                                   f"{words!r} at lines {row.start}-{row.end}; imported at the lines given")
                    spans.append((first, last + 1, row.label))
            record = sentence_record(sent, number, tokens, ctx, NAME, spans)
            if record is not None:
                yield record
        for row in rows:
            if id(row) not in used:
                ctx.report(path, row.line, f"line {row.start} of {tokens.name} is not a token line (blank or past "
                           "the end); row not imported")
