"""Label Studio exports: JSON (``label-studio``) and JSON_MIN (``label-studio-min``).

Offsets in Label Studio are JavaScript string offsets (UTF-16 code units); they are
converted exactly both ways (``offsets.Utf16Offsets``), so a text with emoji keeps
its spans. An offset that falls inside a surrogate pair is reported.

JSON: a list of tasks ``{"id", "data": {"text"}, "annotations": [{"completed_by",
"result": [...]}], "predictions": [...]}``; each annotation becomes one record (its
annotator is ``completed_by``); a task without annotations gives its predictions as
pre-annotations. In ``result``: ``labels`` regions are entities (label ``Claim``
makes a claim); a ``relation`` labelled ``claimed_by`` links a claim to its
claimer, one labelled ``same-as`` two mentions of one identity (``Entity.identity``);
``choices``/``textarea``/``number`` items whose ``id`` is a claim's region
id are that claim's attributes (``from_name`` = attribute key); the same without a
region are document attributes, except ``from_name: notes`` (document notes).

JSON_MIN: one flat object per annotation: ``text``, the regions under their control
name (``label``), document choices as top-level keys. It cannot hold relations or
per-region attributes: claims keep their span only (docs/formats.md).

Long because it holds both Label Studio formats, which share the region, relation and
attribute mapping and the UTF-16 offset conversion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter, methodcaller
from pathlib import Path
from typing import Any, TextIO

from annotator.formats._io import Sample, check_readable, first_json_line, iter_json_items
from annotator.formats._json import (
    ENCODE,
    INT_SLOT,
    JSON_SLOT,
    STR_SLOT,
    Raw,
    encode_spliced,
    encode_spliced_utf8,
    writer,
)
from annotator.formats._lines import ByteLines
from annotator.formats._records import (
    IDENTITY_RELATION,
    IdMaker,
    finish,
    guarded,
    identity_relations,
    import_meta,
    in_key_order,
    is_claim_label,
    is_claimer_relation,
    is_identity_relation,
    plain_meta,
    render_value,
)
from annotator.formats._stored import ANY, KEY_ORDER, OBJECT, STR, Stored, one_of, without_import, written
from annotator.formats.base import Format, ReadContext, Record, WriteContext
from annotator.formats.offsets import Utf16Offsets
from annotator.model.annotations import Annotations, AttrValue, Claim, Document, Entity, identities_of, with_identities

CLAIM_LABEL = "Claim"
CLAIMER_LABEL = "claimed_by"
NOTES_CONTROL = "notes"
_MIN_META_KEYS = ("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time")


class _Regions:
    """Entities, claims and attributes gathered from one ``result`` list."""

    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self.claims: list[Claim] = []
        self.attributes: dict[str, AttrValue] = {}
        self.notes = ""
        self.from_name: str | None = None
        self.to_name: str | None = None


def _region_offsets(value: dict[str, Any], conv: Utf16Offsets, what: str, ctx: ReadContext, path: Path,
                    line: int) -> tuple[int, int] | None:
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        ctx.report(path, line, f"{what}: offsets {start!r}, {end!r} are not integers; not imported")
        return None
    s, e = conv.to_codepoint(start), conv.to_codepoint(end)
    if s is None or e is None or s >= e:
        ctx.report(path, line, f"{what}: UTF-16 offsets [{start},{end}) are outside the text, empty, or split "
                   "an emoji; not imported")
        return None
    given = value.get("text")
    if isinstance(given, str) and given != conv.text[s:e]:
        ctx.report(path, line, f"{what}: its text {given!r} differs from the text at UTF-16 [{start},{end}) "
                   f"{conv.text[s:e]!r}; imported at the offsets given", note=True)
    return s, e


def _value_of(item: dict[str, Any]) -> AttrValue:
    value = item.get("value") or {}
    kind = item.get("type")
    if kind == "choices":
        got = value.get("choices") or []
        return got[0] if len(got) == 1 else ",".join(map(str, got))
    if kind == "textarea":
        got = value.get("text") or []
        return "\n".join(map(str, got)) if isinstance(got, list) else str(got)
    if kind == "number":
        return value.get("number")
    if kind == "rating":
        return value.get("rating")
    return None


def _parse_result(result: Any, conv: Utf16Offsets, ctx: ReadContext, path: Path, line: int) -> _Regions:
    out = _Regions()
    if not isinstance(result, list):
        ctx.report(path, line, "\"result\" is not a list; nothing imported from it")
        return out
    new_entity = IdMaker("e", (str(r.get("id")) for r in result if isinstance(r, dict)))
    region_of: dict[str, tuple[str, int]] = {}  # LS region id -> ("e"|"c", index)
    later: list[dict[str, Any]] = []
    for k, item in enumerate(result):
        if not isinstance(item, dict):
            ctx.report(path, line, f"result item {k + 1} is not an object; not imported")
            continue
        if item.get("type") != "labels":
            later.append(item)
            continue
        value = item.get("value") or {}
        labels = value.get("labels") or []
        where = _region_offsets(value, conv, f"region {item.get('id', k + 1)}", ctx, path, line)
        if where is None:
            continue
        if not labels:
            ctx.report(path, line, f"region {item.get('id', k + 1)} has no label; not imported")
            continue
        out.from_name = out.from_name or item.get("from_name")
        out.to_name = out.to_name or item.get("to_name")
        rid = str(item.get("id") or new_entity())
        for n, label in enumerate(labels):
            span_id = rid if n == 0 else new_entity()
            if is_claim_label(str(label), ctx):
                out.claims.append(Claim(span_id, where[0], where[1]))
                region_of.setdefault(rid, ("c", len(out.claims) - 1))
            else:
                out.entities.append(Entity(span_id, where[0], where[1], str(label)))
                region_of.setdefault(rid, ("e", len(out.entities) - 1))
    claim_attrs: dict[int, dict[str, AttrValue]] = {}
    same: list[tuple[str, str]] = []  # same-as relations: mentions of one identity
    for item in later:
        kind = item.get("type")
        if kind == "relation":
            labels = item.get("labels") or []
            src, dst = region_of.get(str(item.get("from_id"))), region_of.get(str(item.get("to_id")))
            if item.get("direction") == "left":
                src, dst = dst, src
            if any(is_identity_relation(str(lab)) for lab in labels):
                if src is None or dst is None or src[0] != "e" or dst[0] != "e":
                    ctx.report(path, line, f"{IDENTITY_RELATION} relation does not join two entities; not imported")
                else:
                    same.append((out.entities[src[1]].id, out.entities[dst[1]].id))
            elif not any(is_claimer_relation(str(lab)) for lab in labels):
                ctx.report(path, line, f"relation {labels!r} is not a claimer link; not imported")
            elif src is None or dst is None or src[0] != "c" or dst[0] != "e":
                ctx.report(path, line, "claimed_by relation does not go from a claim to an entity; not imported")
            else:
                c = out.claims[src[1]]
                out.claims[src[1]] = Claim(c.id, c.start, c.end, c.attributes, out.entities[dst[1]].id)
            continue
        if kind not in ("choices", "textarea", "number", "rating"):
            ctx.report(path, line, f"result item of type {kind!r} not imported")
            continue
        key = str(item.get("from_name") or "")
        target = region_of.get(str(item.get("id")))
        if target is not None and target[0] == "c":
            claim_attrs.setdefault(target[1], {})[key] = _value_of(item)
        elif target is not None:
            ctx.report(path, line, f"{key!r} on entity region {item.get('id')}: entity attributes are not "
                       "part of our model; not imported")
        elif key == NOTES_CONTROL and kind == "textarea":
            out.notes = str(_value_of(item))
        else:
            out.attributes[key] = _value_of(item)
    for i, attrs in claim_attrs.items():
        c = out.claims[i]
        out.claims[i] = Claim(c.id, c.start, c.end, attrs, c.claimer)
    out.entities = with_identities(out.entities, identities_of(same))
    return out


def _text_key(data: Any) -> str | None:
    """The ``data`` field holding the task's text: ``text``, else its only string field."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("text"), str):
        return "text"
    keys = [k for k, v in data.items() if isinstance(v, str) and k != "doc_id"]
    return keys[0] if len(keys) == 1 else None


