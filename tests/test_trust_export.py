"""Trust in export output (issue 9): what ``annotator export -o`` may replace, folders swapped
in whole, and stored foreign metadata that never breaks a writer.

Every case runs the real command line (``python -m annotator export``) unless it needs to
count examples (the hypothesis test exports in-process through the same ``export_store``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.formats.base import WriteContext, all_formats, get_format
from annotator.model.annotations import Document
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
SEED = int(os.environ.get("HARDENING_SEED", random.randrange(1_000_000)))
WRITABLE = sorted(name for name, fmt in all_formats().items() if fmt.writable)


def cli(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=os.environ, cwd=cwd, stdin=subprocess.DEVNULL)


def make_store(db: Path, schema, docs=(("d1", TEXT, {}),)) -> None:
    store = SQLiteStore(db)
    session = AnnotationSession(store, schema, "amal")
    for doc_id, text, meta in docs:
        store.add_document(Document(doc_id, text, meta))
        session.add_entity(doc_id, 4, 14, "PER")
        session.add_claim(doc_id, 15, len(text) - 1, {"checkworthy": "yes"}, claimer="e1")
        session.set_status(doc_id, "in_progress")
    store.close()


def one_error_line(res) -> str:
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert len(lines) == 1 and lines[0].startswith("annotator: error: "), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


@pytest.fixture
def db(tmp_path, news_schema):
    path = tmp_path / "a.db"
    make_store(path, news_schema)
    return path


# -- -o: what may be replaced ---------------------------------------------------------------


def test_a_character_device_is_refused_and_kept(tmp_path, db):
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a copy of /dev/null
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc}); needs root without a mknod-forbidding sandbox")
    line = one_error_line(cli("export", "--db", db, "-o", dev))
    assert "character device" in line and "nothing was written" in line
    assert stat.S_ISCHR(os.lstat(dev).st_mode), "the device node was replaced"


def test_a_fifo_is_refused_without_blocking_before_the_store_is_opened(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    missing_db = tmp_path / "never.db"
    line = one_error_line(cli("export", "--db", missing_db, "-o", fifo, timeout=60))
    assert "named pipe" in line
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced"
    assert not missing_db.exists(), "the store was opened before the output was checked"


def test_a_socket_is_refused_and_kept(tmp_path, db):
    import socket

    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        line = one_error_line(cli("export", "--db", db, "-o", path, timeout=60))
    assert "is a socket" in line
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_a_symlink_to_standard_output_is_refused_and_kept(tmp_path, db):
    link = tmp_path / "out.jsonl"
    link.symlink_to("/proc/self/fd/1")
    res = cli("export", "--db", db, "-o", link)
    line = one_error_line(res)
    assert "a link to" in line and "not a regular file" in line
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert res.stdout == ""


def test_a_symlink_to_a_regular_file_is_followed_and_kept(tmp_path, db):
    real = tmp_path / "real" / "export.jsonl"
    real.parent.mkdir()
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "out.jsonl"
    link.symlink_to(real)
    res = cli("export", "--db", db, "-o", link)
    assert res.returncode == 0, res.stderr
    assert link.is_symlink() and Path(os.readlink(link)) == real, "the link was replaced by a file"
    assert json.loads(real.read_text().splitlines()[0])["text"] == TEXT
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["export.jsonl"], "temporary file left"


def test_a_dangling_symlink_is_followed_and_its_target_created(tmp_path, db):
    link = tmp_path / "out.jsonl"
    link.symlink_to(tmp_path / "made.jsonl")
    assert cli("export", "--db", db, "-o", link).returncode == 0
    assert link.is_symlink() and (tmp_path / "made.jsonl").read_text().count("\n") == 1


def test_a_folder_is_refused_for_a_file_format(tmp_path, db):
    folder = tmp_path / "out"
    folder.mkdir()
    line = one_error_line(cli("export", "--db", db, "-o", folder))
    assert "is a folder" in line
    assert list(folder.iterdir()) == []


def test_dash_writes_to_standard_output_without_a_temporary_file(tmp_path, db):
    work = tmp_path / "work"
    work.mkdir()
    res = cli("export", "--db", db, "-o", "-", cwd=work)
    assert res.returncode == 0, res.stderr
    assert cli("export", "--db", db, "-o", tmp_path / "file.jsonl").returncode == 0
    assert res.stdout == (tmp_path / "file.jsonl").read_text(encoding="utf-8")
    assert list(work.iterdir()) == [] and "exported to" not in res.stderr


def test_dash_writes_utf8_whatever_the_locale(tmp_path, db):
    env = dict(os.environ, PYTHONIOENCODING="latin-1", LC_ALL="C")
    res = subprocess.run([sys.executable, "-m", "annotator", "export", "--db", str(db), "-o", "-"],
                         capture_output=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.decode("utf-8"))["text"] == TEXT


def test_a_stale_temporary_file_of_a_killed_export_is_removed_by_the_next(tmp_path, db):
    target = tmp_path / "out.jsonl"
    stale = tmp_path / ".out.jsonl.abcd1234.tmp"
    stale.write_text("half an export")
    other = tmp_path / ".other.jsonl.abcd1234.tmp"  # another target's: not ours to remove
    other.write_text("x")
    res = cli("export", "--db", db, "-o", target)
    assert res.returncode == 0, res.stderr
    assert not stale.exists() and other.exists()
    assert "left by an export that was interrupted" in res.stderr


def test_a_temporary_file_in_use_by_a_live_export_is_kept(tmp_path):
    import fcntl

    from annotator.exporting import sweep_leftovers

    live = tmp_path / ".out.jsonl.live1234.tmp"
    live.write_text("being written")
    with live.open() as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        assert sweep_leftovers(tmp_path / "out.jsonl") == []
    assert live.exists()
    assert sweep_leftovers(tmp_path / "out.jsonl") == [live.name]


# -- brat: a folder swapped in whole --------------------------------------------------------


def test_brat_never_writes_through_a_symlink_in_the_output_folder(tmp_path, db):
    precious = tmp_path / "precious.txt"
    precious.write_text("my only copy\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "d1.txt").symlink_to(precious)
    (out / "d1.ann").symlink_to(precious)
    res = cli("export", "--db", db, "--format", "brat", "-o", out)
    assert res.returncode == 0, res.stderr
    assert precious.read_text() == "my only copy\n"
    assert not (out / "d1.txt").is_symlink() and (out / "d1.txt").read_text(encoding="utf-8") == TEXT
    assert "PER 4 14" in (out / "d1.ann").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "out", "precious.txt"]


def test_brat_replaces_an_old_export_whole_and_keeps_its_configuration(tmp_path, db):
    out = tmp_path / "out"
    out.mkdir()
    (out / "gone.txt").write_text("a document no longer in the store")
    (out / "gone.ann").write_text("")
    (out / "annotation.conf").write_text("[entities]\nPER\n")
    os.chmod(out, 0o750)
    assert cli("export", "--db", db, "--format", "brat", "-o", out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["annotation.conf", "d1.ann", "d1.txt"]
    assert (out / "annotation.conf").read_text() == "[entities]\nPER\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o750


def test_brat_follows_a_symlink_to_a_folder_and_keeps_the_link(tmp_path, db):
    real = tmp_path / "real"
    real.mkdir()
    (real / "old.txt").write_text("old")
    link = tmp_path / "out"
    link.symlink_to(real)
    assert cli("export", "--db", db, "--format", "brat", "-o", link).returncode == 0
    assert link.is_symlink() and sorted(p.name for p in real.iterdir()) == ["d1.ann", "d1.txt"]


def test_brat_refuses_a_folder_holding_other_files(tmp_path, db):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    (out / "sub").mkdir()
    line = one_error_line(cli("export", "--db", db, "--format", "brat", "-o", out))
    assert "notes.md" in line and "nothing was written" in line
    assert sorted(p.name for p in out.iterdir()) == ["notes.md", "sub"]


def test_brat_refuses_a_file_and_standard_output(tmp_path, db):
    file = tmp_path / "out"
    file.write_text("keep")
    assert "is a file" in one_error_line(cli("export", "--db", db, "--format", "brat", "-o", file))
    assert file.read_text() == "keep"
    assert "writes a folder" in one_error_line(cli("export", "--db", db, "--format", "brat", "-o", "-"))


def test_sigkill_during_brat_export_leaves_the_old_folder_or_the_complete_new_one(tmp_path, news_schema):
    rng = random.Random(SEED + 9)
    db = tmp_path / "big.db"
    paragraph = TEXT + "\n"
    make_store(db, news_schema, [(f"x{i}", f"{i}\n{paragraph * 120}", {}) for i in range(150)])
    reference = tmp_path / "reference"
    assert cli("export", "--db", db, "--format", "brat", "-o", reference).returncode == 0
    new = {p.name: p.read_bytes() for p in reference.iterdir()}
    target = tmp_path / "out"
    outcomes = {"old": 0, "new": 0}
    for i in range(6):
        if not target.exists():
            target.mkdir()
        for p in target.iterdir():
            p.unlink()
        old = {"old.txt": b"old export", "old.ann": b"T1\tPER 0 3\told\n"}
        for name, data in old.items():
            (target / name).write_bytes(data)
        proc = subprocess.Popen([sys.executable, "-m", "annotator", "export", "--db", str(db), "--format", "brat",
                                 "-o", str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.*.tmp")) and proc.poll() is None:  # writing has begun
            assert time.monotonic() < deadline, "the export never started writing"
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.25) if i % 2 else rng.uniform(0.25, 3))  # mid-write, or near the swap
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
        got = {p.name: p.read_bytes() for p in target.iterdir()}
        assert got in (old, new), f"seed {SEED}, brat kill {i}: a half-written folder ({len(got)} files)"
        outcomes["old" if got == old else "new"] += 1
    res = cli("export", "--db", db, "--format", "brat", "-o", target)
    assert res.returncode == 0, res.stderr
    assert {p.name: p.read_bytes() for p in target.iterdir()} == new
    assert not list(tmp_path.glob(".out.*")), "the next export did not clear what the killed ones left"
    print(f"brat export kills (seed {SEED}): {outcomes}")


# -- stored foreign metadata is never trusted -----------------------------------------------

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=12)
    | st.sampled_from(["text", "\n", "T1\tPER 0 3\tx", "A1", " ", "\t", "label", "doc_id", "csv"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "text", "doc_id", "labels", "data", "annotations", "meta", "was_cancelled",
                         "start", "end", "email", "x"]) | st.text(max_size=4), inner, max_size=4),
    max_leaves=12)
KEYS = ["key_order", "label_keys", "differing_text", "id", "type", "text", "labels", "text_key", "data", "task",
        "kind", "from_name", "to_name", "annotation", "completed_by", "kept", "control", "line_ids", "sep",
        "flags", "end_marker", "lengths", "columns", "quoting", "tokens", "form", "derived_id", "meta", "answer",
        "_input_hash", "spans", "entities", "doc_id", "extra", "format"]
FORMAT_NAMES = sorted(all_formats())
EXTRA = st.dictionaries(st.sampled_from(KEYS), JUNK | st.lists(st.integers(0, 80), max_size=5), max_size=8)
META = st.fixed_dictionaries(
    {"import": st.one_of(JUNK, st.fixed_dictionaries({"format": st.sampled_from(FORMAT_NAMES) | JUNK,
                                                      "extra": EXTRA | JUNK}))},
    optional={"doc_id": JUNK, "topic": JUNK, "tweet_url": JUNK, "x": JUNK})


def texts_written(fmt: str, out: Path) -> list[str] | None:
    """The document texts an export holds, for the formats that keep the text whole."""
    if fmt == "brat":
        return sorted(p.read_text(encoding="utf-8") for p in out.glob("*.txt"))
    raw = out.read_text(encoding="utf-8")
    if fmt in ("native", "prodigy", "doccano", "araieval"):
        return sorted(json.loads(line)["text"] for line in raw.split("\n") if line)  # not splitlines: NEL is text
    if fmt == "label-studio-min":
        return sorted(item["text"] for item in json.loads(raw))
    if fmt == "label-studio":
        return sorted(next(v for v in task["data"].values() if isinstance(v, str) and v.startswith(TEXT))
                      for task in json.loads(raw))
    return None


@settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(metas=st.lists(META, min_size=1, max_size=2))
def test_junk_in_stored_metadata_never_breaks_an_export(news_schema, metas):
    from annotator.exporting import export_store

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        docs = [(f"d{i}", TEXT + "!" * i, meta) for i, meta in enumerate(metas)]
        make_store(tmp_path / "junk.db", news_schema, docs)
        store = SQLiteStore(tmp_path / "junk.db")
        try:
            for fmt in WRITABLE:
                out = tmp_path / f"out-{fmt}"
                ctx = export_store(store, news_schema, get_format(fmt), str(out))
                assert ctx.skipped == 0, (fmt, ctx.problems)
                texts = texts_written(fmt, out)
                if texts is not None:
                    assert texts == sorted(text for _, text, _ in docs), f"{fmt}: the text was not kept"
                for problem in ctx.problems:
                    assert "Traceback" not in str(problem)
        finally:
            store.close()


FINDING = {  # the shapes the issue reported, per writer that reads them
    "label-studio": {"task": ["not", "a", "dict"], "data": 5, "text_key": 7, "annotation": "x", "kind": [1]},
    "brat": {"kept": [1, 2, ["nested"]], "line_ids": "A1"},
    "araieval": {"key_order": [["x"]], "label_keys": "oops", "differing_text": [[1, 2]]},
}


@pytest.mark.parametrize("fmt", sorted(FINDING))
def test_junk_metadata_from_the_issue_is_reported_with_the_document_id(tmp_path, news_schema, fmt):
    db = tmp_path / "j.db"
    meta = {"import": {"format": fmt, "extra": FINDING[fmt]}}
    make_store(db, news_schema, [("bad-doc", TEXT, meta), ("good-doc", TEXT + "!", {})])
    out = tmp_path / "out"
    res = cli("export", "--db", db, "--format", fmt, "-o", out)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "document 'bad-doc': its stored" in res.stderr
    assert sorted(texts_written(fmt, out)) == [TEXT, TEXT + "!"]


def test_a_native_import_of_junk_metadata_then_every_export(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [{"id": f"n{k}", "text": TEXT + "!" * k, "meta": {"import": {"format": fmt, "extra": {
        "kept": {"a": 1}, "key_order": 3, "data": [], "task": "t", "sep": ["x"], "flags": 5, "lengths": "x",
        "columns": {"a": 1}, "control": "text", "text": "NOT THE TEXT", "form": 9, "tokens": [{}],
        "line_ids": [], "label_keys": [[1]], "differing_text": {"a": 1}}}}} for k, fmt in enumerate(WRITABLE)]
    src.write_text("".join(json.dumps(line) + "\n" for line in lines))
    db = tmp_path / "n.db"
    assert cli("import", src, "--db", db, "--format", "native").returncode == 0
    for fmt in WRITABLE:
        out = tmp_path / f"out-{fmt}"
        res = cli("export", "--db", db, "--format", fmt, "-o", out)
        assert res.returncode == 0 and "Traceback" not in res.stderr, (fmt, res.stderr)
        assert f"exported to {out}" in res.stderr
        texts = texts_written(fmt, out)
        if texts is not None:
            assert texts == sorted(line["text"] for line in lines), f"{fmt}: stored metadata overrode the text"


def test_a_record_no_writer_can_build_is_skipped_counted_and_exit_1(tmp_path, news_schema, monkeypatch, capsys):
    from annotator.cli import main
    from annotator.formats.doccano import DoccanoFormat

    db = tmp_path / "s.db"
    make_store(db, news_schema, [("ok", TEXT, {}), ("broken", TEXT + "!", {})])
    line = DoccanoFormat.line

    def failing(self, rec, ctx):
        if rec.document.id == "broken":
            raise TypeError("a writer bug")
        return line(self, rec, ctx)

    monkeypatch.setattr(DoccanoFormat, "line", failing)
    out = tmp_path / "out.jsonl"
    assert main(["export", "--db", str(db), "--format", "doccano", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "document 'broken' (annotator 'amal'): not written as doccano" in err
    assert "1 document record(s) could not be written" in err
    assert [json.loads(x)["doc_id"] for x in out.read_text().splitlines()] == ["ok"]


def test_written_rebuilds_without_the_import_metadata_then_skips(news_schema):
    from annotator.formats._stored import written
    from annotator.formats.base import Record

    ctx = WriteContext(schema=news_schema)
    rec = Record(Document("d", "t", {"import": {"format": "x"}, "keep": 1}))
    seen = []

    def build(r):
        seen.append(dict(r.document.meta))
        if "import" in r.document.meta:
            raise KeyError("junk")
        return "ok"

    assert written(build, rec, ctx, "x") == "ok" and seen[-1] == {"keep": 1} and ctx.skipped == 0
    assert written(lambda r: [][1], rec, ctx, "x") is None and ctx.skipped == 1
