"""An export's check of a stored state's spans (``exporting._checked`` through ``_order.inside_in_order``): in
canonical order, offsets whole numbers inside the text, else the store is said damaged, naming the span;
the same outcome as the checks made one after the other before (``inside``, then ``canonical``)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.errors import StoreError
from annotator.exporting import _checked
from annotator.formats._order import canonical, inside_in_order
from annotator.model.annotations import Annotations, Claim, Document, Entity, sort_spans
from annotator.model.checks import is_offset

offsets = st.one_of(st.integers(-2, 12), st.booleans(), st.sampled_from([1.0, 2.5, "3", None]))


def reference(doc: Document, state: Annotations) -> Annotations:
    """What ``_checked`` did before ``inside_in_order``: each list checked inside the text, then put in order."""
    size = len(doc.text)
    for spans in (state.entities, state.claims):
        if spans and not ({type(s.start) for s in spans} | {type(s.end) for s in spans} == {int}
                          and min(s.start for s in spans) >= 0 and max(s.end for s in spans) <= size
                          and all(s.start < s.end for s in spans)):
            span = next((s for s in spans if not (is_offset(s.start) and is_offset(s.end)
                                                  and 0 <= s.start < s.end <= size)), None)
            if span is not None:
                raise StoreError(f"span {span.id}")
    entities, claims = canonical(state.entities), canonical(state.claims)
    if entities is not state.entities or claims is not state.claims:
        state = state.with_(entities=entities, claims=claims)
    return state


def outcome(check: Any, doc: Document, state: Annotations) -> tuple[str, Any]:
    try:
        return "ok", check(doc, state)
    except StoreError as exc:
        return "error", str(exc).split("span ")[1].split(" ")[0].strip("'")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(offsets, offsets, st.sampled_from("abc")), max_size=6),
       st.lists(st.tuples(st.integers(-1, 12), st.integers(-1, 12)), max_size=3), st.integers(0, 10),
       st.booleans())
def test_the_check_is_the_checks_made_one_after_the_other(ents: list, claims: list, size: int,
                                                          presorted: bool) -> None:
    entities = [Entity(f"e{i}{x}", s, e, "PER") for i, (s, e, x) in enumerate(ents)]
    if presorted:
        try:
            entities = list(sort_spans(entities))
        except TypeError:
            pass
    state = Annotations("d", "a", entities=tuple(entities),
                        claims=tuple(Claim(f"c{i}", s, e) for i, (s, e) in enumerate(claims)))
    doc = Document("d", "x" * size)
    want, got = outcome(reference, doc, state), outcome(_checked, doc, state)
    assert got[0] == want[0]
    if want[0] == "ok":
        assert got[1] == want[1]
        assert (got[1].entities is state.entities) == (want[1].entities is state.entities)
    else:
        assert got[1] == want[1].strip("'")  # the same span named


def test_a_damaged_span_is_refused_naming_it() -> None:
    state = Annotations("d", "a", entities=(Entity("e1", 0, 2, "PER"), Entity("e2", 3, 9, "ORG")))
    with pytest.raises(StoreError, match=r"span 'e2' at \[3, 9\) is outside its text \(length 5\)"):
        _checked(Document("d", "abcde"), state)
    assert inside_in_order((Entity("e1", True, 2, "PER"),), 5) is None  # true is not 1
    assert inside_in_order((Entity("e2", 2, 4, "PER"), Entity("e1", 0, 3, "PER")), 5) == \
        (Entity("e1", 0, 3, "PER"), Entity("e2", 2, 4, "PER"))
