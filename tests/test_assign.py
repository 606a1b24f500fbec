"""Assignment (issue 11 §1): dealing is exact, balanced and deterministic; ``annotator assign``;
the annotator's own queue in the session and the app; the dynamic queue."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.assignment import AssignmentError, DynamicQueue, deal, loads
from annotator.cli import main
from annotator.errors import OperationError
from annotator.model.annotations import Document
from annotator.session import AnnotationSession
from annotator.store import open_store

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."

# -- dealing (pure) --------------------------------------------------------------------------

names = st.lists(st.text("abcdefghij", min_size=1, max_size=3), min_size=1, max_size=7, unique=True)


@st.composite
def dealings(draw):
    team = draw(names)
    overlap = draw(st.integers(1, len(team)))
    docs = [f"doc{i}" for i in range(draw(st.integers(0, 40)))]
    return team, overlap, docs, draw(st.integers(0, 2**32))


def _spread(per: dict[str, int], team) -> int:
    counts = [per.get(n, 0) for n in team]
    return max(counts) - min(counts)


@settings(max_examples=200, deadline=None)
@given(dealings())
def test_each_document_gets_exactly_overlap_different_annotators_and_loads_within_one(case):
    team, overlap, docs, seed = case
    pairs = deal(docs, team, overlap, {}, seed)
    per_doc: dict[str, list[str]] = {}
    for doc_id, name in pairs:
        per_doc.setdefault(doc_id, []).append(name)
    assert sorted(per_doc) == sorted(docs)
    assert all(len(v) == overlap == len(set(v)) and set(v) <= set(team) for v in per_doc.values())
    assert _spread(loads(per_doc), team) <= 1


@settings(max_examples=200, deadline=None)
@given(dealings(), st.integers(0, 30), st.integers(0, 2**32))
def test_dealing_again_only_deals_the_new_and_keeps_loads_within_one(case, more, seed2):
    team, overlap, docs, seed = case
    first = deal(docs, team, overlap, {}, seed)
    existing: dict[str, list[str]] = {}
    for doc_id, name in first:
        existing.setdefault(doc_id, []).append(name)
    new_docs = [f"new{i}" for i in range(more)]
    second = deal(docs + new_docs, team, overlap, existing, seed2)
    assert {d for d, _ in second} == set(new_docs)  # what was assigned is not dealt again
    for doc_id, name in second:
        existing.setdefault(doc_id, []).append(name)
    assert _spread(loads(existing), team) <= 1
    assert all(len(v) == overlap == len(set(v)) for v in existing.values())


@settings(max_examples=100, deadline=None)
@given(dealings(), st.randoms(use_true_random=False))
def test_dealing_is_deterministic_for_a_seed_whatever_the_order_of_names(case, rnd):
    team, overlap, docs, seed = case
    shuffled = list(team)
    rnd.shuffle(shuffled)
    assert deal(docs, team, overlap, {}, seed) == deal(docs, shuffled, overlap, {}, seed)


@settings(max_examples=100, deadline=None)
@given(dealings(), st.data())
def test_partly_assigned_documents_are_filled_up_with_others(case, data):
    team, overlap, docs, seed = case
    existing = {d: [data.draw(st.sampled_from(team))] for d in docs if data.draw(st.booleans())}
    pairs = deal(docs, team, overlap, existing, seed)
    final = {d: list(existing.get(d, [])) for d in docs}
    for doc_id, name in pairs:
        assert name not in final[doc_id]
        final[doc_id].append(name)
    assert all(len(v) == max(overlap, len(existing.get(d, []))) for d, v in final.items())


def test_seeds_vary_the_pairs():
    team, docs = ["a", "b", "c", "d"], [f"d{i}" for i in range(12)]
    one, two = deal(docs, team, 2, {}, 1), deal(docs, team, 2, {}, 2)
    assert one != two
    pairs = Counter(tuple(sorted(n for d2, n in one if d2 == d)) for d in docs)
    assert len(pairs) > 2  # not always the same two people together: agreement needs mixed pairs


@pytest.mark.parametrize("team, overlap, message", [
    (["a"], 2, "--overlap 2 needs at least 2 annotators, but --annotators names 1"),
    (["a", "a"], 1, "annotator 'a' is named twice"),
    (["a", ""], 1, "annotator name is empty"),
    (["a", "b\x1bc"], 1, "holds a control character"),
    (["a"], 0, "--overlap must be at least 1"),
])
def test_impossible_dealing_is_a_clear_error(team, overlap, message):
    with pytest.raises(AssignmentError, match=message):
        deal(["d1"], team, overlap, {}, 0)


def test_the_dynamic_setting_round_trips_and_ignores_what_it_does_not_understand():
    q = DynamicQueue(2, 1800.0)
    assert DynamicQueue.from_setting(q.to_setting()) == q
    for bad in (None, "", "nope", '{"mode": "static"}', '{"mode": "dynamic", "overlap": 0, "lease_seconds": 1}',
                '{"mode": "dynamic", "overlap": true, "lease_seconds": 1}', "[]"):
        assert DynamicQueue.from_setting(bad) is None


# -- annotator assign --------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "team.db"
    store = open_store(str(path))
    for i in range(10):
        store.add_document(Document(f"doc{i}", f"{TEXT} {i}"))
    store.close()
    return str(path)


def assign(capsys, *args):
    code = main(["assign", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys, db) -> dict[str, list[str]]:
    code, out, err = assign(capsys, "--db", db, "--list", "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_assign_deals_lists_and_deals_only_the_new_again(capsys, db):
    code, out, err = assign(capsys, "--db", db, "--annotators", "a,b,c,d", "--overlap", "2", "--seed", "7")
    assert code == 0, err
    assert "dealt 20 assignment(s) over 10 document(s) to 4 annotator(s) (overlap 2, seed 7)" in out
    assert "loads: a 5, b 5, c 5, d 5" in out
    first = listed(capsys, db)
    assert list(first) == [f"doc{i}" for i in range(10)]
    assert all(len(v) == 2 for v in first.values())
    store = open_store(db)
    for i in range(10, 13):
        store.add_document(Document(f"doc{i}", f"{TEXT} {i}"))
    store.close()
    code, out, err = assign(capsys, "--db", db, "--annotators", "a,b,c,d", "--overlap", "2")
    assert "dealt 6 assignment(s) over 3 document(s)" in out
    assert "10 document(s) already had 2 or more annotators: left as they were" in out
    second = listed(capsys, db)
    assert {d: second[d] for d in first} == first
    per = loads(second)
    assert max(per.values()) - min(per.values()) <= 1 and sum(per.values()) == 26


def test_assign_is_deterministic_for_a_seed(capsys, tmp_path, db):
    other = tmp_path / "copy.db"
    store = open_store(str(other))
    for doc in open_store(db).iter_documents():
        store.add_document(doc)
    store.close()
    for target in (db, str(other)):
        assert assign(capsys, "--db", target, "--annotators", "d,c,b,a", "--overlap", "2", "--seed", "3")[0] == 0
    assert listed(capsys, db) == listed(capsys, str(other))


def test_unassign_returns_unfinished_documents_for_dealing_again(capsys, db, news_schema):
    assign(capsys, "--db", db, "--annotators", "a,b", "--overlap", "1")
    store = open_store(db)
    mine = store.assigned_documents("a")
    AnnotationSession(store, news_schema, "a").set_status(mine[0], "done")
    store.close()
    code, out, err = assign(capsys, "--db", db, "--unassign", "a")
    assert code == 0 and f"returned {len(mine) - 1} unfinished document(s) of a to the pool" in out
    assert [d for d, names in listed(capsys, db).items() if "a" in names] == [mine[0]]
    code, out, err = assign(capsys, "--db", db, "--annotators", "b,c", "--overlap", "1")
    after = listed(capsys, db)
    assert set(after) == {f"doc{i}" for i in range(10)}
    assert {d for d, names in after.items() if "c" in names} == set(mine[1:])


def test_assign_documents_file_and_status(capsys, db, tmp_path, news_schema):
    ids = tmp_path / "ids.txt"
    ids.write_text("doc3\n\n  doc1 \r\ndoc3\n", encoding="utf-8")
    assert assign(capsys, "--db", db, "--annotators", "a,b", "--documents", ids)[0] == 0
    assert list(listed(capsys, db)) == ["doc1", "doc3"]
    store = open_store(db)
    AnnotationSession(store, news_schema, "z").add_entity("doc5", 4, 14, "PER")
    store.close()
    assert assign(capsys, "--db", db, "--annotators", "a,b", "--status", "todo")[0] == 0
    assert set(listed(capsys, db)) == {f"doc{i}" for i in range(10)} - {"doc5"}  # z has started doc5


def test_unknown_ids_are_each_reported_with_file_and_line_and_nothing_is_assigned(capsys, db, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_bytes(b"doc1\nnope\ndoc2\n\xff\xfe\nbad\x1b[2J\n")
    code, out, err = assign(capsys, "--db", db, "--annotators", "a,b", "--documents", ids)
    assert code == 2
    assert f"{ids}:2: no document 'nope' in the store" in err
    assert f"{ids}:4: not UTF-8" in err
    assert f"{ids}:5: document id" in err and "\x1b" not in err  # escaped, never raw
    assert "3 line(s) name no document of the store (see above); nothing was assigned" in err
    assert listed(capsys, db) == {}


@pytest.mark.parametrize("args, message", [
    (["--annotators", "a", "--overlap", "2"], "--overlap 2 needs at least 2 annotators"),
    (["--annotators", "a,,b"], "annotator name is empty"),
    (["--annotators", "a,b", "--documents", "/nonexistent/ids.txt"], "/nonexistent/ids.txt: cannot read it"),
    ([], "say what to do"),
    (["--list", "--overlap", "2"], "--overlap goes with --annotators or --dynamic"),
    (["--dynamic", "--lease", "0"], "--lease must be a positive number of minutes"),
    (["--unassign", "x\x07"], "holds a control character"),
])
def test_assign_mistakes_are_one_clear_line(capsys, db, args, message):
    code, out, err = assign(capsys, "--db", db, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_assign_on_a_missing_store_is_an_error_and_creates_nothing(capsys, tmp_path):
    missing = tmp_path / "nope.db"
    code, out, err = assign(capsys, "--db", missing, "--list")
    assert code == 2 and "no annotation store at" in err and not missing.exists()


def test_list_says_when_nothing_is_assigned(capsys, db):
    code, out, err = assign(capsys, "--db", db, "--list")
    assert (code, out, err) == (0, "", "no document is assigned\n")


def test_list_json_never_carries_a_raw_terminal_control(capsys, tmp_path):
    db = str(tmp_path / "t.db")
    store = open_store(db)
    store.add_document(Document("وثيقة\u202e\u0085", TEXT))
    store.assign([("وثيقة\u202e\u0085", "أمل")])
    store.close()
    code, out, err = assign(capsys, "--db", db, "--list", "--format", "json")
    assert "\u202e" not in out and "\u0085" not in out and "وثيقة" in out
    assert json.loads(out) == {"وثيقة\u202e\u0085": ["أمل"]}


# -- the annotator's queue ---------------------------------------------------------------------


@pytest.fixture
def store(db):
    s = open_store(db)
    yield s
    s.close()


def test_a_store_without_assignments_behaves_as_before(store, news_schema):
    s = AnnotationSession(store, news_schema, "a")
    assert s.document_ids() == store.document_ids()
    assert s.progress().total == 10
    assert s.next_document("doc9") is None and s.next_document("doc3") == "doc4"


def test_an_annotator_with_assignments_sees_their_own_queue(store, news_schema):
    store.assign([("doc7", "a"), ("doc2", "a"), ("doc4", "b")])
    a, b, c = (AnnotationSession(store, news_schema, n) for n in "abc")
    assert a.document_ids() == ["doc2", "doc7"] and b.document_ids() == ["doc4"]
    assert c.document_ids() == store.document_ids()  # no assignments of their own: every document
    a.set_status("doc7", "done")
    a.set_status("doc5", "done")  # outside the queue: not counted in it
    p = a.progress()
    assert (p.total, p.finished, p.by_status["todo"]) == (2, 1, 1)
    assert a.next_document("doc2") == "doc7" and a.next_document("doc7") is None


def test_dynamic_mode_takes_when_the_queue_is_exhausted(capsys, db, news_schema):
    assert assign(capsys, "--db", db, "--dynamic", "--overlap", "2", "--lease", "5")[0] == 0
    store = open_store(db)
    try:
        assert DynamicQueue.from_setting(store.get_setting("assignment")) == DynamicQueue(2, 300.0)
        a, b, c = (AnnotationSession(store, news_schema, n) for n in "abc")
        assert a.document_ids() == ["doc0"]  # opening the app takes one
        assert a.document_ids() == ["doc0"]  # and not another while it is unfinished
        assert a.next_document("doc0") == "doc1"  # past the end: the next one, taken
        assert b.next_document() == "doc0"
        assert c.next_document() == "doc1" and c.next_document("doc1") == "doc2"  # doc0 has its two
        assert a.progress().total == 2
        assert listed(capsys, db)["doc0"] == ["a", "b"]
        assert assign(capsys, "--db", db, "--no-dynamic")[0] == 0
        assert a.next_document("doc1") is None and a.document_ids() == ["doc0", "doc1"]
    finally:
        store.close()


class _Reads:
    """A store that counts the calls of its reads that are a round trip each to a team's server."""

    COUNTED = ("load", "get_setting", "assigned_documents", "setting_and_assigned", "take_document", "get_document",
               "commit")

    def __init__(self, store) -> None:
        self._store, self.calls = store, Counter()

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if name not in self.COUNTED:
            return attr

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted


