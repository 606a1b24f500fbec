"""Prodigy's token JSON made as bytes from a kept token table (issue 12 aim 4, session of 2026-12-02 07:30).

``_OurTokens.json_bytes`` makes the usual document's token list by a few C calls (runs joined, escaped
once, split at marks, number pieces picked from tables) and the writer gives lines of bytes to the file.
What must hold: the bytes are exactly the UTF-8 of what the exact path (``write_json``, which is
``json.dumps`` of the token dicts) writes, for every text, including what JSON escapes (``"``, ``\\``,
control characters), characters outside the BMP, ``%`` (the pieces are never formatted), lone surrogates,
tokens with and without white space after them, the last one too; what it declines (a DEL in a token,
numbers past the tables) goes the exact way; a file gets the same bytes as a text stream, in order
around a declined document and past the gathered megabyte; spans' JSON made by format strings is the
encoder's.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.errors import AnnotatorError
from annotator.exporting import export_records
from annotator.formats import _lines, _spans, prodigy
from annotator.formats._json import ENCODE
from annotator.formats.base import Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.schema import default_schema_path, load_schema
from annotator.text import bounds
from annotator.text.tokens import tokenize

SCHEMA = load_schema(default_schema_path())
_PIECES = [*"ab \n\t\r\xa0\x1c\x1f\x00\x08\x1b.,،؟\"'%\\/{}", "%d", "%s", "\\\"", "\\u0000", "  ", "\r\n", "كتب",
           "قال", "2019", "é", "\u064e", "\u200c", "\u2028", "😀", "👍🏽", "\U00010000", "\ud800", "\udfff", "\x7f"]


def _tokens(text: str) -> prodigy._OurTokens:
    tokens = prodigy._OurTokens.of(Document("d", text, {}), bounds.pack(text), WriteContext(SCHEMA))
    assert tokens.kept is not None
    return tokens


def _exact(tokens: prodigy._OurTokens) -> str:
    out = io.StringIO()
    tokens.write_json(out)
    return out.getvalue()


@pytest.mark.parametrize("text", [
    'قال "نعم" ثم مضى', 'a\\b \\"c\\"', "x\x00y \x08z\x1b", "😀👍🏽 \U00010000x 😀", "100% %d %s %%",
    "lone \ud800 and \udfff.", "end without space.", "end with space. ", "end with line end.\n",
    "a.b,c", "  lead and trail  ", "tab\tand\u3000ideographic\xa0space", "\\u0000 literal",
    "لم\u200cيأت", "single", ".", "ab\r\ncd\u2028ef",
])
def test_bytes_are_the_exact_paths_on_awkward_text(text: str) -> None:
    tokens = _tokens(text)
    fast = tokens.json_bytes()
    assert fast is not None, "the fast path is taken"
    assert fast.decode("utf-8", "surrogatepass") == _exact(tokens) == \
        json.dumps(tokens.dicts(0, len(tokens.starts)), ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_bytes_are_the_exact_paths_on_generated_text(text: str) -> None:
    tokens = _tokens(text)
    fast = tokens.json_bytes()
    if fast is not None:
        assert fast.decode("utf-8", "surrogatepass") == _exact(tokens)
    ws = [t["ws"] for t in tokens.dicts(0, len(tokens.starts))]
    assert ws == [text[t.end:t.end + 1].isspace() for t in tokenize(text)]


def test_what_it_declines_goes_the_exact_way(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _tokens("a\x7fb c").json_bytes() is None  # a DEL in the text: the mark it uses
    assert _tokens("").json_bytes() == b"[]"
    assert prodigy._OurTokens("a b").json_bytes() is None  # no kept table
    text = " " * 20 + "ab cd"
    monkeypatch.setattr(prodigy, "_TABLE", 9)  # offsets past the number pieces
    prodigy._byte_pieces.cache_clear()
    try:
        assert _tokens(text).json_bytes() is None
        assert _tokens("ab cd").json_bytes() is not None
    finally:
        monkeypatch.undo()
        prodigy._byte_pieces.cache_clear()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES[:-1]), max_size=40).map("".join))  # no DEL: the mark for touching runs
def test_the_kept_runs_are_joined_once_with_the_tokens_white_space_does_not_follow_marked(text: str) -> None:
    """``_spans.spaced`` with ``touching``: the tokens one space apart, DEL apart where nothing lies between
    two tokens, checked as the plain join is (Prodigy joined the runs a second time for that)."""
    table = _spans.unpack(bounds.pack(text), text)
    assert table is not None
    toks = tokenize(text)
    want = "".join(t.text + (" " if text[t.end:t.end + 1].isspace() else "\x7f") for t in toks)[:-1]
    assert _spans.spaced(text, table, touching="\x7f") == want
    assert _spans.spaced(text, table) == " ".join(t.text for t in toks)


def test_a_kept_table_that_does_not_fit_is_refused_with_the_mark_too() -> None:
    bad = _spans.TokenTable([0, 2], [1, 5], [0, 1], [0], [5])  # "b c" of "a b c" as one token
    assert _spans.spaced("a b c", bad, touching="\x7f") is None
    good = _spans.TokenTable([0, 2, 4], [1, 3, 5], [0, 1, 2], [0], [5])
    assert _spans.spaced("a b c", good, touching="\x7f") == "a b c"
    spaced_runs = _spans.TokenTable([0, 1], [1, 2], [0, 1], [0, 1], [1, 2])  # "ab": two runs that touch
    assert _spans.spaced("ab", spaced_runs, touching="\x7f") == "a\x7fb"
    inner_space = _spans.TokenTable([0, 3], [1, 4], [0, 1], [0, 3], [2, 4])  # a run ending in a space
    assert _spans.spaced("a  b", inner_space, touching="\x7f") is None


def _record(k: int, text: str) -> Record:
    toks = tokenize(text)
    ents = tuple(Entity(f"e{i}", t.start, t.end, ("PER", "ORG", 'Q"\\é')[i % 3]) for i, t in enumerate(toks[::3]))
    claims = (Claim("c1", toks[0].start, toks[-1].end, {"checkworthy": "yes", "note": "«x»"},
                    claimer=ents[0].id),) if toks and k % 2 else ()
    return Record(Document(f"d{k}", text, {}), Annotations(doc_id=f"d{k}", annotator="amal", status="done",
                                                          entities=ents, claims=claims), tokens=bounds.pack(text))


def test_a_file_gets_the_bytes_a_text_stream_gets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents the fast path takes, one it declines (a DEL) between them, written to a file (bytes,
    gathered: here 2 kB at a time) and to a ``StringIO`` (text): the same lines, in the same order."""
    texts = ['قال "نعم" ثم مضى\n', "a\x7fb c", "100% \\ 😀 x\x00y", "كتب " * 300, "end.",
             "crlf\r\nand\ttab \\\"q\\\" \u2028 \u0085 \x1f", "\ud7a3\ud7ff hangul, no surrogate", "\\n literal",
             'only\tescaped\r\nby replace \\ "q"']
    recs = [_record(k, t) for k, t in enumerate(texts)]
    monkeypatch.setattr(_lines, "GATHERED_AT_MOST", 2048)
    text_out = io.StringIO()
    get_format("prodigy").write(recs, text_out, WriteContext(SCHEMA))
    target = tmp_path / "out.jsonl"
    export_records(get_format("prodigy"), recs, target, WriteContext(SCHEMA))
    assert target.read_bytes() == text_out.getvalue().encode("utf-8")
    lines = target.read_text(encoding="utf-8").split("\n")[:-1]  # not splitlines: \u2028 is in a text
    assert [json.loads(ln)["text"] for ln in lines] == texts


