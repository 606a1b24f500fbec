"""Export speed, fourth pass (issue 12 aim 4): the tokenizing writers' fast path and what it must keep.

Text made only of common characters (``wordbreak.common_tokens``) is tokenized by one regular
expression pass instead of the per-word loop. These tests prove the classes safe on every code
point (so the shortcut can only ever give the tokenizer's own tokens), check the tokens against the
general path on the seeds, the shared corpora and generated text, and check that such text no longer
goes through the per-word loop when CoNLL or Prodigy is exported (the speed itself is
``bench/bench_throughput.py --export-only``'s, never timed here).
"""

from __future__ import annotations

import io
import json
import re
import sys

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.formats import _spans, conll, prodigy
from annotator.text import tokens as tokens_module
from annotator.text import wordbreak
from annotator.text.tokens import token_offsets, tokenize
from annotator.text.wordbreak import common_tokens, is_symbol

from conftest import SEEDS, shared_text_files


def _chars(cls: str) -> set[str]:
    pattern = re.compile(f"[{cls}]")
    return {chr(c) for c in range(sys.maxunicode + 1) if pattern.match(chr(c))}


SPACE, SYMBOL, MARK, WORD = (_chars(c) for c in (wordbreak._SPACE, wordbreak._SYMBOL, wordbreak._MARK,
                                                  wordbreak._WORD))
COMMON = sorted(SPACE | SYMBOL | WORD)


# -- the classes are safe, on every code point ---------------------------------------------------

def test_space_is_exactly_str_isspace():
    assert SPACE == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


def test_classes_do_not_overlap_and_marks_are_word_characters():
    assert not SPACE & SYMBOL and not SPACE & WORD and not SYMBOL & WORD
    assert MARK <= WORD


def test_symbols_are_single_symbols_no_emoji_sequence_extends():
    for c in SYMBOL:
        assert is_symbol(c), hex(ord(c))
        for after in ("a", "ب", "1", ".", "\u064e"):  # any common character after it
            assert wordbreak._SYMBOLS_RE.match(c + after)[0] == c, (hex(ord(c)), after)


def test_word_characters_are_never_cut_out_as_symbols():
    for c in WORD:
        assert not is_symbol(c), hex(ord(c))
        match = wordbreak._SYMBOLS_RE.match(c + "a")
        assert match is None or match[0] == c, hex(ord(c))  # a digit is an emoji base, alone: not a symbol


def test_no_common_character_joins_a_grapheme_cluster_but_the_marks():
    other = regex.compile(r"\p{Grapheme_Cluster_Break=Other}")
    extend = regex.compile(r"\p{Grapheme_Cluster_Break=Extend}")
    for c in SYMBOL | WORD - MARK:
        assert other.match(c), hex(ord(c))
    for c in MARK:
        assert extend.match(c), hex(ord(c))
    emoji_joiners = regex.compile(r"[\p{EMod}\p{RI}\uFE0F\u20E3\u200D\U000E0020-\U000E007F]")
    assert not any(emoji_joiners.match(c) for c in COMMON)


# -- the tokens are the general path's ----------------------------------------------------------------

def _same(text: str) -> None:
    starts, ends = token_offsets(text)
    common = common_tokens(text)
    if common is not None:
        assert (common[0], common[1]) == (starts, ends)
        assert common[2] == [text[s:e] for s, e in zip(starts, ends, strict=True)]
    got = _spans.token_table(text)
    assert (list(got[0]), list(got[1])) == (starts, ends)
    if got[2] is not None:
        assert got[2] == [text[s:e] for s, e in zip(starts, ends, strict=True)]


def test_the_seeds_are_common_text_and_their_tokens_are_the_same():
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert common_tokens(text) is not None, path.name
        _same(text)


@pytest.mark.shared
def test_tokens_are_the_same_on_the_shared_corpora():
    files = shared_text_files()
    common = 0
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
            _same(line)
            common += common_tokens(line) is not None
    assert common  # the fast path was taken, not only the general one


_TRICKY = [*"ab \n\t\xa0\x1c.،؟؛«»\"'#*©0٣…—-", "\u064e", "\u0651", "\u0640", "كتب", "وال", "2019", "é",
           "\u200c", "\u200f", "😀", "\ufe0f", "\u20e3", "\u0600", "\u06dd", "\U0001f3fb"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TRICKY) | st.sampled_from(COMMON), max_size=40).map("".join))
def test_tokens_are_the_same_on_generated_text(text: str) -> None:
    _same(text)


