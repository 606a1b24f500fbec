"""Stores as an older annotator left them, made from a store of today (for the migration tests)."""

from __future__ import annotations

from annotator.store.migrations import LONG_TEXTS_MIGRATION
from annotator.store.pg_migrations import (
    PG_HOT_LABELS_MIGRATION,
    PG_LONG_TEXTS_MIGRATION,
    PG_TAKE_COUNTS_MIGRATION,
    PG_TAKE_FUNCTION_MIGRATION,
)


def undo_take_function(cur) -> None:
    """Take PostgreSQL's migration 12 away (the take was a temporary function each connection made)."""
    cur.execute("DROP FUNCTION annotator_take(text, integer, double precision)")


def undo_hot_labels(cur) -> None:
    """Take PostgreSQL's migration 11 away (migration 5's index of the counts left to fill is back)."""
    cur.execute("CREATE INDEX annotations_uncounted ON annotations(doc_id, annotator) WHERE counted IS NULL")
    cur.execute("ALTER TABLE annotations RESET (fillfactor)")


def undo_take_counts(cur) -> None:
    """Take PostgreSQL's migration 10 away (kept worker counts, kept leases), as a store before it was."""
    for trigger, table in (("documents_workers", "documents"), ("assignments_workers", "assignments"),
                           ("annotations_workers_added", "annotations"), ("annotations_workers_removed", "annotations"),
                           ("annotations_workers_moved", "annotations")):
        cur.execute(f"DROP TRIGGER {trigger} ON {table}")
    cur.execute("DROP FUNCTION annotator_workers_changed()")
    cur.execute("DROP TABLE doc_workers; DROP INDEX assignments_leases; ALTER TABLE assignments DROP COLUMN kept")


def made_before_long_texts(store, db, version: int | None = None) -> None:
    """Undo the long-texts migration as an annotator before it left the store (long texts and their search
    copies in their rows, no ``long_texts`` or ``search_parts``), then set the store's version to ``version``
    (default: the one before that migration; lower: the tables of the migrations between are dropped too)."""
    from annotator.store.sql_reads import search_copy

    if db.startswith("postgresql://"):
        version = PG_LONG_TEXTS_MIGRATION - 1 if version is None else version

        def undo(cur):
            if version < PG_TAKE_FUNCTION_MIGRATION:
                undo_take_function(cur)
            if version < PG_HOT_LABELS_MIGRATION:
                undo_hot_labels(cur)
            if version < PG_TAKE_COUNTS_MIGRATION:
                undo_take_counts(cur)
            for seq, doc_id, text in cur.execute("SELECT d.seq, d.id, d.text FROM documents d JOIN search_parts p "
                                                 "ON p.seq = d.seq GROUP BY d.seq").fetchall():
                cur.execute("UPDATE documents SET search=%s WHERE seq=%s",
                            (search_copy(doc_id, bytes(text).decode("utf-8", "surrogatepass")), seq))
            cur.execute("DROP TABLE search_parts")
            if version < 8:
                cur.execute("DROP TABLE token_bounds")
            if version < 6:
                cur.execute("DROP TABLE text_marks")
            cur.execute("DELETE FROM schema_version WHERE version > %s", (version,))

        store._write(undo)
        store.close()
        return
    version = LONG_TEXTS_MIGRATION - 1 if version is None else version
    store.close()
    import sqlite3

    raw = sqlite3.connect(db, isolation_level=None)
    for seq, doc_id, data in raw.execute("SELECT l.seq, d.id, l.data FROM long_texts l JOIN documents d "
                                         "ON d.seq = l.seq").fetchall():
        text = data.decode("utf-8", "surrogatepass")
        raw.execute("UPDATE documents SET text=?, search=? WHERE seq=?", (data, search_copy(doc_id, text), seq))
        raw.execute("INSERT INTO documents_fts(documents_fts, rowid, search) VALUES ('delete', ?, '')", (seq,))
        raw.execute("INSERT INTO documents_fts(rowid, search) VALUES (?, ?)", (seq, search_copy(doc_id, text)))
    for table in ("search_parts_fts", "search_parts", "long_texts"):
        raw.execute(f"DROP TABLE {table}")
    if version < 7:
        raw.execute("DROP TABLE token_bounds")
    if version < 6:
        raw.execute("DROP TABLE text_marks")
    raw.execute(f"PRAGMA user_version={version}")
    raw.close()
