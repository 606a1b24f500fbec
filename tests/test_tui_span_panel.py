"""The span panel on a document with 8,000 spans (issue 12): a label, its undo and its redo build the
rows they changed and the rows on screen, not every row (before: 8,000 rows cleared and built again
per change, about 1.2 s of the UI thread's CPU). The rows, their order, the highlight and a click
stay as they were. No timing here: the figures are ``bench/bench_bigdoc_keys.py --follow-app``'s."""

from __future__ import annotations

import copy
import dataclasses

from test_tui_support import SIZE, main, make_app, make_session, wait_until

from annotator.layout import visual_string
from annotator.model.annotations import Claim, Entity
from annotator.model.operations import AddClaim, AddProposals
from annotator.tui.widgets.span_panel import SpanPanel

WORD = "بيت"
SPANS = 8_000
TEXT = " ".join([WORD] * (3 * SPANS + 10))


def at(k: int) -> int:
    """Where the ``k``th word starts."""
    return k * (len(WORD) + 1)


def rows(panel: SpanPanel) -> list[str]:
    return [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]


def count_rows_built(monkeypatch) -> list[int]:
    """A list that gets an item each time the panel builds a row's text."""
    built: list[int] = []
    real_row = SpanPanel._row

    def row(self, *args, **kwargs):
        built.append(1)
        return real_row(self, *args, **kwargs)

    monkeypatch.setattr(SpanPanel, "_row", row)
    return built


def proposals_session(path):
    """A store whose one document holds SPANS string-match proposals, one every third word."""
    session = make_session(path, docs=[("big", TEXT)])
    proposals = tuple(Entity(f"p{i}", at(3 * i), at(3 * i) + len(WORD), "GPE", source="string-match")
                      for i in range(SPANS))
    session.apply("big", AddProposals(proposals))
    return session


async def panel_listing_all(app, pilot):
    """The annotation screen and its span panel, once the panel lists every proposal."""
    screen = main(app)
    panel = screen.query_one(SpanPanel)
    await wait_until(pilot, lambda: panel.option_count == SPANS)
    await pilot.pause()
    return screen, panel


async def test_a_label_among_8000_spans_builds_only_the_changed_and_the_shown_rows(tmp_path, monkeypatch):
    session = proposals_session(tmp_path / "big.db")
    built = count_rows_built(monkeypatch)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        shown = panel.scrollable_content_region.height
        assert 0 < len(built) <= shown + 1  # opening: the rows on screen
        for key, count in (("3", SPANS + 1), ("ctrl+z", SPANS), ("ctrl+y", SPANS + 1)):
            screen.view.move_to(at(1))  # a free word, the second row's place
            await pilot.pause()
            built.clear()
            await pilot.press(key)
            await wait_until(pilot, lambda count=count: panel.option_count == count
                             and not screen.saver.pending and screen.acked is screen.state)
            await pilot.pause(0.2)
            assert len(built) <= shown + 1, key  # before: every row, 8,000 and more
        state = session.annotations("big")
        assert [e.source for e in state.entities[:3]] == ["string-match", None, "string-match"]
        ordered = sorted(state.entities, key=lambda s: (s.start, -s.end))
        assert [panel.get_option_at_index(i).id for i in range(panel.option_count)] == [f"e:{e.id}" for e in ordered]
        listed = rows(panel)
        label = state.entities[1].label
        assert listed[1] == f"{label:<5} {visual_string(WORD)}"  # the label's row: no proposal's "·"
        assert all(r.startswith("GPE  ") and r.endswith("·" + visual_string(WORD)) for r in listed[:1] + listed[2:])
        assert panel.highlighted == 0
        await pilot.click(SpanPanel, offset=(5, 3))  # the third row (the first is at 1): the proposal after the label
        await pilot.pause()
        assert screen.view.cursor == at(3)
    session.store.close()


async def test_an_equal_copy_of_a_state_holding_claims_reuses_the_rows_without_hashing_a_claim(tmp_path, monkeypatch):
    """Found in the full suite: the store's equal copy of a state (more new span objects than a screenful)
    was matched by using each span as a dict key, and a claim (its attributes a dict) is unhashable: the
    app stopped with a TypeError when claim-cues had proposed a claim among many spans."""
    session = make_session(tmp_path / "claims.db", docs=[("big", TEXT)])
    proposals = tuple(Entity(f"p{i}", at(3 * i), at(3 * i) + len(WORD), "GPE", source="string-match")
                      for i in range(200))
    claims = tuple(Claim(f"c{i}", at(3 * i + 1), at(3 * i + 2) + len(WORD), {"verdict": "unverified"},
                         source="claim-cues") for i in range(3))
    session.apply("big", AddProposals(proposals))
    for claim in claims:
        session.apply("big", AddClaim(claim))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        panel = screen.query_one(SpanPanel)
        await wait_until(pilot, lambda: panel.option_count == 203)
        await pilot.pause()
        before = rows(panel)
        built = count_rows_built(monkeypatch)
        panel.show(screen.view.text, screen.state)  # rows at the laid-out width (the first listing was before it)
        await pilot.pause()
        assert rows(panel) == before
        built.clear()
        same = copy.deepcopy(screen.state)  # equal spans, none of them the same object
        assert same == screen.state and same.claims[0] is not screen.state.claims[0]
        panel.show(screen.view.text, same)
        await pilot.pause()
        assert rows(panel) == before
        assert built == []  # every row matched by equality, claims included
        old = copy.deepcopy(screen.state)
        edited = Claim("c0", claims[0].start, claims[0].end, {"verdict": "false"}, source="claim-cues")
        changed = dataclasses.replace(old, claims=(edited, *old.claims[1:]))
        panel.show(screen.view.text, changed)
        await pilot.pause()
        assert panel.get_option("c:c0").span == changed.claims[0]  # not an equal-placed stale row
    session.store.close()


