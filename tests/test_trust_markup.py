"""Issue 9 (trust): text from schemas and data is never parsed as markup, never reaches
the terminal raw; a hotkey that is not one visible key is refused with file and line.

A hostile schema puts Rich/Textual markup, escape sequences and bidi controls in every
string it has (schema name, label names in both languages, guidelines, attribute and
choice names, choice values, document attributes), a document carries them in its id,
note, claim attributes and pre-annotation source; then every screen is opened.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_tui_support import make_app

from annotator.errors import SchemaError
from annotator.model.annotations import Document
from annotator.schema import load_schema, load_schema_text
from annotator.session import AnnotationSession
from annotator.store import open_store

REPO = Path(__file__).resolve().parents[1]
SIZE = (120, 90)  # tall enough for the whole help

# Markup Rich and Textual would act on (a stray closing tag raises MarkupError, [ar] is
# swallowed as a style, @click runs an action), escape sequences (clear the screen, set
# the clipboard through OSC 52) and bidi overrides.
EVIL = "[/] [bold]B[/bold] [@click=app.quit]Q[/] [ar] \x1b[2J\x1b]52;c;AAAA\x07 \x9b31m \u2066\u202e"


def evil(tag: str) -> str:
    return f"{tag} {EVIL}"


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value)


def hostile_schema_yaml() -> str:
    return textwrap.dedent(f"""\
        name: {q(evil("schema"))}
        version: "1"
        description: {q(evil("description"))}
        labels:
          - key: PER
            name_en: "Person [/] x"
            name_ar: {q("شخص " + EVIL)}
            color: blue
            hotkey: "1"
            guideline: {q(evil("guide"))}
            guideline_ar: {q("إرشاد " + EVIL)}
          - key: ORG
            name_en: {q(evil("Org"))}
            name_ar: {q("منظمة [ar]")}
            color: green
            hotkey: "2"
        claims:
          hotkey: c
          claimer_labels: [PER]
          attributes:
            - key: verdict
              kind: choice
              name_en: {q(evil("Verdict"))}
              name_ar: {q("حكم " + EVIL)}
              guideline: {q(evil("vguide"))}
              choices:
                - {{value: {q(evil("V1"))}, name_en: {q(evil("True"))}, name_ar: {q("صحيح " + EVIL)}, hotkey: t}}
                - {{value: "plain", hotkey: f}}
            - key: checked
              kind: boolean
              name_en: {q(evil("Checked"))}
              hotkey: k
            - key: comment
              kind: text
              name_en: {q(evil("Comment"))}
        document_attributes:
          - key: worthy
            kind: choice
            name_en: {q(evil("Worthy"))}
            choices:
              - {{value: {q(evil("W"))}, name_en: {q(evil("Wname"))}}}
        """)


TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
DOC_ID = "[@click=app.quit]doc[/] \x1b[2J"


@pytest.fixture
def schema_file(tmp_path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(hostile_schema_yaml(), encoding="utf-8")
    return path


@pytest.fixture
def hostile(tmp_path, schema_file):
    schema = load_schema(schema_file)
    store = open_store(str(tmp_path / "t.db"))
    store.add_document(Document(DOC_ID, TEXT))
    store.add_document(Document("second", "نص ثان."))
    session = AnnotationSession(store, schema, "tester")
    per = session.add_entity(DOC_ID, 4, 14, "PER").state.entities[0]
    claim = session.add_claim(DOC_ID, 18, 68).state.claims[0]
    session.set_claim_attributes(DOC_ID, claim.id, {"verdict": evil("V1"), "checked": True,
                                                    "comment": evil("typed")})
    session.link_claimer(DOC_ID, claim.id, per.id)
    session.set_notes(DOC_ID, evil("note"))
    session.set_document_attributes(DOC_ID, {"worthy": evil("W")})
    yield session
    store.close()


# -- what reaches the screen ------------------------------------------------------------------

_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def screen_lines(app) -> list[str]:
    """Every cell of the current screen (dialogs over their background) as text rows."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens,
                                                  simplify=True)
    return ["".join(seg.text for strip in row for seg in strip if not seg.control)
            for row in update.strips]


