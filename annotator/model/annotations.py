"""Plain data for documents and the labels one annotator put on them.

These classes cross every boundary (store, formats, TUI), so they are plain
frozen dataclasses with JSON round-trip helpers and no behaviour beyond that.
Entities and claims share one base, ``Span``; their JSON forms follow from their
fields (``model.codec``), so adding a field needs no hand-written codec.
Offsets are Python code-point offsets ``[start, end)`` into ``Document.text``,
which is stored exactly as it was given.

The classes do not check their fields (they are built in hot paths and from the
store); every value is checked where it enters, by ``model.checks`` (ids, offsets,
shapes) and the schema's ``Attribute.check`` (attribute values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from operator import attrgetter, le, lt
from typing import Any, ClassVar, TypeVar

from annotator.model.checks import DOC_STATUSES
from annotator.model.codec import WritesItself, by_fields, decode, encode_fields, span_writer

__all__ = ["DOC_STATUSES", "AttrValue", "Document", "Span", "Entity", "Claim", "Rejection", "Annotations", "sort_spans",
           "in_span_order", "in_canonical_order", "span_order", "text_hash", "identities_of", "with_identities"]


# Attribute values are plain JSON scalars: str (choice or free text), bool, int/float, or None.
AttrValue = str | bool | int | float | None


def text_hash(text: str) -> str:
    """Identity of a text for de-duplication: sha256 of its exact UTF-8 bytes.

    ``surrogatepass`` keeps lone surrogates from a bad decoder hashable
    (they are stored as they came, never repaired silently).
    """
    import hashlib  # here: its OpenSSL module costs start-up 2 ms, and the first screen hashes nothing

    digest = hashlib.sha256()
    for i in range(0, len(text), _HASH_STEP):  # a piece at a time: a long text is never encoded whole
        digest.update(text[i:i + _HASH_STEP].encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_HASH_STEP = 1 << 16  # code points; UTF-8 encodes each on its own, so the pieces' bytes are the text's


@dataclass(frozen=True)
class Document:
    """A text to annotate. ``id`` is the file stem unless the input named one."""

    id: str
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        return text_hash(self.text)


S = TypeVar("S", bound="Span")


class Span:
    """What entities and claims share: an ``id``, code-point offsets ``[start, end)`` into the
    document text, and a ``source``: set for pre-annotations (e.g. ``"import:prodigy"``) until
    an annotator accepts or edits them, ``None`` when the annotator made the span.

    The subclasses are frozen dataclasses that declare these fields themselves (``source``
    last, so it keeps its default); the JSON forms follow from their fields (``model.codec``).
    """

    id: str
    start: int
    end: int
    source: str | None
    EXPORT_KEYS: ClassVar[tuple[str, ...]]  # the export's keys in order; "text" is the covered text
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()  # fields left out of every JSON form while null

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def to_json(self, text: str) -> dict[str, Any]:
        """The exported form (native JSONL): ``EXPORT_KEYS`` in order with the covered text, a key of
        ``OMIT_NONE`` left out while null, mappings with sorted keys, ``source`` only when set
        (``codec.span_writer`` makes it straight-line code per class: an export writes every span)."""
        return span_writer(type(self), self.EXPORT_KEYS, self.OMIT_NONE)(self, text)  # type: ignore[no-any-return]

    @classmethod
    @by_fields
    def from_json(cls: type[S], d: object) -> S:
        return decode(cls, d, cls.__name__.lower())


@dataclass(frozen=True)
class Entity(Span):
    """A labelled span. ``identity`` (e.g. ``"i1"``) links the mentions of one person or
    organization in the document (``LinkIdentity``); it is left out of every JSON form while
    null, so op logs and states written before it existed keep their bytes."""

    EXPORT_KEYS: ClassVar[tuple[str, ...]] = ("id", "start", "end", "label", "text", "identity")
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"identity"})
    id: str
    start: int
    end: int
    label: str
    source: str | None = None
    identity: str | None = None


@dataclass(frozen=True)
class Claim(Span):
    """A claim span with its attributes and an optional link to the claimer entity."""

    EXPORT_KEYS: ClassVar[tuple[str, ...]] = ("id", "start", "end", "text", "claimer", "attributes")
    id: str
    start: int
    end: int
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)
    claimer: str | None = None  # an Entity.id of the same (document, annotator)
    source: str | None = None


@dataclass(frozen=True)
class Rejection:
    """A proposal the annotator rejected on this document, so no recommender proposes it again:
    the span and, for an entity, its label (``kind`` is "entity" or "claim")."""

    kind: str
    start: int
    end: int
    label: str | None = None

    @classmethod
    @by_fields
    def from_json(cls, d: object) -> Rejection:
        return decode(cls, d, "rejection")


@dataclass(frozen=True)
class Annotations(WritesItself):
    """Everything one annotator recorded on one document (the materialized state).

    ``attributes`` holds document-level labels (e.g. CheckThat! check-worthiness).
    ``version`` counts applied operations; the store uses it for optimistic locking.
    ``rejected`` lists the proposals the annotator rejected (``RejectProposal``), kept with the
    labels so undo and the op log cover them; left out of the stored JSON while empty.
    """

    doc_id: str
    annotator: str | None
    status: str = "todo"
    notes: str = ""
    entities: tuple[Entity, ...] = ()
    claims: tuple[Claim, ...] = ()
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)
    version: int = 0
    schema_name: str | None = None  # the schema the annotator worked under
    schema_version: str | None = None
    created_at: str | None = None  # ISO 8601 UTC
    updated_at: str | None = None
    rejected: tuple[Rejection, ...] = ()

    # -- lookups ---------------------------------------------------------------
    def entity(self, entity_id: str) -> Entity | None:
        return next((e for e in self.entities if e.id == entity_id), None)

    def claim(self, claim_id: str) -> Claim | None:
        return next((c for c in self.claims if c.id == claim_id), None)

    def mentions(self, identity: str | None) -> tuple[Entity, ...]:
        """The entities of ``identity`` in canonical order (none for ``None``)."""
        return () if identity is None else tuple(e for e in self.entities if e.identity == identity)

    def identities(self) -> dict[str, tuple[Entity, ...]]:
        """Each identity with its mentions, in the order of their first mention."""
        out: dict[str, list[Entity]] = {}
        for e in self.entities:
            if e.identity is not None:
                out.setdefault(e.identity, []).append(e)
        return {k: tuple(v) for k, v in out.items()}

    def with_(self, **changes: Any) -> Annotations:
        return replace(self, **changes)

    # -- JSON ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """State for the store (not the export format, which adds text and schema):
        every field, with the spans' null fields left out."""
        out = encode_fields(self, given={  # the spans once, without their null fields
            "entities": [encode_fields(e, omit_none=True) for e in self.entities],
            "claims": [encode_fields(c, omit_none=True) for c in self.claims],
        })
        if not self.rejected:
            del out["rejected"]  # states without rejections are stored exactly as before
        return out

    @classmethod
    def from_json(cls, d: object) -> Annotations:
        """A stored state, its spans in canonical order: a store edited by hand may hold them in any order, and
        the operations put a new or changed span in its place by bisection (``operations._inserted``), so the
        order is made sure of here, once per load (checked at C speed; sorted only when out of order)."""
        return in_canonical_order(decode(cls, d, "annotations"))


