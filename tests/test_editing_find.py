"""Find, label all, proposals and claimer order in the editing core, without a screen (issue 13)."""

from __future__ import annotations

from annotator.editing import Edit, Editor, Refusal, Where
from annotator.editing.find import find_matches, plan_label_all, step_match
from annotator.model.annotations import Annotations, Claim, Entity
from annotator.model.operations import apply_operation
from annotator.recommend import recommender_of
from annotator.schema import default_schema_path, load_schema
from annotator.text import TextIndex

SCHEMA = load_schema(default_schema_path())
TEXT = "زار بالي أمس. وبالي جميلة، وبِالي كذلك. البالية ليست بالـي.\nقال أحمد إن ببالي شيئاً."
INDEX = TextIndex(TEXT)


def at(word: str, nth: int = 0) -> int:
    pos = -1
    for _ in range(nth + 1):
        pos = TEXT.index(word, pos + 1)
    return pos


BALI = [(at("بالي"), at("بالي") + 4), (at("وبالي") + 1, at("وبالي") + 5), (at("وبِالي") + 1, at("وبِالي") + 6),
        (at("بالـي"), at("بالـي") + 5), (at("ببالي") + 1, at("ببالي") + 5)]


def state(*entities: Entity, claims: tuple[Claim, ...] = ()) -> Annotations:
    return Annotations("d", "t", status="in_progress", entities=tuple(entities), claims=claims)


def test_find_ignores_harakat_and_tatweel_matches_after_proclitics_and_only_whole_words():
    assert find_matches(INDEX, "بالي") == BALI  # not inside البالية
    assert [TEXT[s:e] for s, e in find_matches(INDEX, "بالي")] == ["بالي", "بالي", "بِالي", "بالـي", "بالي"]
    assert find_matches(INDEX, "بَالِي") == BALI  # harakat in the query too
    assert find_matches(INDEX, "احمد") == [(at("أحمد"), at("أحمد") + 4)]  # hamza forms
    assert find_matches(INDEX, "جميله") == [(at("جميلة"), at("جميلة") + 5)]  # teh marbuta
    assert find_matches(INDEX, "   ") == []


def test_step_match_wraps_both_ways():
    assert step_match(BALI, BALI[0][0]) == 1
    assert step_match(BALI, BALI[-1][0]) == 0
    assert step_match(BALI, BALI[0][0], backwards=True) == len(BALI) - 1
    assert step_match([], 0) is None


def test_label_all_is_one_batch_skips_overlaps_and_counts_why():
    crossing = Entity("e7", BALI[1][0] - 2, BALI[1][0] + 2, "LOC")  # partly overlaps the 2nd match
    done = Entity("e8", *BALI[2], "LOC")  # already labelled so
    other = Entity("e9", *BALI[3], "PER")  # already labelled with another label
    before = state(crossing, done, other)
    plan = plan_label_all(SCHEMA, TEXT, before, BALI, "LOC")
    assert plan.labelled == 2
    assert plan.skipped == {"schema forbids overlap": 1, "already labelled so": 1, "already labelled PER": 1}
    assert "skipped 3" in plan.describe("LOC", "بالي")
    assert plan.op is not None
    after, inverse = apply_operation(plan.op, before, TEXT, SCHEMA)
    assert {(e.start, e.end) for e in after.entities if e.label == "LOC"} >= {BALI[0], BALI[4]}
    undone, _ = apply_operation(inverse, after, TEXT, SCHEMA)
    assert undone.entities == before.entities  # one inverse undoes the whole batch


def test_label_all_accepts_a_matching_proposal_and_says_when_nothing_is_left():
    pre = Entity("e1", *BALI[0], "LOC", "recommend:string-match")
    plan = plan_label_all(SCHEMA, TEXT, state(pre), BALI[:1], "LOC")
    assert plan.labelled == 1 and plan.after.entities[0].source is None
    again = plan_label_all(SCHEMA, TEXT, plan.after, BALI[:1], "LOC")
    assert again.op is None and again.skipped == {"already labelled so": 1}


def test_proposals_accept_with_a_label_key_reject_and_next():
    first = Entity("e1", *BALI[0], "LOC", "recommend:string-match")
    second = Entity("e2", *BALI[4], "PER", "recommend:string-match")
    ed = Editor(SCHEMA, TEXT, state(first, second))
    relabel = ed.label(Where(BALI[4]), "LOC")  # a label key accepts as that label
    assert isinstance(relabel, Edit)
    assert relabel.after.entity("e2") == Entity("e2", *BALI[4], "LOC")
    reject = ed.reject(Where(BALI[0]))
    assert isinstance(reject, Edit) and reject.after.entity("e1") is None and reject.after.rejected
    assert isinstance(ed.reject(Where(BALI[1])), Refusal)
    nxt = ed.next_proposal(BALI[0][0])
    assert not isinstance(nxt, Refusal) and nxt.id == "e2" and recommender_of(nxt) == "string-match"
    assert isinstance(Editor(SCHEMA, TEXT, state()).next_proposal(0), Refusal)


def test_enter_on_a_claim_proposal_accepts_it_and_names_it_to_open():
    claim = Claim("c1", at("قال"), len(TEXT), {"checkworthy": "yes"}, "e1", "recommend:claim-cues")
    ed = Editor(SCHEMA, TEXT, state(Entity("e1", at("أحمد"), at("أحمد") + 4, "PER"), claims=(claim,)))
    answer = ed.activate(Where((at("قال"), at("قال") + 3)))
    assert isinstance(answer, Edit) and answer.created == "c1"
    accepted = answer.after.claim("c1")
    assert accepted is not None and accepted.source is None and accepted.claimer == "e1"


def test_claimer_candidates_put_those_before_the_claim_in_its_sentence_first():
    text = "قال أحمد: سافر علي إلى بيروت. وأكد سامي ذلك. ثم قال خالد شيئاً."
    idx = TextIndex(text)

    def ent(eid: str, w: str, label: str = "PER") -> Entity:
        return Entity(eid, text.index(w), text.index(w) + len(w), label)

    claim = Claim("c1", text.index("سافر"), text.index("بيروت") + 5, {}, None)
    ents = (ent("e1", "خالد"), ent("e2", "سامي"), ent("e3", "أحمد"), ent("e4", "علي"), ent("e5", "بيروت", "GPE"))
    ed = Editor(SCHEMA, text, state(*ents, claims=(claim,)))
    order = [e.id for e in ed.claimer_candidates("c1", [(s.start, s.end) for s in idx.sentences])]
    assert order[:1] == ["e3"]  # before it, same sentence
    assert set(order[1:3]) == {"e4", "e5"}  # inside it
    assert order[3:] == ["e2", "e1"]  # other sentences, nearest first
