"""What a session keeps between actions (documents read, the states it saved, places in the document list)
is kept within one bound by ``layout.bounded.Bounded``, the least recently used out first: a document in
use stays kept however many others are opened around it. (Each used to be a dict emptied whole past 64,
which dropped the document in use with the rest, and read it again.)"""

from __future__ import annotations

from annotator.model.annotations import Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import KEPT, AnnotationSession, Documents
from annotator.store import open_store

SCHEMA = load_schema(default_schema_path())


def _store(path, n: int):
    store = open_store(str(path))
    for i in range(n):
        store.add_document(Document(f"k{i:03d}", f"نص الوثيقة {i}"))
    return store


def _count(store, name: str) -> list:
    calls: list = []
    real = getattr(store, name)
    setattr(store, name, lambda *args: calls.append(args) or real(*args))
    return calls


def test_the_document_in_use_stays_kept_while_many_others_are_read(tmp_path):
    store = _store(tmp_path / "k.db", 3 * KEPT)
    session = AnnotationSession(store, SCHEMA, "amal")
    reads = _count(store, "get_document")
    for i in range(1, 3 * KEPT):
        session.document("k000")  # the one being worked on, between every other read
        session.document(f"k{i:03d}")
    assert [args for args in reads if args == ("k000",)] == [("k000",)]  # read once, never dropped
    assert len(session._docs) <= KEPT
    store.close()


def test_the_state_saved_last_stays_the_base_of_the_next_action_while_many_others_are_saved(tmp_path):
    store = _store(tmp_path / "s.db", 3 * KEPT)
    session = AnnotationSession(store, SCHEMA, "amal")
    session.add_entity("k000", 0, 2, "PER")
    loads = _count(store, "load")
    for i in range(1, KEPT + 1):  # two others saved around each action on k000 (first writes: a read each)
        session.set_notes(f"k{2 * i - 1:03d}", "seen")
        session.set_notes("k000", f"note {i}")  # starts from the state saved last: no read
        session.set_notes(f"k{2 * i:03d}", "seen")
    assert [args for args in loads if args[0] == "k000"] == []
    assert len(loads) == 2 * KEPT and len(session._saved) <= KEPT
    assert store.load("k000", "amal").notes == f"note {KEPT}"
    store.close()


def test_a_place_in_use_stays_known_while_many_others_are_counted(tmp_path):
    store = _store(tmp_path / "n.db", 3 * KEPT)
    documents = Documents(store, "amal", None)
    counts = _count(store, "document_number")
    for i in range(1, 2 * KEPT):
        assert documents.number("k000") == 1
        assert documents.number(f"k{i:03d}") == i + 1
    assert documents.number("nowhere") == 0 and documents.number("nowhere") == 0
    assert [args for args in counts if args == ("k000",)] == [("k000",)]
    assert [args for args in counts if args == ("nowhere",)] == [("nowhere",)]  # "not there" is kept too
    store.close()


def test_a_refused_action_is_planned_again_only_when_the_stored_state_changed(tmp_path):
    """A change refused on the state kept (here: a span that is not there) is planned again on the state read
    afresh only when that one is another version (another writer came first); on the same version the plan
    would be refused again, so the refusal stands (before: planned twice, every time)."""
    from annotator.errors import OperationError
    from annotator.model.operations import RemoveEntity

    store = _store(tmp_path / "r.db", 1)
    session = AnnotationSession(store, SCHEMA, "amal")
    session.add_entity("k000", 0, 2, "PER")
    planned: list[int] = []

    def make(state):
        planned.append(state.version)
        return RemoveEntity("e99")

    try:
        session._apply("k000", make)
    except OperationError as exc:
        assert "e99" in str(exc)
    else:
        raise AssertionError("removing a span that is not there was not refused")
    assert planned == [1]  # before: [1, 1], the same version planned again
    other = AnnotationSession(store, SCHEMA, "amal")  # another writer: the kept state goes stale
    other.add_entity("k000", 3, 5, "PER")
    planned.clear()
    session._apply("k000", lambda state: planned.append(state.version) or RemoveEntity(state.entities[-1].id))
    assert planned == [1, 2]  # refused by the store (stale), planned again on the state read afresh
    assert [e.start for e in store.load("k000", "amal").entities] == [0]
    store.close()


def test_the_first_action_after_reading_a_state_starts_from_the_state_read(tmp_path):
    """The state a screen opened (``annotations``) is the base of the session's first action on it: the state
    saved shares its unchanged spans with it, so the screen finds what changed by identity, not by comparing
    each of thousands of spans with the store's answer (before: the first save read the state afresh, ~80 ms
    of comparisons at 30,000 spans); and that save reads nothing."""
    from annotator.model.annotations import Entity
    from annotator.model.operations import AddEntity, AddProposals

    store = _store(tmp_path / "f.db", 1)
    AnnotationSession(store, SCHEMA, "amal").apply("k000", AddProposals(
        tuple(Entity(f"p{i}", i, i + 1, "GPE", source="string-match") for i in (0, 4, 8))))
    session = AnnotationSession(store, SCHEMA, "amal")
    shown = session.annotations("k000")
    loads = _count(store, "load")
    saved = session.apply("k000", AddEntity(Entity("e1", 6, 7, "PER"))).state
    assert loads == []
    assert [e.id for e in saved.entities] == ["p0", "p4", "e1", "p8"]
    assert all(saved.entities[i] is shown.entities[j] for i, j in ((0, 0), (1, 1), (3, 2)))
    store.close()
