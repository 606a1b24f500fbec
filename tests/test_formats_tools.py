"""Prodigy, doccano, Label Studio, brat and CheckThat!: each tool's own shapes, hand-written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from annotator.errors import AnnotatorError, InputError
from annotator.exporting import export_records
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.formats.prodigy import hash32
from annotator.model.annotations import Annotations, Document, Entity
from annotator.schema import load_schema
from annotator.schema.model import Attribute, Schema

ROOT = Path(__file__).resolve().parents[1]
NEWS = load_schema(ROOT / "schemas" / "news.yaml")
TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
EMOJI = "🚨 عاجل: أعلنت وزارة الصحة 😷 تسجيل 120 إصابة في القاهرة"


def units(text: str, cp: int) -> int:
    """JavaScript (UTF-16) offset of a code-point offset, computed independently."""
    return len(text[:cp].encode("utf-16-le")) // 2


def read(name: str, tmp_path: Path, content: str, filename: str = "in.data", **kw):
    p = tmp_path / filename
    p.write_text(content, encoding="utf-8")
    ctx = ReadContext(**kw)
    return list(get_format(name).read(p, ctx)), ctx


def spans(rec: Record) -> list[tuple[str, str]]:
    return [(e.label, rec.document.text[e.start:e.end]) for e in rec.annotations.entities]


# -- Prodigy ------------------------------------------------------------------------


def test_prodigy_ner_manual_answer_as_documented(tmp_path):
    words, start = [], 0  # Prodigy's blank:ar tokens split on spaces only ("2019." stays one token)
    for i, word in enumerate(TEXT.split(" ")):
        words.append({"text": word, "start": start, "end": start + len(word), "id": i, "ws": True})
        start += len(word) + 1
    words[-1]["ws"] = False
    task = {"text": TEXT, "tokens": words,
            "spans": [{"start": 4, "end": 14, "token_start": 1, "token_end": 2, "label": "PER"}],
            "answer": "accept", "_input_hash": 123, "_task_hash": -987, "_view_id": "spans_manual",
            "_annotator_id": "news-alice", "_session_id": "news-alice", "_timestamp": 1732240000}
    (rec,), ctx = read("prodigy", tmp_path, json.dumps(task, ensure_ascii=False) + "\n", "a.jsonl")
    assert ctx.problems == []
    assert spans(rec) == [("PER", "مصطفى بالي")]
    assert rec.annotations.annotator == "news-alice" and rec.annotations.status == "done"
    assert rec.annotations.entities[0].source == "import:prodigy"
    out = io.StringIO()
    get_format("prodigy").write([rec], out, WriteContext(NEWS))
    assert json.loads(out.getvalue()) == task  # hashes, tokens and extra keys come back as they were


def test_prodigy_answers_map_to_statuses_and_bad_spans_are_reported(tmp_path):
    lines = [{"text": "أ ب", "spans": [{"start": 0, "end": 9, "label": "PER"}], "answer": "reject"},
             {"text": "أ ب", "spans": [{"start": 0, "end": 1, "label": "PER", "text": "ب"}], "answer": "ignore"},
             {"text": "أ ب", "relations": [{"label": "LIVES_IN", "head": 0, "child": 1}]}]
    recs, ctx = read("prodigy", tmp_path, "\n".join(json.dumps(x) for x in lines) + "\n", "a.jsonl")
    assert [r.annotations.status for r in recs] == ["flagged", "skipped", "todo"]
    assert [p.line for p in ctx.problems] == [1, 2, 3]
    assert "outside the text" in ctx.problems[0].message and "differs" in ctx.problems[1].message
    assert "LIVES_IN" in ctx.problems[2].message


def test_prodigy_hashes_are_deterministic_and_documented():
    rec = Record(Document("d", TEXT), Annotations("d", "alice", entities=(Entity("e1", 4, 14, "PER"),)))
    out1, out2 = io.StringIO(), io.StringIO()
    get_format("prodigy").write([rec], out1, WriteContext(NEWS))
    get_format("prodigy").write([rec], out2, WriteContext(NEWS))
    task = json.loads(out1.getvalue())
    assert out1.getvalue() == out2.getvalue()
    assert task["_input_hash"] == hash32(TEXT)
    import hashlib

    assert task["_input_hash"] == int.from_bytes(hashlib.sha256(TEXT.encode()).digest()[:4], "big", signed=True)
    assert task["spans"][0]["token_start"] == 1 and task["spans"][0]["token_end"] == 2  # inclusive
    assert task["_annotator_id"] == "alice" and task["meta"] == {"doc_id": "d"}


# -- doccano --------------------------------------------------------------------------


def test_doccano_label_form_and_relation_form(tmp_path):
    lines = [{"text": TEXT, "label": [[4, 14, "PER"], [18, 40, "ORG"]]},
             {"text": TEXT, "entities": [{"id": 0, "start_offset": 4, "end_offset": 14, "label": "PER"},
                                         {"id": 4, "start_offset": 18, "end_offset": 67, "label": "CLAIM"}],
              "relations": [{"id": 0, "from_id": 4, "to_id": 0, "type": "claimed_by"},
                            {"id": 1, "from_id": 0, "to_id": 9, "type": "claimed_by"}]}]
    recs, ctx = read("doccano", tmp_path, "\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "d.jsonl")
    assert spans(recs[0]) == [("PER", "مصطفى بالي"), ("ORG", "قوات سوريا الديمقراطية")]
    (claim,) = recs[1].annotations.claims
    assert TEXT[claim.start:claim.end].startswith("قوات") and claim.claimer == recs[1].annotations.entities[0].id
    assert [(p.line, "does not go from a claim" in p.message) for p in ctx.problems] == [(2, True)]


def test_unknown_labels_reject_the_record_with_a_list(tmp_path):
    line = json.dumps({"text": TEXT, "label": [[4, 14, "PERSON"], [18, 40, "ORGANIZATION"], [0, 3, "PERSON"]]})
    recs, ctx = read("doccano", tmp_path, line, "d.jsonl", schema=NEWS)
    assert recs == []
    assert "ORGANIZATION (1), PERSON (2)" in ctx.problems[0].message and "--label-map" in ctx.problems[0].message
    recs, ctx = read("doccano", tmp_path, line, "d.jsonl", schema=NEWS,
                     label_map={"PERSON": "PER", "ORGANIZATION": "ORG"})
    assert [lab for lab, _ in spans(recs[0])] == ["PER", "ORG", "PER"] and ctx.problems == []


# -- Label Studio ---------------------------------------------------------------------


def _ls_task(text: str) -> dict:
    org = text.index("وزارة الصحة")
    city = text.index("القاهرة")
    claim = text.index("تسجيل")
    return {"id": 7, "data": {"text": text}, "annotations": [
        {"id": 1, "completed_by": 3, "result": [
            {"id": "r0", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": units(text, org), "end": units(text, org + 11), "text": "وزارة الصحة",
                       "labels": ["ORG"]}},
            {"id": "r1", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": units(text, city), "end": units(text, city + 7), "labels": ["GPE"]}},
            {"id": "r4", "from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": units(text, claim), "end": units(text, len(text)), "labels": ["Claim"]}},
            {"from_id": "r4", "to_id": "r0", "type": "relation", "direction": "right", "labels": ["claimed_by"]},
            {"id": "r4", "from_name": "verdict", "to_name": "text", "type": "choices",
             "value": {"choices": ["true"]}},
            {"id": "c1", "from_name": "topic", "to_name": "text", "type": "textarea", "value": {"text": ["صحة"]}},
        ]},
        {"id": 2, "completed_by": 4, "result": []}]}


def test_label_studio_emoji_offsets_are_exact_both_ways(tmp_path):
    task = _ls_task(EMOJI)
    recs, ctx = read("label-studio", tmp_path, json.dumps([task], ensure_ascii=False), "ls.json", schema=NEWS)
    assert ctx.problems == []
    first, second = recs
    assert spans(first) == [("ORG", "وزارة الصحة"), ("GPE", "القاهرة")]
    (claim,) = first.annotations.claims
    assert EMOJI[claim.start:claim.end] == "تسجيل 120 إصابة في القاهرة"
    assert claim.claimer == "r0" and claim.attributes == {"verdict": "true"}
    assert first.annotations.attributes == {"topic": "صحة"}
    assert (first.annotations.annotator, second.annotations.annotator) == ("3", "4")
    out = io.StringIO()
    get_format("label-studio").write(recs, out, WriteContext(NEWS))
    (back,) = json.loads(out.getvalue())
    assert len(back["annotations"]) == 2  # both annotators in the one task again
    got = {r["id"]: (r["value"]["start"], r["value"]["end"]) for r in back["annotations"][0]["result"]
           if r.get("type") == "labels"}
    want = {r["id"]: (r["value"]["start"], r["value"]["end"]) for r in task["annotations"][0]["result"]
            if r.get("type") == "labels"}
    assert got == want


def test_label_studio_offset_inside_an_emoji_is_reported(tmp_path):
    task = {"data": {"text": EMOJI}, "annotations": [{"result": [
        {"id": "x", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 1, "end": 5, "labels": ["ORG"]}}]}]}
    (rec,), ctx = read("label-studio", tmp_path, json.dumps([task]), "ls.json")
    assert rec.annotations.entities == () and "split" in ctx.problems[0].message


def test_label_studio_predictions_are_pre_annotations(tmp_path):
    task = {"data": {"text": TEXT}, "predictions": [{"result": [
        {"id": "p", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 4, "end": 14, "labels": ["PER"]}}]}]}
    (rec,), _ = read("label-studio", tmp_path, json.dumps([task]), "ls.json")
    assert rec.annotations.status == "todo" and rec.annotations.entities[0].source == "import:label-studio"


def test_label_studio_to_prodigy_keeps_exact_emoji_offsets(tmp_path):
    recs, _ = read("label-studio", tmp_path, json.dumps([_ls_task(EMOJI)], ensure_ascii=False), "ls.json")
    out = tmp_path / "p.jsonl"
    export_records(get_format("prodigy"), recs[:1], out, WriteContext(NEWS))
    (back,) = list(get_format("prodigy").read(out, ReadContext()))
    assert spans(back) == spans(recs[0])
    assert [(c.start, c.end) for c in back.annotations.claims] == [(c.start, c.end) for c in recs[0].annotations.claims]


def test_label_studio_min_reads_flat_regions_in_utf16(tmp_path):
    org = EMOJI.index("وزارة الصحة")
    item = {"id": 1, "text": EMOJI, "label": [{"start": units(EMOJI, org), "end": units(EMOJI, org + 11),
                                              "text": "وزارة الصحة", "labels": ["ORG"]}],
            "annotator": "alice", "annotation_id": 5, "lead_time": 3.5}
    (rec,), ctx = read("label-studio-min", tmp_path, json.dumps([item], ensure_ascii=False), "m.json")
    assert ctx.problems == [] and spans(rec) == [("ORG", "وزارة الصحة")]
    out = io.StringIO()
    get_format("label-studio-min").write([rec], out, WriteContext(NEWS))
    assert json.loads(out.getvalue()) == [item]


# -- brat ------------------------------------------------------------------------------


def test_brat_keeps_what_our_model_has_no_place_for(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(f"{TEXT}\r\nسطر ثان\r\n".encode())
    ann = ("T1\tPER 4 14\tمصطفى بالي\nT2\tClaim 18 67\tقوات سوريا الديمقراطية سيطرت على الباغوز عام 2019\n"
           "A1\tVerdict T2 true\nA2\tNeeds_review T2\nR1\tClaimer Arg1:T2 Arg2:T1\n"
           "#1\tAnnotatorNotes T1\tالمتحدث الرسمي\nA3\tNegated T1\nN1\tReference T1 Wikidata:Q1\n"
           "T3\tLOC 0 3;4 9\tقال مصطفى\n")
    (folder / "a.ann").write_text(ann, encoding="utf-8")
    recs, ctx = read_folder("brat", folder)
    (rec,) = recs
    assert rec.document.text.endswith("\r\n")  # text kept exactly
    (claim,) = rec.annotations.claims
    assert claim.id == "T2" and claim.claimer == "T1" and claim.attributes == {"Verdict": "true",
                                                                                "Needs_review": True}
    assert "discontinuous" in " ".join(p.message for p in ctx.problems)
    out = tmp_path / "out"
    export_records(get_format("brat"), recs, out, WriteContext(NEWS))
    assert (out / "a.txt").read_bytes() == (folder / "a.txt").read_bytes()
    written = (out / "a.ann").read_text(encoding="utf-8").splitlines()
    for kept in ("#1\tAnnotatorNotes T1\tالمتحدث الرسمي", "A3\tNegated T1", "N1\tReference T1 Wikidata:Q1",
                 "R1\tClaimer Arg1:T2 Arg2:T1", "A2\tNeeds_review T2"):
        assert kept in written
    repaired, rctx = read_folder("brat", folder, repair=True)
    assert ("LOC", "قال مصطفى") in spans(repaired[0]) and rctx.repairs == 1


def read_folder(name: str, folder: Path, **kw):
    ctx = ReadContext(**kw)
    return list(get_format(name).read(folder, ctx)), ctx


def test_brat_needs_the_text_and_a_folder_for_export(tmp_path):
    (tmp_path / "lonely.ann").write_text("T1\tPER 0 1\tx\n", encoding="utf-8")
    with pytest.raises(InputError, match="lonely.txt"):
        list(get_format("brat").read(tmp_path / "lonely.ann", ReadContext()))
    with pytest.raises(AnnotatorError, match="folder"):
        get_format("brat").write([], io.StringIO(), WriteContext(NEWS))


# -- CheckThat! and document attributes ------------------------------------------------


def test_checkthat_attributes_are_typed_by_the_schema_and_unknown_ones_listed(tmp_path):
    content = ("topic\ttweet_id\ttweet_url\ttweet_text\tclass_label\n"
               "COVID-19\t1\tu\t\"كورونا\" في قطر\t1\nCOVID-19\t2\tu\tنص بلا عمود\n")
    schema = Schema("ct", "1", document_attributes=(Attribute("check_worthy", "boolean"),))
    recs, ctx = read("checkthat", tmp_path, content, "ct.tsv", schema=schema,
                     label_map={"class_label": "check_worthy"})
    assert [r.annotations.attributes for r in recs] == [{"check_worthy": True}]
    assert recs[0].document.text == "\"كورونا\" في قطر"
    assert [(p.line, "found 4" in p.message) for p in ctx.problems] == [(3, True)]
    recs, ctx = read("checkthat", tmp_path, content, "ct.tsv", schema=schema)
    assert recs == [] and "unknown document attribute(s), not in the schema: 'class_label'" in ctx.problems[0].message


def test_aqmar_truth_is_import_only():
    with pytest.raises(AnnotatorError, match="not exported"):
        export_records(get_format("aqmar-truth"), [], Path("/nonexistent/x.csv"), WriteContext(NEWS))


def test_brat_write_to_a_folder_path_and_label_studio_region_ids_stay_distinct(tmp_path):
    from annotator.model.annotations import Claim

    rec = Record(Document("d/1", TEXT), Annotations("d/1", "alice", entities=(Entity("x1", 4, 14, "PER"),),
                                                    claims=(Claim("x1", 18, 67, {}, "x1"),)))
    export_records(get_format("brat"), [rec], tmp_path / "out", WriteContext(NEWS))
    assert (tmp_path / "out" / "d_1.ann").read_text(encoding="utf-8").splitlines() == [
        "T1\tPER 4 14\tمصطفى بالي", f"T2\tClaim 18 67\t{TEXT[18:67]}", "R1\tClaimer Arg1:T2 Arg2:T1"]
    out = io.StringIO()
    get_format("label-studio").write([rec], out, WriteContext(NEWS))
    p = tmp_path / "ls.json"
    p.write_text(out.getvalue(), encoding="utf-8")
    (back,) = list(get_format("label-studio").read(p, ReadContext()))
    assert back.annotations.claims[0].claimer == "x1" and back.annotations.entities[0].id == "x1"


def test_label_studio_text_under_another_data_key_comes_back_under_it(tmp_path):
    task = {"id": 3, "data": {"tweet": EMOJI, "source_id": 99}, "annotations": [{"result": []}]}
    (rec,), ctx = read("label-studio", tmp_path, json.dumps([task], ensure_ascii=False), "ls.json")
    assert rec.document.text == EMOJI and rec.document.id == "3"
    out = io.StringIO()
    get_format("label-studio").write([rec], out, WriteContext(NEWS))
    (back,) = json.loads(out.getvalue())
    assert back["data"] == {"tweet": EMOJI, "source_id": 99} and back["id"] == 3


def test_claim_attributes_are_checked_against_the_schema(tmp_path):
    def line(attrs):
        return json.dumps({"text": TEXT, "entities": [
            {"id": 0, "start_offset": 18, "end_offset": 67, "label": "CLAIM", "attributes": attrs}],
            "relations": []}, ensure_ascii=False)

    recs, ctx = read("doccano", tmp_path, line({"verdict": "true", "confidence": "4", "needs_review": "1"}),
                     "d.jsonl", schema=NEWS)
    assert ctx.problems == []
    assert recs[0].annotations.claims[0].attributes == {"verdict": "true", "confidence": 4, "needs_review": True}
    recs, ctx = read("doccano", tmp_path, line({"confidence": 9}), "d.jsonl", schema=NEWS)
    assert recs == [] and "must be at most 5" in ctx.problems[0].message
    recs, ctx = read("doccano", tmp_path, line({"verdict": "maybe", "mood": "x", "confidence": "high"}),
                     "d.jsonl", schema=NEWS)
    assert recs == [] and ctx.rejected == 1
    message = ctx.problems[0].message
    assert "'maybe' is not one of" in message and "not a number" in message and "not in the schema: 'mood'" in message
