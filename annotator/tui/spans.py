"""Which ranges of the text a change of annotations touched: the lines the document view redraws.

Pure (no Textual). The spans each line shows come from the editing core's index
(``editing.spans.SpanIndex``, the editor's own), not from one made here.
"""

from __future__ import annotations

from annotator.model.annotations import Annotations, Span


def changed_ranges(old: Annotations | None, new: Annotations | None) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of spans added, removed or changed between two states
    (a claim whose claimer changed counts; so does its claimer entity)."""
    def keyed(state: Annotations | None) -> dict[tuple[str, str], Span]:
        if state is None:
            return {}
        out: dict[tuple[str, str], Span] = {("e", e.id): e for e in state.entities}
        out.update({("c", c.id): c for c in state.claims})
        return out

    before, after = keyed(old), keyed(new)
    ranges = []
    for key in before.keys() | after.keys():
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        for s in (a, b):
            if s is not None:
                ranges.append((s.start, s.end))
    return ranges
