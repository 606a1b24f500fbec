"""Issue 12 aims 3 and 4 on small stores: the queries behind the document list, `stats` and progress
(keyset pages, search through the index, kept counts), batched imports that still leave whole
records, and exports a page at a time. The figures at a million documents are bench/'s job
(bench_store_scale.py, bench_throughput.py); here nothing depends on timing.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.model.annotations import Annotations, Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store
from annotator.store.sql_reads import COUNT_CAP, dumps_ascii, tally

import crash_driver
import pg_server

SCHEMA = load_schema(default_schema_path())
TEXTS = ("أعلنت الحكومة المصرية أمس أن 40% من الناخبين شاركوا في الانتخابات.",
         "الأكراد يسيطرون بالكامل على الباغوز.",
         "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019.")
TESTS = Path(__file__).parent


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "scale.db")
    return request.getfixturevalue("pg_cluster").new_schema()


def fill(store, n: int = 30) -> list[str]:
    ids = []
    with store.transaction():
        for i in range(n):
            ids.append(store.add_document(Document(f"doc-{i:03d}", f"{TEXTS[i % 3]} [{i}]")).doc_id)
    return ids


# -- search normalization: one rule -------------------------------------------------------


def test_search_fold_is_normalize_for_search_on_every_code_point():
    """The store's search copy uses a generated table; it must say exactly what matching says."""
    from annotator.text.matching import _normalize_char, normalize_for_search
    from annotator.text.search_fold import TABLE, fold

    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        assert TABLE.get(code, chr(code)) == _normalize_char(chr(code)), hex(code)
    rng = random.Random(12)
    pool = list("ابتةىأإآؤئ ًٌٍَُِّْـ \n\t\u200b\u200fABCdef١٢٣ﻻ﷽ ") + [" ", "  ", "\u00a0"]
    for _ in range(2000):
        s = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 30)))
        assert fold(s) == normalize_for_search(s), repr(s)


# -- the document list's queries, on both stores ---------------------------------------------


def test_document_pages_search_filter_and_page_in_sql(db):
    store = open_store(db)
    try:
        ids = fill(store)
        session = AnnotationSession(store, SCHEMA, "amal")
        session.set_status("doc-004", "flagged")
        session.set_status("doc-007", "done")
        session.add_entity("doc-001", 0, 7, "GPE")  # in progress now

        def page(**kw):
            return [r.id for r in store.document_page("amal", **kw)]

        assert page(limit=5) == ids[:5]
        assert page(after=25) == ids[25:]
        assert page(before=6, limit=3) == ids[2:5]  # the last ones before number 6, in order
        # text, normalized: no hamza, no harakat, teh marbuta as heh, Arabic-Indic digits
        assert page(query="الاكراد") == ids[1::3]
        assert page(query="الحكومه المصريه") == ids[0::3]
        assert page(query="٢٠١٩") == ids[2::3]
        assert page(query="doc-01") == ids[10:20]  # the id, as a substring
        assert page(query="ي ") != [] and page(query="zz") == []  # shorter than a trigram: scanned
        assert page(query="50%") == [] and page(query="40%") == ids[0::3]  # wildcards are literal
        assert page(query="الاكراد", status="flagged") == ["doc-004"]
        assert page(status="flagged") == ["doc-004"] and page(status="done") == ["doc-007"]
        assert page(status="in_progress") == ["doc-001"]
        assert len(page(status="todo")) == 27
        assert page(ids=["doc-009", "doc-002", "nope"]) == ["doc-002", "doc-009"]
        assert page(query="الباغوز", ids=["doc-001", "doc-003"]) == ["doc-001"]
        rows = store.document_page("amal", query="doc-004")
        assert rows[0].status == "flagged" and rows[0].head.startswith("الأكراد") and rows[0].seq == 5
        assert store.count_matching("amal", query="الباغوز") == 20
        assert store.count_matching("amal", status="todo", cap=10) == 11  # counted up to the cap, +1: "more"
        assert store.count_matching("amal") == min(30, COUNT_CAP + 1)
    finally:
        store.close()


def test_texts_a_database_cannot_index_are_stored_and_searchable_around(db):
    store = open_store(db)
    try:
        text = "نص فيه\x00صفر و\udcff بديل الباغوز"
        store.add_document(Document("odd", text))
        assert store.get_document("odd").text == text  # the text itself is untouched
        assert [r.id for r in store.document_page("x", query="الباغوز")] == ["odd"]
    finally:
        store.close()


