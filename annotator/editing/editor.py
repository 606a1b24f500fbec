"""The editing core: what a key means on a document, decided without a screen.

The annotation screen (and later the adjudication screen) turns keys and mouse
events into calls on an ``Editor`` and draws its answers; every rule about *which*
change a key makes lives here, once:

* a label key relabels the entity with exactly the marked bounds, or (with no
  selection) the innermost entity under the cursor; the same label on a
  pre-annotation accepts it; otherwise it adds an entity;
* delete takes the innermost span under the cursor (with a selection, the span with
  exactly its bounds first); enter accepts a pre-annotation, else edits a claim;
* an edge key moves the innermost span under the cursor;
* "under the cursor" means touching the cursor's word, not only its first character.

Each method returns an ``Edit`` (the operation to save and the state it leads to,
already validated: the screen can show it before the store answers) or a
``Refusal`` (nothing changes; the reason is for the status line). Pure: no Textual,
no store; the saved state always comes back from ``AnnotationSession``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from annotator.editing.find import plan_label_all
from annotator.editing.spans import NextIds, SpanChange, SpanIndex, innermost_first
from annotator.errors import OperationError
from annotator.layout.stored import Text
from annotator.model.annotations import Annotations, AttrValue, Claim, Entity, Span
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    Batch,
    LinkClaimer,
    LinkIdentity,
    MoveClaim,
    MoveEntity,
    Operation,
    RelabelEntity,
    RemoveClaim,
    RemoveEntity,
    SetClaimAttributes,
    SetNotes,
    SetSource,
    SetStatus,
    UnlinkIdentity,
    said,
)
from annotator.schema.model import Schema
from annotator.session import claim_defaults, plan_change

if TYPE_CHECKING:  # recommend is imported by the methods that handle proposals: not at start-up
    from annotator.recommend.base import Proposal


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS" or unicodedata.category(ch) == "Cc"


def _name(ch: str) -> str:
    """A character named for the status line (a newline or a space is invisible)."""
    named = {"\n": "a line break", " ": "a space", "\t": "a tab"}
    return named.get(ch, "whitespace" if ch.isspace() else f"«{ch}»")


def nearest_first(entities: list[Entity], anchor: Span, sentences: list[tuple[int, int]]) -> list[Entity]:
    """``entities`` nearest to ``anchor`` first: those before it in its own sentence (closest
    first), then the rest of that sentence, then the others by distance (the claimer and the
    identity pickers' order). ``sentences`` are the document's sentence bounds."""
    sentence = next(((s, e) for s, e in sentences if s <= anchor.start < e), (anchor.start, anchor.end))

    def rank(e: Entity) -> tuple[int, int, int]:
        inside = sentence[0] <= e.start and e.end <= max(sentence[1], anchor.end)
        distance = anchor.start - e.end if e.end <= anchor.start else max(0, e.start - anchor.start)
        if inside and e.end <= anchor.start:
            return (0, distance, e.start)
        return (1 if inside else 2, distance, e.start)

    return sorted(entities, key=rank)


@dataclass(frozen=True)
class Where:
    """Where a key acts: the word under the cursor and the selection, if any (``[start, end)``)."""

    word: tuple[int, int]
    selection: tuple[int, int] | None = None

    @property
    def marked(self) -> tuple[int, int]:
        """What a label key labels: the selection, else the word."""
        return self.selection if self.selection is not None else self.word


@dataclass(frozen=True)
class Edit:
    """A validated change: ``op`` to save; ``after`` is the state the store will hold once it has."""

    op: Operation
    before: Annotations
    after: Annotations
    description: str
    created: str | None = None  # the id of the span this edit adds


@dataclass(frozen=True)
class Refusal:
    """Nothing changes; ``reason`` says why (``error``: shown as an error, not as a hint)."""

    reason: str
    error: bool = False


@dataclass(frozen=True)
class ClaimChoice:
    """The claim a key is about (to open its form or to pick its claimer)."""

    claim_id: str


Answer = Edit | Refusal


class Editor:
    """Decisions over one document's text and one annotator's (shown) state."""

    def __init__(self, schema: Schema, text: Text, state: Annotations) -> None:
        self.schema = schema
        self._text = text
        self._state = state
        self._spans: SpanIndex | None = None  # made when first asked, then kept in step by ``show``
        self._ids = NextIds()

    @property
    def state(self) -> Annotations:
        """The state shown: changed by ``show`` alone, which keeps its index (``spans``) in step."""
        return self._state

    @property
    def spans(self) -> SpanIndex:
        """The shown state's entities and claims by start (``editing.spans``): a key finds the spans under the
        cursor by bisection, not by looking at each of thousands of proposals, and the document view draws
        from this same index rather than making its own. Made when first asked; ``show`` keeps it in step."""
        if self._spans is None:
            self._spans = SpanIndex(self._state)
        return self._spans

    def show(self, state: Annotations) -> SpanChange:
        """Make ``state`` the state shown (the one way it changes); what changed from the one before is found
        here, once, and returned for the screen to hand on (the view's lines, the side panel's rows): the index
        follows with it."""
        change = SpanChange(self._state, state)
        self._state = state
        if self._spans is not None:
            self._spans = self._spans.following(state, change)
        self._ids.follow(change)
        return change

    def _new_id(self, prefix: str) -> str:
        """``session.new_id`` of the state shown, its number kept in step with each change (``NextIds``)."""
        return self._ids.new_id(self.state, prefix)

    @property
    def text(self) -> Text:
        """The text as given: a big document's ``StoredText``, never read whole here; what uses it
        (an edit's checks, "label all", the claim form, the pickers) slices it."""
        return self._text

    # -- what is where ------------------------------------------------------------------
    def spans_under(self, where: Where) -> list[Span]:
        """Spans touching the word under the cursor, innermost (shortest) first.

        The word, not just its first character: a span whose start was nudged past a
        proclitic (و|الرئيس) is still "under" the cursor resting on the word."""
        start, end = where.word
        return innermost_first(self.spans.overlapping(start, max(end, start + 1)))

    def span_at(self, where: Where, kind: type[Entity] | type[Claim] | None = None,
                pre_only: bool = False) -> Span | None:
        """The span a key acts on: with a selection, one with exactly its bounds first; then the
        innermost under the cursor. ``kind`` and ``pre_only`` (pre-annotations) narrow it."""
        spans = self.spans_under(where)
        if where.selection is not None:
            exact = self._exactly(*where.selection)
            spans = exact + [s for s in spans if s not in exact]
        for span in spans:
            if kind is not None and not isinstance(span, kind):
                continue
            if pre_only and span.source is None:
                continue
            return span
        return None

    def edge_span(self, where: Where) -> Span | None:
        """The span an edge key moves: the innermost under the cursor, only with no selection
        (with one, edge keys move the selection's edges instead)."""
        return self.span_at(where) if where.selection is None else None

    # -- labels -------------------------------------------------------------------------
    def label(self, where: Where, label: str) -> Answer:
        """Relabel the entity with exactly the marked bounds (or, with no selection, the innermost
        entity under the cursor); the same label on a pre-annotation accepts it; else add one."""
        start, end = where.marked
        target: Span | None = next(iter(self._exactly(start, end, kinds=1)), None)
        if target is None and where.selection is None:
            target = self.span_at(where, Entity)
        if isinstance(target, Entity):
            if target.label == label and target.source is None:
                return Refusal(f"already {label}")
            if target.source is not None:  # a proposal: accepted as this label, in one undo step
                from annotator.recommend.apply import accept_operation  # not before a proposal exists

                return self._edit(accept_operation(self.state, target.id, label))
            return self._edit(RelabelEntity(target.id, label))
        entity_id = self._new_id("e")
        return self._edit(AddEntity(Entity(entity_id, start, end, label)), created=entity_id)

    def delete(self, where: Where) -> Answer:
        span = self.span_at(where)
        if span is None:
            return Refusal("nothing to delete here")
        return self._edit(RemoveEntity(span.id) if isinstance(span, Entity) else RemoveClaim(span.id))

    def activate(self, where: Where) -> Edit | Refusal | ClaimChoice:
        """enter: accept a pre-annotation, else edit the claim under the cursor."""
        span = self.span_at(where, pre_only=True)
        if span is not None:  # an accepted claim proposal opens its form, like a new claim
            return self._edit(SetSource(span.id, None), created=span.id if isinstance(span, Claim) else None)
        claim = self.span_at(where, Claim)
        if claim is not None:
            return ClaimChoice(claim.id)
        return Refusal("enter accepts a pre-annotation or edits a claim; nothing of that here")

    def edge_refusal(self, old: tuple[int, int], new: tuple[int, int]) -> Refusal | None:
        """Why an edge key may not move ``old`` bounds to ``new``, or None.

        A span never begins or ends on whitespace, and an edge moving outwards never takes in
        punctuation (a comma before a name, the full stop and newline after it); moving inwards
        past punctuation that was already inside is fine."""
        (old_start, old_end), (start, end) = old, new
        if start != old_start and start < end:
            ch = self._text[start]
            if ch.isspace() or (start < old_start and _is_punctuation(ch)):
                return Refusal(f"the start edge stops at the word: it would take in {_name(ch)}")
        if end != old_end and start < end:
            ch = self._text[end - 1]
            if ch.isspace() or (end > old_end and _is_punctuation(ch)):
                return Refusal(f"the end edge stops at the word: it would take in {_name(ch)}")
        return None

    def label_all(self, matches: list[tuple[int, int]], label: str, query: str) -> Answer:
        """Label every match as ``label`` in one undo step (``find.plan_label_all`` decides)."""
        plan = plan_label_all(self.schema, self._text, self.state, matches, label)
        if plan.op is None:
            return Refusal(plan.describe(label, query) if matches else f"no match of «{query}» to label")
        # its undo and redo say what its message says: the batch's label is that message's head
        head = f"labelled {plan.labelled} match(es) of «{query}» as {label}"
        op = replace(plan.op, label=head) if isinstance(plan.op, Batch) else plan.op
        return Edit(op, self.state, plan.after,
                    said("do", op, self.state, self._text) + plan.describe(label, query).removeprefix(head))

    def propose(self, proposals: list[Proposal], before: Annotations | None = None) -> Answer | None:
        """Show ``proposals`` as pre-annotations (None when none fits: rejected, taken, refused).
        With ``before`` (a state this editor showed) the answer is planned on it, and pure: a worker
        plans a big document's thousands of proposals, and the screen takes the answer as it is
        while its state is still ``before`` (``Edit.before is state``)."""
        from annotator.recommend.apply import proposals_operation

        state = self.state if before is None else before
        op = proposals_operation(proposals, state, self._text, self.schema)
        return self._edit(op, before=state) if op is not None else None

    def reject(self, where: Where) -> Answer:
        """Reject the proposal under the cursor: removed, and not proposed again on this document."""
        span = self.span_at(where, pre_only=True)
        if span is None:
            return Refusal("no proposal under the cursor to reject")
        from annotator.recommend.apply import reject_operation

        return self._edit(reject_operation(span.id))

    def next_proposal(self, cursor: int, backwards: bool = False) -> Span | Refusal:
        """The proposal to jump to from ``cursor`` (wrapping), or why there is none."""
        from annotator.recommend.apply import next_proposal

        span = next_proposal(self.state, cursor, backwards=backwards)
        return span if span is not None else Refusal("no proposals left in this document")

    def move(self, span: Span, start: int, end: int) -> Answer:
        """Move ``span``'s edges to ``[start, end)`` (from an edge key)."""
        if (start, end) == (span.start, span.end):
            return Refusal("that edge cannot move further")
        refused = self.edge_refusal((span.start, span.end), (start, end))
        if refused is not None:
            return refused
        if isinstance(span, Entity):
            return self._edit(MoveEntity(span.id, start, end))
        return self._edit(MoveClaim(span.id, start, end))

    # -- claims -------------------------------------------------------------------------
    def add_claim(self, where: Where, sentence: tuple[int, int] | None) -> Answer:
        """Mark the selection, or with none the cursor's ``sentence``, as a claim (schema defaults)."""
        bounds = where.selection if where.selection is not None else sentence
        if bounds is None:
            return Refusal("no sentence here to mark as a claim")
        claim_id = self._new_id("c")
        claim = Claim(claim_id, bounds[0], bounds[1], claim_defaults(self.schema), None)
        return self._edit(AddClaim(claim), created=claim_id)

    def claim_to_edit(self, where: Where) -> ClaimChoice | Refusal:
        claim = self.span_at(where, Claim)
        return ClaimChoice(claim.id) if claim is not None else Refusal("no claim under the cursor")

    def claim_to_link(self, where: Where) -> ClaimChoice | Refusal:
        claim = self.span_at(where, Claim)
        return ClaimChoice(claim.id) if claim is not None else Refusal("put the cursor on a claim first")

    def link_claimer(self, claim_id: str, where: Where) -> Answer:
        """Make the entity under the cursor the claimer of ``claim_id`` (linking by moving)."""
        entity = self.span_at(where, Entity)
        if entity is None:
            return Refusal("no entity under the cursor: move to the claimer (esc cancels)", error=True)
        return self._edit(LinkClaimer(claim_id, entity.id))

    def set_claimer(self, claim_id: str, entity_id: str | None) -> Answer:
        return self._edit(LinkClaimer(claim_id, entity_id))

    def set_claim_attribute(self, claim_id: str, key: str, value: AttrValue) -> Answer:
        return self._edit(SetClaimAttributes(claim_id, {key: value}))

    def claimer_candidates(self, claim_id: str, sentences: list[tuple[int, int]]) -> list[Entity]:
        """The entities that may be the claimer, nearest first (``nearest_first``).
        ``sentences`` are the document's sentence bounds."""
        claim = self.state.claim(claim_id)
        allowed = set(self.schema.claims.claimer_labels)
        entities = [e for e in self.state.entities if not allowed or e.label in allowed]
        return entities if claim is None else nearest_first(entities, claim, sentences)

    # -- identities: the mentions of one person or organization --------------------------
    def entity_to_link(self, where: Where) -> Entity | Refusal:
        entity = self.span_at(where, Entity)
        if not isinstance(entity, Entity):
            return Refusal("put the cursor on an entity first")
        if entity.identity is None and len(self.state.entities) < 2:
            return Refusal("no other entity to link it to: label its other mentions first")
        return entity

    def identity_candidates(self, entity_id: str, sentences: list[tuple[int, int]]) -> list[Entity]:
        """The mentions ``entity_id`` may be linked to (not itself nor its identity's), nearest first."""
        entity = self.state.entity(entity_id)
        if entity is None:
            return []
        others = [e for e in self.state.entities
                  if e.id != entity.id and (entity.identity is None or e.identity != entity.identity)]
        return nearest_first(others, entity, sentences)

    def link_identity(self, entity_id: str, to: str) -> Answer:
        return self._edit(LinkIdentity(entity_id, to))

    def unlink_identity(self, entity_id: str) -> Answer:
        return self._edit(UnlinkIdentity(entity_id))

    def missing(self, claim_id: str) -> list[str]:
        """Keys of required claim attributes still empty (what the claim form flags)."""
        claim = self.state.claim(claim_id)
        if claim is None:
            return []
        return [a.key for a in self.schema.claims.attributes if a.required and claim.attributes.get(a.key) is None]

    # -- the document -------------------------------------------------------------------
    def set_status(self, status: str) -> Answer:
        """Marking done is refused (by ``SetStatus`` itself) while required fields are missing."""
        return self._edit(SetStatus(status))

    def set_notes(self, notes: str) -> Answer | None:
        """None when the note is unchanged (nothing to save)."""
        if notes == self.state.notes:
            return None
        return self._edit(SetNotes(notes))

    def _exactly(self, start: int, end: int, kinds: int = 2) -> list[Span]:
        """The spans with exactly the bounds ``[start, end)`` (entities first)."""
        overlapping = self.spans.overlapping(start, max(end, start + 1), kinds)
        return [s for s in overlapping if (s.start, s.end) == (start, end)]

    # -- the one place an answer is made ------------------------------------------------
    def _edit(self, op: Operation, created: str | None = None, before: Annotations | None = None) -> Answer:
        state = self.state if before is None else before
        try:
            _, after, _ = plan_change(op, state, self._text, self.schema)
        except OperationError as exc:
            return Refusal(str(exc), error=True)
        return Edit(op, state, after, said("do", op, state, self._text), created)
