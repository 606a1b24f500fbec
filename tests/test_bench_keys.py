"""Keys per label (issue 13, "Measure"): the bench's planner and replay on a small part of the
expected file, the expected file itself, and the app changes the bench asked for (find starts with
the entity under the cursor; a new claim gets the claimer ``claim-cues`` proposes now; the cue
rules that cover more claims of the seed article). No timing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_tui_support import SIZE, main, make_app, make_session

from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.model.operations import AddEntity
from annotator.recommend import RecommendContext, get_recommender
from annotator.recommend.claims import ClaimCues
from annotator.schema import default_schema_path, load_schema
from annotator.tui.screens.claim_form import ClaimFormScreen
from annotator.tui.screens.prompts import FindScreen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_keys  # noqa: E402


@pytest.fixture(scope="module")
def expected():
    return bench_keys.load_expected(bench_keys.DEFAULT)


@pytest.fixture(scope="module")
def news():
    return load_schema(default_schema_path())


# -- the expected file --------------------------------------------------------------------------
def test_the_expected_file_resolves_to_exact_spans(expected):
    assert len(expected.entities) == 63 and len(expected.claims) == 15
    for e in expected.entities:
        assert expected.text[e.start:e.end] == e.text and expected.schema.label(e.label) is not None
    for c in expected.claims:
        assert expected.text[c.start:c.end] == c.text
        assert c.attributes["verdict"] == "unverified" and {"checkworthy", "claim_type"} <= set(c.attributes)
        assert c.claimer is None or expected.entities[c.claimer].label in ("PER", "ORG", "GPE")
    # العراق #1 is inside العراقية: the file names #2 and #3, the whole words
    iraq = [e for e in expected.entities if e.text == "العراق"]
    assert [expected.text[e.start - 1:e.end + 1].strip() for e in iraq] == ["والعراق", "العراق"]


def test_a_bad_expected_file_names_the_file_and_the_item(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("document: 000_72ab5779234c0ced\nentities:\n  - [الأكراد, NORP]\n  - [الباغوز, GPE, 14]\n",
                   encoding="utf-8")
    with pytest.raises(bench_keys.BenchError, match=r"bad\.yaml: entity #2 .*occurs only 13 time\(s\), not 14"):
        bench_keys.load_expected(bad)
    bad.write_text("document: 000_72ab5779234c0ced\nentities:\n  - [الأكراد, PERSON]\n", encoding="utf-8")
    with pytest.raises(bench_keys.BenchError, match="entity #1 .*no label 'PERSON'"):
        bench_keys.load_expected(bad)


def test_an_export_that_differs_fails_loudly(expected, tmp_path):
    part = expected.subset(2, 0)
    line = {"id": part.doc_id, "text": part.text, "claims": [], "entities": [
        {"id": "e1", "start": part.entities[0].start, "end": part.entities[0].end, "label": "NORP",
         "text": part.entities[0].text}]}
    out = tmp_path / "x.jsonl"
    out.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(bench_keys.BenchError, match="missing entity داعش ORG"):
        bench_keys.compare(part, out)


# -- the replay, on a small part: 5 entities and 2 claims (and their claimers) ---------------------
@pytest.mark.parametrize("recommend", [False, True], ids=["plain", "recommendations"])
async def test_replay_labels_a_small_part_and_the_export_equals_it(expected, recommend, tmp_path):
    part = expected.subset(5, 2)
    assert len(part.entities) == 7 and len(part.claims) == 2
    result = await bench_keys.run(part, recommend, tmp_path)  # raises unless the export equals ``part``
    assert len(result.entities) == 7 and len(result.claims) == 2
    assert all(k >= 0 for k in result.entities + result.claims)
    assert sum(result.entities) + sum(result.claims) == pytest.approx(result.tally.pressed)
    # داعش #1 and #2 share one "label all" (الباغوز is not: its other mentions are not in this part)
    assert result.entities[1] == result.entities[4]
    if recommend:  # the claim proposal of c2 is accepted with its claimer: enter, two hotkeys, esc
        c2 = [keys for items, keys in result.tally.trace if items == "c2"]
        assert c2[:4] == [c2[0], ["y"], ["e"], ["escape"]] and c2[0][-1] == "enter"


# -- find starts with the entity under the cursor (or the selection) -------------------------------
async def test_find_starts_with_the_entity_under_the_cursor_so_label_all_is_three_keys(tmp_path):
    text = "زار مصطفى بالي دمشق. وقال مصطفى بالي إن الوضع هادئ. ثم غادر مصطفى بالي."
    session = make_session(tmp_path / "f.db", docs=(("f", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        await pilot.press("left", "shift+left", "1")  # مصطفى بالي, the first one, PER
        await pilot.pause()
        assert [(e.start, e.end) for e in screen.editor.state.entities] == [(4, 14)]
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, FindScreen)
        assert app.screen.query_one("#find").value == "مصطفى بالي"
        await pilot.press("enter", "ctrl+a")
        await pilot.pause()
        got = sorted((text[e.start:e.end], e.label) for e in session.annotations("f").entities)
        assert got == [("مصطفى بالي", "PER")] * 3
        screen.view.move_to(text.index("دمشق"))
        await pilot.press("shift+left", "ctrl+f")  # a selection: find starts with it
        await pilot.pause()
        assert app.screen.query_one("#find").value == "دمشق."
        await pilot.press("escape")
        screen.view.move_to(text.index("الوضع"))  # a bare word: the last query, as before
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert app.screen.query_one("#find").value == "مصطفى بالي"
    session.store.close()


# -- a new claim gets the claimer claim-cues proposes now ---------------------------------------
async def test_an_accepted_cue_claim_opens_with_the_claimer_proposed_from_entities_labelled_since(tmp_path):
    text = "وقال الوزير أحمد سالم إن الأسعار ارتفعت كثيراً هذا العام."
    session = make_session(tmp_path / "c.db", docs=(("c", text),))
    app = make_app(session, recommenders=(get_recommender("claim-cues"),))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        (proposal,) = screen.editor.state.claims  # proposed when the document opened: no entity, no claimer
        assert proposal.source == "recommend:claim-cues" and proposal.claimer is None
        screen.view.move_to(text.index("أحمد"))
        await pilot.press("shift+left", "1")  # أحمد سالم, PER, labelled after the proposal was made
        await pilot.pause()
        screen.view.move_to(text.index("الأسعار"))
        await pilot.press("enter")  # accept: the form opens with the claimer proposed now
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        (claim,) = screen.editor.state.claims
        person = screen.editor.state.entities[0]
        assert claim.source is None and claim.claimer == person.id
        assert "proposed by claim-cues" in screen.status.message
        await pilot.press("y", "e", "escape")
        await pilot.pause()
        screen.saver.settle()
        stored = session.annotations("c").claims[0]
        assert stored.claimer == person.id and stored.attributes["checkworthy"] == "yes"
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z")  # e, y, then the claimer: its own undo step
        await pilot.pause()
        screen.saver.settle()
        await pilot.pause()
        assert session.annotations("c").claims[0].claimer is None
    session.store.close()


async def test_a_claim_marked_by_hand_takes_the_claimer_of_the_cue_clause_it_lies_in(tmp_path):
    text = "وقال الوزير أحمد سالم إن الأسعار ارتفعت كثيراً هذا العام."
    session = make_session(tmp_path / "h.db", docs=(("h", text),))
    session.apply("h", AddEntity(Entity("e1", text.index("أحمد"), text.index("أحمد") + 9, "PER")))
    app = make_app(session, recommenders=(get_recommender("claim-cues"),))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        screen.view.move_to(text.index("الأسعار"))
        await pilot.press("shift+left", "c")  # «الأسعار ارتفعت»: inside the proposed clause
        await pilot.pause()
        assert isinstance(app.screen, ClaimFormScreen)
        mine = [c for c in screen.editor.state.claims if c.source is None]
        assert len(mine) == 1 and mine[0].claimer == "e1"
    session.store.close()


# -- cue rules that cover more claims ----------------------------------------------------------
def _claims(text: str, entities: list[tuple[str, str, int]], news, claims: tuple = ()) -> list[tuple[str, str | None]]:
    ents = []
    for n, (word, label, nth) in enumerate(entities, 1):
        at = -1
        for _ in range(nth + 1):
            at = text.index(word, at + 1)
        ents.append(Entity(f"e{n}", at, at + len(word), label))
    state = Annotations("d", "a", entities=tuple(ents), claims=claims)
    got = ClaimCues().propose(Document("d", text), state, RecommendContext(news))
    return [(text[p.start:p.end], p.claimer) for p in got]


def test_the_person_between_a_verb_and_its_clause_is_the_claimer_not_their_organisation(news):
    text = 'وقال مدير المكتب الإعلامي لقوات سوريا الديمقراطية مصطفى بالي "سيطرت قواتنا على المخيم".'
    assert _claims(text, [("قوات سوريا الديمقراطية", "ORG", 0), ("مصطفى بالي", "PER", 0)], news) == [
        ("سيطرت قواتنا على المخيم", "e2")]


def test_a_far_complementizer_an_alias_and_a_date_after_the_subject(news):
    text = ("وقال مصطفى بالي مدير المركز الإعلامي لقوات سوريا الديمقراطية على تويتر إن معظم المقاتلين أجانب. "
            "أعلنت قوات سورية الديمقراطية ( قسد) اليوم الثلاثاء سيطرتها الكاملة على المخيم.")
    got = _claims(text, [("مصطفى بالي", "PER", 0), ("قوات سوريا الديمقراطية", "ORG", 0), ("تويتر", "ORG", 0),
                         ("قوات سورية الديمقراطية", "ORG", 0), ("قسد", "ORG", 0), ("اليوم الثلاثاء", "DATE", 0)],
                  news)
    assert got == [("معظم المقاتلين أجانب", "e1"), ("سيطرتها الكاملة على المخيم", "e4")]


def test_a_particle_a_second_clause_and_qailan_split_clauses(news):
    text = ("وأشار إلى اشتباكات متقطعة بين قواتهم وفلول التنظيم. "
            "وأضاف أن المعارك لم تنته بعد قائلا إنه لا تزال هناك بعض الجيوب. "
            "وأوضح أن بعض المقاتلين اتخذوا دروعا بشرية وإن الاشتباكات متقطعة.")
    assert [c for c, _ in _claims(text, [], news)] == [
        "اشتباكات متقطعة بين قواتهم وفلول التنظيم", "المعارك لم تنته بعد", "لا تزال هناك بعض الجيوب",
        "بعض المقاتلين اتخذوا دروعا بشرية"]


def test_a_verb_without_a_subject_goes_on_with_the_previous_claims_speaker(news):
    text = 'وقال أبي الحسن المهاجر إن الدولة ستبقى قوية. وأضاف "أتحسبون أن النزوح سيضعفنا كلا".'
    first = text.index("الدولة")
    said = Claim("c1", first, first + len("الدولة ستبقى قوية"), {}, "e1")
    got = _claims(text, [("أبي الحسن المهاجر", "PER", 0)], news, claims=(said,))
    assert ("أتحسبون أن النزوح سيضعفنا كلا", "e1") in got
    assert _claims(text, [("أبي الحسن المهاجر", "PER", 0)], news)[-1] == ("أتحسبون أن النزوح سيضعفنا كلا", None)


def test_the_seed_article_cue_proposals_match_every_expected_claim(expected, news):
    ents = tuple(Entity(f"e{n + 1}", e.start, e.end, e.label) for n, e in enumerate(expected.entities))
    got = ClaimCues().propose(Document(expected.doc_id, expected.text), Annotations("d", "a", entities=ents),
                              RecommendContext(news))
    assert {(c.start, c.end) for c in expected.claims} <= {(p.start, p.end) for p in got}