def test_counts_are_kept_as_annotations_change(db):
    """status_counts and label_counts (progress, `stats`) agree with recounting every state, through
    adds, undo, redo, status changes and a second annotator."""
    store = open_store(db)
    try:
        fill(store, 12)
        amal = AnnotationSession(store, SCHEMA, "amal")
        bilal = AnnotationSession(store, SCHEMA, "bilal")
        amal.add_entity("doc-000", 0, 5, "ORG")
        amal.add_entity("doc-000", 6, 13, "ORG")
        amal.add_entity("doc-001", 0, 7, "GPE")
        amal.set_status("doc-001", "done")
        amal.undo("doc-000")
        amal.redo("doc-000")
        amal.undo("doc-000")
        amal.set_status("doc-005", "flagged")
        bilal.add_entity("doc-002", 0, 3, "PER")
        for who in ("amal", "bilal"):
            labels: dict[str, int] = {}
            statuses: dict[str, int] = {}
            for state in store.iter_annotations(who):
                statuses[state.status] = statuses.get(state.status, 0) + 1
                for e in state.entities:
                    labels[e.label] = labels.get(e.label, 0) + 1
            statuses["todo"] = 12 - sum(n for s, n in statuses.items() if s != "todo")
            assert store.status_counts(who) == {s: n for s, n in statuses.items() if n}
            assert store.label_counts(who) == (labels, 0)
        assert store.status_counts("amal") == {"in_progress": 1, "done": 1, "flagged": 1, "todo": 9}
        assert store.label_counts("amal") == ({"ORG": 1, "GPE": 1}, 0)
    finally:
        store.close()


def _store_at_version(path, version: int) -> sqlite3.Connection:
    """A new SQLite store as an older annotator left it: migrations 1..``version`` only (autocommit)."""
    from annotator.store.base import SQLITE_APPLICATION_ID
    from annotator.store.migrations import MIGRATIONS

    raw = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        for statement in script.split(";\n"):
            if statement.strip():
                raw.execute(statement)
        raw.execute(f"PRAGMA user_version={number}")
    raw.execute(f"PRAGMA application_id={SQLITE_APPLICATION_ID}")
    return raw