def _group_by_document(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Consecutive records of the same document (one task, several annotators)."""
    group: list[Record] = []
    for rec in records:
        if group and rec.document.id != group[0].document.id:
            yield group
            group = []
        group.append(rec)
    if group:
        yield group


def _write_array(items: Iterable[dict[str, Any]], out: TextIO) -> None:
    """The items as a JSON array, one a line: ``[``, each item (and a comma but after the last), ``]``. Under a
    UTF-8 file or standard output each item's line is made as bytes (``encode_spliced_utf8``), held until
    the next tells whether a comma ends it."""
    with ByteLines(out) as lines:
        if lines.raw is None:
            out.write("[")
            for k, item in enumerate(items):
                out.write(",\n" if k else "\n")
                out.write(_encode_task(item))
            out.write("\n]\n")
            return
        lines.add(b"[")
        end: Callable[[bool], None] | None = None  # the last item's line end, with a comma if another follows
        for item in items:
            if end is not None:
                end(True)
            end = _item_line(item, lines)
        if end is not None:
            end(False)
        lines.add(b"]")


def _item_line(item: dict[str, Any], lines: ByteLines) -> Callable[[bool], None]:
    """Writes ``item``'s line to ``lines`` but for its end, which the returned function writes (a comma first,
    given True): the line as the bytes ``encode_spliced_utf8`` makes, held until then; a line too long to
    splice as text (``encode_spliced``'s), at once."""
    places = _places(item)
    made = encode_spliced_utf8(item, places)
    if made is not None:
        return lambda comma: lines.add(made + b"," if comma else made)
    lines.text(methodcaller("write", encode_spliced(item, places)))
    return lambda comma: lines.text(methodcaller("write", ",\n" if comma else "\n"))


def _encode_task(task: dict[str, Any]) -> str:
    """``ENCODE(task)`` (a task, or a JSON_MIN item), what was written as JSON already (``Raw``: a JSON_MIN
    item's regions, an annotation's results) put in its place (``encode_spliced``)."""
    return encode_spliced(task, _places(task))


def _places(task: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Where a task (or a JSON_MIN item) holds what was written as JSON already (``Raw``: a JSON_MIN item's
    regions, an annotation's results)."""
    places = [(task, k) for k, v in task.items() if isinstance(v, Raw)]
    places += [(obj, "result") for key in ("annotations", "predictions") for obj in task.get(key) or ()
               if isinstance(obj, dict) and isinstance(obj.get("result"), Raw)]
    return places


def _span_value(text: str, conv: Utf16Offsets, start: int, end: int) -> dict[str, Any]:
    return {"start": conv.to_utf16(start), "end": conv.to_utf16(end), "text": text[start:end]}


_REGION_VALUE = {"start": INT_SLOT, "end": INT_SLOT, "text": STR_SLOT, "labels": [STR_SLOT]}  # _span_value's, labelled
_REGION = writer({"id": STR_SLOT, "from_name": JSON_SLOT, "to_name": JSON_SLOT, "type": "labels",
                  "value": _REGION_VALUE})
_MIN_REGION = writer(_REGION_VALUE)  # a JSON_MIN region
_START, _END, _LABEL = attrgetter("start"), attrgetter("end"), attrgetter("label")


class LabelStudioFormat(Format):
    name = "label-studio"
    holds_identities = True  # same-as relations
    description = "Label Studio JSON export (tasks with annotations; UTF-16 offsets)"
    signature = "a JSON array of tasks with data and annotations"

    record_keys = frozenset({"id", "data", "annotations", "predictions", "meta"})

    def sniff(self, path: Path, head: str) -> bool:
        if isinstance(head, Sample):  # the first whole task, however long
            first = head.first
            return isinstance(first, dict) and isinstance(first.get("data"), dict) and (
                "annotations" in first or "predictions" in first)
        s = head.lstrip()
        if s.startswith("{"):  # one task, or tasks as JSON lines
            first = first_json_line(s)
            return first is not None and isinstance(first.get("data"), dict) and (
                "annotations" in first or "predictions" in first)
        return s.startswith("[") and '"data"' in s and ('"annotations"' in s or '"predictions"' in s)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        check_readable(path)
        for line, task in iter_json_items(path, ctx):
            if not isinstance(task, dict):
                ctx.reject(path, line, "task is not a JSON object; not imported")
                continue
            yield from guarded(lambda: list(self._task_records(task, path, line, ctx)),  # noqa: B023 - called at once
                               ctx, path, line) or ()

    def _task_records(self, task: dict[str, Any], path: Path, line: int, ctx: ReadContext) -> Iterator[Record]:
        data: Any = task.get("data")  # a dict when _text_key finds a text in it
        text_key = _text_key(data)
        if text_key is None:
            ctx.reject(path, line, "task has no data.text string (nor a single string field); not imported")
            return
        text = data[text_key]
        conv = Utf16Offsets(text)
        doc_id = str(data.get("doc_id") or task.get("id") or f"{path.stem}:{line}")
        task_extra = {k: v for k, v in task.items() if k not in ("data", "annotations", "predictions", "meta")}
        meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
        base_extra: dict[str, Any] = {"task": task_extra, "key_order": list(task), "text_key": text_key,
                                      "data": {k: v for k, v in data.items() if k not in (text_key, "doc_id")}}
        annotations = task.get("annotations") or []
        kind = "annotations"
        if not annotations and task.get("predictions"):
            annotations, kind = task["predictions"], "predictions"
        elif annotations and task.get("predictions"):
            ctx.report(path, line, "the task's predictions are not imported (its annotations are)", note=True)
        if not annotations:
            doc = Document(doc_id, text, import_meta(self.name, path, line, base_extra, meta))
            yield Record(doc, None, line)
            return
        for ann_obj in annotations:
            if not isinstance(ann_obj, dict):
                ctx.reject(path, line, f"an entry of {kind} is not an object; not imported")
                continue
            regions = _parse_result(ann_obj.get("result"), conv, ctx, path, line)
            who = ann_obj.get("completed_by")
            if isinstance(who, dict):
                who = who.get("email") or who.get("id")
            extra = dict(base_extra, kind=kind, from_name=regions.from_name, to_name=regions.to_name,
                         annotation={k: v for k, v in ann_obj.items() if k not in ("result", "completed_by")},
                         completed_by=ann_obj.get("completed_by"))
            status = "skipped" if ann_obj.get("was_cancelled") else ("todo" if kind == "predictions" else "done")
            ann = Annotations(doc_id=doc_id, annotator=None if who is None else str(who), status=status,
                              notes=regions.notes, entities=tuple(regions.entities), claims=tuple(regions.claims),
                              attributes=regions.attributes)
            doc = Document(doc_id, text, import_meta(self.name, path, line, extra, meta))
            record = finish(Record(doc, ann, line), ctx, path, self.name)
            if record is not None:
                yield record

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        tasks = (written(lambda first: self._task(  # called at once, for this group
                             group if first is group[0] else [without_import(rec) for rec in group],  # noqa: B023
                             ctx),
                         group[0], ctx, self.name)
                 for group in _group_by_document(records))
        _write_array((t for t in tasks if t is not None), out)

    def _task(self, group: list[Record], ctx: WriteContext) -> dict[str, Any]:
        doc = group[0].document
        ex = Stored(doc, self.name, ctx)
        text_key = ex.get("text_key", STR, "text")
        data = {text_key: doc.text}
        for k, v in ex.get("data", OBJECT, {}).items():
            if k not in (text_key, "doc_id"):  # the text and the id are ours
                data[k] = v
        task_extra: dict[str, Any] = ex.get("task", OBJECT, {})
        if not ex.values or str(task_extra.get("id")) != doc.id:
            data["doc_id"] = doc.id
        task: dict[str, Any] = {k: v for k, v in task_extra.items()
                                if k not in ("data", "annotations", "predictions", "meta")}
        kind = ex.get("kind", one_of("annotations", "predictions"), "annotations")
        task[kind] = [self._annotation(rec, ctx) for rec in group if rec.annotations is not None]
        task["data"] = data
        if plain_meta(doc):
            task["meta"] = plain_meta(doc)
        return in_key_order(task, ex.get("key_order", KEY_ORDER, []))

    def _annotation(self, rec: Record, ctx: WriteContext) -> dict[str, Any]:
        doc, ann = rec.document, rec.annotations
        assert ann is not None
        ex = Stored(doc, self.name, ctx)
        from_name, to_name = ex.get("from_name", STR) or "label", ex.get("to_name", STR) or "text"
        text = doc.text
        conv = Utf16Offsets(text)
        fro, to = ENCODE(from_name), ENCODE(to_name)  # once a document
        ents = ann.entities
        starts, ends = list(map(_START, ents)), list(map(_END, ents))
        result: list[str] = [  # each item's JSON
            _REGION(e.id, fro, to, s16, e16, text[e.start:e.end], e.label)
            for e, s16, e16 in zip(ents, conv.to_utf16_many(starts), conv.to_utf16_many(ends), strict=True)]
        entity_ids = {e.id for e in ann.entities} if ann.claims else set()
        for c in ann.claims:
            cid = c.id if c.id not in entity_ids else f"{c.id}-claim"  # regions share one id space
            result.append(_REGION(cid, fro, to, conv.to_utf16(c.start), conv.to_utf16(c.end), text[c.start:c.end],
                                  CLAIM_LABEL))
            for key, value in sorted(c.attributes.items()):
                spec = ctx.schema.claims.attribute(key)
                item = _attribute_item(key, value, to_name, cid, spec.kind if spec else None)
                item["value"] = {**_span_value(doc.text, conv, c.start, c.end), **item["value"]}
                result.append(ENCODE(item))
            if c.claimer and ann.entity(c.claimer) is not None:
                result.append(ENCODE({"from_id": cid, "to_id": c.claimer, "type": "relation", "direction": "right",
                                       "labels": [CLAIMER_LABEL]}))
        result += [ENCODE({"from_id": a, "to_id": b, "type": "relation", "direction": "right",
                            "labels": [IDENTITY_RELATION]}) for a, b in identity_relations(ann.entities)]
        for key, value in sorted(ann.attributes.items()):
            spec = ctx.schema.document_attribute(key)
            result.append(ENCODE(_attribute_item(key, value, to_name, f"doc-{key}", spec.kind if spec else None)))
        if ann.notes:
            result.append(ENCODE({"id": "doc-notes", "from_name": NOTES_CONTROL, "to_name": to_name,
                                   "type": "textarea", "value": {"text": [ann.notes]}}))
        obj: dict[str, Any] = {k: v for k, v in ex.get("annotation", OBJECT, {}).items()
                               if k not in ("result", "completed_by")}
        if ann.annotator is not None:
            kept = ex.get("completed_by", ANY)  # Label Studio's own form (a user id, or an object) when unchanged
            kept_name = (kept.get("email") or kept.get("id")) if isinstance(kept, dict) else kept
            obj["completed_by"] = kept if kept is not None and str(kept_name) == ann.annotator else ann.annotator
        obj["result"] = Raw(result)
        if ann.status == "skipped":
            obj["was_cancelled"] = True
        elif "was_cancelled" in obj:
            obj["was_cancelled"] = False  # the status is ours: a kept "cancelled" no longer holds
        return obj


def _attribute_item(key: str, value: AttrValue, to_name: str, item_id: str, kind: str | None) -> dict[str, Any]:
    """A choices/number/textarea result item; ``kind`` is the schema's attribute kind when known."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"id": item_id, "from_name": key, "to_name": to_name, "type": "number", "value": {"number": value}}
    if kind == "text":
        return {"id": item_id, "from_name": key, "to_name": to_name, "type": "textarea",
                "value": {"text": [render_value(value)]}}
    return {"id": item_id, "from_name": key, "to_name": to_name, "type": "choices",
            "value": {"choices": [render_value(value)]}}


class LabelStudioMinFormat(Format):
    name = "label-studio-min"
    description = "Label Studio JSON_MIN export (flat; no relations or region attributes)"
    signature = "a JSON array of flat objects with text and regions holding labels"

    def sniff(self, path: Path, head: str) -> bool:
        s = head.lstrip()
        if isinstance(head, Sample):  # the first whole item, however long
            first = head.first if head.is_array else None
            return isinstance(first, dict) and isinstance(first.get("text"), str) and "data" not in first and (
                '"labels"' in s or any(_is_regions(v) for v in first.values()))
        return s.startswith("[") and '"text"' in s and '"labels"' in s and '"data"' not in s[:2000]

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        check_readable(path)
        doc_attrs = {a.key for a in ctx.schema.document_attributes} if ctx.schema else set()
        for line, obj in iter_json_items(path, ctx):
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                ctx.reject(path, line, "item has no \"text\" string; not imported")
                continue
            record = guarded(lambda: self._record(obj, path, line, ctx, doc_attrs),  # noqa: B023 - called at once
                             ctx, path, line)
            record = finish(record, ctx, path, self.name) if record is not None else None
            if record is not None:
                yield record

    def _record(self, obj: dict[str, Any], path: Path, line: int, ctx: ReadContext,
                doc_attrs: set[str]) -> Record:
        text = obj["text"]
        conv = Utf16Offsets(text)
        new_entity, new_claim = IdMaker("e"), IdMaker("c")
        entities: list[Entity] = []
        claims: list[Claim] = []
        attributes: dict[str, AttrValue] = {}
        kept: dict[str, Any] = {}
        control = None
        for key, value in obj.items():
            if key in ("text", "doc_id"):
                continue
            if _is_regions(value):
                control = control or key
                for k, v in enumerate(value):
                    where = _region_offsets(v, conv, f"{key} region {k + 1}", ctx, path, line)
                    if where is None:
                        continue
                    for label in v.get("labels") or []:
                        if is_claim_label(str(label), ctx):
                            claims.append(Claim(new_claim(), *where))
                        else:
                            entities.append(Entity(new_entity(), where[0], where[1], str(label)))
            elif key in doc_attrs:
                attributes[key] = value
            else:
                kept[key] = value
        doc_id = str(obj.get("doc_id") or obj.get("id") or f"{path.stem}:{line}")
        notes = kept.pop(NOTES_CONTROL, "") if isinstance(kept.get(NOTES_CONTROL), str) else ""
        extra = {"kept": kept, "control": control, "key_order": list(obj)}
        doc = Document(doc_id, text, import_meta(self.name, path, line, extra))
        who = obj.get("annotator")
        ann = Annotations(doc_id=doc_id, annotator=None if who is None else str(who), status="done",
                          notes=notes, entities=tuple(entities), claims=tuple(claims), attributes=attributes)
        return Record(doc, ann, line)

    def write(self, records: Iterable[Record], out: TextIO, ctx: WriteContext) -> None:
        items = (written(lambda r: self._item(r, ctx), rec, ctx, self.name) for rec in records)
        _write_array((item for item in items if item is not None), out)

    def _item(self, rec: Record, ctx: WriteContext) -> dict[str, Any]:
        doc, ann = rec.document, rec.annotations
        ex = Stored(doc, self.name, ctx)
        obj: dict[str, Any] = {"text": doc.text}
        kept = {k: v for k, v in ex.get("kept", OBJECT, {}).items() if k != "doc_id"}  # the id is ours
        if str(kept.get("id")) != doc.id:
            obj["doc_id"] = doc.id
        regions: list[str] = []  # each region's JSON
        if ann is not None:
            text = doc.text
            conv = Utf16Offsets(text)
            spans = [*ann.entities, *ann.claims]
            starts, ends = list(map(_START, spans)), list(map(_END, spans))
            labels = [*map(_LABEL, ann.entities), *[CLAIM_LABEL] * len(ann.claims)]
            regions = [_MIN_REGION(s16, e16, text[s:e], label) for s, e, s16, e16, label in zip(
                starts, ends, conv.to_utf16_many(starts), conv.to_utf16_many(ends), labels, strict=True)]
            lost = sum(1 for c in ann.claims if c.attributes or c.claimer)
            if lost:
                ctx.report(ctx.target, None, f"document {doc.id!r}: JSON_MIN cannot hold claim attributes or "
                           f"claimers ({lost} claim(s) lose them); use label-studio")
            if ann.annotator is not None:
                obj["annotator"] = ann.annotator
            obj.update({k: v for k, v in ann.attributes.items()})
            if ann.notes:
                obj[NOTES_CONTROL] = ann.notes
        control = ex.get("control", STR) or "label"
        if control in obj:  # never over the text, the annotator, notes or an attribute
            ex.bad("control", control, "a name apart from the fields written")
            control = "label"
        obj[control] = Raw(regions)
        for k, v in kept.items():
            obj.setdefault(k, v)
        return in_key_order(obj, ex.get("key_order", KEY_ORDER, []))


def _is_regions(value: Any) -> bool:
    """A JSON_MIN control's value: a non-empty list of regions, each with its labels."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "labels" in v for v in value)
