"""PostgreSQL's team path (issue 12 aim 6): a take reads what it needs, not the project's history.

A take finds the first document with a free place and first removes lapsed leases. Both used to read
from the first document and every assignment, so their cost grew with the project. These tests count
the rows one take reads (the server's own statistics for the transaction, not a clock) in a small and
a big project that differ only in their finished documents and the leases worked on long ago.
"""

from __future__ import annotations

import pytest

from annotator.model.annotations import Document
from annotator.store import open_store

TEXT = "قال الرئيس محمد في القاهرة إن الاقتصاد ينمو"


def _project(pg_cluster, finished: int) -> str:
    """A project of ``finished`` documents done by alice and bob, each through a lease that ran out long
    ago but was worked on (so theirs for good), made in bulk by SQL as years of work would leave it, then
    three fresh documents, the first taken by carol; analyzed, as the server's autovacuum would. The URL."""
    db = pg_cluster.new_schema()
    store = open_store(db)
    try:
        def fill(cur):
            cur.execute("INSERT INTO documents(id, text, hash, meta, added_at, search) "
                        "SELECT 'd' || lpad(i::text, 5, '0'), convert_to('text ' || i, 'UTF8'), "
                        "encode(sha256(convert_to('text ' || i, 'UTF8')), 'hex'), '{}', '2026-01-01T00:00:00.000Z', "
                        "'text ' || i FROM generate_series(0, %s) AS i", (finished + 2,))
            finished_ids = "SELECT id FROM documents ORDER BY seq LIMIT %s"
            cur.execute("INSERT INTO assignments(doc_id, annotator, assigned_at, expires_at, taken_seq) "
                        "SELECT d.id, p.who, '2026-01-01T00:00:00.000Z', '2026-01-01T00:30:00.000Z', 0 "
                        f"FROM ({finished_ids}) AS d, (VALUES ('alice'), ('bob')) AS p(who)", (finished,))
            cur.execute("INSERT INTO annotations(doc_id, annotator, state, version, status, created_at, updated_at, "
                        "counted) SELECT d.id, p.who, '{}', 1, 'done', '2026-01-01T00:10:00.000Z', "
                        f"'2026-01-01T00:10:00.000Z', '[]' FROM ({finished_ids}) AS d, "
                        "(VALUES ('alice'), ('bob')) AS p(who)", (finished,))
            cur.execute("INSERT INTO oplog(doc_id, annotator, action, op, version, at) "
                        "SELECT doc_id, annotator, 'do', '{}', 1, updated_at FROM annotations")

        store._write(fill)
        assert store.take_document("carol", 2, 600) == f"d{finished:05d}"  # marks every old lease kept
        assert store._read("SELECT COUNT(*) FROM assignments WHERE kept")[0][0] == 2 * finished
        assert store._read("SELECT SUM(workers) FROM doc_workers")[0][0] == 2 * finished + 1
        store._write(lambda cur: cur.execute("ANALYZE"))
    finally:
        store.close()
    return db


def _rows_one_take_reads(db: str, who: str) -> tuple[str | None, int]:
    """What ``take_document``'s server function took for ``who``, and the table rows it read (sequential
    and through indexes, from ``pg_stat_xact_user_tables``); rolled back, so the project is unchanged."""
    import psycopg

    with psycopg.connect(db) as conn:
        taken = conn.execute("SELECT annotator_take(%s, 2, 600)", (who,)).fetchone()[0]
        reads = conn.execute("SELECT COALESCE(SUM(seq_tup_read), 0) + COALESCE(SUM(idx_tup_fetch), 0) "
                             "FROM pg_stat_xact_user_tables").fetchone()[0]
        conn.rollback()
    return taken, int(reads)


def test_a_take_reads_as_many_rows_in_a_big_project_as_in_a_small_one(pg_cluster):
    small, big = _project(pg_cluster, 300), _project(pg_cluster, 3000)
    took_small, read_small = _rows_one_take_reads(small, "dave")
    took_big, read_big = _rows_one_take_reads(big, "dave")
    assert (took_small, took_big) == ("d00300", "d03000")  # carol's document: one place left, in store order
    # ten times the finished documents and the leases kept: not one more row read
    assert read_big <= read_small + 5 and read_small < 50, (read_small, read_big)


