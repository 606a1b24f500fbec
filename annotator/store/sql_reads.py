"""What the SQL stores share: column encodings and the reads, written once so they mean the same everywhere.

SQLite (``annotator.store.sqlite``) and PostgreSQL (``annotator.store.postgres``)
lay out the same tables, so reading documents, annotations, the operation log
and positions is the same SQL. A store mixes in ``SQLReads`` and provides
``_read(sql, params)`` taking ``?`` placeholders; writes stay in each store,
because locking and conflict handling are where the two databases differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from annotator.model.annotations import Annotations, Document
from annotator.model.operations import Operation, operation_from_json
from annotator.store.base import Account, LogEntry, Position

BATCH = 200  # rows per query when streaming, so memory stays flat for large stores


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_text(text: str) -> bytes:
    """Texts are stored as UTF-8 bytes with ``surrogatepass``: a lone surrogate or NUL comes back exactly."""
    return text.encode("utf-8", "surrogatepass")


def decode_text(blob: bytes) -> str:
    return bytes(blob).decode("utf-8", "surrogatepass")


def dumps_ascii(obj: Any) -> str:
    """JSON for TEXT columns: ASCII-only, so lone surrogates and NUL travel as ``\\u`` escapes."""
    return json.dumps(obj, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def undo_redo_stacks(entries: Iterable[tuple[int, str, int | None]]) -> tuple[list[int], list[int]]:
    """Replay a log's (seq, action, ref) entries, in seq order, into the undo and redo stacks of "do" seqs."""
    undo: list[int] = []
    redo: list[int] = []
    for seq, action, ref in entries:
        if action == "do":
            undo.append(seq)
            redo.clear()
        elif action == "undo" and undo and undo[-1] == ref:
            redo.append(undo.pop())
        elif action == "redo" and redo and redo[-1] == ref:
            undo.append(redo.pop())
    return undo, redo


# Assignments (see docs/assignment.md). ``{now}`` is the store's clock as an SQL expression giving
# ``now_iso``'s format, so times compare as text. A row is live while it was dealt (no expiry), its
# lease runs, or its annotator has logged an operation on the document since taking it.
LIVE_ASSIGNMENT = ("(s.expires_at IS NULL OR s.expires_at > {now} OR EXISTS (SELECT 1 FROM oplog o "
                   "WHERE o.doc_id=s.doc_id AND o.annotator=s.annotator AND o.seq > s.taken_seq))")
DELETE_LAPSED = "DELETE FROM assignments AS s WHERE NOT " + LIVE_ASSIGNMENT
# Who works on or is done with a document: its assignments, and whoever has labelled it (status past todo).
WORKERS = ("(SELECT COUNT(*) FROM (SELECT w.annotator FROM assignments w WHERE w.doc_id=d.id UNION "
           "SELECT a.annotator FROM annotations a WHERE a.doc_id=d.id AND a.status<>'todo') AS workers)")
# A document ``?`` (the annotator) may take: not theirs yet, fewer than ``?`` (the overlap) workers.
TAKEABLE = ("SELECT d.id FROM documents d WHERE " + WORKERS + " < ? AND NOT EXISTS (SELECT 1 FROM assignments m "
            "WHERE m.doc_id=d.id AND m.annotator=?) AND NOT EXISTS (SELECT 1 FROM annotations a "
            "WHERE a.doc_id=d.id AND a.annotator=? AND a.status<>'todo')")
UNFINISHED = ("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.doc_id=s.doc_id AND a.annotator=s.annotator "
              "AND a.status='done')")


