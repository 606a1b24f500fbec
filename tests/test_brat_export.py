"""brat export: the folder writer, and the same files shipped as one archive (``-o corpus.tar``,
``.tar.gz``, ``.tgz``; issue 12 aim 4).

An archive holds ``<name>/<stem>.txt`` and ``<name>/<stem>.ann``, byte for byte what a folder export
writes, is replaced atomically like every one-file output, and a failed or killed export leaves no
half archive under its name.
"""

from __future__ import annotations

import io
import os
import random
import re
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from annotator.exporting import export_records
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

from conftest import SEEDS, shared_data

BRAT = get_format("brat")
SEED = int(os.environ.get("HARDENING_SEED", random.randrange(1_000_000)))
TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=os.environ, stdin=subprocess.DEVNULL)


def export(records: list[Record], out: Path, schema) -> WriteContext:
    ctx = WriteContext(schema=schema)
    export_records(BRAT, records, out, ctx)
    return ctx


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def archive_files(path: Path, named: str | None = None) -> tuple[list[str], dict[str, bytes]]:
    """(member names in order, {file name: bytes}) of an archive, its one folder checked: the name the
    export was given (``named``, else ``path``'s) less its suffix."""
    with tarfile.open(path) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        top = re.sub(r"(?i)(\.tar|\.tar\.gz|\.tgz)$", "", named or path.name)
        assert members[0].isdir() and members[0].name == top, names[:3]
        files = {}
        for m in members[1:]:
            assert m.isfile() and m.name.startswith(top + "/") and "/" not in m.name[len(top) + 1:], m.name
            data = tar.extractfile(m)
            assert data is not None
            files[m.name[len(top) + 1:]] = data.read()
    return names, files


def seed_records() -> list[Record]:
    return [rec for path in sorted(SEEDS.glob("*.txt")) for rec in BRAT.read(path, ReadContext())] or [
        Record(Document("x", TEXT), Annotations("x", None))]


def awkward_records() -> list[Record]:
    """Texts and ids that test the writer: line ends of every kind, NUL, emoji, a lone surrogate in the
    text (written as brat always did), ids that need a safe file name, two ids with one file name,
    an Arabic id and one longer than a tar header holds."""
    texts = {
        "crlf\r\nline\rend\n": [Entity("e1", 0, 4, "PER"), Entity("T7", 6, 10, "ORG")],
        "nul\x00 and emoji 👩‍👩‍👧 end": [Entity("e1", 7, 9, "LOC")],
        "lone \udcff surrogate": [],
        TEXT: [Entity("e1", 4, 14, "PER", identity="i1"), Entity("e2", 15, 20, "PER", identity="i1")],
        "": [],
    }
    ids = ["a/b", "a_b", "../up", "وثيقة-١", "x" * 150, "."]
    records = []
    for i, (text, entities) in enumerate(texts.items()):
        doc_id = ids[i % len(ids)]
        claims = (Claim("c1", 0, len(text), {"checkworthy": "yes"}, "e1"),) if len(text) > 20 else ()
        records.append(Record(Document(doc_id, text),
                              Annotations(doc_id, "amal", entities=tuple(entities), claims=claims,
                                          status="done" if i % 2 else "todo")))
    records.append(Record(Document(ids[-1], "last"), Annotations(ids[-1], None)))
    return records


def shared_records() -> list[Record]:
    """The shared NER corpora's sentences, as the CoNLL reader gives them."""
    path = shared_data("ner_anercorp_camel", "ANERcorp_test_original_first100sent.txt")
    wojood = shared_data("ner_wojood", "wojood_train_first150sent.txt")
    conll = get_format("conll")
    return [*conll.read(path, ReadContext()), *conll.read(wojood, ReadContext())]


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".tgz", ".TAR"])
@pytest.mark.parametrize("which", ["seeds", "awkward", "shared"])
def test_an_archive_holds_the_folder_export_byte_for_byte(which, suffix, tmp_path, news_schema):
    records = {"seeds": seed_records, "awkward": awkward_records, "shared": shared_records}[which]()
    export(records, tmp_path / "corpus", news_schema)
    folder = folder_files(tmp_path / "corpus")
    archive = tmp_path / f"corpus{suffix}"
    ctx = export(records, archive, news_schema)
    assert archive.is_file() and not (tmp_path / "corpus").joinpath("corpus").exists()
    names, files = archive_files(archive)
    assert files == folder and len(folder) == 2 * len(records)
    pairs = list(zip(names[1::2], names[2::2], strict=True))  # each document's .txt, then its .ann
    assert all(t.endswith(".txt") and a == t[: -len(".txt")] + ".ann" for t, a in pairs), names
    assert [p.message for p in ctx.problems] == [
        p.message for p in export(records, tmp_path / "again", news_schema).problems]


