"""`annotator adjudicate`: merging three annotators' finished work into gold, through the CLI
(--auto) and the app (Pilot). Counts below are worked out by hand from ``build``."""

from __future__ import annotations

import io
import json

import pytest
from test_tui_support import DOCS, SECOND

from annotator.adjudication import auto_plan, candidates
from annotator.cli import main
from annotator.model.annotations import Annotations, Document, Entity
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store import open_store

ORG = "الحكومة المصرية"
DATE = "أمس"
PCT = "40%"
ATTRS = {"checkworthy": "yes", "claim_type": "quantity", "verdict": "true"}


def span(text: str, word: str) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


def build(db) -> None:
    """b_second, finished by amal, bilal, carla:
    ORG by all three (unanimous); DATE by amal and bilal (majority); 40% by amal only (disputed);
    one claim over the sentence by all three, claimer the ORG for all, attributes equal except
    carla's verdict. c_third: only bilal finished (carla in progress): not adjudicable.
    a_mixed: amal alone finished: not adjudicable."""
    store = open_store(str(db))
    for doc_id, text in DOCS:
        store.add_document(Document(doc_id, text))
    schema = load_schema(default_schema_path())
    for name in ("amal", "bilal", "carla"):
        s = AnnotationSession(store, schema, name)
        e = s.add_entity("b_second", *span(SECOND, ORG), "ORG").state.entities[0]
        if name in ("amal", "bilal"):
            s.add_entity("b_second", *span(SECOND, DATE), "DATE")
        if name == "amal":
            s.add_entity("b_second", *span(SECOND, PCT), "QUANTITY")
        attrs = dict(ATTRS, verdict="mixed") if name == "carla" else ATTRS
        s.add_claim("b_second", 0, len(SECOND) - 1, attrs, claimer=e.id)
        s.set_status("b_second", "done")
        if name == "bilal":
            s.add_entity("c_third", 0, 7, "ORG")
            s.set_status("c_third", "done")
        if name == "carla":
            s.add_entity("c_third", 0, 7, "ORG")
        if name == "amal":
            s.add_entity("a_mixed", 4, 8, "PER")
            s.set_status("a_mixed", "done")
    store.close()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "team.db"
    build(path)
    return path


def gold(db, name: str = "gold") -> Annotations:
    store = open_store(str(db))
    try:
        return store.load("b_second", name)
    finally:
        store.close()


def log_count(db) -> int:
    store = open_store(str(db))
    try:
        return store.count_log()
    finally:
        store.close()


def summary(capsys) -> str:
    return capsys.readouterr().out


# -- the pure grouping ------------------------------------------------------------------------

def test_candidates_group_by_span_and_label_and_compare_claims(db):
    store = open_store(str(db))
    try:
        states = {n: store.load("b_second", n) for n in ("amal", "bilal", "carla")}
    finally:
        store.close()
    groups = {(c.kind, c.label, c.start): c for c in candidates(states)}
    org, date, pct = (groups[("entity", lab, span(SECOND, w)[0])] for lab, w in
                      (("ORG", ORG), ("DATE", DATE), ("QUANTITY", PCT)))
    assert (org.unanimous, date.unanimous, date.majority, pct.majority) == (True, False, True, False)
    claim = groups[("claim", None, 0)]
    assert claim.unanimous and not claim.settled  # carla's verdict differs
    assert claim.agreed_attributes() == {"checkworthy": "yes", "claim_type": "quantity", "needs_review": False}
    assert claim.agreed_claimer() == (*span(SECOND, ORG), "ORG")


# -- --auto through the CLI --------------------------------------------------------------------

def test_auto_unanimous_writes_what_all_agree_on_and_counts_the_rest(db, capsys):
    assert main(["adjudicate", "--db", str(db), "--auto", "unanimous"]) == 0
    out = summary(capsys)
    assert "adjudicated 1 document(s)" in out  # only b_second has two finished annotators
    assert "2 item(s) written" in out and "2 item(s) remain" in out  # ORG + claim; DATE, 40% left
    assert "1 written claim(s) have attributes or a claimer the annotators disputed" in out  # the verdict
    g = gold(db)
    assert [(e.start, e.end, e.label) for e in g.entities] == [(*span(SECOND, ORG), "ORG")]
    (claim,) = g.claims
    assert claim.claimer == g.entities[0].id  # the agreed claimer, linked to gold's own entity
    assert claim.attributes["checkworthy"] == "yes" and claim.attributes["claim_type"] == "quantity"
    assert claim.attributes.get("verdict") != "mixed"  # disputed: not taken from anyone