def test_a_team_action_reads_what_it_needs_once(store, news_schema):
    """Latency with many people (issue 12 aim 6): on a team's server every read is a round trip, so
    taking the next document read the queue setting twice, and labelling read the state twice; now a
    label reads the state only when this session did not save it last."""
    store.set_setting("assignment", DynamicQueue(2, 600).to_setting())
    counting = _Reads(store)
    s = AnnotationSession(counting, news_schema, "a")
    assert s.next_document() == "doc0"
    assert counting.calls == Counter(setting_and_assigned=1, take_document=1)  # the setting and queue: one read
    for reads, label in ((1, s.add_entity), (0, s.add_claim)):
        counting.calls.clear()
        change = label("doc0", 0, 3) if label == s.add_claim else label("doc0", 0, 3, "PER")
        assert counting.calls["load"] == reads and counting.calls["commit"] == 1, counting.calls
        assert store.load("doc0", "a") == change.state
    counting.calls.clear()
    s.set_status("doc0", "skipped")
    assert counting.calls["load"] == 0 and counting.calls["commit"] == 1
    assert len(store.load("doc0", "a").entities) == 1 and len(store.load("doc0", "a").claims) == 1


def test_an_action_on_a_state_another_writer_changed_is_planned_again_on_the_stored_one(store, news_schema):
    """The state a session saved last stands in for a read; when another writer (pre-annotate, a second
    session object) came first, the store refuses the stale version, nothing is written, and the action
    is planned again on the state read afresh: both writers' labels are kept, the new id not reused."""
    counting = _Reads(store)
    s = AnnotationSession(counting, news_schema, "a")
    first = s.add_entity("doc0", 0, 3, "PER")
    AnnotationSession(store, news_schema, "a").add_entity("doc0", 4, 8, "LOC")  # another writer, same person
    counting.calls.clear()
    third = s.add_entity("doc0", 9, 12, "ORG")
    assert counting.calls["commit"] == 2 and counting.calls["load"] == 1  # refused once, then read and saved
    stored = store.load("doc0", "a")
    assert stored == third.state and stored.version == first.state.version + 2
    assert sorted((e.start, e.label) for e in stored.entities) == [(0, "PER"), (4, "LOC"), (9, "ORG")]
    assert len({e.id for e in stored.entities}) == 3
    assert len(store.history("doc0", "a")) == 3


