"""The agreement measures themselves, on plain values: no store, no schema, no terminal.

Every function returns a ``Figure``: the value, or ``None`` where the measure is undefined
(never 0, never an exception), the number of items it rests on and, when undefined, why.

Where a well-kept library computes a measure we call it: Krippendorff's coding α comes
from the ``krippendorff`` package. Cohen's and Fleiss' κ are a few lines of arithmetic
(tested against scikit-learn and statsmodels, which stay test-only: they pull SciPy).
Krippendorff's α for unitizing (u-α, Krippendorff 2004) exists in no maintained Python
package, so it is written here and tested against the published example.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import krippendorff

Level = Literal["nominal", "ordinal", "interval"]
# the levels of measurement offered, each under the name the krippendorff package knows it by
LEVELS: dict[str, Level] = {"nominal": "nominal", "ordinal": "ordinal", "interval": "interval"}


@dataclass
class Figure:
    """One reported number: ``value`` is None where the measure is undefined (``why`` says why)."""

    value: float | None
    items: int
    why: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "items": self.items}
        out.update(self.extra)
        if self.value is None:
            out["why"] = self.why or "undefined"
        return out


def undefined(items: int, why: str, **extra: Any) -> Figure:
    return Figure(None, items, why, dict(extra))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# --- spans: matching and F1 -------------------------------------------------------------------

@dataclass(frozen=True)
class SpanItem:
    """A span as matching sees it: offsets and a label (claims use one label, "")."""

    start: int
    end: int
    label: str = ""


def match_spans(a: Sequence[SpanItem], b: Sequence[SpanItem], mode: str) -> list[tuple[int, int]]:
    """Pairs (index in a, index in b) of matched spans, each span matched at most once.

    ``exact``: same start, end and label. ``overlap``: same label and at least one shared
    character, the pairs with the largest overlap taken first (ties: earlier spans first),
    so the result does not depend on the order the annotators made their spans in.
    """
    if mode == "exact":
        free: dict[SpanItem, list[int]] = {}
        for j, span in enumerate(b):
            free.setdefault(span, []).append(j)
        pairs = []
        for i, span in enumerate(a):
            slots = free.get(span)
            if slots:
                pairs.append((i, slots.pop(0)))
        return pairs
    if mode != "overlap":
        raise ValueError(f"unknown matching {mode!r}")
    candidates = []
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            shared = min(x.end, y.end) - max(x.start, y.start)
            if shared > 0 and x.label == y.label:
                candidates.append((-shared, x.start, y.start, x.end, y.end, i, j))
    candidates.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for *_, i, j in candidates:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return pairs


@dataclass
class F1Counts:
    """What pooled F1 needs: matched pairs and the span counts on both sides."""

    matched: int = 0
    a: int = 0
    b: int = 0

    def add(self, other: F1Counts) -> None:
        self.matched += other.matched
        self.a += other.a
        self.b += other.b

    def f1(self, **extra: Any) -> Figure:
        """2·matched / (|A|+|B|): symmetric, and pooled over pairs by summing the counts."""
        items = self.a + self.b
        extra = {"matched": self.matched, **extra}
        if items == 0:
            return undefined(0, "no spans on either side", **extra)
        return Figure(2 * self.matched / items, items, extra=extra)

    def precision(self) -> Figure:
        if self.a == 0:
            return undefined(0, "the annotator made no spans", matched=self.matched)
        return Figure(self.matched / self.a, self.a, extra={"matched": self.matched})

    def recall(self) -> Figure:
        if self.b == 0:
            return undefined(0, "the reference has no spans", matched=self.matched)
        return Figure(self.matched / self.b, self.b, extra={"matched": self.matched})


# --- κ on nominal values ----------------------------------------------------------------------

def top_share(values: Iterable[Hashable]) -> float | None:
    """The share of the most common value (for the skew diagnostic), None when there are none."""
    counts = Counter(values)
    total = sum(counts.values())
    return max(counts.values()) / total if total else None


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> Figure:
    """Cohen's κ = (P_o − P_e) / (1 − P_e) for two coders, one (value, value) per item;
    P_e from each coder's own marginals (Cohen 1960)."""
    n = len(pairs)
    if n == 0:
        return undefined(0, "no item coded by both")
    observed = sum(1 for x, y in pairs if x == y) / n
    first = Counter(x for x, _ in pairs)
    second = Counter(y for _, y in pairs)
    expected = sum(first[v] * second.get(v, 0) for v in first) / (n * n)
    extra = {"observed": observed, "expected": expected,
             "top_share": top_share([x for x, _ in pairs] + [y for _, y in pairs])}
    if expected >= 1.0:
        return undefined(n, "both coders gave every item the same one value (P_e = 1)", **extra)
    return Figure((observed - expected) / (1 - expected), n, extra=extra)


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> Figure:
    """Fleiss' κ (1971) for m ≥ 2 coders, each item coded by all of them (one value each)."""
    n = len(items)
    if n == 0:
        return undefined(0, "no item coded by every annotator")
    m = len(items[0])
    if m < 2 or any(len(row) != m for row in items):
        raise ValueError("Fleiss' kappa needs the same number (≥ 2) of values for every item")
    totals: Counter[Hashable] = Counter()
    agreement = 0.0
    for row in items:
        counts = Counter(row)
        totals.update(counts)
        agreement += (sum(c * c for c in counts.values()) - m) / (m * (m - 1))
    observed = agreement / n
    expected = sum((c / (n * m)) ** 2 for c in totals.values())
    extra = {"observed": observed, "expected": expected, "top_share": max(totals.values()) / (n * m)}
    if expected >= 1.0:
        return undefined(n, "every coder gave every item the same one value (P_e = 1)", **extra)
    return Figure((observed - expected) / (1 - expected), n, extra=extra)


