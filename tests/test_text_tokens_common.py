"""The app's tokenizer on common text: ``tokenize`` (and so the lazy ``TextIndex``, which tokenizes a
window at a time) splits a chunk of common characters (``wordbreak.common_tokens``) in one pass, and
must give exactly the tokens of the per-word path (offsets, text, kind, clitic edges) on the seeds, the
shared corpora, and generated text that also holds what ``common_tokens`` refuses. The speed is
``bench/bench_text.py``'s, never timed here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.text import TextIndex, wordbreak
from annotator.text import tokens as tokens_module
from annotator.text.bounds import token_table
from annotator.text.tokens import Token, tokenize
from annotator.text.wordbreak import common_pieces, common_tokens

from conftest import SEEDS, shared_text_files


def per_word(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """The general path alone: every run through camel-tools' rule and the alignment."""
    out: list[Token] = []
    tokens_module._runs_into(out, text, start, len(text) if end is None else end)
    return out


def windows_tokens(text: str) -> list[Token]:
    """Every token as the lazy index gives them, walking the text (its own ``tokenize`` per window)."""
    index = TextIndex(text)
    out: list[Token] = []
    token = index.token_at_or_after(0)
    while token is not None:
        out.append(token)
        token = index.token_after(token)
    return out


def same(text: str, whole: bool = True) -> tuple[int, int]:
    """Whole (a chunk at a time), and in each of the index's windows, the tokens are the per-word path's;
    returns how many windows were common text and how many were not."""
    if whole:
        assert tokenize(text) == per_word(text)
    index = TextIndex(text)
    paths = [0, 0]
    for k in range(index.windows.count):
        start, end = index.windows.bounds(k)
        assert index._window_tokens(k).tokens == per_word(text, start, end), (start, end)
        paths[common_tokens(text[start:end]) is None] += 1
    return paths[0], paths[1]


def test_the_seeds_are_tokenized_the_same_whole_and_by_window():
    paths = sorted(SEEDS.glob("*.txt"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert common_tokens(text) is not None, path.name  # the seeds take the one-pass path
        same(text)
        assert windows_tokens(text) == per_word(text)
        assert any(t.clitic_edges for t in tokenize(text))  # edges are compared, not all empty


@pytest.mark.shared
def test_the_shared_corpora_are_tokenized_the_same():
    files = shared_text_files()
    common = general = 0
    for path in files:
        c, g = same(path.read_text(encoding="utf-8", errors="surrogateescape"), whole=path.stat().st_size < 100_000)
        common, general = common + c, general + g
    assert common and general  # windows of both paths were compared


# common characters, and what common_tokens refuses: a mark after a symbol (a cut inside a cluster),
# emoji and their joiners, bidi and zero-width controls, tatweel, a lone surrogate, other scripts
_ALPHABET = [*"ab \n\t\xa0\x1c.،؟؛«»\"'#*0٣…—-", "\u064e", "\u0651", "\u0640", "كتب", "وال", "بال", "للحكومة",
             "2019", "é", "\u200c", "\u200d", "\u200f", "😀", "\ufe0f", "\u20e3", "\u0600", "\u06dd",
             "\U0001f3fb", "\ud800", "中", "\u0301"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_ALPHABET), max_size=60).map("".join))
def test_generated_text_is_tokenized_the_same(text: str) -> None:
    assert tokenize(text) == per_word(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_ALPHABET), min_size=1, max_size=80).map("".join), st.data())
def test_any_window_of_generated_text_is_tokenized_the_same(text: str, data: st.DataObject) -> None:
    """A window's edges sit between tokens (as the index's windows do): the same tokens either way."""
    edges = sorted({0, len(text), *(t.end for t in per_word(text)), *(t.start for t in per_word(text))})
    start = data.draw(st.sampled_from(edges))
    end = data.draw(st.sampled_from([e for e in edges if e >= start]))
    assert tokenize(text, start, end) == per_word(text, start, end)


