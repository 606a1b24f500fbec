"""Snapshots of the main screens (pytest-textual-snapshot). Deterministic: a temp store,
a fixed annotator name, no clock in the status line. Update with --snapshot-update."""

from __future__ import annotations

import pytest

from annotator.model.annotations import Claim, Entity
from annotator.model.operations import AddClaim, AddEntity

from test_tui_support import MIXED, SIZE, make_app, make_session, token_start


@pytest.fixture
def labelled(tmp_path):
    """The mixed document with an entity, a nested entity, a claim and a pre-annotation."""
    s = make_session(tmp_path / "snap.db", annotator="snapshot")
    john = token_start(MIXED, "John")
    s.add_entity("a_mixed", john, john + len("John Smith"), "PER")
    s.add_entity("a_mixed", john, john + 4, "PER")  # nested inside the outer PER
    beirut = token_start(MIXED, "بيروت")
    s.apply("a_mixed", AddEntity(Entity("p1", beirut, beirut + 5, "GPE", source="import:test")))
    s.add_entity("a_mixed", token_start(MIXED, "2019"), token_start(MIXED, "2019") + 4, "DATE")
    s.add_claim("a_mixed", 0, 37, {"checkworthy": "yes"}, claimer="e1")
    s.apply("a_mixed", AddClaim(Claim("c9", 38, 78, {}, None, source="import:test")))
    yield s
    s.store.close()


def test_snapshot_main_screen(snap_compare, labelled):
    assert snap_compare(make_app(labelled), terminal_size=SIZE, press=["left", "shift+left"])


def test_snapshot_main_screen_light(snap_compare, labelled):
    assert snap_compare(make_app(labelled, theme="textual-light"), terminal_size=SIZE, press=["left"])


def test_snapshot_minimum_size(snap_compare, labelled):
    assert snap_compare(make_app(labelled), terminal_size=(80, 24), press=["left"])


def test_snapshot_too_small(snap_compare, labelled):
    assert snap_compare(make_app(labelled), terminal_size=(60, 20))


def test_snapshot_help(snap_compare, labelled):
    assert snap_compare(make_app(labelled), terminal_size=SIZE, press=["question_mark"])


def test_snapshot_claim_form(snap_compare, labelled):
    assert snap_compare(make_app(labelled), terminal_size=SIZE, press=["ctrl+e"])


def test_snapshot_document_list(snap_compare, labelled):
    async def steady_cursor(pilot):
        """The search box's cursor blinks on a timer: on a loaded machine the picture caught it
        off as often as on. Held on, the picture is the same every time."""
        await pilot.press("slash")
        await pilot.pause()
        for box in pilot.app.screen.query("Input"):
            box.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(labelled), terminal_size=SIZE, run_before=steady_cursor)