def check_screen(app, *must_show: str) -> str:
    """The screen holds no control character and shows each of ``must_show`` literally."""
    assert app.is_running and app.return_code is None, "an @click action quit the app"
    rows = screen_lines(app)
    text = "\n".join(row.rstrip() for row in rows)
    bad = sorted({f"U+{ord(c):04X}" for c in _FORBIDDEN.findall(text)})
    assert not bad, f"raw control characters reached the screen: {bad}\n{text}"
    for piece in must_show:
        assert piece in text, f"{piece!r} is not shown literally:\n{text}"
    return text


def all_widget_strings(app) -> list[str]:
    """Titles and placeholders of every widget on the current screen (not always drawn)."""
    from textual.widgets import Input

    out = []
    for widget in app.screen.walk_children():
        for value in (widget.border_title, widget.border_subtitle, widget.tooltip):
            if value is not None:
                out.append(str(value))
        if isinstance(widget, Input):
            out.append(widget.placeholder)
    return out


async def test_every_screen_shows_hostile_schema_and_data_literally(hostile):
    from textual.command import CommandPalette

    from annotator.tui.screens.claim_form import ClaimFormScreen
    from annotator.tui.screens.claimer_picker import ClaimerPickerScreen
    from annotator.tui.screens.documents import DocumentListScreen
    from annotator.tui.screens.help import HelpScreen

    app = make_app(hostile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.screen
        assert main.doc_id == DOC_ID
        # the header shows the document id and the note
        check_screen(app, "[@click=app.quit]doc[/]", "✎ note [/]")

        # the status line on the claim (its attributes, choice values)
        main.view.move_to(20)
        await pilot.pause()
        check_screen(app, "comment=typed [/] [bold]B[/bold] [@click=app.quit]Q[/] [ar]")
        assert "verdict=V1 [/] [bold]B[/bold]" in main.status.info

        # help: every key, with the label names
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        check_screen(app, "Person [/] x", "Org [/] [bold]B[/bold] [@click=app.quit]Q[/] [ar]")
        await pilot.press("escape")
        await pilot.pause()

        # the command palette: discovery (no query), then a search
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.pause(0.3)
        for ch in "label":
            await pilot.press(ch)
        await pilot.pause(0.5)
        text = check_screen(app)
        assert "Person [/] x" in text or "[ar]" in text, text
        await pilot.press("escape")
        await pilot.pause()

        # Textual's own key panel (binding descriptions are markup there)
        app.action_show_help_panel()
        await pilot.pause(0.3)
        check_screen(app)
        app.action_hide_help_panel()
        await pilot.pause()

        # the document list
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, DocumentListScreen)
        check_screen(app, "[@click=app.quit]doc[/]")
        await pilot.press("escape")
        await pilot.pause()

        # the claim form: attribute names, choice names, values, the text editor's placeholder
        main.view.move_to(20)
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        check_screen(app, "Verdict [/] [bold]B[/bold]", "True [/] [bold]B[/bold]", "Checked [/]",
                     "typed [/]")
        await pilot.press("down", "down", "enter")  # the text attribute: its editor opens
        await pilot.pause()
        check_screen(app)
        for value in all_widget_strings(app):
            assert not _FORBIDDEN.search(value), repr(value)
        await pilot.press("escape")  # closes the editor
        await pilot.press("down", "enter")  # the claimer row: the picker lists the entities
        await pilot.pause()
        assert isinstance(app.screen, ClaimerPickerScreen)
        check_screen(app, "PER")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main

        # go to document N, and the note editor
        await pilot.press("colon")
        await pilot.pause()
        check_screen(app, "Go to document")
        await pilot.press("escape", "ctrl+n", "home")  # the note's input shows its start
        await pilot.pause()
        check_screen(app, "note [/] [bold]B[/bold] [@click=app.quit]Q[/] [ar]")
        await pilot.press("escape")
        await pilot.pause()

        # the side panel and jumping from it
        await pilot.press("tab")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await pilot.pause()
        check_screen(app)

        # a refused action's message in the status line
        await pilot.press("d")  # mark done: the required-attribute check or success
        await pilot.pause()
        check_screen(app)
        assert app.is_running and app.return_code is None


