"""PostgreSQL schema versions, applied in order; the ``schema_version`` table records which ran.

The tables mirror the SQLite ones (``annotator.store.migrations``) so both stores
mean the same thing. Texts are BYTEA (UTF-8 with ``surrogatepass``): PostgreSQL
TEXT can hold neither NUL nor a lone surrogate. JSON columns are TEXT holding
ASCII-only JSON, because JSONB rejects ``\\u0000`` and lone-surrogate escapes.
Add a new script at the end to change the schema; never edit a released one.

Long because each script stays as it was released, the functions and triggers the server runs among them.
"""

SCHEMA_VERSION_TABLE = """
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""

PG_MIGRATIONS: list[str] = [
    # 1: documents, materialized annotations, the append-only operation log, positions, sessions
    """
CREATE TABLE documents (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    text BYTEA NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    meta TEXT NOT NULL DEFAULT '{}',
    added_at TEXT NOT NULL
);
CREATE TABLE annotations (
    doc_id TEXT NOT NULL REFERENCES documents(id),
    annotator TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT,
    PRIMARY KEY (doc_id, annotator)
);
CREATE INDEX annotations_annotator ON annotations(annotator);
CREATE TABLE oplog (
    seq BIGSERIAL PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    annotator TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('do', 'undo', 'redo')),
    op TEXT NOT NULL,
    inverse TEXT,
    ref BIGINT,
    version INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX oplog_doc ON oplog(doc_id, annotator, seq);
CREATE FUNCTION annotator_oplog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the operation log is append-only';
END
$$;
CREATE TRIGGER oplog_append_only BEFORE UPDATE OR DELETE ON oplog
    FOR EACH ROW EXECUTE FUNCTION annotator_oplog_append_only();
CREATE TRIGGER oplog_no_truncate BEFORE TRUNCATE ON oplog
    FOR EACH STATEMENT EXECUTE FUNCTION annotator_oplog_append_only();
CREATE TABLE positions (
    annotator TEXT PRIMARY KEY,
    doc_id TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE sessions (
    annotator TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL
)
""",
    # 2: a heartbeat on each session claim (server time), so a claim whose holder stopped answering expires
    """
ALTER TABLE sessions ADD COLUMN heartbeat_at TEXT
""",
    # 3: who works on which document (dealt by `annotator assign`, or taken from a dynamic queue with a lease),
    # and project settings (the dynamic queue's overlap and lease)
    """
CREATE TABLE assignments (
    doc_id TEXT NOT NULL REFERENCES documents(id),
    annotator TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    expires_at TEXT,
    taken_seq BIGINT,
    PRIMARY KEY (doc_id, annotator)
);
CREATE INDEX assignments_annotator ON assignments(annotator, doc_id);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
""",
    # 4: sign-in accounts for `annotator serve` (browser sessions): a salted scrypt hash (NULL: links only),
    # and one-time sign-in links, kept only as their SHA-256 digest
    """
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    password TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE account_tokens (
    digest TEXT PRIMARY KEY,
    name TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
)
""",
    # 5: scale (as SQLite's 5): a search copy of each document under Arabic search normalization, with a
    # pg_trgm GIN index for substring search where the extension can be had (else searching scans); per-annotation
    # counts in ``tallies``; ``search``/``counted`` NULL: not yet backfilled (done in batches when opened)
    """
ALTER TABLE documents ADD COLUMN search TEXT;
CREATE INDEX documents_unsearched ON documents(seq) WHERE search IS NULL;
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    NULL;  -- not installed or not allowed: search still works, by scanning
END
$$;
DO $$
DECLARE
    home TEXT;
BEGIN
    SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF home IS NOT NULL THEN
        EXECUTE format('CREATE INDEX documents_search_trgm ON documents USING gin (search %I.gin_trgm_ops)', home);
    END IF;
END
$$;
ALTER TABLE annotations ADD COLUMN counted TEXT;
CREATE INDEX annotations_uncounted ON annotations(doc_id, annotator) WHERE counted IS NULL;
CREATE INDEX annotations_status ON annotations(annotator, status, doc_id);
CREATE TABLE tallies (
    annotator TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (annotator, kind, name)
);
CREATE FUNCTION annotator_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    add TEXT := format('INSERT INTO %I.tallies(annotator, kind, name, n) '
                       'SELECT $1, e ->> 0, e ->> 1, $3 * (e ->> 2)::bigint '
                       'FROM json_array_elements($2::json) AS e '
                       'ON CONFLICT (annotator, kind, name) DO UPDATE SET n = tallies.n + excluded.n', TG_TABLE_SCHEMA);
BEGIN
    -- the table beside the annotations, whatever the writer's search_path
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.counted IS NOT NULL THEN
        EXECUTE add USING OLD.annotator, OLD.counted, -1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.counted IS NOT NULL THEN
        EXECUTE add USING NEW.annotator, NEW.counted, 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER annotations_tally AFTER INSERT OR DELETE OR UPDATE OF annotator, counted ON annotations
    FOR EACH ROW EXECUTE FUNCTION annotator_tally()
""",
    # 6: big texts by ranges (as SQLite's migration 6): length and the byte offset of every step-th code point
    """
CREATE TABLE text_marks (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id),
    chars BIGINT NOT NULL,
    step INTEGER NOT NULL,
    marks BYTEA NOT NULL
)
""",
    # 7: the tallies trigger of migration 5 in static SQL (it built each statement with format() and
    # EXECUTE, so every write parsed and planned two statements: two thirds of an action's server time,
    # issue 12 aim 6), and moving only the counts that changed, in one statement; the tallies table is
    # still the one beside the annotations (named with its schema here), whatever the writer's search_path.
    """
