"""Shared pieces of the format readers: offsets, BIO, label maps, safe reading, detection."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.errors import AnnotatorError, InputError
from annotator.formats import bio
from annotator.formats._io import iter_json_items, iter_jsonl, iter_lines
from annotator.formats.base import ReadContext
from annotator.formats.detect import detect_format
from annotator.formats.labelmap import load_label_map
from annotator.formats.offsets import Utf16Offsets, utf16_len

# -- UTF-16 offsets ---------------------------------------------------------------


def test_utf16_offsets_after_emoji():
    text = "🚨 عاجل 😷 القاهرة"
    conv = Utf16Offsets(text)
    cp = text.index("القاهرة")
    units = len(text[:cp].encode("utf-16-le")) // 2
    assert units == cp + 2
    assert conv.to_utf16(cp) == units
    assert conv.to_codepoint(units) == cp
    assert conv.to_codepoint(1) is None  # between the halves of 🚨
    assert conv.to_codepoint(conv.utf16_length + 1) is None
    assert utf16_len(text) == len(text.encode("utf-16-le")) // 2


@given(st.text(alphabet=st.sampled_from(["a", "ب", "😀", "𝕏", " ", "\u200f"]), max_size=30))
def test_utf16_conversion_is_exact_both_ways(text):
    conv = Utf16Offsets(text)
    for i in range(len(text) + 1):
        units = len(text[:i].encode("utf-16-le")) // 2
        assert conv.to_utf16(i) == units
        assert conv.to_codepoint(units) == i


@given(st.text(alphabet=st.sampled_from(["a", "ب", "😀", "𝕏", "\ud800"]), max_size=12),
       st.lists(st.integers(-2, 30), max_size=6))
def test_many_offsets_convert_as_each_does(text, offsets):
    """``to_utf16_many``, the Label Studio writers' fast path (offsets kept as they are in a text without astral
    characters), converts as ``to_utf16`` does each offset, and refuses an offset outside the text alike."""
    conv = Utf16Offsets(text)
    if all(0 <= cp <= len(text) for cp in offsets):
        assert conv.to_utf16_many(offsets) == [conv.to_utf16(cp) for cp in offsets]
    else:
        with pytest.raises(ValueError, match="outside the text"):
            conv.to_utf16_many(offsets)


# -- BIO --------------------------------------------------------------------------


def test_decode_nested_columns_outer_first():
    rows = [["B-EVENT"], ["I-EVENT", "B-ORG"], ["I-EVENT", "I-ORG"], ["I-EVENT", "I-ORG", "B-ORG"],
            ["I-EVENT", "I-ORG", "I-ORG", "B-GPE"], ["O"]]
    spans, issues = bio.decode(rows)
    assert issues == []
    assert [(s.start, s.end, s.label, s.depth) for s in spans] == [
        (0, 5, "EVENT", 0), (1, 5, "ORG", 1), (3, 5, "ORG", 2), (4, 5, "GPE", 3)]


def test_orphan_inside_tag_is_reported_and_repaired_only_on_request():
    rows = [["I-FAC"], ["I-FAC"], ["O"], ["B-GPE"]]
    spans, issues = bio.decode(rows)
    assert [(s.start, s.end, s.label) for s in spans] == [(3, 4, "GPE")]
    assert len(issues) == 1 and not issues[0].repaired and "--repair" in issues[0].message
    spans, issues = bio.decode(rows, repair=True)
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 2, "FAC"), (3, 4, "GPE")]
    assert len(issues) == 1 and issues[0].repaired


def test_malformed_tags_are_reported_not_guessed():
    spans, issues = bio.decode([["IO"], ["OO"], ["I--ORG"]])
    assert [s.label for s in spans] == []  # I--ORG is an orphan inside-tag of label "-ORG"
    assert [i.message.split(" ")[2] for i in issues[:2]] == ["'IO'", "'OO'"]
    spans, _ = bio.decode([["I--ORG"]], repair=True)
    assert spans[0].label == "-ORG"


def test_bioes_tags_read():
    spans, issues = bio.decode([["S-PER"], ["B-LOC"], ["E-LOC"], ["O"]])
    assert issues == [] and [(s.start, s.end, s.label) for s in spans] == [(0, 1, "PER"), (1, 3, "LOC")]


def test_encode_nests_and_rejects_partial_overlap():
    rows, rejected = bio.encode(5, [(0, 3, "ORG"), (1, 2, "GPE"), (2, 5, "DATE"), (3, 5, "LOC")])
    assert rows == [["B-ORG"], ["I-ORG", "B-GPE"], ["I-ORG"], ["B-LOC"], ["I-LOC"]]
    assert [k for k, _ in rejected] == [2] and "partly overlaps" in rejected[0][1]


@given(st.lists(st.tuples(st.integers(0, 7), st.integers(1, 4), st.sampled_from(["A", "B"])), max_size=6))
def test_encode_then_decode_gives_back_every_kept_span(raw):
    spans = [(s, min(s + n, 8), lab) for s, n, lab in raw]
    rows, rejected = bio.encode(8, spans)
    kept = sorted(sp for k, sp in enumerate(spans) if k not in {r for r, _ in rejected})
    decoded, issues = bio.decode(rows)
    assert issues == []
    assert sorted((s.start, s.end, s.label) for s in decoded) == kept


# -- label maps -------------------------------------------------------------------


def test_label_map_yaml_and_tsv(tmp_path):
    y = tmp_path / "map.yaml"
    y.write_text("B-ORF: ORG\nPERS: PER\n", encoding="utf-8")
    assert load_label_map(y) == {"B-ORF": "ORG", "PERS": "PER"}
    t = tmp_path / "map.tsv"
    t.write_text("# foreign\tours\nORF\tORG\n\nMIS1`\tMIS\n", encoding="utf-8")
    assert load_label_map(t) == {"ORF": "ORG", "MIS1`": "MIS"}


def test_label_map_errors_name_the_line(tmp_path):
    t = tmp_path / "map.tsv"
    t.write_text("ORF\tORG\nbroken line\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_label_map(t)
    assert exc.value.line == 2
    y = tmp_path / "bad.yaml"
    y.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError, match="mapping"):
        load_label_map(y)


# -- safe reading -----------------------------------------------------------------


def test_invalid_utf8_names_line_and_byte(tmp_path):
    p = tmp_path / "bad.conll"
    p.write_bytes("قال O\n".encode() + b"\xff\xfe O\n")
    with pytest.raises(InputError) as exc:
        list(iter_lines(p))
    assert exc.value.line == 2 and exc.value.byte_offset == len("قال O\n".encode())


def test_empty_and_binary_files_are_refused_clearly(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_lines(empty))
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    with pytest.raises(InputError, match="binary"):
        detect_format(binary)


def test_malformed_json_line_is_reported_and_the_rest_read(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "أ"}\n{"text": \n[1]\n{"text": "ب"}\n', encoding="utf-8")
    ctx = ReadContext()
    got = [obj["text"] for _, obj in iter_jsonl(p, ctx)]
    assert got == ["أ", "ب"]
    assert [pr.line for pr in ctx.problems] == [2, 3]
    assert ctx.rejected == 2


def test_json_array_is_streamed_item_by_item_with_lines(tmp_path, monkeypatch):
    import annotator.formats._io as io_mod

    monkeypatch.setattr(io_mod, "_CHUNK", 10)  # force many small chunks
    items = [{"id": i, "data": {"text": "نص " * (i + 1) + "😀"}} for i in range(5)]
    p = tmp_path / "tasks.json"
    p.write_text("[\n" + ",\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n]\n", encoding="utf-8")
    got = list(iter_json_items(p, ReadContext()))
    assert [obj for _, obj in got] == items
    assert [line for line, _ in got] == [2, 3, 4, 5, 6]


def test_truncated_json_array_is_an_error(tmp_path):
    p = tmp_path / "tasks.json"
    p.write_text('[{"data": {"text": "x"}},\n{"data": ', encoding="utf-8")
    with pytest.raises(InputError):
        list(iter_json_items(p, ReadContext()))


# -- detection --------------------------------------------------------------------


@pytest.mark.parametrize("content,name", [
    ('{"text": "قال", "tokens": [], "spans": [], "_input_hash": 1}\n', "prodigy"),
    ('{"text": "قال", "label": [[0, 3, "PER"]]}\n', "doccano"),
    ('{"text": "قال", "entities": [{"id": 0, "start_offset": 0, "end_offset": 3, "label": "PER"}],'
     ' "relations": []}\n', "doccano"),
    ('[{"id": 1, "data": {"text": "قال"}, "annotations": []}]', "label-studio"),
    ('{"id": 1, "data": {"text": "قال"}, "annotations": []}\n', "label-studio"),
    ('[{"id": 1, "text": "قال", "label": [{"start": 0, "end": 3, "labels": ["PER"]}]}]', "label-studio-min"),
    ('{"id": "1", "text": "قال", "labels": [{"start": 0, "end": 3, "technique": "Doubt"}], "type": "tweet"}\n',
     "araieval"),
    ("topic\ttweet_id\ttweet_url\ttweet_text\tclass_label\nCOVID-19\t1\tu\tقال\t1\n", "checkthat"),
    ("Filename,Start,End,Type,Surface\ndev.txt,1,1,PER,\"x\"\n", "aqmar-truth"),
    ("قال O\nمصطفى B-PER\nبالي I-PER\n\n", "conll"),
])
def test_detect_format_from_content(tmp_path, content, name):
    p = tmp_path / "input.data"
    p.write_text(content, encoding="utf-8")
    fmt, reason = detect_format(p)
    assert fmt.name == name
    assert name in reason and "--format" in reason


def test_detect_brat_folder_and_file(tmp_path):
    (tmp_path / "a.txt").write_text("قال مصطفى", encoding="utf-8")
    (tmp_path / "a.ann").write_text("T1\tPER 4 9\tمصطفى\n", encoding="utf-8")
    assert detect_format(tmp_path)[0].name == "brat"
    assert detect_format(tmp_path / "a.ann")[0].name == "brat"
    assert detect_format(tmp_path / "a.txt")[0].name == "brat"


def test_detect_unknown_content_asks_for_format(tmp_path):
    p = tmp_path / "x.data"
    p.write_text("%%% nothing we know\n", encoding="utf-8")
    with pytest.raises(AnnotatorError, match="--format"):
        detect_format(p)


# -- no traceback on odd shapes ------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 80) | st.sampled_from(["", "قال", "Claim", "claimed_by", "PER"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["text", "spans", "label", "entities", "relations", "start", "end", "labels", "data", "annotations",
         "result", "type", "value", "from_id", "to_id", "id", "start_offset", "end_offset", "tokens", "answer",
         "technique", "head_span", "child_span", "attributes", "choices", "completed_by"]), inner, max_size=5),
    max_leaves=12)


@settings(deadline=None)  # what it checks is "no traceback", not how long an example takes on a loaded machine
@given(st.lists(_json, min_size=1, max_size=3), st.sampled_from(
    ["prodigy", "doccano", "label-studio", "label-studio-min", "araieval", "native"]))
def test_odd_json_shapes_are_reported_never_a_traceback(tmp_path_factory, items, name):
    from annotator.formats.base import get_format

    items = [dict(x, text="قال مصطفى 😀") if isinstance(x, dict) else x for x in items]
    path = tmp_path_factory.mktemp("fuzz") / "in.json"
    if name.startswith("label-studio"):
        path.write_text(json.dumps([dict(x, data={"text": "قال 😀"}) if isinstance(x, dict) else x
                                    for x in items], ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n", encoding="utf-8")
    try:
        list(get_format(name).read(path, ReadContext(repair=True)))
    except AnnotatorError:
        pass


def test_detect_tells_our_native_export_from_the_look_alike_json_lines(tmp_path):
    from annotator.formats.base import Record, WriteContext, get_format
    from annotator.model.annotations import Annotations, Document, Entity
    from annotator.schema.model import Schema

    rec = Record(Document("d", "قال مصطفى"), Annotations("d", "alice", entities=(Entity("e1", 4, 9, "PER"),)))
    for name in ("native", "prodigy", "doccano", "araieval"):
        out = tmp_path / f"x.{name}.jsonl"
        with out.open("w", encoding="utf-8") as fh:
            get_format(name).write([rec], fh, WriteContext(Schema("s", "1")))
        assert detect_format(out)[0].name == name


def test_json_items_also_read_one_object_or_json_lines_and_refuse_missing_commas(tmp_path):
    p = tmp_path / "tasks.json"
    p.write_text('{"data": {"text": "أ"}}\n{"data": {"text": "ب"}}\n', encoding="utf-8")
    assert [(line, obj["data"]["text"]) for line, obj in iter_json_items(p, ReadContext())] == [(1, "أ"), (2, "ب")]
    p.write_text('[{"a": 1}\n{"a": 2}]', encoding="utf-8")
    with pytest.raises(InputError, match="','") as exc:
        list(iter_json_items(p, ReadContext()))
    assert exc.value.line == 2
