"""The key table: app keys never take a schema's label keys, and help is generated from it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_tui_support import DOCS, SIZE, make_app

from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store
from annotator.tui.bindings import (
    MAIN_KEYS,
    RESERVED_HOTKEYS,
    help_rows,
    key_display,
    key_for_character,
    label_specs,
    live_specs,
    main_bindings,
)


@pytest.fixture
def news():
    return load_schema(default_schema_path())


def letter_schema(news):
    """news with two labels re-keyed to letters: PER on u (normally undo), ORG on A."""
    labels = list(news.labels)
    labels[0] = replace(labels[0], hotkey="u")
    labels[1] = replace(labels[1], hotkey="A")
    return replace(news, labels=tuple(labels))


def test_printable_app_keys_are_reserved_or_optional():
    reserved = {key_for_character(ch) for ch in RESERVED_HOTKEYS}
    for spec in MAIN_KEYS:
        for key in spec.keys.split(","):
            if len(key) == 1 or key in {key_for_character(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "}:
                assert key in reserved or spec.optional, (key, spec.action)


def test_optional_keys_yield_to_schema_hotkeys(news):
    schema = letter_schema(news)
    bound = {k: spec.action for spec in live_specs(schema) for k in spec.keys.split(",")}
    assert bound.get("u") is None  # PER owns u
    assert bound["U"] == "redo" and bound["ctrl+z"] == "undo"
    labels = {spec.keys: spec.action for spec in label_specs(schema)}
    assert labels["u"] == "label('PER')" and labels["A"] == "label('ORG')"
    keys = [b.key for b in main_bindings(schema)]
    assert keys.count("u") == 1


def test_help_rows_cover_every_bound_action(news):
    bound = {k: spec.action.removeprefix("app.") for spec in (*live_specs(news), *label_specs(news))
             for k in spec.keys.split(",")}
    rows = help_rows(bound, news)
    shown_keys = {k for _, keys, _ in rows for k in keys.split(" ")}
    for key in bound:
        assert key_display(key) in shown_keys, key
    assert len({(group, desc) for group, _, desc in rows}) == len(rows)  # one row per action


async def test_letter_label_hotkeys_win_over_optional_undo(tmp_path, news):
    store = open_store(str(tmp_path / "t.db"))
    from annotator.model.annotations import Document

    for doc_id, text in DOCS:
        store.add_document(Document(doc_id, text))
    session = AnnotationSession(store, letter_schema(news), "tester")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left", "u")  # labels PER, does not undo
        assert [e.label for e in session.annotations("a_mixed").entities] == ["PER"]
        await pilot.press("left", "A")
        assert sorted(e.label for e in session.annotations("a_mixed").entities) == ["ORG", "PER"]
        await pilot.press("ctrl+z")
        assert [e.label for e in session.annotations("a_mixed").entities] == ["PER"]
    store.close()
