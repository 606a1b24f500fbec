"""Every fast path of the layout engine gives exactly what its general path gives.

``LayoutOptions(fast_paths=False)`` makes each stage take its general path: UAX #9 through
X1–X10 even without explicit controls, atoms measured one by one, lines broken atom by atom,
every cell drawn atom by atom. The lines (cells, offsets, widths, directions) must be equal.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.layout import LayoutOptions, layout_paragraph, layout_text
from annotator.layout.bidi import bidi_classes, resolve_levels

PIECES = (list("بتثجلاأمنهويةءى") + ["\u064e", "\u0651", "\u0670", " ", "  ", "\t", "2019", "12.5", "٢٠١٩",
                                      "abc", "(", ")", "[", "]", "«", "»", "<", "،", ".", "%", "-", "$", "لا",
                                      "لَا", "ـ", "👍", "界", "\u00a0", "\x1b", "\u200b", "\u200c", "\u200d",
                                      "\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u202d",
                                      "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u00ad"])
TEXTS = st.lists(st.sampled_from(PIECES), min_size=0, max_size=80).map("".join)
PLAIN = st.lists(st.sampled_from([p for p in PIECES if not any(0x2066 <= ord(c) <= 0x2069 or 0x202a <= ord(c)
                                                                 <= 0x202e or c in "\u200b\u200c\u200d\ufeff\u00ad"
                                                                 for c in p)]),
                 max_size=60).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, width=st.sampled_from([1, 3, 8, 20, 80]), direction=st.sampled_from(["rtl", "ltr", "auto"]),
       shape=st.booleans(), show=st.booleans())
def test_layout_without_fast_paths_is_the_same(text, width, direction, shape, show):
    options = LayoutOptions(width, direction=direction, shape=shape, show_controls=show)
    fast = layout_paragraph(text, options, offset=5, paragraph=2)
    general = layout_paragraph(text, replace(options, fast_paths=False), offset=5, paragraph=2)
    assert fast == general
    # columns too (the fast path gives lines their columns without a pass over the cells)
    assert [[line.offset_at_column(c) for c in range(line.width)] for line in fast] == \
        [[line.offset_at_column(c) for c in range(line.width)] for line in general]


@settings(max_examples=300, deadline=None)
@given(text=PLAIN, level=st.sampled_from([0, 1]))
def test_levels_without_explicit_controls_equal_the_general_path(text, level):
    """A paragraph without explicit controls skips X1–X10; through them it gets the same levels."""
    classes = bidi_classes(text)
    assert resolve_levels(text, classes, level) == resolve_levels(text, classes, level, fast_paths=False)


def test_seeds_without_fast_paths_are_the_same():
    from pathlib import Path

    seeds = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))
    assert seeds
    for path in seeds:
        text = path.read_text(encoding="utf-8")
        for width in (20, 80):
            options = LayoutOptions(width)
            assert layout_text(text, options) == layout_text(text, replace(options, fast_paths=False))