def test_a_mark_after_a_symbol_or_an_uncommon_character_takes_the_general_path():
    assert common_tokens(".\u064eب") is None  # tokens merges the cut inside the cluster
    assert common_tokens("ب\u200cب") is None and common_tokens("😀") is None
    _same(".\u064eب")
    assert common_tokens("ب.\u064eب x") is None and common_tokens("\u064eب.") is not None


def test_a_long_text_is_tokenized_a_chunk_at_a_time_into_arrays(monkeypatch):
    monkeypatch.setattr(wordbreak, "CHUNK", 50)
    text = "قال الرئيس، «نعم» 2019. " * 20 + "😀 ب.\u064e " + "كتب " * 30
    starts, ends, texts = _spans.token_table(text)
    assert texts is None and (list(starts), list(ends)) == token_offsets(text)


# -- common text no longer goes through the per-word loop on export --------------------------------

def _refuse_the_per_word_loop(monkeypatch) -> None:
    def refused(*_args, **_kwargs):
        raise AssertionError("common text went through the per-word tokenizer loop")

    monkeypatch.setattr(tokens_module, "token_offsets", refused)


def test_conll_of_common_text_is_written_without_the_per_word_loop(monkeypatch):
    from annotator.formats.base import WriteContext
    from annotator.model.annotations import Annotations, Document, Entity

    text = (SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[0]).read_text(encoding="utf-8")
    toks = tokenize(text)
    ents = (Entity("e1", toks[3].start, toks[4].end, "PER"), Entity("e2", toks[3].start, toks[3].end, "GPE"))
    rec = conll.Record(Document("d", text, {}), Annotations(doc_id="d", annotator="a", entities=ents))
    from annotator.schema import default_schema_path, load_schema

    ctx = WriteContext(load_schema(default_schema_path()))
    want = "".join(conll.ConllFormat().block(rec, ctx))
    _refuse_the_per_word_loop(monkeypatch)
    got = "".join(conll.ConllFormat().block(rec, ctx))
    assert got == want
    lines = got.splitlines()
    assert lines[3] == f"{toks[3].text} B-PER B-GPE" and lines[4] == f"{toks[4].text} I-PER"
    assert [ln.split(" ")[0] for ln in lines[:-1]] == [t.text for t in toks]


def test_prodigy_tokens_of_common_text_are_written_without_the_per_word_loop(monkeypatch):
    text = (SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[0]).read_text(encoding="utf-8")
    want = json.dumps(prodigy._OurTokens(text).dicts(0, len(tokenize(text))), ensure_ascii=False)
    _refuse_the_per_word_loop(monkeypatch)
    out = io.StringIO()
    prodigy._OurTokens(text).write_json(out)
    assert out.getvalue() == want


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_TRICKY), max_size=30).map("".join), st.integers(0, 12))
def test_prodigy_token_json_past_the_number_table_and_in_slices(text: str, shift: int) -> None:
    """Offsets and ids beyond the table of pieces made once are formatted as they come; slices join up."""
    text = " " * shift + text
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prodigy, "_SLICE", 3)
        mp.setattr(prodigy, "_TABLE", 9)
        tokens = prodigy._OurTokens(text)
        out = io.StringIO()
        tokens.write_json(out)
    assert out.getvalue() == json.dumps(tokens.dicts(0, len(tokens.starts)), ensure_ascii=False)


# -- Label Studio: results written as JSON, spliced into the task ----------------------------------

def _label_studio(text: str, spans: list[tuple[int, int]], annotators: tuple[str, ...] = ("amal", "\x00result 1\x00")
                  ) -> tuple[str, list[dict]]:
    from annotator.formats.base import Record, WriteContext
    from annotator.formats.label_studio import LabelStudioFormat
    from annotator.model.annotations import Annotations, Document, Entity
    from annotator.schema import default_schema_path, load_schema

    ents = tuple(Entity(f"e{k}", s, e, ("PER", "ORG", 'Q"\\')[k % 3]) for k, (s, e) in enumerate(spans))
    recs = [Record(Document("d", text, {}), Annotations(doc_id="d", annotator=who, entities=ents))
            for who in annotators]
    out = io.StringIO()
    LabelStudioFormat().write(recs, out, WriteContext(load_schema(default_schema_path())))
    return out.getvalue(), [{"start": s, "end": e, "text": text[s:e]} for s, e in spans]


