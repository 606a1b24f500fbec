"""``annotator pre-annotate``: proposals written into an annotator's work, never labels."""

from __future__ import annotations

import io

import pytest

from annotator.cli import main
from annotator.commands.pre_annotate import _Bar
from annotator.model.annotations import Document
from annotator.recommend.apply import reject_operation
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

D1 = "قال أيمن الصفدي إن الأردن يرفض أي تهجير للفلسطينيين."
D2 = "وأكد الصفدي أن الأردن لن يقبل بذلك أبداً."
D3 = "زار الصفدي بغداد."


@pytest.fixture
def db(tmp_path, news_schema):
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    for doc_id, text in (("d1", D1), ("d2", D2), ("d3", D3)):
        store.add_document(Document(doc_id, text))
    amal = AnnotationSession(store, news_schema, "amal")
    amal.add_entity("d1", 4, 15, "PER")  # أيمن الصفدي
    amal.add_entity("d1", 9, 15, "PER")  # الصفدي (nested: news allows it)
    amal.add_entity("d1", 19, 25, "GPE")  # الأردن
    store.close()
    return path


def _states(path, annotator):
    store = SQLiteStore(path)
    try:
        return {d: store.load(d, annotator) for d in store.document_ids()}, store.count_log()
    finally:
        store.close()


def run(capsys, *args):
    code = main(["pre-annotate", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_string_match_writes_proposals_into_the_annotators_work(db, capsys):
    code, out, err = run(capsys, "--db", db, "--recommender", "string-match", "--annotator", "bilal")
    assert code == 0, err
    states, _ = _states(db, "bilal")
    got = {d: [(s.text_in(t), s.label, s.source) for s in states[d].entities] for d, t in
           (("d1", D1), ("d2", D2), ("d3", D3))}
    assert got["d2"] == [("الصفدي", "PER", "recommend:string-match"), ("الأردن", "GPE", "recommend:string-match")]
    assert got["d3"] == [("الصفدي", "PER", "recommend:string-match")]
    assert ("أيمن الصفدي", "PER", "recommend:string-match") in got["d1"]
    assert all(s.status == "todo" for s in states.values())  # proposals are not the annotator's work
    assert "string-match: " in out and "proposal(s) added for bilal on 3 of 3 document(s)" in out
    assert "\x1b" not in err  # no progress bar when stderr is not a terminal
    # again: nothing new (the same spans are there)
    code, out, _ = run(capsys, "--db", db, "--recommender", "string-match", "--annotator", "bilal")
    assert code == 0 and "0 proposal(s) added" in out
    assert _states(db, "bilal")[0] == states


def test_a_rejected_proposal_is_not_proposed_again(db, capsys, news_schema):
    run(capsys, "--db", db, "--recommender", "string-match", "--annotator", "bilal", "--documents", "d3")
    store = SQLiteStore(db)
    session = AnnotationSession(store, news_schema, "bilal")
    (proposal,) = session.annotations("d3").entities
    session.apply("d3", reject_operation(proposal.id))
    store.close()
    code, out, _ = run(capsys, "--db", db, "--recommender", "string-match", "--annotator", "bilal", "--documents", "d3")
    assert code == 0 and "0 proposal(s) added" in out and "1 of 1 left out" in out
    assert _states(db, "bilal")[0]["d3"].entities == ()


def test_learn_from_limits_whose_labels_teach(db, capsys, news_schema):
    store = SQLiteStore(db)
    AnnotationSession(store, news_schema, "carla").add_entity("d3", 11, 16, "GPE")  # بغداد
    store.close()
    run(capsys, "--db", db, "--recommender", "string-match", "--annotator", "bilal", "--learn-from", "carla")
    states, _ = _states(db, "bilal")
    assert [e.text_in(D3) for e in states["d3"].entities] == ["بغداد"]
    assert states["d1"].entities == ()
    code, _, err = run(capsys, "--db", db, "--recommender", "string-match", "--learn-from", "amal,bob")
    assert code == 2 and "--learn-from: no labels by bob in this store" in err


def test_finished_documents_and_documents_not_chosen_are_left_alone(db, capsys, news_schema):
    store = SQLiteStore(db)
    AnnotationSession(store, news_schema, "bilal").set_status("d2", "done")
    store.close()
    code, out, _ = run(capsys, "--db", db, "--recommender", "string-match", "--annotator", "bilal",
                       "--documents", "d2,d3")
    states, _ = _states(db, "bilal")
    assert code == 0 and "1 finished document(s) (done or skipped) left alone" in out
    assert states["d2"].entities == () and states["d1"].entities == () and states["d3"].entities
    code, _, err = run(capsys, "--db", db, "--recommender", "string-match", "--documents", "d9")
    assert code == 2 and "--documents: no document d9" in err


def test_a_bad_patterns_file_lists_its_lines_and_writes_nothing(db, capsys, tmp_path):
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "GPE", "pattern": "الأردن"}\n{"label": "ORG", "pattern": [{"pos": "X"}]}\n'
                        '{"label": "PERSON", "pattern": "الصفدي"}\n', encoding="utf-8")
    _, log_before = _states(db, "bilal")
    code, _, err = run(capsys, "--db", db, "--recommender", "patterns", "--patterns", patterns, "--annotator", "bilal")
    assert code == 2
    assert f"{patterns}:2: token 1: attribute 'pos' is not supported" in err
    assert _states(db, "bilal")[1] == log_before
    patterns.write_text('{"label": "GPE", "pattern": "الأردن"}\n', encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "--recommender", "patterns", "--patterns", patterns, "--annotator", "bilal")
    assert code == 0, err
    states, _ = _states(db, "bilal")
    assert [(e.text_in(D2), e.source) for e in states["d2"].entities] == [("الأردن", "recommend:patterns")]