def test_the_state_read_with_a_take_is_a_base_planned_again_when_another_writer_came_first(store, news_schema):
    """Once the session has seen the queue setting, the next document comes with the annotator's state on it
    (``Store.next_in_queue``), and the first label starts from that state without reading it; when another writer
    changed it meanwhile, the stale version is refused and the label planned again on the stored state."""
    store.set_setting("assignment", DynamicQueue(2, 600).to_setting())
    counting = _Reads(store)
    s = AnnotationSession(counting, news_schema, "a")
    assert s.next_document() == "doc0"  # the setting not seen yet: read, then the take
    s.set_status("doc0", "done")
    assert s.next_document("doc0") == "doc1"
    counting.calls.clear()
    s.add_entity("doc1", 0, 3, "PER")  # from the state that came with the take
    assert counting.calls["load"] == 0 and counting.calls["commit"] == 1, counting.calls
    assert s.next_document("doc1") == "doc2"
    AnnotationSession(store, news_schema, "a").add_entity("doc2", 4, 8, "LOC")  # another writer, same person
    counting.calls.clear()
    saved = s.add_entity("doc2", 9, 12, "ORG")
    assert counting.calls["commit"] == 2 and counting.calls["load"] == 1  # refused once, then read and saved
    assert store.load("doc2", "a") == saved.state
    assert sorted((e.start, e.label) for e in saved.state.entities) == [(4, "LOC"), (9, "ORG")]