def test_auto_majority_also_writes_what_more_than_half_proposed(db, capsys):
    assert main(["adjudicate", "--db", str(db), "--auto", "majority"]) == 0
    out = summary(capsys)
    assert "3 item(s) written" in out and "1 item(s) remain" in out  # 40% (1 of 3) left
    assert sorted(e.label for e in gold(db).entities) == ["DATE", "ORG"]


def test_auto_twice_changes_nothing(db, capsys):
    assert main(["adjudicate", "--db", str(db), "--auto", "majority"]) == 0
    summary(capsys)
    before, logged = gold(db), log_count(db)
    assert main(["adjudicate", "--db", str(db), "--auto", "majority"]) == 0
    assert "0 item(s) written" in summary(capsys)
    after = gold(db)
    assert (after.entities, after.claims, after.version) == (before.entities, before.claims, before.version)
    assert log_count(db) == logged


def test_auto_is_undoable_and_logged_as_gold(db, capsys):
    main(["adjudicate", "--db", str(db), "--auto", "unanimous", "--as", "judge"])
    summary(capsys)
    store = open_store(str(db))
    try:
        session = AnnotationSession(store, load_schema(default_schema_path()), "judge")
        assert session.annotations("b_second").entities
        assert session.undo("b_second") is not None  # the whole merge is one undo step
        assert session.annotations("b_second").entities == () and session.annotations("b_second").claims == ()
        assert store.history("b_second", "judge")
    finally:
        store.close()