DO $migrate$
DECLARE
    home TEXT;
    fn TEXT;
BEGIN
    SELECT n.nspname INTO home FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = 'annotations'::regclass;
    SELECT t.tgfoid::regproc::text INTO fn FROM pg_trigger t
        WHERE t.tgrelid = 'annotations'::regclass AND t.tgname = 'annotations_tally';
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION %2$s() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.annotator = NEW.annotator AND OLD.counted IS NOT DISTINCT FROM NEW.counted THEN
        RETURN NULL;
    END IF;
    INSERT INTO %1$I.tallies AS t (annotator, kind, name, n)
    SELECT m.annotator, m.kind, m.name, SUM(m.n)::bigint FROM (
        SELECT OLD.annotator AS annotator, e ->> 0 AS kind, e ->> 1 AS name, -(e ->> 2)::bigint AS n
            FROM json_array_elements(CASE WHEN TG_OP <> 'INSERT' THEN OLD.counted END::json) AS e
        UNION ALL
        SELECT NEW.annotator, e ->> 0, e ->> 1, (e ->> 2)::bigint
            FROM json_array_elements(CASE WHEN TG_OP <> 'DELETE' THEN NEW.counted END::json) AS e
    ) AS m GROUP BY m.annotator, m.kind, m.name HAVING SUM(m.n) <> 0
    ON CONFLICT (annotator, kind, name) DO UPDATE SET n = t.n + excluded.n;
    RETURN NULL;
END
$body$
$f$, home, fn);
END
$migrate$
""",
    # 8: each document's token boundaries with the tokenizer's version (as SQLite's migration 7)
    """
CREATE TABLE token_bounds (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id),
    tokenizer TEXT NOT NULL,
    bounds BYTEA NOT NULL
)
""",
    # 9: (as SQLite's 8) a long text's search copy as overlapping parts, each a row of ``search_parts`` with the
    # pg_trgm index where the extension is there (``documents.search`` is then empty), so the client sends the copy
    # a part at a time; the text itself stays in ``documents`` (the server holds the row), sent by COPY in pieces
    """
CREATE TABLE search_parts (
    id BIGSERIAL PRIMARY KEY,
    seq BIGINT NOT NULL REFERENCES documents(seq),
    search TEXT NOT NULL
);
CREATE INDEX search_parts_seq ON search_parts(seq);
DO $$
DECLARE
    home TEXT;
