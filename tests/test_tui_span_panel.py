"""The span panel on a document with 8,000 spans (issue 12): a label, its undo and its redo build the
rows they changed and the rows on screen, not every row (before: 8,000 rows cleared and built again
per change, about 1.2 s of the UI thread's CPU). The rows, their order, the highlight, the keys, a click and
the scrolling stay as they were when the panel was an ``OptionList`` (it is now a ``ScrollView`` drawing its
own rows, on Textual's public API only). No timing here: the figures are
``bench/bench_bigdoc_keys.py --follow-app``'s."""

from __future__ import annotations

import copy
import dataclasses
import shutil
import sys

import pytest
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
    return [panel.row(i).plain for i in range(panel.row_count)]


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


def saved(screen) -> bool:
    """Every save answered, and the store holds what is shown (an equal copy will do: these tests check the panel,
    not which object the screen holds; a save's answer is shown even with a position save behind it, as
    ``test_editing.test_a_saves_answer_is_shown_when_only_a_cursor_position_waits_behind_it`` checks)."""
    return not screen.saver.pending and screen.acked == screen.state


async def panel_listing_all(app, pilot):
    """The annotation screen and its span panel, once the panel lists every proposal."""
    screen = main(app)
    panel = screen.query_one(SpanPanel)
    await wait_until(pilot, lambda: panel.row_count == SPANS)
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
            await wait_until(pilot, lambda count=count: panel.row_count == count
                             and saved(screen))
            await pilot.pause(0.2)
            assert len(built) <= shown + 1, key  # before: every row, 8,000 and more
        state = session.annotations("big")
        assert [e.source for e in state.entities[:3]] == ["string-match", None, "string-match"]
        ordered = sorted(state.entities, key=lambda s: (s.start, -s.end))
        assert [panel.row(i).id for i in range(panel.row_count)] == [f"e:{e.id}" for e in ordered]
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
        await wait_until(pilot, lambda: panel.row_count == 203)
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
        assert panel.row(panel.row_index("c:c0")).span == changed.claims[0]  # not an equal-placed stale row
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
    real_init = span_panel.Row.__init__
    monkeypatch.setattr(span_panel.Row, "__init__", lambda self, *args: made.append(1) or real_init(self, *args))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        shown = panel.scrollable_content_region.height
        assert len(made) == SPANS and 0 < len(built) <= shown + 1
        opened = [panel.row(i).plain for i in range(shown)]
        screen.view.move_to(at(1))
        await pilot.pause()
        built.clear()
        made.clear()
        await pilot.press("3")
        await wait_until(pilot, lambda: panel.row_count == SPANS + 1
                         and saved(screen))
        await pilot.pause(0.2)
        assert len(made) == 1 and len(built) <= 1  # before: 8,001 rows made, 28 built
        assert [panel.row(i).plain for i in range(shown + 1)] == [
            *opened[:1], f"{'GPE':<5} {visual_string(WORD)}", *opened[1:]]  # the others as they were drawn
        label = screen.state.entities[1]
        assert panel.row_index(f"e:{label.id}") == 1
        assert panel.row_index("e:p1") == 2 and panel.row_index(f"e:p{SPANS - 1}") == SPANS
    session.store.close()


def test_the_panel_uses_only_textuals_public_api():
    """Every private name the panel's module uses is its own, and none of them is also a Textual name:
    a Textual upgrade cannot silently break what it never touched (before: it was an ``OptionList`` and
    wrote its private bookkeeping, ``_options``, ``_line_cache``, ``_option_render_cache``…)."""
    import ast
    import inspect

    from textual.scroll_view import ScrollView
    from textual.widgets import OptionList

    from annotator.tui.widgets import span_panel

    assert issubclass(SpanPanel, ScrollView) and not issubclass(SpanPanel, OptionList)
    tree = ast.parse(inspect.getsource(span_panel))
    private = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and node.attr.startswith("_") and not node.attr.startswith("__")}
    ours = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    ours |= {target.attr for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
             for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(target, ast.Attribute)}
    assert private <= ours, private - ours
    textual = next(c for c in SpanPanel.__mro__ if c.__module__.startswith("textual."))
    clash = private & (set(dir(textual)) | set(vars(textual())))
    assert not clash, clash


def on_screen(panel: SpanPanel) -> list[str]:
    """The panel's lines as drawn now (what a person sees in it), without their trailing blanks."""
    return [panel.render_line(y).text.rstrip() for y in range(panel.scrollable_content_region.height)]


