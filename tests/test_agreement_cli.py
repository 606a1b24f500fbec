"""``annotator agreement`` end to end: a store built through AnnotationSession on the seed texts."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import krippendorff
import pytest

from annotator.cli import main
from annotator.model.annotations import Document
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore
from annotator.text import tokenize

from conftest import SEEDS


def _seeded(db):
    store = SQLiteStore(db)
    for path in sorted(SEEDS.glob("*.txt")):
        store.add_document(Document(path.stem, path.read_text(encoding="utf-8")))
    return store


def _tokens(store, doc_id):
    return [(t.start, t.end) for t in tokenize(store.get_document(doc_id).text) if t.kind == "word"]


def _annotate(store, schema, name, doc_id, entities, claim=None, status="done"):
    s = AnnotationSession(store, schema, name)
    for start, end, label in entities:
        s.add_entity(doc_id, start, end, label)
    if claim is not None:
        s.add_claim(doc_id, *claim)
    s.set_status(doc_id, status)
    return s


@pytest.fixture
def team(tmp_path, news_schema):
    """Three annotators on the first seed: amal and badr differ on one ORG edge, chadi leaves it out."""
    db = tmp_path / "team.db"
    store = _seeded(db)
    doc = store.document_ids()[0]
    t = _tokens(store, doc)
    per, org, org_short = (t[0][0], t[0][1]), (t[2][0], t[4][1]), (t[2][0], t[3][1])
    claim = (t[6][0], t[12][1])
    _annotate(store, news_schema, "amal", doc, [(*per, "PER"), (*org, "ORG")],
              (*claim, {"checkworthy": "yes", "claim_type": "quote"}))
    _annotate(store, news_schema, "badr", doc, [(*per, "PER"), (*org_short, "ORG")],
              (*claim, {"checkworthy": "yes", "claim_type": "event"}))
    _annotate(store, news_schema, "chadi", doc, [(*per, "PER")],
              (*claim, {"checkworthy": "no", "claim_type": "quote"}))
    # a second document only amal finished: it must not count for the others
    _annotate(store, news_schema, "amal", store.document_ids()[1], [(0, 3, "GPE")])
    _annotate(store, news_schema, "badr", store.document_ids()[1], [(0, 3, "GPE")], status="in_progress")
    store.close()
    return db, doc


def _json(capsys, *args):
    assert main(["agreement", *map(str, args), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_documented_paths_and_hand_computed_values(team, capsys):
    db, doc = team
    r = _json(capsys, "--db", db)
    assert r["annotators"] == ["amal", "badr", "chadi"]
    assert r["documents"] == [doc, r["documents"][1]] and r["group_documents"] == [doc]
    ent = r["entities"]
    # exact: amal|badr share PER only (1 of 2+2), amal|chadi and badr|chadi PER (1 of 2+1)
    assert ent["f1_exact"]["pairs"]["amal|badr"]["value"] == pytest.approx(0.5)
    assert ent["f1_exact"]["pairs"]["amal|chadi"]["value"] == pytest.approx(2 / 3)
    assert ent["f1_exact"]["micro"] == {"value": pytest.approx(0.6), "items": 10, "matched": 3, "pairs": 3}
    assert ent["f1_exact"]["per_label"]["PER"]["value"] == 1.0
    assert ent["f1_exact"]["per_label"]["ORG"]["value"] == 0.0
    assert ent["f1_overlap"]["pairs"]["amal|badr"]["value"] == 1.0
    assert ent["f1_overlap"]["micro"]["value"] == pytest.approx(2 * 4 / 10)
    assert ent["f1_overlap"]["per_label"]["ORG"]["value"] == pytest.approx(2 * 1 / 4)
    assert ent["alpha_u"]["per_label"]["PER"]["value"] == 1.0
    assert -1 < ent["alpha_u"]["overall"]["value"] < 1 and ent["alpha_u"]["overall"]["items"] == 5
    assert ent["kappa_tokens"]["measure"] == "fleiss" and 0 < ent["kappa_tokens"]["value"] < 1
    assert ent["f1_exact"]["per_document"][doc]["value"] == pytest.approx(0.6)
    cl = r["claims"]
    assert cl["f1_exact"]["micro"]["value"] == 1.0 and cl["f1_exact"]["micro"]["items"] == 6
    assert cl["claimer"]["agreement"]["value"] == 1.0  # all three: no claimer
    assert cl["claimer"]["agreement"]["items"] == 3
    # one claim unit coded yes, yes, no: the krippendorff package's nominal α for it
    worthy = cl["attributes"]["checkworthy"]
    assert worthy["alpha"]["items"] == 1
    assert worthy["alpha"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=[[1], [1], [0]], level_of_measurement="nominal"))
    assert worthy["kappa"]["measure"] == "fleiss" and worthy["kappa"]["items"] == 1
    assert cl["attributes"]["confidence"]["alpha"]["value"] is None
    assert r["document_attributes"]["status"]["level"] == "nominal"
    assert r["statuses"] == ["done"] and r["schema"] == "news"


def test_against_scores_each_annotator_on_the_reference(team, capsys):
    db, doc = team
    r = _json(capsys, "--db", db, "--against", "amal")
    assert r["annotators"] == ["badr", "chadi"]
    badr = r["against"]["annotators"]["badr"]
    assert r["against"]["reference"] == "amal" and badr["documents"] == 1
    assert badr["entities"]["exact"]["precision"]["value"] == 0.5
    assert badr["entities"]["exact"]["recall"]["value"] == 0.5
    assert badr["entities"]["overlap"]["f1"]["value"] == 1.0
    chadi = r["against"]["annotators"]["chadi"]["entities"]["exact"]
    assert chadi["precision"]["value"] == 1.0 and chadi["recall"]["value"] == 0.5
    assert chadi["f1"]["value"] == pytest.approx(2 / 3)
    assert chadi["per_label"]["ORG"]["precision"]["value"] is None  # chadi made no ORG
    assert chadi["per_label"]["ORG"]["recall"]["value"] == 0.0


def test_csv_to_a_file_replaces_it_atomically(team, tmp_path, capsys):
    db, _ = team
    out = tmp_path / "agreement.csv"
    out.write_text("old\n")
    assert main(["agreement", "--db", str(db), "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "measure", "scope", "name", "value", "items", "why"]
    assert ["entities", "f1_exact.micro", "overall", "", "0.6", "10", ""] in rows
    assert any(r[:4] == ["entities", "f1_exact", "pair", "amal|badr"] and r[4] == "0.5" for r in rows)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert capsys.readouterr().out == ""
    # a folder that does not exist: one line, nothing written
    assert main(["agreement", "--db", str(db), "-o", str(tmp_path / "nope" / "a.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_json_to_a_file_is_the_same_object(team, tmp_path, capsys):
    db, _ = team
    out = tmp_path / "a.json"
    assert main(["agreement", "--db", str(db), "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["entities"]["f1_exact"]["micro"]["value"] == pytest.approx(0.6)


def test_table_is_the_default(team, capsys):
    db, _ = team
    assert main(["agreement", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "agreement between 3 annotator(s): amal, badr, chadi" in out
    assert "span F1, exact:   0.600 (n=10)" in out
    assert "amal|badr" in out and "diagnostics" in out


def test_one_annotator_gives_null_figures_and_says_why(tmp_path, news_schema, capsys):
    db = tmp_path / "solo.db"
    store = _seeded(db)
    _annotate(store, news_schema, "solo", store.document_ids()[0], [(0, 3, "PER")])
    store.close()
    r = _json(capsys, "--db", db)
    assert r["entities"]["f1_exact"]["micro"]["value"] is None
    assert r["entities"]["alpha_u"]["overall"]["value"] is None
    assert r["entities"]["kappa_tokens"]["value"] is None
    assert r["claims"]["attributes"]["checkworthy"]["alpha"]["value"] is None
    assert r["diagnostics"][0]["code"] == "one_annotator"
    assert "agreement needs two" in r["diagnostics"][0]["message"]


def test_hostile_annotator_names_are_escaped_in_the_table_and_exact_in_json(tmp_path, news_schema, capsys):
    db = tmp_path / "h.db"
    store = _seeded(db)
    doc = store.document_ids()[0]
    evil = "x\x1b[2J\u202eevil\nline"
    _annotate(store, news_schema, evil, doc, [(0, 3, "PER")])
    _annotate(store, news_schema, "plain", doc, [(0, 3, "PER")])
    store.close()
    assert main(["agreement", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "x\\x1b[2J\\u202eevil\\x0aline" in out
    r = _json(capsys, "--db", db)
    assert evil in r["annotators"]
    assert "|".join(sorted([evil, "plain"])) in r["entities"]["f1_exact"]["pairs"]


def test_mistakes_are_one_line_and_create_nothing(team, tmp_path, capsys):
    db, _ = team
    assert main(["agreement", "--db", str(db), "--annotators", "amal,nobody"]) == 2
    assert "no annotator 'nobody'" in capsys.readouterr().err
    assert main(["agreement", "--db", str(db), "--against", "ghost"]) == 2
    assert main(["agreement", "--db", str(db), "--documents", "missing-doc"]) == 2
    assert "no document 'missing-doc'" in capsys.readouterr().err
    assert main(["agreement", "--db", str(db), "--status", "finished"]) == 2
    assert main(["agreement", "--db", str(tmp_path / "none.db")]) == 2
    assert "no annotation store at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_selection_options_narrow_the_report(team, capsys):
    db, doc = team
    r = _json(capsys, "--db", db, "--annotators", "amal", "--annotators", "badr")
    assert r["annotators"] == ["amal", "badr"]
    assert list(r["entities"]["f1_exact"]["pairs"]) == ["amal|badr"]
    # badr's second document is in progress: counted only when asked for
    r = _json(capsys, "--db", db, "--annotators", "amal,badr", "--status", "done,in_progress")
    assert len(r["entities"]["f1_exact"]["per_document"]) == 2
    r = _json(capsys, "--db", db, "--documents", doc)
    assert r["documents"] == [doc]


def test_the_installed_command_runs(team):
    db, _ = team
    res = subprocess.run([sys.executable, "-m", "annotator", "agreement", "--db", str(db), "--format", "json"],
                         capture_output=True, text=True, timeout=120, env=os.environ)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["entities"]["f1_exact"]["micro"]["value"] == pytest.approx(0.6)