def test_export_gold_like_any_annotator(db, tmp_path, capsys):
    main(["adjudicate", "--db", str(db), "--auto", "majority"])
    out = tmp_path / "gold.jsonl"
    assert main(["export", "--db", str(db), "--annotator", "gold", "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    (rec,) = [r for r in records if r["id"] == "b_second"]
    assert sorted((e["start"], e["end"], e["label"], e["text"]) for e in rec["entities"]) == sorted(
        [(*span(SECOND, ORG), "ORG", ORG), (*span(SECOND, DATE), "DATE", DATE)])


def test_unknown_annotator_is_one_line(db, capsys):
    assert main(["adjudicate", "--db", str(db), "--auto", "unanimous", "--annotators", "amal,zed"]) == 2
    assert "no annotator 'zed'" in capsys.readouterr().err


def test_annotators_option_narrows_the_vote(db, capsys):
    # amal and bilal alone: DATE is unanimous between them; 40% is amal's alone
    assert main(["adjudicate", "--db", str(db), "--auto", "unanimous", "--annotators", "amal,bilal"]) == 0
    assert "3 item(s) written" in summary(capsys)
    assert sorted(e.label for e in gold(db).entities) == ["DATE", "ORG"]


def test_auto_plan_refused_by_schema_is_left_not_dropped(db):
    """A group the schema refuses (here, crossing spans with overlap forbidden) is reported and left."""
    store = open_store(str(db))
    schema = load_schema(default_schema_path())
    try:
        states = {n: store.load("b_second", n) for n in ("amal", "bilal", "carla")}
    finally:
        store.close()
    base = Annotations("b_second", "gold")
    s, e = span(SECOND, ORG)
    crossing = base.with_(entities=(Entity("e9", s + 8, e + 4, "LOC"),))
    plan = auto_plan(candidates(states), crossing, SECOND, schema, "unanimous")
    assert [c.label for c, _ in plan.refused] == ["ORG"]
    assert any(c.label == "ORG" for c in plan.remaining)


# -- the app (Pilot) ---------------------------------------------------------------------------

def _app(db, name="gold"):
    from annotator.adjudication import AdjudicationSession
    from annotator.tui.screens.adjudicate import AdjudicatorApp

    store = open_store(str(db))
    session = AdjudicationSession(store, load_schema(default_schema_path()), name, ["b_second"])
    return AdjudicatorApp(session, None, clock=lambda: ""), session


async def test_app_accept_all_unanimous_then_next_disagreement_and_accept(db):
    from annotator.tui.screens.adjudicate import AdjudicationPanel

    app, session = _app(db)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert screen.doc_id == "b_second" and screen.documents.queue == ["b_second"]
            drawn = {(e.label, e.source) for e in screen.view.state.entities}
            assert ("DATE", "adjudicate") in drawn and ("ORG", "adjudicate") in drawn  # proposals drawn
            assert screen.state.entities == ()  # … but gold (the editor's state) holds none yet
            await pilot.press("A")
            await pilot.pause()
            assert ("ORG", None) in {(e.label, e.source) for e in screen.view.state.entities}  # settled
            g = session.annotations("b_second")
            assert [e.label for e in g.entities] == ["ORG"] and len(g.claims) == 1
            await pilot.press("ctrl+home", "full_stop")  # next disagreement: DATE (2 of 3)
            await pilot.pause()
            assert screen.view.cursor == span(SECOND, DATE)[0]
            panel = str(screen.query_one(AdjudicationPanel).render())
            assert "amal" in panel and "bilal" in panel and "DATE" in panel and "2/3" in panel
            await pilot.press("a")
            await pilot.pause()
            assert sorted(e.label for e in session.annotations("b_second").entities) == ["DATE", "ORG"]
            await pilot.press("full_stop", "X")  # 40%: rejected, recorded in gold
            await pilot.pause()
            g = session.annotations("b_second")
            assert [(r.kind, r.label) for r in g.rejected] == [("entity", "QUANTITY")]
            await pilot.press("ctrl+home", "full_stop")
            await pilot.pause()
            assert "no more disagreements" in screen.status.message
            await pilot.press("ctrl+z")  # ordinary undo: the rejection goes
            await pilot.pause()
            assert session.annotations("b_second").rejected == ()
    finally:
        session.store.close()


async def test_app_ordinary_keys_edit_gold(db):
    app, session = _app(db)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            app.screen.view.move_to(span(SECOND, PCT)[0])
            await pilot.press("1")  # label by hand: PER over the word under the cursor
            await pilot.pause()
            assert [e.label for e in session.annotations("b_second").entities] == ["PER"]
    finally:
        session.store.close()


def test_nothing_to_adjudicate_is_one_line(tmp_path, capsys):
    store = open_store(str(tmp_path / "e.db"))
    store.close()
    assert main(["adjudicate", "--db", str(tmp_path / "e.db")]) == 2
    assert "nothing to adjudicate" in capsys.readouterr().err


async def test_app_help_lists_adjudication_keys(db):
    app, session = _app(db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            from rich.console import Console

            from annotator.tui.screens.adjudicate import AdjudicationHelp, adjudication_help_table

            assert isinstance(app.screen, AdjudicationHelp)
            shown = [w.id for w in app.screen.query("Static") if w.id in ("adjudicate-help", "help-table")]
            assert shown == ["adjudicate-help", "help-table"]  # its keys on top of every other key
            console = Console(width=120, record=True, file=io.StringIO())
            console.print(adjudication_help_table(app.screen.bound))
            text = console.export_text()
            assert ". " in text and "next disagreement" in text and "accept everything all annotators" in text
    finally:
        session.store.close()


async def test_panel_draws_annotator_names_as_data(tmp_path):
    """A name holding markup and a control character is shown literally, never parsed or raw."""
    from annotator.adjudication import AdjudicationSession
    from annotator.tui.screens.adjudicate import AdjudicationPanel, AdjudicatorApp

    store = open_store(str(tmp_path / "m.db"))
    store.add_document(Document("d", SECOND))
    schema = load_schema(default_schema_path())
    for name in ("[bold]eve[/]", "zed\x1b"):
        s = AnnotationSession(store, schema, name)
        s.add_entity("d", *span(SECOND, DATE), "DATE")
        s.set_status("d", "done")
    session = AdjudicationSession(store, schema, "gold", ["d"])
    app = AdjudicatorApp(session, None, clock=lambda: "")
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            app.screen.view.move_to(span(SECOND, DATE)[0])
            await pilot.pause()
            text = str(app.screen.query_one(AdjudicationPanel).render())
            assert "[bold]eve[/]" in text and "\x1b" not in text and "2/2" in text
    finally:
        store.close()
