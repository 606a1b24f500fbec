"""Which ranges of the text a change of annotations touched: the lines the document view redraws.

Pure (no Textual). The spans each line shows come from the editing core's index
(``editing.spans.SpanIndex``, the editor's own), not from one made here.
"""

from __future__ import annotations

from annotator.editing.spans import changed
from annotator.model.annotations import Annotations


def changed_ranges(old: Annotations | None, new: Annotations | None) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of spans added, removed or changed between two states, old bounds and new
    (a claim whose claimer changed counts); which spans changed is ``editing.spans.changed``'s rule."""
    before = (old.entities, old.claims) if old is not None else ((), ())
    after = (new.entities, new.claims) if new is not None else ((), ())
    ranges = []
    for spans_before, spans_after in zip(before, after, strict=True):
        diff = changed(spans_before, spans_after)  # no limit: always an answer
        assert diff is not None
        ranges += [(s.start, s.end) for spans in diff for s in spans]
    return ranges
