"""Entity identity (issue 13 §3): mentions of one person or organization linked as one identity,
through the session and the editor, in every format that can hold it, and in agreement and
adjudication (claimers compared by identity)."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tui_support import reopen, word_span

from annotator.adjudication import accept_operations, auto_plan, candidates, write_operations
from annotator.agreement.report import Corpus, agreement_report
from annotator.editing import Edit, Editor, Refusal, Where
from annotator.exporting import export_records
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.model.operations import AddClaim, apply_operation
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store

SCHEMA = load_schema(default_schema_path())
TEXT = "قال مصطفى بالي إن بالي وقسد وقوات سوريا الديمقراطية اتفقوا. وأضاف بالي أن الاتفاق صامد."


def at(word: str, nth: int = 0) -> tuple[int, int]:
    return word_span(TEXT, word, nth)


BALI_FULL, BALI, QSD, SDF, BALI_LATER = (at("مصطفى بالي"), at("بالي", 1), at("قسد"), at("قوات سوريا الديمقراطية"),
                                         at("بالي", 2))


def labelled(identities: bool = True) -> Annotations:
    """e1 مصطفى بالي, e2 بالي (i1); e3 قسد, e4 قوات سوريا الديمقراطية (i2); e5 a later بالي alone;
    a claim whose claimer is e5."""
    ids = ("i1", "i1", "i2", "i2", None) if identities else (None,) * 5
    spans = [(BALI_FULL, "PER"), (BALI, "PER"), (QSD, "ORG"), (SDF, "ORG"), (BALI_LATER, "PER")]
    ents = tuple(Entity(f"e{i}", s, e, label, None, ident)
                 for i, (((s, e), label), ident) in enumerate(zip(spans, ids, strict=True), 1))
    claim = Claim("c1", TEXT.index("وأضاف"), len(TEXT), {"checkworthy": "yes"}, "e5")
    return Annotations("d1", "amal", entities=ents, claims=(claim,))


def groups(state: Annotations) -> set[frozenset[tuple[int, int]]]:
    """The identities as sets of mention spans (formats may rename them)."""
    return {frozenset((m.start, m.end) for m in ms) for ms in state.identities().values()}


# -- session and editor -------------------------------------------------------------------------


def test_session_links_unlinks_undoes_and_keeps_identities_over_a_restart(tmp_path):
    store = open_store(str(tmp_path / "s.db"))
    store.add_document(Document("d1", TEXT))
    session = AnnotationSession(store, SCHEMA, "amal")
    for (s, e), label in [(BALI_FULL, "PER"), (BALI, "PER"), (BALI_LATER, "PER")]:
        session.add_entity("d1", s, e, label)
    ids = {(e.start, e.end): e.id for e in session.annotations("d1").entities}
    session.link_identity("d1", ids[BALI], ids[BALI_FULL])
    change = session.link_identity("d1", ids[BALI_LATER], ids[BALI])
    assert change.description.startswith("Linked «")
    assert groups(session.annotations("d1")) == {frozenset({BALI_FULL, BALI, BALI_LATER})}
    session.unlink_identity("d1", ids[BALI])
    assert groups(session.annotations("d1")) == {frozenset({BALI_FULL, BALI_LATER})}
    session = reopen(session)
    assert groups(session.annotations("d1")) == {frozenset({BALI_FULL, BALI_LATER})}
    session.undo("d1")  # the unlink, from the op log after the restart
    assert groups(session.annotations("d1")) == {frozenset({BALI_FULL, BALI, BALI_LATER})}
    session.undo("d1")
    session.undo("d1")
    assert groups(session.annotations("d1")) == set()
    session.redo("d1")
    assert groups(session.annotations("d1")) == {frozenset({BALI_FULL, BALI})}


def test_editor_offers_the_nearest_other_mentions_and_refuses_off_an_entity():
    state = labelled()
    editor = Editor(SCHEMA, TEXT, state)
    sentences = [(0, TEXT.index("وأضاف")), (TEXT.index("وأضاف"), len(TEXT))]
    # e5 (the later بالي): the entities before it come last (other sentence), nearest first
    assert [e.id for e in editor.identity_candidates("e5", sentences)] == ["e4", "e3", "e2", "e1"]
    # e2 is already one identity with e1: e1 is not offered
    assert [e.id for e in editor.identity_candidates("e2", sentences)] == ["e3", "e4", "e5"]
    assert isinstance(editor.entity_to_link(Where(at("قال"))), Refusal)
    alone = Editor(SCHEMA, TEXT, Annotations("d1", "amal", entities=(Entity("e1", *BALI, "PER"),)))
    assert "no other entity" in alone.entity_to_link(Where(BALI)).reason
    assert editor.entity_to_link(Where(BALI_LATER)).id == "e5"
    linked = editor.link_identity("e5", "e2")
    assert isinstance(linked, Edit) and linked.after.entity("e5").identity == "i1"
    assert isinstance(editor.link_identity("e2", "e1"), Refusal)  # already one
    assert isinstance(editor.unlink_identity("e5"), Refusal)  # not linked
    unlinked = editor.unlink_identity("e3")  # i2 had two mentions: dissolved
    assert isinstance(unlinked, Edit) and groups(unlinked.after) == {frozenset({BALI_FULL, BALI})}


def test_the_claimer_may_be_any_mention_of_an_identity():
    """Linking identities never touches claims: the claimer stays the mention chosen."""
    state, _ = apply_operation(Editor(SCHEMA, TEXT, labelled()).link_identity("e5", "e1").op, labelled(), TEXT,
                               SCHEMA)
    assert state.claim("c1").claimer == "e5" and state.entity("e5").identity == "i1"


# -- formats ------------------------------------------------------------------------------------


def _write(name: str, state: Annotations, tmp_path: Path) -> tuple[Path, WriteContext]:
    rec = Record(Document("d1", TEXT), state)
    ctx = WriteContext(SCHEMA)
    tmp_path.mkdir(parents=True, exist_ok=True)
    fmt = get_format(name)
    if fmt.writes_folders:
        export_records(fmt, [rec], tmp_path / "out", ctx)
        return tmp_path / "out", ctx
    out = io.StringIO()
    fmt.write([rec], out, ctx)
    path = tmp_path / f"out.{name}"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, ctx


def _read(name: str, path: Path) -> tuple[list[Record], ReadContext]:
    ctx = ReadContext()
    return list(get_format(name).read(path, ctx)), ctx


@pytest.mark.parametrize("name", ["native", "brat", "label-studio", "doccano", "prodigy"])
def test_identities_round_trip_through_each_format(name, tmp_path):
    state = labelled()
    path, _ = _write(name, state, tmp_path)
    (back,), ctx = _read(name, path)
    assert [p.message for p in ctx.problems if not p.note] == []
    assert groups(back.annotations) == groups(state) == {frozenset({BALI_FULL, BALI}), frozenset({QSD, SDF})}
    assert back.annotations.claims[0].claimer is not None
    for e in back.annotations.entities:
        assert TEXT[e.start:e.end]


def test_what_each_format_writes_for_an_identity(tmp_path):
    state = labelled()
    native = json.loads(_write("native", state, tmp_path)[0].read_text(encoding="utf-8"))
    assert [e.get("identity") for e in native["entities"]] == ["i1", "i1", "i2", "i2", None]
    ann = (_write("brat", state, tmp_path)[0] / "d1.ann").read_text(encoding="utf-8").splitlines()
    assert ann[-2:] == ["*\tEquiv T1 T2", "*\tEquiv T3 T4"]
    doccano = json.loads(_write("doccano", state, tmp_path)[0].read_text(encoding="utf-8"))
    same = [r for r in doccano["relations"] if r["type"] == "same-as"]
    assert [(r["from_id"], r["to_id"]) for r in same] == [(1, 0), (3, 2)]
    ls = json.loads(_write("label-studio", state, tmp_path)[0].read_text(encoding="utf-8"))
    rel = [r for r in ls[0]["annotations"][0]["result"] if r.get("labels") == ["same-as"]]
    assert [(r["from_id"], r["to_id"]) for r in rel] == [("e2", "e1"), ("e4", "e3")]


@pytest.mark.parametrize("name", ["label-studio-min", "conll", "araieval"])
def test_a_format_that_cannot_hold_identities_says_so_once_per_document(name, tmp_path):
    ctx = WriteContext(SCHEMA)
    export_records(get_format(name), [Record(Document("d1", TEXT), labelled())], tmp_path / "out.x", ctx)
    said = [p.message for p in ctx.problems if "identities" in p.message]
    assert said == [f"document 'd1': format {name} has no place for identities (same-as links); not written"]
    ctx = WriteContext(SCHEMA)
    export_records(get_format(name), [Record(Document("d1", TEXT), labelled(identities=False))], tmp_path / "o.x", ctx)
    assert not [p for p in ctx.problems if "identities" in p.message]


def test_bad_identity_references_are_reported_with_file_and_line(tmp_path):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "a.ann").write_text(f"T1\tPER {BALI_FULL[0]} {BALI_FULL[1]}\tx\nT2\tPER {BALI[0]} {BALI[1]}\tx\n"
                                  "*\tEquiv T1 T9\n*\tEquiv T1\n*\tEquiv T2 T1\n", encoding="utf-8")
    (rec,), ctx = _read("brat", folder)
    bad = [(Path(p.path).name, p.line, p.message) for p in ctx.problems if not p.note]
    assert bad[0][:2] == ("a.ann", 3) and "T9" in bad[0][2] and "not an entity" in bad[0][2]
    assert bad[1][:2] == ("a.ann", 4) and "fewer than two" in bad[1][2]
    assert groups(rec.annotations) == {frozenset({BALI_FULL, BALI})}

    line = {"text": TEXT, "entities": [{"id": 0, "start_offset": BALI[0], "end_offset": BALI[1], "label": "PER"},
                                       {"id": 1, "start_offset": 0, "end_offset": 3, "label": "CLAIM"}],
            "relations": [{"id": 0, "from_id": 0, "to_id": 1, "type": "same-as"},
                          {"id": 1, "from_id": 0, "to_id": 7, "type": "same-as"}]}
    path = tmp_path / "d.jsonl"
    path.write_text("\n" + json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    (rec,), ctx = _read("doccano", path)
    assert [(p.line, "does not join two entities" in p.message) for p in ctx.problems] == [(2, True), (2, True)]
    assert groups(rec.annotations) == set()

    task = {"id": 1, "data": {"text": TEXT}, "annotations": [{"result": [
        {"id": "a", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": BALI[0], "end": BALI[1], "labels": ["PER"]}},
        {"from_id": "a", "to_id": "zz", "type": "relation", "labels": ["same-as"]}]}]}
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    (rec,), ctx = _read("label-studio", path)
    assert any("same-as relation does not join two entities" in p.message for p in ctx.problems)

    native = {"id": "n", "text": TEXT, "entities": [{"start": BALI[0], "end": BALI[1], "label": "PER",
                                                      "identity": ["i1"]}]}
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps(native, ensure_ascii=False) + "\n", encoding="utf-8")
    recs, ctx = _read("native", path)
    assert recs == [] and ctx.problems[0].line == 1 and 'field "identity"' in ctx.problems[0].message


# -- agreement and adjudication -----------------------------------------------------------------


def _corpus(states: list[Annotations]) -> Corpus:
    by_doc = {"d1": {s.annotator: s for s in states}}
    return Corpus(sorted(s.annotator for s in states), {"d1": TEXT}, by_doc,
                  {"d1": {s.annotator: s.status for s in states}})


def test_claimers_agree_when_they_are_mentions_of_matched_identities():
    """amal names the later بالي (linked to مصطفى بالي), bilal names مصطفى بالي itself: the same
    person. Without amal's identity they are two different mentions and disagree."""
    amal = labelled().with_(status="done")
    bilal_ents = (Entity("x1", *BALI_FULL, "PER"), Entity("x2", *BALI_LATER, "PER"))
    claim = amal.claims[0]
    bilal = Annotations("d1", "bilal", status="done", entities=bilal_ents,
                        claims=(Claim("k1", claim.start, claim.end, {}, "x1"),))
    amal_linked = amal.with_(entities=tuple(e if e.id != "e5" else Entity(e.id, e.start, e.end, e.label, None, "i1")
                                            for e in amal.entities))
    figure = agreement_report(_corpus([amal_linked, bilal]), SCHEMA)["claims"]["claimer"]["agreement"]
    assert figure["value"] == 1.0 and figure["items"] == 1
    figure = agreement_report(_corpus([amal, bilal]), SCHEMA)["claims"]["claimer"]["agreement"]
    assert figure["value"] == 0.0


