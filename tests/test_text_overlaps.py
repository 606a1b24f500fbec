"""``text.overlaps.SpansByStart``: the spans overlapping a range, by bisection, are those a scan finds."""

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.text.overlaps import SpansByStart

SPANS = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30)).map(lambda p: (p[0], p[0] + p[1])), max_size=40)


@settings(max_examples=300, deadline=None)
@given(SPANS, st.integers(-5, 95), st.integers(0, 40))
def test_overlapping_is_what_a_scan_of_every_span_finds(spans, start, length):
    end = start + length
    index = SpansByStart.of_pairs(spans)
    got = index.overlapping(start, end)
    assert sorted(got) == sorted(s for s in spans if s[0] < end and start < s[1])
    assert got == sorted(got, key=lambda s: (s[0], -s[1])) and len(index) == len(spans)


def test_items_are_kept_with_their_bounds():
    words = ["ab", "abcd", "b"]
    index = SpansByStart(words, lambda w: (len(w), 2 * len(w)))
    assert index.items == ["b", "ab", "abcd"]
    assert index.overlapping(3, 5) == ["ab", "abcd"] and index.overlapping(1, 3) == ["b", "ab"]