def test_a_store_at_version_4_with_accounts_gets_migration_5_next(tmp_path):
    """Main's migration 4 (accounts) already ran: opening runs 5 alone and keeps the accounts."""
    from annotator.store.migrations import MIGRATIONS

    path = tmp_path / "v4.db"
    raw = _store_at_version(path, 4)
    raw.execute("INSERT INTO accounts(name, password, created_at, updated_at) VALUES ('amal', NULL, 'x', 'x')")
    doc = Document("old-0", TEXTS[0])
    raw.execute("INSERT INTO documents(id, text, hash, meta, added_at) VALUES (?,?,?,?,?)",
                (doc.id, doc.text.encode(), doc.hash, "{}", "2026-01-01T00:00:00.000Z"))
    raw.close()
    store = open_store(str(path))
    try:
        assert [a.name for a in store.accounts()] == ["amal"]
        assert [r.id for r in store.document_page("amal")] == ["old-0"]
        assert store.status_counts("amal") == {"todo": 1}
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_store_made_before_migration_5_is_filled_in_batches_when_opened(tmp_path, monkeypatch):
    """Search copies and counts of an older store are backfilled at open, a batch per transaction."""
    import annotator.store.sqlite as sqlite_store

    path = tmp_path / "old.db"
    raw = _store_at_version(path, 3)
    for i in range(7):
        doc = Document(f"old-{i}", f"{TEXTS[i % 3]} ({i})")
        raw.execute("INSERT INTO documents(id, text, hash, meta, added_at) VALUES (?,?,?,?,?)",
                    (doc.id, doc.text.encode(), doc.hash, "{}", "2026-01-01T00:00:00.000Z"))
    state = Annotations("old-1", "amal", status="done")
    raw.execute("INSERT INTO annotations(doc_id, annotator, state, version, status) VALUES (?,?,?,?,?)",
                ("old-1", "amal", dumps_ascii(state.to_json()), 1, "done"))
    raw.close()
    writes = []
    original = sqlite_store.SQLiteStore._write

    def counting(self, fn):
        writes.append(fn)
        return original(self, fn)

    monkeypatch.setattr(sqlite_store, "BACKFILL_BATCH", 3)
    monkeypatch.setattr(sqlite_store.SQLiteStore, "_write", counting)
    store = open_store(str(path))
    try:
        assert len(writes) >= 2 + 3 + 1  # migrations 4 and 5, then 7 documents in 3 batches, 1 state
        assert [r.id for r in store.document_page("amal", query="الاكراد")] == ["old-1", "old-4"]
        assert store.status_counts("amal") == {"done": 1, "todo": 6}
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_postgres_backfill_and_trigram_index(pg_cluster):
    url = pg_cluster.new_schema()
    store = open_store(url)
    try:
        fill(store, 8)
        AnnotationSession(store, SCHEMA, "amal").set_status("doc-003", "done")
    finally:
        store.close()
    schema = url.rsplit("%3D", 1)[1]
    for statement in ("UPDATE {s}.documents SET search = NULL", "UPDATE {s}.annotations SET counted = NULL",
                      "DELETE FROM {s}.tallies",  # and, as migration 11 says so, the counts left to fill:
                      "INSERT INTO {s}.settings VALUES ('store:fill-counted', 'annotations.counted', '')"):
        pg_cluster.sql(statement.format(s=schema), pg_server.DATABASE)
    store = open_store(url)
    try:
        assert [r.id for r in store.document_page("amal", query="الاكراد")] == ["doc-001", "doc-004", "doc-007"]
        assert store.status_counts("amal") == {"done": 1, "todo": 7}
        if store._read("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"):
            assert store._read("SELECT 1 FROM pg_indexes WHERE indexname = 'documents_search_trgm'")
            with store._lock:  # the index serves the list's search condition (which plan wins is the planner's
                conn = store._connection()  # call on the table's size: a tiny one is read whole)
                with conn.transaction():
                    conn.execute("SET LOCAL enable_seqscan = off")
                    plan = " ".join(r[0] for r in conn.execute(
                        "EXPLAIN SELECT seq FROM documents d WHERE d.search LIKE %s", ("%الاكراد%",)))
            assert "documents_search_trgm" in plan, plan
    finally:
        store.close()


def test_sqlite_query_plans_use_the_indexes(tmp_path):
    store = open_store(str(tmp_path / "plans.db"))
    try:
        fill(store, 5)

        def plan(query, status):
            sql, params = store._listing("amal", query, status, (0, False), None)
            return " / ".join(r[3] for r in store._read("EXPLAIN QUERY PLAN " + sql, params))

        assert "VIRTUAL TABLE INDEX" in plan("الحكومه", None)  # FTS5, in document order: no sort
        assert "TEMP B-TREE" not in plan("الحكومه", None)
        assert "annotations_status" in plan("", "flagged")  # a rare status from its index
        assert "TEMP B-TREE" not in plan("", "todo") and "PRIMARY KEY (rowid>?)" in plan("", "todo")  # keyset
    finally:
        store.close()


# -- stats and export read no state one by one ------------------------------------------------


