"""Our own JSONL format (see docs/format.md): one line per (document, annotator).

Reading accepts plain ``{"id"?, "text", "meta"?}`` lines too, so any JSONL of
texts imports; spans are checked against their ``text`` so an export can never
come back shifted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, TextIO

from annotator.formats._io import iter_jsonl
from annotator.formats._json import (
    ENCODE,
    INT_SLOT,
    JSON_SLOT,
    STR_SLOT,
    json_list,
    json_text,
    scalar_json,
    writer,
)
from annotator.formats._lines import ByteLines
from annotator.formats.base import Format, ReadContext, Record, WriteContext
from annotator.model.annotations import DOC_STATUSES, Annotations, Claim, Document, Entity
from annotator.model.checks import attributes_shape_problems, brief, id_problem, is_offset, json_type, source_problem


def record_line(record: Record, schema_name: str, schema_version: str) -> str:
    """The exported line for one record (without its line end), lone surrogates escaped (``_line``)."""
    return _escaped(_line(record, schema_name, schema_version))


def _line(record: Record, schema_name: str, schema_version: str) -> str:
    """The exported line for one record (without its line end): an object with the documented keys in
    their stable order (``_LINE``), what ``json.dumps(…, ensure_ascii=False)`` writes for it, built from the
    JSON of its values rather than as one dict encoded whole; a lone surrogate is left for the caller to
    escape (``_escaped``, ``_utf8``). Spans in the order the record holds them: ``iter_records`` puts a
    stored state's in canonical order (one owner)."""
    doc, ann = record.document, record.annotations
    text = doc.text
    ann = ann or Annotations(doc_id=doc.id, annotator=None)
    meta, attributes = doc.meta, ann.attributes
    return _LINE(doc.id, json_text(text), "{}" if meta == {} else ENCODE(dict(meta)), scalar_json(ann.annotator),
                 ann.status,
                 scalar_json(ann.schema_name or schema_name), scalar_json(ann.schema_version or schema_version),
                 _entities_json(ann.entities, text),
                 json_list([ENCODE(c.to_json(text)) for c in ann.claims]),
                 "{}" if attributes == {} else ENCODE(dict(sorted(attributes.items()))), ann.notes,
                 scalar_json(ann.created_at), scalar_json(ann.updated_at))


# the documented keys in their stable order
_LINE = writer({"id": STR_SLOT, "text": JSON_SLOT, "meta": JSON_SLOT, "annotator": JSON_SLOT, "status": STR_SLOT,
                "schema": {"name": JSON_SLOT, "version": JSON_SLOT}, "entities": JSON_SLOT, "claims": JSON_SLOT,
                "attributes": JSON_SLOT, "notes": STR_SLOT, "created_at": JSON_SLOT, "updated_at": JSON_SLOT})


def _entities_json(entities: Sequence[Entity], text: str) -> str:
    """``ENCODE([e.to_json(text) for e in entities])``: the usual entities (no source or identity: nearly all)
    by ``_ENTITY``, a format string when their fields have the types a state gives them, any other by its
    own JSON form."""
    if set(map(_UNUSUAL, entities)) <= _USUAL:
        return json_list([_ENTITY(i, s, e, label, text[s:e]) for i, s, e, label in map(_FIELDS, entities)])
    return json_list([ENCODE(e.to_json(text)) for e in entities])


# Entity.to_json's usual form
_ENTITY = writer({"id": STR_SLOT, "start": INT_SLOT, "end": INT_SLOT, "label": STR_SLOT, "text": STR_SLOT})
_FIELDS = attrgetter("id", "start", "end", "label")
_UNUSUAL, _USUAL = attrgetter("source", "identity"), {(None, None)}


def _escaped(line: str) -> str:
    """``line`` (JSON) with each lone surrogate (kept from a bad decoder) written as a \\u escape, so the line
    stays valid UTF-8 and reads back to the very same string."""
    try:
        line.encode("utf-8")  # several times quicker than searching for a surrogate, the rare case
    except UnicodeEncodeError:
        line = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
    return line


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(line: str) -> bytes:
    """``_escaped(line)`` as UTF-8: the one encoding of the line is also its check for a lone surrogate."""
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return _escaped(line).encode("utf-8")


