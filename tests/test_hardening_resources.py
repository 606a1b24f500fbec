"""Resources: a full disk or a read-only database is one clear message and leaves the store as
it was; an export to an unwritable place fails before touching anything.

A full disk is a small tmpfs mounted for the test (skipped where mounting is not
allowed); read-only is a read-only bind mount, or a read-only file opened by a
process without root's capability to write anything.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_hardening_crash import snapshot
from test_hardening_input import GOOD, cli, no_traceback, without_root_powers

from annotator.errors import AnnotatorError, StoreError
from annotator.exporting import export_store
from annotator.formats.base import get_format
from annotator.model.annotations import Document
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

FULL = "the disk is full; the last action was not saved and the store is unchanged"


def _mount(args: list[str], target: Path) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a test file system needs root and mount(8)")
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs: a disk that fills up for real."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs"], disk)
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.fixture
def read_only_view(tmp_path):
    """``rw`` and a read-only bind mount of it, ``ro``: the same files, not writable."""
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    _mount(["--bind", str(rw)], ro)
    remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], capture_output=True, text=True)
    if remount.returncode != 0:
        subprocess.run(["umount", "-l", str(ro)], check=False)
        pytest.skip(f"cannot make a read-only bind mount: {remount.stderr.strip()}")
    yield rw, ro
    subprocess.run(["umount", "-l", str(ro)], check=False)


class Filler:
    """Takes every free byte of a disk until released."""

    def __init__(self, disk: Path, leave: int = 0) -> None:
        self.path = disk / "filler"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT)
        block = b"\0" * 4096
        try:
            while True:
                os.write(self.fd, block)
        except OSError:
            pass
        if leave:
            os.ftruncate(self.fd, max(0, os.fstat(self.fd).st_size - leave))

    def release(self) -> None:
        os.close(self.fd)
        self.path.unlink()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_full_disk_refuses_the_action_and_keeps_everything_acknowledged(small_disk, news_schema):
    store = SQLiteStore(small_disk / "s.db")
    session = AnnotationSession(store, news_schema, "alice")
    store.add_document(Document("d", GOOD))
    session.add_entity("d", 4, 14, "PER")
    acknowledged = 1
    filler = Filler(small_disk)
    try:
        with pytest.raises(StoreError, match=FULL):
            for i in range(5000):  # each note is a few KB: the log fills whatever room was left
                before = snapshot(store)
                session.set_notes("d", f"ملاحظة {i} " * 300)
                acknowledged += 1
        assert snapshot(store) == before, "the refused action left a trace"
        assert store.integrity_check() == "ok"
    finally:
        filler.release()
    session.set_notes("d", "بعد تحرير المساحة")  # with room again, work goes on
    store.close()

    store = SQLiteStore(small_disk / "s.db")
    assert store.integrity_check() == "ok"
    assert len(store.history("d", "alice")) == acknowledged + 1
    state = store.load("d", "alice")
    assert state.notes == "بعد تحرير المساحة" and [e.label for e in state.entities] == ["PER"]
    store.close()


def test_a_database_at_its_size_limit_behaves_like_a_full_disk(tmp_path, news_schema):
    """Where no test file system can be mounted: SQLite's own page limit gives the same SQLITE_FULL."""
    store = SQLiteStore(tmp_path / "s.db")
    session = AnnotationSession(store, news_schema, "alice")
    store.add_document(Document("d", GOOD))
    session.add_entity("d", 4, 14, "PER")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]  # the store's own connection
    store._db.execute(f"PRAGMA max_page_count={pages}")
    before = snapshot(store)
    with pytest.raises(StoreError, match=FULL):
        for i in range(200):
            session.set_notes("d", f"ملاحظة {i} " * 400)
            before = snapshot(store)
    assert snapshot(store) == before and store.integrity_check() == "ok"
    store.close()
    store = SQLiteStore(tmp_path / "s.db")
    assert store.integrity_check() == "ok"
    assert store.load("d", "alice").version == before["states"][("d", "alice")]["version"]
    store.close()


def test_import_onto_a_full_disk_stops_with_one_clear_message(small_disk, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(60):
        (folder / f"t{i:03d}.txt").write_text(f"{i} " + GOOD * 200, encoding="utf-8")
    db = small_disk / "s.db"
    SQLiteStore(db).close()
    filler = Filler(small_disk, leave=200_000)
    try:
        result = cli(tmp_path, "import", "in", "--db", str(db), "--quiet")
        output = no_traceback(result)
        assert result.returncode == 2 and output.count(FULL) == 1, output
    finally:
        filler.release()
    store = SQLiteStore(db)
    assert store.integrity_check() == "ok"
    texts = [store.get_document(i).text for i in store.document_ids()]
    assert 0 < len(texts) < 60
    assert texts == [f"{i} " + GOOD * 200 for i in range(len(texts))]  # whole documents, in order
    store.close()


def test_export_onto_a_full_disk_leaves_the_old_file(small_disk, tmp_path, news_schema):
    store = SQLiteStore(tmp_path / "s.db")
    for i in range(40):
        store.add_document(Document(f"x{i}", f"{i} " + GOOD * 200))
    target = small_disk / "out.jsonl"
    target.write_text("old export\n", encoding="utf-8")
    filler = Filler(small_disk, leave=50_000)
    try:
        with pytest.raises(AnnotatorError, match="export failed .*the old file is untouched"):
            export_store(store, news_schema, get_format("native"), str(target))
        assert target.read_text(encoding="utf-8") == "old export\n"
        assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "out.jsonl"], "a temporary file was left"
    finally:
        filler.release()
        store.close()


