"""The annotation session: the one layer through which the TUI, the CLI and the tests change labels.

It validates every operation against the schema and the document text, writes
it durably through the store (state + log in one transaction) and only then
returns, so whatever the caller shows as saved is saved. Undo and redo come
from the store's operation log, so they survive restarts.

The app does not call the write path on its UI thread: it queues the calls on an
``editing.Saver`` (one writer thread, in order) and attaches it as ``pending``; every
public method here that reaches the store first waits for those queued calls, so
callers on any thread read their own writes and the store is used by one thread at a
time. The pure rules the editor shares with the session (``plan_change``, ``new_id``,
``claim_defaults``) live here, once.

Long because it is the one write path: validation, durable saving, undo/redo and the rules
the editor shares with it live together.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial, wraps
from itertools import chain
from operator import attrgetter
from typing import ParamSpec, Protocol, TypeVar

from annotator.assignment import SETTING as ASSIGNMENT_SETTING
from annotator.assignment import DynamicQueue
from annotator.errors import OperationError, StaleStateError
from annotator.layout.bounded import Bounded
from annotator.layout.stored import StoredText, Text, stored_text
from annotator.model.annotations import DOC_STATUSES, Annotations, AttrValue, Claim, Document, Entity
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    AddProposals,
    Batch,
    LinkClaimer,
    LinkIdentity,
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
    UnlinkIdentity,
    apply_operation,
    missing_requirements,
    said,
)
from annotator.schema.model import Schema
from annotator.store.base import HEARTBEAT_SECONDS, Position, SessionClaim, Store

__all__ = ["HEARTBEAT_SECONDS", "AnnotationSession", "Change", "Documents", "Progress", "claim_defaults",
           "highest_id", "id_number", "new_id", "plan_change"]

P = ParamSpec("P")
R = TypeVar("R")


def default_annotator() -> str:
    """The login name, the default ``--annotator``."""
    for var in ("ANNOTATOR", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    import getpass  # here: only without those variables (importing it cost every start)

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
    """An annotator's documents by status, and how many there are."""

    total: int
    by_status: dict[str, int]

    @property
    def finished(self) -> int:
        return self.by_status.get("done", 0) + self.by_status.get("skipped", 0)

    @property
    def fraction(self) -> float:
        return self.finished / self.total if self.total else 0.0


QUEUE_CHUNK = 400  # ids of a queue whose statuses are asked for in one query
KEPT = 64  # documents, saved states and places a session keeps (least recently used out first)
KEPT_TEXTS = 8  # big texts being read by ranges a session keeps


class Documents:
    """The annotator's documents in order, as the app walks them: their queue (a list) when the store
    assigns them documents, else the whole store, addressed by number through the store's keyset pages
    and counts (``Store.document_page``, ``document_number``, ``document_at``) and never listed, so
    opening the app and moving between documents read a few rows at any store size."""

    def __init__(self, store: Store, annotator: str, queue: list[str] | None, count: int | None = None,
                 settle: Callable[[], None] = lambda: None) -> None:
        """``count``: the store's documents when the caller has counted them already (progress has);
        ``settle``: waits for the session's queued writes, called before each read (one thread at a time)."""
        self._store = store
        self._settle = settle
        self.annotator = annotator
        self.queue = queue
        self._numbers: Bounded[str, int] = Bounded(KEPT)  # a few places known (0: not among them): counting
        # one walks the index up to it
        self._count: int | None = len(queue) if queue is not None else count

    @property
    def store(self) -> Store:
        self._settle()
        return self._store

    def __len__(self) -> int:
        """Counted once (the store's documents, or the queue): like the list the app once read at start-up."""
        if self._count is None:
            self._count = self.store.count_documents()
        return self._count

    def number(self, doc_id: str) -> int:
        """``doc_id``'s place, 1-based; 0 when it is not among them."""
        if self.queue is not None:
            return self.queue.index(doc_id) + 1 if doc_id in self.queue else 0
        if doc_id not in self._numbers:
            self._know(doc_id, self.store.document_number(doc_id))
        return self._numbers.find(doc_id) or 0

    def _know(self, doc_id: str, number: int | None) -> None:
        self._numbers.put(doc_id, number or 0)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.number(doc_id) > 0

    def at(self, number: int) -> str | None:
        """The ``number``-th (1-based), None outside 1..len."""
        if self.queue is not None:
            return self.queue[number - 1] if 1 <= number <= len(self.queue) else None
        doc_id = self.store.document_at(number)
        if doc_id is not None:
            self._know(doc_id, number)
        return doc_id

    def step(self, doc_id: str, delta: int) -> str | None:
        """The document ``delta`` (±1) places from ``doc_id``; None past either end."""
        if self.queue is not None:
            i = self.number(doc_id) - 1 + delta
            return self.queue[i] if doc_id in self.queue and 0 <= i < len(self.queue) else None
        here = self.store.document_page(self.annotator, ids=[doc_id], limit=1)
        if not here:
            return None
        seq = here[0].seq
        rows = (self.store.document_page(self.annotator, after=seq, limit=1) if delta > 0 else
                self.store.document_page(self.annotator, after=0, before=seq, limit=1))
        if not rows:
            return None
        known = self._numbers.find(doc_id)
        if known:  # the neighbour's place follows from this one's: no count
            self._know(rows[0].id, known + delta)
        return rows[0].id

    def first(self) -> str | None:
        return self.at(1)

    def first_unfinished(self, statuses: dict[str, str] | None = None) -> str | None:
        """The first document still todo or in progress, else the first one (``statuses``: the queue's,
        when the caller has just read them)."""
        if self.queue is not None:
            if statuses is None:
                statuses = queue_statuses(self.store, self.annotator, self.queue)
            return next((d for d in self.queue if statuses.get(d, "todo") in ("todo", "in_progress")),
                        self.first())
        found = [rows[0] for status in ("in_progress", "todo")
                 if (rows := self.store.document_page(self.annotator, status=status, limit=1))]
        return min(found, key=lambda row: row.seq).id if found else self.first()


