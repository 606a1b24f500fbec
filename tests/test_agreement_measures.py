"""The agreement measures against published values and against implementations we did not write.

Published values (typed in from the literature):
- Krippendorff (2004), unitizing example: α_c = 0.7286, α_k = 1.0, u-α ≈ 0.859.
- Krippendorff's 4 coders × 12 units: α nominal 0.743, ordinal 0.815, interval 0.849.
- Fleiss (1971), 30 subjects × 6 raters (the table statsmodels' tests use): κ = 0.430.
- Cohen (1960), table 2.b (200 items, 3 categories): κ = 0.492.
Oracles: the ``krippendorff`` package, scikit-learn's ``cohen_kappa_score``, statsmodels'
``fleiss_kappa``; u-α (no package has it) against a literal transcription of the formula.
"""

from __future__ import annotations

import math
import random
from itertools import permutations

import krippendorff
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotator.agreement.measures import (
    F1Counts,
    SpanItem,
    coding_alpha,
    cohen_kappa,
    fleiss_kappa,
    kappa,
    match_spans,
    merge_units,
    overall_unitizing,
    unitizing_alpha,
)

# --- Krippendorff (2004): α for unitizing --------------------------------------------------------

C1 = [(75, 145), (220, 250)]
C2 = [(70, 150), (205, 225), (250, 270)]
K1 = [(30, 90), (150, 200)]
K2 = [(30, 90), (150, 200)]


def test_unitizing_reproduces_krippendorff_2004():
    c = unitizing_alpha(300, [C1, C2])
    k = unitizing_alpha(300, [K1, K2])
    assert c[0].value == pytest.approx(0.7286, abs=5e-5)
    assert c[1] == pytest.approx(0.0144, abs=5e-5) and c[2] == pytest.approx(0.0532, abs=5e-5)
    # the squared distances making up D_o(c): 50, 850 and 400, each met twice, over m(m-1)L²
    assert c[1] == pytest.approx(2 * (50 + 850 + 400) / (2 * 300 ** 2))
    assert k[0].value == 1.0 and k[2] == pytest.approx(0.0490, abs=5e-5)
    overall = overall_unitizing([c, k])
    assert overall.value == pytest.approx(0.859, abs=5e-4)
    assert overall.items == 9 and c[0].items == 5 and k[0].items == 4


def _literal_u_alpha(length, coders):
    """Krippendorff's (2004) double sums written out term by term, over every pair of segments."""
    m = len(coders)
    segs = []
    for units in coders:
        units = merge_units(units)
        out, pos = [], 0
        for s, e in units:
            if s > pos:
                out.append((s - (s - pos), s, 0))
            out.append((s, e, 1))
            pos = e
        if pos < length:
            out.append((pos, length, 0))
        segs.append(out)
    total = 0
    for i in range(m):
        for j in range(m):
            if i == j:
                continue
            for bg, eg, vg in segs[i]:
                lg = eg - bg
                for bh, eh, vh in segs[j]:
                    lh = eh - bh
                    if vg and vh and bg < eh and bh < eg:
                        total += (bg - bh) ** 2 + (eg - eh) ** 2
                    elif vg and not vh and lh - lg >= bg - bh >= 0:
                        total += lg ** 2
                    elif not vg and vh and lg - lh >= bh - bg >= 0:
                        total += lh ** 2
    d_o = total / (m * (m - 1) * length ** 2)
    n_c = sum(v for seg in segs for _, _, v in seg)
    top, bottom = 0.0, m * length * (m * length - 1)
    for seg in segs:
        for bg, eg, vg in seg:
            if not vg:
                continue
            lg = eg - bg
            inner = sum((eh - bh) - lg + 1 for other in segs for bh, eh, vh in other
                        if not vh and eh - bh >= lg)
            top += (n_c - 1) / 3 * (2 * lg ** 3 - 3 * lg ** 2 + lg) + lg ** 2 * inner
            bottom -= lg * (lg - 1)
    d_e = 2 / length * top / bottom
    return d_o, d_e


@st.composite
def _unitized(draw):
    length = draw(st.integers(5, 60))
    m = draw(st.integers(2, 4))
    coders = []
    for _ in range(m):
        cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)))
        units = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
        coders.append(units)
    return length, coders