BEGIN
    SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF home IS NOT NULL THEN
        EXECUTE format('CREATE INDEX search_parts_trgm ON search_parts USING gin (search %I.gin_trgm_ops)', home);
    END IF;
END
$$
""",
    # 10: (issue 12 aim 6) a take's two reads bounded whatever the project's size. ``doc_workers``: each document's
    # number of workers (as ``sql_reads.WORKERS`` counts them), kept by triggers that take a lock of the document's
    # before they look (so the count is exact at every commit), indexed by (workers, seq): the first document in store
    # order with a free place is found by one probe per level below the overlap, not by reading every full document
    # before it. ``assignments.kept``: a lease whose time ran out but which its annotator worked on is theirs for
    # good, marked once by the take that finds it, so the lapsed-lease sweep reads only leases whose time ran out
    # and were not yet looked at (a partial index), not every assignment of the project's history.
    """
ALTER TABLE assignments ADD COLUMN kept BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX assignments_leases ON assignments(expires_at) WHERE expires_at IS NOT NULL AND NOT kept;
CREATE TABLE doc_workers (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id),
    seq BIGINT NOT NULL,
    workers INTEGER NOT NULL
);
CREATE INDEX doc_workers_free ON doc_workers(workers, seq);
INSERT INTO doc_workers(doc_id, seq, workers)
SELECT d.id, d.seq, (SELECT COUNT(*) FROM (SELECT w.annotator FROM assignments w WHERE w.doc_id=d.id UNION
    SELECT a.annotator FROM annotations a WHERE a.doc_id=d.id AND a.status<>'todo') AS workers) FROM documents d;
DO $migrate$
DECLARE
    home TEXT;
BEGIN
    SELECT n.nspname INTO home FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = 'documents'::regclass;
    EXECUTE format($f$
CREATE FUNCTION %1$I.annotator_workers_changed() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    -- who became (+1) or stopped being (-1) a worker of which document, through this table
    moves TEXT[][] := '{}';
    i INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'documents' THEN
        INSERT INTO %1$I.doc_workers(doc_id, seq, workers) VALUES (NEW.id, NEW.seq, 0);
        RETURN NULL;
    END IF;
    -- an assignment makes a worker; an annotation does while its status is past todo
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_TABLE_NAME = 'assignments' THEN
            moves := moves || ARRAY[[OLD.doc_id, OLD.annotator, '-1']];
        ELSIF OLD.status <> 'todo' THEN
            moves := moves || ARRAY[[OLD.doc_id, OLD.annotator, '-1']];
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF TG_TABLE_NAME = 'assignments' THEN
            moves := moves || ARRAY[[NEW.doc_id, NEW.annotator, '1']];
        ELSIF NEW.status <> 'todo' THEN
            moves := moves || ARRAY[[NEW.doc_id, NEW.annotator, '1']];
        END IF;
    END IF;
    FOR i IN 1 .. coalesce(array_length(moves, 1), 0) LOOP
        -- the count moves unless the other table makes them a worker anyway. Every change of a document's
        -- workers takes this lock (the document's, until commit) before it looks, in a statement of its own (a
        -- fresh snapshot), so whichever of two changes to one person commits second sees the first. An
        -- advisory lock: nothing written for it (a row lock would be).
        PERFORM pg_advisory_xact_lock(1634627183, hashtext(moves[i][1]));  -- 1634627183: 'anno'
        IF TG_TABLE_NAME = 'assignments' THEN
            UPDATE %1$I.doc_workers SET workers = workers + moves[i][3]::integer WHERE doc_id = moves[i][1]
                AND NOT EXISTS (SELECT 1 FROM %1$I.annotations a WHERE a.doc_id = moves[i][1]
                                AND a.annotator = moves[i][2] AND a.status <> 'todo');
        ELSE
            UPDATE %1$I.doc_workers SET workers = workers + moves[i][3]::integer WHERE doc_id = moves[i][1]
                AND NOT EXISTS (SELECT 1 FROM %1$I.assignments m WHERE m.doc_id = moves[i][1]
                                AND m.annotator = moves[i][2]);
        END IF;
    END LOOP;
    RETURN NULL;
END
$body$;
CREATE TRIGGER documents_workers AFTER INSERT ON %1$I.documents
    FOR EACH ROW EXECUTE FUNCTION %1$I.annotator_workers_changed();
CREATE TRIGGER assignments_workers AFTER INSERT OR DELETE OR UPDATE OF doc_id, annotator ON %1$I.assignments
    FOR EACH ROW EXECUTE FUNCTION %1$I.annotator_workers_changed();
CREATE TRIGGER annotations_workers_added AFTER INSERT ON %1$I.annotations
    FOR EACH ROW WHEN (NEW.status <> 'todo') EXECUTE FUNCTION %1$I.annotator_workers_changed();
CREATE TRIGGER annotations_workers_removed AFTER DELETE ON %1$I.annotations
    FOR EACH ROW WHEN (OLD.status <> 'todo') EXECUTE FUNCTION %1$I.annotator_workers_changed();
CREATE TRIGGER annotations_workers_moved AFTER UPDATE OF status, doc_id, annotator ON %1$I.annotations
    FOR EACH ROW WHEN ((OLD.status = 'todo') <> (NEW.status = 'todo') OR OLD.doc_id <> NEW.doc_id
                       OR OLD.annotator <> NEW.annotator) EXECUTE FUNCTION %1$I.annotator_workers_changed();
$f$, home);
END
$migrate$
""",
    # 11: (issue 12 aim 6) a label rewrites no index entry of its annotations row. Migration 5's partial index
    # ``annotations_uncounted`` named ``counted``, which every label changes, so no label could be a HOT update
    # (each wrote a new entry into every index of the table). It only found the rows migration 5 left to fill; the
    # setting ``store:fill-counted`` now says that some are left (``PostgresStore._backfill`` fills them in key
    # order, then removes it). Pages keep a tenth free for the updated rows.
    """