def _canonical(written: str) -> None:
    """Every task is what the encoder writes for the objects it holds (so the spliced JSON is the
    same text the region dictionaries made)."""
    assert written.startswith("[\n") and written.endswith("\n]\n")
    for line in written[2:-3].split(",\n"):
        assert json.dumps(json.loads(line), ensure_ascii=False) == line


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*_TRICKY, "\x00", "\ud800", "\x00result 0\x00"]), min_size=2, max_size=30)
       .map("".join), st.data())
def test_label_studio_results_written_as_json_are_what_the_encoder_writes(text: str, data) -> None:
    from annotator.formats.offsets import Utf16Offsets

    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), min_size=2, max_size=6)))
    spans = list(zip(cuts[::2], cuts[1::2], strict=False))
    written, want = _label_studio(text, spans)
    _canonical(written)
    conv = Utf16Offsets(text)
    for annotation in json.loads(written)[0]["annotations"]:
        regions = [r for r in annotation["result"] if r["type"] == "labels"]
        assert [r["value"]["text"] for r in regions] == [w["text"] for w in want]
        assert [(r["value"]["start"], r["value"]["end"]) for r in regions] == \
            [(conv.to_utf16(w["start"]), conv.to_utf16(w["end"])) for w in want]
        assert [r["value"]["labels"] for r in regions] == [[("PER", "ORG", 'Q"\\')[k % 3]] for k in range(len(want))]


def test_a_task_too_long_to_splice_is_written_whole_the_same(monkeypatch):
    """A text over ``SPLICED_AT_MOST`` characters (real data that long, no limit patched): its task is
    encoded whole, once, and is what the spliced task of a short text is, the encoder's JSON."""
    from annotator.formats import _json

    piece = "قال «محمد» إن 2019. "  # 20 characters
    spans = [(0, 3), (5, 9), (30, 40)]
    monkeypatch.setattr(_json.json, "loads", _counted(_json.json.loads))
    spliced, _ = _label_studio(piece * 40, spans, ("amal", "omar"))
    assert _counted.calls == 0
    whole, _ = _label_studio(piece * (_json.SPLICED_AT_MOST // len(piece) + 1), spans, ("amal", "omar"))
    assert _counted.calls == 2  # both annotations' results made objects again
    for written in (spliced, whole):
        _canonical(written)
    tasks = [json.loads(written[2:-3]) for written in (spliced, whole)]
    assert tasks[0]["annotations"] == tasks[1]["annotations"]  # the same results, spliced or whole
    assert len(tasks[1]["data"]["text"]) > _json.SPLICED_AT_MOST


@pytest.mark.parametrize("nested", [False, True])
def test_encode_spliced_itself_writes_whole_a_line_holding_a_text_too_long_to_splice(monkeypatch, nested):
    """The one say on splicing is ``encode_spliced``'s: a string over ``SPLICED_AT_MOST`` characters, a value of the
    object (doccano's, Label Studio JSON_MIN's text) or of an object in it (a Label Studio task's data), has the
    ``Raw`` values made objects again and the line encoded whole, the encoder's JSON either way."""
    from annotator.formats import _json

    text = "قال \"x\"\n" * (_json.SPLICED_AT_MOST // 8 + 1)
    monkeypatch.setattr(_json.json, "loads", _counted(_json.json.loads))
    for long in (False, True):
        value = text if long else text[:100]
        obj = {"data": {"text": value}} if nested else {"text": value}
        obj["label"] = _json.Raw(["[0, 3, \"PER\"]"])
        line = _json.encode_spliced(obj, [(obj, "label")])
        assert _counted.calls == (1 if long else 0)
        assert line == json.dumps({**obj, "label": [[0, 3, "PER"]]}, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_TRICKY, "\\", '"', "\n", "\r", "\t", "\x7f", "\u2028", "\u2029", "😀", "\ud800",
                                 "كتب قال ", "x" * 40]), max_size=120).map("".join),
       st.sampled_from(["", "\x00", "\x1f", "\x08", "\x0c"]))
def test_a_long_text_is_written_as_the_encoder_writes_it(text, control):
    """``json_text``'s quick path (quotes, backslashes, line ends and tabs replaced, found in the text's ASCII) and
    its fallback (any other control character) both write what ``json_str`` does, long text or short."""
    from annotator.formats._json import json_str, json_text

    for t in (text, text * 8, text * 8 + control, control + text * 8):
        assert json_text(t) == json_str(t)


