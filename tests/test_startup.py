"""Start-up (issue 12, aim 1): nothing the first screen does not need is imported before it.

Two halves: (1) the tokenizer the first screen uses, ``annotator.text.wordbreak``, is
camel-tools' ``simple_word_tokenize`` without camel-tools' import-time tables; its table
is checked against camel-tools' own on every code point and every emoji sequence, and
its tokens against camel-tools' on the seeds, the shared corpora and generated text.
(2) In a fresh interpreter, importing the app and running ``annotator annotate`` to its
first painted document loads none of the heavy modules it does not need (checked on
``sys.modules``; no timing here, the figures are ``bench/bench_startup.py``'s).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.text import wordbreak
from annotator.text.wordbreak import is_symbol, simple_word_tokenize

from conftest import SEEDS, shared_text_files

REPO = Path(__file__).resolve().parents[1]
REGENERATE = ("the emoji package changed: regenerate the table with "
              "`.venv/bin/python -m annotator.text.wordbreak > annotator/text/_emoji_table.py`")


@pytest.fixture(scope="module")
def camel():
    """camel-tools' tokenizer module (imported once: it builds its tables for most of a second)."""
    from camel_tools.tokenizers import word

    return word


# -- (1) the precomputed table and the tokenizer equal camel-tools' ----------------------------

def test_symbol_table_equals_camel_tools_on_every_code_point(camel):
    check = is_symbol.__wrapped__  # uncached: 1.1 million distinct keys
    wrong = [hex(cp) for cp in range(0x110000) if check(chr(cp)) != (chr(cp) in camel._SYMBOLS_ALL)]
    assert wrong == [], f"{len(wrong)} code points differ, e.g. {wrong[:10]}; {REGENERATE}"


def test_emoji_sequences_equal_camel_tools(camel):
    from camel_tools.utils.charsets import EMOJI_ALL_CHARSET

    theirs = {s for s in camel._SYMBOLS_ALL if len(s) > 1}
    ours = {s for s in wordbreak.EMOJI if len(s) > 1}
    assert ours == theirs, f"{len(ours ^ theirs)} sequences differ; {REGENERATE}"
    assert all(is_symbol(s) for s in EMOJI_ALL_CHARSET), REGENERATE
    assert all(s in camel._SYMBOLS_ALL for s in wordbreak.EMOJI), REGENERATE


def test_the_generated_table_is_what_the_generator_makes_now():
    """The committed table is exactly today's output (nobody edited it by hand)."""
    committed = (REPO / "annotator" / "text" / "_emoji_table.py").read_text(encoding="utf-8")
    assert committed == wordbreak.generate_table(), REGENERATE


def test_the_same_regular_expression_as_camel_tools(camel):
    assert wordbreak._SYMBOLS_RE.pattern == camel._SYMBOLS_RE.pattern


def test_tokens_equal_camel_tools_on_the_seeds(camel):
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert simple_word_tokenize(text) == camel.simple_word_tokenize(text), path.name


@pytest.mark.shared
def test_tokens_equal_camel_tools_on_the_shared_corpora(camel):
    files = shared_text_files()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(), 1):
            assert simple_word_tokenize(line) == camel.simple_word_tokenize(line), f"{path}:{number}"


# characters where the two could part: emoji pieces (ZWJ, VS16, keycap, modifiers, tags,
# regional indicators), emoji the Python in use does not know (Cn), letters the emoji package
# lists (ℹ), digits (\p{Emoji} matches them), Arabic punctuation, marks and controls
_TRICKY = list(
    "قال الرئيس، ومحمد؛ «نعم»؟ ـــ ً ٌ ٍ َ ُ ِ ّ ْ ٰ ٢٠١٩ ۱۲ 0123456789#*.,!-()\"'/:%$€£"
    "\u200d\u200c\u200e\u200f\u202b\u202c\u2066\u2069\ufe0f\ufe0e\u20e3\u061c\u0640"
    "😀👍🏽❤🇸🇦🏴\U000e0067\U000e0062\U000e007f\U0001faeb\U0001f6dc\u2139\u00a9\u00ae\u203c"
    "\U0001f3fb\U0001f3ff\U0001f1e6\U0001f1ff\u2640\u2642\u2695\U0001f468\U0001f469\U0001f9d1"
    " \n\t\u00a0\u3000\x1c"
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.sampled_from(_TRICKY) | st.characters(), max_size=40))
def test_tokens_equal_camel_tools_on_generated_text(text):
    from camel_tools.tokenizers.word import simple_word_tokenize as theirs

    assert simple_word_tokenize(text) == theirs(text)


