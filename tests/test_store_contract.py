"""The storage contract, run on every store: SQLite always, PostgreSQL when a throwaway server can start.

The same tests on both stores are what "the same protocol and the same meaning"
means: a team that moves from one machine's SQLite file to a shared PostgreSQL
server keeps every behaviour. The PostgreSQL-only tests at the end cover what
only a server has: concurrent writers, lost connections, server-side health.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from datetime import UTC

import pytest
from old_stores import made_before_long_texts

from annotator.errors import OperationError, StoreError, UnstorableTextError
from annotator.model.annotations import Document
from annotator.model.operations import SetNotes
from annotator.session import AnnotationSession
from annotator.store import open_store
from annotator.store.base import Position

import pg_server

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
STORES = ["sqlite", "postgres"]


@pytest.fixture(params=STORES)
def db(request, tmp_path) -> str:
    """The ``--db`` value of a fresh, empty store of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "contract.db")
    return request.getfixturevalue("pg_cluster").new_schema()


@pytest.fixture
def store(db):
    s = open_store(db)
    yield s
    s.close()


def reopen(store, db):
    store.close()
    return open_store(db)


# -- documents -------------------------------------------------------------------------


def test_documents_are_deduplicated_by_text_and_ids_kept_unique(store):
    r1 = store.add_document(Document("a", TEXT, {"source": "wire"}))
    r2 = store.add_document(Document("b", TEXT))
    r3 = store.add_document(Document("a", TEXT + " "))
    r4 = store.add_document(Document("a", TEXT + "  "))
    assert (r1.added, r1.renamed_from, r2.added, r2.doc_id) == (True, None, False, "a")
    assert (r3.doc_id, r3.renamed_from, r4.doc_id) == ("a~2", "a", "a~3")
    assert store.document_ids() == ["a", "a~2", "a~3"]
    assert store.count_documents() == 3
    assert store.get_document("a").meta == {"source": "wire"}
    assert store.get_document("b") is None


@pytest.mark.parametrize("text", [
    "سطر\r\nثانٍ\rثالث\n",
    "\u200fمرحبا\u200e \u2067abc\u2069 \u202eعكس\u202c \u061c",
    "بـــالـتطويل 👍🏽 👨‍👩‍👧 ١٢٣ ZWJ:\u200d ZWNJ:\u200c",
    "لام\ud800 بديل مكسور \udfff",  # lone surrogates from a bad decoder
    "قبل\x00بعد\x00",  # NUL: PostgreSQL TEXT cannot hold it
    "\x1b[31mأحمر\x1b[0m\x07\ufeff",
], ids=["crlf", "bidi-controls", "emoji-tatweel", "lone-surrogate", "nul", "escapes-bom"])
def test_text_and_meta_are_stored_exactly(store, db, text):
    meta = {"title": text, "n": 1}
    store.add_document(Document("d", text, meta))
    store = reopen(store, db)
    try:
        doc = store.get_document("d")
        assert (doc.text, doc.meta) == (text, meta)
        assert [d.text for d in store.iter_documents()] == [text]
        assert store.add_document(Document("again", text)).added is False  # same hash after the round trip
    finally:
        store.close()


# a big text by ranges (``text_length``, ``text_range``; migration 6): small limits, so the edges are many
WEIRD = ("سطر\r\nثانٍ\r\n" * 3 + "\u200fمرحبا\u200e 👨‍👩‍👧 👍🏽 بـــالـتطويل ZWJ:\u200d " + "لام\ud800 \udfff قبل\x00بعد"
         + "\x1b[31mأحمر\ufeff" + "ـَُِّ" * 5) * 3


@pytest.fixture
def small_windows(monkeypatch):
    from annotator.store import sql_reads

    monkeypatch.setattr(sql_reads, "WINDOWED_BYTES", 64)
    monkeypatch.setattr(sql_reads, "MARK_STEP", 5)


def test_a_big_text_is_read_by_ranges_exactly(store, db, small_windows):
    store.add_document(Document("big", WEIRD, {"n": 1}))
    store.add_document(Document("small", "قال."))
    store = reopen(store, db)
    try:
        assert store.text_length("big") == len(WEIRD)
        assert store.text_length("small") is None and store.text_length("missing") is None
        for start in range(0, len(WEIRD) + 2):
            for end in range(start, min(start + 13, len(WEIRD) + 3)):
                assert store.text_range("big", start, end) == WEIRD[start:end], (start, end)
        assert store.text_range("big", 0, 10**9) == WEIRD and store.text_range("big", 9, 3) == ""
        assert store.text_range("small", 1, 3) == "ال."[:2] and store.text_range("small", -5, 99) == "قال."
        assert store.get_document("big").text == WEIRD  # read whole as ever
        assert "".join(store.text_pieces("big")) == WEIRD and list(store.text_pieces("small")) == ["قال."]
        with pytest.raises(StoreError, match="missing"):
            store.text_range("missing", 0, 1)
    finally:
        store.close()


def test_a_big_text_read_inside_a_rolled_back_write_is_read_again_after_it(store, small_windows):
    """What a read saw inside a write that was undone is not kept: the document added again reads its own
    text (before: its old row's place was kept, which SQLite gives the next document, PostgreSQL none)."""
    with pytest.raises(RuntimeError), store.transaction():
        store.add_document(Document("x", WEIRD))
        assert store.text_range("x", 2, 30) == WEIRD[2:30]
        raise RuntimeError("undone")
    other, again = WEIRD[::-1] + "قال", "؟" + WEIRD
    store.add_document(Document("y", other))
    store.add_document(Document("x", again))
    assert store.text_range("x", 2, 30) == again[2:30] and store.text_range("y", 0, 40) == other[:40]


def test_the_document_list_shows_the_start_of_a_big_text(store, monkeypatch):
    from annotator.store import sql_reads

    monkeypatch.setattr(sql_reads, "INLINE_HEAD", 16)
    monkeypatch.setattr(type(store), "_HEAD", type(store)._HEAD.replace("65536", "16"), raising=False)
    store.add_document(Document("big", WEIRD))
    (row,) = store.document_page("amal")
    assert row.head and WEIRD.startswith(row.head) and len(row.head.encode("utf-8", "surrogatepass")) > 300


def _made_before_text_marks(store, db) -> None:
    """Undo migrations 6 and after as an annotator before them left the store: no ``text_marks`` (nor the
    later tables), version 5."""
    made_before_long_texts(store, db, 5)