def test_the_kept_counts_follow_every_change_of_workers(pg_cluster):
    """Takes, labels, statuses back to todo, dealt and removed assignments, lapsed leases: after each, every
    document's kept count equals a recount (``integrity_check`` compares them)."""
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession

    store = open_store(pg_cluster.new_schema())
    try:
        for i in range(4):
            store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
        schema = load_schema(default_schema_path())
        alice, bob = AnnotationSession(store, schema, "alice"), AnnotationSession(store, schema, "bob")
        steps = [
            lambda: store.take_document("alice", 2, 600) == "d0",
            lambda: alice.add_entity("d0", 0, 3, "PER"),  # already hers: the count stays 1
            lambda: bob.add_entity("d0", 0, 3, "PER"),  # labelled without taking: 2
            lambda: bob.set_status("d0", "todo"),  # back to todo: 1
            lambda: store.assign([("d1", "carol"), ("d1", "dave")]),
            lambda: store.unassign("carol"),
            lambda: store.take_document("erin", 2, 0) == "d0",  # lapses at once
            lambda: store.take_document("frank", 2, 600) == "d0",  # removes erin's lapsed lease first
        ]
        for step in steps:
            assert step()
            assert store.integrity_check() == "ok"
        counts = dict(store._read("SELECT doc_id, workers FROM doc_workers"))
        assert counts == {"d0": 2, "d1": 1, "d2": 0, "d3": 0}, counts  # alice and frank; dave
        store._write(lambda cur: cur.execute("UPDATE doc_workers SET workers = 5 WHERE doc_id = 'd3'"))
        assert "document d3: its kept count of workers is not its workers" in store.integrity_check()
    finally:
        store.close()


@pytest.fixture
def old_store(pg_cluster):
    """A project made before migration 10: taken, labelled and lapsed documents, then its version set back."""
    from old_stores import undo_hot_labels, undo_take_counts, undo_take_function

    from annotator.store.pg_migrations import PG_TAKE_COUNTS_MIGRATION

    db = pg_cluster.new_schema()
    store = open_store(db)
    for i in range(3):
        store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
    assert store.take_document("alice", 2, 600) == "d0"
    assert store.take_document("bob", 2, 600) == "d0"
    assert store.take_document("carol", 2, 0) == "d1"  # lapsed, untouched: back in the pool at the next take

    def undo(cur):
        undo_take_function(cur)
        undo_hot_labels(cur)
        undo_take_counts(cur)
        cur.execute("DELETE FROM schema_version WHERE version >= %s", (PG_TAKE_COUNTS_MIGRATION,))

    store._write(undo)
    store.close()
    return db


def test_a_store_made_before_the_kept_counts_gets_them_when_opened(old_store):
    store = open_store(old_store)
    try:
        assert store.integrity_check() == "ok"  # counts filled from what the store held
        assert store.take_document("dave", 2, 600) == "d1"  # carol's lapsed lease removed, d0 full
        assert store.assignments() == {"d0": ["alice", "bob"], "d1": ["dave"]}
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_taking_the_next_document_and_labelling_it_take_the_fewest_round_trips(pg_cluster):
    """The queue setting and the annotator's queue come in one read (``setting_and_assigned``, which answers as
    ``get_setting`` and ``assigned_documents`` do), then the take: two round trips, where there were three; once
    the session has seen the setting, one (``next_in_queue``: the take in the same statement). The first label on a
    document so taken is its write alone (the state and the text's marks came with the take); on another document
    it reads the state with the text (``load`` reads ahead what ``_read_marks`` would), then writes: two."""
    from annotator.assignment import DynamicQueue
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession

    store = open_store(pg_cluster.new_schema())
    try:
        for i in range(5):
            store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
        store.assign([("d4", "amal"), ("d2", "amal")])
        store.set_setting("assignment", DynamicQueue(2, 600).to_setting())
        assert store.take_document("amal", 2, 600) == "d0"
        assert store.take_document("amal", 2, 0) == "d1"  # lapsed at once, untouched: not in the queue
        for key, who in (("assignment", "amal"), ("assignment", "nobody"), ("none", "amal"), ("assignment", "a\x00b")):
            assert store.setting_and_assigned(key, who) == (store.get_setting(key), store.assigned_documents(who))
        assert store.setting_and_assigned("assignment", "amal")[1] == ["d2", "d4", "d0"]
        session = AnnotationSession(store, load_schema(default_schema_path()), "bob")
        assert session.next_document() == "d0"  # the first take also makes the take's server function
        trips: list[str] = []
        for name in ("_read", "_write"):
            real = getattr(store, name)
            setattr(store, name, lambda *args, real=real, name=name, **kwargs: trips.append(name) or real(*args, **kwargs))
        assert session.next_document("d0") == "d1"
        assert trips == ["_write"], trips  # the setting seen before: the queue and the take in one call
        trips.clear()  # the first label on it: the state and the text came with the take; the write alone
        assert [(e.start, e.end) for e in session.add_entity("d1", 0, 3, "PER").state.entities] == [(0, 3)]
        assert trips == ["_write"], trips
        store.assign([("d3", "bob")])
        assert session.next_document("d1") == "d3"  # a dealt document follows: no take
        trips.clear()  # the first label on a document not taken: the state with the text's marks in one read
        session.add_entity("d3", 0, 3, "PER")
        assert trips == ["_read", "_write"], trips
        trips.clear()
        session.add_entity("d1", 4, 9, "PER")  # from the state saved last: the write alone
        assert trips == ["_write"], trips
        assert session.document("d1").text == f"{TEXT} 1" and trips == ["_write"]  # the text read with the state
    finally:
        store.close()