@settings(max_examples=200, deadline=None)
@given(_unitized())
def test_unitizing_matches_the_literal_formula_and_ignores_coder_order(case):
    length, coders = case
    fig, d_o, d_e = unitizing_alpha(length, coders)
    lit_o, lit_e = _literal_u_alpha(length, coders)
    assert d_o == pytest.approx(lit_o, abs=1e-12)
    assert d_e == pytest.approx(lit_e, rel=1e-9, abs=1e-12)
    for order in list(permutations(coders))[:6]:
        again = unitizing_alpha(length, list(order))[0]
        assert (again.value is None) == (fig.value is None)
        if fig.value is not None:
            assert again.value == pytest.approx(fig.value)


@settings(max_examples=100, deadline=None)
@given(_unitized())
def test_unitizing_identical_coders_agree_perfectly(case):
    length, coders = case
    same = [coders[0]] * len(coders)
    fig = unitizing_alpha(length, same)[0]
    assert fig.value is None or fig.value == pytest.approx(1.0)
    if coders[0] and any(e - s < length for s, e in coders[0]):
        assert fig.value == pytest.approx(1.0)


def test_unitizing_is_null_not_zero_without_units_or_coders():
    assert unitizing_alpha(100, [[], []])[0].value is None
    assert unitizing_alpha(100, [[(0, 10)]])[0].value is None
    assert overall_unitizing([unitizing_alpha(100, [[], []])]).value is None


# --- Krippendorff's coding α: 4 coders × 12 units -------------------------------------------------

_ = None
RELIABILITY = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    "C": [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
}
UNITS = [{c: RELIABILITY[c][u] for c in RELIABILITY} for u in range(12)]


@pytest.mark.parametrize("level,expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_coding_alpha_reproduces_krippendorffs_reliability_data(level, expected):
    fig = coding_alpha(UNITS, level, order=[1, 2, 3, 4, 5] if level == "ordinal" else None)
    assert round(fig.value, 3) == expected
    assert fig.items == 11  # the 12th unit has one value: not pairable


def test_ordinal_alpha_follows_the_declared_order_not_the_spelling():
    words = {1: "low", 2: "mid", 3: "high", 4: "higher", 5: "top"}
    units = [{c: (words[v] if v is not None else None) for c, v in u.items()} for u in UNITS]
    fig = coding_alpha(units, "ordinal", order=["low", "mid", "high", "higher", "top"])
    assert round(fig.value, 3) == 0.815


_values = st.one_of(st.none(), st.integers(0, 4))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_values, min_size=3, max_size=3), min_size=2, max_size=25),
       st.sampled_from(["nominal", "ordinal", "interval"]))
def test_coding_alpha_agrees_with_the_krippendorff_package(rows, level):
    units = [{"x": a, "y": b, "z": c} for a, b, c in rows]
    ours = coding_alpha(units, level, order=[0, 1, 2, 3, 4] if level == "ordinal" else None)
    pairable = [u for u in units if sum(v is not None for v in u.values()) >= 2]
    values = {v for u in pairable for v in u.values() if v is not None}
    if len(values) < 2:
        assert ours.value is None
        return
    matrix = [[math.nan if u[c] is None else float(u[c]) for u in units] for c in "xyz"]
    theirs = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    assert ours.value == pytest.approx(theirs, abs=1e-9)
    assert ours.items == len(pairable)
    # coder order and unit order change nothing
    shuffled = [dict(reversed(list(u.items()))) for u in reversed(units)]
    again = coding_alpha(shuffled, level, order=[0, 1, 2, 3, 4] if level == "ordinal" else None)
    assert again.value == pytest.approx(ours.value, abs=1e-9)


def test_coding_alpha_nominal_on_labels_and_booleans():
    units = [{"a": True, "b": True}, {"a": False, "b": True}, {"a": False, "b": False}, {"a": True, "b": True}]
    as_numbers = [[1, 0, 0, 1], [1, 1, 0, 1]]
    expected = krippendorff.alpha(reliability_data=as_numbers, level_of_measurement="nominal")
    assert coding_alpha(units, "nominal").value == pytest.approx(expected)


def test_coding_alpha_is_null_not_zero_where_undefined():
    assert coding_alpha([], "nominal").value is None
    assert coding_alpha([{"a": "x"}, {"b": "y"}], "nominal").items == 0
    same = coding_alpha([{"a": "x", "b": "x"}] * 5, "nominal")
    assert same.value is None and same.items == 5 and "same" in same.why


# --- Fleiss (1971): 30 subjects × 6 raters ---------------------------------------------------------

FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]


