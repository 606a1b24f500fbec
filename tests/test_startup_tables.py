"""Start-up (issue 12, aim 1): what the first screen used to compute at every start, made once.

Three generated tables: the engine's code of the regular expressions our start-up compiles
(``annotator/_pattern_code.py``, by ``annotator.pattern_code``), the letter forms ``joins`` picks for
the 256 characters of Windows-1256, and the layout's code bytes of those characters
(``annotator/layout/_single_byte_forms.py`` and ``_single_byte_codes.py``, by ``layout.tablegen``).
Each is checked against what the code computes now (a test fails and says how to regenerate when
they part), and the first screen is checked not to compute them (no timing here: the figures are
``bench/bench_startup.py``'s).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest

from annotator import pattern_code

from conftest import SEEDS

REPO = Path(__file__).resolve().parents[1]
REGENERATE_PATTERNS = ("a regular expression on the way to the first screen changed (ours or Textual's): regenerate the "
                       "table with "
                       "`.venv/bin/python -m annotator.pattern_code`")
REGENERATE_LAYOUT = ("the letter table (_arabic_forms.py), the joining rules (shaping), the bidi classes or how a "
                     "character is drawn (glyphs) changed: regenerate the tables with "
                     "`.venv/bin/python -m annotator.layout.tablegen`")


def _patterns_written_by_this_python() -> dict:
    from annotator._pattern_code import CODE, PYTHON

    if PYTHON != pattern_code._python():
        pytest.skip(f"the pattern table was written by Python {PYTHON}, this is {pattern_code._python()}: it is not "
                    "used here (each pattern is compiled as usual); regenerate it with "
                    "`python -m annotator.pattern_code`")
    return CODE


# -- the regular expressions (``annotator.pattern_code``) ---------------------------------------------

def test_importing_annotator_installs_the_pattern_table():
    from re import _compiler

    assert _compiler.compile is pattern_code._precompiled_compile


def test_each_precompiled_pattern_is_what_re_compiles_now():
    """Each entry is the flags, code and groups ``re._compiler`` makes of its pattern, and the pattern
    made from it equals ``re``'s own (``Pattern.__eq__`` compares the pattern, flags and code)."""
    table = _patterns_written_by_this_python()
    assert len(table) > 20
    for (pattern, flags), entry in table.items():
        assert entry == pattern_code.entry(pattern, flags), (pattern, REGENERATE_PATTERNS)
        made = pattern_code._precompiled_compile(pattern, flags)
        assert made == pattern_code._real_compile(pattern, flags), pattern
        assert (made.groups, made.groupindex, made.flags) == (re.compile(pattern, flags).groups,
                                                              re.compile(pattern, flags).groupindex,
                                                              re.compile(pattern, flags).flags)


def test_a_pattern_from_the_table_matches_as_re_s_own():
    table = _patterns_written_by_this_python()
    texts = ["", "abc", "قال الرئيس، «نعم» ٢٠١٩", "a\u200fb\x1b[0m\ttab\n", "(x) [y] {z} <w>", "#ff00aa", "12.5%"]
    for (pattern, flags) in table:
        ours, theirs = pattern_code._precompiled_compile(pattern, flags), pattern_code._real_compile(pattern, flags)
        for text in texts:
            subject = text if isinstance(pattern, str) else text.encode("utf-8")
            assert [m.span() for m in ours.finditer(subject)] == [m.span() for m in theirs.finditer(subject)]


def test_a_pattern_not_in_the_table_is_compiled_as_before():
    """A new or edited pattern misses the table: ``re`` compiles it as usual (a stale table costs time only)."""
    new = r"(?P<word>[^\W\d_]+)-not-in-the-table-\d{3}"
    with pattern_code.recording_misses() as missed:
        compiled = re.compile(new)
    assert missed == [(new, 0)]
    assert compiled.match("abc-not-in-the-table-123").group("word") == "abc"


def test_a_session_records_no_miss_unless_a_test_asks():
    """Every search may compile a new pattern: a user's session keeps no list of them (it kept the first
    1,000, for the tests alone); a recording ends with its ``with``, and one inside another is its own."""
    assert pattern_code.missed is None
    assert re.compile(r"unrecorded-\d+-not-in-the-table").match("unrecorded-7-not-in-the-table")
    assert pattern_code.missed is None
    with pattern_code.recording_misses() as outer:
        re.compile(r"outer-\d+-not-in-the-table")
        with pattern_code.recording_misses() as inner:
            re.compile(r"inner-\d+-not-in-the-table")
        re.compile(r"outer-again-\d+-not-in-the-table")
    assert inner == [(r"inner-\d+-not-in-the-table", 0)]
    assert outer == [(r"outer-\d+-not-in-the-table", 0), (r"outer-again-\d+-not-in-the-table", 0)]
    assert pattern_code.missed is None


def test_the_first_screen_compiles_no_pattern(tmp_path):
    """On the way to its first painted document, ``annotate`` (``annotator`` imported first, as
    ``python -m annotator`` does) compiles no pattern with ``re``: every one comes from the table."""
    _patterns_written_by_this_python()
    from annotator.cli import main

    db = tmp_path / "five.db"
    assert main(["import", str(SEEDS), "--db", str(db)]) == 0
    compiled = pattern_code.compiled_at_start_up(str(db))
    assert compiled == [], f"{len(compiled)} compiled at start-up, e.g. {compiled[:3]}; {REGENERATE_PATTERNS}"


