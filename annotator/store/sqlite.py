"""The embedded default store: one SQLite file in WAL mode, durable on every commit.

Every operation is written (new state + log entry) in one ``BEGIN IMMEDIATE``
transaction with ``synchronous=FULL`` before the caller is told it is saved,
so a crash or SIGKILL loses nothing that was acknowledged. Texts are stored as
UTF-8 bytes with ``surrogatepass`` so even a lone surrogate from a bad decoder
comes back exactly as it was given.

Long because it implements the whole ``Store`` contract for one backend (documents, states
and log, sessions, assignments, accounts); the SQL reads shared with PostgreSQL are in ``sql_reads``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from annotator.errors import StaleStateError, StoreError
from annotator.model.annotations import Annotations, Document
from annotator.model.operations import Operation
from annotator.store import sql_reads
from annotator.store.base import (
    CLAIM_EXPIRY_SECONDS,
    NO_STORE,
    SQLITE_APPLICATION_ID,
    AddResult,
    Position,
    SessionClaim,
    claim_refused,
    storable_name,
)
from annotator.store.migrations import LONG_TEXTS_MIGRATION, MIGRATIONS
from annotator.store.sql_reads import (
    BACKFILL_BATCH,
    BATCH,
    DELETE_LAPSED,
    HEAD_BYTES,
    INLINE_HEAD,
    TAKEABLE,
    UNFINISHED,
    EncodedText,
    SQLReads,
    counted,
    decode_text,
    now_iso,
    search_copy,
    search_parts,
    tokens_row,
)
from annotator.store.sql_reads import dumps_ascii as _dumps

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
LOCK_RETRIES = 8
SQLITE_MAGIC = b"SQLite format 3\x00"
STORE_TABLES = frozenset({"documents", "annotations", "oplog", "positions", "sessions"})
UNTOUCHED = "nothing was changed"


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



def _glob_pattern(needle: str) -> str:
    """A GLOB pattern matching ``needle`` anywhere, its own ``[``, ``*`` and ``?`` taken literally."""
    return "*" + needle.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") + "*"

class SQLiteStore(SQLReads):
    """Store protocol over one SQLite file (see ``annotator.store.base.Store``)."""

    _indexed_to: int | None = None  # in a transaction that added documents: the last one indexed before it
    _NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"  # as ``now_iso`` writes it
    # ``length`` of a BLOB reads no overflow page, ``substr`` reads the whole value: a big text's head is a range
    # (a long text kept in ``long_texts`` leaves ``d.text`` empty: its head is a range too)
    _HEAD = f"CASE WHEN length(d.text) BETWEEN 1 AND {INLINE_HEAD} THEN substr(d.text, 1, {HEAD_BYTES}) END"
    _TEXT = "COALESCE((SELECT l.data FROM long_texts l WHERE l.seq = d.seq), d.text)"

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        """Open the store at ``path``; with ``create``, make a new one if no file is there.

        An existing file is first recognised as an annotation store, read-only
        (``recognise``): anything else is refused untouched, before SQLite is asked
        to switch it to WAL or migrate it.
        """
        self.path = str(path)
        self._held_sessions: set[str] = set()
        if self.path != ":memory:":
            p = Path(self.path)
            if not os.path.lexists(p):
                if not create:
                    raise StoreError(NO_STORE.format(where=self.path))
                if not p.parent.is_dir():
                    raise StoreError(f"{self.path}: folder {p.parent} does not exist")
                create_store(p)
            recognise(p)
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode=WAL")  # a read-only or unusual file system may keep another
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            if "unable to open" in str(exc).lower() and self.path != ":memory:" \
                    and not os.access(Path(self.path).resolve().parent, os.W_OK):
                raise StoreError(f"{self.path}: cannot open the database: its folder is read-only and SQLite "
                                 "must write its journal beside it; nothing was changed") from None
            raise _explain(exc, self.path) from None

    # -- plumbing ----------------------------------------------------------------------

    def _migrate(self) -> None:
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        if current > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: made by a newer annotator "
                f"(database version {current}, this one knows {len(MIGRATIONS)})")
        try:
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                self._write(partial(_run_migration, self._db, version, script))
            if self._db.execute("PRAGMA application_id").fetchone()[0] != SQLITE_APPLICATION_ID:
                # a store made before stores were marked: mark it, so it is known at a glance from now on
                self._write(lambda: self._db.execute(f"PRAGMA application_id={SQLITE_APPLICATION_ID}"))
        except StoreError as exc:
            if current < 1 or "read-only" not in str(exc):
                raise
            # A read-only store of an older version still reads; any write will say it is read-only.
            self._no_assignments = current < 3  # made before assignments: it has none (and no table)
            self._no_scale = current < 5  # made before the search copy and tallies: searched and counted slowly
            self._no_marks = current < 6  # made before text marks: every text is read whole
            self._no_tokens = current < 7  # made before token tables: exports tokenize every text
            self._no_parts = current < LONG_TEXTS_MIGRATION  # made before long texts were kept apart
            if self._no_parts:
                self._TEXT = "d.text"
            return
        if current < 6:
            self._fill_marks()
        try:
            self._backfill()
        except StoreError as exc:
            if "read-only" not in str(exc):
                raise  # a read-only store reads on, and its remaining documents are found by id only

    def _backfill(self) -> None:
        """Fill migration 5's columns of a store made before it, a batch per transaction (an interrupted
        backfill goes on at the next open); a store made since has nothing to fill and this costs two
        look-ups in partial indexes."""
        while True:
            rows = self._read(f"SELECT seq, id, text FROM documents WHERE search IS NULL ORDER BY seq "
                              f"LIMIT {BACKFILL_BATCH}")
            if not rows:
                break
            filled = [(search_copy(doc_id, decode_text(text)), seq) for seq, doc_id, text in rows]

            def fill(filled: list = filled) -> None:
                self._db.executemany("UPDATE documents SET search=? WHERE seq=? AND search IS NULL", filled)
                self._db.executemany("INSERT INTO documents_fts(rowid, search) VALUES (?,?)",
                                     [(seq, search) for search, seq in filled])

            self._write(fill)
        while True:
            rows = self._read(f"SELECT doc_id, annotator, state FROM annotations WHERE counted IS NULL "
                              f"LIMIT {BACKFILL_BATCH}")
            if not rows:
                break

            tallied = [(counted(Annotations.from_json(json.loads(state))), doc_id, annotator)
                       for doc_id, annotator, state in rows]
            self._write(partial(self._db.executemany,  # the triggers count them
                                "UPDATE annotations SET counted=? WHERE doc_id=? AND annotator=? AND counted IS NULL",
                                tallied))

    def _write_rows(self, sql: str, rows: list[tuple]) -> None:
        self._write(partial(self._db.executemany, sql, rows))

    @property
    def _APART(self) -> str:  # type: ignore[override]  # a store made before long texts has no ``long_texts``
        return "0" if self._no_parts else "EXISTS(SELECT 1 FROM long_texts l WHERE l.seq = d.seq)"

    def _quiet(self) -> object | None:
        """Rows changed on this connection so far (a rolled-back insert counts), None inside a transaction:
        the connection is shared by the threads, so a read may see another thread's uncommitted insert."""
        return None if self._db.in_transaction else self._db.total_changes

    def _blob(self, seq: int, apart: bool) -> sqlite3.Blob:
        """Document ``seq``'s stored text as a read-only BLOB handle: in ``long_texts`` when kept apart."""
        return self._db.blobopen("long_texts" if apart else "documents", "data" if apart else "text", seq,
                                 readonly=True)

    def _text_bytes(self, seq: int, offset: int, size: int, apart: bool | None = None) -> bytes:
        """Incremental BLOB I/O: only the pages holding the range are read (SQL ``substr`` reads the value
        whole), from ``long_texts`` where the text is kept there (``apart``, known from its marks; else asked)."""
        try:
            if apart is None:
                apart = not self._no_parts and bool(
                    self._db.execute("SELECT 1 FROM long_texts WHERE seq=?", (seq,)).fetchone())
            with self._blob(seq, apart) as blob:
                blob.seek(offset)
                return blob.read(size)
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from None

    def _byte_pieces(self, seq: int, cuts: list[int], apart: bool) -> Iterator[bytes]:
        """Through one BLOB handle: SQLite follows the value's chain of overflow pages once for them all
        (a new handle walks it again from the start, up to 27 ms at the end of 100 MB); it is closed when
        the reader stops."""
        try:
            with self._blob(seq, apart) as blob:
                blob.seek(cuts[0])
                for a, b in zip(cuts, cuts[1:], strict=False):
                    yield blob.read(b - a)  # the handle is this reader's own: read on from where it stopped
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from None

    def _search_source(self, needle: str) -> tuple[str, str, str, tuple] | None:
        """FTS5 trigrams find a substring of 3 characters or more (GLOB: the folded copy and needle need no
        case folding), in document order; shorter ones scan."""
        if len(needle) < 3:
            return None
        pattern = _glob_pattern(needle)
        return ("documents_fts f CROSS JOIN documents d", "f.rowid", "d.seq = f.rowid AND f.search GLOB ?", (pattern,))

    def _parts_source(self, needle: str) -> tuple[str, tuple]:
        """Through the parts' own FTS5 index, as ``_search_source``, per long text and stopping at its first
        part that holds the needle (each part found is read to check it); shorter needles scan the parts."""
        if len(needle) < 3:
            return super()._parts_source(needle)
        pattern = _glob_pattern(needle)
        return ("SELECT r.seq FROM (SELECT seq, MIN(id) AS lo, MAX(id) AS hi FROM search_parts GROUP BY seq) r "
                "WHERE EXISTS (SELECT 1 FROM search_parts_fts f CROSS JOIN search_parts p ON p.id = f.rowid "
                "WHERE f.search GLOB ? AND f.rowid BETWEEN r.lo AND r.hi AND p.seq = r.seq)", (pattern,))

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
        """Group several writes (an imported document and its labels) into one: all or nothing.

        Nested inside another group it is a savepoint: it joins the outer group, but a failure
        inside it undoes only its own writes (an import batch keeps the records before a bad one)."""
        if self._in_transaction:
            with self._undone_on_error("ROLLBACK TO nested", "RELEASE nested"):
                self._db.execute("SAVEPOINT nested")
                yield
                self._db.execute("RELEASE nested")
            return
        self._begin()
        self._in_transaction = True
        self._indexed_to = None
        try:
            with self._undone_on_error("ROLLBACK"):
                yield
                if self._indexed_to is not None:
                    # Documents added in this transaction (those a failed savepoint undid are gone) enter the
                    # search index here, in one statement: FTS5 writes its index at every savepoint, so a row
                    # per document inside each record's savepoint would cost milliseconds per document.
                    self._db.execute("INSERT INTO documents_fts(rowid, search) SELECT seq, search FROM documents "
                                     "WHERE seq > ? AND search IS NOT NULL", (self._indexed_to,))
                self._db.execute("COMMIT")
        finally:
            self._in_transaction = False
            self._indexed_to = None

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

    def backup(self, target: str | os.PathLike[str], *, force: bool = False) -> tuple[int, int]:
        """Copy the whole store to ``target`` while others keep working; atomically, checked.

        SQLite's online backup API copies one consistent snapshot (committed WAL
        content included, which copying the ``.db`` file misses) in one read
        transaction, so writers go on meanwhile. The copy is written under a
        temporary name, must pass ``integrity_check``, and only then appears at
        ``target``: an existing file is kept unless ``force``. Returns the copy's
        (documents, logged operations).
        """
        dest = Path(target)
        if os.path.lexists(dest):
            if not force:
                raise StoreError(f"{dest}: already exists; choose another name, or --force to replace it")
            if dest.is_dir():
                raise StoreError(f"{dest}: is a folder; name the backup file")
            if self.path != ":memory:" and os.path.exists(self.path) and os.path.samefile(dest, self.path):
                raise StoreError(f"{dest}: is the store itself; name another file")
            if os.path.exists(f"{dest}-wal"):
                raise StoreError(f"{dest}: is a store in use (its -wal file is beside it); "
                                 "it is not replaced: choose another name")
        if not dest.parent.is_dir():
            raise StoreError(f"{dest}: folder {dest.parent} does not exist")
        tmp = dest.with_name(f".{dest.name}.backup-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            copy = sqlite3.connect(tmp, isolation_level=None)
            try:
                self._db.backup(copy)  # all pages in one step: one snapshot
                copy.execute("PRAGMA journal_mode=WAL")
                result = copy.execute("PRAGMA integrity_check").fetchone()[0]
                counts = copy.execute("SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM oplog)"
                                      ).fetchone()
            finally:
                copy.close()
            if result != "ok":
                raise StoreError(f"{dest}: the copy failed its integrity check ({result}); nothing was written")
            _fsync(tmp)
            if force:
                os.replace(tmp, dest)
            else:
                try:
                    os.link(tmp, dest)  # fails, rather than replace, if the file appeared meanwhile
                except FileExistsError:
                    raise StoreError(f"{dest}: already exists; choose another name, or --force to replace it") \
                        from None
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK, errno.EXDEV):
                        raise
                    os.rename(tmp, dest)
            _fsync(dest.parent)
            return counts[0], counts[1]
        except sqlite3.Error as exc:
            raise _explain(exc, str(dest)) from None
        except OSError as exc:
            raise StoreError(f"{dest}: cannot write the backup ({exc.strerror or exc})") from None
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    # -- documents ---------------------------------------------------------------------

    def add_document(self, doc: Document) -> AddResult:
        storable_name(doc.id, "document id")
        encoded = EncodedText(doc.text)  # the text encoded once: its hash, its marks and the bytes written
        h = encoded.hash

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
            if self._indexed_to is None:  # the search index takes this transaction's documents at its commit
                self._indexed_to = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0]
            marks = encoded.marks_row(doc_id)
            if marks is None:
                self._db.execute(
                    "INSERT INTO documents(id, text, hash, meta, added_at, search) VALUES (?,?,?,?,?,?)",
                    (doc_id, encoded.data(), h, _dumps(dict(doc.meta)), now_iso(), search_copy(doc_id, doc.text)))
            else:
                self._add_long(doc_id, doc, h, marks, encoded)
            tokens = tokens_row(doc_id, doc.text)  # its token table, for exports (migration 7)
            if tokens is not None:
                self._db.execute("INSERT INTO token_bounds(doc_id, tokenizer, bounds) VALUES (?,?,?)", tokens)
            return AddResult(doc_id, added=True, renamed_from=renamed)

        return self._write(tx)

    def _add_long(self, doc_id: str, doc: Document, h: str, marks: tuple[str, int, int, bytes],
                  encoded: EncodedText) -> None:
        """A long text a piece at a time (migration 8): its bytes written into a ``zeroblob`` of their size
        in ``long_texts`` and its search copy as overlapping parts, each indexed as it is written."""
        seq = self._db.execute(
            "INSERT INTO documents(id, text, hash, meta, added_at, search) VALUES (?,x'',?,?,?,'')",
            (doc_id, h, _dumps(dict(doc.meta)), now_iso())).lastrowid
        assert seq is not None  # seq is the row id, which the INSERT sets
        self._db.execute("INSERT INTO long_texts(seq, data) VALUES (?, zeroblob(?))",
                         (seq, sql_reads.marks_end(marks[3])))
        with self._db.blobopen("long_texts", "data", seq) as blob:
            for piece in encoded.written():  # each let go once written: not held while the search copy is made
                blob.write(piece)
        self._db.execute("INSERT INTO text_marks(doc_id, chars, step, marks) VALUES (?,?,?,?)", marks)
        for part in search_parts(doc_id, doc.text):
            rowid = self._db.execute("INSERT INTO search_parts(seq, search) VALUES (?,?)", (seq, part)).lastrowid
            self._db.execute("INSERT INTO search_parts_fts(rowid, search) VALUES (?,?)", (rowid, part))

    # -- annotations -------------------------------------------------------------------

    def iter_annotations(self, annotator: str | None = None) -> Iterator[Annotations]:
        """Streamed in pages (keyset on document number, annotator): memory stays flat."""
        where = "WHERE a.annotator=? AND " if annotator is not None else "WHERE "
        sql = ("SELECT d.seq, a.annotator, a.state FROM annotations a JOIN documents d ON d.id=a.doc_id "
               + where + f"(d.seq, a.annotator) > (?, ?) ORDER BY d.seq, a.annotator LIMIT {BATCH}")
        last: tuple[int, str] = (0, "")
        while True:
            rows = self._read(sql, ((annotator,) if annotator is not None else ()) + last)
            if not rows:
                return
            for seq, who, state in rows:
                last = (seq, who)
                yield Annotations.from_json(json.loads(state))

    def annotators(self, doc_id: str) -> list[str]:
        return [r[0] for r in self._read(
            "SELECT annotator FROM annotations WHERE doc_id=? ORDER BY annotator", (doc_id,))]

    def all_annotators(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT annotator FROM annotations ORDER BY annotator")]

    def commit(self, doc_id: str, annotator: str, expected_version: int, new_state: Annotations,
               action: str, op: Operation, inverse: Operation | None, ref: int | None) -> Annotations:
        storable_name(doc_id, "document id")
        storable_name(annotator, "annotator name")

        def tx() -> Annotations:
            row = self._db.execute(
                "SELECT version, created_at FROM annotations WHERE doc_id=? AND annotator=?",
                (doc_id, annotator)).fetchone()
            version = row[0] if row else 0
            if version != expected_version:
                raise StaleStateError(
                    f"document {doc_id} was changed by another session of {annotator} "
                    f"(version {version}, expected {expected_version}); reload it")
            at = now_iso()
            state = new_state.with_(doc_id=doc_id, annotator=annotator, version=version + 1,
                                    created_at=(row[1] if row else None) or at, updated_at=at)
            self._db.execute(
                "INSERT INTO annotations(doc_id, annotator, state, version, status, created_at, updated_at, "
                "counted) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(doc_id, annotator) DO UPDATE SET "
                "state=excluded.state, version=excluded.version, status=excluded.status, "
                "updated_at=excluded.updated_at, counted=excluded.counted",
                (doc_id, annotator, _dumps(state.to_json()), state.version, state.status,
                 state.created_at, at, counted(state)))  # the tallies follow by trigger
            self._db.execute(
                "INSERT INTO oplog(doc_id, annotator, action, op, inverse, ref, version, at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (doc_id, annotator, action, _dumps(op.to_json()),
                 _dumps(inverse.to_json()) if inverse is not None else None, ref, state.version, at))
            return state

        return self._write(tx)

    # -- positions ---------------------------------------------------------------------

    def set_position(self, annotator: str, position: Position) -> None:
        storable_name(annotator, "annotator name")
        if position.doc_id is not None:
            storable_name(position.doc_id, "document id")
        self._write(lambda: self._db.execute(
            "INSERT INTO positions(annotator, doc_id, cursor, updated_at) VALUES (?,?,?,?) "
            "ON CONFLICT(annotator) DO UPDATE SET doc_id=excluded.doc_id, cursor=excluded.cursor, "
            "updated_at=excluded.updated_at",
            (annotator, position.doc_id, position.cursor, now_iso())))

    # -- assignments and settings --------------------------------------------------------

    def assign(self, pairs: Iterable[tuple[str, str]]) -> int:
        rows = [(storable_name(doc_id, "document id"), storable_name(who, "annotator name")) for doc_id, who in pairs]

        def tx() -> int:
            at = now_iso()
            new = 0
            for doc_id, who in rows:  # a lapsed or running lease on the pair becomes a dealt assignment
                new += self._db.execute(
                    "INSERT INTO assignments(doc_id, annotator, assigned_at) VALUES (?,?,?) "
                    "ON CONFLICT(doc_id, annotator) DO UPDATE SET assigned_at=excluded.assigned_at, "
                    "expires_at=NULL, taken_seq=NULL WHERE assignments.expires_at IS NOT NULL",
                    (doc_id, who, at)).rowcount
            return new

        return self._write(tx)

    def unassign(self, annotator: str) -> list[str]:
        def tx() -> list[str]:
            ids = [r[0] for r in self._db.execute(
                "SELECT s.doc_id FROM assignments s JOIN documents d ON d.id=s.doc_id WHERE s.annotator=? AND "
                + UNFINISHED + " ORDER BY d.seq", (annotator,))]
            self._db.execute("DELETE FROM assignments AS s WHERE s.annotator=? AND " + UNFINISHED, (annotator,))
            return ids

        return self._write(tx)

    def take_document(self, annotator: str, overlap: int, lease_seconds: float) -> str | None:
        """One IMMEDIATE transaction: no other writer runs between counting and taking."""
        storable_name(annotator, "annotator name")

        def tx() -> str | None:
            self._db.execute(DELETE_LAPSED.format(now=self._NOW))
            row = self._db.execute(TAKEABLE + " ORDER BY d.seq LIMIT 1", (overlap, annotator, annotator)).fetchone()
            if row is None:
                return None
            expires = (datetime.now(UTC) + timedelta(seconds=lease_seconds)).isoformat(
                timespec="milliseconds").replace("+00:00", "Z")
            self._db.execute(
                "INSERT INTO assignments(doc_id, annotator, assigned_at, expires_at, taken_seq) "
                "VALUES (?,?,?,?,(SELECT COALESCE(MAX(seq), 0) FROM oplog))", (row[0], annotator, now_iso(), expires))
            return row[0]

        return self._write(tx)

    def set_setting(self, key: str, value: str | None) -> None:
        if value is None:
            self._write(lambda: self._db.execute("DELETE FROM settings WHERE key=?", (key,)))
            return
        self._write(lambda: self._db.execute(
            "INSERT INTO settings(key, value, updated_at) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE SET "
            "value=excluded.value, updated_at=excluded.updated_at", (key, value, now_iso())))

    # -- one live session per annotator ------------------------------------------------

    def claim_session(self, annotator: str, *, take_over: bool = False) -> SessionClaim | None:
        """Refuse a second live session of the same annotator on this store (a silent conflict otherwise).

        Another process's claim is live while its heartbeat is fresh and, on this
        host, its process exists; a stale one is replaced, a live one only with
        ``take_over``. See ``Store.claim_session``.
        """
        storable_name(annotator, "annotator name")
        host, pid = socket.gethostname(), os.getpid()

        def tx() -> SessionClaim | None:
            row = self._db.execute(
                "SELECT host, pid, started_at, COALESCE(heartbeat_at, started_at) FROM sessions WHERE annotator=?",
                (annotator,)).fetchone()
            ended = None
            if row and (row[0], row[1]) != (host, pid):
                age = _age(row[3])
                if age >= CLAIM_EXPIRY_SECONDS:
                    state = "expired"
                elif row[0] == host and not _alive(row[1]):
                    state = "gone"
                else:
                    state = "live"
                if state == "live" and not take_over:
                    raise claim_refused(self.path, annotator, row[0], row[1], row[2], age)
                ended = SessionClaim(annotator, row[0], row[1], age, state)
            at = now_iso()
            self._db.execute(
                "INSERT INTO sessions(annotator, host, pid, started_at, heartbeat_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(annotator) DO UPDATE SET host=excluded.host, pid=excluded.pid, "
                "started_at=excluded.started_at, heartbeat_at=excluded.heartbeat_at", (annotator, host, pid, at, at))
            return ended

        ended = self._write(tx)
        self._held_sessions.add(annotator)
        return ended

    def heartbeat(self, annotator: str) -> bool:
        host, pid = socket.gethostname(), os.getpid()
        changed = self._write(lambda: self._db.execute(
            "UPDATE sessions SET heartbeat_at=? WHERE annotator=? AND host=? AND pid=?",
            (now_iso(), annotator, host, pid)).rowcount)
        if not changed:
            self._held_sessions.discard(annotator)
        return bool(changed)

    def release_session(self, annotator: str) -> None:
        host, pid = socket.gethostname(), os.getpid()
        self._write(lambda: self._db.execute(
            "DELETE FROM sessions WHERE annotator=? AND host=? AND pid=?", (annotator, host, pid)))
        self._held_sessions.discard(annotator)


    # -- sign-in accounts (annotator serve) --------------------------------------------

    def add_account(self, name: str, password: str | None) -> None:
        storable_name(name, "account name")

        def tx() -> None:
            if self._db.execute("SELECT 1 FROM accounts WHERE name=?", (name,)).fetchone():
                raise StoreError(f"{self.path}: an account {name!r} already exists; nothing was changed")
            at = now_iso()
            self._db.execute("INSERT INTO accounts(name, password, created_at, updated_at) VALUES (?,?,?,?)",
                             (name, password, at, at))

        self._write(tx)

    def set_password(self, name: str, password: str | None) -> bool:
        return bool(self._write(lambda: self._db.execute(
            "UPDATE accounts SET password=?, updated_at=? WHERE name=?", (password, now_iso(), name)).rowcount))

    def remove_account(self, name: str) -> bool:
        def tx() -> int:
            self._db.execute("DELETE FROM account_tokens WHERE name=?", (name,))
            return self._db.execute("DELETE FROM accounts WHERE name=?", (name,)).rowcount

        return bool(self._write(tx))

    def add_account_token(self, name: str, digest: str, expires_at: str) -> None:
        self._write(lambda: self._db.execute(
            "INSERT INTO account_tokens(digest, name, expires_at, created_at) VALUES (?,?,?,?)",
            (digest, name, expires_at, now_iso())))

    def use_account_token(self, digest: str) -> str | None:
        def tx() -> str | None:
            now = now_iso()
            self._db.execute("DELETE FROM account_tokens WHERE expires_at <= ?", (now,))
            row = self._db.execute("SELECT name FROM account_tokens WHERE digest=?", (digest,)).fetchone()
            if row is None:
                return None
            self._db.execute("DELETE FROM account_tokens WHERE digest=?", (digest,))
            return row[0]

        return self._write(tx)