def test_stats_comes_from_kept_counts(tmp_path, monkeypatch, capsys):
    from annotator.cli import main
    from annotator.store.sqlite import SQLiteStore

    db = str(tmp_path / "stats.db")
    store = open_store(db)
    fill(store, 6)
    session = AnnotationSession(store, SCHEMA, "amal")
    session.add_entity("doc-000", 0, 5, "ORG")
    session.set_status("doc-001", "done")
    store.close()

    def refuse(*a, **k):
        raise AssertionError("stats read every state")

    monkeypatch.setattr(SQLiteStore, "iter_annotations", refuse)
    monkeypatch.setattr(SQLiteStore, "statuses", refuse)
    assert main(["stats", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "amal: 17% finished (todo 4, in_progress 1, done 1); 1 entities, 0 claims" in out
    assert "ORG 1" in out


def test_export_reads_states_a_page_at_a_time(tmp_path, monkeypatch):
    from annotator.exporting import iter_records
    from annotator.store.sqlite import SQLiteStore

    store = open_store(str(tmp_path / "export.db"))
    try:
        fill(store, 450)  # more than one page
        AnnotationSession(store, SCHEMA, "amal").set_status("doc-300", "done")
        AnnotationSession(store, SCHEMA, "bilal").set_status("doc-300", "skipped")

        def refuse(*a, **k):
            raise AssertionError("a query per document")

        monkeypatch.setattr(SQLiteStore, "load", refuse)
        monkeypatch.setattr(SQLiteStore, "annotators", refuse)
        records = list(iter_records(store))
        assert len(records) == 451
        assert [(r.annotations.annotator, r.annotations.status) for r in records[300:302]] == [
            ("amal", "done"), ("bilal", "skipped")]
        assert [r.document.id for r in records[::150]] == ["doc-000", "doc-150", "doc-300", "doc-449"]
    finally:
        store.close()


# -- batched import ------------------------------------------------------------------------


def import_lines(count: int) -> list[dict]:
    return [{"id": f"imp{i:05d}", "text": f"{TEXTS[i % 3]} [{i}]", "annotator": "importer", "status": "done",
             "entities": [{"id": "e1", "start": 0, "end": 5, "label": "ORG"}]} for i in range(count)]


def test_an_import_commits_records_in_batches(tmp_path, monkeypatch):
    from annotator import importing
    from annotator.store.sqlite import SQLiteStore

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in import_lines(1200)), encoding="utf-8")
    monkeypatch.setattr(importing, "BATCH_SECONDS", 3600.0)
    store = open_store(str(tmp_path / "b.db"))
    commits = []
    original = SQLiteStore._begin

    def begin(self):
        commits.append(1)
        original(self)

    monkeypatch.setattr(SQLiteStore, "_begin", begin)
    summary = importing.import_paths(store, SCHEMA, [source], format_name="native")
    monkeypatch.setattr(SQLiteStore, "_begin", original)
    assert summary.complete and summary.documents_added == 1200 and summary.annotated == 1200
    assert len(commits) == 11  # 1, 2, 4 … 256, then 500 and the last 189: not one per record
    assert store.count_documents() == 1200 and store.status_counts("importer") == {"done": 1200, "todo": 0}
    store.close()


def test_an_import_validates_each_record_s_labels_once(tmp_path, monkeypatch):
    """The labels are checked by the session's write alone (they were checked before it too, only to keep
    a refused record's document out: its savepoint does that), and a refused record still leaves nothing,
    so a later record with its id is stored under that id, labelled on its own text."""
    from annotator import importing
    from annotator.model.operations import ReplaceAnnotations

    lines = import_lines(6)
    # the reader takes it (offsets inside the text); the write refuses it (a letter split from its haraka)
    lines[3].update(text="كَتَبَ الولد الدرس", entities=[{"id": "e1", "start": 0, "end": 1, "label": "ORG"}])
    lines.append(dict(lines[0], id="imp00003", text="نص آخر تماما"))
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    applied: list[int] = []
    original = ReplaceAnnotations.apply

    def apply(self, state, text, schema):
        applied.append(1)
        return original(self, state, text, schema)

    monkeypatch.setattr(ReplaceAnnotations, "apply", apply)
    store = open_store(str(tmp_path / "v.db"))
    summary = importing.import_paths(store, SCHEMA, [source], format_name="native")
    assert len(applied) == 7  # once per record with labels (the refused one too), not twice
    assert (summary.rejected, summary.documents_added, summary.annotated) == (1, 6, 6)
    assert [p.line for p in summary.problems] == [4] and "record not imported" in summary.problems[0].message
    assert store.get_document("imp00003").text == "نص آخر تماما"
    assert [(e.start, e.end) for e in store.load("imp00003", "importer").entities] == [(0, 5)]
    assert len(store.document_ids()) == 6 and store.integrity_check() == "ok"
    assert store.count_matching("importer", query="كتب") == 0  # nothing of it indexed either
    store.close()


