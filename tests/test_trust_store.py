"""Trusting the store (issue 9): a mistyped ``--db`` or another program's file is never
touched, a running store is backed up without losing acknowledged work, and a session
claim from a vanished host expires. The checks both stores share are in
``test_store_contract.py``; these are the SQLite file and command-line ones.
"""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC
from pathlib import Path

import pytest

from annotator.errors import StoreError
from annotator.model.annotations import Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store
from annotator.store.base import CLAIM_EXPIRY_SECONDS, SQLITE_APPLICATION_ID
from annotator.store.migrations import MIGRATIONS
from annotator.store.sqlite import SQLiteStore

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
MISSING = "no annotation store at {}; `annotator import` creates one"


def cli(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("annotator: error: "), result.stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with a hash of its bytes: "untouched" means this is unchanged."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def make_store(path: Path, annotator: str = "alice", ops: int = 1) -> None:
    store = open_store(str(path))
    store.add_document(Document("d", TEXT))
    s = AnnotationSession(store, load_schema(default_schema_path()), annotator)
    for i in range(ops):
        s.set_notes("d", f"note {i}")
    store.close()


# -- a missing store is not created (finding 2) ----------------------------------------


@pytest.mark.parametrize("command", [["stats"], ["export", "-o", "good.jsonl"], ["check"], ["backup", "copy.db"]])
def test_a_mistyped_db_is_one_line_and_creates_nothing(tmp_path, command):
    make_store(tmp_path / "annotations.db")
    assert cli(tmp_path, "export", "--db", "annotations.db", "-o", "good.jsonl").returncode == 0
    before = snapshot(tmp_path)
    line = one_error_line(cli(tmp_path, *command, "--db", "annotatons.db"))
    assert line == "annotator: error: " + MISSING.format("annotatons.db")
    assert snapshot(tmp_path) == before  # no annotatons.db, and good.jsonl kept byte for byte


def _other_program_db(path: Path, wal: bool) -> None:
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)")
    db.execute("INSERT INTO notes(body) VALUES ('mine, not annotator''s')")
    db.commit()
    db.close()


NOT_STORES = {
    "empty": (lambda p: p.write_bytes(b""), "is an empty file, not an annotator database"),
    "text": (lambda p: p.write_text("shopping list\nmilk\n" * 20), "not an annotator database: it is not an SQLite"),
    "folder": (lambda p: (p.mkdir(), (p / "inside.txt").write_text("x")), "is a folder, not an annotator database"),
    "other-sqlite": (lambda p: _other_program_db(p, wal=False), "an SQLite database of another program"),
    "other-sqlite-wal": (lambda p: _other_program_db(p, wal=True), "an SQLite database of another program"),
}


@pytest.mark.parametrize("kind", sorted(NOT_STORES))
def test_a_file_that_is_not_a_store_is_refused_untouched_by_every_command(tmp_path, kind):
    make, problem = NOT_STORES[kind]
    target = tmp_path / "x.db"
    make(target)
    (tmp_path / "in.txt").write_text("نص جديد\n", encoding="utf-8")
    before = snapshot(tmp_path)
    for command in (["stats"], ["export", "-o", "out.jsonl"], ["check"], ["backup", "copy.db"],
                    ["import", "in.txt"], ["annotate", "--rtl-mode", "plain"]):
        line = one_error_line(cli(tmp_path, *command, "--db", "x.db"))
        assert problem in line and line.endswith("nothing was changed"), (command, line)
        assert snapshot(tmp_path) == before, command
    with pytest.raises(StoreError, match=problem):
        SQLiteStore(target)
    assert snapshot(tmp_path) == before


