"""The app at any store size (issue 12, aims 1 and 3): start-up, progress, next/previous, goto, the
header's "k/N" and resuming read a few rows, never every document id or every status.

No timing: a store wrapper refuses the whole-store reads and counts the rows every query returns,
and on random stores the session's answers equal the ones computed from the full lists (the rule
the app followed when it read them).
"""

from __future__ import annotations

import shutil
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.assignment import DynamicQueue
from annotator.errors import OperationError
from annotator.model.annotations import DOC_STATUSES, Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store
from annotator.store.base import Position

WHOLE_STORE_READS = ("document_ids", "statuses", "iter_documents", "iter_annotated", "iter_annotations",
                     "assignments")
SCHEMA = load_schema(default_schema_path())


class Watched:
    """A store that fails on any read of every document or status, and counts the rows returned."""

    def __init__(self, store) -> None:
        self._store = store
        self.rows = 0
        inner = store._read

        def counted(sql, params=()):
            rows = inner(sql, params)
            self.rows += len(rows)
            return rows

        store._read = counted

    def __getattr__(self, name):
        if name in WHOLE_STORE_READS:
            raise AssertionError(f"{name}() reads the whole store")
        return getattr(self._store, name)


def big_store(path, n: int = 1500, done: int = 20):
    """``n`` documents; the first ``done`` marked done by "amal"."""
    store = open_store(str(path))
    with store.transaction():
        for i in range(n):
            store.add_document(Document(f"d{i:05d}", f"نص الوثيقة رقم {i} في المخزن."))
    session = AnnotationSession(store, SCHEMA, "amal")
    for i in range(done):
        session.set_status(f"d{i:05d}", "skipped")
    return store


def header_number(screen) -> str:
    from annotator.tui.widgets.doc_header import DocHeader

    return screen.query_one(DocHeader)._parts[0].split()[0]


async def test_start_up_and_moving_read_a_few_rows_and_never_every_id_or_status(tmp_path):
    from test_tui_support import SIZE, main, make_app

    from annotator.tui.widgets.doc_header import DocHeader

    n = 1500
    store = big_store(tmp_path / "big.db", n)
    watched = Watched(store)
    app = make_app(AnnotationSession(watched, SCHEMA, "amal"))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.doc_id == "d00020"  # the first unfinished
        assert header_number(screen) == f"21/{n}"
        assert screen.query_one(DocHeader)._progress == (20, n)
        started = watched.rows
        assert started < 40, started  # a few rows, not 1500
        await pilot.press("n")
        assert screen.doc_id == "d00021" and header_number(screen) == f"22/{n}"
        await pilot.press("p", "p")
        assert screen.doc_id == "d00019" and header_number(screen) == f"20/{n}"
        await pilot.press("colon", *str(n), "enter")
        await pilot.pause()
        assert screen.doc_id == f"d{n - 1:05d}" and header_number(screen) == f"{n}/{n}"
        await pilot.press("n")
        assert screen.doc_id == f"d{n - 1:05d}"  # the end
        await pilot.press("p")
        assert screen.doc_id == f"d{n - 2:05d}" and header_number(screen) == f"{n - 1}/{n}"
        await pilot.press("ctrl+k")  # skipped: counted without a recount
        await pilot.pause()
        assert screen.query_one(DocHeader)._progress == (21, n)
        assert watched.rows - started < 80, watched.rows - started
        await pilot.press("right", "right")
        cursor = screen.view.cursor
        await pilot.press("ctrl+q")
    # quit saved the place: the next start opens there, at the same cursor, still reading a few rows
    again = Watched(store)
    app = make_app(AnnotationSession(again, SCHEMA, "amal"))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.doc_id == f"d{n - 2:05d}" and screen.view.cursor == cursor
        assert header_number(screen) == f"{n - 1}/{n}"
        assert screen.query_one(DocHeader)._progress == (21, n)
        assert again.rows < 40, again.rows
    store.close()


async def test_a_queue_is_walked_as_before_without_every_status(tmp_path):
    """An annotator with a queue: start, n/p and the header over the queue only, none of it from
    the whole store's statuses (the queue's own are asked for)."""
    from test_tui_support import SIZE, main, make_app

    store = big_store(tmp_path / "q.db", 200, done=0)
    store.assign([("d00150", "amal"), ("d00007", "amal"), ("d00099", "amal")])
    AnnotationSession(store, SCHEMA, "amal").set_status("d00007", "done")
    app = make_app(AnnotationSession(Watched(store), SCHEMA, "amal"))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.documents.queue == ["d00007", "d00099", "d00150"]  # each deal in document order
        assert screen.doc_id == "d00099" and header_number(screen) == "2/3"  # the first unfinished
        await pilot.press("n")
        assert screen.doc_id == "d00150" and header_number(screen) == "3/3"
        await pilot.press("n")
        assert screen.doc_id == "d00150"
        await pilot.press("p", "p")
        assert screen.doc_id == "d00007" and header_number(screen) == "1/3"
    store.close()


