"""Malformed input through the real command line: one clear line naming the file, never a
traceback, never a hang; one bad file in a folder does not stop the others.

Runs ``python -m annotator`` in a subprocess with a timeout, so a hang fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hardening_fuzz import alarm

from annotator.errors import InputError
from annotator.formats.labelmap import load_label_map
from annotator.store.sqlite import SQLiteStore

GOOD = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز.\n"
LAUGHS = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]) + "\n"
# the same bomb nested inside the first value, so a naive error message would print all of it
LAUGHS_INSIDE = "x: [" + ", ".join(
    ['&a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"&{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]) + "]\n"
DROP_CAPS = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner",
             "--inh-caps", "-dac_override,-dac_read_search,-fowner", "--"]


def without_root_powers(code: str) -> list[str]:
    """A command prefix dropping root's power to read and write anything (tests run as root).

    Skips unless ``code`` then fails with a PermissionError, so the test proves something.
    """
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's read/write-anything capabilities")
    probe = subprocess.run([*DROP_CAPS, sys.executable, "-c", code], capture_output=True, text=True)
    if probe.returncode == 0 or "PermissionError" not in probe.stderr:
        pytest.skip(f"cannot drop root's capabilities here: {probe.stderr.strip()[-200:]}")
    return DROP_CAPS


def cli(cwd: Path, *args: str, prefix: list[str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "annotator", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def no_traceback(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    return output


def documents(db: Path) -> list[str]:
    store = SQLiteStore(db)
    try:
        assert store.integrity_check() == "ok"
        return [store.get_document(i).text for i in store.document_ids()]
    finally:
        store.close()


@pytest.mark.parametrize("name, content, problem", [
    ("empty.txt", b"", "empty file"),
    ("empty.jsonl", b"", "empty file"),
    ("picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
    ("latin1.txt", "café".encode("latin-1"), "invalid UTF-8"),
])
def test_a_bad_file_named_alone_is_one_clear_line(tmp_path, name, content, problem):
    (tmp_path / name).write_bytes(content)
    result = cli(tmp_path, "import", name, "--db", "s.db")
    output = no_traceback(result)
    assert result.returncode == 1
    assert f"{name}" in output and problem in output
    assert documents(tmp_path / "s.db") == []


def test_bad_files_in_a_folder_are_reported_and_the_good_ones_imported(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b.jsonl").write_bytes(b"")
    (folder / "c.txt").write_bytes(b"x\x00y")
    (folder / "d.jsonl").write_text('{"text": "سطر جيد"}\n{"text": \n[1, 2]\n', encoding="utf-8")
    (folder / "e.txt").write_text("آخر نص\n", encoding="utf-8")
    result = cli(tmp_path, "import", "in", "--db", "s.db")
    output = no_traceback(result)
    assert result.returncode == 1  # some records were rejected: the exit code says so (issue 9)
    assert "4 record(s) rejected" in result.stdout
    for expected in ("in/b.jsonl: empty file", "in/c.txt: binary file", "in/d.jsonl:2: malformed JSON",
                     "in/d.jsonl:3: expected a JSON object"):
        assert expected in output
    assert sorted(documents(tmp_path / "s.db")) == sorted([GOOD, "سطر جيد", "آخر نص\n"])


def test_a_folder_with_symlink_loops_is_walked_once(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text(GOOD, encoding="utf-8")
    os.symlink(folder, folder / "sub" / "loop")  # a folder that contains itself
    os.symlink(folder / "x.txt", folder / "y.txt")  # two links pointing at each other
    os.symlink(folder / "y.txt", folder / "x.txt")
    result = cli(tmp_path, "import", "in", "--db", "s.db", timeout=60)
    output = no_traceback(result)
    assert documents(tmp_path / "s.db") == [GOOD]
    assert "x.txt" in output and "y.txt" in output  # the dangling pair is reported, not silently dropped


def test_a_named_pipe_is_refused_instead_of_waiting_forever(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    result = cli(tmp_path, "import", "in", "--db", "s.db", timeout=60)
    output = no_traceback(result)
    assert "pipe.txt: not a regular file" in output
    assert documents(tmp_path / "s.db") == [GOOD]
    result = cli(tmp_path, "import", "in/pipe.txt", "--db", "s.db", timeout=60)
    assert "not a regular file" in no_traceback(result) and result.returncode == 1


def test_a_folder_named_like_a_file_is_a_clear_message(tmp_path):
    (tmp_path / "data.jsonl").mkdir()
    result = cli(tmp_path, "import", "data.jsonl", "--format", "native", "--db", "s.db")
    output = no_traceback(result)
    assert documents(tmp_path / "s.db") == []
    assert "data.jsonl: no files to import in this folder" in output and result.returncode == 1


def test_an_unreadable_file_is_reported_and_the_rest_imported(tmp_path):
    """Tests run as root, who reads anything: the CLI runs without the capability that allows it."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    secret = folder / "secret.txt"
    secret.write_text("سر\n", encoding="utf-8")
    secret.chmod(0)
    powerless = without_root_powers(f"open({str(secret)!r}).read()")
    result = cli(tmp_path, "import", "in", "--db", "s.db", prefix=powerless)
    output = no_traceback(result)
    assert "in/secret.txt: cannot read: Permission denied" in output
    assert documents(tmp_path / "s.db") == [GOOD]
    result = cli(tmp_path, "import", "in/secret.txt", "--format", "text", "--db", "s.db", prefix=powerless)
    assert "secret.txt: cannot read: Permission denied" in no_traceback(result) and result.returncode == 1