@pytest.mark.parametrize("order", [
    ["spans", "answer", "text", "tokens", "meta"],  # the source's keys, kept for export: spans before the text
    ["meta", "tokens", "text", "spans"],
])
@pytest.mark.parametrize("meta", [{"source": "wire"}, {"source": "\x00tokens\x00"}])  # the mark as a value: whole
def test_a_task_in_its_sources_key_order_gets_the_bytes_a_text_stream_gets(tmp_path: Path, order: list[str],
                                                                           meta: dict) -> None:
    """The line made as bytes puts the text, tokens and spans in their places whatever the key order the
    source gave (``Kept``), and a task holding the mark as a value is written whole, the same bytes."""
    from annotator.formats.base import ReadContext

    text = 'قال "نعم"\nكتب الرئيس.'
    task = {"text": text, "spans": [{"start": 0, "end": 3, "label": "PER"}], "answer": "accept",
            "tokens": [{"text": "x", "start": 99, "end": 100, "id": 0}], "meta": meta}  # tokens unfit: ours used
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({k: task[k] for k in order}, ensure_ascii=False) + "\n", encoding="utf-8")
    recs = [Record(r.document, r.annotations, tokens=bounds.pack(text))
            for r in get_format("prodigy").read(source, ReadContext(schema=SCHEMA))]
    text_out = io.StringIO()
    get_format("prodigy").write(recs, text_out, WriteContext(SCHEMA))
    target = tmp_path / "out.jsonl"
    export_records(get_format("prodigy"), recs, target, WriteContext(SCHEMA))
    assert target.read_bytes() == text_out.getvalue().encode("utf-8")
    line = json.loads(text_out.getvalue())
    assert [k for k in line if k in order] == order and line["meta"]["source"] == meta["source"]
    assert line["tokens"] == tokenize_dicts(text)


