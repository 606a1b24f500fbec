"""brat import from an archive (``annotator import corpus.tar``, ``.tar.gz``, ``.tgz``; issue 12 aim 4).

The archive is read as a stream, never extracted: it gives the same records as the folder it holds,
its member names are untrusted (links, devices, ``..``, absolute, duplicate and non-UTF-8 names are
reported with the archive and the member, no traceback), a damaged archive is said so, a huge
member costs what the same file costs in a folder, and a kill leaves whole records only.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import random
import subprocess
import sys
import tarfile
import tracemalloc
from pathlib import Path

import pytest
from test_brat_export import TEXT, awkward_records, seed_records

from annotator.errors import InputError
from annotator.exporting import export_records
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.importing import import_paths
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.store.sqlite import SQLiteStore

import crash_driver

BRAT = get_format("brat")


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=os.environ, stdin=subprocess.DEVNULL)


def read(path: Path, schema) -> tuple[list[Record], list[str]]:
    """The records ``path`` gives, by document id, and its problems' messages with the file named only by its name."""
    ctx = ReadContext(schema=schema)
    records = sorted(BRAT.read(path, ctx), key=lambda r: r.document.id)
    return records, [f"{Path(p.path).name}:{p.line}: {p.message}" for p in ctx.problems]


def labelled_records() -> list[Record]:
    """Seeds, awkward texts and ids, and documents with entities, claims, a claimer and an identity."""
    records = [*seed_records(), *[r for r in awkward_records() if not {"\udcff", "\0"} & set(r.document.text)]]
    for i in range(30):
        doc_id = f"news-{i:03d}"
        records.append(Record(Document(doc_id, f"{i} {TEXT}"), Annotations(
            doc_id, None, entities=(Entity("T1", 6, 16, "PER", identity="i1"), Entity("T2", 17, 22, "PER",
                                                                                      identity="i1")),
            claims=(Claim("T3", 0, 30, {"checkworthy": "yes"}, "T1"),))))
    return records


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], *, gz: bool = False) -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    path.write_bytes(gzip.compress(raw.getvalue()) if gz else raw.getvalue())
    return path


