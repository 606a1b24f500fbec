"""Malformed input: random bytes and mutated valid files through every registered importer.

Each example either imports or is reported as a problem naming the file (and,
for line-based formats, the line); nothing but an ``AnnotatorError`` may escape,
and an alarm turns a hang into a failure. Seeds are the hand-checked golden files
of every format (tests/golden/formats) plus a native JSONL and a plain text, and
each format is also fed the others' files: a wrong file is the commonest mistake.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.errors import AnnotatorError
from annotator.formats.base import all_formats
from annotator.importing import import_paths
from annotator.schema import default_schema_path, load_schema
from annotator.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "formats"
SCHEMA = load_schema(default_schema_path())
FORMATS = sorted(all_formats())
SECONDS_PER_EXAMPLE = 10

NATIVE_SEED = "\n".join(json.dumps(obj, ensure_ascii=False) for obj in [
    {"id": "n1", "text": "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز.", "annotator": "alice",
     "status": "in_progress", "entities": [{"id": "e1", "start": 4, "end": 14, "label": "PER", "text": "مصطفى بالي"}],
     "claims": [{"id": "c1", "start": 18, "end": 58, "claimer": "e1", "attributes": {"verdict": "true"}}],
     "attributes": {}, "notes": "ملاحظة"},
    {"id": "n2", "text": "نص بلا تسميات"},
]) + "\n"
TEXT_SEED = "السطر الأول\r\nالسطر الثاني\n\u200fعلامة\u200e\n"


def seed_files() -> dict[str, bytes]:
    seeds = {"native.jsonl": NATIVE_SEED.encode(), "plain.txt": TEXT_SEED.encode()}
    if GOLDEN.is_dir():
        for path in sorted(GOLDEN.rglob("*")):
            if path.is_file():
                seeds[str(path.relative_to(GOLDEN))] = path.read_bytes()
    return seeds


SEEDS = seed_files()
SEED_NAMES = sorted(SEEDS)
TOKENS = [b"", b"\n", b"\r\n", b"\t", b" ", b'"', b"{", b"}", b"[", b"]", b",", b":", b"-1", b"0", b"1e308",
          b"99999999999999999999", b"null", b"true", b'"start"', b'"end"', b'"label"', b"B-", b"I-", b"O",
          b"T1", b"\tPER 0 3\t", b"\x00", b"\xff", b"\xd8", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x1b[31m",
          "\u202e".encode(), "ش".encode(), b"NaN", b"Infinity"]


class Hang(Exception):
    """Not an AnnotatorError: a reader that hangs fails the test."""


@contextlib.contextmanager
def alarm(seconds: int):
    def ring(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(SEED_NAMES))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(("insert", "delete", "replace", "cut", "duplicate")))
        token = draw(st.sampled_from(TOKENS) | st.binary(max_size=4))
        if action == "insert":
            data[pos:pos] = token
        elif action == "delete":
            del data[pos:pos + draw(st.integers(1, 8))]
        elif action == "replace":
            data[pos:pos + len(token)] = token
        elif action == "cut":
            del data[pos:]
        else:
            end = draw(st.integers(pos, len(data)))
            data[end:end] = data[pos:end]
    return name, bytes(data)


CONTENT = st.one_of(st.tuples(st.just("random.bin"), st.binary(max_size=600)), mutated())

# Problems about the file as a whole (or about the store, not the input) need no line number;
# every other problem must say on which line the bad record is. In a folder (brat) a record is
# a pair of files, and its problem must name the file rather than the folder.
WHOLE_FILE = ("empty file", "binary file", "only white space", "no JSON value", "already has annotations",
              "cannot tell the format", "needs the text beside")


def place(tmp: Path, fmt, name: str, data: bytes) -> tuple[Path, Path]:
    """Write the example where the reader expects it: a file, or one file in a folder for brat."""
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    if getattr(fmt, "reads_folders", False):
        folder = tmp / "corpus"
        brat = GOLDEN / "example.brat"
        if brat.is_dir():
            shutil.copytree(brat, folder)
        else:
            folder.mkdir()
        suffix = ".ann" if name.endswith(".ann") or name == "random.bin" else ".txt"
        victim = folder / f"news-1{suffix}"
        victim.write_bytes(data)
        return folder, victim
    path = tmp / ("input" + Path(name).suffix)
    path.write_bytes(data)
    return path, path


def check_import(unit: Path, fmt_name: str | None) -> None:
    """Import ``unit`` (as ``fmt_name``, or detected when None) and check what came of it."""
    store = SQLiteStore(":memory:")
    try:
        with alarm(SECONDS_PER_EXAMPLE):
            try:
                summary = import_paths(store, SCHEMA, [unit], format_name=fmt_name)
            except AnnotatorError as exc:
                assert str(unit) in str(exc), f"the message does not name the file: {exc}"
                return
        folder = unit.is_dir()
        for problem in summary.problems:
            assert problem.path.startswith(str(unit)), f"problem does not name the file: {problem}"
            if folder and "folder" not in problem.message and ".ann file(s) without" not in problem.message:
                assert problem.path != str(unit), f"names the folder, not the file in it: {problem}"
            assert problem.message.strip(), "an empty message"
            assert not problem.message.startswith(str(unit)), f"the file is named twice: {problem}"
            assert "Traceback" not in problem.message
            if not folder and not any(words in problem.message for words in WHOLE_FILE):
                assert problem.line is not None, f"no line number: {problem}"
        assert store.integrity_check() == "ok"
        for doc in store.iter_documents():  # whatever was imported is consistent
            for who in store.annotators(doc.id):
                for span in (*store.load(doc.id, who).entities, *store.load(doc.id, who).claims):
                    assert 0 <= span.start < span.end <= len(doc.text)
    finally:
        store.close()


@pytest.mark.parametrize("fmt_name", FORMATS)
@settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(example=CONTENT)
def test_every_importer_survives_random_and_mutated_input(tmp_path, fmt_name, example):
    fmt = all_formats()[fmt_name]
    unit, _ = place(tmp_path / "case", fmt, *example)
    check_import(unit, fmt_name)


@pytest.mark.parametrize("fmt_name", FORMATS)
@pytest.mark.parametrize("seed", SEED_NAMES)
def test_every_importer_reads_every_seed_without_a_traceback(tmp_path, fmt_name, seed):
    """Each format fed each other format's valid file: imported, or refused with a clear message."""
    fmt = all_formats()[fmt_name]
    unit, _ = place(tmp_path / "case", fmt, seed, SEEDS[seed])
    check_import(unit, fmt_name)


@settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", 60)) * 3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(example=CONTENT, suffix=st.sampled_from([".jsonl", ".json", ".txt", ".conll", ".tsv", ".csv", ".ann", ""]))
def test_format_detection_survives_random_and_mutated_input(tmp_path, example, suffix):
    """Without --format the content is sniffed by every format in turn: the same guarantees hold."""
    name, data = example
    case = tmp_path / "detect"
    shutil.rmtree(case, ignore_errors=True)
    case.mkdir()
    path = case / f"input{suffix}"
    path.write_bytes(data)
    check_import(path, None)
