"""Issue 13 through Pilot: find and label all, proposals from a recommender, the claimer picker."""

from __future__ import annotations

import pytest
from test_tui_support import MIXED, SIZE, main, make_app, make_session, token_start

from annotator.model.annotations import Claim, Entity
from annotator.model.operations import AddClaim, AddEntity
from annotator.recommend import Proposal, Recommender, RecommenderUnavailable
from annotator.tui.screens.claim_form import ClaimFormScreen
from annotator.tui.screens.claimer_picker import ClaimerPickerScreen
from annotator.tui.screens.prompts import FindScreen

FIND = "زار بالي أمس. وبالي جميلة، وبِالي كذلك. البالية ليست بالـي.\nقال أحمد إن ببالي شيئاً."
BALI = [(FIND.index("بالي"), FIND.index("بالي") + 4), (FIND.index("وبالي") + 1, FIND.index("وبالي") + 5),
        (FIND.index("وبِالي") + 1, FIND.index("وبِالي") + 6), (FIND.index("بالـي"), FIND.index("بالـي") + 5),
        (FIND.index("ببالي") + 1, FIND.index("ببالي") + 5)]


@pytest.fixture
def session(tmp_path):
    s = make_session(tmp_path / "t.db", docs=(("f", FIND), ("a_mixed", MIXED)))
    yield s
    s.store.close()


