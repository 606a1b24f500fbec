"""From proposals to pre-annotations, and the operations a person uses on them.

The one owner of which proposals may be shown on a document (``fit_proposals``): not one the
annotator rejected there, never on the span of an existing entity or claim (accepted or
proposed), and only where the schema's overlap rules allow it (checked with the operations'
own ``check_entity_fits`` / ``check_claimer``). ``proposals_operation`` turns what fits into one
``AddProposals`` for ``AnnotationSession.apply`` (one undo step; a "todo" document stays "todo"); ``accept_operation``,
``reject_operation`` and ``next_proposal`` are what the TUI's keys need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from annotator.errors import OperationError
from annotator.layout.stored import Text
from annotator.model.annotations import Annotations, Claim, Entity, Rejection, Span, span_order
from annotator.model.operations import (
    AddProposals,
    Batch,
    Operation,
    PlacedEntities,
    RejectProposal,
    RelabelEntity,
    SetSource,
    check_claimer,
    check_offsets,
)
from annotator.recommend.base import SOURCE_PREFIX, Proposal
from annotator.schema.model import Schema
from annotator.text.overlaps import SpansByStart

__all__ = ["fit_proposals", "proposals_operation", "accept_operation", "reject_operation", "next_proposal",
           "proposals_in", "recommender_of"]


def _rejection(p: Proposal) -> Rejection:
    return Rejection(p.kind, p.start, p.end, p.label if p.kind == "entity" else None)


def fit_proposals(proposals: Iterable[Proposal], state: Annotations, text: Text, schema: Schema) -> list[Proposal]:
    """The proposals that may be added to ``state``, in order, each checked against the labels and
    the proposals kept before it. A claim's claimer that the schema would refuse is dropped (the
    claim is kept)."""
    rejected = set(state.rejected)
    taken = {(e.start, e.end) for e in state.entities}
    claim_spans = {(c.start, c.end) for c in state.claims}
    entities = PlacedEntities(state.entities)
    marked = SpansByStart.of_pairs((c.start, c.end) for c in state.claims if c.source is None)
    kept: list[Proposal] = []
    for p in proposals:
        if _rejection(p) in rejected:
            continue
        try:
            check_offsets(text, p.start, p.end)
        except OperationError:
            continue
        if p.kind == "entity":
            if p.label is None or schema.label(p.label) is None or (p.start, p.end) in taken:
                continue
            candidate = Entity("proposal", p.start, p.end, p.label, p.span_source)
            try:
                entities.fits(candidate, schema)
            except OperationError:
                continue
            entities.add(candidate)
            taken.add((p.start, p.end))
        elif p.kind == "claim":
            if not schema.claims.enabled or (p.start, p.end) in claim_spans:
                continue
            if marked.overlapping(p.start, p.end):
                continue  # the annotator already marked a claim here
            if p.claimer is not None:
                try:
                    check_claimer(state, schema, p.claimer)
                except OperationError:
                    p = replace(p, claimer=None)
            claim_spans.add((p.start, p.end))
        else:
            continue
        kept.append(p)
    return kept


def _fresh_ids(state: Annotations, prefix: str) -> Iterator[str]:
    """Unused ids ``<prefix><n>`` after the highest in use (the session's numbering)."""
    used = {e.id for e in state.entities} | {c.id for c in state.claims}
    n = 1 + max((int(s[len(prefix):]) for s in used if s.startswith(prefix) and s[len(prefix):].isdigit()),
                default=0)
    while True:
        if f"{prefix}{n}" not in used:
            yield f"{prefix}{n}"
        n += 1


def proposals_operation(proposals: Iterable[Proposal], state: Annotations, text: Text,
                        schema: Schema) -> AddProposals | None:
    """One ``AddProposals`` adding every proposal that fits as a pre-annotation (source
    ``recommend:<name>``), or None when none does. Claims get the schema's default attributes."""
    fitting = fit_proposals(proposals, state, text, schema)
    if not fitting:
        return None
    entity_ids, claim_ids = _fresh_ids(state, "e"), _fresh_ids(state, "c")
    defaults = {a.key: a.default for a in schema.claims.attributes if a.default is not None}
    entities = tuple(Entity(next(entity_ids), p.start, p.end, p.label or "", p.span_source)
                     for p in fitting if p.kind == "entity")
    claims = tuple(Claim(next(claim_ids), p.start, p.end, dict(defaults), p.claimer, p.span_source)
                   for p in fitting if p.kind == "claim")
    names = ", ".join(sorted({p.source for p in fitting}))
    return AddProposals(entities, claims, f"added {len(fitting)} proposal(s) from {names}")


def proposals_in(state: Annotations) -> list[Span]:
    """The pre-annotations of a document (spans with a source), in text order."""
    spans: list[Span] = [*state.entities, *state.claims]
    return sorted((s for s in spans if s.source is not None), key=span_order)


def next_proposal(state: Annotations, after: int, *, backwards: bool = False) -> Span | None:
    """The pre-annotation after offset ``after`` (before it, ``backwards``), wrapping around the
    document; None when there is none. What the TUI's "next proposal" key jumps to."""
    spans = proposals_in(state)
    if not spans:
        return None
    if backwards:
        return next((s for s in reversed(spans) if s.start < after), spans[-1])
    return next((s for s in spans if s.start > after), spans[0])


def accept_operation(state: Annotations, span_id: str, label: str | None = None) -> Operation:
    """Accept a pre-annotation (``enter``), or accept it as ``label`` (a label key): it becomes
    the annotator's own, in one undo step."""
    span = state.entity(span_id) or state.claim(span_id)
    if span is None:
        raise OperationError(f"no entity or claim {span_id!r} in this document")
    if span.source is None:
        raise OperationError(f"{span_id} is already a label, not a proposal")
    if label is None or not isinstance(span, Entity) or label == span.label:
        return SetSource(span_id, None)
    return Batch((RelabelEntity(span_id, label), SetSource(span_id, None)), f"accept {span_id} as {label}")


def reject_operation(span_id: str) -> Operation:
    """Reject a pre-annotation: removed, and not proposed again on this document."""
    return RejectProposal(span_id)


def recommender_of(span: Span) -> str | None:
    """The recommender that proposed ``span`` (None for a label or an imported pre-annotation)."""
    if span.source is not None and span.source.startswith(SOURCE_PREFIX):
        return span.source[len(SOURCE_PREFIX):]
    return None