def test_a_store_made_before_text_marks_gets_them_when_opened(store, db, small_windows):
    store.add_document(Document("big", WEIRD))
    store.add_document(Document("small", "قال."))
    _made_before_text_marks(store, db)
    store = open_store(db)
    try:
        assert store.text_length("big") == len(WEIRD) and store.text_length("small") is None
        assert all(store.text_range("big", a, a + 7) == WEIRD[a:a + 7] for a in range(len(WEIRD)))
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_a_document_keeps_its_token_table_for_exports(store, db, monkeypatch):
    """Migration 7: each added document's token boundaries, packed and tagged with the tokenizer's version;
    ``iter_token_bounds`` gives those of the current tokenizer only (a changed rule: none, so exports
    tokenize), in store order, past a page."""
    from annotator.formats._spans import unpack
    from annotator.text import bounds
    from annotator.text.tokens import tokenize

    texts = {"news": TEXT, "weird": WEIRD, "blank": " \n\t ", "long": "كتب " * len(WEIRD)}
    monkeypatch.setattr(bounds, "STORED_MAX", len(WEIRD) + 1)  # "long" keeps none
    for doc_id, text in texts.items():
        store.add_document(Document(doc_id, text))
    store.add_document(Document("again", TEXT))  # the same text: nothing added, nothing kept
    for i in range(450):  # more than two pages
        store.add_document(Document(f"more{i}", f"{TEXT} {i}"))
    store = reopen(store, db)
    try:
        kept = dict(store.iter_token_bounds())
        assert list(kept) == ["news", "weird", "blank", *(f"more{i}" for i in range(450))]  # in store order
        texts.update((f"more{i}", f"{TEXT} {i}") for i in range(450))
        for doc_id in kept:
            table = unpack(kept[doc_id], texts[doc_id])
            want = tokenize(texts[doc_id])
            assert (list(table.starts), list(table.ends)) == ([t.start for t in want], [t.end for t in want])
        monkeypatch.setattr(bounds, "tokenizer_version", lambda: "another rule")
        assert list(store.iter_token_bounds()) == []
    finally:
        store.close()


def _made_before_token_tables(store, db) -> None:
    """Undo the ``token_bounds`` migration (SQLite's 7, PostgreSQL's 8) as an annotator before it left
    the store, and every later one."""
    made_before_long_texts(store, db, 7 if db.startswith("postgresql://") else 6)


def test_a_store_made_before_token_tables_keeps_them_for_documents_added_since(store, db):
    store.add_document(Document("old", TEXT))
    _made_before_token_tables(store, db)
    store = open_store(db)
    try:
        assert list(store.iter_token_bounds()) == []  # tokenized at export, as before
        store.add_document(Document("new", TEXT + " جديد"))
        assert [doc_id for doc_id, _ in store.iter_token_bounds()] == ["new"]
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_iter_documents_streams_every_document_in_insertion_order(store):
    ids = [f"doc{i:03d}" for i in range(450)]  # more than two batches
    for i, doc_id in enumerate(ids):
        store.add_document(Document(doc_id, f"{TEXT} {i}"))
    assert [d.id for d in store.iter_documents()] == ids
    assert [d.text for d in store.iter_documents()][-1] == f"{TEXT} 449"
    assert store.document_ids() == ids


def test_a_documents_number_is_its_place_in_store_order_even_across_gaps(store):
    """``document_number``/``document_at`` (the app's "k/N" and goto) are places, not ``seq``: a
    rolled-back insert leaves a gap in PostgreSQL's sequence, and the numbers stay 1..N."""
    for i in range(3):
        store.add_document(Document(f"a{i}", f"{TEXT} a{i}"))
    with pytest.raises(RuntimeError), store.transaction():
        store.add_document(Document("lost", f"{TEXT} lost"))
        raise RuntimeError("rolled back: its seq is not used again")
    store.add_document(Document(f"{TEXT[:3]} a1", "same text as a1? no: another"))
    store.add_document(Document("a0", f"{TEXT} a0"))  # the same text again: deduplicated, no row
    store.add_document(Document("b", f"{TEXT} b"))
    ids = store.document_ids()
    assert len(ids) == 5
    assert [store.document_number(d) for d in ids] == [1, 2, 3, 4, 5]
    assert [store.document_at(n) for n in range(0, 7)] == [None, *ids, None]
    assert store.document_number("lost") is None and store.document_number("nothing") is None


# -- annotations, the log, undo/redo ---------------------------------------------------


def test_commit_writes_state_and_log_and_refuses_a_stale_version(store):
    store.add_document(Document("d", TEXT))
    s = AnnotationSession(store, _schema(), "alice")
    stale = s.annotations("d")
    assert stale.version == 0
    saved = s.add_entity("d", 4, 14, "PER").state
    assert (saved.version, saved.status) == (1, "in_progress")
    assert store.load("d", "alice") == saved
    with pytest.raises(StoreError, match="changed by another session"):
        store.commit("d", "alice", stale.version, stale.with_(notes="x"), "do", SetNotes("x"), SetNotes(""), None)
    with pytest.raises(StoreError, match=r"version 1, expected 5"):
        store.commit("d", "alice", 5, saved.with_(notes="x"), "do", SetNotes("x"), SetNotes(""), None)
    assert store.load("d", "alice") == saved
    assert store.count_log() == 1
    assert [(e.action, e.ref) for e in store.history("d", "alice")] == [("do", None)]
    assert store.integrity_check() == "ok"


def test_notes_with_nul_and_lone_surrogate_survive_the_json_columns(store, db):
    store.add_document(Document("d", TEXT))
    s = AnnotationSession(store, _schema(), "alice")
    notes = "ملاحظة\x00\ud800 👍🏽\r\n"
    s.set_notes("d", notes)
    store = reopen(store, db)
    try:
        assert store.load("d", "alice").notes == notes
        assert store.history("d", "alice")[-1].op.ops[0] == SetNotes(notes)
        assert store.undo_target("d", "alice") is not None
    finally:
        store.close()


def test_undo_and_redo_stacks_survive_reopening(store, db):
    schema = _schema()
    store.add_document(Document("d", TEXT))
    s = AnnotationSession(store, schema, "alice")
    s.add_entity("d", 4, 14, "PER")
    s.add_entity("d", 18, 41, "ORG")
    s.undo("d")
    store = reopen(store, db)
    s = AnnotationSession(store, schema, "alice")
    assert [e.label for e in s.annotations("d").entities] == ["PER"]
    assert s.redo("d").state.entities[1].label == "ORG"
    assert s.redo("d") is None
    s.undo("d")
    s.undo("d")
    store = reopen(store, db)
    s = AnnotationSession(store, schema, "alice")
    assert s.undo("d") is None
    assert s.annotations("d").entities == () and s.annotations("d").status == "todo"
    s.redo("d")
    s.add_entity("d", 55, 62, "LOC")  # a new action clears what was left to redo
    assert s.redo("d") is None
    assert [e.action for e in store.history("d", "alice")] == ["do", "do", "undo", "redo", "undo", "undo",
                                                                "redo", "do"]
    assert store.count_log() == 8
    assert store.integrity_check() == "ok"
    store.close()


def test_a_transaction_groups_writes_all_or_nothing(store):
    s = AnnotationSession(store, _schema(), "alice")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_document(Document("d", TEXT))
            s.add_entity("d", 4, 14, "PER")
            raise RuntimeError("killed half way")
    assert (store.count_documents(), store.count_log(), store.load("d", "alice").version) == (0, 0, 0)
    with store.transaction():
        store.add_document(Document("d", TEXT))
        s.add_entity("d", 4, 14, "PER")
        with pytest.raises(StoreError, match="changed by another session"):  # refused: undoes only itself
            store.commit("d", "alice", 0, s.annotations("d"), "do", SetNotes("x"), SetNotes(""), None)
        s.add_entity("d", 18, 41, "ORG")
    assert [e.label for e in store.load("d", "alice").entities] == ["PER", "ORG"]
    assert (store.count_log(), store.integrity_check()) == (2, "ok")