# -- the layout's generated tables equal the libraries they copy (``annotator.layout.tablegen``) --------

REGENERATE_LAYOUT = ("a library changed: regenerate the layout's tables with "
                     "`.venv/bin/python -m annotator.layout.tablegen`")


def test_the_wide_table_equals_wcwidth_on_every_code_point():
    from wcwidth import wcwidth

    from annotator.layout.glyphs import is_wide

    wrong = [hex(cp) for cp in range(0x110000) if is_wide(chr(cp)) != (wcwidth(chr(cp)) == 2)]
    assert wrong == [], f"{len(wrong)} code points differ, e.g. {wrong[:10]}; {REGENERATE_LAYOUT}"


def test_the_widths_the_engine_draws_are_wcwidth_s():
    """Through the engine's own entry point: wide CJK and emoji take 2 cells, the rest 1."""
    from wcwidth import wcwidth

    from annotator.layout.glyphs import base_text_width

    for ch in "a\u0627\u4e00\uac00\U0001f600\u231a\uff21\u00e9\u2139\U00020000\U0003fffd":
        assert base_text_width(ch) == (ch, 2 if wcwidth(ch) == 2 else 1), hex(ord(ch))


def test_the_arabic_forms_equal_arabic_reshaper_s():
    from arabic_reshaper import letters

    from annotator.layout import _arabic_forms, shaping

    assert _arabic_forms.LETTERS_ARABIC == letters.LETTERS_ARABIC, REGENERATE_LAYOUT
    assert (shaping.ISOLATED, shaping.INITIAL, shaping.MEDIAL, shaping.FINAL) == (
        letters.ISOLATED, letters.INITIAL, letters.MEDIAL, letters.FINAL), REGENERATE_LAYOUT
    assert shaping.LETTERS_ARABIC is _arabic_forms.LETTERS_ARABIC


def test_the_layout_tables_are_what_tablegen_makes_now():
    """The committed tables are exactly today's output (nobody edited them by hand)."""
    from annotator.layout import tablegen

    assert tablegen.WIDE_TABLE.read_text(encoding="utf-8") == tablegen.wide_table(), REGENERATE_LAYOUT
    assert tablegen.FORMS_TABLE.read_text(encoding="utf-8") == tablegen.forms_table(), REGENERATE_LAYOUT
    assert tablegen.SINGLE_BYTE_TABLE.read_text(encoding="utf-8") == tablegen.single_byte_table(), REGENERATE_LAYOUT
    assert tablegen.SINGLE_BYTE_CODES.read_text(encoding="utf-8") == tablegen.single_byte_codes_table(), \
        REGENERATE_LAYOUT


# -- the bundled schemas' stored trees equal PyYAML's (``annotator.schema.located``) -----------------

REGENERATE_SCHEMAS = ("a bundled schema changed: regenerate the stored trees with "
                      "`.venv/bin/python -m annotator.schema.yaml_tree`")


def _bundled_texts() -> dict[str, str]:
    from annotator import bundled

    return {name: bundled.schema_path(name).read_text(encoding="utf-8") for name in bundled.schema_names()}


def test_every_bundled_schema_has_a_stored_tree_equal_to_pyyaml_s():
    from annotator.schema._bundled_trees import TREES
    from annotator.schema.located import thaw
    from annotator.schema.yaml_tree import build_tree

    texts = _bundled_texts()
    assert set(texts) >= {"news", "wojood", "conll"}
    for name, text in texts.items():
        assert text in TREES, f"{name}: {REGENERATE_SCHEMAS}"
        assert thaw(TREES[text]) == build_tree(text, name, report=pytest.fail), name
    assert len(TREES) == len(texts), REGENERATE_SCHEMAS  # no tree of a schema no longer shipped


