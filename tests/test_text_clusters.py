"""One definition of "never split a letter from its marks" (``text.clusters``), and the
property that every user agrees with it: operation validation, search, the cursor's
nudge, token edges and proclitic edges."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.errors import OperationError
from annotator.layout import DocumentLayout, LayoutOptions
from annotator.model.operations import check_offsets
from annotator.text import TextIndex, search, tokenize
from annotator.text.clusters import cluster_end, cluster_start, is_boundary, step, widen
from annotator.tui.cursor import Navigator, Selection

FATHA, SHADDA, DAGGER_ALEF, QURANIC_SMALL_HIGH_SEEN = "\u064e", "\u0651", "\u0670", "\u06dc"
ZWJ, ZWNJ, TATWEEL, ACUTE = "\u200d", "\u200c", "\u0640", "\u0301"


def boundaries(text: str) -> list[int]:
    return [i for i in range(len(text) + 1) if is_boundary(text, i)]


def nav(text: str) -> Navigator:
    return Navigator(TextIndex(text), DocumentLayout(text, LayoutOptions(width=40)))


# -- the definition ---------------------------------------------------------------------


def test_a_letter_keeps_harakat_shadda_dagger_alef_and_quranic_marks():
    text = "ر" + SHADDA + FATHA + "ح" + DAGGER_ALEF + "م" + QURANIC_SMALL_HIGH_SEEN + "ن"
    assert boundaries(text) == [0, 3, 5, 7, 8]


def test_zwj_stays_with_the_letter_before_it_zwnj_does_not():
    assert boundaries("ب" + ZWJ + "ا") == [0, 2, 3]
    assert boundaries("کتاب" + ZWNJ + "ها") == [0, 1, 2, 3, 4, 5, 6, 7]


def test_a_mark_after_whitespace_or_at_the_start_begins_its_own_cluster():
    assert boundaries(FATHA + "ب " + FATHA + FATHA + "ت") == [0, 1, 2, 3, 5, 6]


def test_tatweel_is_a_base_that_carries_harakat():
    assert boundaries("ب" + TATWEEL + FATHA + "ت") == [0, 1, 3, 4]


def test_snapping_and_stepping():
    text = "قَالَ"  # ق َ ا ل َ
    assert (cluster_start(text, 1), cluster_end(text, 1)) == (0, 2)
    assert widen(text, 1, 4) == (0, 5)
    assert [step(text, 0, True), step(text, 2, True), step(text, 5, True)] == [2, 3, 5]
    assert [step(text, 5, False), step(text, 2, False), step(text, 0, False)] == [3, 0, 0]


# -- where the three copies disagreed (each failed before text.clusters) ------------------


def test_operations_refuse_an_edge_between_a_letter_and_its_zwj():
    text = "ب" + ZWJ + "ا قال"
    with pytest.raises(OperationError, match="diacritic"):
        check_offsets(text, 0, 1)  # was accepted: the copy in operations ignored ZWJ
    check_offsets(text, 0, 2)
    check_offsets(text, 2, 3)  # after the joiner is a boundary


def test_search_takes_the_zwj_of_the_last_letter():
    text = "قال ب" + ZWJ + " أمس"
    assert [(s.start, s.end) for s in search(text, "ب")] == [(4, 6)]  # was (4, 5)


def test_nudge_stops_at_a_mark_after_a_space_instead_of_taking_the_space():
    text = "قال " + FATHA + "زيد"
    n = nav(text)
    sel = Selection(5, 8, 5)
    # the cursor's copy skipped every mark and put the start on the space (offset 3)
    assert n.nudge(sel, "start", -1) == Selection(4, 8, 5)


def test_nudge_never_leaves_a_zwj_behind():
    text = "ب" + ZWJ + "اب"
    n = nav(text)
    assert n.nudge(Selection(0, 4, 0), "end", -1).end == 3
    assert n.nudge(Selection(0, 3, 0), "end", -1).end == 2  # with its joiner, not 1


# -- every user agrees with the one definition ---------------------------------------------

HARAKAT_AND_QURANIC = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0654\u0655\u06d6\u06dc\u06e1\u08f0"
ALPHABET = ("ابتقلمنوكهيةأ" + HARAKAT_AND_QURANIC + ZWJ + ZWNJ + TATWEEL + "\u200f\u2067\u2069" + "  \n\t\u00a0"
            + "ab" + ACUTE + "\u20dd" + ".،؟" + "١2" + "👍🏽")
texts = st.text(alphabet=st.sampled_from(ALPHABET), max_size=30)


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_operations_accept_exactly_the_cluster_boundaries(text, data):
    if not text:
        return
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    try:
        check_offsets(text, start, end)
        accepted = True
    except OperationError:
        accepted = False
    assert accepted == (is_boundary(text, start) and is_boundary(text, end))


@settings(max_examples=300, deadline=None)
@given(texts, st.text(alphabet=st.sampled_from("ابتقلa" + "\u064e\u0651" + ZWJ), min_size=1, max_size=3))
def test_search_hits_are_whole_clusters(text, query):
    for hit in search(text, query):
        assert is_boundary(text, hit.start) and is_boundary(text, hit.end)
        check_offsets(text, hit.start, hit.end)  # a hit can always be labelled


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.data())
def test_nudge_moves_an_edge_to_the_adjacent_boundary(text, data):
    bounds = boundaries(text)
    if len(bounds) < 3:
        return
    start, end = sorted(data.draw(st.lists(st.sampled_from(bounds), min_size=2, max_size=2, unique=True)))
    edge = data.draw(st.sampled_from(["start", "end"]))
    delta = data.draw(st.sampled_from([-1, 1]))
    moved = nav(text).nudge(Selection(start, end, start), edge, delta)
    assert is_boundary(text, moved.start) and is_boundary(text, moved.end)
    old = start if edge == "start" else end
    new = moved.start if edge == "start" else moved.end
    if new != old:
        assert not any(min(old, new) < b < max(old, new) for b in bounds)  # no boundary skipped
        assert (new > old) == (delta > 0)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_token_and_proclitic_edges_are_boundaries(text):
    for tok in tokenize(text):
        assert is_boundary(text, tok.start) and is_boundary(text, tok.end), tok
        for edge in tok.clitic_edges:
            assert is_boundary(text, edge), (tok, edge)


def test_the_model_uses_clusters_without_importing_camel_tools():
    """``text.clusters`` is light: the package loads its camel-tools parts on first use, so the
    model and the CLI commands that never tokenize do not pay a second for the import."""
    import subprocess
    import sys

    code = ("import sys, annotator.model.operations, annotator.session; "
            "assert 'camel_tools' not in sys.modules; "
            "from annotator.text import search, TextIndex; "
            "assert callable(search) and 'camel_tools' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
