"""Issue 9, reading outside the input and escapes on stdout, through the real command line:
a name taken from data (AQMAR ``Filename``, a brat sibling) or a symlink inside a folder never
makes a reader open a file outside the folder it was given; ``render`` refuses pipes, devices
and huge files; whatever a command prints for a person is escaped (one line per message),
while data streams stay exact; a file name that is not UTF-8 still gives a usable id.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.store.sqlite import SQLiteStore

SECRET = "SECRETVALUE"
EVIL = "x\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202e\x9b\nforged: 100% finished"
# what must never reach a terminal raw: C0 (but newline, tab), DEL, C1, bidi controls
RAW = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\n\t"} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def cli(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})


def out(done) -> str:
    return done.stdout.decode("utf-8")


def err(done) -> str:
    return done.stderr.decode("utf-8")


def assert_terminal_safe(text: str) -> None:
    raw = sorted(f"U+{ord(c):04X}" for c in set(text) & RAW)
    assert not raw, f"raw control characters reach the terminal: {raw}"


def stored_texts(db: Path) -> list[str]:
    store = SQLiteStore(db)
    try:
        return [store.get_document(i).text for i in store.document_ids()]
    finally:
        store.close()


# -- 6. AQMAR truth.csv: the token file must be inside the CSV's folder -----------------------------

def _aqmar_case(tmp_path: Path) -> Path:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "secret.txt").write_text(f"{SECRET}\tO\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("قال\tO\nمصطفى\tB-PER\n", encoding="utf-8")
    (corpus / "link.txt").symlink_to(secret / "secret.txt")
    rows = ["Filename,Start,End,Type,Surface",
            f"{secret / 'secret.txt'},1,1,PER,{SECRET}",  # line 2: an absolute path
            f"../secret/secret.txt,1,1,PER,{SECRET}",  # line 3: up and out
            f"link.txt,1,1,PER,{SECRET}",  # line 4: a symlink in the folder that leads out
            "good.txt,2,2,PER,مصطفى"]  # line 5: fine
    (corpus / "truth.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return corpus / "truth.csv"


def test_aqmar_token_files_outside_the_csv_folder_are_refused_with_file_and_line(tmp_path):
    truth = _aqmar_case(tmp_path)
    done = cli("import", truth, "--format", "aqmar-truth", "--db", tmp_path / "s.db")
    assert b"Traceback" not in done.stderr
    messages = err(done)
    for line in (2, 3, 4):
        assert f"{truth}:{line}: Filename" in messages and "outside the folder" in messages
    assert messages.count("row(s) not imported") == 3
    assert "3 record(s) rejected" in out(done) and "imported 1 document(s)" in out(done)
    texts = stored_texts(tmp_path / "s.db")
    assert texts == ["قال مصطفى"] and not any(SECRET in t for t in texts)


# -- the brat reader pairs .txt and .ann by name: the same rule ------------------------------------

def test_brat_never_reads_a_pair_member_that_leads_out_of_the_folder(tmp_path):
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "a.txt").symlink_to(tmp_path / "secret.txt")  # its .ann is real, its text is a link out
    (folder / "a.ann").write_text("T1\tPER 0 6\tSECRET\n", encoding="utf-8")
    (folder / "b.txt").write_text("قال مصطفى", encoding="utf-8")
    (folder / "b.ann").write_text("T1\tPER 4 9\tمصطفى\n", encoding="utf-8")
    done = cli("import", folder, "--format", "brat", "--db", tmp_path / "s.db")
    assert b"Traceback" not in done.stderr
    assert f"{folder / 'a.txt'}: outside the folder" in err(done)
    assert "1 record(s) rejected" in out(done)
    assert stored_texts(tmp_path / "s.db") == ["قال مصطفى"]
    # naming the .ann alone: its .txt, found by name beside it, is checked the same way
    done = cli("import", folder / "a.ann", "--format", "brat", "--db", tmp_path / "t.db")
    assert "outside the folder" in err(done) and done.returncode == 1
    assert not any(SECRET in t for t in stored_texts(tmp_path / "t.db"))


# -- 7. folder import follows no symlink out of the folder named -----------------------------------

def test_folder_import_skips_and_reports_symlinks_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.txt").write_text(SECRET, encoding="utf-8")
    (outside / "more.txt").write_text(SECRET + "2", encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.txt").write_text("نص أول", encoding="utf-8")
    (folder / "passwd.txt").symlink_to(outside / "passwd.txt")  # a file link out
    (folder / "sub").symlink_to(outside, target_is_directory=True)  # a folder link out
    (folder / "again.txt").symlink_to(folder / "ok.txt")  # a link that stays inside: fine
    done = cli("import", folder, "--db", tmp_path / "s.db")
    assert b"Traceback" not in done.stderr
    messages = err(done)
    assert f"{folder / 'passwd.txt'}: symbolic link outside the folder" in messages and "not followed" in messages
    assert f"{folder / 'sub'}: symbolic link outside the folder" in messages
    assert "2 record(s) rejected" in out(done) and "problem(s) reported" in out(done)
    assert not any(SECRET in t for t in stored_texts(tmp_path / "s.db"))
    assert stored_texts(tmp_path / "s.db") == ["نص أول"]
    # a folder holding nothing but a link out says so once (not also "no files to import")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "p.txt").symlink_to(outside / "passwd.txt")
    done = cli("import", lonely, "--db", tmp_path / "t.db")
    assert "not followed" in err(done) and "no files to import" not in err(done) and done.returncode == 1


# -- 8. render: the same regular-file check as import, and a size limit ----------------------------

def test_render_refuses_a_named_pipe_and_a_device_at_once(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (fifo, Path("/dev/zero")):
        if not target.exists():
            continue
        done = cli("render", target, "--width", "20", "--rtl-mode", "plain", timeout=60)  # it used to hang
        assert done.returncode == 2 and "not a regular file" in err(done) and b"Traceback" not in done.stderr


def test_render_refuses_a_file_over_the_size_limit_and_the_limit_can_be_raised(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # sparse: 51 MB on paper, only the start written
        f.write("قال ".encode() * 2000)
        f.truncate(51 * 1024 * 1024)
    done = cli("render", big, "--width", "20", "--rtl-mode", "plain")
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert "larger than 50 MB" in err(done) and "--max-size" in err(done) and not done.stdout
    small = tmp_path / "small.txt"
    small.write_text("قال مصطفى\n" * 70_000, encoding="utf-8")  # about 1.2 MB
    done = cli("render", small, "--width", "40", "--rtl-mode", "plain", "--max-size", "1")
    assert done.returncode == 2 and "larger than 1 MB" in err(done)
    done = cli("render", small, "--width", "40", "--rtl-mode", "plain", "--max-size", "2")
    assert done.returncode == 0, err(done)[-500:]
    assert done.stdout.count(b"\n") >= 70_000


def test_render_of_an_empty_file_or_one_holding_nul_still_shows_it(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    done = cli("render", tmp_path / "empty.txt", "--width", "20", "--rtl-mode", "plain")
    assert done.returncode == 0 and done.stdout.strip() == b""  # one empty row, as before
    (tmp_path / "nul.txt").write_bytes("قال\x00\x1b[2J".encode())
    done = cli("render", tmp_path / "nul.txt", "--width", "20", "--rtl-mode", "plain")
    assert done.returncode == 0 and "␀" in out(done) and "␛" in out(done)
    assert_terminal_safe(out(done))


# -- 15. everything printed for a person is escaped; data streams stay exact -----------------------

def _prodigy_store(tmp_path: Path) -> Path:
    """A store whose annotator name holds escapes: import refuses such a name now, so it is written behind
    the store's back, as an older version or another program could have."""
    (tmp_path / "p.jsonl").write_text(json.dumps(
        {"text": "قال مصطفى بالي", "spans": [{"start": 4, "end": 9, "label": "PER"}], "_annotator_id": "amal",
         "answer": "accept"}) + "\n", encoding="utf-8")
    done = cli("import", tmp_path / "p.jsonl", "--db", tmp_path / "s.db")
    assert done.returncode == 0, err(done)
    with sqlite3.connect(tmp_path / "s.db") as raw:
        for table in ("annotations",):  # the op log is append-only (a trigger): the name in it stays
            raw.execute(f"UPDATE {table} SET annotator = ? WHERE annotator = 'amal'", (EVIL,))
    raw.close()
    return tmp_path / "s.db"


