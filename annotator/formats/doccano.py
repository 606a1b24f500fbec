"""doccano JSONL, both sequence-labelling forms.

* ``label`` form: ``{"text": …, "label": [[start, end, "PER"], …]}``
* ``entities``/``relations`` form: ``{"text": …, "entities": [{"id", "start_offset",
  "end_offset", "label"}], "relations": [{"id", "from_id", "to_id", "type"}]}``

Offsets are code points. A claim is an entity labelled ``CLAIM`` and its claimer a
``claimed_by`` relation from the claim to the entity; a ``same-as`` relation from a mention
to another makes them one identity (``Entity.identity``). Claim attributes ride in an
``attributes`` key of the claim entity (doccano keeps unknown keys; it does not
show them). Document id, notes, status and attributes go in top-level ``doc_id``,
``notes``, ``status``, ``attributes`` (doccano turns unknown columns into metadata).

The writer uses the form the document came in; documents from elsewhere get the
``entities`` form when the schema has claims, else the ``label`` form. Entity ids
are renumbered 0, 1, … in the ``entities`` form.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import starmap
from operator import methodcaller
from pathlib import Path
from typing import Any, TextIO

from annotator.formats._json import ENCODE, INT_SLOT, STR_SLOT, Raw, encode_spliced, encode_spliced_utf8, writer
from annotator.formats._lines import ByteLines
from annotator.formats._records import (
    IDENTITY_RELATION,
    JsonLinesFormat,
    Kept,
    identity_relations,
    import_meta,
    is_claimer_relation,
    is_identity_relation,
    keep_foreign_keys,
)
from annotator.formats._spans import SpanCollector, read_span
from annotator.formats._stored import one_of, written
from annotator.formats.base import ReadContext, Record, WriteContext
from annotator.model.annotations import DOC_STATUSES, Annotations, Claim, Document, identities_of, with_identities

NAME = "doccano"
CLAIM_LABEL = "CLAIM"
CLAIMER_TYPE = "claimed_by"
_MODEL_KEYS = ("text", "label", "entities", "relations", "doc_id", "notes", "status", "attributes", "meta")


class DoccanoFormat(JsonLinesFormat):
    name = NAME
    holds_identities = True  # same-as relations (the label form reports them lost itself)
    description = "doccano JSONL (label form, or entities/relations form)"
    signature = "JSON lines with text and label [[start, end, LABEL]] or entities with start_offset"
    record_keys = frozenset({*_MODEL_KEYS, "id"})

    def looks_like(self, first: dict[str, Any]) -> bool:
        label, entities = first.get("label"), first.get("entities")
        if isinstance(label, list):
            return all(isinstance(x, list) for x in label)
        if isinstance(entities, list) and entities:
            return isinstance(entities[0], dict) and "start_offset" in entities[0]
        return isinstance(entities, list) and "relations" in first

    def build(self, obj: dict[str, Any], text: str, path: Path, line: int, ctx: ReadContext) -> Record | None:
        extra = keep_foreign_keys(obj, _MODEL_KEYS)
        doc_id = obj.get("doc_id")
        if doc_id is None:
            doc_id = obj.get("id", f"{path.stem}:{line}")
            extra["derived_id"] = True
        doc_id = str(doc_id)
        found = SpanCollector(ctx)
        entities, claims = found.entities, found.claims
        by_foreign_id: dict[Any, tuple[str, int]] = {}  # doccano id -> ("e"|"c", index)
        if "entities" in obj:
            extra["form"] = "entities"
            if obj.get("label"):
                ctx.report(path, line, "both \"label\" and \"entities\": the entities form is read, the label "
                           "list is not imported")
            items = obj.get("entities") or []
            for k, sp in enumerate(items if isinstance(items, list) else []):
                got = read_span(sp, text, "start_offset", "end_offset", "label", ctx, path, line, f"entity {k + 1}")
                if got is None:
                    continue
                by_foreign_id[sp.get("id")] = found.add(sp, *got)
        else:
            extra["form"] = "label"
            items = obj.get("label") or []
            for k, triple in enumerate(items if isinstance(items, list) else []):
                if not (isinstance(triple, list) and len(triple) == 3):
                    ctx.report(path, line, f"label {k + 1} is not [start, end, label]; not imported")
                    continue
                got = read_span({"s": triple[0], "e": triple[1], "l": triple[2]}, text, "s", "e", "l", ctx, path,
                                line, f"label {k + 1}")
                if got is None:
                    continue
                found.add({}, *got)
        same: list[tuple[str, str]] = []
        for k, rel in enumerate(obj.get("relations") or []):
            kind = rel.get("type") if isinstance(rel, dict) else None
            src = by_foreign_id.get(rel.get("from_id")) if isinstance(rel, dict) else None
            dst = by_foreign_id.get(rel.get("to_id")) if isinstance(rel, dict) else None
            if isinstance(kind, str) and is_identity_relation(kind):
                if src is None or dst is None or src[0] != "e" or dst[0] != "e":
                    ctx.report(path, line, f"relation {k + 1} ({kind}) does not join two entities; not imported")
                else:
                    same.append((entities[src[1]].id, entities[dst[1]].id))
            elif not isinstance(kind, str) or not is_claimer_relation(kind):
                ctx.report(path, line, f"relation {k + 1} ({kind!r}) is not a claimer link; not imported")
            elif src is None or dst is None or src[0] != "c" or dst[0] != "e":
                ctx.report(path, line, f"relation {k + 1} ({kind}) does not go from a claim to an entity; "
                           "not imported")
            else:
                c = claims[src[1]]
                claims[src[1]] = Claim(c.id, c.start, c.end, c.attributes, entities[dst[1]].id)
        status = obj["status"] if obj.get("status") in DOC_STATUSES else "todo"
        ann = Annotations(doc_id=doc_id, annotator=None, status=status, notes=str(obj.get("notes") or ""),
                          entities=tuple(with_identities(entities, identities_of(same))), claims=tuple(claims),
                          attributes=dict(obj["attributes"]) if isinstance(obj.get("attributes"), dict) else {})
        meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
        return Record(Document(doc_id, text, import_meta(NAME, path, line, extra, meta)), ann, line)

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        with ByteLines(out) as lines:  # a UTF-8 file or standard output: lines written as the bytes made
            for rec in records:
                line = written(lambda r: self.line(r, ctx), rec, ctx, NAME)
                if line is not None:
                    places = [(line, key) for key in ("label", "entities") if isinstance(line.get(key), Raw)]
                    made = encode_spliced_utf8(line, places) if lines.raw is not None else None
                    if made is not None:
                        lines.add(made)
                    else:  # another stream, a huge text: written as text
                        lines.text(methodcaller("write", encode_spliced(line, places) + "\n"))

    def line(self, rec: Record, ctx: WriteContext) -> dict[str, Any]:
        doc, ann = rec.document, rec.annotations
        kept = Kept(doc, NAME, ctx)
        form = kept.stored.take("form", one_of("entities", "label")) or (
            "entities" if ctx.schema.claims.enabled else "label")
        obj: dict[str, Any] = {}
        if not kept.derived_id:
            obj["doc_id"] = doc.id
        obj["text"] = doc.text
        entities = list(ann.entities) if ann else []
        claims = list(ann.claims) if ann else []
        if form == "label":
            spans = [(e.start, e.end, e.label) for e in entities] + [(c.start, c.end, CLAIM_LABEL) for c in claims]
            spans.sort(key=lambda s: (s[0], -s[1], s[2]))
            obj["label"] = Raw(starmap(_TRIPLE, spans))
            lost = sum(1 for c in claims if c.attributes or c.claimer)
            if lost:
                ctx.report(ctx.target, None, f"document {doc.id!r}: the doccano label form cannot hold claim "
                           f"attributes or claimers ({lost} claim(s) lose them)")
            if identity_relations(entities):
                ctx.report(ctx.target, None, f"document {doc.id!r}: the doccano label form cannot hold "
                           "identities (same-as links); not written")
        else:
            same = identity_relations(entities)
            numbers = {e.id: n for n, e in enumerate(entities)} if claims or same else {}  # for relations only
            items = [_ITEM(n, e.start, e.end, e.label) for n, e in enumerate(entities)]
            relations: list[dict[str, Any]] = []
            for c in claims:
                item: dict[str, Any] = {"id": len(items), "start_offset": c.start, "end_offset": c.end,
                                        "label": CLAIM_LABEL}
                if c.attributes:
                    item["attributes"] = dict(c.attributes)
                items.append(ENCODE(item))
                if c.claimer in numbers:
                    relations.append({"id": len(relations), "from_id": item["id"], "to_id": numbers[c.claimer],
                                      "type": CLAIMER_TYPE})
            relations += [{"id": len(relations) + n, "from_id": numbers[a], "to_id": numbers[b],
                           "type": IDENTITY_RELATION} for n, (a, b) in enumerate(same)]
            obj["entities"] = Raw(items)
            obj["relations"] = relations
        if ann is not None:
            if ann.status != "todo" or "status" in kept.key_order:
                obj["status"] = ann.status
            if ann.notes:
                obj["notes"] = ann.notes
            if ann.attributes:
                obj["attributes"] = dict(ann.attributes)
        return kept.finish(obj)


_TRIPLE = writer([INT_SLOT, INT_SLOT, STR_SLOT])  # a span of the label form, [start, end, label]
# an entity of the entities form
_ITEM = writer({"id": INT_SLOT, "start_offset": INT_SLOT, "end_offset": INT_SLOT, "label": STR_SLOT})
