"""What every foreign-format reader and writer shares about records.

* Imported spans are pre-annotations: ``source="import:<format>"``.
* Claims travel as spans labelled ``Claim`` (any case) and a ``claimed_by``
  relation from the claim to its claimer.
* What a format carries that our model has no place for is kept in
  ``Document.meta["import"]["extra"]`` so that exporting to the same format
  gives it back (see docs/formats.md).
* After reading, ``finish`` checks ids, names, offsets and attribute shapes
  (``model.checks``: the rules the operations apply), applies ``--label-map``
  and checks the record against ``--schema``: a label the schema lacks rejects the record with a
  message listing the labels, never a silent drop.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from annotator.formats._io import name_meta
from annotator.formats.base import Format, ReadContext, Record
from annotator.formats.labelmap import map_label
from annotator.model.annotations import AttrValue, Document, Entity
from annotator.model.checks import annotations_problems, brief, id_problem
from annotator.schema.model import Attribute, Schema, attribute_problems

CLAIMER_RELATIONS = ("claimed_by", "claimer", "claimed-by", "claimant")


def source_of(fmt: str) -> str:
    return f"import:{fmt}"


def is_claim_label(label: str, ctx: ReadContext | None = None) -> bool:
    """A span is a claim when its label (or what the label map makes of it) is ``claim``."""
    if label.casefold() == "claim":
        return True
    return ctx is not None and map_label(label, ctx.label_map).casefold() == "claim"


def is_claimer_relation(name: str) -> bool:
    return name.casefold() in CLAIMER_RELATIONS


IDENTITY_RELATION = "same-as"  # a relation between two mentions of one identity (Entity.identity)


def is_identity_relation(name: str) -> bool:
    return name.casefold() in (IDENTITY_RELATION, "same_as")


def identity_relations(entities: Iterable[Entity]) -> list[tuple[str, str]]:
    """The (mention, first mention) pairs a format writes as ``same-as`` relations: each later
    mention of an identity points to its first one."""
    first: dict[str, str] = {}
    return [(e.id, first[e.identity]) for e in entities
            if e.identity is not None and first.setdefault(e.identity, e.id) != e.id]


def import_meta(fmt: str, path: Path, line: int | None, extra: Mapping[str, Any] | None = None,
                meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Document meta recording where a document came from (and what else the format held)."""
    names = name_meta(path.name)  # a name that is not UTF-8: shown escaped, its bytes kept as hex
    info: dict[str, Any] = {"format": fmt, "file": names["source_file"]}
    if "source_file_bytes" in names:
        info["file_bytes"] = names["source_file_bytes"]
    if line is not None:
        info["line"] = line
    if extra:
        info["extra"] = dict(extra)
    return {**(meta or {}), "import": info}


def plain_meta(doc: Document) -> dict[str, Any]:
    """Document meta without our import bookkeeping (what a foreign ``meta`` field should show)."""
    return {k: v for k, v in doc.meta.items() if k != "import"}


class IdMaker:
    """Fresh ids ``e1, e2, …`` (or another prefix) that avoid ids already used."""

    def __init__(self, prefix: str, used: Iterable[str] = ()) -> None:
        self.prefix = prefix
        self.used = set(used)
        self.n = 0

    def __call__(self) -> str:
        while True:
            self.n += 1
            candidate = f"{self.prefix}{self.n}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate


