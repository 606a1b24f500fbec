"""Declared plugin contracts (issue 10 item 4): formats and stores are abstract base classes with
declared capabilities, kept in explicit registries that installed packages extend through the
``annotator.formats`` and ``annotator.stores`` entry points.

The third-party package here is a real distribution as far as ``importlib.metadata`` is
concerned: a ``*.dist-info`` folder with ``entry_points.txt`` beside its module, on
``sys.path`` (``PYTHONPATH`` for the command line), exactly what ``pip install`` leaves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from annotator.formats.base import BUILTIN_FORMATS, Format, contract_problems, format_names, get_format, registry
from annotator.store import BUILTIN_STORES, open_store, store_scheme
from annotator.store import registry as store_registry
from annotator.store.base import Store

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."

# A tiny format: one document per line, "ID<TAB>TEXT<TAB>LABEL:START-END,…"; and a store scheme,
# tiny://PATH, that keeps an SQLite file at PATH and notes that it was the one used.
PLUGIN = '''
from pathlib import Path

from annotator.errors import AnnotatorError
from annotator.formats.base import Format, Record
from annotator.model.annotations import Annotations, Document, Entity
from annotator.store.base import Store
from annotator.store.sqlite import SQLiteStore


class TinyFormat(Format):
    name = "tiny"
    description = "tiny: ID, text and LABEL:START-END spans, tab-separated"
    signature = "a .tiny file"
    suffixes = (".tiny",)

    def sniff(self, path, head):
        return path.suffix == ".tiny"

    def read(self, path, ctx):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            doc_id, text, spans = line.split("\\t")
            entities = []
            for k, span in enumerate(s for s in spans.split(",") if s):
                label, _, where = span.partition(":")
                start, _, end = where.partition("-")
                entities.append(Entity(f"e{k}", int(start), int(end), label))
            yield Record(Document(doc_id, text), Annotations(doc_id, None, entities=tuple(entities)), number)

    def write(self, records, out, ctx):
        for rec in records:
            spans = ",".join(f"{e.label}:{e.start}-{e.end}" for e in rec.annotations.entities)
            out.write(f"{rec.document.id}\\t{rec.document.text}\\t{spans}\\n")


class TinyStore(SQLiteStore):
    def __init__(self, url, *, create=True):
        path = url.removeprefix("tiny://")
        Path(path + ".opened-by-tiny").write_text("yes")
        super().__init__(path, create=create)


class NotAFormat:
    name = "duck"
    description = "quacks like a format, but is not one"

    def sniff(self, path, head):
        return True

    def read(self, path, ctx):
        return iter(())


class NoReader(Format):
    name = "noreader"
    description = "forgot read"

    def sniff(self, path, head):
        return False


class WrongName(TinyFormat):
    name = "something-else"


class SniffBreaks(TinyFormat):
    name = "sniffbreaks"
    suffixes = ()

    def sniff(self, path, head):
        raise RuntimeError("boom")


class Greedy(TinyFormat):
    """Claims every file but .tiny ones: it must never take one from a built-in format."""

    name = "aaa-greedy"

    def sniff(self, path, head):
        return path.suffix != ".tiny"


class HalfStore(Store):  # nothing implemented
    pass
'''

ENTRY_POINTS = """
[annotator.formats]
tiny = acme_plugins:TinyFormat
missing = acme_missing_module:Whatever
duck = acme_plugins:NotAFormat
noreader = acme_plugins:NoReader
wrongname = acme_plugins:WrongName
native = acme_plugins:TinyFormat
sniffbreaks = acme_plugins:SniffBreaks
aaa-greedy = acme_plugins:Greedy