class NativeFormat(Format):
    name = "native"
    holds_identities = True  # exporting reports the identities of a format without it as lost
    description = "annotator JSONL: one line per (document, annotator), entities and claims with exact offsets"
    # the keys a record may have: any other label-holding key is reported (formats/_io.check_keys)
    record_keys = frozenset({"id", "text", "meta", "annotator", "status", "schema", "entities", "claims",
                             "attributes", "notes", "created_at", "updated_at"})

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
        """One line as a record; every field it uses is type-checked first, and a record with
        any bad field is rejected (counted) with the field named, never half imported."""
        if not isinstance(obj, dict):
            ctx.reject(path, line_no, f"expected a JSON object, got {json_type(obj)}; record not imported")
            return None
        text = obj.get("text")
        if not isinstance(text, str):
            problem = "missing \"text\"" if text is None else f"field \"text\": must be text, not {json_type(text)}"
            ctx.reject(path, line_no, f"{problem}; record not imported")
            return None
        fields = _Fields(obj)
        doc_id = _whole_to_text(obj.get("id"))
        if doc_id is None:
            doc_id = f"{path.stem}:{line_no}"
        fields.check("id", id_problem(doc_id, ""))
        meta = obj.get("meta")
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            fields.bad("meta", f"must be an object, not {json_type(meta)}")
        elif not _finite(meta):
            fields.bad("meta", "holds NaN or Infinity, which JSON does not allow")
        annotator = fields.optional("annotator", lambda v: id_problem(v, ""))
        status = fields.optional("status", lambda v: None if isinstance(v, str) and v in DOC_STATUSES else
                                 f"must be one of {', '.join(DOC_STATUSES)}, not {brief(v)}") or "todo"
        notes = fields.optional("notes", lambda v: None if isinstance(v, str) else f"must be text, not {json_type(v)}")
        for name in ("created_at", "updated_at"):
            fields.optional(name, lambda v: None if isinstance(v, str) else f"must be text, not {json_type(v)}")
        schema_field = fields.optional("schema", lambda v: None if isinstance(v, dict) and all(
            isinstance(v.get(k), (str, type(None))) for k in ("name", "version"))
            else "must be an object with text \"name\" and \"version\"") or {}
        attributes = fields.optional("attributes", lambda v: None if isinstance(v, dict) else
                                     f"must be an object, not {json_type(v)}") or {}
        if isinstance(attributes, dict):
            for p in (ctx.schema.document_attribute_problems(attributes) if ctx.schema is not None else
                      attributes_shape_problems(attributes, "document")):
                fields.bad("attributes", p)
        entities = self._spans("entities", obj, text, fields, ctx)
        claims = self._spans("claims", obj, text, fields, ctx)
        if fields.unknown_labels and ctx.schema is not None:
            unknown = ", ".join(sorted(fields.unknown_labels))
            fields.problems.append(f"labels not in schema {ctx.schema.name}: {unknown} (map them with --label-map)")
        if fields.problems:
            ctx.reject(path, line_no, "; ".join(fields.problems) + f"; record {brief(doc_id)} not imported")
            return None
        doc = Document(doc_id, text, meta)
        if not (entities or claims or attributes or notes or status != "todo"):
            return Record(doc, None, line_no)
        return Record(doc, Annotations(
            doc_id=doc_id,
            annotator=annotator,
            status=status,
            notes=notes or "",
            entities=tuple(entities),
            claims=tuple(claims),
            attributes={k: v for k, v in attributes.items() if v is not None},
            schema_name=schema_field.get("name"),
            schema_version=schema_field.get("version"),
            created_at=obj.get("created_at"),
            updated_at=obj.get("updated_at"),
        ), line_no)

    def _spans(self, key: str, obj: dict, text: str, fields: _Fields, ctx: ReadContext) -> list:
        """The entities or claims of a record, each field typed; problems go to ``fields``."""
        items = obj.get(key)
        if items is None:
            return []
        if not isinstance(items, list):
            fields.bad(key, f"must be a list, not {json_type(items)}")
            return []
        kind = "entity" if key == "entities" else "claim"
        spans: list = []
        schema_label = ctx.schema.label if ctx.schema is not None else None
        # Each check's problem, and the span's name (``_Fields.span``), is made only when it finds one: a good span
        # (nearly every one) costs its checks alone (the names were a tenth of reading a labelled news article).
        for n, item in enumerate(items, 1):
            if not isinstance(item, dict):
                fields.span(kind, n, None, f"must be an object, not {json_type(item)}")
                continue
            before = len(fields.problems)
            span_id = _whole_to_text(item.get("id", f"{kind[0]}{n}"))
            if p := id_problem(span_id, ""):
                fields.span(kind, n, "id", p)
            start: Any = item.get("start")  # checked just below: a problem noted skips the span
            end: Any = item.get("end")
            for name, value in (("start", start), ("end", end)):
                if not is_offset(value):
                    fields.span(kind, n, name, f"must be a whole number, not {brief(value)}")
            source = item.get("source")
            if source is not None and (p := source_problem(source, "")):
                fields.span(kind, n, "source", p)
            given = item.get("text")
            if given is not None and not isinstance(given, str):
                fields.span(kind, n, "text", f"must be text, not {json_type(given)}")
            if kind == "entity":
                label: Any = item.get("label")
                if p := id_problem(label, ""):
                    fields.span(kind, n, "label", p)
                identity: Any = _whole_to_text(item.get("identity"))
                if identity is not None and (p := source_problem(identity, "")):
                    fields.span(kind, n, "identity", p)
                if isinstance(label, str) and ctx.label_map:
                    label = ctx.label_map.get(label, label)
                if isinstance(label, str) and schema_label is not None and schema_label(label) is None:
                    fields.unknown_labels.add(label)
            else:
                claimer: Any = item.get("claimer")
                if claimer is not None and (p := id_problem(claimer, "")):
                    fields.span(kind, n, "claimer", p)
                attrs: Any = item.get("attributes")
                if attrs is None:
                    attrs = {}
                if not isinstance(attrs, dict):
                    fields.span(kind, n, "attributes", f"must be an object, not {json_type(attrs)}")
                else:
                    for p in (ctx.schema.claims.attribute_problems(attrs) if ctx.schema is not None else
                              attributes_shape_problems(attrs, "claim")):
                        fields.span(kind, n, "attributes", p)
            if len(fields.problems) > before:
                continue
            if not start < end <= len(text) or start < 0:
                fields.span(kind, n, None, f"[{start}, {end}) is empty or outside the text (length {len(text)})")
                continue
            if given is not None and text[start:end] != given:
                fields.span(kind, n, "text", f"says {brief(given)} but the text at [{start}, {end}) "
                                             f"is {brief(text[start:end])}")
                continue
            if kind == "entity":
                spans.append(Entity(span_id, start, end, label, source, identity))
            else:
                spans.append(Claim(span_id, start, end, {k: v for k, v in attrs.items() if v is not None},
                                   claimer, source))
        return spans

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        name, version = ctx.schema.name, ctx.schema.version
        with ByteLines(out) as lines:
            if lines.raw is None:
                for record in records:
                    out.write(record_line(record, name, version) + "\n")
                return
            for record in records:  # the line encoded once (out.write would encode it again after the check)
                lines.add(_utf8(_line(record, name, version)))