def proposal_row(k: int = 0) -> str:
    return f"GPE  ·{visual_string(WORD)}"


async def test_a_label_below_the_rows_on_screen_draws_none_of_them_again(tmp_path, monkeypatch):
    """A row's drawn line holds no row number (a click finds its row by where it is), so a change keeps
    every line drawn: a label far below the rows on screen builds and draws none of them again (before,
    on ``OptionList``: the lines drawn from the change on were dropped, as they carried their row number);
    a click then still lands on its row's span."""
    session = proposals_session(tmp_path / "below.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        drawn = [panel.render_line(y) for y in range(panel.scrollable_content_region.height)]
        built = count_rows_built(monkeypatch)
        screen.view.move_to(at(3 * 6_000 + 1))  # a free word far below the rows on screen
        await pilot.pause()
        await pilot.press("3")
        await wait_until(pilot, lambda: panel.row_count == SPANS + 1
                         and saved(screen))
        await pilot.pause(0.2)
        assert built == []
        assert all(panel.render_line(y) is line for y, line in enumerate(drawn))
        assert panel.row(6_001).plain == f"{'GPE':<5} {visual_string(WORD)}"  # the label's row, below
        await pilot.click(SpanPanel, offset=(5, 3))  # the third row (the click focuses the panel: its top border)
        await pilot.pause()
        assert screen.view.cursor == at(6)
    session.store.close()


async def test_a_label_among_the_rows_on_screen_draws_only_its_own_row(tmp_path):
    """The rows on screen below a label move down a line and keep their drawn lines: only the label's row is
    drawn (before: every row from the change on was drawn again, each carrying its row number)."""
    session = proposals_session(tmp_path / "among.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        height = panel.scrollable_content_region.height
        drawn = [panel.render_line(y) for y in range(height)]
        screen.view.move_to(at(1))  # a free word: the second row
        await pilot.pause()
        await pilot.press("3")
        await wait_until(pilot, lambda: panel.row_count == SPANS + 1 and saved(screen))
        await pilot.pause(0.2)
        now = [panel.render_line(y) for y in range(height)]
        assert now[0] is drawn[0] and all(now[y + 1] is drawn[y] for y in range(1, height - 1))
        assert now[1].text.rstrip() == f"{'GPE':<5} {visual_string(WORD)}"
    session.store.close()


async def test_a_label_and_its_undo_show_and_hide_its_row(tmp_path):
    session = proposals_session(tmp_path / "undo.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        before = on_screen(panel)
        assert before == [proposal_row()] * len(before)
        screen.view.move_to(at(1))
        await pilot.press("3")
        await wait_until(pilot, lambda: panel.row_count == SPANS + 1)
        await pilot.pause()
        assert on_screen(panel) == [proposal_row(), f"{'GPE':<5} {visual_string(WORD)}", *before[:-2]]
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: panel.row_count == SPANS and saved(screen))
        await pilot.pause()
        assert on_screen(panel) == before
    session.store.close()


def row_look(panel: SpanPanel, y: int):
    """The background of line ``y`` as drawn (plain, highlighted, under the mouse, focused or not)."""
    return next(iter(panel.render_line(y))).style.bgcolor


async def test_keys_move_the_highlight_the_list_follows_and_enter_jumps(tmp_path):
    """↓/↑ (wrapping, as OptionList did), page keys, home and end move the highlighted row, drawn apart (in
    the focus colours once the panel has the focus); the list scrolls to keep it in view; enter jumps there
    and gives the text the focus; keys the panel does not answer are refused (the text does not move)."""
    session = proposals_session(tmp_path / "keys.db")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen, panel = await panel_listing_all(app, pilot)
        blurred = row_look(panel, 0)
        assert panel.highlighted == 0 and blurred != row_look(panel, 1)
        await pilot.press("tab")
        assert panel.has_focus
        await pilot.pause()
        assert row_look(panel, 0) not in (blurred, row_look(panel, 1))  # the focused highlight
        height = panel.scrollable_content_region.height
        await pilot.press("down", "down")
        assert panel.highlighted == 2 and row_look(panel, 2) != row_look(panel, 0)
        await pilot.press("pagedown")
        assert panel.highlighted == 2 + height
        assert panel.scroll_offset.y == panel.highlighted - height + 1  # the highlight on the last line shown
        assert row_look(panel, height - 1) != row_look(panel, height - 2)
        await pilot.press("pageup", "up")
        assert panel.highlighted == 1 and panel.scroll_offset.y == 1
        await pilot.press("end")
        assert panel.highlighted == SPANS - 1 and panel.scroll_offset.y == SPANS - height
        assert on_screen(panel)[-1] == proposal_row()
        await pilot.press("down")
        assert panel.highlighted == 0 and panel.scroll_offset.y == 0  # wraps to the first
        await pilot.press("up")
        assert panel.highlighted == SPANS - 1
        await pilot.press("home", "down", "down", "down")
        cursor = screen.view.cursor
        await pilot.press("left")
        assert screen.view.cursor == cursor and "span list has the focus" in screen.status.message
        await pilot.press("enter")
        await pilot.pause()
        assert screen.view.cursor == at(9) and screen.view.has_focus
    session.store.close()


async def test_far_down_in_30000_spans_the_wheel_and_a_click_land_on_their_row(tmp_path):
    """Scrolled far down a list of 30,000 spans (the scrollbar, then the mouse wheel), the lines shown are
    those rows, the row under the mouse is drawn apart, and a click on one jumps to its span."""
    from textual import events

    many = 30_000
    text = " ".join([WORD] * (3 * many + 10))
    session = make_session(tmp_path / "far.db", docs=[("big", text)])
    session.apply("big", AddProposals(tuple(Entity(f"p{i}", at(3 * i), at(3 * i) + len(WORD), "GPE",
                                                   source="string-match") for i in range(many))))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        panel = screen.query_one(SpanPanel)
        await wait_until(pilot, lambda: panel.row_count == many)
        await pilot.pause()
        assert panel.virtual_size.height == many
        panel.scroll_to(y=25_000, animate=False, immediate=True)
        await pilot.pause()
        top = panel.scroll_offset.y
        assert top == 25_000 and on_screen(panel) == [proposal_row()] * panel.scrollable_content_region.height
        panel.post_message(events.MouseScrollDown(panel, 5, 5, 0, 1, 0, False, False, False))
        await pilot.pause()
        top = panel.scroll_offset.y
        assert top > 25_000
        plain = row_look(panel, 2)
        await pilot.hover(SpanPanel, offset=(5, 1))
        await pilot.pause()
        assert row_look(panel, 1) not in (plain, row_look(panel, 0))  # the row under the mouse
        await pilot.click(SpanPanel, offset=(5, 3))  # the third line shown (the click focuses: its top border)
        await pilot.pause()
        assert screen.view.cursor == at(3 * (top + 2))
        assert panel.highlighted == top + 2
    session.store.close()


@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_a_terminal_the_list_of_30000_spans_follows_the_keys_and_enter_jumps(tmp_path):
    """What a person sees (the real program in tmux): tab gives the list the focus, end shows its last rows
    (the last span's words, in visual order), and enter on the third row puts the text cursor on its span."""
    from test_tui_tmux import REPO, Tmux

    words, many = ["بيت", "قلم", "باب", "نهر", "جبل"], 30_000
    text = " ".join(words[k % 5] for k in range(3 * many + 10))  # every word 3 letters: word k starts at 4k
    session = make_session(tmp_path / "t.db", docs=[("big", text)])
    session.apply("big", AddProposals(tuple(Entity(f"p{i}", 12 * i, 12 * i + 3, "GPE", source="string-match")
                                            for i in range(many))))
    session.store.close()
    tmux = Tmux()
    try:
        tmux.start(f"cd {REPO} && PYTHONPATH={REPO} {sys.executable} -m annotator annotate --db {tmp_path / 't.db'} "
                   "--annotator tester --rtl-mode plain; echo EXITED $?; sleep 60", width=110, height=30)
        tmux.wait_for("finished", timeout=120)
        tmux.keys("Tab")
        tmux.wait_for("span list: ")
        tmux.keys("End", pause=1.0)
        rows = [row for row in tmux.screen() if "GPE  ·" in row]
        assert len(rows) > 20
        last = [row.split("GPE  ·")[1].split()[0] for row in rows[-2:]]
        assert last == [visual_string(words[(3 * many - 6) % 5]), visual_string(words[(3 * many - 3) % 5])]
        tmux.keys("Home", "Down", "Down", "Enter", pause=0.5)
        tmux.wait_for(f"«{visual_string(words[6 % 5])}» 24–27")  # the status line: the span under the cursor
    finally:
        tmux.kill()