async def test_opening_builds_each_row_once_and_a_label_builds_its_own(tmp_path, monkeypatch):
    """Before: the first listing (made before the panel was laid out) shaped its rows for the stylesheet's
    width, so the first label found the laid-out width different and made every row again (8,000 new rows,
    the ones on screen built twice). Now a row is shaped at the laid-out width only, and a label makes and
    builds the one row it adds; the public lookups (a row's number by id) answer for rows after it too."""
    from annotator.tui.widgets import span_panel

    session = proposals_session(tmp_path / "open.db")
    built = count_rows_built(monkeypatch)
    made: list[int] = []
    real_init = span_panel._Row.__init__
    monkeypatch.setattr(span_panel._Row, "__init__", lambda self, *args: made.append(1) or real_init(self, *args))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        shown = panel.scrollable_content_region.height
        assert len(made) == SPANS and 0 < len(built) <= shown + 1
        opened = [str(panel.get_option_at_index(i).prompt) for i in range(shown)]
        screen.view.move_to(at(1))
        await pilot.pause()
        built.clear()
        made.clear()
        await pilot.press("3")
        await wait_until(pilot, lambda: panel.option_count == SPANS + 1
                         and not screen.saver.pending and screen.acked is screen.state)
        await pilot.pause(0.2)
        assert len(made) == 1 and len(built) <= 1  # before: 8,001 rows made, 28 built
        assert [str(panel.get_option_at_index(i).prompt) for i in range(shown + 1)] == [
            *opened[:1], f"{'GPE':<5} {visual_string(WORD)}", *opened[1:]]  # the others as they were drawn
        label = screen.state.entities[1]
        assert panel.get_option_index(f"e:{label.id}") == 1
        assert panel.get_option_index("e:p1") == 2 and panel.get_option_index(f"e:p{SPANS - 1}") == SPANS
    session.store.close()


def test_optionlist_internals_are_written_in_one_place():
    """The panel hands ``OptionList`` its rows in ``_adopt_rows`` and drops what it keeps by row number in
    ``_rows_moved``; no other method writes ``OptionList``'s private attributes (before: ``show`` wrote five
    of them, and three properties overrode its line table)."""
    import ast
    import inspect

    from annotator.tui.widgets import span_panel

    internals = {"_options", "_id_to_option", "_option_to_index", "_line_cache", "_option_render_cache",
                 "_mouse_hovering_over", "_lines", "_heights", "_index_to_line"}
    tree = ast.parse(inspect.getsource(span_panel.SpanPanel))
    touched = {}
    for method in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
        names = {node.attr for node in ast.walk(method) if isinstance(node, ast.Attribute)} | {method.name}
        if names & internals:
            touched[method.name] = names & internals
    assert set(touched) == {"_adopt_rows", "_rows_moved"}, touched


async def test_a_label_below_the_rows_on_screen_draws_none_of_them_again(tmp_path, monkeypatch):
    """A drawn row carries its row number (a click's target): after a change, only the rows drawn from the
    changed place on are dropped (before: every drawn row, so each label drew the rows on screen again). A
    label far below them draws none; a click then still lands on its row's span."""
    session = proposals_session(tmp_path / "below.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        drawn: list[str] = []
        real = SpanPanel._get_visual
        monkeypatch.setattr(SpanPanel, "_get_visual", lambda self, option: drawn.append(option.id) or real(self, option))
        screen.view.move_to(at(3 * 6_000 + 1))  # a free word far below the rows on screen
        await pilot.pause()
        await pilot.press("3")
        await wait_until(pilot, lambda: panel.option_count == SPANS + 1
                         and not screen.saver.pending and screen.acked is screen.state)
        await pilot.pause(0.2)
        assert drawn == []  # before: every row on screen drawn again
        await pilot.click(SpanPanel, offset=(5, 3))  # the third row
        await pilot.pause()
        assert screen.view.cursor == at(6)
    session.store.close()
