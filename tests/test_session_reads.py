"""The session's reads of the store. ``AnnotationSession.opening``: what the app opens with equals what ``documents(take=True)``,
``saved_progress(refresh=True)`` and ``resume`` answer one after the other (one owner of the
count: ``_recount``), in dynamic mode too, and for a session whose documents are fixed
(adjudication's), which walks its own list and never takes a document. ``next_document`` steps as
``Documents`` does; ``document`` keeps what it read, within the one bound ``keep_document`` keeps."""

from __future__ import annotations

import pytest

from annotator.adjudication import AdjudicationSession
from annotator.assignment import DynamicQueue
from annotator.model.annotations import Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store

SCHEMA = load_schema(default_schema_path())


def _store(path, dynamic: bool):
    store = open_store(str(path))
    for i in range(6):
        store.add_document(Document(f"d{i}", f"نص الوثيقة رقم {i}."))
    if dynamic:
        store.set_setting("assignment", DynamicQueue(1, 600).to_setting())
    else:
        store.assign([("d3", "amal"), ("d1", "amal"), ("d4", "amal")])
    AnnotationSession(store, SCHEMA, "amal").set_status("d3", "done")
    return store


@pytest.mark.parametrize("dynamic", [False, True])
def test_opening_answers_as_the_three_calls_it_stands_for(tmp_path, dynamic):
    store = _store(tmp_path / "o.db", dynamic)
    opened, start = AnnotationSession(store, SCHEMA, "amal").opening()
    assigned = store.assigned_documents("amal")
    assert assigned and opened.queue == assigned  # dynamic: one was taken on opening
    session = AnnotationSession(store, SCHEMA, "amal")
    documents = session.documents(take=True)  # takes nothing more: the one taken is left to do
    assert store.assigned_documents("amal") == assigned
    assert documents.queue == opened.queue and len(documents) == len(opened)
    again = AnnotationSession(store, SCHEMA, "amal")
    again.opening()
    assert again.saved_progress() == session.saved_progress(refresh=True)
    assert again.saved_progress().total == len(assigned)
    resumed = session.resume(documents)
    assert (start.doc_id, start.cursor) == (resumed.doc_id, resumed.cursor) and start.doc_id != "d3"
    store.close()


@pytest.mark.parametrize("dynamic", [False, True])
def test_a_session_with_fixed_documents_walks_them_and_takes_none(tmp_path, dynamic):
    store = _store(tmp_path / "f.db", dynamic)
    gold = AdjudicationSession(store, SCHEMA, "gold", ["d5", "d2"])
    opened, start = gold.opening()
    assert opened.queue == ["d5", "d2"] and len(opened) == 2
    assert store.assigned_documents("gold") == []  # gold never takes a document
    assert start.doc_id == "d5"
    assert gold.saved_progress() == AdjudicationSession(store, SCHEMA, "gold", ["d5", "d2"]).saved_progress()
    store.close()


def test_next_document_steps_through_the_queue_then_takes_in_dynamic_mode(tmp_path):
    """``next_document`` is ``Documents``' next (first when ``after`` is None), and past the end of a
    dynamic queue (or from a document not in it, or from nothing) a newly taken one."""
    store = _store(tmp_path / "n.db", dynamic=True)
    a = AnnotationSession(store, SCHEMA, "amal")
    first = a.next_document(None)  # nothing taken yet: takes one
    assert first is not None and store.assigned_documents("amal") == [first]
    second = a.next_document(first)
    assert second not in (None, first) and store.assigned_documents("amal") == [first, second]
    assert a.next_document(None) == first  # the queue's first, nothing taken
    assert a.next_document("elsewhere") not in (None, first, second)  # not in the queue: takes
    store.close()
    fixed = _store(tmp_path / "f.db", dynamic=False)
    b = AnnotationSession(fixed, SCHEMA, "amal")
    queue = fixed.assigned_documents("amal")
    assert [b.next_document(d) for d in (None, *queue)] == [*queue, None]
    assert b.next_document("d0") is None and fixed.assigned_documents("amal") == queue  # never takes
    fixed.close()


def test_documents_read_are_kept_within_one_bound(tmp_path):
    store = open_store(str(tmp_path / "k.db"))
    for i in range(100):
        store.add_document(Document(f"k{i}", f"نص {i}"))
    session = AnnotationSession(store, SCHEMA, "amal")
    reads = []
    real = store.get_document
    store.get_document = lambda doc_id: reads.append(doc_id) or real(doc_id)  # type: ignore[method-assign]
    assert session.document("k1").text == "نص 1" and session.document("k1").text == "نص 1"
    assert reads == ["k1"]  # kept: read once
    for i in range(100):
        session.document(f"k{i}")
        assert len(session._docs) <= 65
    session.keep_document(Document("k7", "نص 7"))
    assert len(session._docs) <= 65
    store.close()


def test_the_kept_counts_follow_every_commit_undo_and_redo_included(tmp_path):
    store = _store(tmp_path / "c.db", dynamic=False)
    session = AnnotationSession(store, SCHEMA, "amal")
    session.opening()

    def done() -> tuple[int, int]:  # (kept, counted afresh)
        kept = session.saved_progress().by_status["done"]
        return kept, AnnotationSession(store, SCHEMA, "amal").saved_progress(refresh=True).by_status["done"]

    assert done() == (1, 1)
    session.set_status("d1", "done")
    assert done() == (2, 2)
    session.undo("d1")
    assert done() == (1, 1)
    session.redo("d1")
    assert done() == (2, 2)
    store.close()