_EVERY_CONTROL = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\u2028", "\u2029"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["\\", '"', "\n", "\r", "\t", "\\n", "\\u0041", "😀", "𝕏", "\U0010ffff", "كتب قال ",
                                 "ﻻ", "\u0622\u0622", "x" * 40, " "]), max_size=150).map("".join),
       st.lists(st.sampled_from(_EVERY_CONTROL), max_size=3).map("".join), st.integers(0, 2000))
def test_a_long_texts_json_is_one_rule_as_text_and_as_utf8(text, controls, at):
    """``json_utf8`` (from the text's UTF-8, as Prodigy writes a task's text) and ``json_text`` (from the text, as
    native, doccano and Label Studio do) write the same JSON, which is the encoder's: the one escape rule on
    both forms, for texts with every control character, quotes, backslashes, Arabic and astral characters,
    short and long (the quick path, and ``json_str``'s for another control character)."""
    from annotator.formats._json import json_str, json_text, json_utf8

    for t in (text, text * 9, text[:at] + controls + text[at:], (text * 9)[:at] + controls + (text * 9)[at:]):
        expected = json_str(t)
        assert json_text(t) == expected
        assert json_utf8(t, t.encode("utf-8")) == expected.encode("utf-8")


@pytest.mark.parametrize("text", ["\ud83d", "قال \udfff محمد" * 40, "\ud800\x01" + "x" * 300])
def test_a_lone_surrogate_has_no_utf8_json(text):
    """``json_utf8`` raises on a lone surrogate passed through in the UTF-8 (no UTF-8 exists for it; the
    export names the document), where ``json_text`` writes what the encoder writes."""
    from annotator.formats._json import json_str, json_text, json_utf8

    assert json_text(text) == json_str(text)
    with pytest.raises(UnicodeEncodeError):
        json_utf8(text, text.encode("utf-8", "surrogatepass"))


def _counted(fn):
    _counted.calls = 0

    def call(*args):
        _counted.calls += 1
        return fn(*args)
    return call


def test_a_task_holding_the_mark_itself_is_written_whole():
    text = "قال \x00result 0\x00 محمد"
    written, _ = _label_studio(text, [(0, 3), (len(text) - 4, len(text))])
    _canonical(written)
    task = json.loads(written)[0]
    assert task["data"]["text"] == text
    assert [a["completed_by"] for a in task["annotations"]] == ["amal", "\x00result 1\x00"]
    assert all(len(a["result"]) == 2 for a in task["annotations"])


# -- doccano and Label Studio lines made as UTF-8 (``_json.encode_spliced_utf8``) --------------------------------

def _records(texts: list[str]) -> list:
    from annotator.formats.base import Record
    from annotator.model.annotations import Annotations, Claim, Document, Entity

    recs = []
    for k, text in enumerate(texts):
        ents = tuple(Entity(f"e{j}", s, s + 2, ("PER", "ORG", 'Q"\\')[j % 3])
                     for j, s in enumerate(range(0, len(text) - 2, 97)))
        claims = (Claim("c0", 0, min(len(text), 5), {}),) if text else ()
        recs.append(Record(Document(f"d{k}", text, {}),
                           Annotations(doc_id=f"d{k}", annotator="amal", entities=ents, claims=claims)))
    return recs


def _both_ways(fmt: str, texts: list[str], tmp_path) -> tuple[bytes, bytes]:
    """What ``fmt`` writes for records of ``texts`` to a UTF-8 file (its lines made as bytes) and to a ``StringIO``
    (as text), as UTF-8."""
    from annotator.formats.base import WriteContext, get_format
    from annotator.schema import default_schema_path, load_schema

    ctx = WriteContext(load_schema(default_schema_path()))
    path = tmp_path / f"out-{fmt}"
    with open(path, "w", encoding="utf-8") as out:
        get_format(fmt).write(_records(texts), out, ctx)
    text = io.StringIO()
    get_format(fmt).write(_records(texts), text, ctx)
    return path.read_bytes(), text.getvalue().encode("utf-8")


_LINE_TEXTS = ["قال «محمد» \"إن\" 2019.\n\tسطر\r\n\\ 😀 " * 30, "short \"x\"", "", "\x01 ctrl \x1f" * 40,
               "قال \x00raw 0\x00 محمد" * 20, "𝕏 astral " * 50]