INSERT INTO settings(key, value, updated_at)
SELECT 'store:fill-counted', 'annotations.counted', to_char(clock_timestamp() AT TIME ZONE 'UTC',
       'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') WHERE EXISTS (SELECT 1 FROM annotations WHERE counted IS NULL);
DROP INDEX annotations_uncounted;
ALTER TABLE annotations SET (fillfactor = 90)
""",
    # 12: (issue 12 aim 6) the take as a function of the database, made once here: each connection made it as a
    # temporary function on its first take (1.9 ms of server CPU creating it, a fresh connection's dearest action),
    # and a connection without the TEMP right ran its statements from the client, one round trip each. The same
    # statements as that function (``PostgresStore.take_document`` says what they do); VOLATILE, so each still
    # takes its own snapshot; one generic plan each, never JIT-compiled, and no bitmap scan (a plan made while the
    # tables were small read a whole level of ``doc_workers`` and sorted it, checking every row of it, where the
    # ordered index scan stops at the first free document). A change to the take is a new migration.
    """
CREATE FUNCTION annotator_take(p_who TEXT, p_overlap INTEGER, p_lease DOUBLE PRECISION) RETURNS TEXT
    LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan SET jit = off SET enable_bitmapscan = off
    AS $take$
DECLARE
    v_passed TEXT[] := '{}';  -- locked and counted: no place for us
    v_skipped TEXT[] := '{}';  -- locked by another taker when we came: waited for, in order, if nothing else
    v_candidate TEXT;
    v_locked TEXT;
    v_taken TEXT;