[annotator.stores]
tiny = acme_plugins:TinyStore
half = acme_plugins:HalfStore
gone = acme_missing_module:Store
postgresql = acme_plugins:TinyStore
"""


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    """A folder holding an installed distribution ``acme-plugins`` and its module."""
    root = tmp_path_factory.mktemp("site")
    (root / "acme_plugins.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    dist = root / "acme_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plugins\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return root


@pytest.fixture
def installed(plugin_path, monkeypatch):
    """The plugin distribution on ``sys.path`` for this test; the registries read it afresh."""
    import importlib

    monkeypatch.syspath_prepend(str(plugin_path))
    importlib.invalidate_caches()
    registry().forget()
    store_registry().forget()
    yield
    registry().forget()
    store_registry().forget()


def cli(plugin_path: Path, *args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_path), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True,
                          timeout=180, env=env, cwd=cwd)


# -- the contracts are declared, and every built-in keeps them ---------------------------------


def test_every_builtin_format_implements_the_abc_and_declares_its_capabilities():
    for name in BUILTIN_FORMATS:
        fmt = get_format(name)
        assert isinstance(fmt, Format) and type(fmt).__abstractmethods__ == frozenset()
        assert contract_problems(fmt, name) == [], name
        assert fmt.name == name and fmt.description
    writable = {name for name in BUILTIN_FORMATS if get_format(name).writable}
    assert writable == set(BUILTIN_FORMATS) - {"aqmar-truth"}  # a corpus reader: import only
    assert {n for n in BUILTIN_FORMATS if get_format(n).writes_folders} == {"brat"}
    assert {n for n in BUILTIN_FORMATS if get_format(n).reads_folders} == {"brat"}
    assert get_format("brat").folder_files == ("*.txt", "*.ann")


def test_a_format_can_only_be_written_the_way_it_declares(tmp_path):
    import io

    from annotator.errors import AnnotatorError
    from annotator.formats.base import WriteContext
    from annotator.schema.model import Schema

    ctx = WriteContext(Schema("s", "1"))
    with pytest.raises(AnnotatorError, match="can be imported but not exported"):
        get_format("aqmar-truth").write([], io.StringIO(), ctx)
    with pytest.raises(AnnotatorError, match="writes a folder of files, not one file"):
        get_format("brat").write([], io.StringIO(), ctx)  # brat's one route is write_folder, via exporting
    with pytest.raises(AnnotatorError, match="does not write folders"):
        get_format("native").write_folder([], tmp_path, ctx)


def test_every_builtin_store_implements_the_abc():
    from annotator.plugins import import_object, missing_methods

    for scheme, spec in BUILTIN_STORES.items():
        cls = import_object(spec)
        assert issubclass(cls, Store) and missing_methods(cls) == [], scheme
    assert missing_methods(Store) != []  # the contract itself cannot be instantiated
    with pytest.raises(TypeError):
        Store("x.db")  # type: ignore[abstract]


def test_stores_are_picked_by_scheme_and_the_postgresql_driver_is_not_imported_for_a_path(tmp_path):
    assert store_scheme("annotations.db") == store_scheme("/a/b.db") == "sqlite"
    assert store_scheme("postgresql://u@h/db") == "postgresql" and store_scheme("POSTGRES://h/db") == "postgres"
    code = ("import sys; from annotator.store import open_store; from annotator.formats.base import format_names; "
            f"open_store({str(tmp_path / 's.db')!r}).close(); format_names(); "
            "print(sorted(m for m in sys.modules if m.startswith(('psycopg', 'annotator.store.postgres', "
            "'annotator.formats.')) and m != 'annotator.formats.base'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"  # no driver, and no format module imported just to list names


def test_an_unknown_store_scheme_is_one_clear_line(tmp_path):
    from annotator.errors import AnnotatorError

    with pytest.raises(AnnotatorError, match=r"--db: unknown store scheme 'mysql'; known store schemes: .*sqlite"):
        open_store("mysql://root:secret@host/db")
    try:
        open_store("mysql://root:secret@host/db")
    except AnnotatorError as exc:
        assert "secret" not in str(exc)  # a URL may hold a password: it is not repeated
    with pytest.raises(AnnotatorError, match="plain file path"):
        open_store("sqlite:///x.db")


# -- third-party plugins through entry points --------------------------------------------------


def test_a_plugin_format_and_store_work_through_import_and_export(plugin_path, tmp_path):
    source = tmp_path / "in.tiny"
    spans = "PER:4-14,ORG:18-40"
    source.write_text(f"d1\t{TEXT}\t{spans}\n", encoding="utf-8")
    db = tmp_path / "s.db"
    res = cli(plugin_path, "import", source, "--db", f"tiny://{db}", "--format", "tiny", "--annotator", "amal")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "s.db.opened-by-tiny").exists() and db.exists()  # the plugin's store was the one used
    out = tmp_path / "out.tiny"
    res = cli(plugin_path, "export", "--db", f"tiny://{db}", "--format", "tiny", "-o", out)
    assert res.returncode == 0, res.stderr
    assert out.read_text(encoding="utf-8") == f"d1\t{TEXT}\t{spans}\n"
    # without --format, the plugin is found by its sniff (after every built-in), and reported
    other = tmp_path / "other.tiny"
    other.write_text(f"d2\t{TEXT}!\t\n", encoding="utf-8")
    res = cli(plugin_path, "import", other, "--db", db)
    assert res.returncode == 0, res.stderr
    assert "read as tiny (detected format 'tiny' from the content (a .tiny file)" in res.stderr
    # a plugin whose sniff fails is one warning and taken as "not this format"; the next one is asked
    assert "annotator: warning: format plugin 'sniffbreaks' failed to look at" in res.stderr
    assert "(RuntimeError: boom); taken as not this format" in res.stderr and "Traceback" not in res.stderr
    # a folder given with --format tiny takes the files the format declares (suffixes), not others
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.tiny").write_text(f"d3\t{TEXT}?\t\n", encoding="utf-8")
    (folder / "b.txt").write_text("not tiny", encoding="utf-8")
    res = cli(plugin_path, "import", folder, "--db", db, "--format", "tiny")
    assert res.returncode == 0, res.stderr
    assert "imported 1 document(s) from 1 file(s)" in res.stdout + res.stderr


def test_a_broken_plugin_is_one_clear_line_naming_its_entry_point(plugin_path, tmp_path):
    source = tmp_path / "in.tiny"
    source.write_text(f"d1\t{TEXT}\t\n", encoding="utf-8")
    db = tmp_path / "s.db"
    cases = {
        "missing": "entry point missing = acme_missing_module:Whatever in annotator.formats, from acme-plugins "
                   "1.0) not loaded: ModuleNotFoundError: No module named 'acme_missing_module'",
        "duck": "not loaded: <class 'acme_plugins.NotAFormat'> is not a subclass of annotator.formats.base.Format",
        "noreader": "not loaded: NoReader does not implement read",
        "wrongname": "not loaded: WrongName: its class WrongName declares name 'something-else', not 'wrongname'",
    }
    for name, said in cases.items():
        res = cli(plugin_path, "import", source, "--db", db, "--format", name)
        assert res.returncode == 2, (name, res.stderr)
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert f"annotator: error: format plugin '{name}' (" in res.stderr and said in res.stderr, res.stderr
    res = cli(plugin_path, "stats", "--db", "gone://x")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "store scheme plugin 'gone' (entry point gone = acme_missing_module:Store" in res.stderr
    res = cli(plugin_path, "stats", "--db", "half://x")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "HalfStore does not implement __init__, " in res.stderr  # then every abstract method, sorted
    assert ", add_document, " in res.stderr and ", all_annotators, " in res.stderr


def test_broken_plugins_never_hide_the_builtins(plugin_path, tmp_path):
    """Detection loads every format: each plugin that cannot be used is one warning line, and
    the built-ins, including the one a plugin tried to replace, work as before."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "n1", "text": TEXT, "entities": [
        {"id": "e1", "start": 4, "end": 14, "label": "PER"}]}, ensure_ascii=False) + "\n", encoding="utf-8")
    db = tmp_path / "s.db"
    res = cli(plugin_path, "import", source, "--db", db)
    assert res.returncode == 0, res.stderr
    assert "read as native (detected format 'native'" in res.stderr
    assert "Traceback" not in res.stderr
    warnings = [line for line in res.stderr.splitlines() if line.startswith("annotator: warning:")]
    assert any("format plugin 'native' (entry point native = acme_plugins:TinyFormat" in w
               and "refused: 'native' is a built-in format, which a plugin cannot replace" in w for w in warnings)
    for name in ("missing", "duck", "noreader", "wrongname"):
        assert sum(f"format plugin '{name}' (" in w for w in warnings) == 1, (name, warnings)
    # plugins are asked last: one claiming every file never takes plain text from the built-in format
    plain = tmp_path / "plain.txt"
    plain.write_text(TEXT, encoding="utf-8")
    res = cli(plugin_path, "import", plain, "--db", db)
    assert res.returncode == 0 and "read as text (detected format 'text'" in res.stderr, res.stderr


