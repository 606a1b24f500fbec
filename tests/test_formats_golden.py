"""Golden files per format (hand-checked Arabic examples in tests/golden/formats) and
round trips: import → export in the same format gives the same bytes, and what
each format cannot hold is exactly what docs/formats.md says it loses."""

from __future__ import annotations

import filecmp
import io
import json
from pathlib import Path

import pytest

from annotator.exporting import export_records
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Document
from annotator.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "formats"
NEWS = load_schema(ROOT / "schemas" / "news.yaml")

# format -> golden file written from tests/golden/example_records.json
GOLDEN_FILES = {
    "prodigy": "example.prodigy.jsonl",
    "doccano": "example.doccano.jsonl",
    "label-studio": "example.label-studio.json",
    "label-studio-min": "example.label-studio-min.json",
    "brat": "example.brat",
    "conll": "example.conll",
}
# what survives a trip through each format (docs/formats.md, "what each format keeps")
KEEPS = {
    "prodigy": {"claims", "claimer", "claim_attributes", "notes", "doc_attributes"},
    "doccano": {"claims", "claimer", "claim_attributes", "notes", "doc_attributes", "status"},
    "label-studio": {"claims", "claimer", "claim_attributes", "notes", "doc_attributes"},
    "label-studio-min": {"claims", "notes", "doc_attributes"},
    "brat": {"claims", "claimer", "claim_attributes"},
    "conll": set(),
}


def example_records() -> list[Record]:
    data = json.loads((ROOT / "tests" / "golden" / "example_records.json").read_text(encoding="utf-8"))
    return [Record(Document(**d["document"]), Annotations.from_json(d["annotations"])) for d in data]


def view(rec: Record, keeps: set[str]) -> dict:
    """What a record says, independent of ids and offsets' origin (spans by label and text)."""
    doc, ann = rec.document, rec.annotations
    text = doc.text
    by_id = {e.id: e for e in ann.entities}
    out: dict = {"entities": sorted((e.label, text[e.start:e.end]) for e in ann.entities)}
    if "claims" in keeps:
        out["claims"] = sorted(
            (text[c.start:c.end],
             text[by_id[c.claimer].start:by_id[c.claimer].end] if "claimer" in keeps and c.claimer else None,
             tuple(sorted(c.attributes.items())) if "claim_attributes" in keeps else ())
            for c in ann.claims)
    for part in ("notes", "status"):
        if part in keeps:
            out[part] = getattr(ann, part)
    if "doc_attributes" in keeps:
        out["attributes"] = dict(ann.attributes)
    return out


def read_all(name: str, path: Path, **kw) -> tuple[list[Record], ReadContext]:
    ctx = ReadContext(**kw)
    return list(get_format(name).read(path, ctx)), ctx


def write_to(name: str, records: list[Record], target: Path) -> WriteContext:
    ctx = WriteContext(NEWS)
    export_records(get_format(name), records, target, ctx)
    return ctx


def same_output(a: Path, b: Path) -> bool:
    if a.is_dir():
        cmp = filecmp.dircmp(a, b)
        return not (cmp.diff_files or cmp.left_only or cmp.right_only) and all(
            filecmp.cmp(a / f, b / f, shallow=False) for f in cmp.common_files)
    return a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_export_of_the_example_matches_its_golden_file(name, tmp_path):
    out = tmp_path / GOLDEN_FILES[name]
    write_to(name, example_records(), out)
    assert same_output(out, GOLDEN / GOLDEN_FILES[name])


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_golden_file_imports_to_the_example_minus_what_the_format_loses(name):
    records, ctx = read_all(name, GOLDEN / GOLDEN_FILES[name], schema=NEWS)
    assert ctx.problems == []
    expected = example_records()
    assert len(records) == len(expected)
    for got, want in zip(records, expected, strict=True):
        assert view(got, KEEPS[name]) == view(want, KEEPS[name])
        assert all(e.source == f"import:{name}" for e in got.annotations.entities)
        if name != "conll":  # CoNLL documents are the tokens joined by spaces
            assert got.document.text == want.document.text
        else:
            assert got.document.text.split(" ") == [want.document.text[s:e] for s, e in _tokens(want.document.text)]