def test_the_stored_trees_are_what_the_generator_makes_now():
    from annotator.schema.located import FROZEN_TABLE
    from annotator.schema.yaml_tree import generate_table

    assert FROZEN_TABLE.read_text(encoding="utf-8") == generate_table(), REGENERATE_SCHEMAS


def test_a_bundled_schema_loads_the_same_schema_from_its_stored_tree(monkeypatch):
    from annotator.schema import _bundled_trees, bundled_schema_path, load_schema, yaml_tree
    from annotator.tui.bindings import RESERVED_HOTKEYS

    for name in _bundled_texts():
        with monkeypatch.context() as patch:  # the stored tree: PyYAML's composer is not called
            patch.setattr(yaml_tree, "build_tree", lambda *args: pytest.fail("composed with PyYAML"))
            stored = load_schema(bundled_schema_path(name), reserved=RESERVED_HOTKEYS)
        with monkeypatch.context() as patch:  # every file through PyYAML, as any other schema
            patch.setattr(_bundled_trees, "TREES", {})
            assert load_schema(bundled_schema_path(name), reserved=RESERVED_HOTKEYS) == stored, name


def test_an_edited_bundled_schema_is_read_and_checked_through_pyyaml(tmp_path):
    """Another text (one byte differs) is not the stored tree: its problems carry its own lines."""
    from annotator.errors import SchemaError
    from annotator.schema import load_schema

    text = _bundled_texts()["news"]
    edited = tmp_path / "news.yaml"
    edited.write_text(text + "name: again\n", encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_schema(edited)
    assert caught.value.path == str(edited)
    assert caught.value.line == text.count("\n") + 1 and "duplicate key 'name'" in str(caught.value)
    edited.write_text(text.replace("labels:", "labels: [", 1), encoding="utf-8")
    with pytest.raises(SchemaError, match="invalid YAML"):
        load_schema(edited)


def test_split_digits_is_refused_not_ignored():
    with pytest.raises(NotImplementedError):
        simple_word_tokenize("a1", split_digits=True)


# -- (2) what the first screen loads ----------------------------------------------------------

# modules the first painted document does not need: camel-tools' tables, the emoji package,
# search, every format, importing/exporting, agreement, the PostgreSQL store and driver,
# hypothesis, and every command but the one run
HEAVY = ["camel_tools", "emoji", "annotator.text.matching", "annotator.formats", "annotator.importing",
         "annotator.exporting", "annotator.agreement", "annotator.store.postgres", "psycopg", "psycopg2",
         "hypothesis", "pytest",
         # libraries whose tables the layout copies (``annotator.layout.tablegen``)
         "wcwidth", "arabic_reshaper", "configparser",
         # PyYAML: the bundled schemas' trees are stored (``annotator.schema.located``); no keymap file
         "yaml",
         # installed packages' metadata: read only when a plugin's name is asked for (``annotator.plugins``)
         "importlib.metadata",
         # OpenSSL's hashes: the first screen hashes nothing (``model.annotations.text_hash``)
         "_hashlib",
         # the bundled files are found on disk without them (``annotator.bundled._root``)
         "importlib.resources", "zipfile",
         # the search fold's table: the first screen's pages have no query
         "annotator.text.search_fold",
         # the login name is asked for only without $ANNOTATOR/$USER/$LOGNAME; the commands are listed from the folder
         "getpass", "pkgutil"]
# modules the first screen does not use, imported by the key that opens them: recommenders
# (unless ``--recommender``), the claim form, the command palette and the dialogs
DEFERRED = ["annotator.recommend", "annotator.tui.screens.claim_form", "annotator.tui.widgets.claim_form",
            "annotator.tui.commands", "annotator.tui.screens.help", "annotator.tui.screens.documents",
            "annotator.tui.screens.claimer_picker", "annotator.tui.screens.identity_picker",
            "annotator.tui.screens.adjudicate",
            # the one-field dialogs (find, goto, note, confirm) and their input
            "annotator.tui.screens.prompts", "annotator.tui.screens.dialog", "annotator.tui.widgets.safe_input"]
OTHER_COMMANDS = ["agreement", "assign", "backup", "check", "export_cmd", "import_cmd", "render", "stats"]


def _loaded(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON object as its last line."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True,
                         text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


_HEAVY_LOADED = """
    import json, sys
    heavy = {heavy!r}
    def loaded():
        return sorted(m for m in sys.modules
                      if any(m == h or m.startswith(h + ".") for h in heavy))
"""


def test_importing_the_app_loads_nothing_heavy():
    heavy = HEAVY + DEFERRED + [f"annotator.commands.{c}" for c in OTHER_COMMANDS]
    code = _HEAVY_LOADED.format(heavy=heavy) + """
    import annotator.cli, annotator.commands.annotate, annotator.tui.app
    annotator.cli.build_parser(only="annotate")
    print(json.dumps({"loaded": loaded()}))
    """
    assert _loaded(code)["loaded"] == []


def test_annotate_to_the_first_painted_document_loads_nothing_heavy(tmp_path):
    """The real command (``annotator.cli.main``), headless: when the first document is on
    screen, none of the heavy modules is loaded; searching then loads camel-tools."""
    from annotator.cli import main

    db = tmp_path / "five.db"
    assert main(["import", str(SEEDS), "--db", str(db)]) == 0
    heavy = HEAVY + DEFERRED + [f"annotator.commands.{c}" for c in OTHER_COMMANDS]
    code = _HEAVY_LOADED.format(heavy=heavy) + """
    import textual.app
    report = {}
    run = textual.app.App.run
    def headless(self, **kw):
        async def first_paint(pilot):
            await pilot.pause()
            screen = pilot.app.screen
            report["doc_id"] = screen.doc_id
            report["painted"] = "".join(s.text for s in screen.view.render_line(0))
            report["loaded"] = loaded()
            screen._index(screen.doc_id, screen.session.document(screen.doc_id).text).search("قسد")
            report["after_search"] = "camel_tools" in sys.modules
            pilot.app.exit(0)
        return run(self, headless=True, size=(100, 30), auto_pilot=first_paint)
    textual.app.App.run = headless
    from annotator.cli import main
    code = main(["annotate", "--db", sys.argv[1], "--annotator", "t", "--rtl-mode", "plain"])
    print(json.dumps(report | {"code": code}))
    """
    report = _loaded(code, str(db))
    assert report["code"] == 0
    assert report["doc_id"] and report["painted"].strip(), report  # a document is on screen
    assert report["loaded"] == [], report
    assert report["after_search"] is True  # search still has camel-tools' normalizers


_COLLECTOR = """
    import gc, json, sys
    import textual.app
    from annotator.tui.screens.annotate import AnnotateScreen
    report = {"before": gc.isenabled()}
    import annotator.commands.annotate as command
    load = command._import
    def importing(*args):
        report["importing"] = gc.isenabled()
        return load(*args)
    command._import = importing
    mount = AnnotateScreen.on_mount
    def on_mount(self):
        report["mounting"] = gc.isenabled()
        mount(self)
    AnnotateScreen.on_mount = on_mount
    from annotator.tui.app import AnnotatorApp
    started = AnnotatorApp.started
    def record_started(self):
        report["started"] = report.get("started", 0) + 1
        started(self)
    AnnotatorApp.started = record_started
    run = textual.app.App.run
    def headless(self, **kw):
        async def first_paint(pilot):
            await pilot.pause()
            await pilot.pause()
            report["painted"] = pilot.app.screen.doc_id is not None
            report["after_paint"] = gc.isenabled()
            pilot.app.exit(0)
        return run(self, headless=True, size=(100, 30), auto_pilot=first_paint)
    textual.app.App.run = headless
    from annotator.cli import main
    code = main(["annotate", "--db", sys.argv[1], "--annotator", "t", "--rtl-mode", "plain", *sys.argv[2:]])
    print(json.dumps(report | {"code": code, "after_exit": gc.isenabled()}))
"""


def test_the_collector_is_off_through_start_up_and_on_after_the_first_paint(tmp_path):
    """``annotator annotate`` turns the cyclic collector off for its start-up (it walked every
    object just made, finding almost no garbage) and on again once the first document is
    painted, or once the screen says the store is empty (both through ``AnnotatorApp.started``);
    importing PATHs runs with it on."""
    from annotator.cli import main

    db = tmp_path / "five.db"
    assert main(["import", str(SEEDS), "--db", str(db)]) == 0
    report = _loaded(_COLLECTOR, str(db))
    assert report == {"before": True, "mounting": False, "painted": True, "after_paint": True, "code": 0,
                      "after_exit": True, "started": 1}
    empty = tmp_path / "empty"
    empty.mkdir()
    report = _loaded(_COLLECTOR, str(tmp_path / "empty.db"), str(empty))  # a folder of no .txt: no document
    assert report == {"before": True, "importing": True, "mounting": False, "painted": False, "after_paint": True,
                      "code": 0, "after_exit": True, "started": 1}  # PATHs (any size) are imported with the collector on
    # (the app's one ``started`` ends start-up on an empty store too: not a second way of its own)


_CLAIM_OVERLAP = """
    import json, sys, threading, time
    from annotator.session import AnnotationSession
    import textual.app
    report = {}
    claim = AnnotationSession.claim
    def slow_claim(self, **kw):
        # the disk's wait, made long: the app's modules are imported meanwhile, on the main thread
        deadline = time.monotonic() + 20
        while "annotator.tui.app" not in sys.modules and time.monotonic() < deadline:
            time.sleep(0.01)
        report["app_imported_during_claim"] = "annotator.tui.app" in sys.modules
        report["claim_thread"] = threading.current_thread() is not threading.main_thread()
        return claim(self, **kw)
    AnnotationSession.claim = slow_claim
    textual.app.App.run = lambda self, **kw: None
    from annotator.cli import main
    code = main(["annotate", "--db", sys.argv[1], "--annotator", "t", "--rtl-mode", "plain"])
    print(json.dumps(report | {"code": code}))
"""


def test_the_session_claim_waits_for_the_disk_while_the_app_is_imported(tmp_path):
    """The claim is one durable write (its commit waits for the disk, using no CPU): ``annotate`` makes it
    on a thread while the main thread imports the app, instead of one after the other."""
    from annotator.cli import main

    db = tmp_path / "five.db"
    assert main(["import", str(SEEDS), "--db", str(db)]) == 0
    report = _loaded(_CLAIM_OVERLAP, str(db))
    assert report == {"app_imported_during_claim": True, "claim_thread": True, "code": 0}


_DATACLASSES_AT_FIRST_PAINT = """
    import json, sys
    import textual.app
    from annotator import dataclass_code
    report = {}
    run = textual.app.App.run
    def headless(self, **kw):
        async def first_paint(pilot):
            await pilot.pause()
            report["missed"] = list(dataclass_code.missed)
            report["from_table"] = len(dataclass_code._table or ())
            pilot.app.exit(0)
        return run(self, headless=True, size=(100, 30), auto_pilot=first_paint)
    textual.app.App.run = headless
    from annotator.cli import main
    code = main(["annotate", "--db", sys.argv[1], "--annotator", "t", "--rtl-mode", "plain"])
    print(json.dumps(report | {"code": code}))
"""
REGENERATE_DATACLASSES = ("a dataclass changed: regenerate the table with `.venv/bin/python -m "
                          "annotator.dataclass_code > annotator/_dataclass_code.py`")


def _table_written_by_this_python() -> None:
    """Another Python's ``dataclasses`` writes other sources, so none is found in the table (each class
    is then compiled as usual, correct but slower): what the table saves is checked on its own Python."""

    from annotator._dataclass_code import PYTHON

    if sys.version_info[:2] != PYTHON:
        pytest.skip(f"the dataclass table was written by Python {PYTHON}, this is {sys.version_info[:2]}: "
                    "regenerate it with `python -m annotator.dataclass_code > annotator/_dataclass_code.py`")


def test_the_first_screen_s_dataclass_methods_are_compiled_once_not_at_start_up(tmp_path):
    """Every method ``dataclasses`` writes for a class of ours on the way to the first painted document
    comes from ``annotator._dataclass_code`` (compiled once, cached as bytecode), none is compiled then."""
    _table_written_by_this_python()
    from annotator.cli import main

    db = tmp_path / "five.db"
    assert main(["import", str(SEEDS), "--db", str(db)]) == 0
    report = _loaded(_DATACLASSES_AT_FIRST_PAINT, str(db))
    assert report["code"] == 0 and report["from_table"] > 300
    assert report["missed"] == [], REGENERATE_DATACLASSES


def test_the_dataclass_table_is_what_the_generator_makes_now():
    """The committed table is exactly what ``python -m annotator.dataclass_code`` writes today."""
    _table_written_by_this_python()
    out = subprocess.run([sys.executable, "-m", "annotator.dataclass_code"], capture_output=True, text=True,
                         cwd=REPO, timeout=300, check=True)
    assert out.stdout == (REPO / "annotator" / "_dataclass_code.py").read_text(encoding="utf-8"), \
        REGENERATE_DATACLASSES


_GENERATE_AFTER = """
    import json, sys
    import annotator
    for name in sys.argv[1:]:
        __import__(name)
    from annotator import dataclass_code
    try:
        print(json.dumps({"table": dataclass_code.generate()}))
    except RuntimeError as e:
        print(json.dumps({"refused": str(e)}))
"""


def test_the_generator_refuses_only_modules_of_ours_that_define_dataclasses_imported_before_it():
    """What the package's start-up imports before the generator records (the pattern and dataclass
    tables) is found, not listed: a module of ours defining no dataclass may be imported already (it
    was refused unless listed by hand); one that defines some is refused, named (its classes would be
    missing from the table)."""
    _table_written_by_this_python()
    committed = (REPO / "annotator" / "_dataclass_code.py").read_text(encoding="utf-8")
    assert _loaded(_GENERATE_AFTER, "annotator.errors", "annotator.console") == {"table": committed}
    refused = _loaded(_GENERATE_AFTER, "annotator.errors", "annotator.layout.lines")["refused"]
    assert "annotator.layout.lines" in refused and "annotator.errors" not in refused


def _shape(code) -> tuple:
    """A code object without where it was compiled (file, lines): what it does."""
    return (code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
            code.co_argcount, code.co_kwonlyargcount, code.co_flags, code.co_name,
            tuple(_shape(c) if hasattr(c, "co_code") else c for c in code.co_consts))


def test_each_precompiled_method_is_what_exec_makes_of_its_source():
    """The table maps the source ``dataclasses`` writes to the function compiled from it: the same
    bytecode, names and constants as ``exec`` of that source gives (so the class is the same)."""
    from annotator._dataclass_code import CODE

    assert len(CODE) > 300
    for source, code in CODE.items():
        namespace: dict = {}
        exec(compile(source, "<string>", "exec", dont_inherit=True), {}, namespace)  # no __future__: as dataclasses
        assert _shape(namespace["__create_fn__"].__code__) == _shape(code), source


def test_a_class_of_ours_made_from_the_table_behaves_as_dataclasses_makes_it():
    """A frozen class of ours, its methods from the table: it builds, prints, compares, hashes, refuses
    assignment and is replaced as ``dataclasses`` says (the rest of the suite uses every other one)."""
    import dataclasses

    from annotator.model.annotations import Entity

    _table_written_by_this_python()
    assert Entity.__init__.__code__.co_filename.endswith("_dataclass_code.py")  # from the table
    e = Entity("e1", 0, 4, "PER")
    assert repr(e) == "Entity(id='e1', start=0, end=4, label='PER', source=None, identity=None)"
    assert e == Entity("e1", 0, 4, "PER", None, None) and hash(e) == hash(Entity("e1", 0, 4, "PER"))
    assert e != Entity("e1", 0, 4, "ORG") and e.__eq__(("e1", 0, 4, "PER")) is NotImplemented
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.label = "ORG"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del e.label  # type: ignore[misc]
    assert dataclasses.replace(e, label="ORG") == Entity("e1", 0, 4, "ORG")
    assert Entity.__init__.__qualname__ == "Entity.__init__" and Entity.__match_args__[:4] == ("id", "start", "end",
                                                                                               "label")
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'label'"):
        Entity("e1", 0, 4)  # type: ignore[call-arg]


async def test_lines_on_screen_are_drawn_once_while_the_rest_of_the_document_is_counted(tmp_path, monkeypatch):
    """Counting the windows below the screen (for the scrollbar) changes the layout's version, but not
    the lines shown: each line on screen is drawn once, not again after each counted slice."""
    from test_tui_support import make_app, make_session, wait_until

    from annotator.tui.widgets.document_view import DocumentView

    long_text = "\n".join(f"الفقرة رقم {i}: قالت الوزارة في بيروت إن الأرقام صحيحة وإن العمل مستمر." for i in range(400))
    session = make_session(tmp_path / "long.db", docs=(("long", long_text),))
    drawn: dict[tuple[int, int] | None, int] = {}  # by the line's [start, end)
    render = DocumentView._render_visual_line

    def counting(self, line, width):
        key = None if line is None else (line.start, line.end)
        drawn[key] = drawn.get(key, 0) + 1
        return render(self, line, width)

    monkeypatch.setattr(DocumentView, "_render_visual_line", counting)
    app = make_app(session)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.main.view
        await wait_until(pilot, lambda: view.doc_layout.uncounted_window() is None)
        await pilot.pause()
        assert view.doc_layout.version > 3  # the windows below the screen were counted after the first paint
        on_screen = [view.doc_layout.line(y) for y in range(round(view.scroll_y), round(view.scroll_y) + view.size.height)]
        assert [drawn.get((line.start, line.end)) for line in on_screen] == [1] * len(on_screen), drawn
    session.store.close()


async def test_the_main_screen_is_the_app_s_first_screen_with_no_blank_one_under_it(tmp_path):
    """Textual's default screen (blank, with its own toast rack and tooltip) was composed, styled and
    laid out under the main screen at every start, and never seen: the main screen is the first one."""
    from test_tui_support import SIZE, make_app, make_session

    session = make_session(tmp_path / "s.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen_stack == [app.main] and app.main.doc_id is not None
        await pilot.press("question_mark")  # a dialog goes on top, and comes off again
        await pilot.pause()
        assert len(app.screen_stack) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen_stack == [app.main]
    session.store.close()


async def test_the_first_document_is_laid_out_only_at_the_width_of_the_view(tmp_path, monkeypatch):
    """The first document is opened as the screen mounts, before the view has its size: it is
    laid out when the size is known (its first render or resize), never first at a placeholder
    width that the size then replaces. A resumed cursor deep in the text is still on screen."""
    from test_tui_support import SIZE, make_app, make_session

    import annotator.layout.document as document

    text = "\n".join(f"الفقرة رقم {n} من النص الطويل، وفيها كلمات كثيرة تلتف على سطرين أو أكثر." for n in range(300))
    session = make_session(tmp_path / "s.db", docs=(("long", text),))
    cursor = text.index("الفقرة رقم 250 ")
    session.save_position("long", cursor)
    widths: list[int] = []
    real = document.layout_paragraph

    def recorded(text, options, **kw):
        widths.append(options.width)
        return real(text, options, **kw)

    monkeypatch.setattr(document, "layout_paragraph", recorded)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.main.view
        assert view.cursor == cursor
        assert widths and set(widths) == {view._layout_width()}, sorted(set(widths))
        top = round(view.scroll_y)
        assert top > 0 and top <= view.cursor_line < top + view.scrollable_content_region.height
        assert "250" in "".join(s.text for y in range(view.size.height) for s in [view.render_line(y)])
    session.store.close()


def test_every_command_module_is_named_after_its_command():
    """The CLI imports only the command it runs by finding its module by name (``NAME``,
    or ``NAME_cmd``); a module that broke the rule would make every run import them all."""
    import importlib

    from annotator.cli import _module_names

    names = _module_names()
    assert set(names) >= {"annotate", "import", "export", "stats"}
    for name, module in names.items():
        assert importlib.import_module(f"annotator.commands.{module}").NAME == name


def test_the_commands_folder_is_listed_as_pkgutil_and_import_see_it(tmp_path, monkeypatch):
    """``cli._modules_in`` lists a folder itself (``pkgutil`` cost every start): the names
    ``pkgutil.iter_modules`` gives for modules, packages, bytecode and extension modules, none for what is
    no module; where ``pkgutil`` names what ``import`` cannot find (a folder ``x.py/``), ``import`` decides."""
    import importlib
    import pkgutil

    from annotator import commands
    from annotator.cli import _modules_in

    assert _modules_in(commands.__path__) == {info.name for info in pkgutil.iter_modules(commands.__path__)}
    for name in ("a.py", "b.pyc", "c.cpython-311-x86_64-linux-gnu.so", "d.abi3.so", "e.txt", "f", "__init__.py",
                 "_p.py", "x.y.py", "same.py", "pkg/__init__.py", "pkg2/__init__.pyc", "nopkg/x.py",
                 "dotted.name/__init__.py", "same/__init__.py", "folder_like_a_module.py/x.txt",
                 "folder_like_bytecode.pyc/__init__.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).touch()
    (tmp_path / "linked").symlink_to(tmp_path / "pkg")
    ours = _modules_in([str(tmp_path)])
    assert ours == {"_p", "a", "b", "c", "d", "same", "pkg", "pkg2", "linked"}
    odd = {"folder_like_a_module", "folder_like_bytecode"}
    assert {info.name for info in pkgutil.iter_modules([str(tmp_path)])} - ours == odd
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in odd:
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(name)


def test_a_command_run_imports_only_its_own_module(tmp_path):
    code = """
    import json, sys
    from annotator.cli import main
    main(["stats", "--db", sys.argv[1]])
    print(json.dumps({"commands": sorted(m for m in sys.modules if m.startswith("annotator.commands."))}))
    """
    assert _loaded(code, str(tmp_path / "none.db"))["commands"] == ["annotator.commands._common",
                                                                  "annotator.commands.stats"]


def test_help_and_a_mistyped_command_still_list_every_command(capsys):
    from annotator.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["anotate"])
    mistyped = capsys.readouterr().err
    for name in ("agreement", "annotate", "assign", "backup", "check", "export", "import", "render", "stats"):
        assert name in listed and repr(name) in mistyped


def test_import_time_tables_built_by_slicing_equal_their_definition():
    """Two layout tables are built by slicing bytes (start-up); they must be what their rule says."""
    from annotator.layout.bidi.line import _AT_LEAST
    from annotator.layout.codes import _PAGE_MASKS

    assert _AT_LEAST == [bytes(int(v >= level) for v in range(256)) for level in range(256)]
    assert _PAGE_MASKS == [bytes(255 if v == page else 0 for v in range(256)) for page in range(256)]


async def test_start_up_ends_when_the_first_document_fails_to_open(tmp_path, monkeypatch):
    """A first document that cannot be read is said on the status line and leaves nothing to paint:
    start-up must still end (``AnnotatorApp.started``, the collector back on), not wait for a paint."""
    from test_tui_support import SIZE, make_app, make_session

    from annotator.errors import AnnotatorError
    from annotator.tui.app import AnnotatorApp

    calls: list[int] = []
    monkeypatch.setattr(AnnotatorApp, "started", lambda self: calls.append(1))
    session = make_session(tmp_path / "one.db", docs=(("a", "نص"),))

    def unreadable(doc_id: str) -> str:
        raise AnnotatorError(f"document {doc_id!r} cannot be read")

    monkeypatch.setattr(session, "text", unreadable)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert calls == [1]
    session.store.close()