def test_the_registry_lists_plugins_without_importing_them(installed, capsys):
    import sys as _sys

    names = format_names()
    assert {"tiny", "missing", "duck", "noreader", "wrongname", "sniffbreaks"} <= set(names)
    assert set(BUILTIN_FORMATS) <= set(names) and names.count("native") == 1
    assert "acme_plugins" not in _sys.modules and "acme_missing_module" not in _sys.modules
    fmt = get_format("tiny")
    assert type(fmt).__module__ == "acme_plugins" and fmt.writable and fmt.suffixes == (".tiny",)
    assert get_format("native").__module__ == "annotator.formats.native"  # the built-in, never the plugin
    capsys.readouterr()
    every = registry().all()
    assert set(BUILTIN_FORMATS) | {"tiny", "sniffbreaks", "aaa-greedy"} == set(every)
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 5 and len(set(said)) == 5, said  # native clash, missing, duck, noreader, wrongname
    assert all(line.startswith("annotator: warning: format plugin '") for line in said)
    registry().all()
    assert capsys.readouterr().err == ""  # said once per run, not per lookup


def test_a_plugin_store_scheme_is_opened_and_a_builtin_scheme_cannot_be_taken(installed, tmp_path):
    from annotator.store.postgres import PostgresStore

    store = open_store(f"tiny://{tmp_path / 't.db'}")
    try:
        assert type(store).__name__ == "TinyStore" and (tmp_path / "t.db.opened-by-tiny").exists()
    finally:
        store.close()
    assert store_registry().get("postgresql") is PostgresStore  # acme's "postgresql" entry point is refused
    assert "tiny" in store_registry().names() and "postgresql" in store_registry().names()