def _age(iso: str | None) -> float:
    """Seconds since an ISO 8601 UTC time written by ``now_iso``; unreadable means long ago."""
    try:
        then = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return float(CLAIM_EXPIRY_SECONDS)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - then).total_seconds())


def _run_migration(db: sqlite3.Connection, version: int, script: str) -> None:
    if db.execute("PRAGMA user_version").fetchone()[0] >= version:
        return  # another process migrated meanwhile
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA user_version={version}")


def recognise(path: Path) -> None:
    """Raise StoreError unless ``path`` is an annotation store; reads only, never writes a byte.

    A store is an SQLite file whose ``application_id`` is ours (read straight from
    the header), or one made before stores were marked: ``application_id`` 0, a
    ``user_version`` of at least 1 and our tables. That older check opens the file
    ``immutable`` (no lock, no journal, nothing created), and once more normally
    when a WAL file beside it may hold what the main file does not yet show.
    """
    shown = str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise StoreError(f"{shown}: cannot open it ({exc.strerror or exc}); {UNTOUCHED}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{shown}: is a folder, not an annotator database; {UNTOUCHED}")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{shown}: is not a regular file, so not an annotator database; {UNTOUCHED}")
    if info.st_size == 0:
        raise StoreError(f"{shown}: is an empty file, not an annotator database (a new store is only created "
                         f"where no file exists); {UNTOUCHED}")
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise StoreError(f"{shown}: cannot read it ({exc.strerror or exc}); {UNTOUCHED}") from None
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        raise StoreError(f"{shown}: not an annotator database: it is not an SQLite file; {UNTOUCHED}")
    if int.from_bytes(head[68:72], "big") == SQLITE_APPLICATION_ID:
        return
    if _looks_like_a_store(path, "immutable=1"):
        return
    if os.path.exists(f"{path}-wal") and _looks_like_a_store(path, "mode=ro"):
        return
    raise StoreError(f"{shown}: not an annotator database: it is an SQLite database of another program; "
                     f"{UNTOUCHED}")