def test_a_read_only_folder_is_a_clear_message_and_changes_nothing(read_only_view, tmp_path):
    rw, ro = read_only_view
    store = SQLiteStore(rw / "s.db")
    store.add_document(Document("d", GOOD))
    store.close()
    before = digest(rw / "s.db")
    (tmp_path / "new.txt").write_text("نص جديد\n", encoding="utf-8")
    with pytest.raises(StoreError, match="folder is read-only"):
        SQLiteStore(ro / "s.db")
    result = cli(tmp_path, "import", "new.txt", "--db", str(ro / "s.db"))
    output = no_traceback(result)
    assert result.returncode == 2 and "read-only" in output
    assert digest(rw / "s.db") == before
    assert sorted(p.name for p in rw.iterdir()) == ["s.db"]


def test_a_read_only_database_file_is_a_clear_message_and_changes_nothing(tmp_path):
    """As root everything is writable, so the CLI runs without the capabilities that allow it."""
    db = tmp_path / "s.db"
    store = SQLiteStore(db)
    store.add_document(Document("d", GOOD))
    store.close()
    db.chmod(0o444)
    before = digest(db)
    (tmp_path / "new.txt").write_text("نص جديد\n", encoding="utf-8")
    powerless = without_root_powers(f"open({str(db)!r}, 'ab')")
    result = cli(tmp_path, "import", "new.txt", "--db", "s.db", prefix=powerless)
    output = no_traceback(result)
    assert result.returncode == 2 and output.count("the database is read-only; nothing was changed") == 1, output
    assert digest(db) == before
    db.chmod(0o644)
    store = SQLiteStore(db)
    assert [store.get_document(i).text for i in store.document_ids()] == [GOOD]
    store.close()


@pytest.mark.parametrize("where, problem", [
    ("missing/out.jsonl", "does not exist"),
    ("afolder", "is a folder"),
])
def test_export_to_an_unwritable_path_fails_before_touching_anything(tmp_path, where, problem):
    (tmp_path / "afolder").mkdir()
    result = cli(tmp_path, "export", "--db", "never-created.db", "-o", where)
    output = no_traceback(result)
    assert result.returncode == 2 and problem in output
    assert not (tmp_path / "never-created.db").exists(), "the store was opened before the target was checked"
    assert not (tmp_path / "missing").exists()
    assert list((tmp_path / "afolder").iterdir()) == []


def test_export_to_a_read_only_place_fails_before_touching_anything(read_only_view, tmp_path):
    rw, ro = read_only_view
    (rw / "out.jsonl").write_text("old export\n", encoding="utf-8")
    for target in (ro / "out.jsonl", ro / "new.jsonl"):
        result = cli(tmp_path, "export", "--db", "never-created.db", "-o", str(target))
        output = no_traceback(result)
        assert result.returncode == 2 and "cannot write here" in output and "nothing was written" in output
    assert not (tmp_path / "never-created.db").exists()
    assert sorted(p.name for p in rw.iterdir()) == ["out.jsonl"]
    assert (rw / "out.jsonl").read_text(encoding="utf-8") == "old export\n"


async def test_the_app_on_a_full_database_says_so_and_keeps_running(tmp_path):
    """The annotator keeps the app and every saved label; the refused action is named in the status line."""
    pytest.importorskip("textual")
    from test_tui_support import SIZE, make_app, make_session

    session = make_session(tmp_path / "t.db")
    pages = session.store._db.execute("PRAGMA page_count").fetchone()[0]
    session.store._db.execute(f"PRAGMA max_page_count={pages}")  # the file may not grow: a full disk
    app = make_app(session)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            message = ""
            for i in range(300):
                await pilot.press("left", str(1 + i % 9), "u" if i % 4 == 3 else "left")
                await pilot.pause()
                message = str(app.screen.status.message)
                if "disk is full" in message:
                    break
            assert FULL in message, "the app never reported the full disk"
            await pilot.press("left", "1")
            await pilot.pause()
            assert app.is_running
        seen = snapshot(session.store)  # what the app worked from
    finally:
        session.store.close()
    store = SQLiteStore(tmp_path / "t.db")  # what is on disk after a restart
    assert store.integrity_check() == "ok" and snapshot(store) == seen
    store.close()