class SQLReads:
    """The read half of the Store protocol over the shared tables; needs ``self._read(sql, params)``."""

    def _read(self, sql: str, params: tuple = ()) -> list[Any]:  # pragma: no cover - provided by the store
        raise NotImplementedError

    # -- documents ---------------------------------------------------------------------

    def get_document(self, doc_id: str) -> Document | None:
        rows = self._read("SELECT id, text, meta FROM documents WHERE id=?", (doc_id,))
        if not rows:
            return None
        r = rows[0]
        return Document(r[0], decode_text(r[1]), json.loads(r[2]))

    def document_ids(self) -> list[str]:
        return [r[0] for r in self._read("SELECT id FROM documents ORDER BY seq")]

    def iter_documents(self) -> Iterator[Document]:
        last = 0
        while True:
            rows = self._read(
                f"SELECT seq, id, text, meta FROM documents WHERE seq>? ORDER BY seq LIMIT {BATCH}", (last,))
            if not rows:
                return
            for seq, doc_id, text, meta in rows:
                last = seq
                yield Document(doc_id, decode_text(text), json.loads(meta))

    def count_documents(self) -> int:
        return self._read("SELECT COUNT(*) FROM documents")[0][0]

    # -- annotations and the operation log ---------------------------------------------

    def load(self, doc_id: str, annotator: str) -> Annotations:
        rows = self._read("SELECT state FROM annotations WHERE doc_id=? AND annotator=?", (doc_id, annotator))
        if rows:
            return Annotations.from_json(json.loads(rows[0][0]))
        return Annotations(doc_id=doc_id, annotator=annotator)

    def statuses(self, annotator: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self._read(
            "SELECT doc_id, status FROM annotations WHERE annotator=?", (annotator,))}

    def _stacks(self, doc_id: str, annotator: str) -> tuple[list[int], list[int]]:
        return undo_redo_stacks(self._read(
            "SELECT seq, action, ref FROM oplog WHERE doc_id=? AND annotator=? ORDER BY seq", (doc_id, annotator)))

    def _entry_ops(self, seq: int) -> tuple[Operation, Operation | None]:
        op_json, inv_json = self._read("SELECT op, inverse FROM oplog WHERE seq=?", (seq,))[0]
        return (operation_from_json(json.loads(op_json)),
                operation_from_json(json.loads(inv_json)) if inv_json else None)

    def undo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None:
        undo, _ = self._stacks(doc_id, annotator)
        if not undo:
            return None
        _, inverse = self._entry_ops(undo[-1])
        return (undo[-1], inverse) if inverse is not None else None

    def redo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None:
        _, redo = self._stacks(doc_id, annotator)
        if not redo:
            return None
        op, _ = self._entry_ops(redo[-1])
        return redo[-1], op

    def history(self, doc_id: str, annotator: str) -> list[LogEntry]:
        return [
            LogEntry(seq, doc_id, annotator, action, operation_from_json(json.loads(op)), ref, at)
            for seq, action, op, ref, at in self._read(
                "SELECT seq, action, op, ref, at FROM oplog WHERE doc_id=? AND annotator=? ORDER BY seq",
                (doc_id, annotator))
        ]

    def count_log(self) -> int:
        return self._read("SELECT COUNT(*) FROM oplog")[0][0]

    # -- positions ---------------------------------------------------------------------

    def get_position(self, annotator: str) -> Position:
        rows = self._read("SELECT doc_id, cursor FROM positions WHERE annotator=?", (annotator,))
        return Position(rows[0][0], rows[0][1]) if rows else Position(None, 0)

    # -- assignments and settings --------------------------------------------------------

    _NOW = ""  # the store's clock as SQL (see LIVE_ASSIGNMENT); set by each store
    _no_assignments = False  # a read-only store made before the assignment tables: none, as before

    def assignments(self) -> dict[str, list[str]]:
        if self._no_assignments:
            return {}
        out: dict[str, list[str]] = {}
        for doc_id, annotator in self._read(
                "SELECT s.doc_id, s.annotator FROM assignments s JOIN documents d ON d.id=s.doc_id WHERE "
                + LIVE_ASSIGNMENT.format(now=self._NOW) + " ORDER BY d.seq"):
            out.setdefault(doc_id, []).append(annotator)
        return {doc_id: sorted(names) for doc_id, names in out.items()}

    def assigned_documents(self, annotator: str) -> list[str]:
        """In the order they were given (a newly taken document comes last), each deal in document order."""
        if self._no_assignments:
            return []
        return [r[0] for r in self._read(
            "SELECT s.doc_id FROM assignments s JOIN documents d ON d.id=s.doc_id WHERE s.annotator=? AND "
            + LIVE_ASSIGNMENT.format(now=self._NOW) + " ORDER BY s.assigned_at, d.seq", (annotator,))]

    def get_setting(self, key: str) -> str | None:
        if self._no_assignments:
            return None
        rows = self._read("SELECT value FROM settings WHERE key=?", (key,))
        return rows[0][0] if rows else None

    # -- sign-in accounts (annotator serve) --------------------------------------------

    def get_account(self, name: str) -> Account | None:
        rows = self._read("SELECT name, password, created_at, updated_at FROM accounts WHERE name=?", (name,))
        return Account(*rows[0]) if rows else None

    def accounts(self) -> list[Account]:
        return [Account(*r) for r in self._read(
            "SELECT name, password, created_at, updated_at FROM accounts ORDER BY name")]
