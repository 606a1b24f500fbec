"""``layout.stored.search_forward``, ``search_backward`` and ``layout.windows.last_paragraph_break`` (what finds paragraph starts and
window cuts): a ``str`` is searched in one C call, never a piece at a time, and finds what a ``StoredText``'s
piece-wise search finds (a ``\\r\\n`` cut at a piece's end aside, which ``next_paragraph_break`` makes whole)."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.layout import DocumentLayout, LayoutOptions
from annotator.layout import stored as stored_module
from annotator.layout.stored import StoredText, search_backward, search_forward
from annotator.layout.windows import (
    PARAGRAPH_BREAK,
    PARAGRAPH_BREAK_BACKWARDS,
    Windows,
    last_paragraph_break,
    next_paragraph_break,
)

ALPHABET = ["ق", "ا", "ل", "َ", " ", " ", ".", "\r", "\n", "\r\n", "\u2029", "😀", "a", "1", "\t"]
SAFE_CUT = regex.compile(r"\p{L}[ ](?=\p{L})")
TEXTS = st.lists(st.sampled_from(ALPHABET), max_size=80).map("".join)


def pieces_of(text: str) -> StoredText:
    return StoredText(len(text), lambda a, b: text[a:b], chunk=5, kept=2)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(-3, 85), st.integers(-3, 85), st.integers(3, 9))
def test_a_str_and_a_stored_text_are_searched_alike(text, a, b, piece):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stored_module, "SEARCH_PIECE", piece)  # piece edges everywhere
        lazy = pieces_of(text)
        for pattern in (PARAGRAPH_BREAK, SAFE_CUT):
            whole, by_pieces = search_forward(pattern, text, a, b), search_forward(pattern, lazy, a, b)
            assert (whole is None) == (by_pieces is None)
            if whole is not None and by_pieces is not None:
                assert whole[0] == by_pieces[0]
                assert whole[1:] == by_pieces[1:] or (whole[2], by_pieces[2]) == ("\r\n", "\r")
        m = PARAGRAPH_BREAK_BACKWARDS.search(text, max(a, 0), max(min(b, len(text)), 0))
        backwards = None if m is None or max(a, 0) >= min(b, len(text)) else (m.start(), m.end(), m.group())
        by_pieces = search_backward(PARAGRAPH_BREAK_BACKWARDS, lazy, a, b)
        assert (backwards is None) == (by_pieces is None)
        if backwards is not None and by_pieces is not None:  # the same separator's end; a \r\n may come cut
            assert backwards[1] == by_pieces[1]
            assert backwards == by_pieces or (backwards[2], by_pieces[2]) == ("\r\n", "\n")
        assert next_paragraph_break(text, a, b) == next_paragraph_break(lazy, a, b)
        assert last_paragraph_break(text, a, b) == last_paragraph_break(lazy, a, b)


@settings(max_examples=40, deadline=None)
@given(TEXTS)
def test_windows_and_layout_of_a_str_and_a_stored_text_are_the_same(text):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stored_module, "SEARCH_PIECE", 3)
        plain, lazy = Windows(text, 4, 6), Windows(pieces_of(text), 4, 6)
        assert [plain.bounds(k) for k in range(plain.count)] == [lazy.bounds(k) for k in range(lazy.count)]
        options = LayoutOptions(7)
        one, other = DocumentLayout(text, options, window=4, long=6), DocumentLayout(pieces_of(text), options,
                                                                                      window=4, long=6)
        assert one.lines(0, 200) == other.lines(0, 200)


class Sliced(str):
    """A ``str`` that records every slice taken of it."""

    slices: list[slice]

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, slice):
            self.slices.append(key)
        return str.__getitem__(self, key)


def test_a_str_is_searched_without_copying_a_slice():
    """Before, a ``str`` went the stored text's way: a 16k slice copied per piece, so a paragraph start
    far back (``DocumentLayout._paragraph_start``) cost a copy of everything in between."""
    text = Sliced("ق" * 100_000 + "\n" + "ل" * 100_000 + " ا")
    text.slices = []
    assert last_paragraph_break(text, 0, len(text)) == (100_000, 100_001)
    assert search_forward(SAFE_CUT, text, 0, len(text)) == (200_000, 200_002, "ل ")
    assert search_forward(PARAGRAPH_BREAK, text, 100_001, len(text)) is None
    assert last_paragraph_break(text, 100_001, len(text)) is None
    assert text.slices == []
    layout = DocumentLayout(text, LayoutOptions(40), window=1024, long=8192)
    text.slices = []
    assert layout._paragraph_start(190_000) == 100_001
    assert text.slices == []


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "ق", " ", "\r", "\n", "\r\n", "\u2029", "\u2028", "\x85"]), max_size=40)
       .map("".join), st.integers(-2, 42), st.integers(-2, 42), st.integers(3, 7))
def test_the_last_paragraph_break_is_the_reverse_searchs_whole(text, a, b, piece):
    """``last_paragraph_break``: ``str.rfind`` on a str, the piece-wise reverse search on a stored text;
    both give the last separator in ``text[a:b]`` as one reverse regular-expression search finds it."""
    m = PARAGRAPH_BREAK_BACKWARDS.search(text, max(a, 0), max(min(b, len(text)), 0))
    want = None if m is None or max(a, 0) >= min(b, len(text)) else m.span()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stored_module, "SEARCH_PIECE", piece)
        assert last_paragraph_break(text, a, b) == want == last_paragraph_break(pieces_of(text), a, b)


class Found(str):
    """A ``str`` that records the stretch of every ``rfind``."""

    stretches: list[tuple[str, int, int]]

    def rfind(self, sub, start=None, end=None):  # type: ignore[override]
        self.stretches.append((sub, start, end))
        return str.rfind(self, sub, start, end)


def test_a_paragraph_start_is_looked_for_back_to_the_nearest_separator_only():
    """Each separator is looked for only after the nearest one found so far: a paragraph start near
    the end of a long text costs its distance, not the text's length."""
    text = Found("ق" * 500_000 + "\u2029" + "ا" * 10 + "\n" + "ل" * 20)
    text.stretches = []
    assert last_paragraph_break(text, 0, len(text)) == (500_011, 500_012)
    assert text.stretches == [("\n", 0, len(text)), ("\r", 500_012, len(text)), ("\u2029", 500_012, len(text))]
    layout = DocumentLayout(text, LayoutOptions(40), window=8, long=8)
    assert layout._paragraph_start(len(text) - 3) == 500_012


def test_the_backward_search_has_one_owner_reading_a_stored_text_back_to_the_separator_only():
    """``last_paragraph_break`` is the one backward search of a text (``stored.search_backward``, which owns the
    pieces' size as ``search_forward`` does, takes only a ``StoredText``): on a ``StoredText`` it reads the
    pieces from ``stop`` back to the separator, no further."""
    text = "ق" * 50_000 + "\r\n" + "ل" * 20_000
    read: list[tuple[int, int]] = []
    lazy = StoredText(len(text), lambda a, b: read.append((a, b)) or text[a:b], chunk=4096, kept=64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stored_module, "SEARCH_PIECE", 5000)
        assert last_paragraph_break(lazy, 0, len(text)) == (50_000, 50_002)
    assert min(a for a, _ in read) >= 40_000 and lazy.stats["whole"] == 0  # never its first 40,000