def test_a_refused_record_forgets_its_document_only_not_its_annotator_s_session(tmp_path, monkeypatch):
    """A refused record's document goes with its savepoint, and the session forgets that document alone
    (``AnnotationSession.forget``): it dropped the annotator's whole session, so a later record of the same
    annotator made a new one and read back from the store texts the importer had just stored."""
    from annotator import importing

    lines = import_lines(3)
    lines[1].update(text="كَتَبَ الولد الدرس", entities=[{"id": "e1", "start": 0, "end": 1, "label": "ORG"}])
    again = dict(lines[0], entities=[{"id": "e9", "start": 1, "end": 4, "label": "PER"}])  # imp00000's text again
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*lines, again]), encoding="utf-8")
    made: list[str] = []
    real_init = AnnotationSession.__init__

    def init(self, store, schema, annotator=None):
        made.append(annotator)
        real_init(self, store, schema, annotator)

    monkeypatch.setattr(AnnotationSession, "__init__", init)
    store = open_store(str(tmp_path / "f.db"))
    read_back: list[str] = []
    real_get = store.get_document
    monkeypatch.setattr(store, "get_document", lambda doc_id: read_back.append(doc_id) or real_get(doc_id))
    summary = importing.import_paths(store, SCHEMA, [source], format_name="native", replace=True)
    assert [p.line for p in summary.problems] == [2] and "record not imported" in summary.problems[0].message
    assert (summary.rejected, summary.documents_added, summary.duplicates, summary.annotated) == (1, 2, 1, 3)
    assert made == ["importer"] and read_back == []  # one session; imp00000's text kept, not read back
    assert store.document_ids() == ["imp00000", "imp00002"] and store.integrity_check() == "ok"
    assert [(e.start, e.end, e.label) for e in store.load("imp00000", "importer").entities] == [(1, 4, "PER")]
    assert [(e.start, e.end, e.label) for e in store.load("imp00002", "importer").entities] == [(0, 5, "ORG")]
    assert len(store.history("imp00000", "importer")) == 2  # the first record's labels stay in the log
    store.close()


def test_a_record_failing_inside_a_batch_is_undone_alone(tmp_path, monkeypatch):
    """Its document goes with it (a savepoint per record); the records around it stay."""
    from annotator import importing

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in import_lines(5)), encoding="utf-8")
    original = AnnotationSession.apply

    def apply(self, doc_id, op):
        if doc_id == "imp00002":
            raise RecursionError("deep")
        return original(self, doc_id, op)

    monkeypatch.setattr(AnnotationSession, "apply", apply)
    store = open_store(str(tmp_path / "r.db"))
    summary = importing.import_paths(store, SCHEMA, [source], format_name="native")
    assert summary.rejected == 1
    assert store.document_ids() == ["imp00000", "imp00001", "imp00003", "imp00004"]
    assert [r.id for r in store.document_page("importer", query="imp0000")] == store.document_ids()
    store.close()


