"""The identity keys through Pilot: `=` on an entity opens the same-as picker (filter as you
type), enter links, the other mentions are highlighted and the status line names the identity;
undo takes the link back; the claimer picker shows identities and finds a mention by its
identity's first mention."""

from __future__ import annotations

from test_tui_support import SIZE, main, make_app, make_session, word_span

from annotator.model.annotations import Claim, Entity
from annotator.model.operations import AddClaim, AddEntity, LinkIdentity
from annotator.text import TextIndex
from annotator.tui.screens.claimer_picker import ClaimerPickerScreen
from annotator.tui.screens.identity_picker import IdentityPickerScreen

TEXT = "قال مصطفى بالي إن الاتفاق صامد. وأضاف بالي أن قسد وافقت."


def span(word: str, nth: int = 0) -> tuple[int, int]:
    return word_span(TEXT, word, nth)


def setup(tmp_path):
    session = make_session(tmp_path / "i.db", docs=(("d", TEXT),))
    for eid, (s, e), label in [("e1", span("مصطفى بالي"), "PER"), ("e2", span("بالي", 1), "PER"),
                               ("e3", span("قسد"), "ORG")]:
        session.apply("d", AddEntity(Entity(eid, s, e, label)))
    return session


async def test_link_by_keys_highlights_names_and_undoes(tmp_path):
    session = setup(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        screen.view.move_to(span("بالي", 1)[0])  # the later بالي
        await pilot.pause()
        await pilot.press("equals_sign")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, IdentityPickerScreen)
        assert [e.id for e in picker.candidates()] == ["e3", "e1"]  # its own sentence first
        await pilot.press(*"مصطفي")  # alef maksura typed for yeh: normalized
        await pilot.pause()
        assert [e.id for e in picker.candidates()] == ["e1"]
        await pilot.press("enter")
        await pilot.pause()
        assert main(app) is screen
        state = session.annotations("d")
        assert state.entity("e1").identity == state.entity("e2").identity == "i1"
        assert screen.view.related == (span("مصطفى بالي"),)  # the other mention, highlighted
        assert "≡ i1" in screen.status.info and "×2" in screen.status.info
        await pilot.pause(0.2)  # the span list follows a moment later
        rows = screen.query_one("SpanPanel")
        marks = [rows.row(i).plain for i in range(rows.row_count)]
        assert sum("≡" in row for row in marks) == 2  # both mentions marked in the list
        await pilot.press("ctrl+z")
        await pilot.pause()
        await pilot.pause()
        assert session.annotations("d").entity("e2").identity is None
        assert screen.view.related == ()
        # again, then unlink through the same key
        screen.view.move_to(span("بالي", 1)[0])  # undo took the cursor to the change
        await pilot.pause()
        await pilot.press("equals_sign")
        await pilot.pause()
        await pilot.press("down", "enter")  # e1: its row after e3
        await pilot.pause()
        assert session.annotations("d").entity("e2").identity == "i1"
        await pilot.press("equals_sign")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, IdentityPickerScreen) and [e.id for e in picker.candidates()] == ["e3"]
        await pilot.press("up", "enter")  # the unlink row
        await pilot.pause()
        assert session.annotations("d").entity("e2").identity is None
        assert session.annotations("d").entity("e1").identity is None  # a lone identity is dissolved
    session.store.close()