def test_stats_escapes_annotator_names_and_they_cannot_forge_a_line(tmp_path):
    db = _prodigy_store(tmp_path)
    done = cli("stats", "--db", db)
    assert done.returncode == 0, err(done)
    text = out(done)
    assert_terminal_safe(text)
    assert "\\x1b]52" in text and "\\u202e" in text  # shown, so the user sees something odd is there
    assert not any(line.startswith("forged") for line in text.splitlines())
    assert len(text.splitlines()) == 3  # the store line, the annotator's line, the label counts


def test_check_escapes_a_hostile_schema_name(tmp_path):
    schema = tmp_path / "s.yaml"
    name = "news\x1b]52;c;eA==\x07\x1b[2J\u202e"
    text = (Path(__file__).parents[1] / "schemas" / "news.yaml").read_text(encoding="utf-8")
    schema.write_text(text.replace("name: news", f"name: {json.dumps(name)}", 1), encoding="utf-8")
    done = cli("check", "--schema", schema)
    assert_terminal_safe(out(done) + err(done))
    if done.returncode == 0:  # the loader may also refuse such a name: either way nothing raw
        assert "\\x1b]52" in out(done)


def test_check_escapes_document_ids_and_annotator_names(tmp_path, news_schema):
    from annotator.model.annotations import Document
    from annotator.session import AnnotationSession

    db = tmp_path / "s.db"
    store = SQLiteStore(db)
    doc_id = "doc\x1b[2J\u202e\nforged: ok"
    store.add_document(Document(doc_id, "قال مصطفى بالي"))
    AnnotationSession(store, news_schema, EVIL).add_entity(doc_id, 4, 9, "PER")
    store.close()
    with sqlite3.connect(db) as raw:  # a text cut short behind the store's back: its span is now outside
        raw.execute("UPDATE documents SET text = ? WHERE id = ?", ("قال".encode(), doc_id))
    raw.close()
    done = cli("check", "--db", db)
    assert done.returncode == 1 and "PROBLEMS FOUND" in out(done)
    assert_terminal_safe(out(done))
    assert "doc\\x1b[2J\\u202e\\x0aforged: ok" in out(done)
    assert not any(line.startswith("forged") for line in out(done).splitlines())


