"""PostgreSQL schema versions, applied in order; the ``schema_version`` table records which ran.

The tables mirror the SQLite ones (``annotator.store.migrations``) so both stores
mean the same thing. Texts are BYTEA (UTF-8 with ``surrogatepass``): PostgreSQL
TEXT can hold neither NUL nor a lone surrogate. JSON columns are TEXT holding
ASCII-only JSON, because JSONB rejects ``\\u0000`` and lone-surrogate escapes.
Add a new script at the end to change the schema; never edit a released one.
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
]