async def test_palette_search_highlights_without_parsing_markup(hostile):
    """Typing a query re-renders hits with the match highlighted: still literal text."""
    app = make_app(hostile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        for ch in "person":
            await pilot.press(ch)
        await pilot.pause(0.5)
        text = check_screen(app, "x)")
        assert "[/]" in text


def test_help_rows_and_palette_hits_are_plain_text(hostile):
    """The one rule: schema text given to Textual is a Text/Content object or escaped markup."""
    from rich.text import Text
    from textual.content import Content

    from annotator.tui.bindings import label_specs, main_bindings
    from annotator.tui.screens.help import help_table

    table = help_table({"1": "label('PER')", "2": "label('ORG')"}, hostile.schema)
    for column in table.columns:
        for cell in column._cells:
            assert isinstance(cell, (Text, Content)), repr(cell)
    # binding descriptions are markup in Textual's key panel: they hold no schema text
    for binding in main_bindings(hostile.schema):
        assert "[" not in binding.description and "\x1b" not in binding.description, binding
    assert any("Person [/] x" in spec.description for spec in label_specs(hostile.schema))


def test_shown_helpers_never_leave_markup_or_controls():
    from textual.content import Content
    from textual.markup import to_content

    from annotator.tui.shown import shown, shown_text, ui_content, ui_markup, visible_controls

    for value in (EVIL, "Person [/] x", "\\", "[ar]\\", "a\\[b]", "b[//[, ", "([[$ a=b@"):
        plain = shown(value)
        assert not _FORBIDDEN.search(plain)
        assert shown_text(value).plain == plain
        assert isinstance(ui_content(plain), Content) and ui_content(plain).plain == plain
        assert to_content(ui_markup(plain)).plain == plain  # escaped markup reads back literally
        visible = visible_controls(value)
        assert len(visible) == len(value) and not _FORBIDDEN.search(visible)
    assert visible_controls("نص [b] \u00a0x") == "نص [b] \u00a0x"  # printable text is left alone


async def test_input_fields_draw_stored_controls_as_symbols(hostile):
    """The note editor holds the note as stored; the field draws its controls visibly."""
    from textual.widgets import Input

    from annotator.tui.screens.prompts import NoteScreen

    app = make_app(hostile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        field = app.screen.query_one(Input)
        assert field.value == evil("note")  # exactly as stored
        check_screen(app, "␛[2J␛]52;c;AAAA␇")
        await pilot.press("end", "!")
        assert field.value == evil("note") + "!"
        await pilot.press("enter")
        await pilot.pause()
        assert hostile.annotations(DOC_ID).notes == evil("note") + "!"


# -- annotator check accepts brackets (legal text) ---------------------------------------------

def test_check_schema_accepts_names_with_brackets(schema_file):
    res = subprocess.run([sys.executable, "-m", "annotator", "check", "--schema", str(schema_file)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "is valid" in res.stdout
    schema = load_schema(schema_file)
    assert schema.labels[0].name_en == "Person [/] x"  # stored exactly as written
    assert schema.claims.attributes[0].choices[0].value == evil("V1")


# -- hotkeys that are not one visible key ---------------------------------------------------------

LABELS = """\
name: t
version: "1"
labels:
  - key: PER
    name_en: Person
    name_ar: شخص
    color: blue
    hotkey: "1"
  - key: ORG
    name_en: Org
    name_ar: منظمة
    color: green
    hotkey: {hotkey}
claims:
  attributes:
    - key: v
      kind: choice
      hotkey: {attr_hotkey}
      choices:
        - {{value: a, hotkey: {choice_hotkey}}}
"""


def schema_with(hotkey='"2"', attr_hotkey='"v"', choice_hotkey='"a"'):
    return LABELS.format(hotkey=hotkey, attr_hotkey=attr_hotkey, choice_hotkey=choice_hotkey)


@pytest.mark.parametrize("spelled, what", [
    ('"\u00a0"', "U+00A0"),  # a non-breaking space
    ('"\\u00a0"', "U+00A0"),
    ('" "', "U+0020 SPACE"),
    ('"\\t"', "U+0009"),
    ('"\u200b"', "U+200B"),  # zero-width space
    ('"\u202e"', "U+202E"),
    ('"\u0301"', "U+0301"),  # a combining mark alone
    ('"\u3000"', "U+3000"),
    ("ab", "'ab'"),
    ('"2 "', "'2 '"),
])
def test_label_hotkey_that_is_not_one_visible_key_is_refused(tmp_path, spelled, what):
    path = tmp_path / "keys.yaml"
    path.write_text(schema_with(hotkey=spelled), encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    err = info.value
    assert (err.path, err.line, err.key_path) == (str(path), 13, "labels[1].hotkey")
    assert "ORG" in err.problem and what in err.problem, err.problem
    assert f"{path}:13" in str(err)


@pytest.mark.parametrize("field", ["attr_hotkey", "choice_hotkey"])
def test_form_hotkey_that_is_whitespace_is_refused(field):
    with pytest.raises(SchemaError) as info:
        load_schema_text(schema_with(**{field: '"\u00a0"'}), "s.yaml")
    err = info.value
    line = 18 if field == "attr_hotkey" else 20
    assert err.line == line and "U+00A0" in err.problem, (err.line, err.problem)
    assert ("'v'" if field == "attr_hotkey" else "'a'") in err.problem


@pytest.mark.parametrize("spelled", ['""', "", "~"])
def test_label_with_an_empty_hotkey_is_refused(spelled):
    """A label needs a key: without one it could never be applied in the app."""
    with pytest.raises(SchemaError) as info:
        load_schema_text(schema_with(hotkey=spelled), "s.yaml")
    err = info.value
    assert (err.line, err.key_path) == (13, "labels[1].hotkey")
    assert "hotkey of label 'ORG' is empty" in err.problem, err.problem


def test_ordinary_hotkeys_still_load():
    schema = load_schema_text(schema_with(hotkey='"ب"'), "s.yaml")
    assert schema.labels[1].hotkey == "ب"
    # an absent hotkey on a form field is still "no hotkey"
    text = schema_with().replace('      hotkey: "v"\n', "")
    assert load_schema_text(text, "s.yaml").claims.attributes[0].hotkey == ""


# -- a real terminal ---------------------------------------------------------------------------

@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_help_with_hostile_schema_in_a_real_terminal(tmp_path, schema_file):
    """The real app in tmux: the help shows the names literally, the ESC [2J in them does not
    clear the screen and their OSC 52 does not reach tmux's clipboard (set-clipboard on)."""
    from test_tui_tmux import Tmux

    (tmp_path / "doc.txt").write_text(TEXT + "\n", encoding="utf-8")
    tmux = Tmux()
    try:
        tmux.start(f"cd {tmp_path} && {sys.executable} -m annotator annotate doc.txt "
                   f"--schema {schema_file} --db {tmp_path / 't.db'} --annotator e2e --rtl-mode plain; "
                   "echo EXITED $?; sleep 60", width=120, height=90)
        tmux.run("set-option", "-s", "set-clipboard", "on")  # OSC 52 from the app would make a buffer
        tmux.wait_for("finished")
        tmux.keys("?")
        rows = tmux.wait_for("Person [/] x")
        screen = "\n".join(rows)
        assert "Org [/] [bold]B[/bold] [@click=app.quit]Q[/] [ar]" in screen, screen
        assert "finished" in screen  # the header is still there: no clear-screen ran
        tmux.keys("Escape", "C-p")
        time.sleep(1.0)
        tmux.keys("l", "a", "b", "e", "l")
        rows = tmux.wait_for("label PER")
        screen = "\n".join(rows)
        assert "Traceback" not in screen and "EXITED" not in screen, screen
        assert tmux.run("list-buffers") == ""  # no clipboard write got through
        tmux.keys("Escape", "C-q")
        tmux.wait_for("EXITED 0")
    finally:
        tmux.kill()
