"""Two at once: several processes writing one SQLite store lose nothing, duplicate nothing,
and never show the user "database is locked"."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest
from test_hardening_crash import Worker, assert_log_replays_to_state

from annotator.errors import StoreError
from annotator.model.annotations import Document
from annotator.session import AnnotationSession
from annotator.store import sqlite as sqlite_store
from annotator.store.sqlite import SQLiteStore

import crash_driver as driver

OPS_EACH = 250
DOCS = 5


@pytest.fixture
def shared_db(tmp_path):
    db = tmp_path / "shared.db"
    store = SQLiteStore(db)
    for i in range(DOCS):
        store.add_document(Document(f"s{i}", driver.doc_text(i)))
    store.close()
    return db


def assert_each_op_once(db, annotator: str, count: int) -> None:
    store = SQLiteStore(db)
    try:
        entities = Counter()
        logged = 0
        for doc_id in store.document_ids():
            state = store.load(doc_id, annotator)
            entities.update((doc_id, e.start, e.end) for e in state.entities)
            logged += len(store.history(doc_id, annotator))
        assert sum(entities.values()) == count, f"{annotator}: {sum(entities.values())} of {count} entities"
        assert max(entities.values()) == 1, f"{annotator}: an entity stored twice"
        assert logged == count, f"{annotator}: {logged} log entries for {count} operations"
        assert store.integrity_check() == "ok"
        assert_log_replays_to_state(store)
    finally:
        store.close()


def finished_cleanly(worker: Worker, count: int) -> None:
    stderr = worker.finish(timeout=120)
    assert worker.proc.returncode == 0, (worker.lines[-3:], stderr)
    assert "locked" not in stderr and "Traceback" not in stderr, stderr
    assert not [line for line in worker.lines if line.startswith("ERROR")]
    assert worker.last_ack() == count


def test_two_annotators_on_the_same_documents_lose_and_duplicate_nothing(shared_db):
    alice = Worker("hammer", str(shared_db), "alice", str(OPS_EACH))
    bob = Worker("hammer", str(shared_db), "bob", str(OPS_EACH))
    finished_cleanly(alice, OPS_EACH)
    finished_cleanly(bob, OPS_EACH)
    assert_each_op_once(shared_db, "alice", OPS_EACH)
    assert_each_op_once(shared_db, "bob", OPS_EACH)


def test_a_writer_holding_the_lock_only_slows_the_others_down(shared_db):
    """A long transaction (a big import, a backup) makes the others wait, not fail."""
    holder = Worker("hold", str(shared_db), "1.5", "3")
    workers = [Worker("hammer", str(shared_db), who, str(OPS_EACH)) for who in ("carol", "dave", "erin")]
    for worker in workers:
        finished_cleanly(worker, OPS_EACH)
    assert holder.finish(timeout=60) == "" and holder.proc.returncode == 0
    assert [line for line in holder.lines if line.startswith("HELD")] == ["HELD 1", "HELD 2", "HELD 3"]
    for who in ("carol", "dave", "erin"):
        assert_each_op_once(shared_db, who, OPS_EACH)


def test_a_lock_held_past_every_retry_is_a_clear_message_and_changes_nothing(shared_db, monkeypatch, news_schema):
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(sqlite_store, "LOCK_RETRIES", 2)
    store = SQLiteStore(shared_db)
    session = AnnotationSession(store, news_schema, "frank")
    session.add_entity("s0", 4, 9, "PER")
    blocker = sqlite3.connect(shared_db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="stayed locked by another process; try again"):
            session.add_entity("s0", 10, 14, "ORG")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert [e.label for e in session.annotations("s0").entities] == ["PER"]
    session.add_entity("s0", 10, 14, "ORG")  # once the lock is gone, the same action works
    assert len(store.history("s0", "frank")) == 2
    store.close()


def test_the_same_annotator_in_two_processes_is_refused_with_a_clear_message(shared_db):
    """The TUI claims the session at start; a second start as the same person is told why it cannot."""
    first = Worker("ops", str(shared_db), "7", "100000")  # claims the session of ANNOTATOR, then works
    try:
        while not first.lines and first.proc.poll() is None:  # the first ACK: the claim is held
            time.sleep(0.02)
        store = SQLiteStore(shared_db)
        with pytest.raises(StoreError, match=f"annotator '{driver.ANNOTATOR}' already has this store open"):
            store.claim_session(driver.ANNOTATOR)
        store.claim_session("someone-else")
        store.close()
    finally:
        first.kill_after(0)


def test_annotate_as_an_annotator_already_working_exits_with_the_message(shared_db):
    """Through the real ``annotator annotate`` command: one line, exit 2, the app never starts."""
    first = Worker("ops", str(shared_db), "7", "100000")
    try:
        while not first.lines and first.proc.poll() is None:
            time.sleep(0.02)
        result = subprocess.run(
            [sys.executable, "-m", "annotator", "annotate", "--db", str(shared_db), "--annotator", driver.ANNOTATOR],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        first.kill_after(0)
    assert result.returncode == 2, (result.stdout[-500:], result.stderr[-500:])
    assert "Traceback" not in result.stderr
    assert f"annotator '{driver.ANNOTATOR}' already has this store open" in result.stderr
    assert "close it first or use another --annotator" in result.stderr