def _looks_like_a_store(path: Path, how: str) -> bool:
    uri = f"file:{urllib.parse.quote(str(Path(path).resolve()))}?{how}"
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            app = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return app == SQLITE_APPLICATION_ID or (app == 0 and version >= 1 and STORE_TABLES <= tables)


def create_store(path: Path) -> None:
    """Make a new, complete store at ``path``, where no file exists.

    It is built beside ``path`` under a temporary name and linked into place, so
    ``path`` never holds half a store (a crash leaves no empty file that would
    then be refused), and a file another process created meanwhile is kept.
    """
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            for version, script in enumerate(MIGRATIONS, start=1):
                _run_migration(db, version, script)
            db.execute(f"PRAGMA application_id={SQLITE_APPLICATION_ID}")
            db.execute("COMMIT")
        finally:
            db.close()
        _fsync(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: open theirs
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK, errno.EXDEV):
                raise
            if not os.path.lexists(path):  # a file system without hard links: nearly as good
                os.rename(tmp, path)
        _fsync(path.parent)
    except sqlite3.Error as exc:
        if not os.access(path.parent, os.W_OK):
            raise StoreError(f"{path}: cannot create the store: its folder is read-only; nothing was changed") \
                from None
        raise _explain(exc, str(path)) from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store ({exc.strerror or exc}); nothing was changed") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entry list) to disk; best effort where the system cannot."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    """Whether a process of this host exists (another host's claim lives by its heartbeat alone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
