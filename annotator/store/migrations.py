"""Database schema versions, applied in order (``PRAGMA user_version`` counts them).

Add a new script at the end to change the schema; never edit a released one.
"""

MIGRATIONS: list[str] = [
    # 1: documents, materialized annotations, the append-only operation log, positions, sessions
    """
CREATE TABLE documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    text BLOB NOT NULL,
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
CREATE TABLE oplog (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    annotator TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('do', 'undo', 'redo')),
    op TEXT NOT NULL,
    inverse TEXT,
    ref INTEGER,
    version INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX oplog_doc ON oplog(doc_id, annotator, seq);
CREATE TRIGGER oplog_append_only_update BEFORE UPDATE ON oplog
BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END;
CREATE TRIGGER oplog_append_only_delete BEFORE DELETE ON oplog
BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END;
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
    # 2: a heartbeat on each session claim, so a claim from a vanished host or container expires
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
    taken_seq INTEGER,
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
    # 5: scale: a search copy of each document (id and text under Arabic search normalization) indexed by FTS5
    # trigrams for substring search (GLOB through the index, checked against the copy itself, so no positions are
    # kept: detail=none, quicker to build; rows added by the store with each document: not a trigger, which would
    # make FTS5 flush its index once per row); per-annotation counts (status, entity labels, claims) kept in
    # ``tallies`` so progress and `stats` are one small read; ``search``/``counted`` NULL: not yet backfilled
    # (the store does it in batches when opened); covering indexes for an annotator's statuses and the ids in order
    """
ALTER TABLE documents ADD COLUMN search TEXT;
CREATE INDEX documents_unsearched ON documents(seq) WHERE search IS NULL;
CREATE VIRTUAL TABLE documents_fts USING fts5(search, content='documents', content_rowid='seq', tokenize='trigram',
    detail=none);
ALTER TABLE annotations ADD COLUMN counted TEXT;
CREATE INDEX annotations_uncounted ON annotations(doc_id, annotator) WHERE counted IS NULL;
CREATE INDEX annotations_status ON annotations(annotator, status, doc_id);
CREATE INDEX documents_order ON documents(seq, id);
CREATE TABLE tallies (
    annotator TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (annotator, kind, name)
);
CREATE TRIGGER annotations_tally_insert AFTER INSERT ON annotations BEGIN
INSERT INTO tallies(annotator, kind, name, n)
SELECT new.annotator, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
FROM json_each(new.counted) WHERE true ON CONFLICT (annotator, kind, name) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER annotations_tally_update AFTER UPDATE OF annotator, counted ON annotations BEGIN
INSERT INTO tallies(annotator, kind, name, n)
SELECT old.annotator, json_extract(value, '$[0]'), json_extract(value, '$[1]'), -json_extract(value, '$[2]')
FROM json_each(old.counted) WHERE true ON CONFLICT (annotator, kind, name) DO UPDATE SET n = n + excluded.n; 
INSERT INTO tallies(annotator, kind, name, n)
SELECT new.annotator, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
FROM json_each(new.counted) WHERE true ON CONFLICT (annotator, kind, name) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER annotations_tally_delete AFTER DELETE ON annotations BEGIN
INSERT INTO tallies(annotator, kind, name, n)
SELECT old.annotator, json_extract(value, '$[0]'), json_extract(value, '$[1]'), -json_extract(value, '$[2]')
FROM json_each(old.counted) WHERE true ON CONFLICT (annotator, kind, name) DO UPDATE SET n = n + excluded.n; END
""",
    # 6: big texts by ranges: for a text of at least ``sql_reads.WINDOWED_BYTES``, its length in code points and
    # the byte offset of every ``step``-th code point (``sql_reads.text_marks``), so the app reads the part it
    # shows without the rest; written with the document; an older store's are filled when it is migrated
    """
CREATE TABLE text_marks (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id),
    chars INTEGER NOT NULL,
    step INTEGER NOT NULL,
    marks BLOB NOT NULL
)
""",
    # 7: each document's token boundaries, computed when it is added (``text.bounds.pack``: packed integers),
    # tagged with the tokenizer's version: exports read them instead of tokenizing, and ignore a table of
    # another version; a document stored before (or too long to keep one) has none and is tokenized at export
    """
CREATE TABLE token_bounds (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id),
    tokenizer TEXT NOT NULL,
    bounds BLOB NOT NULL
)
""",
    # 8: long texts written a piece at a time, so the importer never holds them twice: a text of at least
    # ``sql_reads.WINDOWED_BYTES`` is kept in ``long_texts`` (its only column besides the key, so SQLite writes it
    # by incremental BLOB I/O into a ``zeroblob`` it does not build in memory; ``documents.text`` is then empty)
    # and its search copy as overlapping parts (``sql_reads.SEARCH_PART``) with their own FTS5 trigram index
    # (``documents.search`` is then empty); older stores' long texts stay where they are, read as before
    """
CREATE TABLE long_texts (
    seq INTEGER PRIMARY KEY REFERENCES documents(seq),
    data BLOB NOT NULL
);
CREATE TABLE search_parts (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL REFERENCES documents(seq),
    search TEXT NOT NULL
);
CREATE INDEX search_parts_seq ON search_parts(seq);
CREATE VIRTUAL TABLE search_parts_fts USING fts5(search, content='search_parts', content_rowid='id',
    tokenize='trigram', detail=none)
""",
]

# The migration that keeps long texts apart (``long_texts``, ``search_parts``): a store below it has neither.
LONG_TEXTS_MIGRATION = 8
assert "CREATE TABLE long_texts" in MIGRATIONS[LONG_TEXTS_MIGRATION - 1]