def test_the_archive_extracted_is_a_brat_collection_that_imports_back(tmp_path, news_schema):
    records = seed_records()
    archive = tmp_path / "news.tgz"
    export(records, archive, news_schema)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    back = list(BRAT.read(tmp_path / "x" / "news", ReadContext(schema=news_schema)))
    assert [(r.document.id, r.document.text) for r in back] == [(r.document.id, r.document.text) for r in records]
    for got, want in zip(back, records, strict=True):
        assert got.annotations is not None and want.annotations is not None
        assert {(e.start, e.end, e.label) for e in got.annotations.entities} == {
            (e.start, e.end, e.label) for e in want.annotations.entities}


# -- the output: replaced like any one-file output, never half written ------------------------


@pytest.fixture
def db(tmp_path, news_schema):
    path = tmp_path / "a.db"
    store = SQLiteStore(path)
    session = AnnotationSession(store, news_schema, "amal")
    store.add_document(Document("d1", TEXT))
    session.add_entity("d1", 4, 14, "PER")
    store.close()
    return path


def test_an_existing_archive_is_replaced_atomically_like_any_one_file_output(tmp_path, db):
    out = tmp_path / "corpus.tar"
    out.write_bytes(b"an old archive")
    os.chmod(out, 0o640)
    res = cli("export", "--db", db, "--format", "brat", "-o", out)
    assert res.returncode == 0, res.stderr
    assert archive_files(out)[1]["d1.txt"] == TEXT.encode()
    assert oct(out.stat().st_mode & 0o777) == oct(0o640)
    link = tmp_path / "link.tar.gz"
    link.symlink_to(out)
    assert cli("export", "--db", db, "--format", "brat", "-o", link).returncode == 0
    assert link.is_symlink() and archive_files(out, link.name)[1]["d1.txt"] == TEXT.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "corpus.tar", "link.tar.gz"]


def test_a_folder_named_like_an_archive_and_standard_output_are_refused(tmp_path, db):
    folder = tmp_path / "old.tar"
    folder.mkdir()
    (folder / "d1.txt").write_text("keep")
    res = cli("export", "--db", db, "--format", "brat", "-o", folder)
    assert res.returncode == 2 and "is a folder" in res.stderr and "Traceback" not in res.stderr
    assert (folder / "d1.txt").read_text() == "keep"
    res = cli("export", "--db", db, "--format", "brat", "-o", "-")
    assert res.returncode == 2 and ".tar" in res.stderr and not res.stdout


def test_a_failed_archive_export_leaves_the_old_archive_and_no_temporary_file(tmp_path, news_schema):
    out = tmp_path / "corpus.tar.gz"
    out.write_bytes(b"the old archive")
    good = Record(Document("ok", TEXT), Annotations("ok", None))
    bad = Record(Document("bad", "x\udcffy"), Annotations("bad", None, entities=(Entity("e1", 0, 3, "PER"),)))
    with pytest.raises(UnicodeEncodeError):  # export_store turns it into a message naming the document
        export_records(BRAT, [good] * 50 + [bad], out, WriteContext(schema=news_schema))
    assert out.read_bytes() == b"the old archive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.tar.gz"]