class _Fields:
    """The problems found in one record's fields, each prefixed with the field it is in."""

    def __init__(self, obj: dict) -> None:
        self.obj = obj
        self.problems: list[str] = []
        self.unknown_labels: set[str] = set()

    def bad(self, field: str, problem: str) -> None:
        """A problem in the top-level key ``field``."""
        self.problems.append(f"field \"{field}\": {problem}")

    def check(self, field: str, problem: str | None) -> None:
        if problem:
            self.bad(field, problem)

    def span(self, kind: str, number: int, field: str | None, problem: str) -> None:
        """A ``problem`` of the ``number``-th entity or claim, in its ``field`` (None: of the span itself): the
        one place a span's problems are named ("entity #2 field "start": …"), called only with a problem."""
        self.problems.append(f"{kind} #{number} {problem}" if field is None
                             else f"{kind} #{number} field \"{field}\": {problem}")

    def optional(self, name: str, problem: Callable[[Any], str | None]) -> Any:
        """The field's value when absent/null or good; None (and a problem noted) when bad."""
        value = self.obj.get(name)
        if value is None:
            return None
        found = problem(value)
        if found:
            self.bad(name, found)
            return None
        return value


def _whole_to_text(value: Any) -> Any:
    """Ids are text; a whole number (``"id": 17`` from some script) stands for its digits."""
    return str(value) if is_offset(value) else value


def _finite(value: Any) -> bool:
    """No NaN or Infinity anywhere inside (Python's JSON reader lets them in; JSON forbids them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True