@pytest.mark.parametrize("option", ["--schema", "--label-map"])
@pytest.mark.parametrize("content, problem", [
    (LAUGHS, "alias"),
    (LAUGHS_INSIDE, "alias"),
    ("x: " + "[" * 5000 + "\n", "nest"),
    ('PER: !!python/object/apply:os.system ["touch MARKER"]\n', "python/object/apply"),
])
def test_hostile_yaml_is_refused_quickly_and_runs_nothing(tmp_path, option, content, problem):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "evil.yaml").write_text(content, encoding="utf-8")
    result = cli(tmp_path, "import", "a.txt", option, "evil.yaml", "--db", "s.db", timeout=60)
    output = no_traceback(result)
    assert result.returncode == 2 and "evil.yaml" in output
    assert problem in output.lower() or (problem == "alias" and "billion laughs" in output), output
    assert len(output) < 2000, "the message must stay one short line"
    assert not (tmp_path / "MARKER").exists(), "a YAML tag ran a command"


LABEL_MAP = "B-PERS: PER\nB-ORG: ORG\nLOC: LOC\n# comment\n"


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.binary(max_size=300),
                      st.tuples(st.integers(0, len(LABEL_MAP)), st.sampled_from(
                          ["&a ", "*a", "[", "{", ": ", "\t", "!!python/name:os.system ", "- ", "\x00", "<<: "]))
                      .map(lambda t: (LABEL_MAP[:t[0]] + t[1] + LABEL_MAP[t[0]:]).encode())))
def test_label_map_loader_fuzz(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("map") / "map.yaml"
    path.write_bytes(data)
    with alarm(10):
        try:
            mapping = load_label_map(path)
        except InputError as exc:
            assert str(path) in str(exc)
        else:
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())


@pytest.mark.parametrize("option", ["--schema", "--label-map"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_pipe_or_device_as_schema_or_label_map_is_refused_not_read_forever(tmp_path, option, special):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    if special == "fifo":
        os.mkfifo(tmp_path / "fifo.yaml")
        special = "fifo.yaml"
    result = cli(tmp_path, "import", "a.txt", option, special, "--db", "s.db", timeout=60)
    output = no_traceback(result)
    assert result.returncode == 2 and "not a regular file" in output and special in output


def test_a_named_pipe_inside_a_brat_folder_is_refused_not_read_forever(tmp_path):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "a.txt").write_text("قال", encoding="utf-8")
    (folder / "a.ann").write_text("T1\tPER 0 3\tقال\n", encoding="utf-8")
    os.mkfifo(folder / "b.txt")
    (folder / "b.ann").write_text("", encoding="utf-8")
    result = cli(tmp_path, "import", "brat", "--db", "s.db", timeout=60)
    assert "brat/b.txt: not a regular file" in no_traceback(result)