def test_sigkill_during_an_archive_export_leaves_the_old_archive_or_the_complete_new_one(tmp_path, news_schema):
    rng = random.Random(SEED + 12)
    db = tmp_path / "big.db"
    store = SQLiteStore(db)
    paragraph = TEXT + "\n"
    for i in range(150):
        store.add_document(Document(f"x{i}", f"{i}\n{paragraph * 120}"))
    store.close()
    reference = tmp_path / "reference.tar"
    assert cli("export", "--db", db, "--format", "brat", "-o", reference).returncode == 0
    new = archive_files(reference)[1]
    target = tmp_path / "out.tar"
    outcomes = {"old": 0, "new": 0}
    for i in range(4):
        target.write_bytes(b"old archive")
        proc = subprocess.Popen([sys.executable, "-m", "annotator", "export", "--db", str(db), "--format", "brat",
                                 "-o", str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.tar.*.tmp")) and proc.poll() is None:  # writing has begun
            assert time.monotonic() < deadline, "the export never started writing"
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.2) if i % 2 else rng.uniform(0.2, 1.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
        if target.read_bytes() == b"old archive":
            outcomes["old"] += 1
        else:
            assert archive_files(target)[1] == new, f"seed {SEED}, kill {i}: a half-written archive"
            outcomes["new"] += 1
    assert cli("export", "--db", db, "--format", "brat", "-o", target).returncode == 0
    assert archive_files(target)[1] == new
    assert not list(tmp_path.glob(".out.tar.*")), "the next export did not clear what the killed ones left"
    print(f"brat archive kills (seed {SEED}): {outcomes}")


# -- the writer --------------------------------------------------------------------------------


def test_what_brat_cannot_hold_is_reported_once_for_the_whole_export(tmp_path, news_schema):
    records = [Record(Document(f"d{i}", TEXT), Annotations(f"d{i}", "amal", status="done")) for i in range(300)]
    records.append(Record(Document("plain", TEXT), Annotations("plain", "amal")))
    ctx = export(records, tmp_path / "out", news_schema)
    said = [p.message for p in ctx.problems]
    assert said == ["300 documents ('d0', 'd1', 'd2', 'd3', 'd4' and 295 more): brat has no place for document "
                    "status, notes or attributes; not written"]
    one = export(records[:1], tmp_path / "one", news_schema)
    assert [p.message for p in one.problems] == [
        "document 'd0': brat has no place for document status, notes or attributes; not written"]


def test_the_folder_writer_makes_no_file_object_per_file(tmp_path, news_schema, monkeypatch):
    """Two files a document: each is created and written by its descriptor (``os.open`` through the
    folder's, ``O_EXCL``), not through ``open()`` or ``Path.open`` and their buffered wrappers."""
    records = seed_records()

    def refuse(*args, **kwargs):
        raise AssertionError("a file object was made for an exported file")
    monkeypatch.setattr(Path, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr("builtins.open", refuse)
    ctx = WriteContext(schema=news_schema)
    (tmp_path / "out").mkdir()
    BRAT.write_folder(records, tmp_path / "out", ctx)
    monkeypatch.undo()
    assert len(list((tmp_path / "out").iterdir())) == 2 * len(records)


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_the_archive_stream_writes_what_tarfile_writes_byte_for_byte(umask):
    """The quick headers (a template with the name, size and checksum put in) against ``tarfile``'s
    own, on names at and past the ustar limit, non-ASCII and undecodable ones, and sizes around a block."""
    from annotator.formats._archive import TarStream

    names = ["d.txt", "x" * 95 + ".ann", "y" * 96 + ".txt", "z" * 97 + ".txt", "وثيقة.txt", "bad\udcff.ann",
             "sp ace.txt", "a" * 300 + ".txt"]
    sizes = [0, 1, 511, 512, 513, 5000]
    members = [(f"top/{n}" if i % 2 else n, bytes(range(256)) * (size // 256) + b"q" * (size % 256))
               for i, (n, size) in enumerate((n, s) for n in names for s in sizes)]
    ours, theirs = io.BytesIO(), io.BytesIO()
    stream = TarStream(ours, 1_700_000_000, umask)
    stream.add("top", b"", tarfile.DIRTYPE)
    with tarfile.open(fileobj=theirs, mode="w|", format=tarfile.PAX_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        tar.addfile(stream.info("top", tarfile.DIRTYPE, 0))
        for name, data in members:
            stream.add(name, data)
            tar.addfile(stream.info(name, tarfile.REGTYPE, len(data)), io.BytesIO(data))
    stream.close()
    assert ours.getvalue() == theirs.getvalue()
    with tarfile.open(fileobj=io.BytesIO(ours.getvalue()), encoding="utf-8", errors="surrogateescape") as tar:
        got = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()[1:]]  # type: ignore[union-attr]
    assert got == members


def test_the_names_an_export_keeps_stay_small_and_unique(news_schema):
    """Two documents never share a file name, and what the export keeps for that is a few bytes a
    name, not the names: 30,000 documents add under 1.5 MB (a set of the names held about 3 MB)."""
    import tracemalloc

    def records():
        for i in range(30_000):
            doc_id = f"doc/{i}" if i % 1000 == 0 else f"document-number-{i:08d}"
            yield Record(Document(doc_id, "x"), Annotations(doc_id, None))
        yield Record(Document("doc_0", "x"), Annotations("doc_0", None))  # "doc/0" took doc_0
        yield Record(Document("doc/0", "x"), Annotations("doc/0", None))  # … and doc_0-2 went to the line above
    names = [name for name, _ in BRAT.files(records(), WriteContext(schema=news_schema))]
    assert len(set(names)) == len(names) == 2 * 30_002
    assert names[-4:] == ["doc_0-2.txt", "doc_0-2.ann", "doc_0-3.txt", "doc_0-3.ann"]
    tracemalloc.start()
    try:
        for _ in BRAT.files(records(), WriteContext(schema=news_schema)):
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5e6, f"{peak / 1e6:.1f} MB"


def test_fresh_brat_ids_are_the_same_with_or_without_claims(news_schema):
    """Spans whose ids brat cannot keep get T1, T2 … in text order, an id given twice its last one: one
    rule whether or not the document holds claims (the no-claims case had a copy of it)."""
    from annotator.formats.brat import _Unheld

    ents = (Entity("e1", 0, 3, "PER"), Entity("e2", 4, 9, "PER"), Entity("e1", 10, 14, "LOC"))
    without = Record(Document("d", TEXT), Annotations("d", "amal", entities=ents))
    with_claim = Record(Document("d", TEXT), Annotations("d", "amal", entities=ents,
                                                         claims=(Claim("e1", 15, 20, {}, None),)))
    ctx = WriteContext(news_schema)
    plain = BRAT.ann_lines(without, ctx, _Unheld())
    assert [line.split("\t")[0] for line in plain] == ["T3", "T2", "T3"]
    claimed = BRAT.ann_lines(with_claim, ctx, _Unheld())
    assert claimed[:3] == plain and claimed[3].startswith("T4\tClaim 15 20\t")