def test_a_store_made_by_the_previous_version_still_opens_and_is_marked(tmp_path):
    """The previous version marked nothing but ``user_version`` 1 and its tables; that is recognised."""
    old = tmp_path / "old.db"
    db = sqlite3.connect(old, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    for statement in MIGRATIONS[0].split(";\n"):
        db.execute(statement)
    db.execute("PRAGMA user_version=1")
    db.execute("INSERT INTO documents(id, text, hash, meta, added_at) VALUES ('d', X'41', 'h', '{}', 'now')")
    # the connection stays open, so the tables may still be only in old.db-wal: the check must look there
    try:
        stats = cli(tmp_path, "stats", "--db", "old.db")
        assert stats.returncode == 0 and "1 document(s)" in stats.stdout, stats.stderr
    finally:
        db.close()
    store = SQLiteStore(old, create=False)
    store.close()
    db = sqlite3.connect(old)
    assert db.execute("PRAGMA application_id").fetchone()[0] == SQLITE_APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.close()


def test_a_new_store_is_marked_whole_and_never_half_made(tmp_path):
    """Built under a temporary name and linked into place: several importers starting at once on a new
    path all succeed, into one store, and no temporary file is left."""
    for i in range(4):
        (tmp_path / f"t{i}.txt").write_text(f"{TEXT} {i}\n", encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, "-m", "annotator", "import", f"t{i}.txt", "--db", "new.db", "--quiet"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with open(tmp_path / "new.db", "rb") as f:
        head = f.read(100)
    assert int.from_bytes(head[68:72], "big") == SQLITE_APPLICATION_ID
    store = open_store(str(tmp_path / "new.db"), create=False)
    try:
        assert store.count_documents() == 4 and store.integrity_check() == "ok"
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# -- backup (finding 5) ----------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession
    from annotator.store import open_store
    store = open_store(sys.argv[1], create=False)
    s = AnnotationSession(store, load_schema(default_schema_path()), "writer")
    i = 0
    while True:
        s.set_notes("d", f"note {i}")
        print(i, flush=True)  # acknowledged: saved before this line is written
        i += 1
""")


def test_backup_while_a_writer_commits_holds_everything_acknowledged_before_it(tmp_path):
    db = tmp_path / "live.db"
    make_store(db)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        acknowledged = -1
        while acknowledged < 200:  # enough that the WAL holds work the .db file does not
            acknowledged = int(writer.stdout.readline())
        assert (tmp_path / "live.db-wal").exists()
        result = cli(tmp_path, "backup", "--db", "live.db", "copy.db")
        assert result.returncode == 0, result.stderr
        assert "integrity ok" in result.stderr
        after = int(writer.stdout.readline())
        assert writer.poll() is None and after > acknowledged  # the writer was never stopped
    finally:
        writer.kill()
        writer.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "live.db", "live.db-shm", "live.db-wal"]
    copy = SQLiteStore(tmp_path / "copy.db", create=False)
    try:
        assert copy.integrity_check() == "ok"
        notes = [e.op.ops[0].notes if hasattr(e.op, "ops") else e.op.notes for e in copy.history("d", "writer")]
        assert notes[:acknowledged + 1] == [f"note {i}" for i in range(acknowledged + 1)]
        assert len(copy.history("d", "alice")) == 1
    finally:
        copy.close()


def test_backup_keeps_an_existing_file_unless_forced_and_writes_atomically(tmp_path):
    make_store(tmp_path / "a.db", ops=3)
    (tmp_path / "copy.db").write_text("precious")
    before = snapshot(tmp_path)
    line = one_error_line(cli(tmp_path, "backup", "--db", "a.db", "copy.db"))
    assert "copy.db: already exists" in line and "--force" in line
    assert snapshot(tmp_path) == before
    line = one_error_line(cli(tmp_path, "backup", "--db", "a.db", "a.db", "--force"))
    assert "is the store itself" in line
    assert snapshot(tmp_path) == before
    forced = cli(tmp_path, "backup", "--db", "a.db", "copy.db", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "3 logged operation(s), integrity ok" in forced.stderr
    copy = open_store(str(tmp_path / "copy.db"), create=False)
    assert copy.count_log() == 3 and copy.integrity_check() == "ok"
    copy.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "copy.db"]  # no temporary file left


def test_backup_of_a_postgresql_database_points_to_pg_dump(tmp_path):
    line = one_error_line(cli(tmp_path, "backup", "--db", "postgresql://someone@127.0.0.1:1/team", "team.dump"))
    assert "pg_dump" in line
    assert list(tmp_path.iterdir()) == []


# -- session claims from another host (finding 16) ---------------------------------------


def _foreign_claim(db: Path, annotator: str, age: float) -> None:
    """A claim left by a container whose host name is gone, last heartbeat ``age`` seconds ago."""
    from datetime import datetime, timedelta

    at = (datetime.now(UTC) - timedelta(seconds=age)).isoformat(timespec="milliseconds")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("INSERT INTO sessions(annotator, host, pid, started_at, heartbeat_at) VALUES (?,?,?,?,?)",
                 (annotator, "container-3f9a", 4242, at.replace("+00:00", "Z"), at.replace("+00:00", "Z")))
    conn.close()


def test_a_claim_from_a_vanished_host_expires_and_annotate_opens(tmp_path, monkeypatch, capsys):
    from annotator import cli as annotator_cli
    from annotator.tui.app import AnnotatorApp

    db = tmp_path / "s.db"
    make_store(db)
    opened = []
    monkeypatch.setattr(AnnotatorApp, "run", lambda self, *a, **k: opened.append(True))
    args = ["annotate", "--db", str(db), "--annotator", "amal", "--rtl-mode", "plain"]
    _foreign_claim(db, "amal", age=30)  # another host, heartbeat fresh: live
    assert annotator_cli.main(args) == 2
    err = capsys.readouterr().err
    assert "process 4242 on container-3f9a" in err and "--take-over" in err and not opened
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DELETE FROM sessions")
    conn.close()
    _foreign_claim(db, "amal", age=CLAIM_EXPIRY_SECONDS + 60)  # the container crashed three minutes ago
    assert annotator_cli.main(args) == 0
    err = capsys.readouterr().err
    assert "warning: ended the expired session of 'amal' (process 4242 on container-3f9a, last heartbeat 3 min" in err
    assert opened == [True]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0  # released at the end
    conn.close()


def test_a_same_host_claim_whose_process_died_is_reclaimed_quietly(tmp_path, monkeypatch, capsys):
    from annotator import cli as annotator_cli
    from annotator.tui.app import AnnotatorApp

    db = tmp_path / "s.db"
    make_store(db)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("INSERT INTO sessions VALUES ('amal', ?, ?, '2026-01-01T00:00:00Z', ?)",
                 (socket.gethostname(), dead.pid, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    conn.close()
    monkeypatch.setattr(AnnotatorApp, "run", lambda self, *a, **k: None)
    assert annotator_cli.main(["annotate", "--db", str(db), "--annotator", "amal", "--rtl-mode", "plain"]) == 0
    assert capsys.readouterr().err == ""


async def test_the_app_refreshes_the_claim_and_says_when_it_was_taken_over(tmp_path, monkeypatch):
    from test_tui_support import SIZE, make_app, make_session

    import annotator.tui.app as app_module

    monkeypatch.setattr(app_module, "HEARTBEAT_SECONDS", 0.05)
    session = make_session(tmp_path / "t.db")
    session.claim()
    db = str(tmp_path / "t.db")

    def heartbeat_age() -> str:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("SELECT heartbeat_at FROM sessions").fetchone()[0]
        finally:
            conn.close()

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE sessions SET heartbeat_at='2000-01-01T00:00:00.000Z'")
    conn.close()
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 20
        while heartbeat_age().startswith("2000") and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert not heartbeat_age().startswith("2000")  # the timer refreshed it
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("UPDATE sessions SET host='elsewhere', pid=1")  # another annotate --take-over
        conn.close()
        deadline = time.monotonic() + 20
        while not any("ended this session" in str(n.message) for n in app._notifications) \
                and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert any("ended this session" in str(n.message) for n in app._notifications)
    session.store.close()
