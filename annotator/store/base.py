"""The storage contract: what the session layer needs from a database.

``Store`` is an abstract base class: SQLite (``annotator.store.sqlite``) is the
embedded default; PostgreSQL fills the same contract for teams, and a package can
add another through the ``annotator.stores`` entry points (``annotator.store``). Nothing above this layer
knows which one it talks to. Every write is durable before the call returns.

Long because it is the whole contract in one place: every method a store implements, with the small
records its answers are made of.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

from annotator.errors import StoreError, UnstorableTextError
from annotator.model.annotations import Annotations, Document
from annotator.model.operations import Operation

# One live session per annotator: the running app refreshes its claim every HEARTBEAT_SECONDS;
# a claim not refreshed for CLAIM_EXPIRY_SECONDS is stale (its app crashed, or its machine or
# container is gone) and the next ``annotate`` takes it over with a warning.
HEARTBEAT_SECONDS = 30
CLAIM_EXPIRY_SECONDS = 120

# ``PRAGMA application_id`` of an SQLite annotation store ("Anot"): how a store is told apart
# from any other SQLite file before anything is written to it.
SQLITE_APPLICATION_ID = 0x416E6F74

# Where no store exists and the command may not create one.
NO_STORE = "no annotation store at {where}; `annotator import` creates one"


def storable_name(value: str, field: str) -> str:
    """Refuse a NUL or lone surrogate in a name or id (a TEXT column) before anything is written.

    PostgreSQL TEXT cannot hold either, so SQLite refuses them too: both stores accept
    exactly the same data. Texts, metadata and labels are not names: they are stored
    as bytes or escaped JSON and keep every character.
    """
    if _UNSTORABLE(value) is not None:
        raise UnstorableTextError(field, value)
    return value


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]").search  # one C scan of a name (each write checks two)


@dataclass(frozen=True)
class LogEntry:
    """One line of the append-only operation log of a (document, annotator)."""

    seq: int
    doc_id: str
    annotator: str
    action: str  # "do", "undo" or "redo"
    op: Operation  # what was applied to the state (for undo: the inverse)
    ref: int | None  # for undo/redo: the seq of the "do" entry concerned
    at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class AddResult:
    doc_id: str
    added: bool  # False: the same text was already stored (under ``doc_id``)
    renamed_from: str | None = None  # the input's id, when it had to be made unique


@dataclass(frozen=True)
class SessionClaim:
    """Another process's claim on an annotator, as ``claim_session`` found it before replacing it."""

    annotator: str
    host: str
    pid: int
    heartbeat_age: float  # seconds since its last heartbeat
    state: str  # "live" (ended by --take-over), "expired" (no heartbeat for CLAIM_EXPIRY_SECONDS), "gone"

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}, last heartbeat {duration(self.heartbeat_age)} ago"


def duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


def claim_refused(where: str, annotator: str, host: str | None, pid: int | None, started_at: str | None,
                  heartbeat_age: float) -> StoreError:
    """The one message, for both stores, when another live session holds ``annotator``."""
    who = (f"process {pid} on {host}, since {started_at}, last heartbeat {duration(heartbeat_age)} ago"
           if host is not None else "another process")
    return StoreError(f"{where}: annotator {annotator!r} already has this store open ({who}); close it first "
                      "or use another --annotator (or end it with `annotator annotate --take-over`)")


@dataclass(frozen=True)
class Account:
    """A sign-in account of ``annotator serve``; its name is the annotator name its sessions write as."""

    name: str
    password: str | None  # "scrypt$…" (see annotator.serve.accounts); None: signs in with one-time links only
    created_at: str
    updated_at: str  # changes with the password: sessions signed in before it end


@dataclass(frozen=True)
class Position:
    """Where an annotator left off: resumed at the next start."""

    doc_id: str | None
    cursor: int = 0


@dataclass(frozen=True)
class DocumentRow:
    """One line of the document list: never the whole text, only its start."""

    seq: int  # the document's number in the store (the order it was added)
    id: str
    status: str  # the annotator's
    head: str  # the start of the text (its first few hundred bytes)