def in_canonical_order(state: Annotations) -> Annotations:
    """``state`` with its spans in canonical order: as it is when already so (checked at C speed), else sorted;
    a state whose offsets or ids are of the wrong type is left as it came, for the checks that refuse it."""
    try:
        if in_span_order(state.entities) and in_span_order(state.claims):
            return state
        return replace(state, entities=sort_spans(state.entities), claims=sort_spans(state.claims))
    except TypeError:
        return state


def span_order(span: Span) -> tuple[int, int, str]:
    """A span's place in the canonical order (state, export): by start, longer first, then id."""
    return span.start, -span.end, span.id


def sort_spans(spans: Iterable[S]) -> tuple[S, ...]:
    """Spans in canonical order (``span_order``)."""
    return tuple(sorted(spans, key=span_order))


def in_span_order(spans: Sequence[Span]) -> bool:
    """Whether ``spans`` are in canonical order (``span_order``): their starts compared at C speed, and only where
    two spans start together (or out of order) their whole keys."""
    if len(spans) < 2:
        return True
    starts = list(map(_START, spans))
    if all(map(lt, starts, islice(starts, 1, None))):
        return True
    keys = list(map(span_order, spans))
    return all(map(le, keys, islice(keys, 1, None)))


_START = attrgetter("start")


def identities_of(links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Entity id → identity for pairs of mentions said to be one (a format's "same-as" relations,
    brat's ``Equiv``): linked mentions share an identity, named ``i1``, ``i2`` … in the order
    their first mention was read."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
    names: dict[str, str] = {}
    return {x: names.setdefault(root(x), f"i{len(names) + 1}") for x in parent}


def with_identities(entities: Iterable[Entity], identities: Mapping[str, str]) -> list[Entity]:
    """``entities`` with the identities ``identities`` gives them (the others unchanged)."""
    return [replace(e, identity=identities[e.id]) if e.id in identities else e for e in entities]
