"""Adjudication: merge several annotators' finished work on a document into one gold standard (pure).

Given the finished annotators' ``Annotations`` for a document, ``candidates`` groups what they
proposed: an entity by its span and label, a claim by its span (its attributes and its claimer,
compared across the proposers by the claimer's mention or, where mentions are linked, by identity). A group is
unanimous when every finished annotator proposed it, a majority when more than half did.
``write_operations`` turns a group into the ordinary operations (``AddEntity``, ``AddClaim``,
``LinkClaimer``) that write it into the gold annotator's state, through ``AnnotationSession``
like every edit: so undo/redo, crash safety and the op log hold for gold as for anyone.
Identities (``Entity.identity``) are kept where every finished annotator linked the same two
mentions (``identity_operations``, also when mentions are accepted one by one: ``accept_operations``);
an identity some of them did not link is left to decide by hand.
Nothing here knows of Textual; only ``finished_states`` and ``AdjudicationSession`` touch a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from annotator.errors import OperationError
from annotator.layout.stored import Text
from annotator.model.annotations import Annotations, AttrValue, Claim, Entity, Rejection, sort_spans
from annotator.model.operations import (
    AddClaim,
    AddEntity,
    Batch,
    LinkIdentity,
    Operation,
    SetRejected,
    apply_operation,
)
from annotator.schema.model import Schema
from annotator.session import AnnotationSession, claim_defaults, new_id

__all__ = [
    "MODES", "AdjudicationSession", "accept_operations", "Candidate", "Plan", "auto_plan", "candidates",
    "finished_states", "in_gold", "identity_operations", "is_rejected", "open_candidates", "overlay",
    "rejection_of", "write_operations",
]

MODES = ("unanimous", "majority")
FINISHED = ("done",)  # the statuses that make an annotator's work count (as for `agreement`)

ClaimerKey = tuple[int, int, str]  # the claimer entity's (start, end, label): ids differ between annotators


@dataclass(frozen=True)
class Candidate:
    """One item the annotators proposed. ``kind`` is "entity" (grouped by span and label) or
    "claim" (grouped by span). For a claim, ``attributes`` and ``claimers`` hold each proposer's
    values (a claimer as its entity's span and label, None when unlinked)."""

    kind: str
    start: int
    end: int
    label: str | None
    proposers: tuple[str, ...]
    finished: int  # how many annotators finished the document (the denominator)
    attributes: Mapping[str, Mapping[str, AttrValue]] = field(default_factory=dict)
    claimers: Mapping[str, ClaimerKey | None] = field(default_factory=dict)
    same: Mapping[str, frozenset[ClaimerKey]] = field(default_factory=dict)  # an entity's other mentions
    # a claim's claimer as each proposer sees it: the mention and every other mention of its identity
    claimer_identities: Mapping[str, frozenset[ClaimerKey]] = field(default_factory=dict)

    @property
    def unanimous(self) -> bool:
        return len(self.proposers) == self.finished

    @property
    def majority(self) -> bool:
        return 2 * len(self.proposers) > self.finished

    def passes(self, mode: str) -> bool:
        return self.unanimous if mode == "unanimous" else self.majority

    def agreed_attributes(self) -> dict[str, AttrValue]:
        """The attributes every proposer gave the same value (an attribute one left out disagrees)."""
        values = list(self.attributes.values())
        if not values:
            return {}
        keys = set().union(*(v.keys() for v in values))
        return {k: values[0][k] for k in sorted(keys)
                if all(k in v for v in values) and all(v[k] == values[0][k] for v in values)}

    def agreed_claimers(self) -> tuple[ClaimerKey, ...]:
        """The mentions every proposer's claimer stands for, the one most proposers chose first
        (then in text order): the same mention, or mentions of one identity (as ``agreement``
        compares claimers: ``docs/agreement.md``). Empty when they differ or none linked one."""
        chosen = list(self.claimers.values())
        if not chosen or any(c is None for c in chosen):
            return ()
        sets = [self.claimer_identities.get(n) or frozenset({c}) for n, c in self.claimers.items() if c is not None]
        common = frozenset.intersection(*sets)
        return tuple(sorted(common, key=lambda k: (-chosen.count(k), k)))

    def agreed_claimer(self) -> ClaimerKey | None:
        """The claimer every proposer linked, by mention or by identity (None when they differ or
        none linked one)."""
        agreed = self.agreed_claimers()
        return agreed[0] if agreed else None

    def agreed_same(self) -> frozenset[ClaimerKey]:
        """The other mentions (span and label) every finished annotator linked this entity to."""
        if self.kind != "entity" or not self.unanimous or not self.same:
            return frozenset()
        return frozenset.intersection(*self.same.values())

    @property
    def settled(self) -> bool:
        """Nothing to decide: everyone proposed it and (a claim) with the same attributes and claimer."""
        if not self.unanimous:
            return False
        if self.kind == "entity":
            return True
        values = list(self.attributes.values())
        claimers = set(self.claimers.values())
        return all(v == values[0] for v in values) and (claimers == {None} or self.agreed_claimer() is not None)

    def describe(self) -> str:
        what = self.label if self.kind == "entity" else "claim"
        return f"{what} [{self.start}, {self.end}) by {len(self.proposers)} of {self.finished}"


def candidates(states: Mapping[str, Annotations]) -> list[Candidate]:
    """The groups the finished annotators' ``states`` (by name) propose, in text order."""
    finished = len(states)
    entities: dict[tuple[int, int, str], list[str]] = {}
    claims: dict[tuple[int, int], dict[str, Claim]] = {}
    claimer_of: dict[tuple[str, str], ClaimerKey] = {}
    identity_of: dict[tuple[str, str], frozenset[ClaimerKey]] = {}  # (annotator, entity id) -> its mentions
    same: dict[tuple[int, int, str], dict[str, frozenset[ClaimerKey]]] = {}
    for name, state in sorted(states.items()):
        mentions = state.identities()  # once per state: an entity's other mentions below
        for e in state.entities:
            entities.setdefault((e.start, e.end, e.label), [])
            if name not in entities[(e.start, e.end, e.label)]:
                entities[(e.start, e.end, e.label)].append(name)
            claimer_of[(name, e.id)] = (e.start, e.end, e.label)
            others = mentions.get(e.identity, ()) if e.identity is not None else ()
            same.setdefault((e.start, e.end, e.label), {}).setdefault(name, frozenset(
                (m.start, m.end, m.label) for m in others if m.id != e.id))
            identity_of[(name, e.id)] = frozenset({(e.start, e.end, e.label), *((m.start, m.end, m.label)
                                                                             for m in others)})
        for c in state.claims:
            claims.setdefault((c.start, c.end), {}).setdefault(name, c)
    out = [Candidate("entity", s, e, label, tuple(names), finished, same=same[(s, e, label)])
           for (s, e, label), names in entities.items()]
    for (s, end), by_name in claims.items():
        out.append(Candidate(
            "claim", s, end, None, tuple(by_name), finished,
            attributes={n: dict(c.attributes) for n, c in by_name.items()},
            claimers={n: claimer_of.get((n, c.claimer)) if c.claimer else None for n, c in by_name.items()},
            claimer_identities={n: identity_of[(n, c.claimer)] for n, c in by_name.items()
                                if c.claimer and (n, c.claimer) in identity_of}))
    return sorted(out, key=lambda c: (c.start, -c.end, c.kind, c.label or ""))


def in_gold(candidate: Candidate, gold: Annotations) -> bool:
    """Already written: an entity with the same span and label, a claim with the same span."""
    if candidate.kind == "entity":
        return any((e.start, e.end, e.label) == (candidate.start, candidate.end, candidate.label)
                   for e in gold.entities)
    return any((c.start, c.end) == (candidate.start, candidate.end) for c in gold.claims)


def rejection_of(candidate: Candidate) -> Rejection:
    """What rejecting ``candidate`` records in gold's state (so it is not offered again)."""
    return Rejection(candidate.kind, candidate.start, candidate.end, candidate.label)


def is_rejected(candidate: Candidate, gold: Annotations) -> bool:
    return rejection_of(candidate) in gold.rejected


def open_candidates(groups: Iterable[Candidate], gold: Annotations) -> list[Candidate]:
    """The groups still to decide: neither written into gold nor rejected there."""
    return [c for c in groups if not in_gold(c, gold) and not is_rejected(c, gold)]


PROPOSED = "adjudicate"  # the source the open proposals are drawn with (like pre-annotations)


def overlay(gold: Annotations, groups: Iterable[Candidate]) -> Annotations:
    """What the app draws: gold's spans as they are, each open group as a pre-annotation-like span
    (``source`` set), so gold looks settled and what is left to decide looks proposed. For display
    only: never written, never given to the editor."""
    open_ = open_candidates(groups, gold)
    ents = [Entity(f"proposed-e{i}", c.start, c.end, c.label or "", PROPOSED)
            for i, c in enumerate(open_) if c.kind == "entity"]
    claims = [Claim(f"proposed-c{i}", c.start, c.end, {}, None, PROPOSED)
              for i, c in enumerate(open_) if c.kind == "claim"]
    return gold.with_(entities=sort_spans((*gold.entities, *ents)), claims=sort_spans((*gold.claims, *claims)))


def _gold_entity(gold: Annotations, key: ClaimerKey | None) -> Entity | None:
    if key is None:
        return None
    return next((e for e in gold.entities if (e.start, e.end, e.label) == key), None)


def write_operations(candidate: Candidate, gold: Annotations, schema: Schema) -> list[Operation]:
    """The operations that write ``candidate`` into ``gold`` (none when it is already there).

    A claim gets the attributes its proposers agree on (the schema's defaults for the rest) and
    its claimer when they agree on one (a mention, or an identity: then the mention most of them
    chose that gold holds)."""
    if in_gold(candidate, gold):
        return []
    if candidate.kind == "entity":
        assert candidate.label is not None
        return [AddEntity(Entity(new_id(gold, "e"), candidate.start, candidate.end, candidate.label))]
    attrs = claim_defaults(schema)
    known = {a.key for a in schema.claims.attributes}
    attrs.update({k: v for k, v in candidate.agreed_attributes().items() if k in known})
    claimer = next((e for key in candidate.agreed_claimers() if (e := _gold_entity(gold, key)) is not None), None)
    return [AddClaim(Claim(new_id(gold, "c"), candidate.start, candidate.end, attrs,
                           claimer.id if claimer is not None else None))]


def identity_operations(groups: Iterable[Candidate], gold: Annotations, text: Text,
                        schema: Schema) -> list[LinkIdentity]:
    """Links for the identities every finished annotator agrees on, between entities gold holds
    and has not linked yet (planned one after another: each sees the links before it)."""
    state, ops = gold, []
    for cand in groups:
        a = _gold_entity(state, (cand.start, cand.end, cand.label or "")) if cand.kind == "entity" else None
        for key in sorted(cand.agreed_same()):
            b = _gold_entity(state, key)
            if a is None or b is None or (a.identity is not None and a.identity == b.identity):
                continue
            op = LinkIdentity(a.id, b.id)
            state, _ = apply_operation(op, state, text, schema)
            a = state.entity(a.id)
            ops.append(op)
    return ops


def accept_operations(candidate: Candidate, gold: Annotations, text: Text, schema: Schema) -> list[Operation]:
    """What accepting one group by hand writes: the group (``write_operations``) and, for an entity,
    the identity links every finished annotator agrees on between it and entities gold holds, so
    accepting mentions one by one keeps their identity as ``--auto`` does."""
    ops = write_operations(candidate, gold, schema)
    if candidate.kind != "entity":
        return ops
    state = gold
    for op in ops:
        state, _ = apply_operation(op, state, text, schema)
    return [*ops, *identity_operations([candidate], state, text, schema)]


@dataclass(frozen=True)
class Plan:
    """What ``--auto`` does to one document: ``op`` (None: nothing to write), the groups written,
    and the groups left to decide by hand (below the threshold, or refused by the schema)."""

    op: Batch | None
    written: tuple[Candidate, ...]
    remaining: tuple[Candidate, ...]
    refused: tuple[tuple[Candidate, str], ...] = ()


def auto_plan(groups: Sequence[Candidate], gold: Annotations, text: Text, schema: Schema, mode: str) -> Plan:
    """Write every open group that passes ``mode``: entities first (so claims can link their
    claimer), each planned on the state the previous ones made; one Batch (one undo step)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    state = gold
    ops: list[Operation] = []
    written: list[Candidate] = []
    refused: list[tuple[Candidate, str]] = []
    todo = open_candidates(groups, gold)
    passing = [c for c in todo if c.passes(mode)]
    for cand in sorted(passing, key=lambda c: c.kind != "entity"):
        try:
            for op in write_operations(cand, state, schema):
                state, _ = apply_operation(op, state, text, schema)
                ops.append(op)
        except OperationError as exc:  # e.g. nesting the schema forbids: left for the app
            refused.append((cand, str(exc)))
            continue
        written.append(cand)
    ops += identity_operations(groups, state, text, schema)
    remaining = tuple(c for c in todo if c not in written)
    batch = Batch(tuple(ops), f"adjudicate ({mode}): {len(ops)} item(s)") if ops else None
    return Plan(batch, tuple(written), remaining, tuple(refused))


def reject_operation(candidate: Candidate) -> Operation:
    return SetRejected(rejection_of(candidate))


def finished_states(store, doc_id: str, annotators: Sequence[str] | None, gold: str) -> dict[str, Annotations]:
    """The states of the annotators (all but ``gold`` by default) who finished ``doc_id``."""
    out: dict[str, Annotations] = {}
    for name in store.annotators(doc_id):
        if name == gold or (annotators is not None and name not in annotators):
            continue
        state = store.load(doc_id, name)
        if state.status in FINISHED:
            out[name] = state
    return out


class AdjudicationSession(AnnotationSession):
    """The gold annotator's session over a fixed list of documents (those to adjudicate): gold
    never takes documents from a dynamic queue nor sees its assignments."""

    def __init__(self, store, schema: Schema, annotator: str, doc_ids: Sequence[str]) -> None:
        super().__init__(store, schema, annotator)
        self.adjudicable = list(doc_ids)

    def document_ids(self) -> list[str]:
        return list(self.adjudicable)

    def queue(self, *, take: bool = False) -> list[str] | None:
        return list(self.adjudicable)

    def next_document(self, after: str | None = None) -> str | None:
        ids = self.adjudicable
        if after is None:
            return ids[0] if ids else None
        i = ids.index(after) + 1 if after in ids else len(ids)
        return ids[i] if i < len(ids) else None