def kappa(items: Sequence[Sequence[Hashable]]) -> Figure:
    """Cohen's κ for two coders, Fleiss' κ for more; ``extra["measure"]`` says which."""
    m = len(items[0]) if items else 0
    if items and m == 2:
        fig = cohen_kappa([(row[0], row[1]) for row in items])
        fig.extra["measure"] = "cohen"
    else:
        fig = fleiss_kappa(items) if items else undefined(0, "no item coded by every annotator")
        fig.extra["measure"] = "fleiss"
    return fig


# --- Krippendorff's α for coding --------------------------------------------------------------

def coding_alpha(units: Sequence[Mapping[str, Any]], level: str,
                 order: Sequence[Any] | None = None) -> Figure:
    """Krippendorff's α over units (each: coder -> value; None or absent = not coded).

    Values are mapped to numbers for the ``krippendorff`` package: ``nominal`` by identity,
    ``ordinal`` by rank in ``order`` (the schema's order of choices), ``interval`` as they
    are. ``items`` counts the pairable units (coded by at least two coders).
    """
    known = LEVELS.get(level)
    if known is None:
        raise ValueError(f"unknown level {level!r}")
    coded = [{c: v for c, v in unit.items() if v is not None} for unit in units]
    pairable = [u for u in coded if len(u) >= 2]
    n = len(pairable)
    if n == 0:
        return undefined(0, "no unit coded by two annotators", level=level)
    values = [v for u in pairable for v in u.values()]
    extra = {"level": level, "values": len(values), "top_share": top_share(value_key(v) for v in values)}
    number: Callable[[Any], float]
    if level == "nominal":
        codes: dict[Any, int] = {}
        number = lambda v: codes.setdefault(value_key(v), len(codes))  # noqa: E731
    elif level == "ordinal":
        rank = {v: i for i, v in enumerate(order or sorted(set(values)))}
        unknown = [v for v in values if v not in rank]
        if unknown:
            raise ValueError(f"ordinal value {unknown[0]!r} is not among the ordered choices")
        number = rank.__getitem__
    else:
        number = float
    if len({value_key(v) for v in values}) < 2:
        return undefined(n, "every pairable value is the same (no variation: expected disagreement is 0)",
                         **extra)
    coders = sorted({c for u in pairable for c in u})
    data = [[float(number(u[c])) if c in u else math.nan for u in pairable] for c in coders]
    value = float(krippendorff.alpha(reliability_data=data, level_of_measurement=known))
    if not math.isfinite(value):  # pragma: no cover - excluded above
        return undefined(n, "expected disagreement is 0", **extra)
    return Figure(value, n, extra=extra)


def value_key(value: Any) -> Hashable:
    """A value as a category: told apart by type as well (True is not the same code as 1)."""
    return (type(value).__name__, value) if isinstance(value, bool) else value