def record_calls(monkeypatch, module, name: str) -> list[str]:
    """The text each call of ``module.name`` (a function of one text) is given, from now on."""
    calls: list[str] = []
    real = getattr(module, name)

    def recorded(text: str):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(module, name, recorded)
    return calls


def test_refused_text_takes_the_per_word_path_and_a_long_text_only_for_its_chunk(monkeypatch):
    runs = record_calls(monkeypatch, tokens_module, "_analyse_run")
    monkeypatch.setattr(wordbreak, "CHUNK", 40)
    common = "قال الرئيس، «نعم» 2019. والحكومة "
    text = common * 4 + "ب.\u064eب 😀 " + common * 4
    assert tokenize(text) == per_word(text)
    runs.clear()
    tokenize(text)
    assert "ب.\u064eب" in runs and "😀" in runs  # the refused chunk went the per-word way …
    assert len(runs) < len(text.split()) // 2  # … and only that chunk
    # the cut camel-tools makes inside the cluster ``.َ`` is merged back: one token, as the per-word path says
    assert tokenize(".\u064eب") == per_word(".\u064eب") == [Token(0, 3, ".\u064eب", "word")]


def test_a_window_of_common_text_is_tokenized_without_the_per_word_loop(monkeypatch):
    """What the app does as a document opens and the cursor moves: the index's windows of common
    text never go through camel-tools' per-word rule."""
    text = (sorted(SEEDS.glob("*.txt"))[0]).read_text(encoding="utf-8")
    want = per_word(text)

    def refused(*_args, **_kwargs):
        raise AssertionError("common text went through the per-word tokenizer loop")

    monkeypatch.setattr(tokens_module, "_analyse_run", refused)
    assert windows_tokens(text) == want
    index = TextIndex(text)
    middle = want[len(want) // 2]
    assert index.token_at(middle.start) == middle


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_ALPHABET), max_size=40).map("".join))
def test_common_pieces_are_the_split_common_tokens_reads(text: str) -> None:
    """One test of "common text" and one split (``wordbreak.common_pieces``), for the tokens and for the
    tables a store keeps (``bounds.pack``): white space and tokens alternating, covering the text."""
    pieces, common = common_pieces(text), common_tokens(text)
    assert (pieces is None) == (common is None)
    if pieces is not None and common is not None:
        assert "".join(pieces) == text and pieces[1::2] == common[2]
        assert all(not p or p.isspace() for p in pieces[0::2])


def test_no_module_reaches_into_the_private_names_of_wordbreak():
    """``bounds`` once read ``wordbreak._common_patterns`` and repeated half of ``common_tokens``: the
    common split has one owner, and its public face (``common_pieces``) is what others use."""
    root = Path(tokens_module.__file__).resolve().parents[1]
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "wordbreak.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("wordbreak"):
                offenders += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and isinstance(node.value, ast.Name) and node.value.id == "wordbreak":
                offenders.append(f"{path.name}: wordbreak.{node.attr}")
    assert offenders == []


def test_tokenize_and_the_export_table_cut_a_long_text_into_the_same_chunks(monkeypatch):
    """One chunking loop (``wordbreak.common_chunks``) for ``tokenize`` and ``bounds.token_table``: its
    ``CHUNK`` decides both, they try the same chunks as common text, and give the per-word tokens."""
    tried = record_calls(monkeypatch, wordbreak, "common_tokens")
    monkeypatch.setattr(wordbreak, "CHUNK", 30)
    common = "قال الرئيس، «نعم» 2019. والحكومة "
    text = common * 3 + "ب.\u064eب 😀 " + common * 3 + "كلمةطويلةجداجداجداجداجداجداجداجدا"
    want = per_word(text)
    assert tokenize(text) == want
    by_tokenize, tried[:] = tried[:], []
    starts, ends, texts = token_table(text)
    assert (list(starts), list(ends), texts) == ([t.start for t in want], [t.end for t in want], None)
    assert tried == by_tokenize and len(tried) > 4 and "".join(tried) == text
    assert all(len(chunk) >= 30 and after[:1].isspace() for chunk, after in zip(tried, tried[1:], strict=False))  # cut at a space