def test_adjudication_keeps_the_identities_every_annotator_linked():
    amal = labelled().with_(status="done")
    bilal = labelled().with_(annotator="bilal", status="done")
    # bilal did not link قسد with قوات سوريا الديمقراطية: only i1 is unanimous
    bilal = bilal.with_(entities=tuple(Entity(e.id, e.start, e.end, e.label, None, e.identity if e.identity == "i1"
                                              else None) for e in bilal.entities))
    gold = Annotations("d1", "gold")
    plan = auto_plan(candidates({"amal": amal, "bilal": bilal}), gold, TEXT, SCHEMA, "unanimous")
    assert plan.op is not None
    after, _ = apply_operation(plan.op, gold, TEXT, SCHEMA)
    assert groups(after) == {frozenset({BALI_FULL, BALI})}
    again = auto_plan(candidates({"amal": amal, "bilal": bilal}), after, TEXT, SCHEMA, "unanimous")
    assert again.op is None  # nothing more to write


def _claimed_by(state: Annotations, entity_id: str) -> Annotations:
    return state.with_(claims=tuple(dataclasses.replace(c, claimer=entity_id) for c in state.claims))


def test_adjudication_compares_claimers_by_identity():
    """Two annotators who chose different mentions of one identity as the claimer agree on the
    claimer (as agreement does): the claim is settled and gold gets it with a claimer it holds."""
    amal = _claimed_by(labelled().with_(status="done"), "e1")  # مصطفى بالي
    bilal = _claimed_by(labelled().with_(annotator="bilal", status="done"), "e2")  # بالي, linked to it
    (claim,) = [c for c in candidates({"amal": amal, "bilal": bilal}) if c.kind == "claim"]
    assert claim.agreed_claimer() == (*BALI_FULL, "PER") and claim.settled
    gold = Annotations("d1", "gold", entities=(Entity("e1", *BALI, "PER"),))  # gold holds only بالي
    (op,) = write_operations(claim, gold, SCHEMA)
    assert isinstance(op, AddClaim) and op.claim.claimer == "e1"  # the mention of that identity gold holds
    def unlinked(state: Annotations) -> Annotations:
        return state.with_(entities=tuple(dataclasses.replace(e, identity=None) for e in state.entities))

    (claim,) = [c for c in candidates({"amal": unlinked(amal), "bilal": unlinked(bilal)}) if c.kind == "claim"]
    assert claim.agreed_claimer() is None and not claim.settled  # different mentions, no identity: disputed
    # one annotator's link is enough for a common mention (agreement's rule): bilal's بالي is in amal's identity
    (claim,) = [c for c in candidates({"amal": amal, "bilal": unlinked(bilal)}) if c.kind == "claim"]
    assert claim.agreed_claimer() == (*BALI, "PER")
    plan = auto_plan(candidates({"amal": amal, "bilal": bilal}), Annotations("d1", "gold"), TEXT, SCHEMA,
                     "unanimous")
    assert plan.op is not None
    after, _ = apply_operation(plan.op, Annotations("d1", "gold"), TEXT, SCHEMA)
    (written,) = after.claims
    assert written.claimer is not None and (after.entity(written.claimer).start,
                                            after.entity(written.claimer).end) == BALI_FULL


