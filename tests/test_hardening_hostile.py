"""Hostile text: escape sequences, OSC 52, bells, C0/C1 controls, Trojan Source overrides,
unbalanced isolates, zero-width characters, lone surrogates, a 1 MB line and a 50,000-token
document. Nothing raw reaches the terminal, hidden controls can be made visible, the
visible text is all drawn, and nothing crashes or hangs.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.layout import LayoutOptions, layout_text, visual_string
from annotator.layout.engine import control_symbol, invisible_marker

C0 = [chr(c) for c in range(0x20) if chr(c) not in "\n\r\t"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI_CONTROLS = list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
ZERO_WIDTH = list("\u200b\u200c\u200d\u2060\ufeff\u00ad")
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
# What must never be written to the terminal as it is: it would drive the terminal, not show text.
RAW = frozenset(C0 + ["\x7f"] + C1 + BIDI_CONTROLS + [chr(c) for c in range(0xD800, 0xE000)])

ESCAPES = [
    "\x1b[31mأحمر\x1b[0m",  # SGR colour
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: write "rm -rf ~" to the clipboard
    "\x1b]0;title\x1b\\",  # OSC set title, ST-terminated
    "\x1bP+q544e\x1b\\",  # DCS request
    "\x9b31m\x9d52;c;eA==\x9c",  # the same as 8-bit C1 controls
    "\x07\x07\x07",  # bells
    "\x08\x08\x08xxx",  # backspaces over text
]
TROJAN = [
    "\u202eإذا كان المستخدم مديرا\u2066 \u2069\u2066",  # RLO … LRI/PDI, the Trojan Source pattern
    "admin\u202e\u2066// تحقق\u2069\u2066",
    "\u2067\u2067\u2067 عزل غير مغلق",  # isolates never closed
    "\u2069\u2069 إغلاق بلا فتح \u202c\u202c",  # closers without openers
    "\u202a\u202b" * 70 + "عميق",  # deeper than the 125 levels UAX #9 allows
]
HOSTILE = ESCAPES + TROJAN + [
    "".join(C0) + "بين" + "".join(C1),
    "صفر\u200bعرض\u200c\u200dهنا\u2060\ufeff\u00ad",
    "بديل مكسور \ud800 و \udfff من فك خاطئ",
    "سطر\r\nسطر\u2028فاصل\u2029فقرة\u0085C1-سطر",
]

ALPHABET = "قالمصطفىبيروت َُِّ٠١٢abc XYZ 0129().,:«»-\t\n" + "".join(
    C0 + C1 + BIDI_CONTROLS + ZERO_WIDTH + ["\x7f"] + SURROGATES)


def drawn(lines) -> str:
    return "".join(cell.text for line in lines for cell in line.cells)


def assert_nothing_raw(text: str) -> None:
    raw = sorted({f"U+{ord(c):04X}" for c in text if c in RAW})
    assert not raw, f"raw control characters would reach the terminal: {raw}"


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("show_controls", [False, True])
@pytest.mark.parametrize("width", [1, 7, 80])
def test_layout_draws_no_raw_control(text, show_controls, width):
    options = LayoutOptions(width=width, show_controls=show_controls)
    lines = layout_text(text, options)
    assert_nothing_raw(drawn(lines))
    for line in lines:
        assert sum(cell.width for cell in line.cells) <= max(width, 2), "a line wider than the view"
    assert_nothing_raw(visual_string(text))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=120), width=st.integers(1, 60), show=st.booleans(),
       direction=st.sampled_from(["rtl", "ltr", "auto"]))
def test_layout_of_any_mix_draws_no_raw_control_and_loses_no_letter(text, width, show, direction):
    lines = layout_text(text, LayoutOptions(width=width, show_controls=show, direction=direction))
    assert_nothing_raw(drawn(lines))
    covered = {i for line in lines for cell in line.cells for i in range(cell.start, cell.end)}
    letters = {i for i, ch in enumerate(text) if unicodedata.category(ch)[0] in "LN"}
    assert letters <= covered, "a letter or digit is not drawn"


@pytest.mark.parametrize("control", C0 + ["\x7f"] + C1 + BIDI_CONTROLS + ZERO_WIDTH,
                         ids=lambda c: f"U+{ord(c):04X}")
def test_every_hidden_control_can_be_made_visible(control):
    """With show_controls each control is its own marker cell at its own offset."""
    text = "قبل" + control + "بعد"
    shown = layout_text(text, LayoutOptions(width=40, show_controls=True))
    cells = [cell for line in shown for cell in line.cells if cell.start <= 3 < cell.end]
    expected = control_symbol(control) if control in C0 or control in C1 or control == "\x7f" \
        else invisible_marker(control)
    assert [cell.text for cell in cells] == [expected]
    assert unicodedata.category(expected)[0] not in "CZ", "the marker itself must be visible"


def test_a_lone_surrogate_is_drawn_as_a_replacement_character():
    lines = layout_text("أ\ud800ب", LayoutOptions(width=10))
    assert "\ufffd" in drawn(lines)


BIG = textwrap.dedent("""
    import sys
    from annotator.layout import DocumentLayout, LayoutOptions, layout_text
    from annotator.text.tokens import tokenize
    kind = sys.argv[1]
    if kind == "line":  # one 1 MB line: no newline anywhere
        text = ("كلمة \\u202e\\x1b[31m " * 100_000)[:1_000_000]
    else:  # a 50,000-token document in paragraphs
        text = "\\n".join("قال John Smith إن عام 2019 كان صعباً، وقالت الوزارة: «الأرقام صحيحة». " * 10
                          for _ in range(400))
    layout = DocumentLayout(text, LayoutOptions(width=80, show_controls=True))
    count = layout.line_count
    last = layout.line(count - 1)
    middle = layout.locate(len(text) // 2)
    assert last.end <= len(text) and middle[0] < count
    drawn = "".join(c.text for line in layout.lines(0, 200) for c in line.cells)
    assert "\\x1b" not in drawn and "\\u202e" not in drawn
    tokens = tokenize(text) if kind == "tokens" else []
    print(kind, len(text), count, len(tokens))
""")


@pytest.mark.parametrize("kind", ["line", "tokens"])
def test_huge_documents_lay_out_without_hanging(tmp_path, kind):
    """Run in a subprocess with a generous limit: a hang fails, a slow machine does not."""
    script = tmp_path / "big.py"
    script.write_text(BIG, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), kind], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    name, size, lines, tokens = done.stdout.split()
    assert int(lines) > 1000
    if kind == "tokens":
        assert int(tokens) >= 50_000
    else:
        assert int(size) == 1_000_000


# -- through the commands and the app ----------------------------------------------------

HOSTILE_DOC = "\n".join(HOSTILE) + "\n"  # with lone surrogates: only a store (from a bad decoder) holds them
HOSTILE_FILE = "\n".join(h for h in HOSTILE if not any(s in h for s in SURROGATES)) + "\n"  # valid UTF-8
def assert_no_raw_bytes(output: bytes) -> None:
    """Decoded as the terminal would decode it (UTF-8), the output holds no raw control."""
    assert_nothing_raw(output.decode("utf-8"))


@pytest.mark.parametrize("extra", [[], ["--show-controls"], ["--direction", "auto", "--no-shape"]])
def test_render_writes_no_raw_control_bytes(tmp_path, extra):
    path = tmp_path / "hostile.txt"
    path.write_text(HOSTILE_FILE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "annotator", "render", str(path), "--width", "30",
                           "--rtl-mode", "plain", *extra], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-1000:]
    assert_no_raw_bytes(done.stdout)
    assert "␛".encode() in done.stdout  # the escapes are there, as visible symbols
    if "--show-controls" in extra:
        assert invisible_marker("\u202e").encode() in done.stdout


def test_messages_quoting_hostile_input_write_no_raw_control(tmp_path):
    """An id, a label or a file name from an input file is quoted in messages: escaped, not raw."""
    import json

    evil = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202e\x9b"
    lines = [{"id": f"doc{evil}", "text": "نص أول", "entities": [{"start": 0, "end": 2, "label": f"X{evil}"}]},
             {"id": f"doc{evil}", "text": "نص ثان"}, f"not json {evil}"]
    (tmp_path / f"in{evil[:9]}.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    (tmp_path / f"bad{evil[:9]}.txt").write_bytes(b"")
    done = subprocess.run([sys.executable, "-m", "annotator", "import", ".", "--db", "s.db"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert b"Traceback" not in done.stderr
    assert_no_raw_bytes(done.stdout + done.stderr)
    assert b"\\x1b]52" in done.stderr  # quoted visibly, so the user sees something is odd
    done = subprocess.run([sys.executable, "-m", "annotator", "import", f"missing{evil}.txt", "--db", "s.db"],
                          cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 2 and b"no such file" in done.stderr
    assert_no_raw_bytes(done.stderr)


def app_screen_text(app) -> str:
    """Every line every widget of the current screen renders, as the terminal would receive it."""
    from textual.widget import Widget

    out = []
    for widget in app.screen.walk_children(Widget):
        for y in range(widget.size.height):
            try:
                strip = widget.render_line(y)
            except Exception:  # containers render no lines of their own
                continue
            out.append("".join(segment.text for segment in strip))
    return "\n".join(out)


async def _open_hostile(tmp_path, doc_id: str, cue: str = "قال") -> str:
    from test_tui_support import SIZE, make_app, make_session

    session = make_session(tmp_path / "t.db", docs=((doc_id, HOSTILE_DOC), ("plain", "نص عادي")))
    start = HOSTILE_DOC.index("\x1b[31m")
    session.add_entity(doc_id, start, start + 12, "PER")  # a span whose text holds ESC sequences
    session.add_claim(doc_id, 0, 40, {"cue": cue})
    session.set_notes(doc_id, "ملاحظة \x1b[2J\u202e\x9b")
    try:
        app = make_app(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            shown = app_screen_text(app)
            for key in ("left", "left", "end", "ctrl+end", "pagedown"):  # move about: still nothing raw
                await pilot.press(key)
            await pilot.pause()
            shown += app_screen_text(app)
            await pilot.press("slash")  # the document list quotes ids and first lines
            await pilot.pause()
            shown += app_screen_text(app)
            return shown
    finally:
        session.store.close()


async def test_the_app_shows_a_hostile_document_without_raw_controls(tmp_path):
    pytest.importorskip("textual")
    shown = await _open_hostile(tmp_path, "hostile")
    assert_nothing_raw(shown)
    assert "␛" in shown  # ESC is shown as a symbol, so the annotator sees it is there


async def test_the_app_shows_a_hostile_document_id_without_raw_controls(tmp_path):
    pytest.importorskip("textual")
    shown = await _open_hostile(tmp_path, "evil\x1b]52;c;eA==\x07\u202eid")
    assert_nothing_raw(shown)


def _writable_formats() -> list[str]:
    from annotator.formats.base import all_formats

    return sorted(name for name, fmt in all_formats().items()
                  if getattr(fmt, "writable", True) and not getattr(fmt, "writes_folders", False))


@pytest.mark.parametrize("fmt_name", _writable_formats())
def test_exporting_a_lone_surrogate_is_exact_or_a_clear_refusal(tmp_path, news_schema, fmt_name):
    """A lone surrogate has no UTF-8: a format either escapes it or the export is refused cleanly."""
    from annotator.errors import AnnotatorError
    from annotator.exporting import export_store
    from annotator.formats.base import get_format
    from annotator.model.annotations import Document
    from annotator.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    store.add_document(Document("fine", "نص سليم"))
    store.add_document(Document("broken", "قال \ud800 من فك خاطئ \x1b[2J"))
    target = tmp_path / "out"
    target.write_bytes(b"old export\n")
    try:
        export_store(store, news_schema, get_format(fmt_name), str(target))
    except AnnotatorError as exc:
        assert "'broken'" in str(exc) and "lone surrogate" in str(exc)
        assert target.read_bytes() == b"old export\n"
    else:
        target.read_bytes().decode("utf-8")  # whatever was written is valid UTF-8
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "a temporary file was left"


def test_a_lone_surrogate_in_an_id_or_name_is_refused_cleanly(tmp_path):
    """Texts keep lone surrogates; ids and annotator names are keys and cannot hold one."""
    (tmp_path / "ids.jsonl").write_text(
        '{"id": "a\\ud800", "text": "نص", "annotator": "b", "entities": [{"start": 0, "end": 2, "label": "PER"}]}\n'
        '{"id": "ok", "text": "نص آخر", "annotator": "c\\udc00", "entities": [{"start": 0, "end": 2, "label": "PER"}]}\n'
        '{"id": "fine", "text": "قال \\ud800 نص"}\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "annotator", "import", "ids.jsonl", "--db", "s.db"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert b"Traceback" not in done.stderr and done.returncode == 1  # two records rejected (issue 9)
    assert done.stderr.count(b"holds a lone surrogate") == 2  # the reader refuses them (model.checks.id_problem)
    from annotator.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    assert store.document_ids() == ["fine"] and store.get_document("fine").text == "قال \ud800 نص"
    assert store.load("a\ud800", "b").version == 0  # looking a bad name up finds nothing, it does not crash
    store.close()
    # an annotator name from a terminal that is not UTF-8 reaches Python as a surrogate escape
    done = subprocess.run([sys.executable.encode(), b"-m", b"annotator", b"annotate", b"--db", b"s.db",
                           b"--annotator", b"z\xff"], cwd=tmp_path, capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert b"a lone surrogate from a bad decoder; nothing was changed" in done.stderr


async def test_the_app_shows_hostile_attribute_values_without_raw_controls(tmp_path):
    pytest.importorskip("textual")
    shown = await _open_hostile(tmp_path, "hostile", cue="قال\x1b]52;c;eA==\x07\u202e")
    assert_nothing_raw(shown)