def test_annotators_are_kept_apart(store):
    schema = _schema()
    store.add_document(Document("d1", TEXT))
    store.add_document(Document("d2", TEXT + "!"))
    a, b = AnnotationSession(store, schema, "alice"), AnnotationSession(store, schema, "Bob")
    a.add_entity("d1", 4, 14, "PER")
    b.add_entity("d1", 4, 14, "ORG")
    b.set_status("d2", "skipped")
    a.undo("d2")  # nothing of alice's to undo there
    assert a.annotations("d1").entities[0].label == "PER"
    assert b.annotations("d1").entities[0].label == "ORG"
    assert store.annotators("d1") == ["Bob", "alice"]  # code-point order, whatever the locale
    assert store.all_annotators() == ["Bob", "alice"]
    assert store.statuses("alice") == {"d1": "in_progress"}
    assert store.statuses("Bob") == {"d1": "in_progress", "d2": "skipped"}
    assert [(x.doc_id, x.annotator) for x in store.iter_annotations()] == [
        ("d1", "Bob"), ("d1", "alice"), ("d2", "Bob")]
    assert [x.doc_id for x in store.iter_annotations("Bob")] == ["d1", "d2"]
    a.undo("d1")
    assert a.annotations("d1").entities == () and len(b.annotations("d1").entities) == 1
    assert store.load("d2", "alice").version == 0


def test_positions_are_kept_per_annotator(store, db):
    assert store.get_position("alice") == Position(None, 0)
    store.set_position("alice", Position("d7", 42))
    store.set_position("bob", Position("d1", 0))
    store.set_position("alice", Position("d8", 3))
    store = reopen(store, db)
    try:
        assert store.get_position("alice") == Position("d8", 3)
        assert store.get_position("bob") == Position("d1", 0)
    finally:
        store.close()


# -- one live session per annotator ----------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys, time
    from annotator.store import open_store
    store = open_store(sys.argv[1])
    store.claim_session("alice")
    print("held", flush=True)
    if sys.stdin.readline().strip() == "release":
        store.release_session("alice")
        print("released", flush=True)
        sys.stdin.readline()
""")


def _holder(db):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _claim_eventually(store, annotator, seconds=10.0):
    """The server notices a dead client's closed socket within moments; allow it that."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return store.claim_session(annotator)
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_second_live_session_of_an_annotator_is_refused(store, db):
    holder = _holder(db)
    try:
        with pytest.raises(StoreError, match="'alice' already has this store open .*close it first"):
            store.claim_session("alice")
        store.claim_session("bob")  # another annotator is fine
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        store.claim_session("alice")  # released: free to take
        store.release_session("alice")
    finally:
        holder.kill()
        holder.wait()


def test_a_dead_session_does_not_block_the_annotator(store, db):
    holder = _holder(db)
    holder.kill()
    holder.wait()
    _claim_eventually(store, "alice")
    store.release_session("alice")
    store.claim_session("alice")  # claiming again after a release works


# -- claims: heartbeat, expiry, take-over (issue 9) ------------------------------------


def _set_heartbeat_age(db, annotator, seconds):
    """Make a claim's last heartbeat ``seconds`` old, as if its app had stopped answering."""
    from datetime import datetime, timedelta

    then = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
    then = then.replace("+00:00", "Z")
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("UPDATE sessions SET heartbeat_at=%s WHERE annotator=%s", (then, annotator))
    else:
        import sqlite3

        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("UPDATE sessions SET heartbeat_at=? WHERE annotator=?", (then, annotator))
        conn.close()


BEATING_HOLDER = textwrap.dedent("""
    import sys
    from annotator.store import open_store
    store = open_store(sys.argv[1])
    store.claim_session(sys.argv[2])
    print("held", flush=True)
    for line in sys.stdin:
        try:
            print("beat", store.heartbeat(sys.argv[2]), flush=True)
        except Exception as exc:
            print("beat error", type(exc).__name__, flush=True)
""")


