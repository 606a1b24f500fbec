"""The annotation session: the one layer through which the TUI, the CLI and the tests change labels.

It validates every operation against the schema and the document text, writes
it durably through the store (state + log in one transaction) and only then
returns, so whatever the caller shows as saved is saved. Undo and redo come
from the store's operation log, so they survive restarts.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Iterator

from annotator.assignment import SETTING as ASSIGNMENT_SETTING
from annotator.assignment import DynamicQueue
from annotator.errors import OperationError
from annotator.model.annotations import DOC_STATUSES, Annotations, AttrValue, Claim, Document, Entity
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    AddProposals,
    Batch,
    LinkClaimer,
    MoveClaim,
    MoveEntity,
    Operation,
    RelabelEntity,
    RemoveClaim,
    RemoveEntity,
    ReplaceAnnotations,
    RestoreStatus,
    SetClaimAttributes,
    SetDocumentAttributes,
    SetNotes,
    SetSource,
    SetStatus,
    apply_operation,
    missing_requirements,
)
from annotator.schema.model import Schema
from annotator.store.base import HEARTBEAT_SECONDS, Position, SessionClaim, Store


def default_annotator() -> str:
    """The login name, the default ``--annotator``."""
    for var in ("ANNOTATOR", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return "annotator"


@dataclass(frozen=True)
class Change:
    """What an apply/undo/redo did: the saved state and a short description for the UI."""

    doc_id: str
    state: Annotations
    description: str
    action: str  # "do", "undo", "redo"


@dataclass(frozen=True)
class Progress:
    total: int
    by_status: dict[str, int]

    @property
    def finished(self) -> int:
        return self.by_status.get("done", 0) + self.by_status.get("skipped", 0)

    @property
    def fraction(self) -> float:
        return self.finished / self.total if self.total else 0.0


class AnnotationSession:
    """One annotator working on one store under one schema."""

    def __init__(self, store: Store, schema: Schema, annotator: str | None = None) -> None:
        self.store = store
        self.schema = schema
        self.annotator = annotator or default_annotator()
        self._docs: dict[str, Document] = {}
        self._claimed = False
        self._lost = False  # another session took the claim over

    # -- one live session per annotator ------------------------------------------------

    def claim(self, *, take_over: bool = False) -> SessionClaim | None:
        """Make this the annotator's one live session (StoreError if another live one holds it).

        Returns the claim it replaced, if any: a stale one, or with ``take_over`` a live one.
        """
        ended = self.store.claim_session(self.annotator, take_over=take_over)
        self._claimed = True
        return ended

    def heartbeat(self) -> bool:
        """Keep the claim alive (the app calls this every HEARTBEAT_SECONDS); False once another
        session has taken it over. A session that never claimed has nothing to refresh."""
        if not self._claimed or self._lost:
            return not self._lost
        self._lost = not self.store.heartbeat(self.annotator)
        return not self._lost

    # -- documents ---------------------------------------------------------------------

    def document_ids(self) -> list[str]:
        """This annotator's own queue when the store assigns them documents, else every document."""
        queue = self._queue(take=True)
        return self.store.document_ids() if queue is None else queue

    def document(self, doc_id: str) -> Document:
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self.store.get_document(doc_id)
            if doc is None:
                raise OperationError(f"no document {doc_id!r} in {self.store.path}")
            if len(self._docs) > 64:
                self._docs.clear()
            self._docs[doc_id] = doc
        return doc

    def annotations(self, doc_id: str) -> Annotations:
        return self.store.load(doc_id, self.annotator)

    def iter_documents(self) -> Iterator[Document]:
        return self.store.iter_documents()

    def progress(self) -> Progress:
        statuses = self.store.statuses(self.annotator)
        total = self.store.count_documents()
        queue = self._queue(take=False)
        if queue is not None:  # progress through the annotator's own queue
            statuses, total = {d: statuses[d] for d in queue if d in statuses}, len(queue)
        counts = {s: 0 for s in DOC_STATUSES}
        for st in statuses.values():
            counts[st] = counts.get(st, 0) + 1
        counts["todo"] += total - len(statuses)
        return Progress(total, counts)

    def statuses(self) -> dict[str, str]:
        return self.store.statuses(self.annotator)

    # -- the annotator's queue (docs/assignment.md) --------------------------------------

    def dynamic_queue(self) -> DynamicQueue | None:
        return DynamicQueue.from_setting(self.store.get_setting(ASSIGNMENT_SETTING))

    def _queue(self, *, take: bool) -> list[str] | None:
        """The annotator's documents in order, or None where the store assigns them none (all are theirs).

        In dynamic mode the queue is what they have taken; with ``take``, when nothing in it is
        left to do (todo or in progress) one more document is taken, so opening the app gives work.
        """
        queue = self.store.assigned_documents(self.annotator)
        dynamic = self.dynamic_queue()
        if dynamic is None:
            return queue or None
        if take:
            statuses = self.store.statuses(self.annotator)
            if all(statuses.get(d, "todo") in ("done", "skipped") for d in queue):
                taken = self.store.take_document(self.annotator, dynamic.overlap, dynamic.lease_seconds)
                if taken is not None:
                    queue = self.store.assigned_documents(self.annotator)
        return queue

    def next_document(self, after: str | None = None) -> str | None:
        """The document after ``after`` in this annotator's queue; past its end, in dynamic mode, a newly
        taken one (atomically: see ``Store.take_document``). None when nothing is left."""
        queue = self._queue(take=False)
        ids = self.store.document_ids() if queue is None else queue
        if after in ids and ids.index(after) + 1 < len(ids):
            return ids[ids.index(after) + 1]
        if after is None and ids:
            return ids[0]
        dynamic = self.dynamic_queue()
        if dynamic is None:
            return None
        return self.store.take_document(self.annotator, dynamic.overlap, dynamic.lease_seconds)

    # -- the one write path ------------------------------------------------------------

    def apply(self, doc_id: str, op: Operation) -> Change:
        """Validate and durably apply ``op``; raises OperationError (nothing saved) if refused."""
        doc = self.document(doc_id)
        before = self.annotations(doc_id)
        after, inverse = apply_operation(op, before, doc.text, self.schema)
        if before.status == "todo" and after.status == "todo" and not isinstance(op, (SetStatus, ReplaceAnnotations, AddProposals)):
            after = after.with_(status="in_progress")
            op = Batch((op, SetStatus("in_progress")), op.describe())
            inverse = Batch((RestoreStatus("todo"), inverse), inverse.describe())
        after = after.with_(schema_name=self.schema.name, schema_version=self.schema.version)
        saved = self.store.commit(doc_id, self.annotator, before.version, after, "do", op, inverse, None)
        return Change(doc_id, saved, op.describe(), "do")

    def undo(self, doc_id: str) -> Change | None:
        target = self.store.undo_target(doc_id, self.annotator)
        if target is None:
            return None
        seq, inverse = target
        return self._replay(doc_id, inverse, "undo", seq)

    def redo(self, doc_id: str) -> Change | None:
        target = self.store.redo_target(doc_id, self.annotator)
        if target is None:
            return None
        seq, op = target
        return self._replay(doc_id, op, "redo", seq)

    def _replay(self, doc_id: str, op: Operation, action: str, ref: int) -> Change:
        doc = self.document(doc_id)
        before = self.annotations(doc_id)
        after, back = apply_operation(op, before, doc.text, self.schema)
        after = after.with_(schema_name=self.schema.name, schema_version=self.schema.version)
        saved = self.store.commit(doc_id, self.annotator, before.version, after, action, op, back, ref)
        return Change(doc_id, saved, f"{action}: {op.describe()}", action)

    # -- convenience operations (the TUI's vocabulary) ---------------------------------

    def new_id(self, state: Annotations, prefix: str) -> str:
        used = {e.id for e in state.entities} | {c.id for c in state.claims}
        n = 1
        for sid in used:
            if sid.startswith(prefix) and sid[len(prefix):].isdigit():
                n = max(n, int(sid[len(prefix):]) + 1)
        while f"{prefix}{n}" in used:
            n += 1
        return f"{prefix}{n}"

    def add_entity(self, doc_id: str, start: int, end: int, label: str) -> Change:
        state = self.annotations(doc_id)
        return self.apply(doc_id, AddEntity(Entity(self.new_id(state, "e"), start, end, label)))

    def remove_entity(self, doc_id: str, entity_id: str) -> Change:
        return self.apply(doc_id, RemoveEntity(entity_id))

    def relabel_entity(self, doc_id: str, entity_id: str, label: str) -> Change:
        return self.apply(doc_id, RelabelEntity(entity_id, label))

    def move_entity(self, doc_id: str, entity_id: str, start: int, end: int) -> Change:
        return self.apply(doc_id, MoveEntity(entity_id, start, end))

    def accept(self, doc_id: str, span_id: str) -> Change:
        """Accept a pre-annotation: it becomes the annotator's own."""
        return self.apply(doc_id, SetSource(span_id, None))

    def add_claim(self, doc_id: str, start: int, end: int,
                  attributes: dict[str, AttrValue] | None = None, claimer: str | None = None) -> Change:
        state = self.annotations(doc_id)
        attrs = {a.key: a.default for a in self.schema.claims.attributes if a.default is not None}
        attrs.update(attributes or {})
        return self.apply(doc_id, AddClaim(Claim(self.new_id(state, "c"), start, end, attrs, claimer)))

    def remove_claim(self, doc_id: str, claim_id: str) -> Change:
        return self.apply(doc_id, RemoveClaim(claim_id))

    def move_claim(self, doc_id: str, claim_id: str, start: int, end: int) -> Change:
        return self.apply(doc_id, MoveClaim(claim_id, start, end))

    def set_claim_attributes(self, doc_id: str, claim_id: str, attributes: dict[str, AttrValue]) -> Change:
        return self.apply(doc_id, SetClaimAttributes(claim_id, attributes))

    def link_claimer(self, doc_id: str, claim_id: str, entity_id: str | None) -> Change:
        return self.apply(doc_id, LinkClaimer(claim_id, entity_id))

    def set_status(self, doc_id: str, status: str) -> Change:
        return self.apply(doc_id, SetStatus(status))

    def set_notes(self, doc_id: str, notes: str) -> Change:
        return self.apply(doc_id, SetNotes(notes))

    def set_document_attributes(self, doc_id: str, attributes: dict[str, AttrValue]) -> Change:
        return self.apply(doc_id, SetDocumentAttributes(attributes))

    def missing_for_done(self, doc_id: str) -> list[str]:
        return missing_requirements(self.annotations(doc_id), self.schema)

    # -- resume ------------------------------------------------------------------------

    def position(self) -> Position:
        return self.store.get_position(self.annotator)

    def save_position(self, doc_id: str, cursor: int) -> None:
        self.store.set_position(self.annotator, Position(doc_id, cursor))