def test_an_option_of_another_recommender_is_refused(db, capsys, tmp_path):
    code, _, err = run(capsys, "--db", db, "--recommender", "string-match", "--patterns", tmp_path / "p.tsv")
    assert code == 2 and "--patterns is an option of the patterns recommender, not of string-match" in err
    code, _, err = run(capsys, "--db", db, "--recommender", "patterns")
    assert code == 2 and "needs --patterns FILE" in err


def test_claim_cues_link_the_claimer_among_existing_entities(db, capsys):
    run(capsys, "--db", db, "--recommender", "string-match", "--annotator", "bilal")
    code, out, err = run(capsys, "--db", db, "--recommender", "claim-cues", "--annotator", "bilal")
    assert code == 0, err
    d1 = _states(db, "bilal")[0]["d1"]
    (claim,) = d1.claims
    assert claim.text_in(D1) == "الأردن يرفض أي تهجير للفلسطينيين" and claim.source == "recommend:claim-cues"
    assert d1.entity(claim.claimer).text_in(D1) == "أيمن الصفدي"


def test_camel_ner_without_its_model_is_one_line(db, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path / "none"))
    code, out, err = run(capsys, "--db", db, "--recommender", "camel-ner")
    assert code == 2 and err.count("\n") == 1 and "camel_data -i ner-arabert" in err


def test_camel_ner_runs_in_a_worker_and_writes_mapped_labels(db, capsys, monkeypatch):
    import threading

    from annotator.recommend import camel_ner

    threads = []

    class Fake:
        def predict(self, sentences, batch_size=32):
            threads.append(threading.current_thread())
            return [["B-PERS" if tok == "الصفدي" else "B-LOC" if tok == "بغداد" else "O" for tok in s]
                    for s in sentences]

    monkeypatch.setattr(camel_ner, "load_recognizer", lambda explicit=None: Fake())
    code, out, err = run(capsys, "--db", db, "--recommender", "camel-ner", "--annotator", "bilal")
    assert code == 0, err
    d3 = _states(db, "bilal")[0]["d3"]
    assert [(e.text_in(D3), e.label, e.source) for e in d3.entities] == [
        ("الصفدي", "PER", "recommend:camel-ner"), ("بغداد", "GPE", "recommend:camel-ner")]
    assert threads and all(t is not threading.main_thread() for t in threads)


def test_the_progress_bar_is_drawn_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = _Bar(stream, 4, "string-match\x1b]52: proposing")
        bar.update(2, force=True)
        bar.close()
    assert "[###############...............] 2/4" in tty.getvalue()
    assert tty.getvalue().count("\x1b") == 2  # its own erase-line escapes only: a name is never raw
    assert pipe.getvalue() == ""


def test_on_a_terminal_the_bar_is_drawn_raw_and_the_summary_stays_escaped(db, monkeypatch, capsys):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    monkeypatch.setattr("sys.stderr", tty)
    assert main(["pre-annotate", "--db", str(db), "--recommender", "string-match", "--annotator", "bilal"]) == 0
    drawn = tty.getvalue()
    assert "\r\x1b[2K" in drawn and "string-match: proposing [" in drawn and "\\x1b" not in drawn
    assert "proposal(s) added" in capsys.readouterr().out
