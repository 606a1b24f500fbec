"""Our own JSONL format (see docs/format.md): one line per (document, annotator).

Reading accepts plain ``{"id"?, "text", "meta"?}`` lines too, so any JSONL of
texts imports; spans are checked against their ``text`` so an export can never
come back shifted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

from annotator.formats.base import ReadContext, Record, WriteContext, register
from annotator.formats._io import iter_jsonl
from annotator.model.annotations import DOC_STATUSES, Annotations, Claim, Document, Entity, sort_spans

KEY_ORDER = ("id", "text", "meta", "annotator", "status", "schema", "entities", "claims",
             "attributes", "notes", "created_at", "updated_at")


def record_to_json(record: Record, schema_name: str, schema_version: str) -> dict[str, Any]:
    """The exported object for one record, keys in the documented, stable order."""
    doc, ann = record.document, record.annotations
    text = doc.text
    ann = ann or Annotations(doc_id=doc.id, annotator=None)
    return {
        "id": doc.id,
        "text": text,
        "meta": dict(doc.meta),
        "annotator": ann.annotator,
        "status": ann.status,
        "schema": {"name": ann.schema_name or schema_name, "version": ann.schema_version or schema_version},
        "entities": [e.to_json(text) for e in sort_spans(ann.entities)],
        "claims": [c.to_json(text) for c in sort_spans(ann.claims)],
        "attributes": dict(sorted(ann.attributes.items())),
        "notes": ann.notes,
        "created_at": ann.created_at,
        "updated_at": ann.updated_at,
    }


def dumps_line(obj: Any) -> str:
    """Compact UTF-8 JSON; a lone surrogate (kept from a bad decoder) is written as a \\u escape
    so the line stays valid UTF-8 and reads back to the very same string."""
    line = json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    if _SURROGATE.search(line):
        line = _SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), line)
    return line


_SURROGATE = re.compile("[\ud800-\udfff]")


class NativeFormat:
    name = "native"
    description = "annotator JSONL: one line per (document, annotator), entities and claims with exact offsets"
    record_keys = frozenset(KEY_ORDER)  # any other label-holding key is reported (formats/_io.check_keys)

    def sniff(self, path: Path, head: str) -> bool:
        first = next((ln for ln in head.splitlines() if ln.strip()), "")
        return first.lstrip().startswith("{") and '"text"' in first and (
            path.suffix in (".jsonl", ".ndjson", ".json") or '"entities"' in first or '"id"' in first)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        for line_no, obj in iter_jsonl(path, ctx):
            record = self._record(obj, path, line_no, ctx)
            if record is not None:
                yield record

    def _record(self, obj: Any, path: Path, line_no: int, ctx: ReadContext) -> Record | None:
        if not isinstance(obj, dict):
            ctx.report(path, line_no, f"expected a JSON object, got {type(obj).__name__}; record skipped")
            return None
        text = obj.get("text")
        if not isinstance(text, str):
            ctx.report(path, line_no, "missing \"text\" (a string); record skipped")
            return None
        doc_id = obj.get("id")
        if doc_id is None:
            doc_id = f"{path.stem}:{line_no}"
        meta = obj.get("meta") or {}
        if not isinstance(meta, dict):
            ctx.report(path, line_no, "\"meta\" must be an object; record skipped")
            return None
        doc = Document(str(doc_id), text, meta)
        has_labels = any(obj.get(k) for k in ("entities", "claims", "attributes", "notes")) or \
            obj.get("status") not in (None, "todo")
        if not has_labels:
            return Record(doc, None, line_no)
        try:
            ann = self._annotations(obj, doc, path, line_no, ctx)
        except (KeyError, TypeError, ValueError) as exc:
            ctx.report(path, line_no, f"bad span or field ({exc}); record skipped")
            return None
        if ann is None:
            return None
        return Record(doc, ann, line_no)

    def _annotations(self, obj: dict, doc: Document, path: Path, line_no: int,
                     ctx: ReadContext) -> Annotations | None:
        text = doc.text
        entities: list[Entity] = []
        claims: list[Claim] = []
        ok = True
        for kind, items, parse in (("entity", obj.get("entities") or [], Entity.from_json),
                                   ("claim", obj.get("claims") or [], Claim.from_json)):
            if not isinstance(items, list):
                ctx.report(path, line_no, f"\"{kind}\" list expected")
                return None
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    ctx.report(path, line_no, f"{kind} #{i + 1} is not an object")
                    ok = False
                    continue
                if "id" not in item:
                    item = {**item, "id": f"{kind[0]}{i + 1}"}
                span = parse(item)
                label = getattr(span, "label", None)
                if label is not None and ctx.label_map:
                    span = Entity(span.id, span.start, span.end, ctx.label_map.get(label, label), span.source)
                if not (0 <= span.start < span.end <= len(text)):
                    ctx.report(path, line_no, f"{kind} {span.id} [{span.start}, {span.end}) is outside the text "
                                              f"(length {len(text)})")
                    ok = False
                    continue
                given = item.get("text")
                if given is not None and text[span.start:span.end] != given:
                    ctx.report(path, line_no, f"{kind} {span.id} [{span.start}, {span.end}) says {given!r} but "
                                              f"the text there is {text[span.start:span.end]!r}")
                    ok = False
                    continue
                (entities if kind == "entity" else claims).append(span)  # type: ignore[arg-type]
        if ctx.schema is not None:
            unknown = sorted({e.label for e in entities if ctx.schema.label(e.label) is None})
            if unknown:
                ctx.report(path, line_no, f"labels not in schema {ctx.schema.name}: {', '.join(unknown)} "
                                          f"(map them with --label-map); record skipped")
                return None
        if not ok:
            ctx.report(path, line_no, "record skipped because of the span problems above")
            return None
        status = obj.get("status") or "todo"
        if status not in DOC_STATUSES:
            ctx.report(path, line_no, f"unknown status {status!r}; record skipped")
            return None
        schema = obj.get("schema") or {}
        return Annotations(
            doc_id=doc.id,
            annotator=obj.get("annotator"),
            status=status,
            notes=str(obj.get("notes") or ""),
            entities=tuple(entities),
            claims=tuple(claims),
            attributes=dict(obj.get("attributes") or {}),
            schema_name=schema.get("name") if isinstance(schema, dict) else None,
            schema_version=schema.get("version") if isinstance(schema, dict) else None,
            created_at=obj.get("created_at"),
            updated_at=obj.get("updated_at"),
        )

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        for record in records:
            obj = record_to_json(record, ctx.schema.name, ctx.schema.version)
            out.write(dumps_line(obj))
            out.write("\n")


register(NativeFormat())