def test_a_newline_in_a_file_name_does_not_forge_summary_lines(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fine.txt").write_text("نص", encoding="utf-8")
    (folder / "bad\nimported 999 document(s) from 999 file(s)\x1b[2J.txt").write_bytes(b"")
    done = cli("import", folder, "--db", tmp_path / "s.db")
    assert b"Traceback" not in done.stderr
    lines = (out(done) + err(done)).splitlines()
    assert not any(line.startswith("imported 999") for line in lines), lines
    assert_terminal_safe(out(done) + err(done))
    assert "bad\\x0aimported 999" in err(done)


def test_data_written_by_export_stays_exact(tmp_path):
    """Only messages are escaped: a text holding ESC and RLO is exported byte for byte."""
    from annotator.model.annotations import Document

    db = tmp_path / "s.db"
    store = SQLiteStore(db)
    store.add_document(Document("d1", "قال \x1b[2J\u202e نص\nسطر"))
    store.close()
    target = tmp_path / "o.jsonl"
    done = cli("export", "--db", db, "-o", target)
    assert done.returncode == 0, err(done)
    on_stdout = cli("export", "--db", db)  # the data stream on stdout is data too
    assert on_stdout.returncode == 0
    for data in (target.read_bytes(), on_stdout.stdout):
        record = json.loads(data.decode("utf-8").splitlines()[0])
        assert record["text"] == "قال \x1b[2J\u202e نص\nسطر"
    assert on_stdout.stdout == target.read_bytes()


# -- 19 (part). a file name that is not UTF-8 still names its document -----------------------------

@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes as a name")
def test_a_file_name_that_is_not_utf8_gives_a_safe_unique_id_and_keeps_the_name(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    try:
        (Path(os.fsdecode(bytes(folder))) / os.fsdecode(b"caf\xe9.txt")).write_text("نص أول", encoding="utf-8")
        (Path(os.fsdecode(bytes(folder))) / os.fsdecode(b"caf\xff.txt")).write_text("نص ثان", encoding="utf-8")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    done = cli("import", folder, "--db", tmp_path / "s.db")
    assert done.returncode == 0 and "imported 2 document(s)" in out(done), err(done)
    assert "lone surrogate" not in err(done)
    store = SQLiteStore(tmp_path / "s.db")
    try:
        assert store.document_ids() == ["caf\\xe9", "caf\\xff"]
        meta = store.get_document("caf\\xe9").meta
    finally:
        store.close()
    assert meta["source_file"] == "caf\\xe9.txt" and bytes.fromhex(meta["source_file_bytes"]) == b"caf\xe9.txt"
    done = cli("export", "--db", tmp_path / "s.db", "-o", tmp_path / "o.jsonl")
    assert done.returncode == 0, err(done)
    exported = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in exported] == ["caf\\xe9", "caf\\xff"]


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes as a name")
@pytest.mark.parametrize("fmt,files", [
    ("brat", {b"caf\xe9.txt": "قال مصطفى بالي".encode(), b"caf\xe9.ann": "T1\tPER 4 14\tمصطفى بالي\n".encode()}),
    ("conll", {b"caf\xe9.conll": "قال O\nمصطفى B-PER\nبالي I-PER\n".encode()}),
])
def test_other_readers_name_documents_from_a_name_that_is_not_utf8(tmp_path, fmt, files):
    """The same rule as plain text (formats._io.readable_name) for every reader that takes an id or meta
    from a file name."""
    folder = tmp_path / "in"
    folder.mkdir()
    try:
        for name, data in files.items():
            (Path(os.fsdecode(bytes(folder))) / os.fsdecode(name)).write_bytes(data)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    done = cli("import", folder, "--db", tmp_path / "s.db", "--format", fmt)
    assert done.returncode == 0 and "imported 1 document(s)" in out(done), err(done)
    store = SQLiteStore(tmp_path / "s.db")
    try:
        (doc_id,) = store.document_ids()
        info = store.get_document(doc_id).meta["import"]
    finally:
        store.close()
    assert doc_id.startswith("caf\\xe9")
    assert info["file"].startswith("caf\\xe9.") and bytes.fromhex(info["file_bytes"]).startswith(b"caf\xe9.")
    done = cli("export", "--db", tmp_path / "s.db", "-o", tmp_path / "o.jsonl")
    assert done.returncode == 0, err(done)
    json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()[0])