def test_the_first_frame_harness_runs_a_bare_app_to_its_first_frame():
    """``first_frame.program`` (the harness ``bench_startup.py --instructions`` runs too) reaches the bare
    app's first frame and runs what it is given there: the patterns Textual compiled on the way, all of which
    ``annotate`` finds in our table."""
    _patterns_written_by_this_python()
    from annotator._pattern_code import CODE

    compiled = pattern_code.compiled_at_start_up("bare")
    assert compiled and set(compiled) <= set(CODE)


# -- the Windows-1256 tables of the layout (``annotator.layout.tablegen``) ----------------------------------

def test_the_single_byte_forms_are_what_joins_computes():
    from annotator.layout import _single_byte_forms, joins

    assert _single_byte_forms.SINGLE_BYTE_FORMS == joins.single_byte_forms(), REGENERATE_LAYOUT
    assert joins.SINGLE_BYTE_FORMS is _single_byte_forms.SINGLE_BYTE_FORMS  # what the layout indexes


def test_the_single_byte_codes_are_what_each_table_computes():
    from annotator.layout import _single_byte_codes
    from annotator.layout.codes import NAMED

    if _single_byte_codes.UNIDATA_VERSION != unicodedata.unidata_version:
        pytest.skip(f"the codes were made with Unicode {_single_byte_codes.UNIDATA_VERSION}, this Python has "
                    f"{unicodedata.unidata_version}: they are not used here; {REGENERATE_LAYOUT}")
    assert set(NAMED) == set(_single_byte_codes.CODES) == {"joining", "draw-False", "draw-True", "bidi-class"}
    for name, table in NAMED.items():
        assert _single_byte_codes.CODES[name] == table.computed_single_bytes(), f"{name}: {REGENERATE_LAYOUT}"
        assert table.single_bytes() == table.computed_single_bytes()


def test_codes_of_another_unicode_version_are_not_used(monkeypatch):
    from annotator.layout import _single_byte_codes
    from annotator.layout.codes import ByteTable

    monkeypatch.setattr(_single_byte_codes, "UNIDATA_VERSION", "0.0.0")
    monkeypatch.setitem(_single_byte_codes.CODES, "test-table", bytes(256))
    table = ByteTable(lambda ch: 7, "test-table")
    assert table.single_bytes() == bytes([7]) * 256
    from annotator.layout import codes

    monkeypatch.delitem(codes.NAMED, "test-table")


_FIRST_ARABIC = """
    import json
    from annotator.layout import engine, joins
    from annotator.layout.codes import ByteTable
    from annotator.layout.lines import LayoutOptions
    computed = []
    real = ByteTable.computed_single_bytes
    ByteTable.computed_single_bytes = lambda self: computed.append(self.name) or real(self)
    lines = engine.layout_paragraph("قال الرئيس إن الأرقام صحيحة وإن العمل مستمر في بيروت ودمشق.", LayoutOptions(width=30))
    print(json.dumps({"computed": computed, "forms": len(joins._FORMS_BY_CHAR), "lines": len(lines)}))
"""


def test_the_first_arabic_string_computes_no_windows_1256_table():
    """The first Arabic paragraph laid out in a process reads the forms and codes of Windows-1256 from the
    generated tables: it computed them (1,024 forms, 256 codes in each of three tables) at every start."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(_FIRST_ARABIC)], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["lines"] >= 2
    assert report["computed"] == [] and report["forms"] < 40, report


# -- drawing: a line with nothing styled apart is one run ------------------------------------------------

async def test_a_line_with_nothing_styled_apart_draws_as_cell_by_cell(tmp_path):
    """A line without spans, related spans or the cursor's mark is drawn as one run (no style key per
    cell): the same segments as the cell-by-cell path, which a related span far away forces."""
    from test_tui_support import SIZE, make_app, make_session

    text = "\n".join(f"الفقرة {n}: قالت الوزارة في بيروت إن الأرقام صحيحة (2024) وإن العمل مستمر." for n in range(30))
    session = make_session(tmp_path / "s.db", docs=(("d", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.main.view
        width = view.scrollable_content_region.width
        lines = range(min(view.size.height, 25))
        fast = [list(view._render_visual_line(view._line(y), width)) for y in lines]
        view.related = ((10**9, 10**9 + 1),)  # on no line: only turns the one-run path off
        general = [list(view._render_visual_line(view._line(y), width)) for y in lines]
        assert fast == general
        # lines of text drawn as one run (besides the gutter, the indent and the padding, all blank)
        assert sum(1 for segments in fast if sum(1 for s in segments if s.text.strip()) == 1) > 5
    session.store.close()


def test_the_unicode_tables_are_read_as_before():
    """``unicode_data._pairs`` splits its blocks in C now: the same dictionaries, in the same order, as the
    comprehension it replaced."""
    from annotator.layout import unicode_data

    for block in (unicode_data._MIRRORS, unicode_data._BRACKETS, unicode_data._JOINING):
        pairs = (item.split(":") for item in block.split())
        expected = {chr(int(a, 16)): b for a, b in pairs}
        assert list(unicode_data._pairs(block).items()) == list(expected.items())