# --- Krippendorff's α for unitizing (2004) ----------------------------------------------------

def _segments(units: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int, bool]]:
    """A coder's continuum [0, length) cut into units (True) and the gaps between them (False)."""
    out: list[tuple[int, int, bool]] = []
    pos = 0
    for start, end in units:
        if start > pos:
            out.append((pos, start, False))
        out.append((start, end, True))
        pos = end
    if pos < length:
        out.append((pos, length, False))
    return out


def merge_units(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """One coder's units of one category, sorted, overlapping ones joined (u-α wants them disjoint)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def unitizing_alpha(length: int, coders: Sequence[Sequence[tuple[int, int]]]) -> tuple[Figure, float, float]:
    """u-α for one category on a continuum [0, length) coded by every coder in ``coders``.

    Returns the figure and its D_o and D_e (for the overall u-α = 1 − ΣD_o / ΣD_e).
    D_o sums, over ordered pairs of coders and pairs of their segments, (Δstart)² + (Δend)²
    for overlapping units and l² for a unit lying inside the other coder's gap, divided by
    m(m−1)L². D_e follows Krippendorff (2004), eq. for _uD_e^c, from the lengths of all units
    and gaps (see docs/agreement.md).
    """
    m = len(coders)
    units = [merge_units(c) for c in coders]
    n_units = sum(len(u) for u in units)
    if m < 2:
        return undefined(n_units, "fewer than two annotators"), 0.0, 0.0
    if length <= 0:
        return undefined(n_units, "no text"), 0.0, 0.0
    segments = [_segments(u, length) for u in units]
    starts = [[seg[0] for seg in segs] for segs in segments]
    observed = 0.0
    for i in range(m):
        for j in range(m):
            if i == j:
                continue
            other, other_starts = segments[j], starts[j]
            for start, end in units[i]:
                k = bisect_right(other_starts, start) - 1  # the segment of j holding ``start``
                s2, e2, other_unit = other[k]
                if not other_unit and end <= e2:
                    # a unit inside the other coder's gap: the double sum meets it twice,
                    # as (unit of i, gap of j) here and as (gap of j, unit of i) for (j, i)
                    observed += 2 * (end - start) ** 2
                    continue
                while k < len(other) and other[k][0] < end:
                    s2, e2, other_unit = other[k]
                    if other_unit:
                        observed += (start - s2) ** 2 + (end - e2) ** 2
                    k += 1
    d_o = observed / (m * (m - 1) * length * length)
    gaps = sorted(e - s for seg in segments for s, e, is_unit in seg if not is_unit)
    suffix = [0] * (len(gaps) + 1)  # suffix[k] = sum of gaps[k:]
    for k in range(len(gaps) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + gaps[k]
    top = 0.0
    bottom = float(m * length * (m * length - 1))
    for coder in units:
        for start, end in coder:
            span = end - start
            k = bisect_left(gaps, span)  # the gaps a unit this long fits in, (g − l + 1) ways each
            top += (n_units - 1) / 3 * (2 * span ** 3 - 3 * span ** 2 + span)
            top += span * span * (suffix[k] - (len(gaps) - k) * (span - 1))
            bottom -= span * (span - 1)
    d_e = 2 / length * top / bottom if bottom > 0 else 0.0
    extra = {"observed": d_o, "expected": d_e, "length": length}
    if n_units == 0:
        return undefined(0, "no units of this category", **extra), d_o, d_e
    if d_e <= 0:
        return undefined(n_units, "no expected disagreement (every position in one unit)", **extra), d_o, d_e
    return Figure(1 - d_o / d_e, n_units, extra=extra), d_o, d_e


def overall_unitizing(parts: Sequence[tuple[Figure, float, float]]) -> Figure:
    """u-α over categories = 1 − Σ_c D_o(c) / Σ_c D_e(c) (Krippendorff 2004)."""
    items = sum(f.items for f, _, _ in parts)
    d_o = sum(o for _, o, _ in parts)
    d_e = sum(e for _, _, e in parts)
    extra = {"observed": d_o, "expected": d_e}
    if items == 0:
        return undefined(0, "no units of any category", **extra)
    if d_e <= 0:
        return undefined(items, "no expected disagreement", **extra)
    return Figure(1 - d_o / d_e, items, extra=extra)