class Counting:
    """A store that counts the calls of each of its methods."""

    def __init__(self, store) -> None:
        self._store = store
        self.calls: dict[str, int] = {}

    def __getattr__(self, name):
        found = getattr(self._store, name)
        if not callable(found):
            return found

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return found(*args, **kwargs)
        return counted


@pytest.mark.parametrize("dynamic", [False, True])
async def test_opening_reads_the_queue_and_its_statuses_once(tmp_path, dynamic):
    """The app opens with ``session.opening()``: the queue is read once and its statuses once (three
    chunks for 1,000 documents), where progress, documents and resume asked one after the other read the
    queue three times and its statuses twice (three times in dynamic mode)."""
    from test_tui_support import SIZE, main, make_app

    store = big_store(tmp_path / "q.db", 1000, done=0)
    store.assign([(f"d{i:05d}", "amal") for i in range(1000)])
    AnnotationSession(store, SCHEMA, "amal").set_status("d00000", "done")
    if dynamic:
        store.set_setting("assignment", DynamicQueue(1, 600).to_setting())
    counted = Counting(store)
    app = make_app(AnnotationSession(counted, SCHEMA, "amal"))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.doc_id == "d00001" and header_number(screen) == "2/1000"
        assert screen.session.saved_progress().by_status["done"] == 1
        assert counted.calls.get("assigned_documents", 0) + counted.calls.get("setting_and_assigned", 0) == 1, counted.calls
        assert counted.calls.get("document_page") == 3, counted.calls  # the statuses, 400 ids a query
    store.close()


# -- the same answers as the full lists, on random stores -------------------------------------


def old_progress(store, annotator: str, queue: list[str] | None) -> dict[str, int]:
    """Counted from every status (how the session counted before the kept tallies)."""
    statuses = store.statuses(annotator)
    ids = store.document_ids() if queue is None else queue
    counts = {s: 0 for s in DOC_STATUSES}
    for d in ids:
        counts[statuses.get(d, "todo")] += 1
    return counts


def old_start(ids: list[str], statuses: dict[str, str], position: Position) -> tuple[str | None, int]:
    if position.doc_id in ids:
        return position.doc_id, position.cursor
    first = next((d for d in ids if statuses.get(d, "todo") in ("todo", "in_progress")), ids[0] if ids else None)
    return first, 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), n=st.integers(0, 9), gaps=st.lists(st.booleans(), max_size=9))
def test_documents_progress_and_resume_equal_the_full_lists_on_random_stores(tmp_path_factory, data, n, gaps):
    path = tmp_path_factory.mktemp("random") / "r.db"
    store = open_store(str(path))
    try:
        for i in range(n):
            if i < len(gaps) and gaps[i]:  # a rolled-back insert (a gap in PostgreSQL's numbering)
                with pytest.raises(RuntimeError), store.transaction():
                    store.add_document(Document(f"gone{i}", f"lost {i}"))
                    raise RuntimeError
            store.add_document(Document(f"d{i}", f"text {i}"))
        ids = store.document_ids()
        writer = AnnotationSession(store, SCHEMA, "amal")
        for doc_id in ids:
            status = data.draw(st.sampled_from((None, *DOC_STATUSES)))
            if status is not None:
                try:
                    writer.set_status(doc_id, status)
                except OperationError:
                    pass
        AnnotationSession(store, SCHEMA, "bo").set_status(ids[0], "done") if ids else None  # not amal's
        queued = data.draw(st.lists(st.sampled_from(ids), unique=True)) if ids and data.draw(st.booleans()) else []
        if queued:
            store.assign([(d, "amal") for d in queued])
        position = data.draw(st.sampled_from([Position(None), Position("nowhere", 3),
                                              *(Position(d, k) for k, d in enumerate(ids))]))
        if position.doc_id is not None:
            store.set_position("amal", position)

        session = AnnotationSession(store, SCHEMA, "amal")
        queue = store.assigned_documents("amal") or None
        listed = store.document_ids() if queue is None else queue
        statuses = store.statuses("amal")
        progress = session.progress(refresh=True)
        assert progress.by_status == old_progress(store, "amal", queue)
        assert progress.total == len(listed)

        opener = AnnotationSession(store, SCHEMA, "amal")
        opened, start = opener.opening()  # what the app opens with: the same answers
        assert opener.saved_progress().by_status == old_progress(store, "amal", queue)
        assert opened.queue == queue and len(opened) == len(listed)
        assert (start.doc_id, start.cursor) == old_start(listed, statuses, store.get_position("amal"))
        documents = session.documents()
        assert documents.queue == queue and len(documents) == len(listed)
        assert [documents.number(d) for d in listed] == list(range(1, len(listed) + 1))
        assert [documents.at(k) for k in range(len(listed) + 2)] == [None, *listed, None]
        for i, d in enumerate(listed):
            assert documents.step(d, 1) == (listed[i + 1] if i + 1 < len(listed) else None)
            assert documents.step(d, -1) == (listed[i - 1] if i > 0 else None)
            assert documents.number(d) == i + 1  # numbers learnt by stepping agree with counting
        resumed = session.resume(documents)
        assert (resumed.doc_id, resumed.cursor) == old_start(listed, statuses, store.get_position("amal"))
        for after in (None, *listed):  # next_document: the next one, as from the list (no dynamic mode here)
            want = listed[0] if after is None and listed else (
                listed[listed.index(after) + 1] if after in listed and listed.index(after) + 1 < len(listed)
                else None)
            assert session.next_document(after) == want
    finally:
        store.close()