def test_a_kill_during_a_batched_import_leaves_whole_records(tmp_path):
    records = import_lines(20_000)
    source = tmp_path / "big.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "kill.db"
    proc = subprocess.Popen([sys.executable, str(TESTS / "crash_driver.py"), "import", str(db), str(source)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "START"
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    crash_driver.kill_once_stored(proc, db, seed=7, spread=0.3)
    store = open_store(str(db))
    try:
        assert store.integrity_check() == "ok"
        ids = store.document_ids()
        assert 0 < len(ids) < len(records), "the kill did not land mid-import"
        assert ids == [r["id"] for r in records[:len(ids)]]
        for rec in records[:len(ids)]:  # every stored document has its labels: whole records only
            state = store.load(rec["id"], "importer")
            assert (state.status, [(e.start, e.end, e.label) for e in state.entities]) == ("done", [(0, 5, "ORG")])
        assert store.status_counts("importer")["done"] == len(ids)
        assert store.count_matching("importer", query="imp", cap=10**6) == len(ids)  # indexed with them
    finally:
        store.close()


# -- the document list at 20,000 documents -------------------------------------------------------


async def test_document_list_pages_a_large_store_filters_by_typing_and_opens_the_choice(tmp_path, monkeypatch):
    from textual.widgets import OptionList, Select

    from annotator.tui.app import AnnotatorApp
    from annotator.tui.screens import documents
    from annotator.tui.screens.documents import PAGE, DocumentListScreen

    store = open_store(str(tmp_path / "big.db"))
    with store.transaction():
        for i in range(20_000):
            store.add_document(Document(f"doc-{i:05d}", f"{TEXTS[i % 3]} [{i}]"))
    session = AnnotationSession(store, SCHEMA, "amal")
    session.set_status("doc-12345", "flagged")
    app = AnnotatorApp(session, clock=lambda: "")
    async with app.run_test(size=(110, 34)) as pilot:
        await pilot.pause()
        main = app.screen

        def refuse(*a, **k):
            raise AssertionError("the document list read every document")

        monkeypatch.setattr(store, "iter_documents", refuse)
        monkeypatch.setattr(store, "document_ids", refuse)
        monkeypatch.setattr(store, "statuses", refuse)
        await pilot.press("slash")
        await pilot.pause()
        listing = app.screen
        assert isinstance(listing, DocumentListScreen)
        assert 0 < len(listing._shown) <= 2 * PAGE  # a window, not 20,000 rows
        assert "20000 of 20000 documents" in str(listing.query_one("#count").render())
        docs = listing.query_one("#docs", OptionList)
        docs.highlighted = len(listing._shown) - 1  # near the end: the next page comes
        await pilot.pause()
        assert len(listing._shown) > PAGE
        monkeypatch.setattr(documents, "SCAN_LIMIT", 10_000)  # as on a larger store:
        await pilot.press("d", "o")  # two characters wait for a third (no scan of every text)
        await pilot.pause()
        assert "type 3 or more characters" in str(listing.query_one("#count").render())
        assert listing._shown[0] == "doc-00000"
        for ch in "c-1234":
            await pilot.press(ch)
        await pilot.pause()
        assert listing._shown[:3] == ["doc-12340", "doc-12341", "doc-12342"]
        assert "1000+ of 20000 documents" not in str(listing.query_one("#count").render())
        assert "10 of 20000" in str(listing.query_one("#count").render())
        listing.query_one("#filter", Select).value = "flagged"
        await pilot.pause()
        assert listing._shown == ["doc-12345"]
        listing.query_one("#filter", Select).clear()
        await pilot.pause()
        for _ in range(8):
            await pilot.press("backspace")
        for ch in "الاكراد":
            await pilot.press(ch)
        await pilot.pause()
        assert listing._shown[:2] == ["doc-00001", "doc-00004"]
        assert "1000+ of 20000 documents" in str(listing.query_one("#count").render())
        docs.highlighted = 1
        monkeypatch.undo()  # the annotate screen, not the list, takes over from here
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is main and main.doc_id == "doc-00004"
        await pilot.press("ctrl+q")
    store.close()


def test_tally_of_a_state():
    state = Annotations("d", "a", status="done")
    assert tally(state) == [("status", "done", 1)]


async def test_document_list_searches_the_long_texts_once_per_typed_character(tmp_path, monkeypatch):
    """Each refill asked for the current document's place, a page (or two) and a count, and each ran the
    long texts' search again: 3 per character. Now the refill prepares the query once
    (``Store.list_query``) and its pages, its count and the pages loaded on scrolling reuse it."""
    from textual.widgets import OptionList

    from annotator.tui.app import AnnotatorApp
    from annotator.tui.screens.documents import PAGE, DocumentListScreen

    store = open_store(str(tmp_path / "long.db"))
    with store.transaction():
        store.add_document(Document("long", "قال الوزير في بيروت إن الأرقام صحيحة. " * 30_000))  # over 2 MB
        for i in range(PAGE * 3):
            store.add_document(Document(f"doc-{i:03d}", f"{TEXTS[i % 3]} بيروت [{i}]"))
    session = AnnotationSession(store, SCHEMA, "amal")
    searches: list[str] = []
    real = store._long_matches

    def counted(needle: str) -> list[int]:
        if needle:
            searches.append(needle)
        return real(needle)

    monkeypatch.setattr(store, "_long_matches", counted)
    app = AnnotatorApp(session, clock=lambda: "")
    async with app.run_test(size=(110, 34)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        listing = app.screen
        assert isinstance(listing, DocumentListScreen)
        for n, ch in enumerate("بيروت", start=1):
            await pilot.press(ch)
            await pilot.pause()
            assert len(searches) == n, searches  # one search per typed character, not one per page or count
        assert listing._shown[0] == "long" and len(listing._shown) == PAGE  # the long text merged in, in order
        assert "1000+" not in str(listing.query_one("#count").render())
        assert f"{PAGE * 3 + 1} of {PAGE * 3 + 1}" in str(listing.query_one("#count").render())
        listing.query_one("#docs", OptionList).highlighted = PAGE - 1  # near the end: the next page comes
        await pilot.pause()
        assert len(listing._shown) == 2 * PAGE and len(searches) == 5  # with the search already made
    store.close()