def render_value(value: AttrValue) -> str:
    """An attribute value as text for formats that only hold strings."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def coerce_value(value: AttrValue, attr: Attribute | None) -> AttrValue:
    """Type a value read as text by what the schema says the attribute holds (``Attribute.parse``,
    the one owner of that rule); raises ValueError saying why it does not fit."""
    if attr is None or not isinstance(value, str):
        return value
    return attr.parse(value)


def _check_attributes(values: Mapping[str, AttrValue], specs: tuple[Attribute, ...], what: str,
                      problems: list[str]) -> dict[str, AttrValue]:
    """Values read as text typed by the schema, then checked by it (``attribute_problems``)."""
    if not isinstance(values, Mapping):
        problems.append(f"{what} attributes must be an object")
        return {}
    by_key = {a.key: a for a in specs}
    out: dict[str, AttrValue] = {}
    for key, value in values.items():
        try:
            out[key] = coerce_value(value, by_key.get(key) if isinstance(key, str) else None)
        except ValueError as exc:
            problems.append(f"{what} attribute {exc}")
    problems += attribute_problems(specs, out, what)
    return out


def finish(record: Record, ctx: ReadContext, path: Path, fmt: str) -> Record | None:
    """Map labels, check them against the schema, and mark spans as pre-annotations.

    Returns None (after reporting why) when the record cannot be imported as is.
    """
    ann = record.annotations
    # ids, offsets and names of the wrong type or shape, by the same rules the operations apply
    problems = [p for p in [id_problem(record.document.id, "document id")] if p] if ann is None else \
        annotations_problems(replace(ann, doc_id=record.document.id))
    if problems:
        ctx.reject(path, record.line, f"document {brief(record.document.id)} not imported: " + "; ".join(problems))
        return None
    if ann is None:
        return record
    source = source_of(fmt)
    entities = tuple(replace(e, label=map_label(e.label, ctx.label_map), source=e.source or source)
                     for e in ann.entities)
    claims = tuple(replace(c, source=c.source or source,
                           attributes={map_label(k, ctx.label_map): v for k, v in c.attributes.items()})
                   for c in ann.claims)
    attributes = {map_label(k, ctx.label_map): v for k, v in ann.attributes.items()}
    schema: Schema | None = ctx.schema
    if schema is not None:
        known = set(schema.label_keys)
        missing = Counter(e.label for e in entities if e.label not in known)
        if missing:
            listed = ", ".join(f"{label} ({n})" for label, n in sorted(missing.items()))
            problems.append(f"labels not in schema {schema.name!r}: {listed} (map them with --label-map)")
        if claims and not schema.claims.enabled:
            problems.append(f"{len(claims)} claim(s) but schema {schema.name!r} has claims switched off")
        claims = tuple(replace(c, attributes=_check_attributes(
            c.attributes, schema.claims.attributes, "claim", problems)) for c in claims)
        attributes = _check_attributes(attributes, schema.document_attributes, "document", problems)
        if problems:
            ctx.reject(path, record.line, f"document {brief(record.document.id)} not imported: " + "; ".join(problems))
            return None
    return replace(record, annotations=replace(ann, entities=entities, claims=claims, attributes=attributes))


def read_json_lines(fmt: str, path: Path, ctx: ReadContext,
                    build: Callable[[dict[str, Any], str, int], Record | None]) -> Iterator[Record]:
    """The loop every JSON-lines reader shares: each object with a ``text`` string is built
    into a record by ``build(obj, text, line)``, then finished (label map, schema check)."""
    from annotator.formats._io import iter_jsonl

    for line, obj in iter_jsonl(path, ctx):
        text = obj.get("text")
        if not isinstance(text, str):
            ctx.reject(path, line, "record has no \"text\" string; not imported")
            continue
        record = guarded(lambda: build(obj, text, line), ctx, path, line)  # noqa: B023 - called at once
        if record is not None:
            record = finish(record, ctx, path, fmt)
        if record is not None:
            yield record


def guarded(build: Callable[[], Any], ctx: ReadContext, path: Path, line: int | None) -> Any:
    """Run one record's builder; a value of an unexpected JSON type somewhere inside it
    (a list where a string belongs …) is reported for that record instead of a traceback."""
    try:
        return build()
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        ctx.reject(path, line, f"record has a value of an unexpected type ({type(exc).__name__}: {exc}); "
                   "not imported")
        return None


def in_key_order(obj: dict[str, Any], key_order: list[str]) -> dict[str, Any]:
    """``obj`` with the keys the source file had first, in its order (new keys after)."""
    if not key_order:
        return dict(obj)  # what sorting by equal ranks gives, without a key call per item
    rank = {k: i for i, k in enumerate(key_order)}
    return dict(sorted(obj.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def keep_foreign_keys(obj: dict[str, Any], model_keys: tuple[str, ...]) -> dict[str, Any]:
    """The keys of a foreign JSON object that our model does not hold (kept for export),
    plus its key order and a ``meta`` that is not an object (kept as it was)."""
    extra = {k: v for k, v in obj.items() if k not in model_keys}
    extra["key_order"] = list(obj)
    if "meta" in obj and not isinstance(obj["meta"], dict):
        extra["meta"] = obj["meta"]
    return extra


class Kept:
    """What ``keep_foreign_keys`` kept for a document, taken apart for the writer (through
    ``_stored.Stored``: a value of the wrong shape is reported and not used)."""

    def __init__(self, doc: Document, fmt: str, ctx: Any) -> None:
        from annotator.formats._stored import BOOL, KEY_ORDER, Shape, Stored

        self.doc = doc
        self.stored = Stored(doc, fmt, ctx)
        self.key_order: list[str] = self.stored.take("key_order", KEY_ORDER, [])
        self.derived_id: bool = self.stored.take("derived_id", BOOL, False)
        # a file's "meta" that was not an object, given back as it was (an object is the document's meta)
        self._meta = self.stored.take("meta", Shape(lambda v: not isinstance(v, dict), "not an object"), None)
        self.rest = self.stored.values  # writers take their own keys out of it

    def finish(self, obj: dict[str, Any], meta_first: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Add the kept keys and the document meta to ``obj``, in the source's key order.
        What the writer put in ``obj`` (the text, the spans …) is never overridden by them."""
        for k, v in self.rest.items():
            obj.setdefault(k, v)
        meta = dict(meta_first or {})
        for k, v in plain_meta(self.doc).items():
            meta.setdefault(k, v)
        if self._meta is not None:
            obj["meta"] = self._meta
        elif meta or "meta" in self.key_order:
            obj["meta"] = meta
        return in_key_order(obj, self.key_order)


class JsonLinesFormat(Format):
    """Shared shape of the JSON-lines formats (Prodigy, doccano, ArAIEval): detection looks at
    the first object, which must have a ``text`` string; ``read`` builds one record per line."""

    def sniff(self, path: Path, head: str) -> bool:
        from annotator.formats._io import first_json_line

        first = first_json_line(head)
        return first is not None and isinstance(first.get("text"), str) and self.looks_like(first)

    @abstractmethod
    def looks_like(self, first: dict[str, Any]) -> bool:
        """Whether the first JSON record, which has a ``text`` string, is this format's."""

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record]:
        return read_json_lines(self.name, path, ctx, lambda obj, text, line: self.build(obj, text, path, line, ctx))

    @abstractmethod
    def build(self, obj: dict[str, Any], text: str, path: Path, line: int, ctx: ReadContext) -> Record | None:
        """One record from one line's object (None: nothing kept, each problem reported)."""