def queue_statuses(store: Store, annotator: str, queue: list[str]) -> dict[str, str]:
    """The statuses of a queue's documents (todo where unlabelled), a chunk of ids per query: never
    every status of the annotator."""
    out: dict[str, str] = {}
    for lo in range(0, len(queue), QUEUE_CHUNK):
        chunk = queue[lo:lo + QUEUE_CHUNK]
        out.update((row.id, row.status) for row in store.document_page(annotator, ids=chunk, limit=len(chunk)))
    return out


def new_id(state: Annotations, prefix: str) -> str:
    """The next free span id with ``prefix`` ("e" or "c"): one past the highest in use (a number of decimal
    digits after ``prefix``, ``id_number``)."""
    return f"{prefix}{highest_id(state, prefix) + 1}"


def highest_id(state: Annotations, prefix: str) -> int:
    """The highest ``id_number`` among ``state``'s spans (0 for none): one regular-expression scan of the ids
    joined (C loops: a label among 30,000 proposals paid 10 ms for a Python loop over them)."""
    ids = "\0".join(chain(map(_ID, state.entities), map(_ID, state.claims)))
    numbers = re.findall(f"(?:\\A|\0){re.escape(prefix)}(\\d+)(?=\0|\\Z)", ids)
    return max(map(int, numbers), default=0)


def id_number(span_id: str, prefix: str) -> int:
    """What ``new_id`` counts in ``span_id``: the number after ``prefix``, or 0 when it is not that."""
    digits = span_id.removeprefix(prefix)
    return int(digits) if digits != span_id and digits.isdecimal() else 0


_ID = attrgetter("id")


def claim_defaults(schema: Schema) -> dict[str, AttrValue]:
    """The attribute values a new claim starts with (the schema's defaults)."""
    return {a.key: a.default for a in schema.claims.attributes if a.default is not None}


def plan_change(op: Operation, before: Annotations, text: Text,
                schema: Schema) -> tuple[Operation, Annotations, Operation]:
    """What applying ``op`` to ``before`` does, without saving: (the op as logged, the state after,
    its inverse). Raises OperationError when refused.

    The one owner of the rule that the first change to a "todo" document also marks it
    "in progress" (undone together); the editor predicts the saved state with it, the
    session saves with it.
    """
    after, inverse = apply_operation(op, before, text, schema)
    changes: dict[str, object] = {}
    sets_status = isinstance(op, (SetStatus, ReplaceAnnotations, AddProposals))
    if before.status == "todo" and after.status == "todo" and not sets_status:
        changes["status"] = "in_progress"
        op = Batch((op, SetStatus("in_progress")), op.describe(before, text))
        inverse = Batch((RestoreStatus("todo"), inverse), op.label)
    if after.schema_name != schema.name or after.schema_version != schema.version:
        changes.update(schema_name=schema.name, schema_version=schema.version)
    return op, after.with_(**changes) if changes else after, inverse