def _beating_holder(db, annotator):
    proc = subprocess.Popen([sys.executable, "-c", BEATING_HOLDER, db, annotator], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _beat(holder) -> str:
    holder.stdin.write("beat\n")
    holder.stdin.flush()
    return holder.stdout.readline().strip()


def _said_age(message: str) -> int:
    """The seconds a claim's description says its last heartbeat was ("last heartbeat 1 min 40 s ago")."""
    found = re.search(r"last heartbeat (?:(\d+) min )?(\d+) s ago", message)
    assert found, message
    return int(found[1] or 0) * 60 + int(found[2])


def _who():
    """A name of its own per test: PostgreSQL session locks are per database, shared by the test schemas."""
    return f"ann_{os.getpid()}_{time.monotonic_ns()}"


def test_a_claim_without_heartbeat_for_the_expiry_time_is_taken_over(store, db):
    from annotator.store.base import CLAIM_EXPIRY_SECONDS

    who = _who()
    holder = _beating_holder(db, who)
    try:
        began = time.monotonic()
        _set_heartbeat_age(db, who, CLAIM_EXPIRY_SECONDS - 20)
        with pytest.raises(StoreError, match=r"already has this store open .*last heartbeat 1 min \d+ s ago") as refused:
            store.claim_session(who)
        # 1 min 40 s, and as many seconds more as passed meanwhile (a loaded machine can take some)
        assert 100 <= _said_age(str(refused.value)) <= 100 + time.monotonic() - began + 1
        _set_heartbeat_age(db, who, CLAIM_EXPIRY_SECONDS + 5)
        ended = store.claim_session(who)  # no --take-over needed: the claim expired
        assert (ended.state, ended.pid, ended.host) == ("expired", holder.pid, socket.gethostname())
        assert ended.heartbeat_age >= CLAIM_EXPIRY_SECONDS
        assert _beat(holder) in ("beat False", "beat error StoreError")  # the old session learns it lost
        assert store.heartbeat(who) is True
    finally:
        holder.kill()
        holder.wait()


def test_a_heartbeat_keeps_a_claim_alive(store, db):
    from annotator.store.base import CLAIM_EXPIRY_SECONDS

    who = _who()
    holder = _beating_holder(db, who)
    try:
        _set_heartbeat_age(db, who, CLAIM_EXPIRY_SECONDS + 60)
        assert _beat(holder) == "beat True"  # refreshed: live again
        with pytest.raises(StoreError, match="already has this store open"):
            store.claim_session(who)
    finally:
        holder.kill()
        holder.wait()


def test_take_over_ends_a_live_claim_and_names_it(store, db):
    who = _who()
    holder = _beating_holder(db, who)
    try:
        with pytest.raises(StoreError, match=r"or end it with `annotator annotate --take-over`"):
            store.claim_session(who)
        ended = store.claim_session(who, take_over=True)
        assert (ended.state, ended.pid, ended.host) == ("live", holder.pid, socket.gethostname())
        assert f"process {holder.pid} on {socket.gethostname()}, last heartbeat" in ended.describe()
        assert _beat(holder) in ("beat False", "beat error StoreError")
        other = subprocess.run([sys.executable, "-c", "import sys; from annotator.store import open_store; "
                                "open_store(sys.argv[1]).claim_session(sys.argv[2])", db, who],
                               capture_output=True, text=True, timeout=60)
        assert other.returncode != 0 and "already has this store open" in other.stderr  # the new holder is live
    finally:
        holder.kill()
        holder.wait()


def test_annotate_take_over_through_the_cli(store, db, monkeypatch, capsys):
    """``annotator annotate --take-over`` ends the live session with a warning naming it; without, exit 2."""
    from annotator import cli
    from annotator.tui.app import AnnotatorApp

    who = _who()
    holder = _beating_holder(db, who)
    opened = []
    monkeypatch.setattr(AnnotatorApp, "run", lambda self, *a, **k: opened.append(self.session.annotator))
    monkeypatch.setattr("annotator.commands.annotate.terminal_mode", lambda requested: "plain")
    try:
        base = ["annotate", "--db", db, "--annotator", who, "--rtl-mode", "plain"]
        assert cli.main(base) == 2
        err = capsys.readouterr().err
        assert "already has this store open" in err and "--take-over" in err and opened == []
        began = time.monotonic()
        _set_heartbeat_age(db, who, 0)  # a beat now: the age said is the time the take-over took, no more
        assert cli.main(base + ["--take-over"]) == 0
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert f"warning: took over the live session of {who!r} (process {holder.pid} on " in err
        assert 0 <= _said_age(err) <= time.monotonic() - began + 1  # 0 or 1 s on a quiet machine
        assert opened == [who]
        assert _beat(holder) in ("beat False", "beat error StoreError")
    finally:
        holder.kill()
        holder.wait()


# -- what both stores refuse, and where none exists (issue 9) ---------------------------


@pytest.mark.parametrize("bad", ["al\x00ice", "al\ud800ice"], ids=["nul", "lone-surrogate"])
def test_names_no_store_can_keep_are_refused_alike_before_anything_is_written(store, bad):
    """SQLite accepts exactly what PostgreSQL can: a NUL or lone surrogate in a document id or an
    annotator name is an ``UnstorableTextError`` naming the field, and nothing is written."""
    calls = {
        "document id": [lambda: store.add_document(Document(bad, TEXT)),
                        lambda: store.set_position("alice", Position(bad, 0))],
        "annotator name": [lambda: AnnotationSession(store, _schema(), bad).add_entity("d", 4, 14, "PER"),
                           lambda: store.set_position(bad, Position("d", 0)),
                           lambda: store.claim_session(bad)],
    }
    store.add_document(Document("d", TEXT))
    for field, attempts in calls.items():
        for attempt in attempts:
            with pytest.raises(UnstorableTextError) as caught:
                attempt()
            assert caught.value.field == field and caught.value.value == bad
            assert str(caught.value).startswith(f"{field} {bad!r} cannot be stored")
            assert str(caught.value).endswith("nothing was changed")
    with pytest.raises(UnstorableTextError):
        with store.transaction():
            store.add_document(Document("fine", TEXT + " 2"))
            store.add_document(Document(bad, TEXT + " 3"))
    assert store.document_ids() == ["d"]
    assert (store.count_log(), store.all_annotators(), store.get_position("alice").doc_id) == (0, [], None)
    assert store.integrity_check() == "ok"


def test_a_missing_store_is_refused_and_nothing_is_created(db):
    """``create=False`` (stats, export, check, backup): one clear line, and no store appears."""
    for _ in range(2):  # the second time proves the first created nothing
        with pytest.raises(StoreError, match=r"^no annotation store at .*; `annotator import` creates one$"):
            open_store(db, create=False)
    if not db.startswith("postgresql://"):
        assert not os.path.exists(db)
    open_store(db).close()  # import and annotate create it
    open_store(db, create=False).close()


# -- the session layer end to end ------------------------------------------------------


def test_annotation_session_end_to_end(store, db):
    schema = _schema()
    store.add_document(Document("d", TEXT))
    store.claim_session("alice")
    s = AnnotationSession(store, schema, "alice")
    s.add_entity("d", 4, 14, "PER")
    s.add_claim("d", 18, 68)
    s.link_claimer("d", "c1", "e1")
    assert s.undo("d").state.claim("c1").claimer is None
    assert s.redo("d").state.claim("c1").claimer == "e1"
    with pytest.raises(OperationError, match="cannot mark done"):
        s.set_status("d", "done")  # the claim's required attributes are missing
    s.set_claim_attributes("d", "c1", {"checkworthy": "yes", "claim_type": "quote"})
    assert s.missing_for_done("d") == []
    assert s.set_status("d", "done").state.status == "done"
    s.save_position("d", 18)
    before = (s.annotations("d"), store.count_log())
    with pytest.raises(OperationError):
        s.add_entity("d", 4, 14, "PER")  # refused: nothing changes
    assert (s.annotations("d"), store.count_log()) == before
    store.release_session("alice")

    store = reopen(store, db)
    try:
        s = AnnotationSession(store, schema, "alice")
        state = s.annotations("d")
        assert state.status == "done" and state.claim("c1").claimer == "e1"
        assert state.claim("c1").attributes["checkworthy"] == "yes"
        assert (s.position().doc_id, s.position().cursor) == ("d", 18)
        assert s.progress().by_status["done"] == 1
        assert s.undo("d").state.status == "in_progress"
        assert s.redo("d").state.status == "done"
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def _schema():
    from annotator.schema import default_schema_path, load_schema

    return load_schema(default_schema_path())


# -- PostgreSQL only ---------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from annotator.errors import OperationError, StoreError, UnstorableTextError
    from annotator.model.annotations import Document
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession
    from annotator.store import open_store

    url, who, parity, words = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    text = " ".join(f"w{i:02d}" for i in range(words))
    store = open_store(url)
    s = AnnotationSession(store, load_schema(default_schema_path()), who)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(words):  # everyone adds every text too: deduplication must hold between writers
        store.add_document(Document(f"doc{i}", f"{text} {i}"))
    conflicts = 0
    for i in range(parity, words, 2):
        while True:
            try:
                s.add_entity("doc0", 4 * i, 4 * i + 3, "PER")
                break
            except (StoreError, OperationError) as exc:
                # the other writer got in first: its version (or the entity id picked from the state before
                # it) is taken; reload and try again, as a person would
                assert "changed by another session" in str(exc) or "already used" in str(exc), exc
                conflicts += 1
    store.close()
    print("done", conflicts, flush=True)
""")


def test_postgres_concurrent_writers_lose_and_duplicate_nothing(pg_cluster):
    url = pg_cluster.new_schema()
    open_store(url).close()  # migrate once, so the writers start together
    words = 40
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, who, str(parity), str(words)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for who, parity in (("alice", 0), ("alice", 1), ("bob", 0))]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [p.stdout.readline().split() for p in procs]
        assert [r[0] for r in results] == ["done"] * 3, results
    finally:
        for p in procs:
            p.kill()
            p.wait()
    store = open_store(url)
    try:
        assert store.count_documents() == words
        assert store.document_ids() == [f"doc{i}" for i in range(words)]
        alice, bob = store.load("doc0", "alice"), store.load("doc0", "bob")
        assert sorted(e.start // 4 for e in alice.entities) == list(range(words))
        assert alice.version == words and len(store.history("doc0", "alice")) == words
        assert sorted(e.start // 4 for e in bob.entities) == list(range(0, words, 2))
        assert store.count_log() == words + words // 2
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_postgres_log_is_append_only(pg_cluster):
    url = pg_cluster.new_schema()
    store = open_store(url)
    store.add_document(Document("d", TEXT))
    AnnotationSession(store, _schema(), "alice").add_entity("d", 4, 14, "PER")
    store.close()
    schema = url.rsplit("%3D", 1)[1]
    for statement in ("DELETE FROM oplog", "UPDATE oplog SET action='undo'", "TRUNCATE oplog"):
        with pytest.raises(Exception, match="append-only"):
            pg_cluster.sql(f"SET search_path TO {schema}; {statement}", pg_server.DATABASE)


def test_postgres_tallies_move_only_what_changed_whatever_the_writers_search_path(pg_cluster):
    """Latency with many people (issue 12 aim 6): the tallies trigger planned two dynamic statements on
    every write and rewrote every tally row of the state twice (minus, then plus); now a write moves only
    the counts that changed (a note rewrites no tally row), and still the tallies beside the annotations
    for a writer whose search_path does not reach them."""
    url = pg_cluster.new_schema()
    store = open_store(url)
    schema = url.rsplit("%3D", 1)[1]

    def rows() -> dict:
        return {(k, n): (count, xmin) for k, n, count, xmin in pg_cluster.sql(
            f"SELECT kind, name, n, xmin::text FROM {schema}.tallies WHERE annotator='alice'", pg_server.DATABASE)}

    try:
        store.add_document(Document("d", TEXT))
        session = AnnotationSession(store, _schema(), "alice")
        session.add_entity("d", 4, 14, "PER")
        before = rows()
        session.set_notes("d", "a note")  # counts unchanged: no tally row written
        assert rows() == before
        session.add_entity("d", 15, 20, "PER")
        after = rows()
        assert after[("status", "in_progress")] == before[("status", "in_progress")]  # untouched
        assert after[("label", "PER")][0] == 2 and after[("label", "PER")][1] != before[("label", "PER")][1]
        pg_cluster.sql(f"UPDATE {schema}.annotations SET annotator='bilal'", pg_server.DATABASE)  # public path
        moved = {(k, n): c for k, n, c in pg_cluster.sql(
            f"SELECT kind, name, n FROM {schema}.tallies WHERE annotator='bilal'", pg_server.DATABASE)}
        assert moved == {("status", "in_progress"): 1, ("label", "PER"): 2}
        assert all(count == 0 for count, _ in rows().values())
        assert store.status_counts("bilal")["in_progress"] == 1 and store.label_counts("bilal") == ({"PER": 2}, 0)
    finally:
        store.close()


def test_postgres_integrity_check_reports_damage(pg_cluster):
    url = pg_cluster.new_schema()
    store = open_store(url)
    store.add_document(Document("d", TEXT))
    AnnotationSession(store, _schema(), "alice").add_entity("d", 4, 14, "PER")
    schema = url.rsplit("%3D", 1)[1]
    pg_cluster.sql(f"UPDATE {schema}.documents SET text = 'x'::bytea", pg_server.DATABASE)
    pg_cluster.sql(f"UPDATE {schema}.annotations SET version = 7", pg_server.DATABASE)
    report = store.integrity_check()
    store.close()
    assert "document d: text does not match its hash" in report
    assert "version 7 but 1 log entries" in report


def test_postgres_a_lost_connection_is_a_clear_error_then_recovers(pg_cluster):
    url = pg_cluster.new_schema()
    store = open_store(url)
    try:
        store.add_document(Document("d", TEXT))
        store.claim_session("alice")
        store.set_position("alice", Position("d", 1))
        backend = store._conn.info.backend_pid
        pg_cluster.sql(f"SELECT pg_terminate_backend({backend})", pg_server.DATABASE)
        time.sleep(0.1)
        with pytest.raises(StoreError, match="lost the connection to the PostgreSQL database .* may not have"):
            store.set_position("alice", Position("d", 2))
        assert store.get_position("alice") == Position("d", 1)  # reads reconnect by themselves
        store.set_position("alice", Position("d", 3))
        with pytest.raises(StoreError, match="already has this store open"):  # the session lock came back too
            _claim_from_another_process(url)
    finally:
        store.close()


def _claim_from_another_process(url):
    proc = subprocess.run([sys.executable, "-c", HOLDER, url], input="", capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise StoreError(proc.stderr.strip().splitlines()[-1])


def test_postgres_connection_problems_are_one_clear_line(pg_cluster):
    with pytest.raises(StoreError, match=r"cannot connect to the PostgreSQL database 'nope' on 127\.0\.0\.1 "
                                         r"port \d+: .*does not exist; create it first"):
        open_store(pg_cluster.url("nope"))
    port = pg_server._free_port()
    with pytest.raises(StoreError, match=rf"cannot connect to the PostgreSQL database 'db' on 127\.0\.0\.1 "
                                         rf"port {port}: .*refused"):
        open_store(f"postgresql://someone:secret@127.0.0.1:{port}/db")
    try:
        open_store(f"postgresql://someone:secret@127.0.0.1:{port}/db")
    except StoreError as exc:
        assert "secret" not in str(exc)


def test_postgres_refuses_a_database_made_by_a_newer_annotator(pg_cluster):
    url = pg_cluster.new_schema()
    open_store(url).close()
    schema = url.rsplit("%3D", 1)[1]
    pg_cluster.sql(f"INSERT INTO {schema}.schema_version VALUES (99, 'later')", pg_server.DATABASE)
    with pytest.raises(StoreError, match="made by a newer annotator"):
        open_store(url)


def test_postgres_a_team_shares_one_database_through_a_group_role(pg_cluster):
    team, alice, bob, carol = (f"{name}_{os.getpid()}" for name in ("team", "alice", "bob", "carol"))
    pg_cluster.sql(f"CREATE ROLE {team} NOLOGIN")
    pg_cluster.sql(f"CREATE ROLE {alice} LOGIN IN ROLE {team}")
    pg_cluster.sql(f"CREATE ROLE {bob} LOGIN IN ROLE {team}")
    pg_cluster.sql(f"CREATE ROLE {carol} LOGIN")
    pg_cluster.sql(f"CREATE DATABASE {team} OWNER {team} ENCODING 'UTF8' TEMPLATE template0")

    def url(who):
        return pg_cluster.url(team).replace(pg_server.SUPERUSER, who)

    store = open_store(url(alice))  # the first to open creates the tables, as the group role
    store.add_document(Document("d", TEXT))
    AnnotationSession(store, _schema(), "alice").add_entity("d", 4, 14, "PER")
    store.close()
    assert pg_cluster.sql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname='public'", team) == [(team,)]
    store = open_store(url(bob))
    try:
        AnnotationSession(store, _schema(), "bob").add_entity("d", 4, 14, "ORG")
        assert store.annotators("d") == ["alice", "bob"]
    finally:
        store.close()
    with pytest.raises(StoreError, match="permission denied .*docs/postgres.md"):
        open_store(url(carol))


def test_postgres_url_passwords_are_never_shown():
    from annotator.store.postgres import redact

    assert redact("postgresql://ann:s3cr%40t@db.lab:5433/team") == "postgresql://ann:***@db.lab:5433/team"
    assert redact("postgres://db.lab/team?user=ann&password=s3cret&sslmode=require") == (
        "postgres://db.lab/team?user=ann&password=***&sslmode=require")
    assert redact("postgresql://ann@db.lab/team") == "postgresql://ann@db.lab/team"


def test_postgres_missing_psycopg_is_an_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(StoreError, match=r"needs the psycopg package: pip install 'annotator\[postgres\]'"):
        open_store("postgresql://someone@127.0.0.1/db")


def test_postgres_import_and_export_through_the_cli(pg_cluster, tmp_path):
    url = pg_cluster.new_database("cli")
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "n1", "text": "قال مصطفى بالي\\r\\nإن\\u0000 القوات", "annotator": "alice", '
                   '"entities": [{"start": 4, "end": 14, "label": "PER"}]}\n'
                   '{"id": "n2", "text": "نص ثانٍ \\ud800"}\n', encoding="utf-8")
    run = [sys.executable, "-m", "annotator"]
    imported = subprocess.run(run + ["import", str(src), "--db", url, "--quiet"], capture_output=True, text=True,
                              timeout=120)
    assert imported.returncode == 0, imported.stderr
    out = tmp_path / "out.jsonl"
    exported = subprocess.run(run + ["export", "--db", url, "-o", str(out)], capture_output=True, text=True,
                              timeout=120)
    assert exported.returncode == 0, exported.stderr
    store = open_store(url)
    try:
        assert store.document_ids() == ["n1", "n2"]
        assert store.get_document("n1").text == "قال مصطفى بالي\r\nإن\x00 القوات"
        assert store.get_document("n2").text == "نص ثانٍ \ud800"
        assert [e.label for e in store.load("n1", "alice").entities] == ["PER"]
    finally:
        store.close()
    exported_text = out.read_text(encoding="utf-8", errors="surrogatepass")
    assert "مصطفى بالي\\r\\nإن\\u0000 القوات" in exported_text and '"PER"' in exported_text
    bad = subprocess.run(run + ["export", "--db", pg_cluster.url("missing_db")], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "cannot connect to the PostgreSQL database 'missing_db'" in bad.stderr


def test_postgres_moving_from_sqlite_to_a_server_through_the_cli(pg_cluster, tmp_path):
    local = tmp_path / "mine.db"
    store = open_store(str(local))
    store.add_document(Document("n1", TEXT))
    store.add_document(Document("n2", "سطر\r\n\u200fثانٍ"))
    AnnotationSession(store, _schema(), "alice").add_entity("n1", 4, 14, "PER")
    AnnotationSession(store, _schema(), "bob").set_status("n2", "skipped")
    store.close()
    dump = tmp_path / "all.jsonl"
    url = pg_cluster.new_schema()
    run = [sys.executable, "-m", "annotator"]
    for step in (["export", "--db", str(local), "-o", str(dump)], ["import", str(dump), "--db", url, "--quiet"]):
        done = subprocess.run(run + step, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    store = open_store(url)
    try:
        assert store.document_ids() == ["n1", "n2"]
        assert store.get_document("n2").text == "سطر\r\n\u200fثانٍ"
        assert store.all_annotators() == ["alice", "bob"]
        assert [e.label for e in store.load("n1", "alice").entities] == ["PER"]
        assert store.statuses("bob") == {"n2": "skipped"}
    finally:
        store.close()


def test_iter_annotations_pages_in_document_then_code_point_order(store, monkeypatch):
    import annotator.store.postgres as postgres_store
    import annotator.store.sql_reads as sql_reads

    monkeypatch.setattr(sql_reads, "BATCH", 2)  # pages of two rows, so paging is crossed many times
    monkeypatch.setattr(postgres_store, "BATCH", 2)
    names = ["zed", "Zoë", "alice", "Émile"]
    for i in range(3):
        store.add_document(Document(f"d{i}", f"{TEXT} {i}"))
        for who in names:
            AnnotationSession(store, _schema(), who).set_notes(f"d{i}", who)
    got = [(a.doc_id, a.annotator, a.notes) for a in store.iter_annotations()]
    assert got == [(f"d{i}", who, who) for i in range(3) for who in sorted(names)]
    assert [a.doc_id for a in store.iter_annotations("Émile")] == ["d0", "d1", "d2"]
    assert [d.id for d in store.iter_documents()] == ["d0", "d1", "d2"]


def test_postgres_a_killed_writer_leaves_whole_actions_only(pg_cluster):
    url = pg_cluster.new_schema()
    open_store(url).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url, "alice", "0", "400"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    store = open_store(url)
    try:
        assert writer.stdout.readline().strip() == "ready"
        writer.stdin.write("go\n")
        writer.stdin.flush()
        deadline = time.monotonic() + 60
        while store.count_log() < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        writer.kill()
        writer.wait()
        state = store.load("doc0", "alice")
        assert 5 <= state.version < 200
        assert len(state.entities) == state.version == len(store.history("doc0", "alice"))
        assert store.integrity_check() == "ok"
        _claim_eventually(store, "alice")
    finally:
        writer.kill()
        store.close()


def test_postgres_skips_with_the_reason_when_the_server_is_not_installed(monkeypatch):
    monkeypatch.setattr(pg_server, "find_bindir", lambda: None)
    assert pg_server.skip_reason() == "PostgreSQL server binaries not installed (Debian package postgresql)"


def test_sqlite_users_never_load_psycopg(tmp_path):
    code = ("import sys; from annotator.store import open_store; import annotator.cli; "
            f"s = open_store({str(tmp_path / 'x.db')!r}); s.close(); "
            "assert not any(m.split('.')[0] == 'psycopg' for m in sys.modules), 'psycopg loaded'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# -- assignments and the dynamic queue (issue 11) -----------------------------------------


def _docs(store, n):
    ids = [f"d{i}" for i in range(1, n + 1)]
    for i, doc_id in enumerate(ids):
        store.add_document(Document(doc_id, f"{TEXT} {i}"))
    return ids


def test_the_queue_and_a_take_in_one_call(store):
    """``next_in_queue``: the setting and the queue as ``setting_and_assigned`` reads them, and the take only when the
    setting is the one the caller saw and nothing follows ``after`` in the queue, with the annotator's state on the
    taken document (a team's next document and its first label one round trip each, where each was two). It says
    whether it tried the take, so its caller need not decide that rule again: tried and nothing taken is "none
    left", not tried is "read the next one from the queue"."""
    from annotator.assignment import DynamicQueue

    _docs(store, 4)
    seen = DynamicQueue(2, 600).to_setting()
    store.set_setting("assignment", seen)

    def step(who, after, expected=seen):
        answer = store.next_in_queue("assignment", who, after, expected, 2, 600)
        assert answer.state == (store.load(answer.taken, who) if answer.taken is not None else None)
        return answer.setting, answer.queue, answer.tried, answer.taken

    assert step("amal", None) == (seen, [], True, "d1")  # nothing yet: taken
    assert step("amal", None) == (seen, ["d1"], False, None)  # d1 comes first
    assert step("amal", "d1") == (seen, ["d1"], True, "d2")  # d1 was the last
    assert step("amal", "d1") == (seen, ["d1", "d2"], False, None)  # d2 follows
    old = store.load("d3", "amal")  # noted before it is taken: its state comes with the take
    store.commit("d3", "amal", 0, old.with_(notes="x"), "do", SetNotes("x"), SetNotes(""), None)
    assert step("amal", "gone") == (seen, ["d1", "d2"], True, "d3")  # not in it
    assert store.load("d3", "amal").notes == "x"
    assert step("amal", "d3", "another") == (seen, ["d1", "d2", "d3"], False, None)
    store.set_setting("assignment", None)  # no longer a dynamic queue: nothing taken
    assert step("amal", "d3") == (None, ["d1", "d2", "d3"], False, None)
    assert step("carol", None) == (None, [], False, None)
    store.set_setting("assignment", seen)
    with store.transaction():  # joining a transaction: taken in it
        assert step("carol", None) == (seen, [], True, "d1")
    for who in ("amal", "carol"):  # every place of d1..d4 at overlap 2 taken, then none left
        while step(who, store.assigned_documents(who)[-1] if store.assigned_documents(who) else None)[3]:
            pass
    assert step("amal", "d4") == (seen, ["d1", "d2", "d3", "d4"], True, None)  # tried: none left
    assert store.assignments() == {d: ["amal", "carol"] for d in ("d1", "d2", "d3", "d4")}


def test_assignments_are_dealt_listed_and_kept(store, db):
    _docs(store, 4)
    assert store.assignments() == {} and store.assigned_documents("alice") == []
    assert store.assign([("d3", "alice"), ("d1", "alice"), ("d1", "Bob"), ("d3", "عمر")]) == 4
    time.sleep(0.01)  # a later deal: its assignments come later in the queue
    assert store.assign([("d1", "alice"), ("d2", "alice")]) == 1  # an existing pair is kept, not doubled
    store = reopen(store, db)
    try:
        # document order; names in code-point order, whatever the locale
        assert store.assignments() == {"d1": ["Bob", "alice"], "d2": ["alice"], "d3": ["alice", "عمر"]}
        assert store.assigned_documents("alice") == ["d1", "d3", "d2"]  # in the order given, each deal in order
        assert store.assigned_documents("nobody") == []
    finally:
        store.close()


def test_assigning_is_all_or_nothing(store):
    _docs(store, 2)
    with pytest.raises(StoreError):
        store.assign([("d1", "alice"), ("no-such-document", "alice")])
    with pytest.raises(UnstorableTextError):
        store.assign([("d1", "al\x00ice")])
    assert store.assignments() == {}


def test_unassign_returns_only_unfinished_documents(store):
    _docs(store, 4)
    s = AnnotationSession(store, _schema(), "alice")
    s.set_status("d1", "done")
    s.add_entity("d2", 4, 14, "PER")
    s.set_status("d4", "skipped")
    store.assign([(d, "alice") for d in ("d1", "d2", "d3", "d4")] + [("d2", "bob")])
    assert store.unassign("alice") == ["d2", "d3", "d4"]  # unfinished: every status but done
    assert store.assignments() == {"d1": ["alice"], "d2": ["bob"]}
    assert s.annotations("d2").entities  # the labels stay; only the assignment goes
    assert store.unassign("alice") == []


def test_project_settings_are_kept(store, db):
    assert store.get_setting("assignment") is None
    store.set_setting("assignment", '{"a": 1}')
    store.set_setting("assignment", '{"a": 2}')
    store = reopen(store, db)
    try:
        assert store.get_setting("assignment") == '{"a": 2}'
        store.set_setting("assignment", None)
        assert store.get_setting("assignment") is None
    finally:
        store.close()


def test_taking_respects_the_overlap_and_the_document_order(store):
    _docs(store, 3)
    AnnotationSession(store, _schema(), "dave").add_entity("d3", 4, 14, "PER")  # labelled without taking
    assert store.take_document("alice", 2, 600) == "d1"
    assert store.take_document("bob", 2, 600) == "d1"
    assert store.take_document("carol", 2, 600) == "d2"  # d1 has its two
    assert store.take_document("alice", 2, 600) == "d2"  # never the same document twice
    assert store.take_document("alice", 2, 600) == "d3"  # dave works on d3 too
    assert store.take_document("erin", 2, 600) is None
    assert store.take_document("dave", 2, 600) is None  # d3 is already his
    assert store.assignments() == {"d1": ["alice", "bob"], "d2": ["alice", "carol"], "d3": ["alice"]}
    assert store.assigned_documents("alice") == ["d1", "d2", "d3"]


def test_an_untouched_lease_lapses_and_a_touched_one_stays(store):
    _docs(store, 3)
    assert store.take_document("alice", 1, 0) == "d1"  # a lease of 0 s: lapsed at once, untouched
    assert store.assigned_documents("alice") == [] and store.assignments() == {}
    assert store.take_document("bob", 1, 0) == "d1"  # back in the pool
    AnnotationSession(store, _schema(), "bob").add_entity("d1", 4, 14, "PER")  # touched: his for good
    assert store.take_document("carol", 1, 0) == "d2"
    assert store.assignments() == {"d1": ["bob"]}  # carol's d2 lapsed meanwhile
    assert store.take_document("alice", 1, 3600) == "d2"
    assert store.assigned_documents("alice") == ["d2"] and store.assigned_documents("bob") == ["d1"]
    store.assign([("d3", "carol")])
    assert store.take_document("erin", 1, 600) is None  # d3 was dealt to carol: dealt means taken
    assert store.assignments() == {"d1": ["bob"], "d2": ["alice"], "d3": ["carol"]}


def test_a_dealt_assignment_replaces_a_lapsed_lease(store):
    _docs(store, 1)
    assert store.take_document("alice", 1, 0) == "d1"
    assert store.assign([("d1", "alice")]) == 1
    assert store.assignments() == {"d1": ["alice"]}  # dealt: it never lapses


TAKER = textwrap.dedent("""
    import sys
    from annotator.store import open_store
    store = open_store(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    taken = []
    while (doc := store.take_document(sys.argv[2], 2, 600)) is not None:
        taken.append(doc)
    store.close()
    print(" ".join(taken), flush=True)
""")


def test_concurrent_takers_never_exceed_the_overlap(store, db):
    ids = _docs(store, 12)
    procs = [subprocess.Popen([sys.executable, "-c", TAKER, db, f"p{i}"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for i in range(4)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        taken = {f"p{i}": p.stdout.readline().split() for i, p in enumerate(procs)}
    finally:
        for p in procs:
            p.kill()
            p.wait()
    per_doc = {doc_id: sorted(who for who, docs in taken.items() if doc_id in docs) for doc_id in ids}
    assert all(len(names) == 2 for names in per_doc.values()), per_doc  # every document twice, none thrice
    assert all(len(docs) == len(set(docs)) for docs in taken.values())
    assert store.assignments() == per_doc


@pytest.mark.parametrize("in_transaction", [False, True], ids=["alone", "in-a-transaction"])
def test_a_taker_waits_for_a_row_another_taker_holds_instead_of_finding_nothing(pg_cluster, in_transaction):
    """The flaky concurrent-takers test, made certain: every takeable row locked by another taker at
    that instant (SKIP LOCKED sees none) is not "nothing to take"; the taker waits for the row. The same
    when the take joins a store transaction (the server's function then runs in its savepoint)."""
    import contextlib
    import threading

    import psycopg

    db = pg_cluster.new_schema()
    store = open_store(db)
    try:
        _docs(store, 1)

        def take() -> None:
            with store.transaction() if in_transaction else contextlib.nullcontext():
                got.append(store.take_document("bob", 2, 600))

        with psycopg.connect(db) as other:  # another taker in the middle of taking d1
            other.execute("SELECT id FROM documents WHERE id='d1' FOR NO KEY UPDATE")
            got: list = []
            taker = threading.Thread(target=take)
            taker.start()
            taker.join(1.0)
            assert taker.is_alive() and got == []  # waiting for the row, not reporting the pool empty
            other.execute("INSERT INTO assignments(doc_id, annotator, assigned_at, expires_at, taken_seq) "
                          "VALUES ('d1', 'alice', '2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', 0)")
            other.commit()
        taker.join(30)
        assert got == ["d1"]  # alice filled one place of two: bob takes the other
        assert store.assignments() == {"d1": ["alice", "bob"]}
    finally:
        store.close()


def test_a_take_is_one_round_trip_on_postgres(pg_cluster):
    """Latency with many people (issue 12 aim 6): a take ran BEGIN, the lapsed leases' DELETE, the locking
    SELECT, the INSERT and COMMIT, five round trips with a row lock held across them; it is one call of the
    database's function (migration 12), on every connection, a new one and a reset one too, without making
    anything first (each connection made a temporary function on its first take)."""
    store = open_store(pg_cluster.new_schema())
    try:
        _docs(store, 3)
        sent: list[str] = []
        store._conn = _CountingCursors(store._conn, sent)
        assert store.take_document("alice", 2, 600) == "d1"
        assert sent == ["SELECT annotator_take(%s, %s, %s)"], sent
        sent.clear()
        assert store.take_document("bob", 2, 600) == "d1"
        assert sent == ["SELECT annotator_take(%s, %s, %s)"], sent
        store._conn._conn.close()  # the connection is lost: a new one
        assert store.take_document("carol", 2, 600) == "d2"
        store._conn.execute("DISCARD ALL")  # a pooler resetting the server session
        assert store.take_document("alice", 2, 600) == "d2"
        with store.transaction():  # joining a transaction: the same call, in its savepoint
            assert store.take_document("alice", 2, 600) == "d3"
        assert store.assignments() == {"d1": ["alice", "bob"], "d2": ["alice", "carol"], "d3": ["alice"]}
    finally:
        store._conn = getattr(store._conn, "_conn", store._conn)
        store.close()


def test_a_take_needs_no_temporary_right(pg_cluster):
    """A login without the TEMP right on its database takes in one call like any other (it ran the take's
    statements one round trip each, when the take was a temporary function)."""
    url = pg_cluster.new_database("notemp")
    name = url.rsplit("/", 1)[1]
    role = f"r_{name}"
    pg_cluster.sql(f'CREATE ROLE "{role}" LOGIN')
    pg_cluster.sql(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
    pg_cluster.sql(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
    pg_cluster.sql(f'REVOKE TEMPORARY ON DATABASE "{name}" FROM "{role}"')
    store = open_store(url.replace(f"{pg_server.SUPERUSER}@", f"{role}@"))
    try:
        _docs(store, 2)
        sent: list[str] = []
        store._conn = _CountingCursors(store._conn, sent)
        assert store.take_document("alice", 2, 600) == "d1"
        assert sent == ["SELECT annotator_take(%s, %s, %s)"], sent
        assert store.take_document("bob", 2, 600) == "d1"
        assert store.take_document("carol", 2, 600) == "d2"
        assert store.assignments() == {"d1": ["alice", "bob"], "d2": ["carol"]}
    finally:
        store._conn = getattr(store._conn, "_conn", store._conn)
        store.close()


class _CountingCursors:
    """A connection's cursors, counting the statements sent through them (and the BEGINs)."""

    def __init__(self, conn, sent: list[str]) -> None:
        self._conn, self._sent = conn, sent

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def transaction(self, *args, **kwargs):
        self._sent.append("BEGIN")
        return self._conn.transaction(*args, **kwargs)

    def cursor(self, *args, **kwargs):
        cur, sent = self._conn.cursor(*args, **kwargs), self._sent

        class Counting:
            def __enter__(self):
                cur.__enter__()
                return self

            def __exit__(self, *exc):
                return cur.__exit__(*exc)

            def execute(self, sql, params=None, **kwargs):
                sent.append(" ".join(str(sql).split())[:40])
                return cur.execute(sql, params, **kwargs)

        return Counting()


def test_an_action_is_written_in_one_statement_and_a_stale_one_still_refused(pg_cluster):
    """Latency with many people (issue 12 aim 6): every action is one statement, its own transaction (was
    BEGIN, SELECT … FOR UPDATE, UPDATE or INSERT, INSERT, COMMIT); the version check and the state written
    are those of the full transaction, which still runs when the row is not as read."""
    db = pg_cluster.new_schema()
    store = open_store(db)
    try:
        _docs(store, 1)
        session = AnnotationSession(store, _schema(), "amal")
        sent: list[str] = []
        store._conn = _CountingCursors(store._conn, sent)
        first = session.add_entity("d1", 4, 9, "PER").state  # the first write too (after the state's read)
        assert sent == ["SELECT a.state, d.seq, m.chars, m.step, ", "WITH written AS ( INSERT INTO annotation"], sent
        assert first.version == 1 and first.created_at == first.updated_at
        with pytest.raises(StoreError, match="changed by another session"):  # a second "first" write: refused
            store.commit("d1", "amal", 0, first.with_(notes="again"), "do", SetNotes("again"), None, None)
        sent.clear()
        second = session.add_entity("d1", 10, 14, "ORG").state
        assert len(sent) == 1 and sent[0].startswith("WITH written AS ( UPDATE"), sent
        assert second.version == 2 and second.created_at == first.created_at
        assert store.load("d1", "amal") == second
        assert [e.action for e in store.history("d1", "amal")] == ["do", "do"]
        with pytest.raises(StoreError, match="changed by another session"):  # a stale version: refused
            store.commit("d1", "amal", 1, second.with_(notes="stale"), "do", SetNotes("stale"), None, None)
        assert store.load("d1", "amal") == second and len(store.history("d1", "amal")) == 2
        with psycopg_connect(db) as conn:  # the row's created_at differs from the state's: the full transaction
            conn.execute("UPDATE annotations SET created_at='2020-01-01T00:00:00.000Z'")
        third = session.set_status("d1", "done").state
        assert third.created_at == "2020-01-01T00:00:00.000Z" and third.version == 3
        assert store.statuses("amal") == {"d1": "done"} and store.integrity_check() == "ok"
    finally:
        store._conn = getattr(store._conn, "_conn", store._conn)
        store.close()


def psycopg_connect(db):
    import psycopg

    return psycopg.connect(db, autocommit=True)


def test_an_actions_statements_run_on_one_kept_cursor(pg_cluster):
    """Latency with many people (issue 12 aim 6): making and closing a cursor cost about a third of the client's time
    of one of an action's statements; the take, the reads of an action and the one-statement writes run on one cursor
    kept with the connection, made once (a new one only with a new connection)."""
    from annotator.assignment import SETTING, DynamicQueue

    store = open_store(pg_cluster.new_schema())
    try:
        _docs(store, 3)
        store.set_setting(SETTING, DynamicQueue(2, 600).to_setting())
        session = AnnotationSession(store, _schema(), "amal")
        sent: list[str] = []
        made: list[int] = []

        class Made(_CountingCursors):
            def cursor(self, *args, **kwargs):
                made.append(1)
                return super().cursor(*args, **kwargs)

        store._conn = Made(store._conn, sent)
        doc = None
        for _ in range(2):
            doc = session.next_document(doc)
            session.add_entity(doc, 4, 9, "PER")
            session.add_entity(doc, 10, 14, "ORG")
            session.set_status(doc, "done")
        assert len(sent) == 10 and len(made) == 1, (sent, made)  # the first: the setting, the take, the state, 3 writes
    finally:
        store._conn = getattr(store._conn, "_conn", store._conn)
        store.close()
    assert store._cur is None  # closed with its connection, not kept referenced