def member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple[tarfile.TarInfo,
                                                                                                   bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info, data


def folder_members(folder: Path, top: str) -> list[tuple[tarfile.TarInfo, bytes]]:
    return [member(f"{top}/{p.name}", p.read_bytes()) for p in sorted(folder.iterdir())]


# -- the same records as the folder ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".tgz"])
def test_an_exported_archive_imports_as_its_folder_does(suffix, tmp_path, news_schema):
    records = labelled_records()
    export_records(BRAT, records, tmp_path / "corpus", WriteContext(schema=news_schema))
    export_records(BRAT, records, tmp_path / f"corpus{suffix}", WriteContext(schema=news_schema))
    from_folder, folder_problems = read(tmp_path / "corpus", news_schema)
    from_archive, archive_problems = read(tmp_path / f"corpus{suffix}", news_schema)
    assert len(from_folder) == len(records)  # two ids with one file name too: the export wrote a "-2"
    assert from_archive == from_folder  # documents, texts, meta, entities, claims, identities
    assert archive_problems == folder_problems


@pytest.mark.parametrize("suffix", [".tar", ".tgz"])
def test_an_ann_a_folder_refuses_is_refused_in_an_archive_too(suffix, tmp_path, news_schema):
    records = [Record(Document("nul", "a\0b"), Annotations("nul", None, entities=(Entity("e1", 0, 3, "PER"),)))]
    export_records(BRAT, records, tmp_path / "corpus", WriteContext(schema=news_schema))
    export_records(BRAT, records, tmp_path / f"corpus{suffix}", WriteContext(schema=news_schema))
    said = []
    for path in (tmp_path / "corpus", tmp_path / f"corpus{suffix}"):
        with pytest.raises(InputError) as exc:
            read(path, news_schema)
        said.append(exc.value.problem)
    assert said == ["binary file (it holds NUL bytes): not a text format"] * 2


@pytest.mark.parametrize("order", ["ann first", "shuffled", "texts then anns"])
def test_pairs_are_found_in_any_member_order(order, tmp_path, news_schema):
    records = labelled_records()
    export_records(BRAT, records, tmp_path / "corpus", WriteContext(schema=news_schema))
    members = folder_members(tmp_path / "corpus", "corpus")
    if order == "ann first":  # what `tar c` of a sorted listing gives: a.ann, then a.txt
        members.sort(key=lambda m: (m[0].name[:-4], m[0].name[-4:]))
    elif order == "shuffled":
        random.Random(5).shuffle(members)
    else:
        members.sort(key=lambda m: (m[0].name[-4:] == ".ann", m[0].name))
    archive = make_tar(tmp_path / "other.tar.gz", [member("corpus", kind=tarfile.DIRTYPE), *members], gz=True)
    assert read(archive, news_schema) == read(tmp_path / "corpus", news_schema)


def test_the_command_imports_an_archive_as_it_imports_the_folder(tmp_path, news_schema):
    export_records(BRAT, labelled_records(), tmp_path / "corpus", WriteContext(schema=news_schema))
    export_records(BRAT, labelled_records(), tmp_path / "corpus.tgz", WriteContext(schema=news_schema))
    for name in ("corpus", "corpus.tgz"):
        res = cli("import", "--db", tmp_path / f"{name}.db", tmp_path / name, "--annotator", "amal")
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    dumps = []
    for name in ("corpus", "corpus.tgz"):
        store = SQLiteStore(tmp_path / f"{name}.db")
        ids = sorted(store.document_ids())
        dumps.append([(i, store.get_document(i).text,
                       dataclasses.replace(store.load(i, "amal"), created_at=None, updated_at=None)) for i in ids])
        store.close()
    assert dumps[0] == dumps[1] and len(dumps[0]) > 30
    assert "a .tgz archive of brat files" in res.stderr


# -- hostile and damaged archives -------------------------------------------------------------------


def test_hostile_members_are_reported_with_the_archive_and_the_member_and_the_rest_imported(tmp_path):
    ann = b"T1\tPER 0 4\tgood\n"
    archive = make_tar(tmp_path / "bad.tar", [
        member("c", kind=tarfile.DIRTYPE),
        member("c/good.txt", b"good text"), member("c/good.ann", ann),
        member("/etc/abs.txt", b"absolute"),
        member("c/../../up.txt", b"climbs"),
        member("c/link.txt", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        member("c/hard.ann", kind=tarfile.LNKTYPE, link="c/good.ann"), member("c/hard.txt", b"hard"),
        member("c/dev.txt", kind=tarfile.CHRTYPE), member("c/fifo.txt", kind=tarfile.FIFOTYPE),
        member("c/twice.txt", b"first"), member("c/twice.txt", b"second"),
        member("c/\udcff\udcfe.txt", b"latin-1 name"),
        member("c/annotation.conf", b"[entities]\nPER\n"), member("c/visual.conf", kind=tarfile.SYMTYPE, link="/x"),
    ])
    res = cli("import", "--db", tmp_path / "a.db", archive)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    expected = {
        "bad.tar: member /etc/abs.txt: an absolute name; abs.txt and .ann not imported",
        "bad.tar: member c/../../up.txt: a name with '..' (it would leave the archive's folder); up.txt and .ann not imported",
        "bad.tar: member c/link.txt: a symbolic link (to '/etc/passwd'): not followed; link.txt and .ann not imported",
        "bad.tar: member c/hard.ann: a hard link (to 'c/good.ann'): not followed; hard.txt and .ann not imported",
        "bad.tar: member c/dev.txt: a device or FIFO, not a file; dev.txt and .ann not imported",
        "bad.tar: member c/fifo.txt: a device or FIFO, not a file; fifo.txt and .ann not imported",
        "bad.tar: member c/twice.txt: the archive holds this name twice; twice.txt and .ann not imported",
        "bad.tar: member c/\\xff\\xfe.txt: its name is not UTF-8; \\xff\\xfe.txt and .ann not imported",
        "bad.tar: member c/visual.conf: a symbolic link (to '/x'): not followed; not read (brat reads .txt and .ann)",
    }
    said = {line.strip().split(str(tmp_path) + "/", 1)[-1] for line in res.stderr.splitlines()}
    assert expected <= said, "\n".join(sorted(said))
    assert "imported 1 document(s) from 1 file(s); 0 duplicate(s) skipped; 8 record(s) rejected" in res.stdout
    store = SQLiteStore(tmp_path / "a.db")
    assert store.document_ids() == ["good"]
    store.close()


@pytest.mark.parametrize("damage", ["not a tar", "cut gzip", "bad header inside", "cut inside a member", "empty"])
def test_a_damaged_archive_is_said_so_and_nothing_of_it_is_imported(damage, tmp_path):
    good = [member(f"c/d{i}.txt", TEXT.encode() * 5) for i in range(6)]
    raw = make_tar(tmp_path / "whole.tar", good).read_bytes()
    archive = tmp_path / ("c.tgz" if damage == "cut gzip" else "c.tar")
    if damage == "not a tar":
        archive.write_text("just some text\n" * 100)
    elif damage == "cut gzip":
        archive.write_bytes(gzip.compress(raw)[:-40])
    elif damage == "bad header inside":
        block = raw.index(b"c/d3.txt")
        archive.write_bytes(raw[:block + 148] + b"9999999\0" + raw[block + 156:])  # its checksum
    elif damage == "cut inside a member":
        archive.write_bytes(raw[: raw.index(b"c/d5.txt") + 700])
    else:
        archive.write_bytes(b"")
    res = cli("import", "--db", tmp_path / "a.db", "--format", "brat", archive)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert f"{archive}: " in res.stderr
    problem = "empty" if damage == "empty" else "not a tar archive, or a damaged one"
    assert problem in res.stderr, res.stderr
    store = SQLiteStore(tmp_path / "a.db")
    assert store.document_ids() == []  # the first pass reads every header before anything is imported
    store.close()


def test_an_ann_without_its_txt_stops_the_archive_as_it_stops_a_folder(tmp_path, news_schema):
    members = [member("c/a.txt", b"text"), member("c/a.ann", b""), member("c/stray.ann", b"T1\tPER 0 1\tx\n")]
    (tmp_path / "c").mkdir()
    for info, data in members:
        (tmp_path / info.name).write_bytes(data)
    ctx_f, ctx_a = ReadContext(schema=news_schema), ReadContext(schema=news_schema)
    with pytest.raises(Exception) as folder:
        list(BRAT.read(tmp_path / "c", ctx_f))
    with pytest.raises(Exception) as archive:
        list(BRAT.read(make_tar(tmp_path / "c.tar", members), ctx_a))
    assert str(folder.value) == f"{tmp_path / 'c'}: 1 .ann file(s) without their .txt, e.g. stray.ann"
    assert str(archive.value) == f"{tmp_path / 'c.tar'}: 1 .ann file(s) without their .txt, e.g. c/stray.ann"


# -- memory and kills ---------------------------------------------------------------------------------


def peak_reading(path: Path, schema) -> int:
    tracemalloc.start()
    try:
        for _ in BRAT.read(path, ReadContext(schema=schema)):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("suffix", [".tar", ".tgz"])
def test_a_huge_member_costs_what_the_same_file_costs_in_a_folder(suffix, tmp_path, news_schema):
    big = ("نص " * 600_000).encode()  # 3 MB
    ann = "".join(f"T{i + 1}\tLOC {6 * i} {6 * i + 2}\tنص\n" for i in range(6_000)).encode()
    folder = tmp_path / "c"
    folder.mkdir()
    for i in range(20):
        (folder / f"small{i}.txt").write_text(TEXT)
    (folder / "huge.txt").write_bytes(big)
    (folder / "huge.ann").write_bytes(ann)
    members = folder_members(folder, "c")
    archive = make_tar(tmp_path / f"c{suffix}", members, gz=suffix == ".tgz")
    assert read(archive, news_schema) == read(folder, news_schema)
    in_folder, in_archive = peak_reading(folder, news_schema), peak_reading(archive, news_schema)
    assert in_archive < 1.25 * in_folder + 2_000_000, (in_archive, in_folder)  # not the archive, nor a copy more
    assert in_folder < 6 * len(big)


def test_a_kill_during_an_archive_import_leaves_whole_records(tmp_path, news_schema):
    records = [Record(Document(f"d{i:05d}", f"{i} {TEXT}"), Annotations(
        f"d{i:05d}", None, entities=(Entity("T1", 10, 20, "PER"), Entity("T2", 21, 26, "PER")))) for i in range(6000)]
    archive = tmp_path / "big.tar.gz"
    export_records(BRAT, records, archive, WriteContext(schema=news_schema))
    db = tmp_path / "kill.db"
    proc = subprocess.Popen([sys.executable, "-m", "annotator", "import", "--db", str(db), "--annotator", "amal",
                             str(archive)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    crash_driver.kill_once_stored(proc, db, seed=3, spread=0.2)
    store = SQLiteStore(db)
    try:
        ids = store.document_ids()
        assert 0 < len(ids) < len(records), "the kill did not land mid-import"
        for doc_id in ids:
            state = store.load(doc_id, "amal")
            assert [(e.start, e.end) for e in state.entities] == [(10, 20), (21, 26)], doc_id
    finally:
        store.close()


def test_reading_many_members_keeps_memory_flat(tmp_path, news_schema):
    archive = make_tar(tmp_path / "many.tar", [member(f"c/d{i:05d}.txt", b"x") for i in range(6_000)])
    tracemalloc.start()
    try:
        count = sum(1 for _ in BRAT.read(archive, ReadContext(schema=news_schema)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 6_000
    assert peak < 3_500_000, peak  # tarfile keeps every member it read (about 1 kB each) unless told not to


def test_a_pair_left_incomplete_on_the_second_reading_is_reported(tmp_path, news_schema, monkeypatch):
    from annotator.formats import brat

    archive = make_tar(tmp_path / "c.tar", [member("c/a.txt", b"alone"), member("c/b.txt", b"b"), member("c/b.ann")])
    real = brat._Pairing.has_ann
    monkeypatch.setattr(brat._Pairing, "has_ann", lambda self, stem: stem == "c/a" or real(self, stem))  # as if
    ctx = ReadContext(schema=news_schema)  # c/a.ann were there when the headers were read, and gone after
    assert [r.document.id for r in BRAT.read(archive, ctx)] == ["b"]
    assert [p.message for p in ctx.problems] == ["member c/a.txt: the other file of its pair was not found when the "
                                                 "archive was read again (did it change?); not imported"]
    assert ctx.rejected == 1


def test_mutated_archives_import_or_report_without_a_traceback(tmp_path, news_schema):
    good = make_tar(tmp_path / "good.tar", [member(f"c/d{i}{suffix}", data) for i in range(4) for suffix, data in
                                            ((".txt", TEXT.encode()), (".ann", "T1\tPER 4 14\tمصطفى بالي\n".encode()))])
    rng = random.Random(12)
    store = SQLiteStore(tmp_path / "s.db")
    try:
        for n in range(80):
            b = bytearray(good.read_bytes() if n % 2 else gzip.compress(good.read_bytes()))
            for _ in range(rng.randint(1, 6)):
                i = rng.randrange(len(b) or 1)
                if rng.random() < 0.6:
                    b[i:i + 1] = bytes([rng.randrange(256)])
                else:
                    del b[i:i + rng.randint(1, 600)]
            archive = tmp_path / ("m.tar" if n % 2 else "m.tgz")
            archive.write_bytes(bytes(b))
            ctx_problems: list = []
            import_paths(store, news_schema, [archive], on_problem=ctx_problems.append)  # raises nothing
            assert all(str(archive) in p.path for p in ctx_problems), ctx_problems
    finally:
        store.close()
