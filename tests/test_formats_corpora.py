"""The real corpora in ../shared/data, imported and exported without silent loss.

Entity counts are checked against an independent count of each file's tags, made
here by a few lines that know nothing of annotator.formats.bio.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from annotator.formats.base import ReadContext, WriteContext, get_format
from annotator.formats.detect import detect_format
from annotator.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"corpora not available: {DATA} is absent"),
]

NER_FILES = sorted(p for p in DATA.glob("ner_*/*.txt") if p.name != "SOURCE.txt") if DATA.is_dir() else []
CLEAN_NER = ("wojood_val.txt", "wojood_train_first150sent.txt", "Damascus.txt", "dev_first80sent.txt")


def count_tag_spans(path: Path) -> int:
    """Independent count: B- tags, plus I- tags that start a run (the tag above in the same
    column is not B-/I- of the same label). Blank and one-field lines break runs."""
    total, above = 0, []
    for line in path.read_text(encoding="utf-8").split("\n"):
        tags = line.split()[1:]
        for col, tag in enumerate(tags):
            if tag.startswith("B-"):
                total += 1
            elif tag.startswith("I-"):
                prev = above[col] if col < len(above) else "O"
                if prev not in ("B-" + tag[2:], tag):
                    total += 1
        above = tags
    return total


def count_sentences(path: Path) -> int:
    blocks, inside = 0, False
    for line in path.read_text(encoding="utf-8").split("\n"):
        fields = line.split()
        token_line = len(fields) >= 2
        if token_line and not inside:
            blocks += 1
        inside = token_line
    return blocks


def read(name: str, path: Path, **kw):
    ctx = ReadContext(**kw)
    return list(get_format(name).read(path, ctx)), ctx


@pytest.mark.parametrize("path", NER_FILES, ids=lambda p: p.name)
def test_ner_file_entity_count_equals_independent_tag_count(path):
    expected = count_tag_spans(path)
    records, ctx = read("conll", path, repair=True)
    assert sum(len(r.annotations.entities) for r in records) == expected
    assert len(records) == count_sentences(path)
    # without --repair an orphan inside-tag's span is left out, and each one is reported
    records, ctx = read("conll", path)
    orphans = [p for p in ctx.problems if "without a begin" in p.message]
    assert sum(len(r.annotations.entities) for r in records) + len(orphans) == expected
    assert all(p.line is not None and p.path == str(path) for p in ctx.problems)


@pytest.mark.parametrize("path", NER_FILES, ids=lambda p: p.name)
def test_ner_files_are_detected_as_conll(path):
    assert detect_format(path)[0].name == "conll"


@pytest.mark.parametrize("name", CLEAN_NER)
def test_clean_ner_files_export_back_byte_identical(name):
    path = next(p for p in NER_FILES if p.name == name)
    records, ctx = read("conll", path)
    assert ctx.problems == []
    out = io.StringIO()
    wctx = WriteContext(load_schema(ROOT / "schemas" / "wojood.yaml"))
    get_format("conll").write(records, out, wctx)
    assert wctx.problems == []
    original = path.read_text(encoding="utf-8")
    assert out.getvalue().rstrip("\n") == original.rstrip("\n")  # a final blank line is the only freedom


def test_wojood_edge_cases():
    path = DATA / "ner_wojood" / "wojood_train_edgecases.txt"
    records, ctx = read("conll", path)
    assert [(p.line, "I-FAC" in p.message) for p in ctx.problems] == [(1, True)]
    birzeit = records[1]
    token = "بيرزيت"
    at = birzeit.document.text.index(token)
    covering = sorted((e.label, birzeit.document.text[e.start:e.end]) for e in birzeit.annotations.entities
                      if e.start <= at < e.end)
    assert [lab for lab, _ in covering] == ["EVENT", "GPE", "ORG", "ORG"]  # 4 nested levels on one token
    assert ("GPE", token) in covering
    repaired, rctx = read("conll", path, repair=True)
    assert rctx.repairs == 1
    assert ("FAC", "الفرنسي") in [(e.label, repaired[0].document.text[e.start:e.end])
                                   for e in repaired[0].annotations.entities]
    # text is sacred: the presentation-form letter and the $#$ markers stay as they are
    assert any("\ufe81" in r.document.text for r in records)
    val, _ = read("conll", DATA / "ner_wojood" / "wojood_val.txt")
    assert any("$#$ $#$" in r.document.text for r in val)


def test_wojood_schema_accepts_every_wojood_label():
    schema = load_schema(ROOT / "schemas" / "wojood.yaml")
    for name in ("wojood_val.txt", "wojood_train_first150sent.txt"):
        records, ctx = read("conll", DATA / "ner_wojood" / name, schema=schema)
        assert ctx.problems == [] and len(records) == count_sentences(DATA / "ner_wojood" / name)


def test_anercorp_corrected_quirks_are_reported_with_lines():
    path = DATA / "ner_anercorp_camel" / "ANERcorp_test_corrected_lines1-3459.txt"
    records, ctx = read("conll", path)
    flags = [p for p in ctx.problems if "REVISIT" in p.message.upper()]
    markers = [p for p in ctx.problems if "marker line" in p.message]
    lines = path.read_text(encoding="utf-8").split("\n")
    assert [p.line for p in markers] == [i + 1 for i, ln in enumerate(lines) if ln.strip().lower() == "article"]
    assert [p.line for p in flags] == [i + 1 for i, ln in enumerate(lines) if len(ln.split()) == 3]
    # the flags are kept and written back on export
    out = io.StringIO()
    get_format("conll").write(records, out, WriteContext(load_schema(ROOT / "schemas" / "conll.yaml")))
    assert out.getvalue().count("REVISIT") == sum(ln.count("REVISIT") for ln in lines)
    assert out.getvalue().count("\narticle\n") == sum(1 for ln in lines if ln == "article")


def test_anercorp_labels_need_a_label_map_for_the_conll_schema():
    schema = load_schema(ROOT / "schemas" / "conll.yaml")
    path = DATA / "ner_anercorp_camel" / "ANERcorp_test_original_first100sent.txt"
    records, ctx = read("conll", path, schema=schema, repair=True)
    rejected = [p for p in ctx.problems if "not imported" in p.message and "PERS" in p.message]
    assert rejected and all("labels not in schema 'conll': PERS" in p.message for p in rejected)
    assert len(records) + len(rejected) == count_sentences(path)  # every sentence is imported or listed
    records, ctx = read("conll", path, schema=schema, repair=True, label_map={"PERS": "PER"})
    assert len(records) == count_sentences(path)
    assert sum(len(r.annotations.entities) for r in records) == count_tag_spans(path)
    assert {e.label for r in records for e in r.annotations.entities} <= {"PER", "LOC", "ORG", "MISC"}


def test_aqmar_stray_tags_are_listed_by_the_schema_check():
    path = DATA / "ner_aqmar" / "aqmar_edgecases.txt"
    records, ctx = read("conll", path, schema=load_schema(ROOT / "schemas" / "conll.yaml"), repair=True)
    listed = " ".join(p.message for p in ctx.problems if "labels not in schema" in p.message)
    for label in ("MIS1`", "MIS1", "-ORG", "ENGLISH", "SPANISH", "MIS-1"):
        assert label in listed
    malformed = [p.message for p in ctx.problems if "malformed tag" in p.message]
    assert any("'IO'" in m for m in malformed) and any("'OO'" in m for m in malformed)


def test_aqmar_truth_csv_matches_the_bio_spans_of_its_token_file():
    truth = DATA / "ner_aqmar_topcoder" / "truth_dev_first80sent.csv"
    rows = len(truth.read_text(encoding="utf-8").strip().split("\n")) - 1
    records, ctx = read("aqmar-truth", truth)
    assert sum(len(r.annotations.entities) for r in records) == rows
    assert detect_format(truth)[0].name == "aqmar-truth"
    bio, _ = read("conll", DATA / "ner_aqmar_topcoder" / "dev_first80sent.txt")
    def spans(recs):
        return [(r.document.id, r.document.text, [(e.start, e.end, e.label) for e in r.annotations.entities])
                for r in recs]

    assert spans(records) == spans(bio)


def test_aqmar_truth_quoting_quirks_and_missing_token_files_are_listed():
    quirks = DATA / "ner_aqmar_topcoder" / "truth_quoting_quirks.csv"
    records, ctx = read("aqmar-truth", quirks)
    messages = [p.message for p in ctx.problems]
    assert any('unescaped "' in m for m in messages) and any('\\"' in m for m in messages)
    assert any("train.txt not imported" in m for m in messages)  # no train token file here
    assert any("16725" in m and "row not imported" in m for m in messages)  # past the sampled lines


def test_araieval_offsets_are_utf16_and_shifted_spans_are_handled():
    path = DATA / "spans_araieval24_task1" / "araieval24_task1_dev.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    total = sum(len(it["labels"]) for it in items)
    records, ctx = read("araieval", path, repair=True)
    assert len(records) == len(items)
    assert sum(len(r.annotations.entities) for r in records) == total
    assert ctx.repairs == 54  # the 54 spans shifted from their text (README §2.4)
    for rec, item in zip(records, items, strict=True):
        texts = Counter(rec.document.text[e.start:e.end] for e in rec.annotations.entities)
        assert texts == Counter(lab["text"] for lab in item["labels"])
    records, ctx = read("araieval", path)
    skipped = [p for p in ctx.problems if p.message.endswith("not imported")]
    assert sum(len(r.annotations.entities) for r in records) + len(skipped) == total
    emoji_items = [r for r in records if any(ord(ch) > 0xFFFF for ch in r.document.text)]
    assert emoji_items  # the UTF-16 conversion is exercised


@pytest.mark.parametrize("name", [
    "claims_checkthat2021_ar/CT21-AR-Train-T1-Labels_first300.tsv",
    "claims_checkthat2021_ar/CT21-AR-Dev-T1-Labels_first200.tsv",
    "claims_checkthat2022_ar/CT22_arabic_1A_checkworthy_train_first300.tsv",
    "claims_checkthat2022_ar/CT22_arabic_1B_claim_train_first300.tsv",
    "claims_checkthat2022_ar/CT2022-Task2A-AR-Train_Queries_first40.tsv",
])
def test_checkthat_tweets_all_imported_with_labels_and_round_trip(name):
    path = DATA / name
    records, ctx = read("checkthat", path)
    assert ctx.problems == []
    expected = {"first300": 300, "first200": 200, "first40": 40}
    assert len(records) == next(n for k, n in expected.items() if k in name)
    header = path.read_text(encoding="utf-8").split("\n", 1)[0].split("\t")
    labels = [c for c in header if c in ("claim", "claim_worthiness", "class_label")]
    assert all(set(r.annotations.attributes) == set(labels) for r in records)
    out = io.StringIO()
    get_format("checkthat").write(records, out, WriteContext(load_schema(ROOT / "schemas" / "news.yaml")))
    assert out.getvalue() == path.read_text(encoding="utf-8")


def test_checkthat_queries_keep_multiline_quoted_text():
    path = DATA / "claims_checkthat2022_ar" / "CT2022-Task2A-AR-Train_Queries_first40.tsv"
    records, _ = read("checkthat", path)
    assert records[0].document.id == "tweet-ar-003"
    assert "\n\n" in records[0].document.text and "🚨" in records[0].document.text


def test_wojood_through_native_to_conll_keeps_every_nested_entity(tmp_path):
    path = DATA / "ner_wojood" / "wojood_val.txt"
    records, _ = read("conll", path)
    schema = load_schema(ROOT / "schemas" / "wojood.yaml")
    native = tmp_path / "val.jsonl"
    with native.open("w", encoding="utf-8") as out:
        get_format("native").write(records, out, WriteContext(schema))
    back, nctx = read("native", native, schema=schema)
    assert nctx.problems == []
    def spans(recs):
        return [(r.document.id, r.document.text,
                 sorted((e.start, e.end, e.label) for e in (r.annotations.entities if r.annotations else ())))
                for r in recs]

    assert spans(back) == spans(records)
    nested = [e for r in back if r.annotations for e in r.annotations.entities
              if any(o is not e and o.start <= e.start and e.end <= o.end for o in r.annotations.entities)]
    assert len(nested) > 50
    out = io.StringIO()
    wctx = WriteContext(schema)
    get_format("conll").write(back, out, wctx)
    assert wctx.problems == []
    assert out.getvalue().rstrip("\n") == path.read_text(encoding="utf-8").rstrip("\n")
