"""The fast line breaker (bisection over known widths) breaks exactly where the general loop does.

``engine.layout_paragraph`` takes ``line_bounds`` when ``simple_lines`` holds (no atom has a
context-dependent width, a tab, and no zero-width space marks a break); ``choose_lines``, the
general loop, handles everything. The loop, on the same paragraphs prepared with
``LayoutOptions(fast_paths=False)``, must give the same lines, and the paragraph splitter's fast
path (``\\n`` only) must agree with the general one.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.layout import LayoutOptions
from annotator.layout.atoms import PreparedParagraph
from annotator.layout.breaking import choose_lines, line_bounds, simple_lines
from annotator.layout.paragraphs import split_paragraphs

ALPHABET = st.sampled_from(list("بتثجلاأمنهوي") + ["\u064e", "\u0651", " ", "  ", "2019", "12.5", "abc",
                                                   "(", ")", "«", "»", "،", ".", "\u200f", "\u2067",
                                                   "\u2069", "👍", "ـ", "لا"])
TEXTS = st.lists(ALPHABET, min_size=0, max_size=120).map("".join)


def _loop_lines(text, width):
    """The general loop, on a paragraph prepared without fast paths: atoms measured one by one."""
    return choose_lines(PreparedParagraph(text, LayoutOptions(width=width, fast_paths=False)))


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.sampled_from([1, 2, 5, 8, 20, 40, 80]))
def test_fast_line_breaks_equal_the_general_loop(text, width):
    par = PreparedParagraph(text, LayoutOptions(width=width))
    if not par.n or not simple_lines(par):
        return  # the fast path is not taken for this paragraph anyway
    bounds, _ = line_bounds(par.atom_widths, par.atom_spaces, width)  # as engine.layout_paragraph takes it
    fast = [(begin, end, par.atom_widths[begin:end]) for begin, end in bounds]
    assert fast == _loop_lines(text, width)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["نص", "\n", "\n\n", "abc", " "]), max_size=40).map("".join))
def test_paragraph_split_fast_path_agrees_with_the_general_one(text):
    got = split_paragraphs(text)
    # the general path: the same text with \n written as a one-character separator it also knows
    general = split_paragraphs(text.replace("\n", "\u2029"))
    assert [tuple(p) for p in got] == [tuple(p) for p in general]
    # paragraphs cover the text in order
    assert all(p[0] <= p[1] <= p[2] for p in got)