def test_fleiss_kappa_reproduces_fleiss_1971():
    fig = fleiss_kappa(FLEISS_1971)
    assert round(fig.value, 3) == 0.430
    assert fig.extra["observed"] == pytest.approx(0.5556, abs=5e-5)
    # Fleiss squared marginals rounded to three places (.144, .144, .167, .306, .239): 0.2201
    assert fig.extra["expected"] == pytest.approx(0.2201, abs=3e-4)
    assert fig.items == 30
    assert fig.value == pytest.approx(sm_fleiss_kappa(aggregate_raters(FLEISS_1971)[0]), abs=1e-12)
    assert kappa(FLEISS_1971).extra["measure"] == "fleiss"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=4, max_size=4), min_size=1, max_size=30))
def test_fleiss_kappa_agrees_with_statsmodels(rows):
    ours = fleiss_kappa(rows)
    if len({v for row in rows for v in row}) < 2:
        assert ours.value is None
        return
    theirs = sm_fleiss_kappa(aggregate_raters(rows)[0])
    assert ours.value == pytest.approx(theirs, abs=1e-9)


# --- Cohen (1960): table 2.b ----------------------------------------------------------------------

COHEN_1960 = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]  # judge A (rows) × judge B (columns), 200 items


def _cohen_pairs():
    return [(row, col) for row, counts in enumerate(COHEN_1960) for col, n in enumerate(counts) for _ in range(n)]


def test_cohen_kappa_reproduces_cohen_1960():
    pairs = _cohen_pairs()
    fig = cohen_kappa(pairs)
    assert round(fig.value, 3) == 0.492
    assert fig.extra["observed"] == pytest.approx(0.70) and fig.extra["expected"] == pytest.approx(0.41)
    assert fig.items == 200
    assert fig.value == pytest.approx(cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs]))
    assert kappa([(a, b) for a, b in pairs]).extra["measure"] == "cohen"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("OPQ"), st.sampled_from("OPQR")), min_size=1, max_size=60))
def test_cohen_kappa_agrees_with_scikit_learn(pairs):
    ours = cohen_kappa(pairs)
    if ours.value is None:
        assert len({v for p in pairs for v in p}) == 1
        return
    theirs = cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs])
    assert ours.value == pytest.approx(theirs, abs=1e-9)


def test_kappa_is_null_not_zero_when_one_value_everywhere():
    assert cohen_kappa([("O", "O")] * 10).value is None
    assert fleiss_kappa([["O"] * 3] * 10).value is None
    assert cohen_kappa([]).value is None and cohen_kappa([]).items == 0


# --- span matching and F1 ------------------------------------------------------------------------

def test_exact_matching_needs_same_start_end_and_label():
    a = [SpanItem(0, 5, "PER"), SpanItem(10, 20, "ORG"), SpanItem(30, 35, "GPE")]
    b = [SpanItem(0, 5, "PER"), SpanItem(10, 19, "ORG"), SpanItem(30, 35, "LOC")]
    assert match_spans(a, b, "exact") == [(0, 0)]


def test_overlap_matching_takes_the_largest_overlap_first_and_each_span_once():
    a = [SpanItem(0, 10, "X"), SpanItem(8, 14, "X")]
    b = [SpanItem(5, 12, "X"), SpanItem(0, 9, "X"), SpanItem(0, 9, "Y")]
    # a0–b1 share 9, a0–b0 5, a1–b0 4, a1–b1 1: greedy gives a0–b1 then a1–b0
    assert sorted(match_spans(a, b, "overlap")) == [(0, 1), (1, 0)]
    # the order the spans were made in does not matter
    assert sorted(match_spans(list(reversed(a)), b, "overlap")) == [(0, 0), (1, 1)]
    # touching is not overlapping
    assert match_spans([SpanItem(0, 5)], [SpanItem(5, 9)], "overlap") == []


def test_pooled_f1_sums_counts_over_pairs():
    one = F1Counts(matched=1, a=2, b=2)
    two = F1Counts(matched=0, a=1, b=3)
    total = F1Counts()
    total.add(one)
    total.add(two)
    assert total.f1().value == pytest.approx(2 * 1 / (4 + 4))
    assert total.f1().items == 8
    assert F1Counts().f1().value is None


def test_random_exact_f1_equals_multiset_formula():
    rng = random.Random(7)
    for _ in range(200):
        a = [SpanItem(s, s + rng.randint(1, 3), rng.choice("AB")) for s in rng.sample(range(20), 6)]
        b = [SpanItem(s, s + rng.randint(1, 3), rng.choice("AB")) for s in rng.sample(range(20), 6)]
        common = sum(min(a.count(x), b.count(x)) for x in set(a))
        assert len(match_spans(a, b, "exact")) == common