def test_accepting_mentions_one_by_one_keeps_the_identity_every_annotator_linked():
    """The adjudication app's `a` (one group at a time) links as `--auto` does: once gold holds both
    mentions every finished annotator linked, they are one identity, in the same undo step."""
    amal = labelled().with_(status="done")
    bilal = labelled().with_(annotator="bilal", status="done")
    bilal = bilal.with_(entities=tuple(Entity(e.id, e.start, e.end, e.label, None, e.identity if e.identity == "i1"
                                              else None) for e in bilal.entities))
    found = {(c.start, c.end): c for c in candidates({"amal": amal, "bilal": bilal}) if c.kind == "entity"}
    gold = Annotations("d1", "gold")
    for span in (BALI, QSD, SDF, BALI_FULL):  # the linked pair's second mention comes last
        ops = accept_operations(found[span], gold, TEXT, SCHEMA)
        for op in ops:
            gold, _ = apply_operation(op, gold, TEXT, SCHEMA)
    assert groups(gold) == {frozenset({BALI_FULL, BALI})}  # قسد / قوات… was linked by amal alone
    assert accept_operations(found[BALI], gold, TEXT, SCHEMA) == []  # already there: nothing more


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([None, "a", "b", "c"]), min_size=5, max_size=5))
def test_any_grouping_of_mentions_round_trips(tmp_path, choice):
    """Identities with two or more mentions come back as the same groups in every format that holds them."""
    ents = tuple(Entity(e.id, e.start, e.end, e.label, None, ident) for e, ident in zip(labelled().entities, choice,
                                                                                         strict=True))
    ents = tuple(Entity(e.id, e.start, e.end, e.label, None, e.identity if choice.count(e.identity) > 1 else None)
                 for e in ents)
    state = labelled().with_(entities=ents)
    for name in ("native", "brat", "label-studio", "doccano", "prodigy"):
        path, _ = _write(name, state, tmp_path / name)
        (back,), _ = _read(name, path)
        assert groups(back.annotations) == groups(state), name