async def test_equals_off_an_entity_says_what_to_do(tmp_path):
    session = setup(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("equals_sign")  # the cursor is on قال
        await pilot.pause()
        assert main(app).status.message == "put the cursor on an entity first"
    session.store.close()


async def test_claimer_picker_shows_identities_and_finds_any_mention(tmp_path):
    session = setup(tmp_path)
    session.apply("d", LinkIdentity("e2", "e1"))
    session.apply("d", AddClaim(Claim("c1", span("وأضاف")[0], len(TEXT), {}, None)))
    app = make_app(session)
    results: list[str | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = ClaimerPickerScreen(main(app).editor, main(app).view.index, "c1")
        app.push_screen(picker, results.append)
        await pilot.pause()
        options = picker.query_one("#claimers")
        rows = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("e2" in row and "≡" in row and "×2" in row for row in rows)
        await pilot.press(*"مصطفى")  # the identity's first mention finds the later بالي too
        await pilot.pause()
        assert [e.id for e in picker.candidates()] == ["e2", "e1"]
        await pilot.press("enter")
        await pilot.pause()
    assert results == ["e2"]
    session.store.close()


async def test_on_a_claim_the_status_line_names_its_claimers_identity(tmp_path):
    session = setup(tmp_path)
    session.apply("d", LinkIdentity("e2", "e1"))
    session.apply("d", AddClaim(Claim("c1", span("وأضاف")[0], len(TEXT), {}, "e2")))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        screen.view.move_to(span("وأضاف")[0])
        await pilot.pause()
        assert "claimer" in screen.status.info and "(e2) ≡ i1" in screen.status.info
    session.store.close()


def test_the_identity_picker_lists_and_indexes_its_mentions_once(tmp_path, monkeypatch):
    """Its list is made once, with one editor: not the claimer picker's list first (made, indexed for
    typing, then thrown away) and its own after."""
    from annotator.editing import Editor
    from annotator.tui.screens import claimer_picker

    session = setup(tmp_path)
    keyed, claimers = [], []
    real_normalize, real_claimers = claimer_picker.normalize_for_search, Editor.claimer_candidates
    monkeypatch.setattr(claimer_picker, "normalize_for_search", lambda s: keyed.append(s) or real_normalize(s))
    monkeypatch.setattr(Editor, "claimer_candidates", lambda *a: claimers.append(a) or real_claimers(*a))
    picker = IdentityPickerScreen(Editor(session.schema, TEXT, session.annotations("d")), TextIndex(TEXT), "e2")
    assert [e.id for e in picker.entities] == ["e3", "e1"]  # its own sentence first
    assert claimers == []  # no claimer list made
    assert len(keyed) == len(picker.entities)  # one search key a row listed
    session.store.close()


async def test_the_pickers_find_sentences_with_the_documents_own_index(tmp_path, monkeypatch):
    """`=` (and the claim form's claimer row) open a picker on the index the screen already has: before, each
    picker built a ``TextIndex`` of its own for one sentence lookup (a new tokenizing of that window)."""
    from annotator.text.index import TextIndex as Index

    session = setup(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        screen.view.move_to(span("بالي", 1)[0])
        await pilot.pause()
        built: list[object] = []
        real_init = Index.__init__
        monkeypatch.setattr(Index, "__init__", lambda self, *a, **k: built.append(a) or real_init(self, *a, **k))
        await pilot.press("equals_sign")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, IdentityPickerScreen) and picker.index is screen.view.index
        assert [e.id for e in picker.candidates()] == ["e3", "e1"]  # its own sentence first, as before
        assert built == []
    session.store.close()


async def test_the_pickers_list_with_the_screens_own_editor(tmp_path, monkeypatch):
    """`=` and the claim form's claimer row open a picker on the annotation screen's editor (before: each
    picker built a throwaway ``Editor`` of the same state for one list)."""
    from annotator.editing import Editor
    from annotator.tui.screens.claim_form import ClaimFormScreen
    from annotator.tui.widgets.claim_form import ClaimForm

    session = setup(tmp_path)
    session.apply("d", AddClaim(Claim("c1", span("وأضاف")[0], len(TEXT), {}, None)))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        made: list[object] = []
        real_init = Editor.__init__
        monkeypatch.setattr(Editor, "__init__", lambda self, *a: made.append(a) or real_init(self, *a))
        screen.view.move_to(span("بالي", 1)[0])
        await pilot.pause()
        await pilot.press("equals_sign")
        await pilot.pause()
        assert isinstance(app.screen, IdentityPickerScreen)
        assert [e.id for e in app.screen.candidates()] == ["e3", "e1"]
        await pilot.press("escape")
        await pilot.pause()
        screen.open_claim_form("c1")
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        app.screen.on_claim_form_pick_claimer(ClaimForm.PickClaimer())  # the claimer row's enter
        await pilot.pause()
        assert isinstance(app.screen, ClaimerPickerScreen)
        assert [e.id for e in app.screen.candidates()] == ["e2", "e3", "e1"]
        assert made == []
    session.store.close()
