"""What a SQL store keeps of its texts' marks (``SQLReads._marks``): the least recently used entry let go one
at a time (it was the whole cache past 64 entries), and safe to read from several threads (SQLite reads
marks outside the store's lock)."""

from __future__ import annotations

import threading
from pathlib import Path

from annotator.model.annotations import Document
from annotator.store import sql_reads
from annotator.store.sqlite import SQLiteStore


def test_past_the_limit_one_entry_is_let_go_the_least_recently_used(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    try:
        limit = sql_reads.MARKS_KEPT
        ids = [f"d{i}" for i in range(limit + 3)]
        for doc_id in ids:
            store.add_document(Document(doc_id, f"نص {doc_id}"))
        for doc_id in ids[:limit]:
            assert store.text_length(doc_id) is None  # a short text: read whole, and that fact kept
        store.text_length(ids[0])  # now the most recently used
        for doc_id in ids[limit:]:
            store.text_length(doc_id)
        kept = store._marks_kept()
        assert len(kept) == limit  # before: emptied whole past 64, then one entry
        assert ids[0] in kept and all(d in kept for d in ids[limit:])
        assert [d for d in ids[1:limit] if d not in kept] == ids[1:4]  # the three least recently used
    finally:
        store.close()


def test_marks_read_from_several_threads_at_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    try:
        ids = [f"d{i}" for i in range(3 * sql_reads.MARKS_KEPT)]
        for doc_id in ids:
            store.add_document(Document(doc_id, f"text {doc_id}"))
        errors: list[BaseException] = []

        def read(offset: int) -> None:
            try:
                for k in range(400):
                    doc_id = ids[(k * 7 + offset) % len(ids)]
                    assert store.text_range(doc_id, 0, 4) == "text"
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(store._marks_kept()) == sql_reads.MARKS_KEPT
    finally:
        store.close()


def test_the_kept_marks_keep_none_for_a_text_read_whole() -> None:
    kept = sql_reads.MarksKept(2)
    kept.put("a", None)
    assert kept.find("a") == (True, None) and kept.find("b") == (False, None)
    kept.put("b", None)
    kept.find("a")
    kept.put("c", None)
    assert "a" in kept and "b" not in kept and len(kept) == 2
