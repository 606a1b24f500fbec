"""The embedded default store: one SQLite file in WAL mode, durable on every commit.

Every operation is written (new state + log entry) in one ``BEGIN IMMEDIATE``
transaction with ``synchronous=FULL`` before the caller is told it is saved,
so a crash or SIGKILL loses nothing that was acknowledged. Texts are stored as
UTF-8 bytes with ``surrogatepass`` so even a lone surrogate from a bad decoder
comes back exactly as it was given.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from annotator.errors import StoreError
from annotator.model.annotations import Annotations, Document, text_hash
from annotator.model.operations import Operation
from annotator.store.base import AddResult, Position
from annotator.store.migrations import MIGRATIONS
from annotator.store.sql_reads import SQLReads, now_iso
from annotator.store.sql_reads import dumps_ascii as _dumps
from annotator.store.sql_reads import encode_text as _enc

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
LOCK_RETRIES = 8


def _explain(exc: sqlite3.Error, path: str) -> StoreError:
    msg = str(exc)
    low = msg.lower()
    if "readonly" in low or "read-only" in low:
        return StoreError(f"{path}: the database is read-only; nothing was changed ({msg})")
    if "disk is full" in low or "database or disk is full" in low:
        return StoreError(f"{path}: the disk is full; the last action was not saved and the store is unchanged")
    if "locked" in low or "busy" in low:
        return StoreError(f"{path}: the database stayed locked by another process; try again ({msg})")
    if "not a database" in low or "malformed" in low:
        return StoreError(f"{path}: this file is not an annotator database or is damaged ({msg})")
    if "unable to open" in low:
        return StoreError(f"{path}: cannot open the database file ({msg})")
    return StoreError(f"{path}: database error: {msg}")


def _unstorable(exc: UnicodeEncodeError, path: str) -> StoreError:
    bad = exc.object[exc.start:exc.end] if isinstance(exc.object, str) else "?"
    return StoreError(f"{path}: cannot store a name or id holding {bad!r}, a lone surrogate from a bad decoder; "
                      "nothing was changed")


class SQLiteStore(SQLReads):
    """Store protocol over one SQLite file (see ``annotator.store.base.Store``)."""

    _in_transaction = False  # True inside ``transaction()``: writes join it instead of committing

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            p = Path(self.path)
            if not create and not p.exists():
                raise StoreError(f"{self.path}: no such database")
            if p.exists() and p.is_dir():
                raise StoreError(f"{self.path}: is a folder, not a database file")
            if not p.parent.exists():
                raise StoreError(f"{self.path}: folder {p.parent} does not exist")
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal" and self.path != ":memory:":
                # A read-only or unusual file system: keep going with what SQLite allows.
                pass
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            if "unable to open" in str(exc).lower() and self.path != ":memory:" \
                    and not os.access(Path(self.path).resolve().parent, os.W_OK):
                raise StoreError(f"{self.path}: cannot open the database: its folder is read-only and SQLite "
                                 "must write its journal beside it; nothing was changed") from None
            raise _explain(exc, self.path) from None
        self._held_sessions: set[str] = set()

    # -- plumbing ----------------------------------------------------------------------

    def _migrate(self) -> None:
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        if current > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: made by a newer annotator (database version {current}, this one knows {len(MIGRATIONS)})")
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            self._write(lambda: self._run_migration(version, script))

    def _run_migration(self, version: int, script: str) -> None:
        if self._db.execute("PRAGMA user_version").fetchone()[0] >= version:
            return  # another process migrated meanwhile
        for statement in script.split(";\n"):
            if statement.strip():
                self._db.execute(statement)
        self._db.execute(f"PRAGMA user_version={version}")

    def _begin(self) -> None:
        """``BEGIN IMMEDIATE``, retrying while another process keeps the database busy."""
        delay = 0.05
        for attempt in range(LOCK_RETRIES):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if ("locked" in str(exc).lower() or "busy" in str(exc).lower()) and attempt < LOCK_RETRIES - 1:
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                raise _explain(exc, self.path) from None

    def _write(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in one IMMEDIATE transaction (or inside the open ``transaction()``)."""
        if self._in_transaction:  # a savepoint: a refused write undoes only itself, as in PostgreSQL
            with self._undone_on_error("ROLLBACK TO write", "RELEASE write"):
                self._db.execute("SAVEPOINT write")
                result = fn()
                self._db.execute("RELEASE write")
            return result
        with self.transaction():
            return fn()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes (an imported document and its labels) into one: all or nothing."""
        if self._in_transaction:
            yield
            return
        self._begin()
        self._in_transaction = True
        try:
            with self._undone_on_error("ROLLBACK"):
                yield
                self._db.execute("COMMIT")
        finally:
            self._in_transaction = False

    @contextlib.contextmanager
    def _undone_on_error(self, *undo: str) -> Iterator[None]:
        """On any error in the block, run the ``undo`` statements, then explain SQLite's error."""
        try:
            yield
        except BaseException as exc:
            for statement in undo:
                try:
                    self._db.execute(statement)
                except sqlite3.Error:
                    break
            if isinstance(exc, sqlite3.Error):
                raise _explain(exc, self.path) from None
            if isinstance(exc, UnicodeEncodeError):
                raise _unstorable(exc, self.path) from None
            raise

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row | tuple]:
        try:
            return self._db.execute(sql, params).fetchall()
        except UnicodeEncodeError:
            return []  # a name SQLite cannot hold (a lone surrogate) is not in the store
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from None

    def close(self) -> None:
        for annotator in list(self._held_sessions):
            try:
                self.release_session(annotator)
            except StoreError:
                pass
        try:
            self._db.close()
        except sqlite3.Error:
            pass

    def integrity_check(self) -> str:
        return self._read("PRAGMA integrity_check")[0][0]

    # -- documents ---------------------------------------------------------------------

    def add_document(self, doc: Document) -> AddResult:
        h = doc.hash

        def tx() -> AddResult:
            row = self._db.execute("SELECT id FROM documents WHERE hash=?", (h,)).fetchone()
            if row:
                return AddResult(row[0], added=False)
            doc_id = doc.id
            renamed = None
            n = 1
            while self._db.execute("SELECT 1 FROM documents WHERE id=?", (doc_id,)).fetchone():
                n += 1
                doc_id = f"{doc.id}~{n}"
                renamed = doc.id
            self._db.execute(
                "INSERT INTO documents(id, text, hash, meta, added_at) VALUES (?,?,?,?,?)",
                (doc_id, _enc(doc.text), h, _dumps(dict(doc.meta)), now_iso()),
            )
            return AddResult(doc_id, added=True, renamed_from=renamed)

        return self._write(tx)

    # -- annotations -------------------------------------------------------------------

    def iter_annotations(self, annotator: str | None = None) -> Iterator[Annotations]:
        sql = ("SELECT a.state FROM annotations a JOIN documents d ON d.id=a.doc_id "
               + ("WHERE a.annotator=? " if annotator is not None else "")
               + "ORDER BY d.seq, a.annotator")
        params = (annotator,) if annotator is not None else ()
        for row in self._read(sql, params):
            yield Annotations.from_json(json.loads(row[0]))

    def annotators(self, doc_id: str) -> list[str]:
        return [r[0] for r in self._read(
            "SELECT annotator FROM annotations WHERE doc_id=? ORDER BY annotator", (doc_id,))]

    def all_annotators(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT annotator FROM annotations ORDER BY annotator")]

    def commit(self, doc_id: str, annotator: str, expected_version: int, new_state: Annotations,
               action: str, op: Operation, inverse: Operation | None, ref: int | None) -> Annotations:
        def tx() -> Annotations:
            row = self._db.execute(
                "SELECT version, created_at FROM annotations WHERE doc_id=? AND annotator=?",
                (doc_id, annotator)).fetchone()
            version = row[0] if row else 0
            if version != expected_version:
                raise StoreError(
                    f"document {doc_id} was changed by another session of {annotator} "
                    f"(version {version}, expected {expected_version}); reload it")
            at = now_iso()
            state = new_state.with_(doc_id=doc_id, annotator=annotator, version=version + 1,
                                    created_at=(row[1] if row else None) or at, updated_at=at)
            self._db.execute(
                "INSERT INTO annotations(doc_id, annotator, state, version, status, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(doc_id, annotator) DO UPDATE SET "
                "state=excluded.state, version=excluded.version, status=excluded.status, "
                "updated_at=excluded.updated_at",
                (doc_id, annotator, _dumps(state.to_json()), state.version, state.status,
                 state.created_at, at))
            self._db.execute(
                "INSERT INTO oplog(doc_id, annotator, action, op, inverse, ref, version, at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (doc_id, annotator, action, _dumps(op.to_json()),
                 _dumps(inverse.to_json()) if inverse is not None else None, ref, state.version, at))
            return state

        return self._write(tx)

    # -- positions ---------------------------------------------------------------------

    def set_position(self, annotator: str, position: Position) -> None:
        self._write(lambda: self._db.execute(
            "INSERT INTO positions(annotator, doc_id, cursor, updated_at) VALUES (?,?,?,?) "
            "ON CONFLICT(annotator) DO UPDATE SET doc_id=excluded.doc_id, cursor=excluded.cursor, "
            "updated_at=excluded.updated_at",
            (annotator, position.doc_id, position.cursor, now_iso())))

    # -- one live session per annotator ------------------------------------------------

    def claim_session(self, annotator: str) -> None:
        """Refuse a second live session of the same annotator on this store (a silent conflict otherwise)."""
        host, pid = socket.gethostname(), os.getpid()

        def tx() -> None:
            row = self._db.execute(
                "SELECT host, pid, started_at FROM sessions WHERE annotator=?", (annotator,)).fetchone()
            if row and not (row[0] == host and row[1] == pid) and _alive(row[0], row[1], host):
                raise StoreError(
                    f"{self.path}: annotator {annotator!r} already has this store open "
                    f"(process {row[1]} on {row[0]}, since {row[2]}); close it first or use another --annotator")
            self._db.execute(
                "INSERT INTO sessions(annotator, host, pid, started_at) VALUES (?,?,?,?) "
                "ON CONFLICT(annotator) DO UPDATE SET host=excluded.host, pid=excluded.pid, "
                "started_at=excluded.started_at", (annotator, host, pid, now_iso()))

        self._write(tx)
        self._held_sessions.add(annotator)

    def release_session(self, annotator: str) -> None:
        host, pid = socket.gethostname(), os.getpid()
        self._write(lambda: self._db.execute(
            "DELETE FROM sessions WHERE annotator=? AND host=? AND pid=?", (annotator, host, pid)))
        self._held_sessions.discard(annotator)


def _alive(host: str, pid: int, this_host: str) -> bool:
    if host != this_host:
        return True  # cannot check another machine: assume it is live
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