def test_an_action_refused_only_by_what_another_writer_changed_is_planned_on_the_stored_state(store, news_schema):
    s = AnnotationSession(store, news_schema, "a")
    first = s.add_entity("doc0", 0, 3, "PER")
    AnnotationSession(store, news_schema, "a").remove_entity("doc0", first.state.entities[0].id)  # another writer
    again = s.add_entity("doc0", 0, 3, "PER")  # the span is free in the store, not in the state saved last
    assert [(e.start, e.label) for e in store.load("doc0", "a").entities] == [(0, "PER")] == \
        [(e.start, e.label) for e in again.state.entities]
    with pytest.raises(OperationError):  # a real refusal is still one
        s.add_entity("doc0", 0, 3, "PER")


def test_a_write_that_failed_for_another_reason_is_not_tried_again(store, news_schema):
    """Only a refused stale version is planned again: a write that failed otherwise (a lost connection
    may have saved it) is reported, never sent twice."""
    from annotator.errors import StoreError

    s = AnnotationSession(_Reads(store), news_schema, "a")
    s.add_entity("doc0", 0, 3, "PER")
    sent = []

    def lost(*args, **kwargs):
        sent.append(args)
        raise StoreError("lost the connection; the last action may not have been saved")

    s.store.commit = lost
    with pytest.raises(StoreError, match="lost the connection"):
        s.add_entity("doc0", 4, 8, "LOC")
    assert len(sent) == 1