def test_dynamic_queues_take_as_before_through_the_documents(tmp_path):
    """Dynamic mode: opening takes one, stepping past the end takes the next (``next_document``)."""
    store = big_store(tmp_path / "dyn.db", 5, done=0)
    store.set_setting("assignment", DynamicQueue(1, 600).to_setting())
    a = AnnotationSession(store, SCHEMA, "a")
    documents = a.documents(take=True)
    assert documents.queue == ["d00000"] and a.resume(documents) == Position("d00000", 0)
    assert documents.step("d00000", 1) is None and a.next_document("d00000") == "d00001"
    assert a.documents().queue == ["d00000", "d00001"] and a.progress().total == 2
    b = AnnotationSession(store, SCHEMA, "b")
    assert b.documents(take=True).queue == ["d00002"]  # overlap 1: the first free one
    store.close()


# -- the first frame, in a real terminal -------------------------------------------------------


@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_first_frame_with_the_document_has_the_header_and_its_progress(tmp_path):
    """Every screen a terminal showed while the app started: none has the document's body without
    the header's position and progress (they once came one frame after it)."""
    from test_tui_support import DOCS
    from test_tui_tmux import Tmux

    db = tmp_path / "t.db"
    store = open_store(str(db))
    for doc_id, text in DOCS:
        store.add_document(Document(doc_id, text))
    store.close()
    tmux = Tmux()
    try:
        tmux.start(f"cd {tmp_path} && exec {sys.executable} -m annotator annotate --db {db} --annotator first "
                   "--rtl-mode plain")
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen = "\n".join(tmux.screen())
            if not seen or screen != seen[-1]:
                seen.append(screen)
            if "/3 finished" in screen and "2019" in screen:
                break
        with_body = [s for s in seen if "2019" in s]
        assert with_body, seen[-1]
        assert all("1/3" in s and "0/3 finished" in s for s in with_body), with_body[0]
    finally:
        tmux.kill()


async def test_the_footer_builds_its_keys_once_and_again_only_when_they_change(tmp_path, monkeypatch):
    from test_tui_support import SIZE, main, make_app, make_session
    from textual.widgets._footer import FooterKey

    from annotator.tui.widgets.footer import SteadyFooter

    built: list[int] = []
    compose = SteadyFooter.compose

    def counted(self):
        keys = list(compose(self))
        built.append(len(keys))
        return iter(keys)

    monkeypatch.setattr(SteadyFooter, "compose", counted)
    session = make_session(tmp_path / "f.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        await pilot.press("tab", "tab", "n", "p")  # focus moves and documents: the same keys
        await pilot.pause()
        assert [n for n in built if n] == [len(screen.query(FooterKey))] and len(screen.query(FooterKey)) > 5
        monkeypatch.setattr(type(screen), "check_action",
                            lambda self, action, parameters: action != "next_document")
        screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert len([n for n in built if n]) == 2  # one key fewer: built again
        assert "next_document" not in {k.action for k in screen.query(FooterKey)}
    session.store.close()


def test_walking_the_documents_waits_for_the_queued_writes_first(tmp_path):
    """The app's ``Documents`` reads on the UI thread: like every session read, each first waits for
    the saves queued on the writer thread, so the store is used by one thread at a time."""
    store = big_store(tmp_path / "w.db", 5, done=0)
    session = AnnotationSession(store, SCHEMA, "amal")
    documents = session.documents()

    class Pending:
        settled = 0

        def settle(self, timeout=None):
            Pending.settled += 1
            return True

        def on_worker(self):
            return False

    session.pending = Pending()
    for read in (lambda: documents.step("d00001", 1), lambda: documents.at(3), lambda: documents.number("d00004"),
                 documents.first_unfinished):
        before = Pending.settled
        read()
        assert Pending.settled > before
    store.close()
