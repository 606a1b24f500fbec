"""The public keymap: every binding has an id, a keymap file rebinds by id through Textual's
keymap support (labels too), a bad file is one clear error with file and line, the help
is generated from the live keys, and the schema loader gets the TUI's reserved keys."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_tui_support import SIZE, make_app, make_session
from textual.command import CommandPalette

from annotator.cli import main as cli_main
from annotator.errors import SchemaError
from annotator.schema import default_schema_path, load_schema, load_schema_text
from annotator.tui.bindings import MAIN_KEYS, RESERVED_HOTKEYS, app_bindings, label_specs, main_bindings
from annotator.tui.keymap import (
    KeymapError,
    binding_scopes,
    default_keymap_path,
    find_keymap,
    key_name,
    parse_keymap,
    read_keymap,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def news():
    return load_schema(default_schema_path())


@pytest.fixture
def session(tmp_path):
    s = make_session(tmp_path / "k.db")
    yield s
    s.store.close()


def keymap_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keymap.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str, schema) -> KeymapError:
    path = keymap_file(tmp_path, text)
    with pytest.raises(KeymapError) as caught:
        read_keymap(path).resolve(schema)
    assert str(caught.value).startswith(f"{path}:"), str(caught.value)
    return caught.value


# -- no private Textual API; every binding has an id ------------------------------------------

def test_no_private_textual_key_api():
    for path in (ROOT / "annotator" / "tui").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "_character_to_key" not in source, path
        assert "._bindings" not in source, path  # bindings come from BINDINGS, never assigned


def test_every_binding_has_a_unique_id(news):
    bindings = [*main_bindings(news), *app_bindings()]
    assert all(b.id for b in bindings)
    scopes = binding_scopes(news)
    owners: dict[str, str] = {}
    for scope, ids in scopes.items():
        for bid in ids:
            if not bid.startswith("app."):
                assert owners.setdefault(bid, scope) == scope, f"{bid} is in {owners[bid]} and {scope}"
    assert {f"label.{lab.key}" for lab in news.labels} <= set(scopes["annotation screen"])
    assert "claim.mark" in scopes["annotation screen"]
    for screen, ids in scopes.items():
        assert ids, screen


def test_docs_list_every_binding_id(news):
    doc = (ROOT / "docs" / "tui.md").read_text(encoding="utf-8")
    for ids in binding_scopes(news).values():
        for bid in ids:
            if not bid.startswith("label."):
                assert f"`{bid}`" in doc, bid
    assert "`label.<KEY>`" in doc


def test_documented_example_keymap_is_valid(news, tmp_path):
    doc = (ROOT / "docs" / "tui.md").read_text(encoding="utf-8")
    example = doc.split("## Your own keys", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    keys = parse_keymap(example, "docs/tui.md").resolve(news)
    assert keys["document.next"] == "j" and keys["label.PER"] == "v"


# -- rebinding through Textual's keymap ------------------------------------------------------------

async def test_keymap_moves_app_keys_and_label_keys(session, tmp_path):
    path = keymap_file(tmp_path, "document.next: j\ndocument.previous: k\nlabel.PER: v\nhistory.undo: [ctrl+z, z]\n")
    app = make_app(session, keymap=read_keymap(path))
    async with app.run_test(size=SIZE) as pilot:
        main = app.main
        assert main.doc_id == "a_mixed"
        await pilot.press("n")  # no longer "next document"
        assert main.doc_id == "a_mixed"
        await pilot.press("j")
        assert main.doc_id == "b_second"
        await pilot.press("k")
        assert main.doc_id == "a_mixed"
        await pilot.press("left", "1")  # PER's default key is free now: nothing happens
        assert session.annotations("a_mixed").entities == ()
        await pilot.press("v")
        assert [e.label for e in session.annotations("a_mixed").entities] == ["PER"]
        await pilot.press("z")
        assert session.annotations("a_mixed").entities == ()
        await pilot.press("question_mark")
        await pilot.pause()
        bound = app.screen.bound  # the help is built from the live, remapped keys
        assert bound["j"] == "next_document" and bound["v"] == "label('PER')" and bound["z"] == "undo"
        assert "n" not in bound and "1" not in bound


async def test_palette_offers_the_moved_keys(session, tmp_path):
    from annotator.tui.commands import AnnotatorCommands

    app = make_app(session, keymap=read_keymap(keymap_file(tmp_path, "document.next: j\nlabel.PER: v\n")))
    async with app.run_test(size=SIZE):
        commands = {action: keys for _, action, keys in AnnotatorCommands(app.screen)._commands()}
        assert commands["next_document"] == "j" and commands["label('PER')"] == "v"
        assert commands["previous_document"] == "p"


async def test_swapping_two_keys_is_allowed(session, tmp_path):
    path = keymap_file(tmp_path, "document.next: p\ndocument.previous: n\n")
    app = make_app(session, keymap=read_keymap(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert app.main.doc_id == "b_second"
        await pilot.press("n")
        assert app.main.doc_id == "a_mixed"


async def test_palette_key_moves_with_the_keymap(session, tmp_path):
    path = keymap_file(tmp_path, "app.palette: f5\napp.quit: ctrl+x\n")
    app = make_app(session, keymap=read_keymap(path))
    async with app.run_test(size=SIZE) as pilot:
        assert app.COMMAND_PALETTE_BINDING == "f5"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running  # ctrl+q no longer quits
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_dialog_keys_can_be_rebound(session, tmp_path):
    path = keymap_file(tmp_path, "help.close: [escape, h]\n")
    app = make_app(session, keymap=read_keymap(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("q")  # no longer closes help
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("h")
        await pilot.pause()
        assert app.screen is app.main


# -- a bad keymap: one error, with file and line -------------------------------------------------

def test_unknown_id_names_line_and_suggests(tmp_path, news):
    err = refused(tmp_path, "document.next: j\ndocument.nxt: k\n", news)
    assert err.line == 2 and "unknown binding id 'document.nxt'" in err.problem
    assert "did you mean document.next" in err.problem


def test_unknown_label_names_the_schema_labels(tmp_path, news):
    err = refused(tmp_path, "\nlabel.PERSON: v\n", news)
    assert err.line == 2 and "has no label 'PERSON'" in err.problem and "PER, ORG" in err.problem


def test_key_already_used_names_both_bindings(tmp_path, news):
    err = refused(tmp_path, "# mine\ndocument.next: p\n", news)
    assert err.line == 2 and "key p is already used by document.previous" in err.problem
    err = refused(tmp_path, "move.unlabelled: \"2\"\n", news)  # a label's key
    assert "already used by label.ORG" in err.problem
    err = refused(tmp_path, "label.PER: ctrl+q\n", news)  # the app's quit
    assert "already used by app.quit" in err.problem
    err = refused(tmp_path, "document.next: j\ndocument.previous: j\n", news)
    assert err.line == 1 and "key j" in err.problem


def test_dialog_key_clashing_with_app_key(tmp_path, news):
    err = refused(tmp_path, "help.close: ctrl+p\n", news)
    assert "already used by app.palette" in err.problem


def test_optional_key_taken_by_the_schema_is_explained(tmp_path, news):
    labels = list(news.labels)
    labels[0] = replace(labels[0], hotkey="u")
    schema = replace(news, labels=tuple(labels))
    err = refused(tmp_path, "history.undo_letter: v\n", schema)
    assert "not bound with schema news" in err.problem


@pytest.mark.parametrize("text, line, words", [
    ("document.next: crtl+j\n", 1, "'crtl+j' is not a key"),
    ("document.next: jj\n", 1, "'jj' is not a key"),
    ("document.next:\n", 1, "give at least one key"),
    ("document.next: []\n", 1, "give at least one key"),
    ("document.next: {a: b}\n", 1, "expected a key"),
    ("document.next: [[j]]\n", 1, "holds only keys"),
    ("a: j\na: k\n", 2, "given twice (first on line 1)"),
    ("- document.next\n", 1, "mapping of binding ids"),
    ("document.next: j\n  bad: [\n", 2, "not valid YAML"),
    ("document.next: !!python/object:os.system j\n", 1, "expected a key"),
])
def test_malformed_files(tmp_path, news, text, line, words):
    path = keymap_file(tmp_path, text)
    with pytest.raises(KeymapError) as caught:
        read_keymap(path).resolve(news)
    err = caught.value
    assert err.path == str(path) and err.line == line and words in err.problem, str(err)


def test_every_problem_is_listed(tmp_path, news):
    err = refused(tmp_path, "document.nxt: j\nmove.left: p\nlabel.PER: x\n", news)
    text = str(err)
    assert "document.nxt" in text and f"{err.path}:2: move.left" in text and f"{err.path}:3: label.PER" in text
    err = refused(tmp_path, "move.left: crtl+x\nmove.right: jj\n", news)
    assert "'crtl+x'" in str(err) and f"{err.path}:2: move.right: 'jj'" in str(err)


def test_unreadable_binary_and_empty_files(tmp_path, news):
    with pytest.raises(KeymapError, match="cannot read the keymap file"):
        read_keymap(tmp_path / "absent.yaml")
    with pytest.raises(KeymapError, match="not a regular file"):
        read_keymap(tmp_path)
    (tmp_path / "bin.yaml").write_bytes(b"a: b\n\xff\xfe")
    with pytest.raises(KeymapError, match="not valid UTF-8") as caught:
        read_keymap(tmp_path / "bin.yaml")
    assert caught.value.line == 2
    assert read_keymap(keymap_file(tmp_path, "# nothing yet\n")).resolve(news) == {}


def test_key_names():
    assert key_name("?") == "question_mark" and key_name(",") == "comma" and key_name("ق") == "ق"
    assert key_name("Ctrl+J") == "ctrl+j" and key_name("shift+ctrl+up") == "ctrl+shift+up"
    assert key_name("F5") == "f5" and key_name("pageup") == "pageup" and key_name("left_square_bracket")
    for bad in ("crtl+j", "ctrl+", "ctrl+ctrl+j", "no_such_key", "\x1b", "ctrl+\x07"):
        assert key_name(bad) is None, bad


# -- where the keymap comes from -------------------------------------------------------------------

def test_default_location_follows_xdg(tmp_path, monkeypatch):
    assert default_keymap_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "annotator" / "keymap.yaml"
    home = default_keymap_path({"XDG_CONFIG_HOME": "relative/dir"})
    assert home == Path.home() / ".config" / "annotator" / "keymap.yaml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert find_keymap(None) is None  # no file: no overrides
    (tmp_path / "annotator").mkdir()
    (tmp_path / "annotator" / "keymap.yaml").write_text("document.next: j\n", encoding="utf-8")
    found = find_keymap(None)
    assert found is not None and found.entries[0].keys == ("j",)


def test_annotate_refuses_a_bad_keymap_before_touching_the_store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    bad = keymap_file(tmp_path, "document.next: p\n")
    db = tmp_path / "new.db"
    assert cli_main(["annotate", "--db", str(db), "--keymap", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: document.next: key p is already used by document.previous" in err
    assert "Traceback" not in err and not db.exists()
    (tmp_path / "config" / "annotator").mkdir(parents=True)
    (tmp_path / "config" / "annotator" / "keymap.yaml").write_text("oops: j\n", encoding="utf-8")
    assert cli_main(["annotate", "--db", str(db)]) == 2  # the default file is read too
    assert "keymap.yaml:1: unknown binding id 'oops'" in capsys.readouterr().err and not db.exists()


def test_app_refuses_a_bad_keymap(session, tmp_path):
    with pytest.raises(KeymapError):
        make_app(session, keymap=read_keymap(keymap_file(tmp_path, "label.NOPE: v\n")))


# -- the reserved keys are the TUI's, passed to the loader -----------------------------------------

def test_reserved_keys_are_the_tuis_and_passed_in():
    assert set(" ?/:npdxgq[]{}<>=") == RESERVED_HOTKEYS  # derived from the key table
    text = (ROOT / "schemas" / "news.yaml").read_text(encoding="utf-8").replace('hotkey: "2"', 'hotkey: "n"', 1)
    assert load_schema_text(text).label("ORG").hotkey == "n"  # the loader itself reserves nothing
    with pytest.raises(SchemaError, match="reserved by the annotation screen"):
        load_schema_text(text, reserved=RESERVED_HOTKEYS)


def test_check_schema_gives_the_tuis_answer(tmp_path, capsys):
    text = (ROOT / "schemas" / "news.yaml").read_text(encoding="utf-8").replace('hotkey: "2"', 'hotkey: "n"', 1)
    path = tmp_path / "n.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli_main(["check", "--schema", str(path)]) == 2
    checked = capsys.readouterr().err
    assert "hotkey 'n' is reserved" in checked
    assert cli_main(["annotate", "--schema", str(path), "--db", str(tmp_path / "x.db")]) == 2
    assert capsys.readouterr().err == checked


def test_label_specs_carry_label_ids(news):
    assert [s.id for s in label_specs(news)][:2] == ["label.PER", "label.ORG"]
    assert len({s.id for s in MAIN_KEYS}) == len(MAIN_KEYS)
