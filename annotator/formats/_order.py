"""Spans in canonical order, checked on export without Python work per span.

A state is stored with its spans in ``sort_spans`` order and offsets the operations checked; an export
checks both again (a store can be edited by hand), with C loops (``map`` over attribute getters), and
sorts only when it must. Kept apart from ``_spans`` so that exporting a format that needs no tokens
loads no tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from operator import attrgetter, lt

from annotator.model.annotations import S, in_span_order, sort_spans

_START, _END = attrgetter("start"), attrgetter("end")


def canonical(spans: Sequence[S]) -> Sequence[S]:
    """``spans`` in ``sort_spans`` order: as they are when they already are (the model's ``in_span_order``,
    which also puts a loaded state in order: one owner of the check)."""
    return spans if in_span_order(spans) else sort_spans(spans)


def inside_in_order(spans: Sequence[S], size: int) -> Sequence[S] | None:
    """``canonical(spans)`` when every span has whole-number offsets with ``0 <= start < end <= size``, else
    None: the two checks an export makes of a stored state, sharing one read of the offsets (C loops, no Python
    work per span; with starts that rise strictly the least is the first)."""
    if not spans:
        return spans
    starts, ends = list(map(_START, spans)), list(map(_END, spans))
    if {*map(type, starts), *map(type, ends)} != _INT or max(ends) > size or not all(map(lt, starts, ends)):
        return None
    if all(map(lt, starts, islice(starts, 1, None))):
        return spans if starts[0] >= 0 else None
    if min(starts) < 0:
        return None
    return canonical(spans)


_INT = {int}