@dataclass(frozen=True)
class ListQuery:
    """The document list's text filter, prepared once per typed query (``Store.list_query``) and given as
    ``query`` to every page and count of it: the search a store cannot fold into each page's SQL (the
    SQL stores' long texts, searched part by part) then runs once per query, not once per page or count."""

    text: str
    found: object = None  # the store's own answer (the SQL stores: the normalized needle, the long texts')


def nothing_after(queue: list[str], after: str | None) -> bool:
    """Whether an annotator's ``queue`` has no document after ``after`` (None: none at all; a document not in it:
    none either), i.e. whether the next document must be taken (``Store.next_in_queue``)."""
    return not queue if after is None else after not in queue or queue[-1] == after


@dataclass(frozen=True, slots=True)
class QueueStep:
    """``Store.next_in_queue``'s answer: the queue setting and the annotator's queue as read (before any take);
    whether the take was tried (the setting was still the one the caller saw and nothing followed ``after``: the
    one place that rule is decided), what it took (None: nothing left, or not tried) and the annotator's state on
    the taken document as read with it (None when not read)."""

    setting: str | None
    queue: list[str]
    tried: bool = False
    taken: str | None = None
    state: Annotations | None = None


class Store(ABC):
    """What every store implements; the registry in ``annotator.store`` picks one by the scheme
    of ``--db`` (a plain path: SQLite) and constructs it as ``cls(db, create=create)``: see
    ``__init__``. Every method is abstract, so a store that leaves one out cannot be made."""

    path: str  # what --db named, for messages
    _in_transaction = False  # set by a store inside ``transaction()`` (``in_transaction``)

    @abstractmethod
    def __init__(self, url: str, *, create: bool = True) -> None:
        """Open the store ``url`` names (a path, or a URL of the scheme it is registered for).

        An existing store of another kind, or anything that is not an annotation store, is
        refused untouched (``StoreError``); with ``create=False``, so is a missing one
        (``NO_STORE``), and nothing is created."""

    # documents
    @abstractmethod
    def add_document(self, doc: Document) -> AddResult: ...
    @abstractmethod
    def get_document(self, doc_id: str) -> Document | None: ...
    # a big text by ranges: declared defaults (every text read whole), so a plugin store works without them
    def text_length(self, doc_id: str) -> int | None:
        """The length in code points of a text stored for reading by ranges (a big one); None for any
        other (read it whole with ``get_document``) or no such document. Reads no text."""
        return None

    def text_range(self, doc_id: str, start: int, end: int) -> str:
        """Exactly ``get_document(doc_id).text[start:end]`` (offsets clamped as a slice's, not negative
        ones), reading about that much of a text ``text_length`` answers for; any other is read whole.
        StoreError when there is no such document."""
        doc = self.get_document(doc_id)
        if doc is None:
            raise StoreError(f"no document {doc_id!r} in {self.path}")
        return doc.text[max(start, 0):max(end, 0)]

    def text_pieces(self, doc_id: str) -> Iterator[str]:
        """``get_document(doc_id).text`` from start to end, a piece at a time (a big one's pieces are read and
        decoded one by one, so no step holds the whole text's bytes or decodes them at once); default: in one
        piece. StoreError when there is no such document."""
        doc = self.get_document(doc_id)
        if doc is None:
            raise StoreError(f"no document {doc_id!r} in {self.path}")
        yield doc.text

    def iter_token_bounds(self) -> Iterator[tuple[str, bytes]]:
        """``(doc id, token table)`` of every document that has one kept by the current tokenizer, in store
        order (``iter_annotated``'s), streamed, for exports: ``annotator.text.bounds`` packs each when its
        document is added, tagged with the tokenizer's version. A document without one of the current
        version (added before tables were kept, too long to keep one, or kept under other rules) is
        left out: its text is tokenized instead. Declared default: none kept."""
        return iter(())

    @abstractmethod
    def document_ids(self) -> list[str]: ...
    @abstractmethod
    def iter_documents(self) -> Iterator[Document]: ...
    @abstractmethod
    def iter_annotated(self) -> Iterator[tuple[Document, list[Annotations]]]:
        """Every document with every annotator's state on it, streamed a page at a time (exports)."""
        ...
    @abstractmethod
    def count_documents(self) -> int: ...

    # at any size: pages and counts from the database, never every document (``sql_reads``)
    def list_query(self, query: str) -> ListQuery:
        """``query`` prepared for ``document_page`` and ``count_matching`` (see ``ListQuery``): what it
        finds is as of now, for the pages asked for next. Declared default: nothing prepared."""
        return ListQuery(query)

    @abstractmethod
    def document_page(self, annotator: str, *, query: str | ListQuery = "", status: str | None = None, after: int = 0,
                      before: int | None = None, limit: int = 100,
                      ids: list[str] | None = None) -> list[DocumentRow]: ...
    @abstractmethod
    def count_matching(self, annotator: str, *, query: str | ListQuery = "", status: str | None = None,
                       cap: int = 1000, ids: list[str] | None = None) -> int: ...
    @abstractmethod
    def status_counts(self, annotator: str) -> dict[str, int]: ...
    @abstractmethod
    def label_counts(self, annotator: str) -> tuple[dict[str, int], int]: ...
    @abstractmethod
    def document_number(self, doc_id: str) -> int | None:
        """``doc_id``'s place in store order (1 for the first added), None if absent: counted by the
        database in its index, so the app's "k/N" never lists the ids."""
        ...
    @abstractmethod
    def document_at(self, number: int) -> str | None:
        """The id of the ``number``-th document in store order (1-based), None outside 1..N."""
        ...

    # annotations
    @abstractmethod
    def load(self, doc_id: str, annotator: str) -> Annotations: ...
    @abstractmethod
    def iter_annotations(self, annotator: str | None = None) -> Iterator[Annotations]: ...
    @abstractmethod
    def annotators(self, doc_id: str) -> list[str]: ...
    @abstractmethod
    def statuses(self, annotator: str) -> dict[str, str]: ...

    @abstractmethod
    def commit(self, doc_id: str, annotator: str, expected_version: int, new_state: Annotations,
               action: str, op: Operation, inverse: Operation | None, ref: int | None) -> Annotations:
        """Write the new state and the log entry in one durable transaction.

        Raises StoreError if the stored version is not ``expected_version``
        (someone else wrote in between), so no write is ever lost silently.
        """
        ...

    @abstractmethod
    def undo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None:
        """The "do" entry an undo would revert now and its inverse, or None."""
        ...

    @abstractmethod
    def redo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None: ...
    @abstractmethod
    def history(self, doc_id: str, annotator: str) -> list[LogEntry]: ...

    # where each annotator left off
    @abstractmethod
    def get_position(self, annotator: str) -> Position: ...
    @abstractmethod
    def set_position(self, annotator: str, position: Position) -> None: ...

    # one live session per annotator
    @abstractmethod
    def claim_session(self, annotator: str, *, take_over: bool = False) -> SessionClaim | None:
        """Claim ``annotator`` for this process, or raise StoreError if another live session holds it.

        A stale claim (no heartbeat for CLAIM_EXPIRY_SECONDS, or a dead process on
        this host) is replaced; ``take_over`` replaces a live one too. Returns the
        claim that was replaced (for a warning), or None.
        """
        ...

    @abstractmethod
    def heartbeat(self, annotator: str) -> bool:
        """Refresh this process's claim; False if it no longer holds it (taken over)."""
        ...

    @abstractmethod
    def release_session(self, annotator: str) -> None: ...

    # who works on which document (``annotator assign``; see docs/assignment.md)
    @abstractmethod
    def assign(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Deal each (document, annotator) pair, all in one transaction; returns how many were new."""
        ...

    @abstractmethod
    def unassign(self, annotator: str) -> list[str]:
        """Return ``annotator``'s unfinished (not done) documents to the pool; their ids, in document order."""
        ...

    @abstractmethod
    def assignments(self) -> dict[str, list[str]]:
        """Every document with a live assignment (dealt, or taken and not lapsed) → its annotators."""
        ...

    @abstractmethod
    def assigned_documents(self, annotator: str) -> list[str]:
        """``annotator``'s queue: their live assignments, in the order given, each deal in document order."""
        ...

    @abstractmethod
    def take_document(self, annotator: str, overlap: int, lease_seconds: float) -> str | None:
        """Atomically take the first document with fewer than ``overlap`` annotators working on or done
        with it and not ``annotator``'s already, leased for ``lease_seconds`` until first touched;
        lapsed leases return to the pool first. None when no document qualifies."""
        ...

    @abstractmethod
    def get_setting(self, key: str) -> str | None: ...

    def setting_and_assigned(self, key: str, annotator: str) -> tuple[str | None, list[str]]:
        """``get_setting(key)`` and ``assigned_documents(annotator)`` as one read (a team's server answers both in
        one round trip: taking the next document needs both)."""
        return self.get_setting(key), self.assigned_documents(annotator)

    def next_in_queue(self, key: str, annotator: str, after: str | None, seen: str, overlap: int,
                      lease_seconds: float) -> QueueStep:
        """``setting_and_assigned(key, annotator)`` and, when the setting is still ``seen`` (a dynamic queue of
        ``overlap`` and ``lease_seconds``, as the caller read it last) and the queue holds nothing after ``after``
        (``nothing_after``), ``take_document`` too, with the annotator's state on what it took (``QueueStep``). A
        team's server answers in one round trip (the taken document's text marks held for the next read of its
        text): taking the next document and the first label on it are then one round trip each, not two."""
        value, assigned = self.setting_and_assigned(key, annotator)
        if value != seen or not nothing_after(assigned, after):
            return QueueStep(value, assigned)
        taken = self.take_document(annotator, overlap, lease_seconds)
        return QueueStep(value, assigned, True, taken, self.load(taken, annotator) if taken is not None else None)

    @abstractmethod
    def set_setting(self, key: str, value: str | None) -> None:
        """Store a project setting (None removes it)."""
        ...

    # sign-in accounts of ``annotator serve`` (see docs/serve.md)
    @abstractmethod
    def get_account(self, name: str) -> Account | None: ...
    @abstractmethod
    def accounts(self) -> list[Account]: ...
    @abstractmethod
    def add_account(self, name: str, password: str | None) -> None:
        """Create an account (``password``: an encoded hash, or None); StoreError if the name is taken."""
        ...

    @abstractmethod
    def set_password(self, name: str, password: str | None) -> bool:
        """Replace an account's password hash (its sessions end); False if there is no such account."""
        ...

    @abstractmethod
    def remove_account(self, name: str) -> bool:
        """Delete an account and its sign-in links (labels stay); False if there was none."""
        ...

    @abstractmethod
    def add_account_token(self, name: str, digest: str, expires_at: str) -> None:
        """Keep a one-time link's SHA-256 ``digest`` (never the link) until ``expires_at`` (ISO UTC)."""
        ...

    @abstractmethod
    def use_account_token(self, digest: str) -> str | None:
        """Atomically spend a link: its account's name if it was unused and unexpired, else None."""
        ...

    # a consistent copy (annotator backup): a declared default, so a plugin store without one says so
    def backup(self, target: str, *, force: bool = False) -> tuple[int, int]:
        """Copy the store to ``target`` safely while others write: (documents, logged operations)."""
        raise StoreError(f"this store ({type(self).__name__}) has no built-in backup; "
                         "use its database's own backup tool")

    # several writes as one (an import record: document + annotations); nested writes join it
    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]: ...

    def in_transaction(self) -> bool:
        """Whether a ``transaction()`` group is open: what is written now may yet be undone."""
        return self._in_transaction

    # health and audit
    @abstractmethod
    def integrity_check(self) -> str: ...
    @abstractmethod
    def count_log(self) -> int: ...
    @abstractmethod
    def all_annotators(self) -> list[str]: ...

    @abstractmethod
    def close(self) -> None: ...
