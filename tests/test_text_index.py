"""TextIndex lookups agree with a brute-force scan of the same analysis."""

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.text import TextIndex, paragraphs, sentences, tokenize

TEXT = "قال أحمد: والحكومة  بالكامل.\r\n\r\nسطر ثان 12.5 😀"


def brute_at(spans, offset):
    hits = [s for s in spans if s.start <= offset < s.end]
    return hits[0] if hits else None


def test_index_holds_the_same_analysis_as_the_functions():
    index = TextIndex(TEXT)
    assert index.tokens == tokenize(TEXT)
    assert index.sentences == sentences(TEXT)
    assert index.paragraphs == paragraphs(TEXT)


def test_lookups_on_a_known_text():
    index = TextIndex(TEXT)
    space = TEXT.index("  ")
    assert index.token_at(space) is None
    assert index.token_at_or_after(space).text == "بالكامل"
    assert index.token_at_or_before(space).text == "والحكومة"
    assert index.token_at(TEXT.index("حكومة")).text == "والحكومة"
    assert index.token_at_or_before(-1) is None
    assert index.token_at_or_after(len(TEXT)) is None
    assert index.paragraph_at(TEXT.index("\r")) is None
    assert index.paragraph_at(TEXT.index("سطر")) == index.paragraphs[1]
    assert index.sentence_at(TEXT.index("12")) == index.sentences[1]


def test_snap_widens_to_token_edges_and_drops_outer_whitespace():
    index = TextIndex(TEXT)
    start = TEXT.index("حكومة")
    assert index.snap_to_tokens(start, start + 2) == (TEXT.index("والحكومة"), start + 5)
    space = TEXT.index("  ")
    end_b = TEXT.index("بالكامل") + len("بالكامل")
    assert index.snap_to_tokens(space, end_b - 3) == (TEXT.index("بالكامل"), end_b)
    assert index.snap_to_tokens(space, space + 2) == (space, space + 2)
    assert index.snap_to_tokens(start, start) == (TEXT.index("والحكومة"), start + 5)


def test_snap_refuses_a_reversed_range():
    import pytest

    with pytest.raises(ValueError):
        TextIndex(TEXT).snap_to_tokens(5, 2)


def test_empty_text():
    index = TextIndex("")
    assert index.tokens == [] and index.sentences == [] and index.paragraphs == []
    assert index.token_at(0) is None and index.token_at_or_after(0) is None
    assert index.snap_to_tokens(0, 0) == (0, 0)


WINDOWINGS = [{}, {"window": 1, "long": 1}, {"window": 3, "long": 5}, {"window": 8, "long": 16}]


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from("قال أحمد. والحكومة\n\r 12.5😀\u200f"), max_size=50), st.data(),
       st.sampled_from(WINDOWINGS))
def test_lookups_match_brute_force(text, data, windowing):
    """Whatever the windows (down to one character, every paragraph cut), each lookup answers
    what a scan of the whole-text analysis answers."""
    index = TextIndex(text, **windowing)
    toks, sents, paras = tokenize(text), sentences(text), paragraphs(text)
    assert index.tokens == toks and index.sentences == sents and index.paragraphs == paras
    for offset in range(-1, len(text) + 2):
        assert index.token_at(offset) == brute_at(toks, offset)
        assert index.sentence_at(offset) == brute_at(sents, offset)
        assert index.paragraph_at(offset) == brute_at(paras, offset)
        after = [t for t in toks if t.end > offset]
        assert index.token_at_or_after(offset) == (after[0] if after else None)
        before = [t for t in toks if t.start <= offset]
        assert index.token_at_or_before(offset) == (before[-1] if before else None)
        assert list(index.sentences_from(offset)) == [s for s in sents if s.start > offset]
        assert list(index.sentences_from(offset, False)) == [s for s in reversed(sents) if s.start < offset]
        assert list(index.paragraphs_from(offset)) == [p for p in paras if p.start > offset]
        assert list(index.paragraphs_from(offset, False)) == [p for p in reversed(paras) if p.start < offset]
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert index.tokens_in(start, end) == [t for t in toks if t.start < end and t.end > start]
    s, e = index.snap_to_tokens(start, end)
    overlapping = [t for t in toks if t.start < end and t.end > start]
    if start < end and overlapping:
        assert (s, e) == (overlapping[0].start, overlapping[-1].end)
        assert s <= max(start, overlapping[0].start) and e >= min(end, overlapping[-1].end)


def test_index_search_matches_the_function_and_reuses_its_normalized_copy():
    from annotator.text import search

    text = "قال أحمد ثم أَحْمَد و احـــمد"
    index = TextIndex(text)
    assert index.search("احمد") == search(text, "احمد")
    assert [text[s.start:s.end] for s in index.search("احمد")] == ["أحمد", "أَحْمَد", "احـــمد"]
    assert index.search("ثم") == search(text, "ثم")


def test_a_windows_tokens_are_made_once_at_their_offsets(monkeypatch):
    """Each window's tokens are the very ones ``tokenize`` made (``offset=``), not copies rebuilt
    to shift their offsets; the same analysis as the whole text's."""
    import annotator.text.index as index_module

    made: list = []

    def recording(*args, **kwargs):
        tokens = tokenize(*args, **kwargs)
        made.extend(tokens)
        return tokens

    monkeypatch.setattr(index_module, "tokenize", recording)
    text = ("قال الوزير إن الحكومة ستعمل بالكامل. " * 40 + "\n") * 3
    index = TextIndex(text, window=64, long=128)
    got = index.tokens
    assert got == tokenize(text)
    assert index.windows.boundary(1) > 0 and len(made) == len(got)
    assert all(a is b for a, b in zip(got, made, strict=True))


def test_sentence_at_bisects_the_starts_kept_with_its_window(monkeypatch):
    """The starts ``sentence_at`` bisects are built once per window (kept with its sentences),
    not again at every call."""
    import bisect

    import annotator.text.index as index_module

    searched: list = []

    def recording(seq, x, *args, **kwargs):
        searched.append(seq)
        return bisect.bisect_right(seq, x, *args, **kwargs)

    text = "قال أحمد إن الحكومة ستعمل. وأضاف أن الوزير وصل. " * 4
    index = TextIndex(text)
    monkeypatch.setattr(index_module, "bisect_right", recording)
    answers = [index.sentence_at(offset) for offset in range(0, len(text), 5)]
    assert answers == [brute_at(index.sentences, offset) for offset in range(0, len(text), 5)]
    assert len(searched) > 1 and all(seq is searched[0] for seq in searched)


def test_a_paragraphs_edges_are_trimmed_by_the_one_rule_of_segments(monkeypatch):
    """``TextIndex`` trims a paragraph with ``segments.trimmed`` (the rule ``paragraphs`` and
    ``sentences`` use), not a copy of it: white space of every kind is left out alike."""
    from annotator.text import index as index_module
    from annotator.text import segments

    calls = []

    def recorded(text, start, end):
        calls.append((start, end))
        return segments.trimmed(text, start, end)

    monkeypatch.setattr(index_module, "trimmed", recorded)
    text = "\t\u3000قال أحمد\xa0\x1c\n \u2028سطر ثان\u205f\r\n\u00a0\n"
    index = TextIndex(text)
    paras = paragraphs(text)
    assert [index.paragraph_at(p.start) for p in paras] == paras and calls
    assert list(index.paragraphs_from(-1)) == paras
