"""Plain data for documents and the labels one annotator put on them.

These classes cross every boundary (store, formats, TUI), so they are plain
frozen dataclasses with JSON round-trip helpers and no behaviour beyond that.
Offsets are Python code-point offsets ``[start, end)`` into ``Document.text``,
which is stored exactly as it was given.

The classes do not check their fields (they are built in hot paths and from the
store); every value is checked where it enters, by ``model.checks`` (ids, offsets,
shapes) and the schema's ``Attribute.check`` (attribute values).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

DOC_STATUSES = ("todo", "in_progress", "done", "skipped", "flagged")

# Attribute values are plain JSON scalars: str (choice or free text), bool, int/float, or None.
AttrValue = str | bool | int | float | None


def text_hash(text: str) -> str:
    """Identity of a text for de-duplication: sha256 of its exact UTF-8 bytes.

    ``surrogatepass`` keeps lone surrogates from a bad decoder hashable
    (they are stored as they came, never repaired silently).
    """
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Document:
    """A text to annotate. ``id`` is the file stem unless the input named one."""

    id: str
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        return text_hash(self.text)


@dataclass(frozen=True)
class Entity:
    """A labelled span. ``source`` is set for pre-annotations (e.g. ``"import:prodigy"``)
    until an annotator accepts or edits them; ``None`` means the annotator made it."""

    id: str
    start: int
    end: int
    label: str
    source: str | None = None

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def to_json(self, text: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": text[self.start : self.end],
        }
        if self.source is not None:
            out["source"] = self.source
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Entity":
        return cls(
            id=str(d["id"]),
            start=int(d["start"]),
            end=int(d["end"]),
            label=str(d["label"]),
            source=d.get("source"),
        )


@dataclass(frozen=True)
class Claim:
    """A claim span with its attributes and an optional link to the claimer entity."""

    id: str
    start: int
    end: int
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)
    claimer: str | None = None  # an Entity.id of the same (document, annotator)
    source: str | None = None

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def to_json(self, text: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "text": text[self.start : self.end],
            "claimer": self.claimer,
            "attributes": dict(sorted(self.attributes.items())),
        }
        if self.source is not None:
            out["source"] = self.source
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Claim":
        return cls(
            id=str(d["id"]),
            start=int(d["start"]),
            end=int(d["end"]),
            attributes=dict(d.get("attributes") or {}),
            claimer=d.get("claimer"),
            source=d.get("source"),
        )


@dataclass(frozen=True)
class Annotations:
    """Everything one annotator recorded on one document (the materialized state).

    ``attributes`` holds document-level labels (e.g. CheckThat! check-worthiness).
    ``version`` counts applied operations; the store uses it for optimistic locking.
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

    # -- lookups ---------------------------------------------------------------
    def entity(self, entity_id: str) -> Entity | None:
        return next((e for e in self.entities if e.id == entity_id), None)

    def claim(self, claim_id: str) -> Claim | None:
        return next((c for c in self.claims if c.id == claim_id), None)

    def spans_at(self, offset: int) -> list[Entity | Claim]:
        """Entities and claims covering ``offset``, innermost (shortest) first."""
        hits: list[Entity | Claim] = [
            s for s in (*self.entities, *self.claims) if s.start <= offset < s.end
        ]
        return sorted(hits, key=lambda s: (s.end - s.start, s.start))

    def with_(self, **changes: Any) -> "Annotations":
        return replace(self, **changes)

    # -- JSON ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """State for the store (not the export format, which adds text and schema)."""
        return {
            "doc_id": self.doc_id,
            "annotator": self.annotator,
            "status": self.status,
            "notes": self.notes,
            "entities": [
                {k: v for k, v in (("id", e.id), ("start", e.start), ("end", e.end),
                                   ("label", e.label), ("source", e.source)) if v is not None}
                for e in self.entities
            ],
            "claims": [
                {k: v for k, v in (("id", c.id), ("start", c.start), ("end", c.end),
                                   ("attributes", dict(c.attributes)), ("claimer", c.claimer),
                                   ("source", c.source)) if v is not None}
                for c in self.claims
            ],
            "attributes": dict(self.attributes),
            "version": self.version,
            "schema_name": self.schema_name,
            "schema_version": self.schema_version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Annotations":
        return cls(
            doc_id=str(d["doc_id"]),
            annotator=d.get("annotator"),
            status=d.get("status", "todo"),
            notes=d.get("notes", ""),
            entities=tuple(Entity.from_json(e) for e in d.get("entities", ())),
            claims=tuple(Claim.from_json(c) for c in d.get("claims", ())),
            attributes=dict(d.get("attributes") or {}),
            version=int(d.get("version", 0)),
            schema_name=d.get("schema_name"),
            schema_version=d.get("schema_version"),
            created_at=d.get("created_at"),
            updated_at=d.get("updated_at"),
        )


def sort_spans(spans: tuple[Entity, ...] | tuple[Claim, ...]) -> tuple:
    """Canonical span order everywhere (state, export): by start, longer first, then id."""
    return tuple(sorted(spans, key=lambda s: (s.start, -s.end, s.id)))
