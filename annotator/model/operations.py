"""Annotation operations: pure, validated against the schema and the text, each with an exact inverse.

An operation is plain data: a frozen dataclass whose JSON form (``to_json`` /
``operation_from_json``) follows from its fields (``model.codec``), so the store can
log it and replay or undo it after a restart. ``apply`` checks everything and
returns the new state; ``inverse`` is computed from the state *before* applying,
so undo gives back exactly what was there. The text is a ``layout.stored.Text`` (a ``str``, or a
big document's ``StoredText``): the checks and messages only take its length and slices
(a span's characters and its neighbours), so an edit never needs a big text whole.

Long because each operation and its inverse are read together (undo is exact only if every
pair agrees) and they share the validation helpers.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol, TypeVar

from annotator.errors import OperationError
from annotator.layout.stored import Text
from annotator.model.annotations import (
    DOC_STATUSES,
    Annotations,
    AttrValue,
    Claim,
    Entity,
    Rejection,
    sort_spans,
    span_order,
)
from annotator.model.checks import brief, id_problem, is_offset, json_type, source_problem
from annotator.model.codec import WritesItself, decode, encode_fields
from annotator.model.places import placed, taken
from annotator.schema.model import Schema
from annotator.text.clusters import is_boundary
from annotator.text.overlaps import SpansByStart

_OPS: dict[str, type[Operation]] = {}
OpClass = TypeVar("OpClass", bound="type[Operation]")
SpanT = TypeVar("SpanT", Entity, Claim)


def _op(cls: OpClass) -> OpClass:
    _OPS[cls.kind] = cls
    return cls


class Operation(WritesItself):
    """Base of every operation. Subclasses are frozen dataclasses with a ``kind``; their JSON
    form is ``{"op": kind, **fields}`` (``model.codec``), so a new operation needs no codec."""

    kind: ClassVar[str] = ""

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        raise NotImplementedError

    def inverse(self, before: Annotations) -> Operation:
        raise NotImplementedError

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        """What this operation does, in the past tense ("labelled «بيروت» as GPE"): the one wording
        of every message about it (``said``: "Labelled …", "Undone: labelled …"). Given ``before``
        (the state it applies to) and the document ``text``, spans are named by their text."""
        return self.kind.replace("_", " ")

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, **encode_fields(self)}

    @classmethod
    def from_json(cls, d: object) -> Operation:
        """The operation ``d["op"]`` names, decoded from its fields."""
        if not isinstance(d, Mapping):
            raise OperationError(f"an operation must be an object, not {json_type(d)}")
        kind = d.get("op")
        op_cls = _OPS.get(kind) if isinstance(kind, str) else None
        if op_cls is None or not issubclass(op_cls, cls):
            raise OperationError(f"unknown operation {brief(kind)}")
        return decode(op_cls, d, f"operation {kind}")


def operation_from_json(d: object) -> Operation:
    return Operation.from_json(d)


# -- what an operation is called (``Operation.describe``, ``said``) ------------------------

QUOTE_LIMIT = 40  # characters of a span's text quoted in a message


def _quote(text: Text, start: int, end: int) -> str:
    """``text[start:end]`` in «», on one line and cut with "…" (offsets when there is no text)."""
    if not text:
        return f"[{start}, {end})"
    piece = " ".join(text[start:end].split())
    return f"«{piece[:QUOTE_LIMIT - 1]}…»" if len(piece) > QUOTE_LIMIT else f"«{piece}»"


def _words(span: Entity | Claim, text: Text) -> str:
    """A span by its text (by id and offsets when there is none)."""
    return _quote(text, span.start, span.end) if text else f"{span.id} [{span.start}, {span.end})"


def _span_ref(span_id: str, before: Annotations | None, text: Text) -> str:
    """A span of ``before`` as a message names it: «text» LABEL, claim «text», else its id."""
    entity = before.entity(span_id) if before is not None else None
    if entity is not None:
        return f"{_words(entity, text)} {entity.label}"
    claim = before.claim(span_id) if before is not None else None
    return f"claim {_words(claim, text)}" if claim is not None else span_id


ACTIONS = {"do": "", "undo": "Undone: ", "redo": "Redone: "}


def said(action: str, op: Operation, before: Annotations, text: Text) -> str:
    """The status message for doing, undoing or redoing ``op`` (``before``: the state ``op``
    itself applies to, so an undo names what the undone action did): "Labelled «…» as PER",
    "Undone: labelled «…» as PER", "Redone: labelled «…» as PER"."""
    what = op.describe(before, text)
    return what[:1].upper() + what[1:] if action == "do" else ACTIONS[action] + what


# -- validation helpers ---------------------------------------------------------------


def check_offsets(text: Text, start: int, end: int) -> None:
    """A span must be non-empty, inside the text, and never split a letter from its marks
    (``text.clusters`` owns that rule)."""
    if not is_offset(start) or not is_offset(end):
        raise OperationError(f"offsets must be integers, got {start!r}, {end!r}")
    if not 0 <= start < end <= len(text):
        raise OperationError(f"span [{start}, {end}) is empty or outside the text (length {len(text)})")
    if not is_boundary(text, start):
        raise OperationError(f"span start {start} falls between a letter and its diacritic")
    if not is_boundary(text, end):
        raise OperationError(f"span end {end} falls between a letter and its diacritic")


def _check_label(schema: Schema, label: str) -> None:
    if not isinstance(label, str) or schema.label(label) is None:
        known = ", ".join(schema.label_keys) or "none"
        raise OperationError(f"unknown label {brief(label)} (schema {schema.name} has: {known})")


def _relation(a: Entity, b: Entity) -> str:
    """'disjoint', 'same', 'nested' (one inside the other) or 'crossing'."""
    if a.end <= b.start or b.end <= a.start:
        return "disjoint"
    if a.start == b.start and a.end == b.end:
        return "same"
    if (a.start <= b.start and b.end <= a.end) or (b.start <= a.start and a.end <= b.end):
        return "nested"
    return "crossing"


def check_entity_fits(state: Annotations, entity: Entity, schema: Schema, ignore_id: str | None = None) -> None:
    """Overlap rules: no duplicate span+label; nesting and crossing only when the schema allows. Only the
    entities ``entity`` overlaps can clash: with an index of the state's entities at hand (``places``: the
    editor's), those are found by bisection, in canonical order, so the same first clash is named."""
    index = placed(state.entities)
    among = state.entities if index is None else index.overlapping(entity.start, entity.end)
    _check_fits_among(among, entity, schema, ignore_id)


