"""The SQLite store and the session over it: durability, undo/redo across restarts, resume, locking."""

from __future__ import annotations

import sqlite3

import pytest

from annotator.errors import OperationError, StoreError
from annotator.model.annotations import Document
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."


def open_session(path, schema, who="alice"):
    store = SQLiteStore(path)
    return store, AnnotationSession(store, schema, who)


def test_documents_are_deduplicated_by_text_and_ids_kept_unique(store):
    r1 = store.add_document(Document("a", TEXT))
    r2 = store.add_document(Document("b", TEXT))
    r3 = store.add_document(Document("a", TEXT + " "))
    assert (r1.added, r2.added, r2.doc_id) == (True, False, "a")
    assert r3.added and r3.doc_id == "a~2" and r3.renamed_from == "a"
    assert store.document_ids() == ["a", "a~2"]


@pytest.mark.parametrize("text", [
    "سطر\r\nثانٍ\rثالث",
    "\u200fمرحبا\u200e \u2067abc\u2069 \u202eعكس",
    "بـــالـتطويل 👍🏽 ١٢٣ ZWJ:\u200d ZWNJ:\u200c",
    "لام\ud800 بديل مكسور",  # a lone surrogate from a bad decoder
    "\x1b[31mأحمر\x1b[0m\x07",
])
def test_text_is_stored_exactly(store, text):
    store.add_document(Document("d", text))
    assert store.get_document("d").text == text


def test_every_action_survives_a_restart_with_its_undo_history(tmp_path, news_schema):
    db = tmp_path / "s.db"
    store, s = open_session(db, news_schema)
    store.add_document(Document("d", TEXT))
    s.add_entity("d", 4, 14, "PER")
    s.add_claim("d", 18, 68)
    s.link_claimer("d", "c1", "e1")
    store.close()

    store, s = open_session(db, news_schema)
    state = s.annotations("d")
    assert [e.label for e in state.entities] == ["PER"]
    assert state.claim("c1").claimer == "e1"
    assert state.claim("c1").attributes == {"verdict": "unverified", "needs_review": False}  # schema defaults
    assert s.undo("d").state.claim("c1").claimer is None
    store.close()

    store, s = open_session(db, news_schema)
    assert s.redo("d").state.claim("c1").claimer == "e1"
    s.undo("d")
    s.undo("d")
    change = s.undo("d")
    assert change.state.entities == () and change.state.status == "todo"
    assert s.undo("d") is None
    assert store.integrity_check() == "ok"
    store.close()


def test_a_new_action_clears_the_redo_stack(tmp_path, news_schema):
    store, s = open_session(tmp_path / "s.db", news_schema)
    store.add_document(Document("d", TEXT))
    s.add_entity("d", 4, 14, "PER")
    s.undo("d")
    s.add_entity("d", 18, 40, "ORG")
    assert s.redo("d") is None
    assert [e.label for e in s.annotations("d").entities] == ["ORG"]


def test_undo_history_is_per_document(tmp_path, news_schema):
    store, s = open_session(tmp_path / "s.db", news_schema)
    store.add_document(Document("d1", TEXT))
    store.add_document(Document("d2", TEXT + "!"))
    s.add_entity("d1", 4, 14, "PER")
    s.add_entity("d2", 18, 40, "ORG")
    s.undo("d1")
    assert s.annotations("d1").entities == ()
    assert len(s.annotations("d2").entities) == 1


def test_refused_operation_changes_nothing(tmp_path, news_schema):
    store, s = open_session(tmp_path / "s.db", news_schema)
    store.add_document(Document("d", TEXT))
    s.add_entity("d", 4, 14, "PER")
    before = (s.annotations("d"), store.count_log())
    with pytest.raises(OperationError):
        s.add_entity("d", 4, 14, "PER")
    assert (s.annotations("d"), store.count_log()) == before


def test_annotators_have_separate_annotations(tmp_path, news_schema):
    store = SQLiteStore(tmp_path / "s.db")
    store.add_document(Document("d", TEXT))
    a, b = AnnotationSession(store, news_schema, "alice"), AnnotationSession(store, news_schema, "bob")
    a.add_entity("d", 4, 14, "PER")
    b.add_entity("d", 4, 14, "ORG")
    assert a.annotations("d").entities[0].label == "PER"
    assert b.annotations("d").entities[0].label == "ORG"
    assert store.annotators("d") == ["alice", "bob"]


def test_a_stale_writer_is_refused_not_silently_overwritten(tmp_path, news_schema):
    store, s = open_session(tmp_path / "s.db", news_schema)
    store.add_document(Document("d", TEXT))
    stale = s.annotations("d")
    s.add_entity("d", 4, 14, "PER")
    from annotator.model.operations import SetNotes

    with pytest.raises(StoreError, match="changed by another session"):
        store.commit("d", "alice", stale.version, stale.with_(notes="x"), "do", SetNotes("x"), SetNotes(""), None)


def test_resume_position(tmp_path, news_schema):
    store, s = open_session(tmp_path / "s.db", news_schema)
    assert s.position().doc_id is None
    s.save_position("d7", 42)
    store.close()
    store, s = open_session(tmp_path / "s.db", news_schema)
    assert (s.position().doc_id, s.position().cursor) == ("d7", 42)


def test_progress_counts_statuses(tmp_path, news_schema):
    store, s = open_session(tmp_path / "s.db", news_schema)
    for i in range(4):
        store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
    s.set_status("d0", "done")
    s.set_status("d1", "skipped")
    s.add_entity("d2", 4, 14, "PER")
    p = s.progress()
    assert p.total == 4
    assert p.by_status == {"todo": 1, "in_progress": 1, "done": 1, "skipped": 1, "flagged": 0}
    assert p.fraction == 0.5


def test_the_same_annotator_twice_gets_a_clear_message(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "s.db"
    SQLiteStore(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time; from annotator.store.sqlite import SQLiteStore as S; s=S(sys.argv[1]); "
         "s.claim_session('alice'); print('held', flush=True); time.sleep(30)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        store = SQLiteStore(db)
        with pytest.raises(StoreError, match="already has this store open"):
            store.claim_session("alice")
        store.claim_session("bob")  # another annotator is fine
        store.close()
    finally:
        holder.kill()
        holder.wait()
    store = SQLiteStore(db)
    store.claim_session("alice")  # the holder died: its claim is stale
    store.close()


def test_the_log_is_append_only(tmp_path, news_schema):
    store, s = open_session(tmp_path / "s.db", news_schema)
    store.add_document(Document("d", TEXT))
    s.add_entity("d", 4, 14, "PER")
    raw = sqlite3.connect(tmp_path / "s.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM oplog")
    raw.close()


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not an annotator database"):
        SQLiteStore(bad)


def test_read_only_database_is_a_clear_error_and_changes_nothing(tmp_path, news_schema):
    import os

    db = tmp_path / "s.db"
    store, s = open_session(db, news_schema)
    store.add_document(Document("d", TEXT))
    s.add_entity("d", 4, 14, "PER")
    store.close()
    uri = f"file:{db}?mode=ro"
    ro = SQLiteStore.__new__(SQLiteStore)
    ro.path = str(db)
    ro._held_sessions = set()
    ro._db = sqlite3.connect(uri, uri=True, isolation_level=None)
    s = AnnotationSession(ro, news_schema, "alice")
    with pytest.raises(StoreError, match="read-only"):
        s.add_entity("d", 18, 40, "ORG")
    ro.close()
    store, s = open_session(db, news_schema)
    assert [e.label for e in s.annotations("d").entities] == ["PER"]
    assert os.path.exists(db)
