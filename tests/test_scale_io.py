"""Import and export of one huge document, and the export's lean paths (issue 12, aims 2 and 4).

Memory is asserted with tracemalloc (Python's own allocations, deterministic), never with time.
"""

from __future__ import annotations

import os
import tracemalloc

from annotator.formats import _spans, bio
from annotator.formats.base import Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Document, Entity
from annotator.schema import default_schema_path, load_schema
from annotator.text import tokenize, wordbreak

WORDS = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019. "


def _big_record(chars: int) -> Record:
    text = (WORDS * (chars // len(WORDS) + 1))[:chars].rstrip() + "."
    start = text.index("مصطفى")
    ann = Annotations(doc_id="big", annotator="amal", status="done",
                      entities=(Entity("e1", start, start + len("مصطفى"), "PER"),))
    return Record(Document("big", text, {}), ann)


def _peak_while(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_tokens_of_a_text_cut_into_chunks_are_those_of_the_whole_text(monkeypatch):
    monkeypatch.setattr(wordbreak, "CHUNK", 7)  # cuts fall everywhere, some inside long runs of letters
    text = "  " + WORDS * 3 + "كلمةطويلةجداجداجدا\u064e.\n\n👨‍👩‍👧 ١٢٣\t" + "x" * 20
    assert _spans.tokens_for(text) == [(t.start, t.end) for t in tokenize(text)]
    assert _spans.tokens_for("") == [] and _spans.tokens_for("   ") == []


def test_sparse_bio_tags_are_the_dense_ones():
    spans = [(0, 3, "ORG"), (1, 2, "GPE"), (2, 5, "DATE"), (3, 5, "LOC")]
    tagged, rejected = bio.encode_sparse(8, spans)
    rows, rejected_dense = bio.encode(8, spans)
    assert rejected == rejected_dense
    assert [tagged.get(t, ["O"]) for t in range(8)] == rows
    assert set(tagged) == {0, 1, 2, 3, 4}  # untagged tokens hold no list


def test_conll_export_of_one_huge_document_streams(tmp_path):
    """A document of 600,000 characters (about 110,000 tokens) is written as CoNLL without a Python
    object per token kept for the whole text: before, the export held every token as a tuple, two
    dicts of them, a tag list each and every line (over 40 times the text's size)."""
    rec = _big_record(600_000)
    ctx = WriteContext(schema=load_schema(default_schema_path()))
    out = tmp_path / "big.conll"

    def export() -> None:
        with out.open("w", encoding="utf-8") as fh:
            get_format("conll").write([rec], fh, ctx)

    peak = _peak_while(export)
    text_bytes = 2 * len(rec.document.text)  # Arabic: two bytes a character in a Python str
    assert peak < 8 * text_bytes, f"peak {peak / 1e6:.1f} MB for a {text_bytes / 1e6:.1f} MB text"
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "قال O" and lines[1] == "مصطفى B-PER" and lines[2] == "بالي O"
    tokens = _spans.tokens_for(rec.document.text)
    assert len(lines) == len(tokens) + 2  # a line a token, the blank end line, the last newline
    assert all(line.split(" ")[0] == rec.document.text[s:e] for line, (s, e) in zip(lines, tokens, strict=False))


def test_a_folder_export_puts_its_files_on_disk_with_one_flush_not_one_per_file(tmp_path, monkeypatch):
    """brat writes two files a document; each was fsynced in turn (most of its time on a busy disk)."""
    import os

    from annotator import exporting

    flushed: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (flushed.append(fd), real_fsync(fd))[1])
    records = [Record(Document(f"d{i}", f"نص رقم {i}", {}), None) for i in range(20)]
    ctx = WriteContext(schema=load_schema(default_schema_path()))
    exporting.export_records(get_format("brat"), records, tmp_path / "out", ctx)
    assert len(list((tmp_path / "out").glob("*.txt"))) == 20
    assert len(flushed) < 5, f"{len(flushed)} fsync calls for 40 files"  # the folder and its parent only



def test_reading_a_one_line_huge_record_holds_neither_its_bytes_nor_its_line(tmp_path):
    """While a JSONL record is imported, the reader held the line's bytes and its text beside the parsed
    record: two more copies of a one-line huge document for as long as it took to store it."""
    import gc
    import json

    from annotator.formats._io import iter_jsonl
    from annotator.formats.base import ReadContext

    text = WORDS * (1_000_000 // len(WORDS))
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "big", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    records = iter_jsonl(path, ReadContext())
    tracemalloc.start()
    try:
        number, obj = next(records)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert obj["text"] == text and number == 1
    assert held < 1.5 * (2 * len(text)), f"{held / 1e6:.1f} MB held for a {2 * len(text) / 1e6:.1f} MB text"
    records.close()


def _prodigy_lines(records) -> list[dict]:
    import io
    import json

    out = io.StringIO()
    get_format("prodigy").write(records, out, WriteContext(schema=load_schema(default_schema_path())))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _prodigy_tokens(text: str) -> list[dict]:
    return [{"text": text[t.start:t.end], "start": t.start, "end": t.end, "id": i,
             "ws": text[t.end:t.end + 1].isspace()} for i, t in enumerate(tokenize(text))]


def test_prodigy_export_of_one_huge_document_streams_its_tokens(monkeypatch):
    """Prodigy's tokens were a dict per token, all held (about 80x a 10 MB text); now they are written
    a slice at a time, and the line is what it was."""
    from annotator.formats import prodigy

    rec = _big_record(300_000)
    monkeypatch.setattr(prodigy, "_SLICE", 1000, raising=False)
    ctx = WriteContext(schema=load_schema(default_schema_path()))

    def export() -> None:
        with open(os.devnull, "w", encoding="utf-8") as out:
            get_format("prodigy").write([rec], out, ctx)

    peak = _peak_while(export)
    text_bytes = 2 * len(rec.document.text)
    assert peak < 12 * text_bytes, f"peak {peak / 1e6:.1f} MB for a {text_bytes / 1e6:.1f} MB text"
    (task,) = _prodigy_lines([rec])
    assert task["tokens"] == _prodigy_tokens(rec.document.text)
    assert task["spans"] == [{"start": 4, "end": 9, "token_start": 1, "token_end": 1, "label": "PER"}]


def test_prodigy_token_numbers_of_spans_off_token_edges_and_a_text_that_is_the_mark():
    text = "قال مصطفى بالي"
    ann = Annotations(doc_id="d", annotator="amal", entities=(Entity("e1", 5, 12, "PER"),))  # inside tokens
    (task,) = _prodigy_lines([Record(Document("d", text, {}), ann)])
    assert task["tokens"] == _prodigy_tokens(text)
    assert (task["spans"][0]["token_start"], task["spans"][0]["token_end"]) == (1, 2)
    mark = "\x00tokens\x00"  # the writer's own placeholder as a text: written whole, still right
    (task,) = _prodigy_lines([Record(Document("m", mark, {}), None)])
    assert task["text"] == mark and task["tokens"] == _prodigy_tokens(mark)