# -- the app -------------------------------------------------------------------------------------


async def test_the_app_shows_the_annotators_queue_and_takes_past_its_end(tmp_path):
    from test_tui_support import SIZE, make_app, make_session

    from annotator.tui.widgets.doc_header import DocHeader

    session = make_session(tmp_path / "t.db")  # a_mixed, b_second, c_third
    session.store.assign([("c_third", "tester"), ("a_mixed", "tester"), ("b_second", "other")])
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert screen.documents.queue == ["a_mixed", "c_third"] and screen.doc_id == "a_mixed"
        await pilot.press("n")
        assert screen.doc_id == "c_third"
        assert screen.query_one(DocHeader)._progress == (0, 2)
        await pilot.press("n")
        assert screen.doc_id == "c_third"  # the end of a dealt queue
        session.store.set_setting("assignment", DynamicQueue(2, 600).to_setting())
        await pilot.press("n")  # dynamic: past the end, the next document with a free place is taken
        assert screen.doc_id == "b_second" and screen.documents.queue == ["a_mixed", "c_third", "b_second"]
        assert session.store.assignments()["b_second"] == ["other", "tester"]
        await pilot.press("n")
        assert screen.doc_id == "b_second"  # nothing left to take
        await pilot.press("p")
        assert screen.doc_id == "c_third"
    session.store.close()


def test_a_read_only_store_from_before_assignments_still_opens_as_before(tmp_path, monkeypatch, news_schema):
    import sqlite3

    from annotator.store import sqlite as sqlite_store
    from annotator.store.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for version, script in enumerate(MIGRATIONS[:2], start=1):
        sqlite_store._run_migration(db, version, script)
    db.execute("INSERT INTO documents(id, text, hash, meta, added_at) VALUES ('d1', x'61', 'h', '{}', 'now')")
    db.close()

    def read_only(*args):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(sqlite_store, "_run_migration", read_only)
    store = open_store(str(path))
    try:
        s = AnnotationSession(store, news_schema, "a")
        assert s.document_ids() == ["d1"] and s.progress().total == 1 and s.next_document("d1") is None
        assert store.assignments() == {}
    finally:
        store.close()