@pytest.mark.parametrize("fmt", ["doccano", "label-studio", "label-studio-min"])
@pytest.mark.parametrize("texts", [_LINE_TEXTS, [], _LINE_TEXTS[:1], _LINE_TEXTS[3:]])
def test_lines_made_as_utf8_are_the_texts_encoded(fmt, texts, tmp_path):
    """doccano's and Label Studio's lines made as UTF-8 for a file are the UTF-8 of what they write as text (the
    encoder's JSON): long and short texts, escapes, other control characters, astral characters, a text holding a
    splice mark, no record at all (Label Studio's array's commas and brackets)."""
    as_bytes, as_text = _both_ways(fmt, texts, tmp_path)
    assert as_bytes == as_text


@pytest.mark.parametrize("fmt", ["doccano", "label-studio", "label-studio-min"])
def test_a_line_too_long_to_splice_is_written_as_text_in_its_place(fmt, tmp_path):
    """A text over ``SPLICED_AT_MOST`` characters between two usual ones: its line written as text (never made as
    bytes), in its place among the byte lines, with Label Studio's commas."""
    from annotator.formats import _json

    huge = "قال \"x\"\n" * (_json.SPLICED_AT_MOST // 8 + 1)
    as_bytes, as_text = _both_ways(fmt, [_LINE_TEXTS[0], huge, _LINE_TEXTS[1], huge], tmp_path)
    assert as_bytes == as_text


@pytest.mark.parametrize("fmt", ["doccano", "label-studio", "label-studio-min"])
def test_a_lone_surrogate_in_a_line_made_as_utf8_raises_as_text_does(fmt, tmp_path):
    """A lone surrogate (no UTF-8) raises ``UnicodeEncodeError`` when the line is made as bytes, as writing the
    text to a UTF-8 file did (the export names the document); in a long text or a short one."""
    for text in ("قال \ud83d محمد " * 30, "\udfff short"):
        with pytest.raises(UnicodeEncodeError):
            _both_ways(fmt, [_LINE_TEXTS[1], text], tmp_path)


def test_encode_spliced_utf8_is_encode_spliced_encoded_or_none():
    """``encode_spliced_utf8`` is ``encode_spliced``'s line as UTF-8, or None where that line is written whole (a
    value holding a mark, a text too long to splice), for the caller to write as text."""
    from annotator.formats import _json

    for text, note in ((_LINE_TEXTS[0], "n"), (_LINE_TEXTS[3], "n"), ("short", "n"), (_LINE_TEXTS[4], "n"),
                       (_LINE_TEXTS[0], "\x00raw 0\x00"), ("x" * (_json.SPLICED_AT_MOST + 1), "n")):
        obj = {"text": text, "data": {"text": text}, "note": note, "label": _json.Raw(["[0, 3, \"PER\"]"])}
        made = _json.encode_spliced_utf8(obj, [(obj, "label")])
        assert (made is None) == (note != "n" or len(text) > _json.SPLICED_AT_MOST)
        assert json.loads(_json.encode_spliced(obj, [(obj, "label")])) == {**obj, "label": [[0, 3, "PER"]]}
        if made is not None:
            assert made == _json.encode_spliced(obj, [(obj, "label")]).encode("utf-8")


# -- JSON written by format strings: one owner (``_json.writer``) -----------------------------------------

class _Name(str):
    """A ``str`` subclass: not what a state holds, so written by the encoder."""


_VALUES = st.one_of(st.lists(st.sampled_from([*_TRICKY, "{", "}", '"', "\\", "\ud800"])).map("".join), st.integers(),
                    st.booleans(), st.none(), st.floats(allow_nan=False), st.builds(_Name, st.text(max_size=3)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, min_size=5, max_size=5))
def test_a_writer_writes_what_the_encoder_writes_for_its_shape(values) -> None:
    """Every fast path of the JSON writers (native entities, doccano spans and items, Label Studio regions) is a
    ``writer``: a format string where the values have their usual types, the encoder's JSON whatever they are."""
    from annotator.formats._json import ENCODE, INT_SLOT, JSON_SLOT, STR_SLOT, writer

    shape = {"id": STR_SLOT, "n": INT_SLOT, "name": JSON_SLOT, "k": 'c{}"\\', "value": {"labels": [STR_SLOT],
                                                                                        "end": INT_SLOT, "t": True}}
    a, n, name, label, end = values
    filled = {"id": a, "n": n, "name": name, "k": 'c{}"\\', "value": {"labels": [label], "end": end, "t": True}}
    assert writer(shape)(a, n, ENCODE(name), label, end) == ENCODE(filled)
    assert writer([INT_SLOT, INT_SLOT, STR_SLOT])(n, end, label) == ENCODE([n, end, label])
    assert writer("constant")() == ENCODE("constant")
