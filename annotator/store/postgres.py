"""The team store: a PostgreSQL server database, the same protocol and meaning as the SQLite store.

Every write is one transaction. An annotation write locks its row
(``SELECT … FOR UPDATE``) and checks the version before writing the state and
its log entry, so two writers never lose or duplicate an operation; adding a
document holds a transaction advisory lock so deduplication by text hash holds
between machines. "One live session per annotator" is a session advisory lock
held by this store's connection: the server drops it by itself when the process
or its machine dies. ``psycopg`` (3) is imported only here, only when a
``postgresql://`` URL is opened, so the rest of the app never needs it.

Long because it implements the whole ``Store`` contract for one backend (documents, states
and log, sessions, assignments, accounts); the SQL reads shared with SQLite are in ``sql_reads``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from annotator.errors import StaleStateError, StoreError
from annotator.model.annotations import Annotations, Document
from annotator.model.operations import Operation
from annotator.store.base import (
    CLAIM_EXPIRY_SECONDS,
    NO_STORE,
    AddResult,
    Position,
    QueueStep,
    SessionClaim,
    claim_refused,
    storable_name,
)
from annotator.store.pg_migrations import FILL_COUNTED, PG_MIGRATIONS, SCHEMA_VERSION_TABLE
from annotator.store.sql_reads import (
    ASSIGNED,
    BACKFILL_BATCH,
    BATCH,
    UNFINISHED,
    WORKERS,
    EncodedText,
    SQLReads,
    counted,
    decode_text,
    dumps_ascii,
    encode_text,
    nothing_to_keep,
    now_iso,
    read_marks,
    search_copy,
    search_parts,
    state_or_empty,
    tokens_row,
)

T = TypeVar("T")


def _many(sql: str, rows: list[tuple[Any, ...]]) -> Callable[[Any], None]:
    """A write of ``sql`` once per row, for ``_write``."""

    def run(cur: Any) -> None:
        cur.executemany(sql, rows)

    return run


def _add_long(cur: Any, doc_id: str, doc: Document, encoded: EncodedText) -> None:
    """A long text sent a piece at a time (migration 9): the row by binary COPY, its text written from the pieces
    of the one encoding (``EncodedText``: its hash and marks came from the same pass; never joined, nor
    escaped), and its search copy as overlapping parts."""
    fields = [encode_text(v) for v in (doc_id, encoded.hash, dumps_ascii(dict(doc.meta)), now_iso())]
    with cur.copy("COPY documents(id, hash, meta, added_at, search, text) FROM STDIN (FORMAT BINARY)") as copy:
        head = [_COPY_SIGNATURE, struct.pack("!iih", 0, 0, 6)]
        head += [struct.pack("!i", len(v)) + v for v in fields]
        copy.write(b"".join(head) + struct.pack("!ii", 0, encoded.size))  # search: empty; then the text's length
        for piece in encoded.written():
            copy.write(piece)
        copy.write(struct.pack("!h", -1))
    seq = cur.execute("SELECT seq FROM documents WHERE id=%s", (doc_id,)).fetchone()[0]
    cur.execute("INSERT INTO text_marks(doc_id, chars, step, marks) VALUES (%s,%s,%s,%s)",
                encoded.marks_row(doc_id))
    for part in search_parts(doc_id, doc.text):
        cur.execute("INSERT INTO search_parts(seq, search) VALUES (%s,%s)", (seq, part))


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"

RETRIES = 6  # attempts for a transaction the server aborted (deadlock, serialization failure)
CONNECT_TIMEOUT_S = 10
INSTALL_HINT = "pip install 'annotator[postgres]' (or: pip install 'psycopg[binary]')"


def _lock_key(kind: str, name: str = "") -> int:
    """A 64-bit advisory-lock key of our own, so we never collide with another application's locks."""
    digest = hashlib.sha256(f"annotator\0{kind}\0{name}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


MIGRATION_LOCK = _lock_key("migrate")
DOCUMENTS_LOCK = _lock_key("documents")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError(f"a postgresql:// database needs the psycopg package: {INSTALL_HINT}") from None
    return psycopg


def redact(url: str) -> str:
    """The URL with any password hidden: it is shown in messages and kept as ``store.path``."""
    url = re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# The server's clock, as ``now_iso`` writes times: heartbeats are compared on one clock, not each machine's.
SERVER_NOW = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
CLAIM_TAKEOVER_WAIT_S = 10  # how long to wait for an ended session's lock to be let go


# The log entry of a row ``written`` just wrote, in the same statement; the count says whether it wrote.
_LOG_WRITTEN = """
), logged AS (
    INSERT INTO oplog(doc_id, annotator, action, op, inverse, ref, version, at)
    SELECT doc_id, annotator, %s, %s, %s, %s, version, updated_at FROM written
    RETURNING 1
)
SELECT COUNT(*) FROM logged"""
# One action's write in one statement (its own transaction, so one round trip instead of five): the row
# is updated only at the version the session read and with the created_at its state carries (so the state
# written is exactly the one the full transaction would write), and the log entry is added with it. It
# answers 0 when it wrote nothing (a conflict, or a row that differs): then the full transaction runs.
ONE_STATEMENT_COMMIT = """
WITH written AS (
    UPDATE annotations SET state=%s, version=%s, status=%s, updated_at=%s, counted=%s
    WHERE doc_id=%s AND annotator=%s AND version=%s AND created_at=%s
    RETURNING doc_id, annotator, version, updated_at""" + _LOG_WRITTEN
# A document's first write by an annotator, the same way: 0 when the row is there already (a conflict).
ONE_STATEMENT_FIRST = """
WITH written AS (
    INSERT INTO annotations(doc_id, annotator, state, version, status, created_at, updated_at, counted)
    VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (doc_id, annotator) DO NOTHING
    RETURNING doc_id, annotator, version, updated_at""" + _LOG_WRITTEN


# ``_read_marks``' row: a text's marks, or (none: a text read whole) the text itself, with its metadata.
_MARKS_COLUMNS = "d.seq, m.chars, m.step, m.marks, CASE WHEN m.doc_id IS NULL THEN d.text END, d.meta"
_MARKS_FROM = "documents d LEFT JOIN text_marks m ON m.doc_id=d.id"

class PostgresStore(SQLReads):
    """Store protocol over one PostgreSQL database (see ``annotator.store.base.Store``)."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        """Connect; a database without the annotator tables gets them only with ``create``."""
        self.path = redact(url)
        self._create = create
        self._pg = _psycopg()
        self._url = url
        self._lock = threading.RLock()  # one transaction at a time on the one connection
        self._conn: Any = None
        self._cur: tuple[Any, Any] | None = None  # ``_cursor``: the connection and its cursor
        self._held_sessions: set[str] = set()  # claimed by this store
        self._locked_sessions: set[str] = set()  # of those, the ones whose advisory lock we hold
        self._in_transaction = False  # inside ``transaction()``: writes join it
        self._held: dict[str, tuple[str, Any]] = {}  # read ahead, by kind: (document id, what was read); ``_hold``
        try:
            params = self._pg.conninfo.conninfo_to_dict(url)
        except self._pg.Error as exc:
            raise StoreError(f"{self.path}: not a valid postgresql:// URL ({_one_line(exc)})") from None
        self._params = params
        self._connect()
        self._migrate()

    # -- plumbing ----------------------------------------------------------------------

    def _where(self) -> str:
        p, env = self._params, os.environ
        db = p.get("dbname") or env.get("PGDATABASE") or p.get("user") or env.get("PGUSER") or "(default)"
        host = p.get("host") or env.get("PGHOST") or "the local socket"
        port = p.get("port") or env.get("PGPORT") or "5432"
        return f"PostgreSQL database {db!r} on {host} port {port}"

    def _connect(self) -> None:
        pg = self._pg
        kwargs: dict[str, Any] = {"autocommit": True, "client_encoding": "UTF8", "application_name": "annotator"}
        if "connect_timeout" not in self._params:
            kwargs["connect_timeout"] = CONNECT_TIMEOUT_S
        try:
            conn = pg.connect(self._url, **kwargs)
        except pg.Error as exc:
            reason = _one_line(exc)
            hint = ""
            if "does not exist" in reason and "database" in reason:
                hint = "; create it first (createdb -E UTF8 NAME) or fix the name in the URL"
            elif "password" in reason or "authentication" in reason:
                hint = "; check the user and password (a ~/.pgpass file keeps the password out of the URL)"
            raise StoreError(f"cannot connect to the {self._where()}: {reason}{hint}") from None
        try:
            encoding = conn.execute("SHOW server_encoding").fetchone()[0]
        except pg.Error as exc:
            conn.close()
            raise StoreError(f"{self._where()}: {_one_line(exc)}") from None
        if encoding.upper() not in ("UTF8", "UTF-8"):
            conn.close()
            raise StoreError(f"{self._where()} uses the {encoding} encoding; annotator needs UTF8 "
                             "(create the database with: createdb -E UTF8 -T template0 NAME)")
        self._conn = conn

    def _connection(self) -> Any:
        """The live connection; after a lost one, a new one that takes back this store's session locks."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        if self._conn is None:
            raise StoreError(f"{self.path}: the store is closed")
        self._connect()
        for annotator in sorted(self._locked_sessions):
            try:
                got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key("session", annotator),))
            except self._pg.Error as exc:
                raise self._explain(exc) from None
            if not got.fetchone()[0]:
                self._locked_sessions.discard(annotator)
                self._held_sessions.discard(annotator)
                raise StoreError(f"{self.path}: the connection was lost and another session of {annotator!r} "
                                 "opened the store meanwhile; close this one")
        return self._conn

    def _explain(self, exc: BaseException) -> StoreError:
        errors = self._pg.errors
        reason = _one_line(exc)
        if isinstance(exc, errors.InsufficientPrivilege):
            return StoreError(f"{self._where()}: permission denied ({reason}); ask the database owner to "
                              "grant this user the annotator tables (see docs/postgres.md)")
        if isinstance(exc, errors.ReadOnlySqlTransaction):
            return StoreError(f"{self._where()} is read-only (a standby?); nothing was changed ({reason})")
        if isinstance(exc, errors.DiskFull):
            return StoreError(f"{self._where()}: the server's disk is full; the last action was not saved")
        if isinstance(exc, self._pg.OperationalError) and (self._conn is None or self._conn.broken
                                                           or self._conn.closed):
            return StoreError(f"lost the connection to the {self._where()} ({reason}); the last action may "
                              "not have been saved: check it after the server is back")
        if isinstance(exc, self._pg.DataError) and "NUL" in reason:
            return StoreError(f"{self._where()}: {reason}")
        return StoreError(f"{self._where()}: database error: {reason}")

    def _write(self, fn: Callable[[Any], T], *, one_statement: bool = False) -> T:
        """Run ``fn(cursor)`` in one transaction, again if the server aborted it to break a deadlock.

        Inside ``transaction()`` it runs in a savepoint of the open transaction instead: a
        refused write undoes only itself, as in SQLite, and the group commits as a whole.
        ``one_statement``: ``fn`` runs a single statement, which is its own transaction (autocommit),
        with no BEGIN and COMMIT round trips around it.
        """
        pg = self._pg
        retryable = (pg.errors.SerializationFailure, pg.errors.DeadlockDetected)
        delay = 0.02
        with self._lock:
            for attempt in range(RETRIES):
                conn = self._connection()
                try:
                    group = contextlib.nullcontext() if one_statement and not self._in_transaction \
                        else conn.transaction()
                    if one_statement:  # one of an action's statements: on the kept cursor
                        with group:
                            return fn(self._cursor(conn))
                    with group, conn.cursor() as cur:
                        return fn(cur)
                except retryable as exc:
                    if self._in_transaction or attempt == RETRIES - 1:
                        raise self._explain(exc) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
                except UnicodeEncodeError as exc:
                    raise StoreError(f"{self._where()}: cannot send {exc.object[exc.start:exc.end]!r} "
                                     "to the server (a lone surrogate in a name?)") from None
                except pg.Error as exc:
                    raise self._explain(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _cursor(self, conn: Any) -> Any:
        """The cursor of ``conn`` an action's statements run on (the one-statement writes and the prepared reads, under
        ``_lock``, each result read before the next statement; their results are small, so keeping the last one
        costs nothing): making and closing a cursor for each cost about a third of the client's time of such a
        statement (25-30 µs of 80-110). Any other statement gets a cursor of its own, closed after it."""
        if self._cur is None or self._cur[0] is not conn:
            self._cur = (conn, conn.cursor())
        return self._cur[1]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes (an imported document and its labels) into one: all or nothing.

        Nested inside another group it is a savepoint (psycopg's nested transaction): it joins the
        outer group, but a failure inside it undoes only its own writes."""
        with self._lock:
            if self._in_transaction:
                try:
                    with self._connection().transaction():
                        yield
                except self._pg.Error as exc:
                    raise self._explain(exc) from None
                return
            conn = self._connection()
            self._in_transaction = True
            try:
                with conn.transaction():
                    yield
            except self._pg.Error as exc:
                raise self._explain(exc) from None
            finally:
                self._in_transaction = False

    def _read(self, sql: str, params: tuple = (), *, prepare: bool = False) -> list[tuple]:
        """One query with ``?`` placeholders (as ``SQLReads`` writes them); retried once on a fresh
        connection if the old one was lost, since a read changes nothing. ``prepare``: one of an action's
        reads, prepared on the server from its first run (parsed once per connection)."""
        pg = self._pg
        sql = sql.replace("?", "%s")
        if any(isinstance(p, str) and "\x00" in p for p in params):
            return []  # a name holding NUL cannot be stored (``storable_name``), so it is not there: as in SQLite
        with self._lock:
            for attempt in range(2):
                conn = self._connection()
                try:
                    if prepare:  # one of an action's reads: on the kept cursor
                        return self._cursor(conn).execute(sql, params, prepare=True).fetchall()
                    return conn.execute(sql, params).fetchall()
                except UnicodeEncodeError:
                    return []  # a name PostgreSQL cannot hold is not in the store
                except pg.Error as exc:
                    if attempt == 0 and not self._in_transaction and (conn.broken or conn.closed):
                        continue
                    raise self._explain(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _migrate(self) -> None:
        found: list[int] = []

        def tx(cur: Any) -> None:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))  # one migrator at a time
            exists = cur.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]
            current = cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0] \
                if exists else 0
            found.append(current)
            if not exists and not self._create:
                raise StoreError(NO_STORE.format(where=f"the {self._where()}"))
            if current > len(PG_MIGRATIONS):
                raise StoreError(f"{self.path}: made by a newer annotator (database version {current}, "
                                 f"this one knows {len(PG_MIGRATIONS)})")
            if current == len(PG_MIGRATIONS):
                return
            self._act_as_database_owner(cur)
            if not exists:
                cur.execute(SCHEMA_VERSION_TABLE)
            for version, script in enumerate(PG_MIGRATIONS[current:], start=current + 1):
                cur.execute(script)
                cur.execute("INSERT INTO schema_version(version, applied_at) VALUES (%s, %s)",
                            (version, now_iso()))

        try:
            self._write(tx)
            self._backfill()
            if found and found[-1] < 6:
                self._fill_marks()
        except StoreError:
            self._close_connection()
            raise

    def _backfill(self) -> None:
        """Fill migration 5's columns of a database made before it, a batch per transaction (an
        interrupted backfill goes on at the next open; two processes never count a row twice). The counts
        are filled while the setting ``FILL_COUNTED`` (migration 11) says some are left."""
        while True:
            rows = self._read(f"SELECT seq, id, text FROM documents WHERE search IS NULL ORDER BY seq "
                              f"LIMIT {BACKFILL_BATCH}")
            if not rows:
                break
            filled = [(search_copy(doc_id, decode_text(text)), seq) for seq, doc_id, text in rows]
            self._write(_many("UPDATE documents SET search=%s WHERE seq=%s AND search IS NULL", filled))
        if self.get_setting(FILL_COUNTED) is None:  # (no index finds the rows: one would cost every label, HOT)
            return
        after: tuple[str, ...] = ()
        while True:  # in key order from where the last batch ended: one pass over the table, whoever stopped it
            rows = self._read("SELECT doc_id, annotator, state FROM annotations WHERE counted IS NULL "
                              + ("AND (doc_id, annotator) > (?, ?) " if after else "")
                              + f"ORDER BY doc_id, annotator LIMIT {BACKFILL_BATCH}", after)
            if not rows:
                break
            after = tuple(rows[-1][:2])
            tallied = [(counted(Annotations.from_json(json.loads(state))), doc_id, annotator)
                       for doc_id, annotator, state in rows]
            self._write(_many(  # the trigger counts them
                "UPDATE annotations SET counted=%s WHERE doc_id=%s AND annotator=%s AND counted IS NULL", tallied))
        self.set_setting(FILL_COUNTED, None)

    def _write_rows(self, sql: str, rows: list[tuple]) -> None:
        self._write(_many(sql.replace("?", "%s"), rows))

    def _act_as_database_owner(self, cur: Any) -> None:
        """Create tables as the database's owner when we are a member of that role.

        A team's database is owned by a group role that every annotator's login
        belongs to; tables made as the owner are usable by all of them, whoever
        happened to open the database first (tables made as "alice" would not be).
        """
        owner = cur.execute("SELECT pg_get_userbyid(datdba) FROM pg_database "
                            "WHERE datname = current_database()").fetchone()[0]
        if owner != cur.execute("SELECT current_user").fetchone()[0] and cur.execute(
                "SELECT pg_has_role(current_user, %s, 'MEMBER')", (owner,)).fetchone()[0]:
            cur.execute(self._pg.sql.SQL("SET LOCAL ROLE {}").format(self._pg.sql.Identifier(owner)))

    def _close_connection(self) -> None:
        self._cur = None  # the kept cursor goes with its connection
        if self._conn is not None:
            try:
                self._conn.close()
            except self._pg.Error:
                pass

    def schema_version(self) -> int:
        return self._read("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]

    def close(self) -> None:
        with self._lock:
            for annotator in list(self._held_sessions):
                try:
                    self.release_session(annotator)
                except StoreError:
                    pass
            self._close_connection()
            self._conn = None

    def integrity_check(self) -> str:
        """Return "ok", or what is wrong: texts not matching their hash, versions disagreeing with the log."""
        problems: list[str] = []
        version = self.schema_version()
        if version != len(PG_MIGRATIONS):
            problems.append(f"schema version {version}, expected {len(PG_MIGRATIONS)}")
        for (doc_id,) in self._read(
                "SELECT id FROM documents WHERE encode(sha256(text), 'hex') <> hash ORDER BY seq LIMIT 5"):
            problems.append(f"document {doc_id}: text does not match its hash")
        for doc_id, annotator, version, entries in self._read(
                "SELECT a.doc_id, a.annotator, a.version, COUNT(o.seq) FROM annotations a "
                "LEFT JOIN oplog o ON o.doc_id=a.doc_id AND o.annotator=a.annotator "
                "GROUP BY a.doc_id, a.annotator, a.version "
                "HAVING a.version <> COUNT(o.seq) OR a.version <> COALESCE(MAX(o.version), 0) LIMIT 5"):
            problems.append(f"document {doc_id}, {annotator}: version {version} but {entries} log entries")
        for doc_id, annotator in self._read(
                "SELECT DISTINCT o.doc_id, o.annotator FROM oplog o LEFT JOIN annotations a "
                "ON a.doc_id=o.doc_id AND a.annotator=o.annotator WHERE a.doc_id IS NULL LIMIT 5"):
            problems.append(f"document {doc_id}, {annotator}: log entries without annotations")
        for (doc_id,) in self._read(  # the take's kept counts (migration 10) against a recount
                "SELECT d.id FROM documents d LEFT JOIN doc_workers w ON w.doc_id=d.id "
                "WHERE w.workers IS DISTINCT FROM " + WORKERS + " ORDER BY d.seq LIMIT 5"):
            problems.append(f"document {doc_id}: its kept count of workers is not its workers")
        triggers = self._read("SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = 'oplog'::regclass "
                              "AND tgname IN ('oplog_append_only', 'oplog_no_truncate') AND tgenabled <> 'D'")
        if triggers[0][0] != 2:
            problems.append("the operation log's append-only triggers are missing or disabled")
        return "; ".join(problems) or "ok"

    # -- documents ---------------------------------------------------------------------

    def _hold(self, kind: str, doc_id: str, value: Any) -> None:
        """Keep ``value``, read ahead for ``doc_id``, until ``_take_held(kind, …)``: one of each kind at a time."""
        with self._lock:
            self._held[kind] = (doc_id, value)

    def _take_held(self, kind: str, doc_id: str) -> Any:
        """What ``_hold`` kept of ``kind`` if it was read for ``doc_id``, else None; let go either way."""
        with self._lock:
            held = self._held.pop(kind, None)
        return held[1] if held is not None and held[0] == doc_id else None

    def _read_marks(self, doc_id: str) -> tuple[tuple[int, int, int, array, bool] | None, Callable[[], None]]:
        """``SQLReads._read_marks``, and in the same round trip a text read whole (no marks): a session asks
        for the marks, then for the whole text when there are none. That text is kept for the next
        ``get_document`` of the same id (a committed text never changes), then let go. The row may have been
        read ahead by ``load``."""
        if self._no_marks:
            return super()._read_marks(doc_id)
        rows = self._take_held("marks", doc_id)
        if rows is None:
            rows = self._read(f"SELECT {_MARKS_COLUMNS} FROM {_MARKS_FROM} WHERE d.id=?", (doc_id,), prepare=True)
        if rows and rows[0][1] is not None:
            return (rows[0][0], rows[0][1], rows[0][2], read_marks(rows[0][3]), False), nothing_to_keep
        if not rows:
            return None, nothing_to_keep
        return None, lambda: self._hold("whole", doc_id, Document(doc_id, decode_text(rows[0][4]),
                                                                  json.loads(rows[0][5])))

    def get_document(self, doc_id: str) -> Document | None:
        kept = self._take_held("whole", doc_id)
        return kept if kept is not None else super().get_document(doc_id)

    def load(self, doc_id: str, annotator: str) -> Annotations:
        """``SQLReads.load``; and when the text's marks are not known yet, its ``_read_marks`` row in the same round
        trip (for ``_read_marks`` to take next: a state is read to be changed or shown against its text, which is
        read next; a team's first label on a document is then two round trips, not three). Inside a
        transaction nothing is read ahead (what ``_marks`` keeps must come from committed rows)."""
        with self._lock:  # the read and what it holds ahead, as one
            if self._no_marks or self._in_transaction or self._marks_known(doc_id):
                return super().load(doc_id, annotator)
            rows = self._read(f"SELECT a.state, {_MARKS_COLUMNS} FROM {_MARKS_FROM} LEFT JOIN annotations a "
                              "ON a.doc_id=d.id AND a.annotator=? WHERE d.id=?", (annotator, doc_id), prepare=True)
            if not rows:  # no such document (or a name no store holds): as ``SQLReads.load`` answers
                return super().load(doc_id, annotator)
            self._hold("marks", doc_id, [row[1:] for row in rows])
        return state_or_empty(rows[0][0], doc_id, annotator)

    def add_document(self, doc: Document) -> AddResult:
        storable_name(doc.id, "document id")
        encoded = EncodedText(doc.text)  # the text encoded once: its hash, its marks and the bytes sent
        h = encoded.hash

        def tx(cur: Any) -> AddResult:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (DOCUMENTS_LOCK,))  # dedupe across machines
            cur.execute("SELECT id FROM documents WHERE hash=%s", (h,))
            row = cur.fetchone()
            if row:
                return AddResult(row[0], added=False)
            doc_id, renamed, n = doc.id, None, 1
            while cur.execute("SELECT 1 FROM documents WHERE id=%s", (doc_id,)).fetchone():
                n += 1
                doc_id = f"{doc.id}~{n}"
                renamed = doc.id
            if encoded.marks is None:
                cur.execute("INSERT INTO documents(id, text, hash, meta, added_at, search) "
                            "VALUES (%s,%s,%s,%s,%s,%s)", (doc_id, encoded.data(), h,
                                                          dumps_ascii(dict(doc.meta)), now_iso(),
                                                          search_copy(doc_id, doc.text)))
            else:
                _add_long(cur, doc_id, doc, encoded)
            tokens = tokens_row(doc_id, doc.text)  # its token table, for exports (migration 8 here, 7 on SQLite)
            if tokens is not None:
                cur.execute("INSERT INTO token_bounds(doc_id, tokenizer, bounds) VALUES (%s,%s,%s)", tokens)
            return AddResult(doc_id, added=True, renamed_from=renamed)

        return self._write(tx)

    # -- annotations -------------------------------------------------------------------

    def iter_annotations(self, annotator: str | None = None) -> Iterator[Annotations]:
        # COLLATE "C": annotators sort by code point, as in SQLite, whatever the database's locale
        where = "WHERE a.annotator=? AND " if annotator is not None else "WHERE "
        sql = ("SELECT d.seq, a.annotator, a.state FROM annotations a JOIN documents d ON d.id=a.doc_id "
               + where + '(d.seq, a.annotator COLLATE "C") > (?, ?) '
               + f'ORDER BY d.seq, a.annotator COLLATE "C" LIMIT {BATCH}')
        last: tuple[int, str] = (0, "")
        while True:
            params = ((annotator,) if annotator is not None else ()) + last
            rows = self._read(sql, params)
            if not rows:
                return
            for seq, who, state in rows:
                last = (seq, who)
                yield Annotations.from_json(json.loads(state))

    def annotators(self, doc_id: str) -> list[str]:
        return [r[0] for r in self._read(
            'SELECT annotator FROM annotations WHERE doc_id=? ORDER BY annotator COLLATE "C"', (doc_id,))]

    def all_annotators(self) -> list[str]:
        return [r[0] for r in self._read(
            'SELECT DISTINCT annotator COLLATE "C" FROM annotations ORDER BY 1')]

    def commit(self, doc_id: str, annotator: str, expected_version: int, new_state: Annotations,
               action: str, op: Operation, inverse: Operation | None, ref: int | None) -> Annotations:
        storable_name(doc_id, "document id")
        storable_name(annotator, "annotator name")

        def conflict(version: int) -> StoreError:
            return StaleStateError(f"document {doc_id} was changed by another session of {annotator} "
                              f"(version {version}, expected {expected_version}); reload it")

        def tx(cur: Any) -> Annotations:
            row = cur.execute("SELECT version, created_at FROM annotations WHERE doc_id=%s "
                              "AND annotator=%s FOR UPDATE", (doc_id, annotator)).fetchone()
            version = row[0] if row else 0
            if version != expected_version:
                raise conflict(version)
            at = now_iso()
            state = new_state.with_(doc_id=doc_id, annotator=annotator, version=version + 1,
                                    created_at=(row[1] if row else None) or at, updated_at=at)
            if row:  # the tallies follow by trigger
                cur.execute("UPDATE annotations SET state=%s, version=%s, status=%s, updated_at=%s, counted=%s "
                            "WHERE doc_id=%s AND annotator=%s",
                            (dumps_ascii(state.to_json()), state.version, state.status, at, counted(state),
                             doc_id, annotator))
            else:
                # No row to lock yet: the primary key makes a concurrent first write wait, then do nothing.
                cur.execute("INSERT INTO annotations(doc_id, annotator, state, version, status, created_at, "
                            "updated_at, counted) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) "
                            "ON CONFLICT (doc_id, annotator) DO NOTHING",
                            (doc_id, annotator, dumps_ascii(state.to_json()), state.version, state.status,
                             state.created_at, at, counted(state)))
                if cur.rowcount != 1:
                    raise conflict(1)
            cur.execute("INSERT INTO oplog(doc_id, annotator, action, op, inverse, ref, version, at) "
                        "VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                        (doc_id, annotator, action, dumps_ascii(op.to_json()),
                         dumps_ascii(inverse.to_json()) if inverse is not None else None, ref, state.version, at))
            return state

        if expected_version == 0 or new_state.created_at:
            at = now_iso()
            first = expected_version == 0
            state = new_state.with_(doc_id=doc_id, annotator=annotator, version=expected_version + 1,
                                    created_at=at if first else new_state.created_at, updated_at=at)
            log = (action, dumps_ascii(op.to_json()), dumps_ascii(inverse.to_json()) if inverse is not None else None,
                   ref)
            sql, params = (ONE_STATEMENT_FIRST, (doc_id, annotator, dumps_ascii(state.to_json()), state.version,
                                                 state.status, at, at, counted(state), *log)) if first else \
                (ONE_STATEMENT_COMMIT, (dumps_ascii(state.to_json()), state.version, state.status, at, counted(state),
                                        doc_id, annotator, expected_version, state.created_at, *log))
            if self._write(lambda cur: cur.execute(sql, params, prepare=True).fetchone()[0], one_statement=True):
                return state
        return self._write(tx)  # a conflict, or a row whose created_at is not the state's: said or written exactly

    # -- positions ---------------------------------------------------------------------

    def set_position(self, annotator: str, position: Position) -> None:
        storable_name(annotator, "annotator name")
        if position.doc_id is not None:
            storable_name(position.doc_id, "document id")
        self._write(lambda cur: cur.execute(
            "INSERT INTO positions(annotator, doc_id, cursor, updated_at) VALUES (%s,%s,%s,%s) "
            "ON CONFLICT (annotator) DO UPDATE SET doc_id=excluded.doc_id, cursor=excluded.cursor, "
            "updated_at=excluded.updated_at",
            (annotator, position.doc_id, position.cursor, now_iso())))

    # -- assignments and settings --------------------------------------------------------

    _NOW = SERVER_NOW  # leases run on the server's clock, one for every machine

    def assign(self, pairs: Iterable[tuple[str, str]]) -> int:
        rows = [(storable_name(doc_id, "document id"), storable_name(who, "annotator name")) for doc_id, who in pairs]

        def tx(cur: Any) -> int:
            at = now_iso()
            new = 0
            for doc_id, who in rows:  # a lapsed or running lease on the pair becomes a dealt assignment
                new += cur.execute(
                    "INSERT INTO assignments(doc_id, annotator, assigned_at) VALUES (%s,%s,%s) "
                    "ON CONFLICT (doc_id, annotator) DO UPDATE SET assigned_at=excluded.assigned_at, "
                    "expires_at=NULL, taken_seq=NULL WHERE assignments.expires_at IS NOT NULL",
                    (doc_id, who, at)).rowcount
            return new

        return self._write(tx)

    def unassign(self, annotator: str) -> list[str]:
        def tx(cur: Any) -> list[str]:
            ids = [r[0] for r in cur.execute(
                "SELECT s.doc_id FROM assignments s JOIN documents d ON d.id=s.doc_id WHERE s.annotator=%s AND "
                + UNFINISHED + " ORDER BY d.seq FOR UPDATE OF s", (annotator,)).fetchall()]
            cur.execute("DELETE FROM assignments AS s WHERE s.annotator=%s AND " + UNFINISHED, (annotator,))
            return ids

        return self._write(tx)

    def setting_and_assigned(self, key: str, annotator: str) -> tuple[str | None, list[str]]:
        """``Store.setting_and_assigned`` in one round trip: the setting, and the queue as an array."""
        if self._no_assignments:
            return None, []
        rows = self._read("SELECT (SELECT value FROM settings WHERE key=?), ARRAY(" + ASSIGNED.format(now=self._NOW)
                          + ")", (key, annotator), prepare=True)
        return (rows[0][0], list(rows[0][1])) if rows else (self.get_setting(key), [])  # a name no store holds

    def next_in_queue(self, key: str, annotator: str, after: str | None, seen: str, overlap: int,
                      lease_seconds: float) -> QueueStep:
        """``Store.next_in_queue`` in one statement: the setting and the queue (as ``setting_and_assigned`` reads
        them), whether to take (``nothing_after``'s rule, in SQL), then the take's call (``annotator_take``: its
        statements take their own snapshots, so it sees what the queue's read saw and every take committed since),
        then the taken document's state and its ``_read_marks`` row, held as ``load`` holds it (not inside a
        transaction; and unknown when the statement's own snapshot, older than the take's, does not see the
        document yet)."""
        storable_name(annotator, "annotator name")
        if self._no_assignments or self._no_marks:
            return super().next_in_queue(key, annotator, after, seen, overlap, lease_seconds)
        sql = ("WITH q AS MATERIALIZED (SELECT (SELECT value FROM settings WHERE key=%s) AS value, ARRAY("
               + ASSIGNED.format(now=self._NOW).replace("?", "%s") + ") AS queue), "
               "t AS MATERIALIZED (SELECT c.tried, CASE WHEN c.tried THEN annotator_take(%s, %s, %s) END AS taken "
               "FROM (SELECT COALESCE(q.value = %s AND CASE WHEN %s::text IS NULL THEN cardinality(q.queue) = 0 "
               "ELSE COALESCE(array_position(q.queue, %s::text), cardinality(q.queue)) = cardinality(q.queue) END, "
               "false) AS tried FROM q) AS c) "
               f"SELECT q.value, q.queue, t.tried, t.taken, a.state, {_MARKS_COLUMNS} FROM q CROSS JOIN t "
               f"LEFT JOIN {_MARKS_FROM} ON d.id=t.taken LEFT JOIN annotations a ON a.doc_id=d.id AND a.annotator=%s")
        params = (key, annotator, annotator, overlap, float(lease_seconds), seen, after, after, annotator)
        with self._lock:
            row = self._write(lambda cur: cur.execute(sql, params, prepare=True).fetchone(), one_statement=True)
            value, queue, tried, taken, state = row[:5]
            if taken is None or row[5] is None:  # nothing taken, or a document this statement's snapshot cannot see
                return QueueStep(value, list(queue), tried, taken)
            if not self._in_transaction and not self._marks_known(taken):
                self._hold("marks", taken, [row[5:]])
        return QueueStep(value, list(queue), tried, taken, state_or_empty(state, taken, annotator))

    def take_document(self, annotator: str, overlap: int, lease_seconds: float) -> str | None:
        """Find the first takeable document in store order (``doc_workers``, one index probe per count of
        workers below the overlap), lock its row (``FOR NO KEY UPDATE … SKIP LOCKED``: concurrent takers
        pass over each other's candidates instead of queueing), then count its workers again in a fresh
        statement (READ COMMITTED: it sees every taker that held the row before us) and take it.

        A candidate another taker holds at that instant is passed over, not "nothing to take" (the other
        taker may fill one place of two): when nothing else is left, the taker waits for such a row, in
        order, and the loop recounts it.

        These statements run on the server, in one call of the database's ``annotator_take`` (migration 12):
        one round trip, no row lock held while a client waits for a CPU, and its plans made once per connection.
        """
        storable_name(annotator, "annotator name")
        return self._write(lambda cur: cur.execute("SELECT annotator_take(%s, %s, %s)", (
            annotator, overlap, float(lease_seconds)), prepare=True).fetchone()[0], one_statement=True)

    def set_setting(self, key: str, value: str | None) -> None:
        if value is None:
            self._write(lambda cur: cur.execute("DELETE FROM settings WHERE key=%s", (key,)))
            return
        self._write(lambda cur: cur.execute(
            "INSERT INTO settings(key, value, updated_at) VALUES (%s,%s,%s) ON CONFLICT (key) DO UPDATE SET "
            "value=excluded.value, updated_at=excluded.updated_at", (key, value, now_iso())))

    # -- one live session per annotator ------------------------------------------------

    def claim_session(self, annotator: str, *, take_over: bool = False) -> SessionClaim | None:
        """Refuse a second live session of the same annotator on this database, from any machine.

        Liveness is the session advisory lock: it lives exactly as long as the
        holder's connection, so a crashed session never blocks anyone once the
        server notices. A holder whose heartbeat stopped for CLAIM_EXPIRY_SECONDS
        (a suspended laptop, a half-open connection the server has not noticed)
        is expired; it, or with ``take_over`` a live holder, is ended by closing its
        connection (``pg_terminate_backend``): its app then says another session
        took over. The ``sessions`` row says who holds the lock and its heartbeat.
        As with SQLite, the same process may claim again.
        """
        storable_name(annotator, "annotator name")
        host, pid = socket.gethostname(), os.getpid()
        with self._lock:
            if annotator in self._held_sessions:
                return None
            key = _lock_key("session", annotator)
            ended = None
            if not self._read("SELECT pg_try_advisory_lock(?)", (key,))[0][0]:
                row = self._read(
                    "SELECT host, pid, started_at, EXTRACT(EPOCH FROM clock_timestamp() - "
                    "COALESCE(heartbeat_at, started_at)::timestamptz)::float8 FROM sessions WHERE annotator=?",
                    (annotator,))
                if row and (row[0][0], row[0][1]) == (host, pid):
                    self._held_sessions.add(annotator)  # this process already holds it
                    return None
                age = max(0.0, float(row[0][3])) if row else 0.0
                state = "expired" if row and age >= CLAIM_EXPIRY_SECONDS else "live"
                if state == "live" and not take_over:
                    holder = row[0] if row else (None, None, None)
                    raise claim_refused(self.path, annotator, holder[0], holder[1], holder[2], age)
                self._end_lock_holder(annotator, key)
                if row:
                    ended = SessionClaim(annotator, row[0][0], row[0][1], age, state)
            self._locked_sessions.add(annotator)
            try:
                self._write(lambda cur: cur.execute(
                    "INSERT INTO sessions(annotator, host, pid, started_at, heartbeat_at) "
                    f"VALUES (%s,%s,%s,%s,{SERVER_NOW}) "
                    "ON CONFLICT (annotator) DO UPDATE SET host=excluded.host, pid=excluded.pid, "
                    "started_at=excluded.started_at, heartbeat_at=excluded.heartbeat_at",
                    (annotator, host, pid, now_iso())))
            except StoreError:
                self._unlock_session(annotator)
                raise
            self._held_sessions.add(annotator)
            return ended

    def _end_lock_holder(self, annotator: str, key: int) -> None:
        """Close the connection holding ``annotator``'s session lock, then take the lock."""
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
        holders = self._read(
            "SELECT pid FROM pg_locks WHERE locktype='advisory' AND granted AND objsubid=1 "
            "AND database=(SELECT oid FROM pg_database WHERE datname=current_database()) "
            "AND classid::bigint=? AND objid::bigint=?", (unsigned >> 32, unsigned & 0xFFFF_FFFF))
        for (backend,) in holders:
            try:
                ended = self._read("SELECT pg_terminate_backend(?)", (backend,))[0][0]
            except StoreError as exc:
                raise StoreError(f"{self.path}: could not end the other session of {annotator!r} (server process "
                                 f"{backend}): {exc}; its user, or a member of pg_signal_backend, can") from None
            if not ended:
                raise StoreError(f"{self.path}: could not end the other session of {annotator!r} "
                                 f"(server process {backend})")
        deadline = time.monotonic() + CLAIM_TAKEOVER_WAIT_S
        while not self._read("SELECT pg_try_advisory_lock(?)", (key,))[0][0]:
            if time.monotonic() > deadline:
                raise StoreError(f"{self.path}: the other session of {annotator!r} did not let go; try again")
            time.sleep(0.05)

    def heartbeat(self, annotator: str) -> bool:
        host, pid = socket.gethostname(), os.getpid()
        with self._lock:
            if annotator not in self._held_sessions:
                return False
            changed = self._write(lambda cur: cur.execute(
                f"UPDATE sessions SET heartbeat_at={SERVER_NOW} WHERE annotator=%s AND host=%s AND pid=%s",
                (annotator, host, pid)).rowcount)
            if not changed:
                self._held_sessions.discard(annotator)
                self._unlock_session(annotator)
            return bool(changed)

    def _unlock_session(self, annotator: str) -> None:
        if annotator in self._locked_sessions:
            self._locked_sessions.discard(annotator)
            if self._conn is not None and not self._conn.closed and not self._conn.broken:
                self._read("SELECT pg_advisory_unlock(?)", (_lock_key("session", annotator),))

    def release_session(self, annotator: str) -> None:
        host, pid = socket.gethostname(), os.getpid()
        with self._lock:
            try:
                self._write(lambda cur: cur.execute(
                    "DELETE FROM sessions WHERE annotator=%s AND host=%s AND pid=%s", (annotator, host, pid)))
            finally:
                self._held_sessions.discard(annotator)
                self._unlock_session(annotator)

    # -- sign-in accounts (annotator serve) --------------------------------------------

    def add_account(self, name: str, password: str | None) -> None:
        storable_name(name, "account name")
        at = now_iso()
        added = self._write(lambda cur: cur.execute(
            "INSERT INTO accounts(name, password, created_at, updated_at) VALUES (%s,%s,%s,%s) "
            "ON CONFLICT (name) DO NOTHING", (name, password, at, at)).rowcount)
        if not added:
            raise StoreError(f"{self._where()}: an account {name!r} already exists; nothing was changed")

    def set_password(self, name: str, password: str | None) -> bool:
        return bool(self._write(lambda cur: cur.execute(
            "UPDATE accounts SET password=%s, updated_at=%s WHERE name=%s", (password, now_iso(), name)).rowcount))

    def remove_account(self, name: str) -> bool:
        def tx(cur: Any) -> int:
            cur.execute("DELETE FROM account_tokens WHERE name=%s", (name,))
            return cur.execute("DELETE FROM accounts WHERE name=%s", (name,)).rowcount

        return bool(self._write(tx))

    def add_account_token(self, name: str, digest: str, expires_at: str) -> None:
        self._write(lambda cur: cur.execute(
            "INSERT INTO account_tokens(digest, name, expires_at, created_at) VALUES (%s,%s,%s,%s)",
            (digest, name, expires_at, now_iso())))

    def use_account_token(self, digest: str) -> str | None:
        def tx(cur: Any) -> str | None:
            now = now_iso()
            cur.execute("DELETE FROM account_tokens WHERE expires_at <= %s", (now,))
            row = cur.execute("DELETE FROM account_tokens WHERE digest=%s RETURNING name", (digest,)).fetchone()
            return row[0] if row else None

        return self._write(tx)