def tokenize_dicts(text: str) -> list[dict]:
    return [{"text": t.text, "start": t.start, "end": t.end, "id": k, "ws": text[t.end:t.end + 1].isspace()}
            for k, t in enumerate(tokenize(text))]


def test_a_lone_surrogate_in_a_file_is_said_and_nothing_written(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(UnicodeEncodeError):
        export_records(get_format("prodigy"), [_record(0, "ok text"), _record(1, "bad \ud800 text")], target,
                       WriteContext(SCHEMA))
    assert not target.exists()


def test_the_cli_names_the_document_with_a_lone_surrogate(tmp_path: Path) -> None:
    from annotator.exporting import export_store
    from annotator.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "a.db")
    store.add_document(Document("weird", "نص\ud83d مكسور"))
    with pytest.raises(AnnotatorError, match="'weird' holds '\\\\ud83d', a lone surrogate"):
        export_store(store, SCHEMA, get_format("prodigy"), tmp_path / "o.jsonl")
    store.close()


@pytest.mark.parametrize("span", [
    {"start": 0, "end": 3, "token_start": 0, "token_end": 0, "label": "PER"},
    {"start": 10, "end": 30000, "token_start": 2, "token_end": 9000, "label": 'Q"\\é\x00😀\ud800'},
    {"start": 1, "end": 2, "token_start": True, "token_end": 0, "label": "PER"},  # a kept token id of true
    {"start": 1.0, "end": 2, "token_start": 0, "token_end": 0, "label": "PER"},
    {"start": 1, "end": 2, "token_start": 0, "token_end": 0, "label": 7},
    {"start": 1, "end": 2, "token_start": 0, "token_end": 0, "label": "CLAIM", "attributes": {"b": 1, "a": "é"}},
])
def test_a_spans_json_is_the_encoders(span: dict) -> None:
    assert prodigy._span_json(span) == ENCODE(span)
    assert prodigy._span_sorted(span) == json.dumps(span, sort_keys=True, separators=(",", ":"))


def test_the_task_hash_is_over_the_text_and_the_sorted_spans() -> None:
    rec = _record(1, 'قال "نعم" ثم مضى')
    task = prodigy.ProdigyFormat().task(rec, WriteContext(SCHEMA))
    spans = json.dumps(task["spans"], sort_keys=True, separators=(",", ":"))
    assert task["_input_hash"] == prodigy.hash32(rec.document.text)
    assert task["_task_hash"] == prodigy.hash32(rec.document.text, spans)


def test_a_kept_tables_offsets_are_listed_from_a_view_or_an_array() -> None:
    """``_listed``: the table's ``memoryview`` (little-endian) or ``array`` (big-endian) as a list of the same
    numbers, for bisecting and picking pieces without an integer made a step."""
    from array import array

    values = [0, 3, 4, 65535]
    assert prodigy._listed(memoryview(array("H", values).tobytes()).cast("H")) == values
    assert prodigy._listed(array("I", values)) == values
    assert prodigy._listed(values) == values
