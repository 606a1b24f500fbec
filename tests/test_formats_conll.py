"""CoNLL / BIO reading and writing: tokens, nesting, what is reported instead of moved."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from annotator.errors import InputError
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.schema.model import EntityLabel, Schema

CONLL = get_format("conll")
SCHEMA = Schema("t", "1", labels=tuple(EntityLabel(k, k, k, "red", str(i)) for i, k in
                                       enumerate(("PER", "ORG", "GPE", "LOC", "DATE"))))
TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."


def record(*entities: Entity, claims: tuple[Claim, ...] = (), text: str = TEXT) -> Record:
    return Record(Document("d1", text), Annotations("d1", "alice", entities=entities, claims=claims))


def entity(eid: str, sub: str, label: str, text: str = TEXT) -> Entity:
    start = text.index(sub)
    return Entity(eid, start, start + len(sub), label)


def export(*records: Record) -> tuple[str, WriteContext]:
    out, ctx = io.StringIO(), WriteContext(SCHEMA)
    CONLL.write(records, out, ctx)
    return out.getvalue(), ctx


def read_text(tmp_path: Path, content: str, **kw) -> tuple[list[Record], ReadContext]:
    p = tmp_path / "in.conll"
    p.write_text(content, encoding="utf-8")
    ctx = ReadContext(**kw)
    return list(CONLL.read(p, ctx)), ctx


def test_export_tokenizes_with_our_tokenizer_so_the_final_period_is_its_own_token():
    out, ctx = export(record(entity("e1", "عام 2019", "DATE")))
    lines = out.split("\n")
    assert "عام B-DATE" in lines and "2019 I-DATE" in lines and ". O" in lines
    assert ctx.problems == []


def test_span_not_on_token_edges_is_reported_not_shifted():
    # "201" ends inside the token "2019"
    start = TEXT.index("2019")
    out, ctx = export(record(Entity("e1", start, start + 3, "DATE"), entity("e2", "مصطفى بالي", "PER")))
    assert "B-DATE" not in out and "I-DATE" not in out
    assert "مصطفى B-PER" in out
    assert len(ctx.problems) == 1 and "'201'" in ctx.problems[0].message and "token edges" in ctx.problems[0].message


def test_partial_overlap_and_claims_are_reported():
    out, ctx = export(record(entity("e1", "قوات سوريا", "ORG"), entity("e2", "سوريا الديمقراطية", "GPE"),
                             claims=(Claim("c1", 18, 67),)))
    messages = " | ".join(p.message for p in ctx.problems)
    assert "partly overlaps" in messages and "claim(s) not written" in messages
    assert "قوات B-ORG" in out


def test_nested_export_writes_outer_first_and_reads_back():
    rec = record(entity("e1", "قوات سوريا الديمقراطية", "ORG"), entity("e2", "سوريا", "GPE"))
    out, _ = export(rec)
    assert "سوريا I-ORG B-GPE" in out.split("\n")


def test_documents_are_sentences_with_exact_offsets(tmp_path):
    records, ctx = read_text(tmp_path, "قال O\nمصطفى B-PER\nبالي I-PER\n\n$#$ O\nدمشق B-LOC\n")
    assert ctx.problems == []
    assert [r.document.id for r in records] == ["in:1", "in:2"]
    first = records[0]
    assert first.document.text == "قال مصطفى بالي"
    (e,) = first.annotations.entities
    assert first.document.text[e.start:e.end] == "مصطفى بالي" and e.source == "import:conll"
    assert first.document.meta["import"]["line"] == 1 and records[1].document.meta["import"]["line"] == 5
    assert records[1].document.text == "$#$ دمشق"


def test_tab_separated_tokens_with_spaces_keep_their_edges(tmp_path):
    records, _ = read_text(tmp_path, "عبد الله\tB-PER\nقال\tO\n")
    rec = records[0]
    assert rec.document.text == "عبد الله قال"
    out, ctx = export(rec)
    assert out == "عبد الله\tB-PER\nقال\tO\n\n" and ctx.problems == []


def test_line_quirks_are_reported_with_their_line(tmp_path):
    content = "-DOCSTART- -X- O O\n\nأ B-PER\nب\nARTICLE\nج I-LOC REVISIT\nد OO\n"
    records, ctx = read_text(tmp_path, content)
    by_line: dict[int, str] = {}
    for p in ctx.problems:
        by_line[p.line] = by_line.get(p.line, "") + p.message + " | "
    assert "no tag" in by_line[4]
    assert "marker line" in by_line[5]
    assert "REVISIT" in by_line[6] and "without a begin" in by_line[6]
    assert "malformed tag 'OO'" in by_line[7]
    assert [r.document.text for r in records] == ["أ ب", "ج د"]


def test_unknown_label_rejects_the_sentence_and_lists_it(tmp_path):
    records, ctx = read_text(tmp_path, "أ B-ORF\nب I-ORF\n\nج B-PER\n", schema=SCHEMA)
    assert [r.document.text for r in records] == ["ج"]
    assert len(ctx.problems) == 1 and "ORF (1)" in ctx.problems[0].message and ctx.problems[0].line == 1
    assert ctx.rejected == 1  # counted for the import summary, not only printed
    records, ctx = read_text(tmp_path, "أ B-ORF\nب I-ORF\n", schema=SCHEMA, label_map={"ORF": "ORG"})
    assert [e.label for e in records[0].annotations.entities] == ["ORG"] and ctx.problems == []


def test_reading_streams_records_before_a_bad_tail(tmp_path):
    p = tmp_path / "big.conll"
    p.write_bytes("أ B-PER\n\n".encode() * 1000 + b"\xff O\n")
    records = CONLL.read(p, ReadContext())
    assert next(records).document.text == "أ"  # the broken end is not read yet
    with pytest.raises(InputError) as exc:
        list(records)
    assert exc.value.line == 2001