def _tokens(text: str) -> list[tuple[int, int]]:
    from annotator.text import tokenize

    return [(t.start, t.end) for t in tokenize(text)]


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_round_trip_of_the_golden_file_is_byte_identical(name, tmp_path):
    records, _ = read_all(name, GOLDEN / GOLDEN_FILES[name], schema=NEWS)
    out = tmp_path / GOLDEN_FILES[name]
    write_to(name, records, out)
    assert same_output(out, GOLDEN / GOLDEN_FILES[name])


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_our_claims_and_attributes_survive_where_the_format_holds_them(name, tmp_path):
    out = tmp_path / GOLDEN_FILES[name]
    wctx = write_to(name, example_records(), out)
    back, _ = read_all(name, out, schema=NEWS)
    for got, want in zip(back, example_records(), strict=True):
        assert view(got, KEEPS[name]) == view(want, KEEPS[name])
    lossy = {"claims", "claimer", "claim_attributes"} - KEEPS[name]
    if lossy:  # losses are reported, never silent
        assert len([p for p in wctx.problems if "claim" in p.message]) == len(back)


def test_brat_reports_what_it_cannot_hold(tmp_path):
    wctx = write_to("brat", example_records(), tmp_path / "out")
    assert any("status, notes or attributes" in p.message for p in wctx.problems)


# -- the corpus-only readers ---------------------------------------------------------


def test_checkthat_golden_reads_document_attributes_and_round_trips(tmp_path):
    path = GOLDEN / "example.checkthat.tsv"
    records, ctx = read_all("checkthat", path)
    assert ctx.problems == []
    assert [r.document.id for r in records] == ["1001", "1002"]
    assert records[0].document.text == '"عاجل": وزارة الصحة تعلن تسجيل 120 إصابة جديدة 😷'
    assert records[1].document.text.endswith('جماعة "')  # a lone quote, read with quoting off
    assert records[0].annotations.attributes == {"claim": "1", "claim_worthiness": "1"}
    assert records[0].document.meta["topic_id"] == "CT20-AR-02"
    out = io.StringIO()
    get_format("checkthat").write(records, out, WriteContext(NEWS))
    assert out.getvalue() == path.read_text(encoding="utf-8")


def test_araieval_golden_utf16_offsets_and_a_shifted_span(tmp_path):
    path = GOLDEN / "example.araieval.jsonl"
    records, ctx = read_all("araieval", path)
    texts = {r.document.id: [(e.label, r.document.text[e.start:e.end]) for e in r.annotations.entities]
             for r in records}
    assert texts["t1"] == [("Loaded_Language", "يقتل الأبرياء"), ("Name_Calling-Labeling", "الاحتلال")]
    # the second p2 span is shifted by 3: reported, imported where the file says
    assert len(ctx.problems) == 1 and ctx.problems[0].line == 2 and "--repair" in ctx.problems[0].message
    assert texts["p2"][1] == ("Loaded_Language", "طوط الحمراء في")
    out = tmp_path / "back.jsonl"
    write_to("araieval", records, out)
    assert out.read_bytes() == path.read_bytes()
    repaired, rctx = read_all("araieval", path, repair=True)
    assert rctx.repairs == 1
    p2 = repaired[1]
    assert [p2.document.text[e.start:e.end] for e in p2.annotations.entities][1] == "الخطوط الحمراء"


def test_aqmar_truth_golden_line_spans_and_quoting_quirks():
    records, ctx = read_all("aqmar-truth", GOLDEN / "example.truth.csv")
    got = [[(e.label, r.document.text[e.start:e.end]) for e in r.annotations.entities] for r in records]
    assert got == [[("LOC", "دمشق"), ("LOC", "سوريا")],
                   [("MIS", '" ابن خلدون "'), ("PER", "ابن خلدون"), ("MIS", 'ابن خلدون "')]]
    assert sorted(p.line for p in ctx.problems) == [5, 6]  # the two quoting quirks, reported
    conll, _ = read_all("conll", GOLDEN / "truth_tokens.txt")  # same documents as the token file gives
    assert [(r.document.id, r.document.text) for r in conll] == [(r.document.id, r.document.text) for r in records]
