"""The annotation app driven by Textual's Pilot: every action goes through the store."""

from __future__ import annotations

import pytest
from test_tui_support import MIXED, SECOND, SIZE, main, make_app, make_session, reopen, token_start, wait_until

from annotator.model.annotations import Entity
from annotator.model.operations import AddEntity
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.widgets.document_view import GUTTER, DocumentView


@pytest.fixture
def session(tmp_path):
    s = make_session(tmp_path / "t.db")
    yield s
    s.store.close()


async def test_opens_first_document_and_labels_token_with_hotkey(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.doc_id == "a_mixed"
        await pilot.press("left", "1")  # ← is the next word in a right-to-left line: "John"
        await pilot.pause()
        ents = session.annotations("a_mixed").entities
        assert [(e.start, e.end, e.label) for e in ents] == [(4, 8, "PER")]
        assert screen.status.saved_at == ""  # saved, clock disabled in tests
        assert "PER" in screen.status.info or "PER" in screen.status.message


async def test_arrows_follow_reading_direction(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        await pilot.press("left", "left", "left")
        assert view.cursor == token_start(MIXED, "إن")
        await pilot.press("right")
        assert view.cursor == token_start(MIXED, "Smith")
        await pilot.press("ctrl+left")  # next sentence (right-to-left)
        assert view.cursor == token_start(MIXED, "وقالت")
        await pilot.press("ctrl+down")  # next paragraph
        assert view.cursor == token_start(MIXED, "والرئيس")
        await pilot.press("ctrl+home")
        assert view.cursor == 0
        await pilot.press("ctrl+end")
        assert view.cursor == len(MIXED) - 1  # the final full stop
        await pilot.press("up")
        assert view.doc_layout.line_of_offset(view.cursor) == view.doc_layout.line_of_offset(len(MIXED) - 1) - 1
        await pilot.press("end")
        line = view.doc_layout.line(view.cursor_line)
        assert view.cursor == max(t.start for t in view.index.tokens if line.start <= t.start < line.end)


def _screen_xy(view: DocumentView, offset: int) -> tuple[int, int]:
    """Where the layout engine draws ``offset`` inside the view (x, y)."""
    index, col = view.doc_layout.locate(offset)
    line = view.doc_layout.line(index)
    return GUTTER + line.indent(view.doc_layout.options.width) + col, index - round(view.scroll_y)


async def test_click_lands_on_exact_token_in_mixed_rtl_line(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        for word in ("Smith", "2019", "John", "بيروت", "قال"):
            target = token_start(MIXED, word)
            # click on the token's last character (inside the Latin/number run, the column order is reversed)
            x, y = _screen_xy(view, target + len(word) - 1)
            await pilot.click(DocumentView, offset=(x, y))
            assert view.cursor == target, word


async def test_drag_selects_and_label_covers_selection(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        john, smith = token_start(MIXED, "John"), token_start(MIXED, "Smith")
        x1, y1 = _screen_xy(view, john)
        x2, y2 = _screen_xy(view, smith)
        await pilot.mouse_down(DocumentView, offset=(x1, y1))
        await pilot.hover(DocumentView, offset=(x2, y2))
        await pilot.mouse_up(DocumentView, offset=(x2, y2))
        await pilot.pause()
        assert view.selection is not None
        assert MIXED[view.selection.start:view.selection.end] == "John Smith"
        await pilot.press("1")
        assert [(e.start, e.end) for e in session.annotations("a_mixed").entities] == [(john, smith + 5)]


async def test_shift_arrows_extend_and_nudge_excludes_proclitic(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        await pilot.press("ctrl+down")  # والرئيس يزور بيروت
        await pilot.press("shift+left", "shift+left")
        assert MIXED[view.selection.start:view.selection.end] == "والرئيس يزور بيروت"
        await pilot.press("shift+right", "shift+right")
        assert MIXED[view.selection.start:view.selection.end] == "والرئيس"
        await pilot.press("right_square_bracket")  # drop و
        await pilot.press("1")
        ent = session.annotations("a_mixed").entities[0]
        assert MIXED[ent.start:ent.end] == "الرئيس"


async def test_clitic_jump_and_select_sentence(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        await pilot.press("ctrl+left", "left", "left", "left")  # بيروت in the second sentence
        assert view.cursor == token_start(MIXED, "بيروت")
        await pilot.press("greater_than_sign")  # start edge past ب
        assert MIXED[view.selection.start:view.selection.end] == "يروت"
        await pilot.press("less_than_sign")
        assert MIXED[view.selection.start:view.selection.end] == "بيروت"
        await pilot.press("space")
        assert (view.selection.start, view.selection.end) == (38, 78)


async def test_relabel_and_delete(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left", "1")
        await pilot.press("2")  # same word: relabel
        ents = session.annotations("a_mixed").entities
        assert [(e.label, e.start) for e in ents] == [("ORG", 4)]
        await pilot.press("x")
        assert session.annotations("a_mixed").entities == ()
        await pilot.press("x")
        assert "nothing to delete" in main(app).status.message


async def test_refused_operation_shows_in_status_line(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        await pilot.press("shift+left", "1")  # قال John
        await pilot.press("shift+left", "2")  # John Smith partly overlaps it: refused (allow_overlap false)
        assert main(app).status.error
        assert len(session.annotations("a_mixed").entities) == 1
        assert view.selection is not None  # nothing lost, still selected


async def test_claim_form_sets_attributes_and_claimer_from_list(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left", "shift+left", "1")  # John Smith: PER
        await pilot.press("escape", "c")  # claim on the whole first sentence
        await pilot.pause()
        assert type(app.screen).__name__ == "ClaimFormScreen"
        await pilot.press("y", "o")  # checkworthy yes, claim type quote
        claim = session.annotations("a_mixed").claims[0]
        assert (claim.start, claim.end) == (0, 37)
        assert claim.attributes["checkworthy"] == "yes" and claim.attributes["claim_type"] == "quote"
        assert claim.attributes["verdict"] == "unverified"  # schema default
        # the claimer row is last; enter there opens the picker with the first entity highlighted
        form = app.screen.query_one("ClaimForm")
        await pilot.press(*["down"] * (len(form.rows) - 1 - form.row))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        claim = session.annotations("a_mixed").claims[0]
        ent = session.annotations("a_mixed").entities[0]
        assert claim.claimer == ent.id
        await pilot.press("escape")
        assert isinstance(app.screen, AnnotateScreen)


async def test_claim_text_attribute_accepts_arabic(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        rows = form.query_one("ClaimForm").rows
        await pilot.press(*["down"] * rows.index("cue"))
        await pilot.press("enter")
        await pilot.pause()
        form.query_one("#editor").value = "قال"
        await pilot.press("enter")
        await pilot.pause()
        assert session.annotations("a_mixed").claims[0].attributes["cue"] == "قال"


async def test_link_claimer_by_moving(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left", "shift+left", "1", "escape", "c")
        await pilot.pause()
        await pilot.press("escape")  # close the form
        await pilot.press("ctrl+home", "ctrl+l")
        assert main(app).linking is not None
        await pilot.press("left", "enter")  # John is part of the PER entity
        claim = session.annotations("a_mixed").claims[0]
        assert claim.claimer == session.annotations("a_mixed").entities[0].id
        assert main(app).linking is None


async def test_pre_annotation_accept(session):
    session.apply("a_mixed", AddEntity(Entity("p1", 55, 60, "GPE", source="import:test")))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+left", "left", "left", "left")
        assert "pre-annotated" in main(app).status.info
        await pilot.press("enter")
        assert session.annotations("a_mixed").entities[0].source is None


async def test_done_checks_required_attributes(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("escape", "d")
        screen = main(app)
        assert screen.status.error and "Check-worthy" in screen.status.message
        assert session.annotations("a_mixed").status == "in_progress"
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press("y", "e", "escape", "d")
        assert session.annotations("a_mixed").status == "done"
        assert session.progress().finished == 1


async def test_skip_flag_note(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+k")
        assert session.annotations("a_mixed").status == "skipped"
        await pilot.press("ctrl+g")
        assert session.annotations("a_mixed").status == "flagged"
        await pilot.press("ctrl+n")
        await pilot.pause()
        app.screen.query_one("#note").value = "نص غير واضح"
        await pilot.press("enter")
        await pilot.pause()
        assert session.annotations("a_mixed").notes == "نص غير واضح"


async def test_document_navigation_goto_and_list_search(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.press("n")
        assert screen.doc_id == "b_second"
        await pilot.press("p")
        assert screen.doc_id == "a_mixed"
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press("3", "enter")
        await pilot.pause()
        assert screen.doc_id == "c_third"
        await pilot.press("slash")
        await pilot.pause()
        # normalized search: no hamza, no harakat, still finds الأكراد / the Egyptian government
        await pilot.press(*"الحكومه")
        await pilot.pause()
        assert app.screen._shown == ["b_second"]
        await pilot.press("enter")
        await pilot.pause()
        assert screen.doc_id == "b_second"


async def test_document_list_status_filter(session):
    session.set_status("c_third", "flagged")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        listing = app.screen
        assert listing.matches("", "flagged") == ["c_third"]
        assert listing.matches("الاكراد", None) == ["c_third"]
        await pilot.press("escape")


async def test_undo_redo_and_undo_after_restart(session, tmp_path):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left", "1")
        await pilot.press("ctrl+z")
        assert session.annotations("a_mixed").entities == ()
        await pilot.press("ctrl+y")
        assert len(session.annotations("a_mixed").entities) == 1
        await pilot.press("ctrl+q")
    fresh = reopen(session)
    app2 = make_app(fresh)
    async with app2.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("u")  # u is free in the news schema
        assert fresh.annotations("a_mixed").entities == ()
        await pilot.press("U")
        assert len(fresh.annotations("a_mixed").entities) == 1
    fresh.store.close()


async def test_resume_same_document_and_cursor(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "left", "left")
        cursor = main(app).view.cursor
        await pilot.press("ctrl+q")
    fresh = reopen(session)
    app2 = make_app(fresh)
    async with app2.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert main(app2).doc_id == "b_second"
        assert main(app2).view.cursor == cursor == token_start(SECOND, "المصرية")
    fresh.store.close()


async def test_help_lists_live_keys(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        bound = app.screen.bound
        for key in ("ctrl+z", "ctrl+q", "1", "c", "g", "left_square_bracket", "slash", "u"):
            assert key in bound, key
        from annotator.tui.bindings import help_rows
        rows = help_rows(bound, session.schema)
        described = " ".join(r[2] for r in rows)
        assert "label PER" in described and "undo" in described and "quit" in described
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AnnotateScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_too_small_says_so(session):
    app = make_app(session)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        notice = app.screen.query_one("#too-small")
        assert notice.display and "80×24" in str(notice.render())
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert not notice.display


async def test_resize_rewraps(session):
    app = make_app(session)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.screen.query_one(DocumentView)
        wide = view.doc_layout.line_count
        await pilot.resize_terminal(80, 30)
        await pilot.pause()
        assert view.doc_layout.options.width < 80
        assert view.doc_layout.line_count > wide


async def test_next_unlabelled_sentence(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        await pilot.press("1")  # label in sentence 1
        await pilot.press("g")
        assert view.cursor == token_start(MIXED, "وقالت")


async def test_theme_toggle_and_palette(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"
        from annotator.tui.commands import AnnotatorCommands
        providers = {c if isinstance(c, type) else c() for c in app.COMMANDS}  # a callable: imported late
        assert AnnotatorCommands in providers


async def test_side_panel_jumps_to_span(session):
    session.add_entity("a_mixed", 55, 60, "GPE")
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        await pilot.press("tab")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert view.cursor == 55 and view.has_focus


async def test_wheel_scrolls_long_document(tmp_path):
    from textual import events

    long_text = "\n".join(f"فقرة رقم {i} في وثيقة طويلة جداً." for i in range(200))
    s = make_session(tmp_path / "long.db", docs=(("long", long_text),))
    app = make_app(s)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(DocumentView)
        await wait_until(pilot, lambda: view.virtual_size.height == 200)  # the background line count
        assert view.virtual_size.height == view.doc_layout.line_count == 200
        await pilot._post_mouse_events([events.MouseScrollDown], DocumentView, offset=(5, 5))
        await pilot._post_mouse_events([events.MouseScrollDown], DocumentView, offset=(5, 5))
        await pilot.pause()
        assert view.scroll_y > 0
        await pilot.press("pagedown")
        assert view.doc_layout.line_of_offset(view.cursor) >= view.page_height
    s.store.close()


async def test_command_palette_runs_an_action(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"mark skipped")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert session.annotations("a_mixed").status == "skipped"


def test_second_live_session_is_refused(tmp_path):
    import subprocess
    import sys

    s = make_session(tmp_path / "t.db", annotator="same")
    s.store.claim_session("same")  # this test process holds the annotator's session
    try:
        result = subprocess.run(
            [sys.executable, "-m", "annotator", "annotate", "--db", str(tmp_path / "t.db"),
             "--annotator", "same", "--rtl-mode", "plain"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        s.store.release_session("same")
        s.store.close()
    assert result.returncode == 2
    assert "already has this store open" in result.stderr
    assert "Traceback" not in result.stderr


async def test_empty_store_says_so_and_keys_do_not_crash(tmp_path):
    s = make_session(tmp_path / "empty.db", docs=())
    app = make_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no documents" in main(app).status.message
        await pilot.press("left", "1", "c", "d", "ctrl+z", "n", "shift+left", "right_square_bracket")
        assert main(app).doc_id is None
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
    s.store.close()


async def test_nudge_moves_the_span_under_the_cursor(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+down", "1")  # والرئيس labelled PER
        await pilot.press("right_square_bracket")  # no selection: the entity's start moves past و
        ent = session.annotations("a_mixed").entities[0]
        assert MIXED[ent.start:ent.end] == "الرئيس"
        await pilot.press("greater_than_sign")  # and on past the article
        ent = session.annotations("a_mixed").entities[0]
        assert MIXED[ent.start:ent.end] == "رئيس"
        await pilot.press("ctrl+z", "ctrl+z")
        ent = session.annotations("a_mixed").entities[0]
        assert MIXED[ent.start:ent.end] == "والرئيس"
        await pilot.press("left_curly_bracket")  # end edge one character earlier
        ent = session.annotations("a_mixed").entities[0]
        assert MIXED[ent.start:ent.end] == "والرئي"


def test_lro_filter_wraps_lines_but_never_in_column_zero():
    from rich.segment import Segment
    from textual.color import Color

    from annotator.terminal.rtl_mode import LRO, PDF
    from annotator.tui.bidi_filter import LroFilter

    out = LroFilter().apply([Segment(" ab"), Segment("ﻝﺎﻗ")], Color(0, 0, 0))
    text = "".join(seg.text for seg in out)
    assert text == " " + LRO + "ab" + "ﻝﺎﻗ" + PDF
    assert not text.startswith(LRO)


async def test_lro_mode_filters_every_widget(session):
    from annotator.tui.bidi_filter import LroFilter

    app = make_app(session, rtl_mode="lro")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any(isinstance(f, LroFilter) for f in app.screen.query_one(DocumentView).get_line_filters())
    plain = make_app(session)
    assert not any(isinstance(f, LroFilter) for f in plain.get_line_filters())