async def _find(pilot, app, query: str) -> None:
    await pilot.press("ctrl+f")
    await pilot.pause()
    assert isinstance(app.screen, FindScreen)
    await pilot.press(*query)  # typed one character at a time, Arabic included
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_find_label_all_across_proclitics_and_one_undo(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        assert screen.doc_id == "f"
        await _find(pilot, app, "بالي")
        screen = main(app)
        assert "match 1 of 5" in screen.status.message
        sel = screen.view.selection
        assert sel is not None and (sel.start, sel.end) == BALI[0]
        await pilot.press("f3")
        sel = screen.view.selection
        assert sel is not None and (sel.start, sel.end) == BALI[1]  # after و, without it
        assert "match 2 of 5" in screen.status.message
        await pilot.press("shift+f3", "shift+f3")
        assert "match 5 of 5" in screen.status.message  # wraps
        await pilot.press("f3", "4")  # label the first match LOC
        await pilot.pause()
        assert [(e.start, e.end) for e in session.annotations("f").entities] == [BALI[0]]
        await pilot.press("ctrl+a")  # every match, as LOC (the label under the cursor)
        await pilot.pause()
        spans = sorted((e.start, e.end, e.label) for e in session.annotations("f").entities)
        assert spans == [(s, e, "LOC") for s, e in BALI]
        assert "Labelled 4" in screen.status.message and "skipped 1" in screen.status.message
        await pilot.press("ctrl+z")  # one undo step undoes the whole batch
        await pilot.pause()
        assert [(e.start, e.end) for e in session.annotations("f").entities] == [BALI[0]]


async def test_label_all_says_what_it_skipped_for_overlap(session):
    crossing = Entity("e1", BALI[1][0] - 3, BALI[1][0] + 2, "PER")  # partly overlaps the 2nd match
    session.apply("f", AddEntity(crossing))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _find(pilot, app, "بالي")
        await pilot.press("4", "ctrl+a")
        await pilot.pause()
        screen = main(app)
        assert "schema forbids overlap" in screen.status.message
        labelled = {(e.start, e.end) for e in session.annotations("f").entities if e.label == "LOC"}
        assert labelled == set(BALI) - {BALI[1]}


async def test_label_all_without_a_find_or_a_label_says_what_to_do(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+a")
        assert "find first" in main(app).status.message
        await _find(pilot, app, "xyz")
        assert "no match" in main(app).status.message
        assert session.annotations("f").entities == ()


class FakeRecommender(Recommender):
    """Proposes GPE on each بيروت and a claim on the first sentence (claimer: the first entity)."""

    name = "fake"
    learns = True

    def __init__(self) -> None:
        self.observed: list[int] = []

    def propose(self, document, annotations, context):
        out = []
        pos = document.text.find("بيروت")
        while pos >= 0:
            out.append(Proposal("entity", pos, pos + 5, "GPE", source=self.name))
            pos = document.text.find("بيروت", pos + 1)
        return out

    def observe(self, document, annotations) -> None:
        self.observed.append(len(annotations.entities))


async def test_proposals_shown_accepted_rejected_jumped_and_rejection_remembered(tmp_path):
    session = make_session(tmp_path / "p.db")
    rec = FakeRecommender()
    app = make_app(session, recommenders=(rec,))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        first, second = token_start(MIXED, "بيروت"), token_start(MIXED, "بيروت", 1)
        pre = session.annotations("a_mixed").entities
        assert [(e.start, e.source) for e in pre] == [(first, "recommend:fake"), (second, "recommend:fake")]
        await pilot.press("f4")
        assert screen.view.cursor == first
        assert "fake" in screen.status.message
        await pilot.press("enter")  # accept
        await pilot.pause()
        await pilot.press("f4")
        assert screen.view.cursor == second
        await pilot.press("ctrl+r")  # reject
        await pilot.pause()
        state = session.annotations("a_mixed")
        assert [(e.start, e.source) for e in state.entities] == [(first, None)]
        assert len(state.rejected) == 1
        assert rec.observed  # the learning recommender was told about the changes
        await pilot.press("n", "p")  # open the document again: the rejected one is not proposed again
        await pilot.pause()
        assert [(e.start, e.source) for e in session.annotations("a_mixed").entities] == [(first, None)]
        await pilot.press("f4")
        assert "no proposals" in screen.status.message
    session.store.close()


class CueRecommender(Recommender):
    name = "cues"
    kinds = frozenset({"claim"})

    def propose(self, document, annotations, context):
        claimer = next((e.id for e in annotations.entities), None)
        start = document.text.index("قال")
        return [Proposal("claim", start, document.text.index(".") + 1, claimer=claimer, source=self.name)]


async def test_enter_on_a_cue_proposal_makes_the_claim_and_opens_its_form_with_the_claimer(tmp_path):
    session = make_session(tmp_path / "c.db")
    john = token_start(MIXED, "John")
    session.apply("a_mixed", AddEntity(Entity("e1", john, john + 10, "PER")))
    app = make_app(session, recommenders=(CueRecommender(),))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the cursor is on قال, inside the proposed claim
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        claim = session.annotations("a_mixed").claims[0]
        assert claim.source is None and claim.claimer == "e1"
        assert claim.attributes.get("checkworthy") is not None or claim.attributes  # schema defaults filled
        await pilot.press("escape")
        await pilot.pause()
        screen = main(app)
        screen.view.move_to(token_start(MIXED, "قال"))
        assert "«" in screen.status.info and "(e1)" in screen.status.info  # the claimer by its text
        assert screen.view.related == ((john, john + 10),)  # and highlighted
    session.store.close()


async def test_claimer_picker_filters_arabic_typing_nearest_first_starting_on_the_claimer(tmp_path):
    text = "قال أحمد: سافر علي إلى بيروت. وأكد سامي ذلك. ثم قال خالد شيئاً."
    session = make_session(tmp_path / "k.db", docs=(("k", text),))

    def ent(eid: str, w: str) -> Entity:
        return Entity(eid, text.index(w), text.index(w) + len(w), "PER")

    for e in (ent("e1", "خالد"), ent("e2", "سامي"), ent("e3", "أحمد"), ent("e4", "علي")):
        session.apply("k", AddEntity(e))
    session.apply("k", AddClaim(Claim("c1", text.index("سافر"), text.index("بيروت") + 5, {}, "e2")))
    app = make_app(session)
    results: list[str | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = ClaimerPickerScreen(main(app).editor, main(app).view.index, "c1")
        app.push_screen(picker, results.append)
        await pilot.pause()
        assert [e.id for e in picker.candidates()] == ["e3", "e4", "e2", "e1"]
        options = picker.query_one("#claimers")
        assert options.get_option_at_index(options.highlighted).id == "e:e2"  # starts on its claimer
        await pilot.press(*"احمد")  # no hamza typed: matches أحمد
        await pilot.pause()
        assert [e.id for e in picker.candidates()] == ["e3"]
        await pilot.press("enter")
        await pilot.pause()
    assert results == ["e3"]
    session.store.close()


class SlowRecommender(FakeRecommender):
    slow = True


class MissingModel(FakeRecommender):
    name = "missing"

    def prepare(self, store, context, progress=None) -> None:
        raise RecommenderUnavailable("missing: its model is not installed (pip install it)")


async def test_a_slow_recommender_proposes_from_a_worker_and_a_missing_model_is_one_line(tmp_path):
    session = make_session(tmp_path / "s.db")
    app = make_app(session, recommenders=(MissingModel(), SlowRecommender()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        sources = {e.source for e in session.annotations("a_mixed").entities}
        assert sources == {"recommend:fake"}
    session.store.close()
    app = make_app(make_session(tmp_path / "m.db"), recommenders=(MissingModel(),))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "model is not installed" in main(app).status.message and main(app).status.error
        app.session.store.close()


def test_annotate_refuses_an_unknown_recommender_by_name():
    from annotator.commands.annotate import _recommenders
    from annotator.errors import AnnotatorError

    with pytest.raises(AnnotatorError, match="unknown recommender 'nope'"):
        _recommenders(["nope"])
    assert [r.name for r in _recommenders(["string-match", "string-match"])] == ["string-match"]


async def test_string_match_proposes_what_was_just_labelled_elsewhere_in_this_document(session):
    """Issue 13 §2a: a span labelled by hand is proposed wherever its text occurs again "in this
    document and the next ones", as you label: its own undo step after the label."""
    from annotator.recommend.learned import StringMatch

    app = make_app(session, recommenders=(StringMatch(),))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _find(pilot, app, "بالي")
        await pilot.press("4")  # the first match, labelled LOC by hand
        await pilot.pause()
        screen = main(app)
        state = session.annotations("f")
        assert [(e.start, e.end, e.source) for e in state.entities if e.source is None] == [(*BALI[0], None)]
        proposed = sorted((e.start, e.end, e.label) for e in state.entities if e.source == "recommend:string-match")
        assert proposed and all(p[2] == "LOC" for p in proposed)
        assert {(s, e) for s, e, _ in proposed} <= set(BALI[1:])  # proclitics left out, as find does
        assert "string-match proposes" in screen.status.message and "Labelled" in screen.status.message
        await pilot.press("ctrl+z")  # the proposals first…
        await pilot.pause()
        assert [e.source for e in session.annotations("f").entities] == [None]
        await pilot.press("ctrl+z")  # …then the label
        await pilot.pause()
        assert session.annotations("f").entities == ()