def _counts(total: int, statuses: dict[str, str]) -> Progress:
    counts = {s: 0 for s in DOC_STATUSES}
    for st in statuses.values():
        counts[st] = counts.get(st, 0) + 1
    counts["todo"] += total - len(statuses)
    return Progress(total, counts)


class PendingWrites(Protocol):
    """Writes queued off the caller's thread (``editing.Saver``): the session waits for them
    before touching the store itself, so a read sees every write it was handed before."""

    def settle(self, timeout: float | None = None) -> bool: ...

    def on_worker(self) -> bool: ...


def _settled(method: Callable[P, R]) -> Callable[P, R]:
    """Run ``method`` only after the queued writes are done (unless on the writer thread itself)."""
    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        assert isinstance(session, AnnotationSession)
        session.settle()
        return method(*args, **kwargs)
    return wrapper


class AnnotationSession:
    """One annotator working on one store under one schema.

    Every public method that reaches the store first waits for the writes queued on
    ``pending`` (if a ``Saver`` is attached), so the store is only ever used by one
    thread at a time and every read sees the writes queued before it.
    """

    def __init__(self, store: Store, schema: Schema, annotator: str | None = None) -> None:
        self.store = store
        self.schema = schema
        self.annotator = annotator or default_annotator()
        self._docs: Bounded[str, Document] = Bounded(KEPT)
        self._texts: Bounded[str, StoredText] = Bounded(KEPT_TEXTS)  # big texts being read by ranges (``text``)
        self._saved: Bounded[str, Annotations] = Bounded(KEPT)  # each document's state as this session last saved
        # (or took) it
        self._claimed = False
        self._lost = False  # another session took the claim over
        self._queue_seen: tuple[str, DynamicQueue] | None = None  # the queue setting seen last (``_seen_queue``)
        self.pending: PendingWrites | None = None
        self._progress: Progress | None = None  # kept up to date by every commit (no rescans per key)
        self._counted: frozenset[str] | None = None  # the queue the counts are over (None: every document)
        self._progress_lock = threading.Lock()

    def settle(self) -> None:
        """Wait for the writes queued on ``pending`` (not on the writer thread itself)."""
        pending = self.pending
        if pending is not None and not pending.on_worker():
            pending.settle()

    # -- one live session per annotator ------------------------------------------------

    @_settled
    def claim(self, *, take_over: bool = False) -> SessionClaim | None:
        """Make this the annotator's one live session (StoreError if another live one holds it).

        Returns the claim it replaced, if any: a stale one, or with ``take_over`` a live one.
        """
        ended = self.store.claim_session(self.annotator, take_over=take_over)
        self._claimed = True
        return ended

    @_settled
    def heartbeat(self) -> bool:
        """Keep the claim alive (the app calls this every HEARTBEAT_SECONDS); False once another
        session has taken it over. A session that never claimed has nothing to refresh."""
        if not self._claimed or self._lost:
            return not self._lost
        self._lost = not self.store.heartbeat(self.annotator)
        return not self._lost

    # -- documents ---------------------------------------------------------------------

    @_settled
    def document_ids(self) -> list[str]:
        """This annotator's own queue when the store assigns them documents, else every document
        (the CLI's and the tests' list; the app walks ``documents()`` instead)."""
        queue = self.queue(take=True)
        return self.store.document_ids() if queue is None else queue

    @_settled
    def queue(self, *, take: bool = False) -> list[str] | None:
        """The annotator's queue in order, None where the store assigns them none (every document is
        theirs); with ``take``, in dynamic mode, a document is taken when nothing in it is left to do."""
        return self._queue(take=take)

    @_settled
    def documents(self, *, take: bool = False) -> Documents:
        """The annotator's documents as the app walks them (see ``Documents``): a few rows per step.
        Over the whole store their number is the progress total (one count of the store, not two)."""
        queue = self.queue(take=take)
        count = None if queue is not None else self.saved_progress().total
        return Documents(self.store, self.annotator, queue, count, settle=self.settle)

    @_settled
    def opening(self) -> tuple[Documents, Position]:
        """What the app opens with: ``documents(take=True)``, their progress counted afresh
        (``saved_progress(refresh=True)``) and where to start (``resume``), the same answers, but the
        store's queue and its statuses read once where those three read the queue three times and
        the statuses of a long queue two or three times, before the first screen."""
        if self._walks_own_queue():
            own, statuses = self._read_queue(take=True)  # the store's queue: walked and counted
            queue = own
        else:
            queue = self.queue(take=True)  # the documents walked, fixed by a subclass
            own, statuses = self._read_queue(take=False)  # what is counted
        progress, statuses = self._recount(own, statuses)
        documents = Documents(self.store, self.annotator, queue, progress.total, settle=self.settle)
        return documents, self._resume(documents, statuses if queue == own else None)

    def _walks_own_queue(self) -> bool:
        """Whether the documents walked are the store's queue for this annotator: yes unless a subclass
        fixes them by overriding ``queue`` (adjudication's list), which then never takes a document."""
        return type(self).queue is AnnotationSession.queue

    @_settled
    def resume(self, documents: Documents) -> Position:
        """Where the app opens: the saved position when its document is among ``documents``, else the
        first unfinished document at its start (a position without a document: there is none)."""
        return self._resume(documents)

    def _resume(self, documents: Documents, statuses: dict[str, str] | None = None) -> Position:
        position = self.store.get_position(self.annotator)
        if position.doc_id is not None and position.doc_id in documents:
            return position
        return Position(documents.first_unfinished(statuses), 0)

    @_settled
    def document(self, doc_id: str) -> Document:
        doc = self._docs.find(doc_id)
        if doc is None:
            doc = self.store.get_document(doc_id)
            if doc is None:
                raise OperationError(f"no document {doc_id!r} in {self.store.path}")
            self.keep_document(doc)
        return doc

    def keep_document(self, doc: Document) -> None:
        """``doc`` exactly as the store has just stored it (the importer's): ``document`` need not read
        it back, which for a long text would hold it twice more. The one place documents are kept: at most
        ``KEPT``, the least recently used out first."""
        self._docs.put(doc.id, doc)

    def forget(self, doc_id: str) -> None:
        """Drop what this session keeps of ``doc_id`` (its text, its saved state), and only that: the importer's
        refused record took that document back out of the store, while its other documents stay as kept."""
        self._docs.discard(doc_id)
        self._texts.discard(doc_id)
        self._saved.discard(doc_id)

    @_settled
    def text(self, doc_id: str) -> Text:
        """A document's text for showing it: for a big one (the store reads it by ranges) a ``StoredText``
        that reads the pieces looked at and the whole only when something needs it whole (a piece at a
        time, ``text_pieces``), so opening it costs its first screen; else the whole text. Exactly the stored
        characters either way. OperationError when there is no such document."""
        doc = self._docs.find(doc_id)
        if doc is not None:
            return doc.text
        stored = self._texts.find(doc_id)
        if stored is None:
            by_ranges = stored_text(self.store, doc_id, read=partial(self.text_range, doc_id),
                                    stream=partial(self.text_pieces, doc_id))
            if by_ranges is None:
                return self.document(doc_id).text
            stored = self._texts.put(doc_id, by_ranges)
        return stored

    @_settled
    def text_range(self, doc_id: str, start: int, end: int) -> str:
        """``document(doc_id).text[start:end]``, reading about that much (``Store.text_range``)."""
        return self.store.text_range(doc_id, start, end)

    @_settled
    def text_pieces(self, doc_id: str) -> Iterator[str]:
        """``document(doc_id).text`` a piece at a time (``Store.text_pieces``: no step decodes it whole)."""
        return self.store.text_pieces(doc_id)

    @_settled
    def annotations(self, doc_id: str) -> Annotations:
        """The stored state, kept as the one the next action on the document starts from (``_keep``): the
        screen's first label is then planned by the session on the very state the screen shows, so the state
        saved shares its unchanged spans (a read afresh had other objects, and the screen compared each of
        30,000 spans with the store's answer to find what the label changed) and needs no second read."""
        return self._keep(doc_id, self.store.load(doc_id, self.annotator))

    @_settled
    def iter_documents(self) -> Iterator[Document]:
        return self.store.iter_documents()

    @_settled
    def progress(self, *, refresh: bool = False) -> Progress:
        """Documents by status for this annotator (over their own queue when they have one),
        after every queued write."""
        return self.saved_progress(refresh=refresh)

    def saved_progress(self, *, refresh: bool = False) -> Progress:
        """The counts as of the last commit, without waiting for queued writes. Counted from
        the store once (or with ``refresh``), then kept by every commit through this session,
        so the screen can show it after each key without a store round trip."""
        with self._progress_lock:
            cached = self._progress
        if cached is not None and not refresh:
            return cached
        return self._recount(*self._read_queue(take=False))[0]

    def _forget_progress(self) -> None:
        """The queue changed (a document was taken): the next ``saved_progress`` counts afresh."""
        with self._progress_lock:
            self._progress = None

    @_settled
    def _recount(self, queue: list[str] | None,
                 statuses: dict[str, str] | None = None) -> tuple[Progress, dict[str, str] | None]:
        """Count from the store and keep the counts: over the annotator's ``queue`` when they have one
        (its length is the total; ``statuses``: its documents' when already read), else over every
        document (the kept tallies). Returns the counts with the queue's statuses (None: no queue)."""
        if queue is None:
            progress, counted = self._tallies(), None
        else:
            if statuses is None:
                statuses = queue_statuses(self.store, self.annotator, queue)
            progress, counted = _counts(len(queue), statuses), frozenset(queue)
        with self._progress_lock:
            self._progress, self._counted = progress, counted
        return progress, statuses

    def _tallies(self) -> Progress:
        """Over every document: the store's kept tallies (no status is read)."""
        counts = {s: 0 for s in DOC_STATUSES} | self.store.status_counts(self.annotator)
        return Progress(sum(counts.values()), counts)

    def _count(self, doc_id: str, old: str, new: str) -> None:
        """Document ``doc_id`` moved from status ``old`` to ``new`` (a commit saw it); only a
        document of the annotator's queue (when they have one) is counted."""
        if old == new:
            return
        with self._progress_lock:
            if self._progress is None or (self._counted is not None and doc_id not in self._counted):
                return
            counts = dict(self._progress.by_status)
            counts[old] = counts.get(old, 0) - 1
            counts[new] = counts.get(new, 0) + 1
            self._progress = Progress(self._progress.total, counts)

    # -- the annotator's queue (docs/assignment.md) --------------------------------------

    def _queue(self, *, take: bool) -> list[str] | None:
        """The annotator's documents in order, or None where the store assigns them none (all are theirs).

        In dynamic mode the queue is what they have taken; with ``take``, when nothing in it is
        left to do (todo or in progress) one more document is taken, so opening the app gives work.
        """
        return self._read_queue(take=take)[0]

    @_settled
    def _read_queue(self, *, take: bool) -> tuple[list[str] | None, dict[str, str] | None]:
        """``_queue``, with the statuses of its documents when they were read on the way (to decide
        whether to take one), so a caller that needs them does not read them again. The setting and the
        queue are one read (``Store.setting_and_assigned``: each read is a round trip to a team's server)."""
        value, queue = self.store.setting_and_assigned(ASSIGNMENT_SETTING, self.annotator)
        dynamic = self._seen_queue(value)
        if dynamic is None:
            return _fixed_queue(queue), None
        if not take:
            return queue, None
        statuses = queue_statuses(self.store, self.annotator, queue)
        if all(statuses.get(d, "todo") in ("done", "skipped") for d in queue):
            taken = self.store.take_document(self.annotator, dynamic.overlap, dynamic.lease_seconds)
            if taken is not None:
                self._forget_progress()
                return self.store.assigned_documents(self.annotator), None
        return queue, statuses

    def _seen_queue(self, value: str | None) -> DynamicQueue | None:
        """The queue setting ``value`` read from the store, parsed and kept as the one seen last (``next_document``
        then reads the queue and takes in one round trip while it stays so)."""
        seen = self._queue_seen
        if seen is not None and seen[0] == value:
            return seen[1]
        dynamic = DynamicQueue.from_setting(value)
        self._queue_seen = (value, dynamic) if value is not None and dynamic is not None else None
        return dynamic

    @_settled
    def next_document(self, after: str | None = None) -> str | None:
        """The document after ``after`` in this annotator's queue; past its end, in dynamic mode, a newly
        taken one (atomically: see ``Store.take_document``). None when nothing is left."""
        seen = self._queue_seen
        if seen is None:
            value, queue = self.store.setting_and_assigned(ASSIGNMENT_SETTING, self.annotator)
        else:  # the queue, and the take when nothing follows ``after``, in one read (``Store.next_in_queue``)
            step = self.store.next_in_queue(ASSIGNMENT_SETTING, self.annotator, after, seen[0], seen[1].overlap,
                                            seen[1].lease_seconds)
            if step.taken is not None:
                self._forget_progress()
                if step.state is not None:  # read with the take: the first label's base (``_apply``: refused if stale)
                    self._keep(step.taken, step.state)
                return step.taken
            if step.tried:
                return None  # taken from the pool as below: none left
            value, queue = step.setting, step.queue
        dynamic = self._seen_queue(value)
        documents = Documents(self.store, self.annotator, queue if dynamic is not None else _fixed_queue(queue))
        following = documents.first() if after is None else documents.step(after, 1)
        if following is not None or dynamic is None:  # (without a dynamic queue nothing is taken; None: every
            return following  # document is theirs)
        taken = self.store.take_document(self.annotator, dynamic.overlap, dynamic.lease_seconds)
        if taken is not None:
            self._forget_progress()  # the queue, so the total, grew
        return taken

    # -- the one write path ------------------------------------------------------------

    @_settled
    def apply(self, doc_id: str, op: Operation) -> Change:
        """Validate and durably apply ``op``; raises OperationError (nothing saved) if refused."""
        return self._apply(doc_id, lambda state: op)

    def _apply(self, doc_id: str, make: Callable[[Annotations], Operation]) -> Change:
        """Apply the operation ``make`` builds from the state it applies to: the state this session last
        saved for the document, without reading it (each read is a round trip to a team's server), else
        the stored one. A state gone stale meanwhile (another writer came first) is refused by the store's
        version check, nothing written; the action is then planned again on the state read afresh. An action
        refused on the state kept is planned again only when the state read is another version: on the same
        one it would be refused again (the kept state stays kept)."""
        before = self._saved.find(doc_id)
        if before is None:
            return self._plan_and_save(doc_id, make, self.store.load(doc_id, self.annotator))
        try:
            return self._plan_and_save(doc_id, make, before)
        except (StaleStateError, OperationError) as exc:  # refused by the store, or planned on what changed since
            fresh = self.store.load(doc_id, self.annotator)
            if not isinstance(exc, StaleStateError) and fresh.version == before.version:
                raise
            self._saved.discard(doc_id)
            return self._plan_and_save(doc_id, make, fresh)

    def _plan_and_save(self, doc_id: str, make: Callable[[Annotations], Operation], before: Annotations) -> Change:
        text = self.text(doc_id)  # a big one by pieces: the checks slice it
        op, after, inverse = plan_change(make(before), before, text, self.schema)
        saved = self._commit(doc_id, before, after, "do", op, inverse, None)
        return Change(doc_id, saved, said("do", op, before, text), "do")

    def _keep(self, doc_id: str, saved: Annotations) -> Annotations:
        """``saved``, just written or read by this session: the state its next action on the document starts
        from (not while a store transaction is open: it may yet be undone; one gone stale is refused by the
        store's version check, and the action planned again on the state read afresh)."""
        if self.store.in_transaction():
            self._saved.discard(doc_id)
        else:
            self._saved.put(doc_id, saved)
        return saved

    @_settled
    def undo(self, doc_id: str) -> Change | None:
        target = self.store.undo_target(doc_id, self.annotator)
        if target is None:
            return None
        seq, inverse = target
        return self._replay(doc_id, inverse, "undo", seq)

    @_settled
    def redo(self, doc_id: str) -> Change | None:
        target = self.store.redo_target(doc_id, self.annotator)
        if target is None:
            return None
        seq, op = target
        return self._replay(doc_id, op, "redo", seq)

    def _replay(self, doc_id: str, op: Operation, action: str, ref: int) -> Change:
        text = self.text(doc_id)
        before = self.annotations(doc_id)
        after, back = apply_operation(op, before, text, self.schema)
        after = after.with_(schema_name=self.schema.name, schema_version=self.schema.version)
        saved = self._commit(doc_id, before, after, action, op, back, ref)
        # an undo is named by what the undone action did (as logged), to the state it leaves
        did = (self._logged(doc_id, ref) or back) if action == "undo" else op
        return Change(doc_id, saved, said(action, did, after if action == "undo" else before, text), action)

    def _commit(self, doc_id: str, before: Annotations, after: Annotations, action: str, op: Operation,
                back: Operation, ref: int | None) -> Annotations:
        """Durably save ``after`` (the store refuses it if ``before`` went stale), count the status it
        moved to and keep the state saved (``_keep``): every commit goes through here, so the kept counts
        need no rescan and the next action on the document no read."""
        saved = self._keep(doc_id, self.store.commit(doc_id, self.annotator, before.version, after, action, op,
                                                     back, ref))
        self._count(doc_id, before.status, saved.status)
        return saved

    def _logged(self, doc_id: str, seq: int) -> Operation | None:
        return next((e.op for e in self.store.history(doc_id, self.annotator) if e.seq == seq), None)

    # -- convenience operations (the CLI's and the tests' vocabulary, e.g. tests/crash_driver.py) ----

    def new_id(self, state: Annotations, prefix: str) -> str:
        return new_id(state, prefix)

    @_settled
    def add_entity(self, doc_id: str, start: int, end: int, label: str) -> Change:
        return self._apply(doc_id, lambda state: AddEntity(Entity(self.new_id(state, "e"), start, end, label)))

    def remove_entity(self, doc_id: str, entity_id: str) -> Change:
        return self.apply(doc_id, RemoveEntity(entity_id))

    def relabel_entity(self, doc_id: str, entity_id: str, label: str) -> Change:
        return self.apply(doc_id, RelabelEntity(entity_id, label))

    def move_entity(self, doc_id: str, entity_id: str, start: int, end: int) -> Change:
        return self.apply(doc_id, MoveEntity(entity_id, start, end))

    def accept(self, doc_id: str, span_id: str) -> Change:
        """Accept a pre-annotation: it becomes the annotator's own."""
        return self.apply(doc_id, SetSource(span_id, None))

    @_settled
    def add_claim(self, doc_id: str, start: int, end: int,
                  attributes: dict[str, AttrValue] | None = None, claimer: str | None = None) -> Change:
        attrs = claim_defaults(self.schema)
        attrs.update(attributes or {})
        return self._apply(doc_id, lambda state: AddClaim(Claim(self.new_id(state, "c"), start, end, attrs, claimer)))

    def remove_claim(self, doc_id: str, claim_id: str) -> Change:
        return self.apply(doc_id, RemoveClaim(claim_id))

    def move_claim(self, doc_id: str, claim_id: str, start: int, end: int) -> Change:
        return self.apply(doc_id, MoveClaim(claim_id, start, end))

    def set_claim_attributes(self, doc_id: str, claim_id: str, attributes: dict[str, AttrValue]) -> Change:
        return self.apply(doc_id, SetClaimAttributes(claim_id, attributes))

    def link_claimer(self, doc_id: str, claim_id: str, entity_id: str | None) -> Change:
        return self.apply(doc_id, LinkClaimer(claim_id, entity_id))

    def link_identity(self, doc_id: str, entity_id: str, to: str) -> Change:
        """Mention ``entity_id`` is the same person or organization as mention ``to``."""
        return self.apply(doc_id, LinkIdentity(entity_id, to))

    def unlink_identity(self, doc_id: str, entity_id: str) -> Change:
        return self.apply(doc_id, UnlinkIdentity(entity_id))

    def set_status(self, doc_id: str, status: str) -> Change:
        return self.apply(doc_id, SetStatus(status))

    def set_notes(self, doc_id: str, notes: str) -> Change:
        return self.apply(doc_id, SetNotes(notes))

    def set_document_attributes(self, doc_id: str, attributes: dict[str, AttrValue]) -> Change:
        return self.apply(doc_id, SetDocumentAttributes(attributes))

    @_settled
    def missing_for_done(self, doc_id: str) -> list[str]:
        return missing_requirements(self.annotations(doc_id), self.schema)

    # -- resume ------------------------------------------------------------------------

    @_settled
    def position(self) -> Position:
        return self.store.get_position(self.annotator)

    @_settled
    def save_position(self, doc_id: str, cursor: int) -> None:
        self.store.set_position(self.annotator, Position(doc_id, cursor))


def _fixed_queue(queue: list[str]) -> list[str] | None:
    """A queue dealt once (no dynamic queue): an annotator with none dealt works on every document (None)."""
    return queue or None
