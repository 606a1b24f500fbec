"""CheckThat! lab TSV files: tweets with document-level claim labels.

Task 1 files (2021: ``topic_id tweet_id tweet_url tweet_text claim
claim_worthiness``; 2022: ``topic tweet_id tweet_url tweet_text class_label``) are
tab-separated with quoting OFF: tweets hold raw ``"`` and a CSV reader would merge
lines. The 2022 Task 2A queries file (``tweet_id tweet_text`` only) is the
opposite: CSV-quoted text over several lines, read with a quote-aware reader.
``ctx.options["quoting"]`` (``none`` or ``csv``) overrides the choice.

One document per tweet (id = ``tweet_id``); ``topic``/``topic_id``/``tweet_url``
go to document meta, every other column (``claim``, ``claim_worthiness``,
``class_label`` …) becomes a document attribute, as written (``"1"``); the schema
types them (a boolean attribute reads ``1``/``0``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from annotator.formats._io import iter_lines
from annotator.formats._records import finish, import_meta, render_value
from annotator.formats._stored import STR, Shape, Stored, list_of
from annotator.formats.base import Format, ReadContext, Record, WriteContext
from annotator.model.annotations import Annotations, AttrValue, Document

NAME = "checkthat"
TEXT_COLUMNS = ("tweet_text", "text")
ID_COLUMNS = ("tweet_id", "id")
META_COLUMNS = ("topic_id", "topic", "tweet_url", "url")


def _rows(path: Path, ctx: ReadContext) -> Iterator[tuple[int, list[str], str]]:
    """``(line, fields, quoting)`` for the header and each data row."""
    lines = iter(iter_lines(path))
    first = next(lines, None)
    if first is None:
        return
    number, header = first
    columns = header.split("\t")
    quoting = ctx.options.get("quoting") or ("csv" if columns == ["tweet_id", "tweet_text"] else "none")
    yield number, columns, quoting
    if quoting == "none":
        for number, line in lines:
            if line.strip():
                yield number, line.split("\t"), quoting
        return
    numbered = ((n, line + "\n") for n, line in lines)
    current = [1]

    def physical() -> Iterator[str]:
        for n, text in numbered:
            current[0] = n
            yield text

    reader = csv.reader(physical(), delimiter="\t", quotechar='"', strict=False)
    previous_end = number  # the record starts on the line after the previous one ended
    for fields in reader:
        start, previous_end = previous_end + 1, current[0]
        if fields and any(f.strip() for f in fields):
            yield start, fields, quoting


class CheckThatFormat(Format):
    name = NAME
    description = "CheckThat! lab TSV (tweets with claim / check-worthiness labels)"
    signature = "a TSV header with tweet_id and tweet_text"

    def sniff(self, path: Path, head: str) -> bool:
        first = head.split("\n", 1)[0].rstrip("\r").split("\t")
        return any(c in first for c in TEXT_COLUMNS) and any(c in first for c in ID_COLUMNS)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        rows = _rows(path, ctx)
        header = next(rows, None)
        if header is None:
            return
        _, columns, quoting = header
        text_col = next((c for c in TEXT_COLUMNS if c in columns), None)
        id_col = next((c for c in ID_COLUMNS if c in columns), None)
        if text_col is None or id_col is None:
            from annotator.errors import InputError

            raise InputError("header has no tweet_id and tweet_text columns", str(path), 1)
        for number, fields, _ in rows:
            ctx.next_record()
            if len(fields) != len(columns):
                ctx.reject(path, number, f"expected {len(columns)} tab-separated fields, found {len(fields)}; "
                           "tweet not imported")
                continue
            row = dict(zip(columns, fields, strict=False))
            doc_id = row[id_col]
            meta = {c: row[c] for c in columns if c in META_COLUMNS}
            attributes: dict[str, AttrValue] = {
                c: row[c] for c in columns if c not in META_COLUMNS and c not in (text_col, id_col)}
            extra = {"columns": columns, "quoting": quoting}
            doc = Document(doc_id, row[text_col], import_meta(NAME, path, number, extra, meta))
            ann = Annotations(doc_id=doc_id, annotator=None, attributes=attributes)
            record = finish(Record(doc, ann, number), ctx, path, NAME)
            if record is not None:
                yield record

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        columns: list[str] | None = None
        writer: Any = None
        for rec in records:
            doc, ann = rec.document, rec.annotations
            attrs = dict(ann.attributes) if ann else {}
            if columns is None:  # the header comes from the first document
                ex = Stored(doc, NAME, ctx)
                columns = ex.get("columns", _COLUMNS) or ["tweet_id", "tweet_text", *sorted(attrs)]
                if ex.get("quoting", STR) == "csv":
                    writer = csv.writer(out, delimiter="\t", quotechar='"', lineterminator="\n")
                _write_row(out, writer, columns)
            values = {**{k: _meta_cell(v) for k, v in doc.meta.items() if k in META_COLUMNS},
                      **{k: _cell(v) for k, v in attrs.items()}, "tweet_id": doc.id, "id": doc.id,
                      "tweet_text": doc.text, "text": doc.text}
            missing = sorted(set(attrs) - set(columns))
            if missing:
                ctx.report(ctx.target, None, f"document {doc.id!r}: attributes {', '.join(missing)} have no column "
                           "(the header comes from the first document); not written")
            row = [values.get(c, "") for c in columns]
            if writer is None and any(ch in cell for cell in row for ch in "\t\n\r"):
                what = "the text" if any(ch in doc.text or ch in doc.id for ch in "\t\n\r") else "a value"
                ctx.report(ctx.target, None, f"document {doc.id!r}: a tab or line break in {what} cannot be "
                           "written with quoting off; tweet not written")
                continue
            if ann and (ann.entities or ann.claims):
                ctx.report(ctx.target, None, f"document {doc.id!r}: spans are not written (CheckThat! TSV holds "
                           "document labels only)")
            _write_row(out, writer, row)


# the header an import kept: column names, each one cell of a tab-separated line
_COLUMNS = list_of(Shape(lambda v: isinstance(v, str) and v != "" and not any(c in v for c in "\t\n\r"),
                         "column name"))


def _meta_cell(value: Any) -> str:
    """A meta column (topic, url) as a cell: text as it is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _cell(value: AttrValue) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return render_value(value)


def _write_row(out: TextIO, writer: Any, fields: list[str]) -> None:
    if writer is not None:
        writer.writerow(fields)
    else:
        out.write("\t".join(fields) + "\n")