def test_a_label_rewrites_no_index_entry_of_its_row(pg_cluster):
    """A label changes the state, version, time and counts of its row, none of them in an index since migration
    11 (``annotations_uncounted`` named ``counted``), so PostgreSQL updates the row in place (HOT)."""
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession

    store = open_store(pg_cluster.new_schema())
    try:
        store.add_document(Document("d0", TEXT))
        session = AnnotationSession(store, load_schema(default_schema_path()), "amal")
        session.add_entity("d0", 0, 3, "PER")  # the row's first write: an insert
        with store.transaction():
            session.add_entity("d0", 4, 9, "PER")
            updated = store._read("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                                  "WHERE relid = 'annotations'::regclass")
        assert updated == [(1, 1)], updated
        assert len(store.load("d0", "amal").entities) == 2
    finally:
        store.close()


def test_a_store_made_before_hot_labels_fills_the_counts_it_left_when_opened(pg_cluster):
    """Counts migration 5 left to fill (an interrupted fill) are still filled after migration 11 drops the index
    that found them: the migration leaves the setting that says so, the fill removes it."""
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession
    from annotator.store.pg_migrations import FILL_COUNTED, PG_HOT_LABELS_MIGRATION

    db = pg_cluster.new_schema()
    store = open_store(db)
    for i in range(5):
        store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
        AnnotationSession(store, load_schema(default_schema_path()), "amal").set_status(f"d{i}", "done")

    from old_stores import undo_hot_labels, undo_take_function

    def undo(cur):  # as migration 10 left it, with every count left to fill
        undo_take_function(cur)
        undo_hot_labels(cur)
        cur.execute("UPDATE annotations SET counted = NULL; DELETE FROM tallies")
        cur.execute("DELETE FROM schema_version WHERE version >= %s", (PG_HOT_LABELS_MIGRATION,))

    store._write(undo)
    store.close()
    store = open_store(db)
    try:
        assert {k: n for k, n in store.status_counts("amal").items() if n} == {"done": 5}
        assert store._read("SELECT COUNT(*) FROM annotations WHERE counted IS NULL") == [(0,)]
        assert store.get_setting(FILL_COUNTED) is None
        assert not store._read("SELECT 1 FROM pg_indexes WHERE indexname = 'annotations_uncounted'")
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_a_store_made_before_the_take_function_gets_it_when_opened(pg_cluster):
    """Migration 12 on a store of version 11 (each connection made the take as a temporary function): opened,
    it has the database's function, and takes with it as before."""
    from old_stores import undo_take_function

    from annotator.store.pg_migrations import PG_MIGRATIONS, PG_TAKE_FUNCTION_MIGRATION

    db = pg_cluster.new_schema()
    store = open_store(db)
    for i in range(3):
        store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
    assert store.take_document("alice", 2, 600) == "d0"

    def undo(cur):
        undo_take_function(cur)
        cur.execute("DELETE FROM schema_version WHERE version >= %s", (PG_TAKE_FUNCTION_MIGRATION,))

    store._write(undo)
    store.close()
    store = open_store(db)
    try:
        assert store.schema_version() == len(PG_MIGRATIONS) == PG_TAKE_FUNCTION_MIGRATION
        assert store._read("SELECT to_regprocedure('annotator_take(text,integer,double precision)') IS NOT NULL")[0][0]
        assert store.take_document("bob", 2, 600) == "d0"
        assert store.take_document("alice", 2, 600) == "d1"
        assert store.assignments() == {"d0": ["alice", "bob"], "d1": ["alice"]}
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_a_fresh_connection_makes_nothing_and_prepares_an_actions_statements_at_their_first_run(pg_cluster):
    """A fresh connection's first take made a temporary function (1.9 ms of server CPU, then its plans); now it
    makes nothing. The statements of a take, a first label and a later one are prepared on the server at their
    first run (parsed and planned once for the connection, where psycopg prepared a statement at its sixth)."""
    from annotator.assignment import DynamicQueue
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession

    store = open_store(pg_cluster.new_schema())
    try:
        for i in range(3):
            store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
        store.set_setting("assignment", DynamicQueue(2, 600).to_setting())
        session = AnnotationSession(store, load_schema(default_schema_path()), "amal")
        doc = session.next_document(None)
        assert doc == "d0"
        session.add_entity(doc, 0, 3, "PER")
        session.add_entity(doc, 4, 10, "PER")
        session.set_status(doc, "done")
        assert store._read("SELECT COUNT(*) FROM pg_proc WHERE pronamespace = pg_my_temp_schema()") == [(0,)]
        prepared = [" ".join(s.split()) for (s,) in store._read("SELECT statement FROM pg_prepared_statements")]
        for start in ("SELECT (SELECT value FROM settings", "SELECT annotator_take(", "SELECT a.state, d.seq",
                      "WITH written AS ( INSERT INTO annotations", "WITH written AS ( UPDATE annotations"):
            assert any(s.startswith(start) for s in prepared), (start, prepared)
    finally:
        store.close()


def test_what_load_reads_ahead_is_taken_once_and_only_for_its_document(pg_cluster):
    """``load`` reads a text's marks row beside the state (``_hold``), for the next ``_read_marks`` of that
    document only (``_take_held``, under the store's lock); another document's read finds nothing held and reads
    its own. The store knows whether marks are kept by a declared method (``_marks_known``), and ``SQLReads``,
    a ``Store``, declares no transaction flag of its own."""
    from annotator.store.base import Store
    from annotator.store.sql_reads import SQLReads

    assert issubclass(SQLReads, Store) and "_in_transaction" not in vars(SQLReads)
    store = open_store(pg_cluster.new_schema())
    try:
        for i in range(2):
            store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
        store.load("d0", "amal")
        assert store._take_held("marks", "d1") is None  # held for d0: let go, not given to d1
        assert store._take_held("marks", "d0") is None  # and gone
        store.load("d0", "amal")
        assert not store._marks_known("d0")
        read, store._read = store._read, None  # no read: the marks row held by ``load``, the text read whole with it
        try:
            assert store.text_length("d0") is None  # a short text: no marks
            assert store.get_document("d0").text == f"{TEXT} 0"
        finally:
            store._read = read
        assert store._marks_known("d0") and not store._marks_known("d1")
        assert store.get_document("d0").text == f"{TEXT} 0"  # read, once the held one was taken
        assert store.get_document("d1").text == f"{TEXT} 1"
    finally:
        store.close()


def test_the_state_taken_with_a_document_is_planned_again_when_another_writer_came_first(pg_cluster):
    """The state read in the take's statement (``next_in_queue``) stands in for the first label's read; another
    writer's label meanwhile makes it stale: refused, nothing written, planned again on the stored state."""
    from annotator.assignment import DynamicQueue
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession

    store = open_store(pg_cluster.new_schema())
    try:
        for i in range(3):
            store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
        store.set_setting("assignment", DynamicQueue(2, 600).to_setting())
        schema = load_schema(default_schema_path())
        session = AnnotationSession(store, schema, "amal")
        assert session.next_document() == "d0"
        assert session.next_document("d0") == "d1"  # with its state, and its text's marks held
        AnnotationSession(store, schema, "amal").add_entity("d1", 4, 9, "LOC")  # another writer, same person
        saved = session.add_entity("d1", 0, 3, "PER")
        assert sorted((e.start, e.label) for e in saved.state.entities) == [(0, "PER"), (4, "LOC")]
        assert store.load("d1", "amal") == saved.state and len(store.history("d1", "amal")) == 2
        assert session.document("d1").text == f"{TEXT} 1"
    finally:
        store.close()


def test_a_take_in_a_small_project_reads_only_the_documents_it_passes(pg_cluster):
    """The take's probe keeps one plan per connection, made at its first call: on small tables PostgreSQL chose a
    bitmap scan of a whole level of ``doc_workers`` and a sort (checking "not theirs" on every row of it: 100 probes
    for one take of the benchmark's shape) over the ordered index scan that stops at the first free document; the
    function now runs without bitmap scans, so a take reads a few rows at any size."""
    db = pg_cluster.new_schema()
    store = open_store(db)
    try:
        for i in range(120):
            store.add_document(Document(f"d{i:03d}", f"{TEXT} {i}"))
        for who, n in (("alice", 60), ("dave", 20)):
            for _ in range(n):
                assert store.take_document(who, 2, 600) is not None
    finally:
        store.close()
    took, read = _rows_one_take_reads(db, "dave")
    assert took == "d020", took  # the first of alice's, in store order
    assert read < 20, read