BEGIN
    -- a lease whose time ran out but which its annotator worked on is theirs for good: kept
    UPDATE assignments AS s SET kept=true WHERE s.expires_at IS NOT NULL AND NOT s.kept
        AND s.expires_at <= (SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
        AND (SELECT o.seq FROM oplog o WHERE o.doc_id=s.doc_id AND o.annotator=s.annotator
             AND o.seq > s.taken_seq LIMIT 1) IS NOT NULL;
    -- one untouched: back in the pool
    DELETE FROM assignments AS s WHERE s.expires_at IS NOT NULL AND NOT s.kept
        AND s.expires_at <= (SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
        AND (SELECT o.seq FROM oplog o WHERE o.doc_id=s.doc_id AND o.annotator=s.annotator
             AND o.seq > s.taken_seq LIMIT 1) IS NULL;
    LOOP
        -- the first document in store order with a free place, not theirs: one probe per count below the overlap
        SELECT c.doc_id INTO v_candidate FROM generate_series(0, p_overlap - 1) AS l(n),
            LATERAL (SELECT w.doc_id, w.seq FROM doc_workers w WHERE w.workers = l.n
                AND (SELECT 1 FROM assignments m WHERE m.doc_id=w.doc_id AND m.annotator=p_who LIMIT 1) IS NULL
                AND (SELECT 1 FROM annotations a WHERE a.doc_id=w.doc_id AND a.annotator=p_who
                     AND a.status<>'todo' LIMIT 1) IS NULL
                AND w.doc_id <> ALL((v_passed || v_skipped)::text[]) ORDER BY w.seq LIMIT 1) AS c
            ORDER BY c.seq LIMIT 1;
        IF v_candidate IS NULL THEN
            IF cardinality(v_skipped) = 0 THEN
                RETURN NULL;
            END IF;
            v_candidate := v_skipped[1];
            v_skipped := v_skipped[2:];
            SELECT id INTO v_locked FROM documents WHERE id=v_candidate FOR NO KEY UPDATE;
        ELSE
            SELECT id INTO v_locked FROM documents WHERE id=v_candidate FOR NO KEY UPDATE SKIP LOCKED;
            IF v_locked IS NULL THEN
                v_skipped := v_skipped || v_candidate;
                CONTINUE;
            END IF;
        END IF;
        -- take it if, counted afresh (a statement of its own: it sees every taker that held the row before), a
        -- place is free
        INSERT INTO assignments(doc_id, annotator, assigned_at, expires_at, taken_seq)
            SELECT d.id, p_who, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                to_char((clock_timestamp() + make_interval(secs => p_lease)) AT TIME ZONE 'UTC',
                        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                (SELECT COALESCE(MAX(seq), 0) FROM oplog)
            FROM documents d WHERE d.id=v_candidate
                AND (SELECT COUNT(*) FROM (SELECT w.annotator FROM assignments w WHERE w.doc_id=d.id UNION
                     SELECT a.annotator FROM annotations a WHERE a.doc_id=d.id AND a.status<>'todo') AS workers)
                    < p_overlap
                AND NOT EXISTS (SELECT 1 FROM assignments m WHERE m.doc_id=d.id AND m.annotator=p_who)
            RETURNING doc_id INTO v_taken;
        IF v_taken IS NOT NULL THEN
            RETURN v_taken;
        END IF;
        v_passed := v_passed || v_candidate;  -- filled meanwhile by a taker that committed before we locked it
    END LOOP;
END
$take$
""",
]

# The migration that keeps long texts' search copies in parts (``search_parts``; SQLite's is ``LONG_TEXTS_MIGRATION``).
PG_LONG_TEXTS_MIGRATION = 9
assert "CREATE TABLE search_parts" in PG_MIGRATIONS[PG_LONG_TEXTS_MIGRATION - 1]
# The migration that keeps each document's count of workers and marks kept leases, for a bounded take.
PG_TAKE_COUNTS_MIGRATION = 10
assert "CREATE TABLE doc_workers" in PG_MIGRATIONS[PG_TAKE_COUNTS_MIGRATION - 1]
# The migration after which a label is a HOT update, and the setting that says migration 5's counts are left to fill.
PG_HOT_LABELS_MIGRATION = 11
FILL_COUNTED = "store:fill-counted"
assert FILL_COUNTED in PG_MIGRATIONS[PG_HOT_LABELS_MIGRATION - 1]
# The migration that makes the take a function of the database (``annotator_take``), no longer a temporary one.
PG_TAKE_FUNCTION_MIGRATION = 12
assert "CREATE FUNCTION annotator_take" in PG_MIGRATIONS[PG_TAKE_FUNCTION_MIGRATION - 1]