def _check_fits_among(entities: Iterable[Entity], entity: Entity, schema: Schema,
                      ignore_id: str | None = None) -> None:
    for other in entities:
        if other.id == ignore_id:
            continue
        rel = _relation(entity, other)
        if rel == "disjoint":
            continue
        if rel == "same" and other.label == entity.label:
            raise OperationError(f"the same span is already labelled {other.label} ({other.id})")
        if rel in ("same", "nested") and not schema.allow_nesting:
            raise OperationError(f"span would nest with {other.label} {other.id} [{other.start}, {other.end}); "
                                 "schema forbids nesting")
        if rel == "crossing" and not schema.allow_overlap:
            raise OperationError(f"span would partly overlap {other.label} {other.id} [{other.start}, {other.end}); "
                                 "schema forbids overlap")


class PlacedEntities:
    """Entities with what a new one overlaps found by bisection (``text.overlaps.SpansByStart``):
    checking each of n new entities (``fits``: ``check_entity_fits`` against only those it overlaps,
    in canonical order, so the same answer and the same error) then costs n log n, not n² (a
    recommender's thousands of proposals on a big document, ``AddProposals`` and
    ``recommend.apply.fit_proposals``)."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._placed = SpansByStart.of_spans(sort_spans(entities))

    @property
    def entities(self) -> tuple[Entity, ...]:
        """All of them, in canonical order."""
        return sort_spans(self._placed.items)

    def overlapping(self, start: int, end: int) -> tuple[Entity, ...]:
        """Those with a character in ``[start, end)``, in canonical order (ties of bounds by id)."""
        return sort_spans(self._placed.overlapping(start, end))

    def fits(self, entity: Entity, schema: Schema) -> None:
        _check_fits_among(self.overlapping(entity.start, entity.end), entity, schema)

    def add(self, entity: Entity) -> None:
        self._placed.add(entity)


def check_claim_attributes(schema: Schema, attributes: Mapping[str, AttrValue]) -> None:
    """Claim attributes as the schema declares them (``Attribute.check``, the one owner)."""
    _refuse(schema.claims.attribute_problems(attributes))


def check_document_attributes(schema: Schema, attributes: Mapping[str, AttrValue]) -> None:
    _refuse(schema.document_attribute_problems(attributes))


def _refuse(problems: Sequence[str | None]) -> None:
    """Raise for the problems a shared validator found (None entries are no problem)."""
    found = [p for p in problems if p]
    if found:
        raise OperationError("; ".join(found))


class EntityLookup(Protocol):
    """What a claimer check needs: an entity by id (a state, or an import's index of its entities)."""

    def entity(self, entity_id: str) -> Entity | None: ...


def check_claimer(state: EntityLookup, schema: Schema, claimer: str | None) -> None:
    if claimer is None:
        return
    _refuse([id_problem(claimer, "claimer")])
    ent = state.entity(claimer)
    if ent is None:
        raise OperationError(f"claimer {claimer!r} is not an entity of this document")
    allowed = schema.claims.claimer_labels
    if allowed and ent.label not in allowed:
        raise OperationError(f"a {ent.label} cannot be a claimer (allowed: {', '.join(allowed)})")


def check_status(status: object) -> None:
    if not isinstance(status, str) or status not in DOC_STATUSES:
        raise OperationError(f"unknown status {brief(status)} (one of {', '.join(DOC_STATUSES)})")


def check_notes(notes: object) -> None:
    if not isinstance(notes, str):
        raise OperationError(f"notes must be text, not {json_type(notes)}")


def missing_requirements(state: Annotations, schema: Schema) -> list[str]:
    """What must still be filled before a document can be marked done."""
    missing: list[str] = []
    for claim in state.claims:
        for attr in schema.claims.attributes:
            if attr.required and claim.attributes.get(attr.key) in (None, ""):
                missing.append(f"claim {claim.id}: {attr.name_en or attr.key} is required")
        if schema.claims.claimer_required and claim.claimer is None:
            missing.append(f"claim {claim.id}: claimer is required")
    for attr in schema.document_attributes:
        if attr.required and state.attributes.get(attr.key) in (None, ""):
            missing.append(f"document: {attr.name_en or attr.key} is required")
    return missing


def _with_entities(state: Annotations, entities: tuple[Entity, ...] | list[Entity]) -> Annotations:
    return replace(state, entities=sort_spans(tuple(entities)))


def _with_claims(state: Annotations, claims: tuple[Claim, ...] | list[Claim]) -> Annotations:
    return replace(state, claims=sort_spans(tuple(claims)))


def _inserted(spans: tuple[SpanT, ...], new: SpanT) -> tuple[SpanT, ...]:
    """``spans`` (a state's: in canonical order) with ``new`` where ``sort_spans`` puts it, found by bisection:
    a label among 30,000 proposals paid 9 ms for a sort key per span."""
    at = bisect_right(spans, span_order(new), key=span_order)
    return spans[:at] + (new,) + spans[at:]


def _replaced(spans: tuple[SpanT, ...], old: SpanT, new: SpanT) -> tuple[SpanT, ...]:
    """``spans`` (a state's: in canonical order) with ``old`` replaced by ``new`` where ``sort_spans`` puts it:
    ``old``'s place found by bisection (its id makes its key unique), ``new``'s too when its bounds moved, so a
    relabel or an accepted proposal keeps its place (before: a sort key for every span and a sort, 10 ms and
    more to accept one proposal among 30,000)."""
    at = bisect_left(spans, span_order(old), key=span_order)
    if at == len(spans) or spans[at].id != old.id:  # not in canonical order: a state made by hand, in code
        return sort_spans(new if s.id == old.id else s for s in spans)
    if span_order(new) == span_order(old):
        return spans[:at] + (new,) + spans[at + 1:]
    return _inserted(spans[:at] + spans[at + 1:], new)


def _put_entity(state: Annotations, old: Entity, new: Entity) -> Annotations:
    """The state with its entity ``old`` replaced by ``new`` (kept in canonical order)."""
    return replace(state, entities=_replaced(state.entities, old, new))


def _put_claim(state: Annotations, old: Claim, new: Claim) -> Annotations:
    return replace(state, claims=_replaced(state.claims, old, new))


class _Entities:
    """Entities by id, for checks over many spans at once (a state's ``entity`` reads every entity)."""

    def __init__(self, by_id: Mapping[str, Entity]) -> None:
        self.by_id = by_id

    def entity(self, entity_id: str) -> Entity | None:
        return self.by_id.get(entity_id)


def _check_fresh_id(used: Container[str], span_id: str) -> None:
    """_check_new_id against the ids taken so far (in an import, or a batch of proposals)."""
    _refuse([id_problem(span_id, "span id")])
    if span_id in used:
        raise OperationError(f"id {span_id!r} is already used in this document")


def _first_misfit(entities: Sequence[Entity], schema: Schema) -> tuple[int, int] | None:
    """The first entity (in order) that check_entity_fits would refuse against those before it, and the
    one it clashes with (first in canonical order): a sweep over overlapping pairs only."""
    order = sorted(range(len(entities)), key=lambda i: (entities[i].start, -entities[i].end))
    active: list[int] = []
    best: tuple[int, tuple[int, int, str], int] | None = None
    for i in order:
        e = entities[i]
        active = [k for k in active if entities[k].end > e.start]
        for k in active:
            later, other = (i, k) if i > k else (k, i)
            a, b = entities[later], entities[other]
            rel = _relation(a, b)
            clash = ((rel == "same" and a.label == b.label)
                     or (rel in ("same", "nested") and not schema.allow_nesting)
                     or (rel == "crossing" and not schema.allow_overlap))
            if clash:
                key = span_order(b)
                if best is None or (later, key) < (best[0], best[1]):
                    best = (later, key, other)
        active.append(i)
    return None if best is None else (best[0], best[2])


def _check_new_id(state: Annotations | Container[str], span_id: str) -> None:
    """``span_id`` is well formed and not used in ``state`` (or among the ids given): the one owner of "a new
    span's id is new". The ids of a state's spans offered by their holder (``places.taken``: the editor's, kept
    in step) are looked up; else each span's id is compared (a replayed op log, an import, a small state)."""
    if not isinstance(state, Annotations):
        _check_fresh_id(state, span_id)
        return
    _refuse([id_problem(span_id, "span id")])
    if _is_taken(state.entities, span_id) or _is_taken(state.claims, span_id):
        raise OperationError(f"id {span_id!r} is already used in this document")


def _is_taken(spans: tuple[Entity, ...] | tuple[Claim, ...], span_id: str) -> bool:
    ids = taken(spans)
    return span_id in ids if ids is not None else any(s.id == span_id for s in spans)


def _check_new_entity(e: Entity, used: Annotations | Container[str], text: Text, schema: Schema) -> None:
    """What ``AddEntity`` checks of a new entity, the overlap rules apart (``check_entity_fits``)."""
    _check_new_id(used, e.id)
    check_offsets(text, e.start, e.end)
    _check_label(schema, e.label)
    _refuse([source_problem(e.source), source_problem(e.identity, "identity")])


def _check_new_claim(c: Claim, used: Annotations | Container[str], entities: EntityLookup, text: Text,
                     schema: Schema) -> None:
    """What ``AddClaim`` checks of a new claim."""
    if not schema.claims.enabled:
        raise OperationError(f"schema {schema.name} does not allow claims")
    _check_new_id(used, c.id)
    check_offsets(text, c.start, c.end)
    _refuse([source_problem(c.source)])
    check_claim_attributes(schema, c.attributes)
    check_claimer(entities, schema, c.claimer)


def _need_entity(state: Annotations, entity_id: str) -> Entity:
    ent = state.entity(entity_id)
    if ent is None:
        raise OperationError(f"no entity {entity_id!r} in this document")
    return ent


def _need_claim(state: Annotations, claim_id: str) -> Claim:
    claim = state.claim(claim_id)
    if claim is None:
        raise OperationError(f"no claim {claim_id!r} in this document")
    return claim


# -- entity operations ----------------------------------------------------------------


@_op
@dataclass(frozen=True)
class AddEntity(Operation):
    """Label a span: a new entity (its inverse removes it)."""

    kind: ClassVar[str] = "add_entity"
    entity: Entity

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        e = self.entity
        _check_new_entity(e, state, text, schema)
        check_entity_fits(state, e, schema)
        return replace(state, entities=_inserted(state.entities, e))

    def inverse(self, before: Annotations) -> Operation:
        return RemoveEntity(self.entity.id)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        e = self.entity
        return f"{'proposed' if e.source else 'labelled'} {_words(e, text)} as {e.label}"



@_op
@dataclass(frozen=True)
class RemoveEntity(Operation):
    """Removing a claimer also unlinks the claims that named it; removing a mention leaves the
    other mentions of its identity linked, unless one alone is left: that identity is dissolved
    (both restored by the inverse)."""

    kind: ClassVar[str] = "remove_entity"
    entity_id: str

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        ent = _need_entity(state, self.entity_id)
        claims = tuple(
            replace(c, claimer=None) if c.claimer == self.entity_id else c for c in state.claims
        )
        lone = _lone_survivor(state, ent)
        return replace(
            state,
            entities=tuple(replace(e, identity=None) if e is lone else e
                           for e in state.entities if e.id != self.entity_id),
            claims=claims,
        )

    def inverse(self, before: Annotations) -> Operation:
        ent = _need_entity(before, self.entity_id)
        relinks = [LinkClaimer(c.id, ent.id) for c in before.claims if c.claimer == ent.id]
        lone = _lone_survivor(before, ent)
        rejoin = [SetIdentities({lone.id: lone.identity})] if lone is not None else []
        add = AddEntity(ent)
        return Batch((add, *rejoin, *relinks)) if relinks or rejoin else add

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"removed {_span_ref(self.entity_id, before, text)}"


def _lone_survivor(state: Annotations, ent: Entity) -> Entity | None:
    """The one mention left of ``ent``'s identity once ``ent`` is gone, if only one is left."""
    others = [e for e in state.mentions(ent.identity) if e.id != ent.id]
    return others[0] if len(others) == 1 else None


@_op
@dataclass(frozen=True)
class RelabelEntity(Operation):
    """Give an entity another label of the schema."""

    kind: ClassVar[str] = "relabel_entity"
    entity_id: str
    label: str

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        ent = _need_entity(state, self.entity_id)
        _check_label(schema, self.label)
        new = replace(ent, label=self.label)
        check_entity_fits(state, new, schema, ignore_id=ent.id)
        if any(c.claimer == ent.id for c in state.claims) and schema.claims.claimer_labels \
                and self.label not in schema.claims.claimer_labels:
            raise OperationError(f"{ent.id} is a claimer; a {self.label} cannot be one")
        return _put_entity(state, ent, new)

    def inverse(self, before: Annotations) -> Operation:
        return RelabelEntity(self.entity_id, _need_entity(before, self.entity_id).label)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        ent = before.entity(self.entity_id) if before is not None else None
        if ent is None:
            return f"relabelled {self.entity_id} as {self.label}"
        return f"relabelled {_words(ent, text)} as {self.label} (was {ent.label})"



@_op
@dataclass(frozen=True)
class MoveEntity(Operation):
    """Move one or both edges of an entity (the edge nudge and proclitic exclusion)."""

    kind: ClassVar[str] = "move_entity"
    entity_id: str
    start: int
    end: int

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        ent = _need_entity(state, self.entity_id)
        check_offsets(text, self.start, self.end)
        new = replace(ent, start=self.start, end=self.end)
        check_entity_fits(state, new, schema, ignore_id=ent.id)
        return _put_entity(state, ent, new)

    def inverse(self, before: Annotations) -> Operation:
        ent = _need_entity(before, self.entity_id)
        return MoveEntity(self.entity_id, ent.start, ent.end)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"moved {_span_ref(self.entity_id, before, text)} to {_quote(text, self.start, self.end)}"



@_op
@dataclass(frozen=True)
class SetSource(Operation):
    """Accept a pre-annotation (source → None) or restore its source (the inverse)."""

    kind: ClassVar[str] = "set_source"
    span_id: str
    source: str | None

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        _refuse([source_problem(self.source)])
        ent = state.entity(self.span_id)
        if ent is not None:
            return _put_entity(state, ent, replace(ent, source=self.source))
        claim = _need_claim(state, self.span_id)
        return _put_claim(state, claim, replace(claim, source=self.source))

    def inverse(self, before: Annotations) -> Operation:
        span = before.entity(self.span_id) or _need_claim(before, self.span_id)
        return SetSource(self.span_id, span.source)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        span = _span_ref(self.span_id, before, text)
        return f"accepted proposal {span}" if self.source is None else f"made {span} a proposal again"



@_op
@dataclass(frozen=True)
class SetRejected(Operation):
    """Remember (or forget) that a proposal was rejected on this document; the inverse restores
    whether it was remembered before."""

    kind: ClassVar[str] = "set_rejected"
    rejection: Rejection
    rejected: bool = True

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        r = self.rejection
        if not isinstance(r, Rejection) or r.kind not in ("entity", "claim"):
            raise OperationError(f"a rejection is of an entity or a claim, not {brief(getattr(r, 'kind', r))}")
        check_offsets(text, r.start, r.end)
        _refuse([id_problem(r.label, "rejected label") if r.kind == "entity" else
                 (None if r.label is None else "a rejected claim has no label")])
        kept = tuple(x for x in state.rejected if x != r)
        return replace(state, rejected=(*kept, r) if self.rejected else kept)

    def inverse(self, before: Annotations) -> Operation:
        return SetRejected(self.rejection, self.rejection in before.rejected)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        r = self.rejection
        where = _quote(text, r.start, r.end)
        what = f"{where} {r.label}" if r.kind == "entity" else f"claim {where}"
        return f"{'rejected' if self.rejected else 'forgot rejecting'} {what}"


@_op
@dataclass(frozen=True)
class AddProposals(Operation):
    """Add a recommender's proposals as pre-annotations, in one undo step. Every span must carry a
    ``source`` (a proposal is never an accepted label); each is checked as AddEntity / AddClaim
    check it, in order. Adding proposals is not the annotator's work: it leaves a "todo"
    document "todo" (``session``)."""

    kind: ClassVar[str] = "add_proposals"
    entities: tuple[Entity, ...] = ()
    claims: tuple[Claim, ...] = ()
    label: str = ""

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        for span in (*self.entities, *self.claims):
            if span.source is None:
                raise OperationError(f"proposal {brief(span.id)} has no source: a proposal is never a label")
        # each checked as AddEntity / AddClaim check it, in order, the state sorted once (thousands
        # of proposals on a big document: n log n, not n²)
        used = {e.id for e in state.entities} | {c.id for c in state.claims}
        if self.entities:
            placed = PlacedEntities(state.entities)
            for e in self.entities:
                _check_new_entity(e, used, text, schema)
                placed.fits(e, schema)
                placed.add(e)
                used.add(e.id)
            state = replace(state, entities=placed.entities)
        if self.claims:
            entities, claims = _Entities({e.id: e for e in state.entities}), list(state.claims)
            for c in self.claims:
                _check_new_claim(c, used, entities, text, schema)
                claims.append(c)
                used.add(c.id)
            state = _with_claims(state, claims)
        return state

    def inverse(self, before: Annotations) -> Operation:
        return Batch((*(RemoveClaim(c.id) for c in reversed(self.claims)),
                      *(RemoveEntity(e.id) for e in reversed(self.entities))), f"remove {self.describe()}")

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return self.label or f"added {len(self.entities)} proposed entities and {len(self.claims)} proposed claims"


def rejection_of(span: Entity | Claim) -> Rejection:
    """What rejecting ``span`` remembers: its kind, offsets and (an entity's) label."""
    if isinstance(span, Entity):
        return Rejection("entity", span.start, span.end, span.label)
    return Rejection("claim", span.start, span.end)


@_op
@dataclass(frozen=True)
class RejectProposal(Operation):
    """Reject a pre-annotation: remove it and remember its span (and label) so it is not proposed
    again on this document. Only a span with a ``source`` can be rejected: the annotator's own
    labels are removed, not rejected. A rejected claimer is unlinked from its claims (restored by
    the inverse)."""

    kind: ClassVar[str] = "reject_proposal"
    span_id: str

    def _span(self, state: Annotations) -> Entity | Claim:
        span: Entity | Claim | None = state.entity(self.span_id) or state.claim(self.span_id)
        if span is None:
            raise OperationError(f"no entity or claim {self.span_id!r} in this document")
        if span.source is None:
            raise OperationError(f"{self.span_id} is a label, not a proposal: remove it instead of rejecting it")
        return span

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        span = self._span(state)
        remove = RemoveEntity(span.id) if isinstance(span, Entity) else RemoveClaim(span.id)
        removed = remove.apply(state, text, schema)
        return SetRejected(rejection_of(span)).apply(removed, text, schema)

    def inverse(self, before: Annotations) -> Operation:
        span = self._span(before)
        r = rejection_of(span)
        restore = RemoveEntity(span.id).inverse(before) if isinstance(span, Entity) else AddClaim(span)
        return Batch((SetRejected(r, r in before.rejected), restore), f"restore proposal {span.id}")

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"rejected proposal {_span_ref(self.span_id, before, text)}"


# -- identity operations --------------------------------------------------------------
# An identity links the mentions of one person or organization (``Entity.identity``). Linking and
# unlinking are intents whose effect depends on the state (merging identities, dissolving an
# identity left with one mention); their inverse is the exact list of identities they changed.


def fresh_identity(state: Annotations) -> str:
    """The first ``i<n>`` no entity of ``state`` uses as its identity."""
    used = {e.identity for e in state.entities}
    n = 1
    while f"i{n}" in used:
        n += 1
    return f"i{n}"


def _set_identities(state: Annotations, changes: Mapping[str, str | None]) -> Annotations:
    return replace(state, entities=tuple(replace(e, identity=changes[e.id]) if e.id in changes else e
                                         for e in state.entities))


def _undo_changes(before: Annotations, changes: Mapping[str, str | None]) -> Operation:
    return SetIdentities({k: _need_entity(before, k).identity for k in changes})


@_op
@dataclass(frozen=True)
class SetIdentities(Operation):
    """Set the identity of some entities (None: no identity); the inverse of linking and unlinking."""

    kind: ClassVar[str] = "set_identities"
    identities: Mapping[str, str | None] = field(default_factory=dict)

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        for entity_id, identity in self.identities.items():
            _need_entity(state, entity_id)
            _refuse([source_problem(identity, "identity")])
        return _set_identities(state, self.identities)

    def inverse(self, before: Annotations) -> Operation:
        return _undo_changes(before, self.identities)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        names = ", ".join(_span_ref(k, before, text) for k in self.identities)
        return f"set the identity of {names}"


@_op
@dataclass(frozen=True)
class LinkIdentity(Operation):
    """Mention ``entity_id`` is the same person or organization as mention ``to``: both get
    ``to``'s identity, else ``entity_id``'s, else a new one; when both had one, the two merge
    (every mention of ``entity_id``'s identity joins ``to``'s)."""

    kind: ClassVar[str] = "link_identity"
    entity_id: str
    to: str

    def changes(self, state: Annotations) -> dict[str, str | None]:
        a, b = _need_entity(state, self.entity_id), _need_entity(state, self.to)
        if a.id == b.id:
            raise OperationError(f"{a.id} cannot be linked to itself")
        if a.identity is not None and a.identity == b.identity:
            raise OperationError(f"{a.id} and {b.id} are already one identity ({a.identity})")
        target = b.identity or a.identity or fresh_identity(state)
        joining = {a.identity, b.identity} - {None}
        return {e.id: target for e in state.entities
                if e.id in (a.id, b.id) or e.identity in joining}

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        return _set_identities(state, self.changes(state))

    def inverse(self, before: Annotations) -> Operation:
        return _undo_changes(before, self.changes(before))

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"linked {_span_ref(self.entity_id, before, text)} to {_span_ref(self.to, before, text)} as one identity"


@_op
@dataclass(frozen=True)
class UnlinkIdentity(Operation):
    """Take mention ``entity_id`` out of its identity; an identity left with one mention is dissolved."""

    kind: ClassVar[str] = "unlink_identity"
    entity_id: str

    def changes(self, state: Annotations) -> dict[str, str | None]:
        ent = _need_entity(state, self.entity_id)
        if ent.identity is None:
            raise OperationError(f"{ent.id} is not linked to an identity")
        lone = _lone_survivor(state, ent)
        return {ent.id: None, **({lone.id: None} if lone is not None else {})}

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        return _set_identities(state, self.changes(state))

    def inverse(self, before: Annotations) -> Operation:
        return _undo_changes(before, self.changes(before))

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"unlinked {_span_ref(self.entity_id, before, text)} from its identity"


# -- claim operations -----------------------------------------------------------------


@_op
@dataclass(frozen=True)
class AddClaim(Operation):
    """Mark a span as a claim (its inverse removes it)."""

    kind: ClassVar[str] = "add_claim"
    claim: Claim

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        c = self.claim
        _check_new_claim(c, state, state, text, schema)
        return replace(state, claims=_inserted(state.claims, c))

    def inverse(self, before: Annotations) -> Operation:
        return RemoveClaim(self.claim.id)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"marked claim {_words(self.claim, text)}"



@_op
@dataclass(frozen=True)
class RemoveClaim(Operation):
    """Take a claim away (its inverse adds it back as it was)."""

    kind: ClassVar[str] = "remove_claim"
    claim_id: str

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        _need_claim(state, self.claim_id)
        return replace(state, claims=tuple(c for c in state.claims if c.id != self.claim_id))

    def inverse(self, before: Annotations) -> Operation:
        return AddClaim(_need_claim(before, self.claim_id))

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"removed {_span_ref(self.claim_id, before, text)}"



@_op
@dataclass(frozen=True)
class MoveClaim(Operation):
    """Move a claim's span to ``[start, end)``."""

    kind: ClassVar[str] = "move_claim"
    claim_id: str
    start: int
    end: int

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        claim = _need_claim(state, self.claim_id)
        check_offsets(text, self.start, self.end)
        new = replace(claim, start=self.start, end=self.end)
        return _put_claim(state, claim, new)

    def inverse(self, before: Annotations) -> Operation:
        c = _need_claim(before, self.claim_id)
        return MoveClaim(self.claim_id, c.start, c.end)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"moved {_span_ref(self.claim_id, before, text)} to {_quote(text, self.start, self.end)}"



@_op
@dataclass(frozen=True)
class SetClaimAttributes(Operation):
    """Set some attributes of a claim; a value of None removes the attribute."""

    kind: ClassVar[str] = "set_claim_attributes"
    claim_id: str
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        claim = _need_claim(state, self.claim_id)
        check_claim_attributes(schema, self.attributes)
        merged = dict(claim.attributes)
        for k, v in self.attributes.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        new = replace(claim, attributes=merged)
        return _put_claim(state, claim, new)

    def inverse(self, before: Annotations) -> Operation:
        claim = _need_claim(before, self.claim_id)
        return SetClaimAttributes(self.claim_id, {k: claim.attributes.get(k) for k in self.attributes})

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        values = ", ".join(f"cleared {k}" if v is None else f"{k}={v}" for k, v in self.attributes.items())
        return f"set {values} on {_span_ref(self.claim_id, before, text)}".replace("set cleared", "cleared")



@_op
@dataclass(frozen=True)
class LinkClaimer(Operation):
    """Name the entity who makes a claim (``None``: nobody)."""

    kind: ClassVar[str] = "link_claimer"
    claim_id: str
    claimer: str | None

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        claim = _need_claim(state, self.claim_id)
        check_claimer(state, schema, self.claimer)
        new = replace(claim, claimer=self.claimer)
        return _put_claim(state, claim, new)

    def inverse(self, before: Annotations) -> Operation:
        return LinkClaimer(self.claim_id, _need_claim(before, self.claim_id).claimer)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        claim = _span_ref(self.claim_id, before, text)
        if self.claimer:
            return f"made {_span_ref(self.claimer, before, text)} the claimer of {claim}"
        return f"removed the claimer of {claim}"



# -- document operations --------------------------------------------------------------


@_op
@dataclass(frozen=True)
class SetStatus(Operation):
    """Set the document status. Marking done is refused while required fields are missing."""

    kind: ClassVar[str] = "set_status"
    status: str

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        check_status(self.status)
        if self.status == "done":
            missing = missing_requirements(state, schema)
            if missing:
                raise OperationError("cannot mark done: " + "; ".join(missing))
        return replace(state, status=self.status)

    def inverse(self, before: Annotations) -> Operation:
        return RestoreStatus(before.status)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"marked the document {self.status.replace('_', ' ')}"



@_op
@dataclass(frozen=True)
class RestoreStatus(SetStatus):
    """The inverse of SetStatus: restores an earlier status without re-checking requirements."""

    kind: ClassVar[str] = "restore_status"

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"set the document back to {self.status.replace('_', ' ')}"

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        check_status(self.status)
        return replace(state, status=self.status)


@_op
@dataclass(frozen=True)
class SetNotes(Operation):
    """Replace the document's notes."""

    kind: ClassVar[str] = "set_notes"
    notes: str

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        check_notes(self.notes)
        return replace(state, notes=self.notes)

    def inverse(self, before: Annotations) -> Operation:
        return SetNotes(before.notes)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"set the note to {_quote(self.notes, 0, len(self.notes))}" if self.notes else "cleared the note"



@_op
@dataclass(frozen=True)
class SetDocumentAttributes(Operation):
    """Set document-level attributes (merged over those already set)."""

    kind: ClassVar[str] = "set_document_attributes"
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        check_document_attributes(schema, self.attributes)
        merged = dict(state.attributes)
        for key, value in self.attributes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return replace(state, attributes=merged)

    def inverse(self, before: Annotations) -> Operation:
        return SetDocumentAttributes({k: before.attributes.get(k) for k in self.attributes})

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        values = ", ".join(f"{k}={'(none)' if v is None else v}" for k, v in self.attributes.items())
        return f"set document {values}"



@_op
@dataclass(frozen=True)
class ReplaceAnnotations(Operation):
    """Replace all spans, status, notes and attributes at once (imports); validated as a whole."""

    kind: ClassVar[str] = "replace_annotations"
    state: Annotations

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        """The same checks as adding each span in turn (AddEntity, AddClaim, LinkClaimer), and the
        same first error, in O(n log n) rather than O(n²): an import may bring 100,000 spans."""
        target = self.state
        # the document and annotator it lands on (an import's --annotator, a reader's id)
        _refuse([id_problem(state.doc_id, "document id"),
                 None if state.annotator is None else id_problem(state.annotator, "annotator")])
        check_status(target.status)
        check_notes(target.notes)
        check_document_attributes(schema, target.attributes)
        entities = list(target.entities)
        used: dict[str, Entity] = {}
        first_bad: tuple[int, OperationError] | None = None
        for i, e in enumerate(entities):
            try:
                _check_fresh_id(used, e.id)
                check_offsets(text, e.start, e.end)
                _check_label(schema, e.label)
                _refuse([source_problem(e.source), source_problem(e.identity, "identity")])
            except OperationError as exc:
                first_bad = (i, exc)
                break
            used[e.id] = e
        misfit = _first_misfit(entities[:first_bad[0]] if first_bad else entities, schema)
        if misfit is not None:
            later, other = misfit
            check_entity_fits(replace(state, entities=(entities[other],)), entities[later], schema)
        if first_bad is not None:
            raise first_bad[1]
        index = _Entities(used)
        claim_ids: set[str] = set()
        for c in target.claims:
            if not schema.claims.enabled:
                raise OperationError(f"schema {schema.name} does not allow claims")
            _check_fresh_id(used, c.id)
            if c.id in claim_ids:
                raise OperationError(f"id {c.id!r} is already used in this document")
            claim_ids.add(c.id)
            check_offsets(text, c.start, c.end)
            _refuse([source_problem(c.source)])
            check_claim_attributes(schema, c.attributes)
        for c in target.claims:
            check_claimer(index, schema, c.claimer)
        return replace(state, entities=sort_spans(entities), claims=sort_spans(target.claims),
                       status=target.status, notes=target.notes,
                       attributes={k: v for k, v in target.attributes.items() if v is not None})

    def inverse(self, before: Annotations) -> Operation:
        return ReplaceAnnotations(before)

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        return f"imported {len(self.state.entities)} entities and {len(self.state.claims)} claims"



@_op
@dataclass(frozen=True)
class Batch(Operation):
    """Several operations applied as one (one undo step)."""

    kind: ClassVar[str] = "batch"
    ops: tuple[Operation, ...]
    label: str = ""

    def apply(self, state: Annotations, text: Text, schema: Schema) -> Annotations:
        for op in self.ops:
            state = op.apply(state, text, schema)
        return state

    def inverse(self, before: Annotations) -> Operation:
        raise OperationError("a batch's inverse depends on the text: use apply_operation")

    def describe(self, before: Annotations | None = None, text: Text = "") -> str:
        match self.ops:  # accepting a proposal as another label (``recommend.apply``)
            case (RelabelEntity(entity_id=a, label=label), SetSource(span_id=b, source=None)) if a == b:
                ent = before.entity(a) if before is not None else None
                return f"accepted proposal {_words(ent, text) if ent else a} as {label}"
        return self.label or "; ".join(op.describe(before, text) for op in self.ops)



def apply_operation(op: Operation, state: Annotations, text: Text, schema: Schema) -> tuple[Annotations, Operation]:
    """Apply ``op`` (validated) and return the new state with the exact inverse.

    A Batch computes each step's inverse against the state that step saw, so
    undoing a batch restores the state exactly.
    """
    if isinstance(op, Batch):
        inverses: list[Operation] = []
        for sub in op.ops:
            state, inv = apply_operation(sub, state, text, schema)
            inverses.append(inv)
        return state, Batch(tuple(reversed(inverses)), op.label)
    inverse = op.inverse(state)
    return op.apply(state, text, schema), inverse
