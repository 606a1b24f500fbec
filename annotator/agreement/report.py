"""Agreement between the annotators of a store, as one JSON-ready report.

``collect`` reads what the measures need through the ``Store`` protocol (documents and
each annotator's state); ``agreement_report`` computes every figure from that plain
data. Which states count: by default a document counts for an annotator once they marked
it ``done`` (a half-labelled document would read as disagreement); ``statuses`` widens it.
Pairwise figures use each pair's documents in common; the group figures (u-α, token κ)
use the documents every selected annotator finished, since u-α and Fleiss' κ need every
coder on every item; a document left out is named in the diagnostics.

Long because every section of the report (entities, claims, attributes, per document) is
computed here from the one collected corpus, with the unit-matching helpers they share.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from annotator.agreement.measures import (
    F1Counts,
    Figure,
    SpanItem,
    coding_alpha,
    cohen_kappa,
    kappa,
    match_spans,
    overall_unitizing,
    undefined,
    unitizing_alpha,
    value_key,
)
from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Claim
from annotator.schema.model import Attribute, Schema
from annotator.store.base import Store

MIN_ITEMS = 30  # fewer items than this: the figure is fragile (INCEpTION warns at the same point)
MAX_SKEW = 0.85  # one value on more than this share of the items: κ and α are unstable
MODES = ("exact", "overlap")
PAIR_SEP = "|"


@dataclass
class Corpus:
    """What the measures read: texts and, per document, the counted state of each annotator."""

    annotators: list[str]
    texts: dict[str, str]  # doc id -> text, in store order
    states: dict[str, dict[str, Annotations]]  # doc id -> annotator -> state (counted ones only)
    statuses: dict[str, dict[str, str]] = field(default_factory=dict)  # doc id -> annotator -> status
    reference: str | None = None

    def common(self, names: Iterable[str]) -> list[str]:
        wanted = list(names)
        return [d for d in self.texts if all(n in self.states.get(d, {}) for n in wanted)]


def pair_key(a: str, b: str) -> str:
    return PAIR_SEP.join(sorted((a, b)))


def collect(store: Store, annotators: Sequence[str] | None = None, documents: Sequence[str] | None = None,
            statuses: Sequence[str] = ("done",), reference: str | None = None) -> Corpus:
    """Read the selection from ``store``; an unknown annotator or document is an error naming it."""
    known = store.all_annotators()
    for name in [*(annotators or ()), *([reference] if reference else [])]:
        if name not in known:
            raise AnnotatorError(f"no annotator {name!r} in {store.path} (it has: {', '.join(known) or 'none'})")
    chosen = list(dict.fromkeys(annotators)) if annotators else list(known)
    if reference:
        chosen = [n for n in chosen if n != reference]
    wanted_docs = set(documents) if documents else None
    if wanted_docs is not None:
        missing = sorted(d for d in wanted_docs if store.get_document(d) is None)
        if missing:
            raise AnnotatorError(f"no document {missing[0]!r} in {store.path}"
                                 + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    readers = set(chosen) | ({reference} if reference else set())
    texts: dict[str, str] = {}
    states: dict[str, dict[str, Annotations]] = {}
    status_of: dict[str, dict[str, str]] = {}
    counted = set(statuses)
    for doc in store.iter_documents():
        if wanted_docs is not None and doc.id not in wanted_docs:
            continue
        for name in store.annotators(doc.id):
            if name not in readers:
                continue
            state = store.load(doc.id, name)
            status_of.setdefault(doc.id, {})[name] = state.status
            if state.status in counted:
                states.setdefault(doc.id, {})[name] = state
        if doc.id in status_of:
            texts[doc.id] = doc.text
    return Corpus(sorted(chosen), texts, states, status_of, reference)


# --- the report ---------------------------------------------------------------------------------

def _entity_items(state: Annotations) -> list[SpanItem]:
    return [SpanItem(e.start, e.end, e.label) for e in state.entities]


def _claim_items(state: Annotations) -> list[SpanItem]:
    return [SpanItem(c.start, c.end) for c in state.claims]


class _Diagnostics:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.small: dict[str, list[str]] = {}  # per-label figures on few items, one line per measure

    def add(self, code: str, message: str, where: str | None = None) -> None:
        entry: dict[str, Any] = {"code": code, "message": message}
        if where is not None:
            entry["where"] = where
        self.items.append(entry)

    def check(self, fig: Figure, where: str, group: str | None = None) -> Figure:
        """The warnings a careful reader needs next to a figure: few items, one dominant value.
        Figures of one ``group`` (the labels of one measure) share one line."""
        if fig.value is None:
            return fig  # its ``why`` already says what is wrong
        if fig.items < MIN_ITEMS:
            if group is None:
                self.add("few_items", f"{where} rests on {fig.items} item(s), fewer than {MIN_ITEMS}", where)
            else:
                self.small.setdefault(group, []).append(f"{where[len(group) + 1:]} ({fig.items})")
        share = fig.extra.get("top_share")
        if share is not None and share > MAX_SKEW:
            self.add("skew", f"{where}: one value makes up {100 * share:.1f}% of the values (over "
                             f"{100 * MAX_SKEW:.0f}%), so κ and α are unstable", where)
        return fig

    def finish(self) -> list[dict[str, Any]]:
        for group, names in self.small.items():
            self.add("few_items", f"{group}: fewer than {MIN_ITEMS} items for {', '.join(names)}", group)
        self.small = {}
        return self.items


def agreement_report(corpus: Corpus, schema: Schema | None = None,
                     tokenizer: Callable[[str], Sequence[tuple[int, int]]] | None = None) -> dict[str, Any]:
    """Every figure for ``corpus`` as one JSON-ready dict (see docs/agreement.md for the paths)."""
    diag = _Diagnostics()
    names = corpus.annotators
    pairs = list(combinations(names, 2))
    if len(names) < 2:
        diag.add("one_annotator", f"{len(names)} annotator(s) selected ({', '.join(names) or 'none'}): "
                                  "agreement needs two, so every figure is null")
    for a, b in pairs:
        if not corpus.common((a, b)):
            diag.add("no_common_documents", f"{a} and {b} have no counted document in common", pair_key(a, b))
    group_docs = corpus.common(names) if len(names) >= 2 else []
    partial = [d for d in corpus.texts if len(corpus.states.get(d, {}).keys() & set(names)) >= 2
               and d not in group_docs]
    if partial:
        diag.add("documents_left_out", f"{len(partial)} document(s) counted by only some of the annotators are "
                 f"left out of the group figures (u-α, token κ) but kept in the pairs: {', '.join(partial[:5])}"
                 + (" …" if len(partial) > 5 else ""))
    labels = sorted({e.label for d in corpus.states.values() for s in d.values() for e in s.entities}
                    | set(schema.label_keys if schema else ()))
    if tokenizer is None:
        from annotator.text import tokenize

        def tokenizer(text: str) -> list[tuple[int, int]]:
            return [(t.start, t.end) for t in tokenize(text)]

    entities: dict[str, Any] = {}
    for mode in MODES:
        entities[f"f1_{mode}"] = _span_f1(corpus, names, _entity_items, mode, diag, f"entities.f1_{mode}", labels)
    entities["alpha_u"] = _alpha_u(corpus, names, group_docs, labels, diag)
    entities["kappa_tokens"] = _token_kappa(corpus, names, group_docs, tokenizer, diag)

    claims: dict[str, Any] = {}
    for mode in MODES:
        claims[f"f1_{mode}"] = _span_f1(corpus, names, _claim_items, mode, diag, f"claims.f1_{mode}", None)
    claims.update(_claim_attributes(corpus, names, schema, diag))

    report: dict[str, Any] = {
        "annotators": names,
        "documents": [d for d in corpus.texts if corpus.states.get(d, {}).keys() & set(names)],
        "group_documents": group_docs,
        "entities": entities,
        "claims": claims,
        "document_attributes": _document_attributes(corpus, names, schema, diag),
    }
    if corpus.reference is not None:
        report["against"] = _against(corpus, labels, diag)
    report["diagnostics"] = diag.finish()
    return report


def _span_f1(corpus: Corpus, names: list[str], items_of: Callable[[Annotations], list[SpanItem]], mode: str,
             diag: _Diagnostics, where: str, labels: list[str] | None) -> dict[str, Any]:
    """Pairwise span F1: per pair, pooled (micro), per label, per document."""
    pooled = F1Counts()
    per_label = {lab: F1Counts() for lab in labels or ()}
    per_doc: dict[str, F1Counts] = {}
    pairs: dict[str, Any] = {}
    for a, b in combinations(names, 2):
        docs = corpus.common((a, b))
        counts = F1Counts()
        for doc in docs:
            one = _counts(items_of(corpus.states[doc][a]), items_of(corpus.states[doc][b]), mode, per_label)
            counts.add(one)
            per_doc.setdefault(doc, F1Counts()).add(one)
        pooled.add(counts)
        pairs[pair_key(a, b)] = counts.f1(documents=len(docs)).to_json() if docs else \
            undefined(0, "no document in common", documents=0).to_json()
    out: dict[str, Any] = {}
    if len(names) < 2:
        out["micro"] = undefined(0, "fewer than two annotators").to_json()
    else:
        out["micro"] = diag.check(pooled.f1(pairs=len(pairs)), f"{where}.micro").to_json()
    if labels is not None:
        out["per_label"] = {lab: diag.check(c.f1(), f"{where}.per_label.{lab}", f"{where}.per_label").to_json()
                            for lab, c in per_label.items()}
    out["pairs"] = pairs
    out["per_document"] = {d: c.f1().to_json() for d, c in per_doc.items()}
    return out


def _counts(a: list[SpanItem], b: list[SpanItem], mode: str, per_label: dict[str, F1Counts]) -> F1Counts:
    matched = match_spans(a, b, mode)
    for span in a:
        per_label.setdefault(span.label, F1Counts()).a += 1
    for span in b:
        per_label.setdefault(span.label, F1Counts()).b += 1
    for i, _ in matched:
        per_label[a[i].label].matched += 1
    return F1Counts(len(matched), len(a), len(b))


def _continuum(
    corpus: Corpus, docs: list[str], coders: Sequence[str], label: str,
) -> tuple[int, list[list[tuple[int, int]]]]:
    """The documents as one continuum (texts one after the other) and each coder's units of ``label``."""
    units: list[list[tuple[int, int]]] = [[] for _ in coders]
    offset = 0
    for doc in docs:
        for k, name in enumerate(coders):
            units[k].extend((offset + e.start, offset + e.end)
                            for e in corpus.states[doc][name].entities if e.label == label)
        offset += len(corpus.texts[doc])
    return offset, units


def _unitizing(
    corpus: Corpus, docs: list[str], coders: Sequence[str], labels: list[str],
) -> tuple[Figure, dict[str, Figure]]:
    parts = {}
    for label in labels:
        length, units = _continuum(corpus, docs, coders, label)
        parts[label] = unitizing_alpha(length, units)
    overall = overall_unitizing(list(parts.values()))
    overall.extra["documents"] = len(docs)
    return overall, {lab: p[0] for lab, p in parts.items()}


def _alpha_u(corpus: Corpus, names: list[str], group_docs: list[str], labels: list[str],
             diag: _Diagnostics) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if len(names) < 2 or not group_docs:
        why = "fewer than two annotators" if len(names) < 2 else "no document counted by every annotator"
        out["overall"] = undefined(0, why, documents=0).to_json()
        out["per_label"] = {lab: undefined(0, why).to_json() for lab in labels}
    else:
        overall, per_label = _unitizing(corpus, group_docs, names, labels)
        out["overall"] = diag.check(overall, "entities.alpha_u.overall").to_json()
        out["per_label"] = {lab: diag.check(f, f"entities.alpha_u.per_label.{lab}",
                                             "entities.alpha_u.per_label").to_json()
                            for lab, f in per_label.items()}
    out["pairs"] = {}
    for a, b in combinations(names, 2):
        docs = corpus.common((a, b))
        out["pairs"][pair_key(a, b)] = _unitizing(corpus, docs, (a, b), labels)[0].to_json() if docs else \
            undefined(0, "no document in common", documents=0).to_json()
    out["per_document"] = {}
    for doc in corpus.texts:
        coders = [n for n in names if n in corpus.states.get(doc, {})]
        if len(coders) >= 2:
            out["per_document"][doc] = _unitizing(corpus, [doc], coders, labels)[0].to_json()
    return out


def token_labels(text_tokens: Sequence[tuple[int, int]], state: Annotations) -> list[str]:
    """One label per token: the innermost (shortest) entity sharing a character with it, else ``O``.

    Spans paint the tokens they touch, longest first, so the innermost paints last (among
    equally long ones the earliest start, then the smallest label, wins).
    """
    out = ["O"] * len(text_tokens)
    ends = [end for _, end in text_tokens]
    for e in sorted(state.entities, key=lambda e: (e.end - e.start, e.start, e.label), reverse=True):
        k = bisect_right(ends, e.start)  # the first token ending after the span starts
        while k < len(text_tokens) and text_tokens[k][0] < e.end:
            out[k] = e.label
            k += 1
    return out


def _token_kappa(corpus: Corpus, names: list[str], group_docs: list[str],
                 tokenizer: Callable[[str], Sequence[tuple[int, int]]], diag: _Diagnostics) -> dict[str, Any]:
    cache: dict[tuple[str, str], list[str]] = {}

    def labels_of(doc: str, name: str) -> list[str]:
        key = (doc, name)
        if key not in cache:
            toks = tokenizer(corpus.texts[doc])
            for n in corpus.states[doc]:  # tokenize each document once, for all its annotators
                cache[(doc, n)] = token_labels(toks, corpus.states[doc][n])
        return cache[key]

    def rows(docs: list[str], coders: Sequence[str]) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for doc in docs:
            out.extend(zip(*(labels_of(doc, n) for n in coders), strict=True))
        return out

    if len(names) < 2 or not group_docs:
        why = "fewer than two annotators" if len(names) < 2 else "no document counted by every annotator"
        out: dict[str, Any] = undefined(0, why, measure="cohen" if len(names) == 2 else "fleiss").to_json()
    else:
        fig = kappa(rows(group_docs, names))
        fig.extra["documents"] = len(group_docs)
        out = diag.check(fig, "entities.kappa_tokens").to_json()
    out["pairs"] = {}
    for a, b in combinations(names, 2):
        docs = corpus.common((a, b))
        fig = cohen_kappa([(r[0], r[1]) for r in rows(docs, (a, b))]) if docs else \
            undefined(0, "no document in common")
        fig.extra.update(measure="cohen", documents=len(docs))
        out["pairs"][pair_key(a, b)] = fig.to_json()
    out["per_document"] = {}
    for doc in corpus.texts:
        coders = [n for n in names if n in corpus.states.get(doc, {})]
        if len(coders) >= 2:
            out["per_document"][doc] = kappa(rows([doc], coders)).to_json()
    return out


# --- claims: units across annotators, claimer and attributes ---------------------------------------

def claim_units(corpus: Corpus, names: list[str], mode: str) -> list[dict[str, tuple[str, Claim]]]:
    """Claims of different annotators that are one claim: the connected groups of pairwise matches.

    Each unit maps annotator -> (doc id, claim). A group holding two claims of one annotator
    (possible only through a chain of overlap matches) is ambiguous and left out.
    """
    def find(parent: dict[tuple[str, int], tuple[str, int]], x: tuple[str, int]) -> tuple[str, int]:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    units: list[dict[str, tuple[str, Claim]]] = []
    for doc in corpus.texts:
        coders = [n for n in names if n in corpus.states.get(doc, {})]
        if len(coders) < 2:
            continue
        parent: dict[tuple[str, int], tuple[str, int]] = {}

        claims = {n: corpus.states[doc][n].claims for n in coders}
        for a, b in combinations(coders, 2):
            for i, j in match_spans([SpanItem(c.start, c.end) for c in claims[a]],
                                    [SpanItem(c.start, c.end) for c in claims[b]], mode):
                ra, rb = find(parent, (a, i)), find(parent, (b, j))
                if ra != rb:
                    parent[ra] = rb
        groups: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for node in parent:
            groups.setdefault(find(parent, node), []).append(node)
        for root, members in groups.items():
            if root not in members:
                members.append(root)
            who = [n for n, _ in members]
            if len(set(who)) != len(who):
                continue
            units.append({n: (doc, claims[n][i]) for n, i in sorted(members)})
    return units


def _claimer(corpus: Corpus, name: str, doc: str, claim: Claim) -> frozenset[tuple[int, int]] | None:
    """The claimer as the spans it is known by: its own, and those of the other mentions of its
    identity (``Entity.identity``); None when the claim names none."""
    if claim.claimer is None:
        return None
    state = corpus.states[doc][name]
    entity = state.entity(claim.claimer)
    if entity is None:
        return None
    return frozenset({(entity.start, entity.end), *((m.start, m.end) for m in state.mentions(entity.identity))})


def same_claimer(x: frozenset[tuple[int, int]] | None, y: frozenset[tuple[int, int]] | None) -> bool:
    """Two claimers agree when both are none, or they share a mention span: the same mention, or
    mentions of identities that have a mention in common (docs/agreement.md)."""
    return x == y if x is None or y is None else not x.isdisjoint(y)


def _level(attr: Attribute | None, values: list[Any]) -> str | None:
    """nominal for choices and booleans, ordinal for ordered choices, interval for numbers; None: text."""
    if attr is not None:
        if attr.kind == "choice":
            return "ordinal" if getattr(attr, "ordered", False) else "nominal"
        return {"boolean": "nominal", "number": "interval"}.get(attr.kind)
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "interval"
    if values and all(isinstance(v, bool) for v in values):
        return "nominal"
    return None  # free text (or mixed): no level of measurement


def _attribute_figures(units: list[dict[str, Any]], names: list[str], attr: Attribute | None, level: str,
                       diag: _Diagnostics, where: str) -> dict[str, Any]:
    order = [c.value for c in attr.choices] if attr is not None and level == "ordinal" else None
    out: dict[str, Any] = {"level": level}
    if len(names) < 2:
        out["alpha"] = undefined(0, "fewer than two annotators", level=level).to_json()
        out["kappa"] = undefined(0, "fewer than two annotators").to_json()
        return out
    units = _fitting(units, level, order, diag, where)
    out["alpha"] = diag.check(coding_alpha(units, level, order), f"{where}.alpha").to_json()
    if level != "nominal":
        out["kappa"] = undefined(0, f"κ is for nominal values; this attribute is {level} (see alpha)").to_json()
    else:
        full = [tuple(value_key(u[n]) for n in names) for u in units
                if all(u.get(n) is not None for n in names)]
        out["kappa"] = diag.check(kappa(full), f"{where}.kappa").to_json() if full else \
            undefined(0, "no unit coded by every annotator",
                      measure="cohen" if len(names) == 2 else "fleiss").to_json()
    return out


def _fitting(units: list[dict[str, Any]], level: str, order: list[Any] | None, diag: _Diagnostics,
             where: str) -> list[dict[str, Any]]:
    """The values the level can measure; others (a choice the schema no longer lists, text in a
    number attribute: stored under an older schema) are left out as missing, and said so."""
    def fits(value: Any) -> bool:
        if value is None:
            return True
        if level == "ordinal":
            return value in (order or ())
        if level == "interval":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        return isinstance(value, (str, bool, int, float))

    odd = sorted({repr(v) for u in units for v in u.values() if not fits(v)})
    if not odd:
        return units
    diag.add("values_left_out", f"{where}: value(s) {', '.join(odd[:5])} do not fit its {level} level "
                                "(an older schema?) and are left out as missing", where)
    return [{n: v for n, v in u.items() if fits(v)} for u in units]


def _claim_attributes(corpus: Corpus, names: list[str], schema: Schema | None, diag: _Diagnostics) -> dict[str, Any]:
    specs = {a.key: a for a in schema.claims.attributes} if schema else {}
    out: dict[str, Any] = {"claimer": {}, "attributes": {}}
    by_mode = {mode: claim_units(corpus, names, mode) for mode in MODES}
    for mode, units in by_mode.items():
        agree = total = 0
        for unit in units:
            claimers = [_claimer(corpus, n, doc, c) for n, (doc, c) in unit.items()]
            for x, y in combinations(claimers, 2):
                total += 1
                agree += same_claimer(x, y)
        fig = Figure(agree / total, total, extra={"agreeing": agree}) if total else \
            undefined(0, "no claim matched across annotators")
        key = "agreement" if mode == "exact" else "agreement_overlap"
        out["claimer"][key] = diag.check(fig, f"claims.claimer.{key}").to_json()
    keys = list(specs) + sorted({k for d in corpus.states.values() for s in d.values() for c in s.claims
                                 for k in c.attributes if k not in specs})
    for key in keys:
        attr = specs.get(key)
        values = [c.attributes.get(key) for d in corpus.states.values() for s in d.values() for c in s.claims]
        level = _level(attr, [v for v in values if v is not None])
        if level is None:
            continue  # free text: no level of measurement (docs/agreement.md)
        entry = {}
        for mode, units in by_mode.items():
            coded = [{n: c.attributes.get(key) for n, (_, c) in unit.items()} for unit in units]
            figs = _attribute_figures(coded, names, attr, level, diag, f"claims.attributes.{key}"
                                      + ("" if mode == "exact" else ".overlap"))
            if mode == "exact":
                entry.update(figs)
            else:
                entry["overlap"] = {k: v for k, v in figs.items() if k != "level"}
        out["attributes"][key] = entry
    return out


def _document_attributes(corpus: Corpus, names: list[str], schema: Schema | None,
                         diag: _Diagnostics) -> dict[str, Any]:
    """status (every document an annotator began: status not todo) and the schema's document attributes."""
    out: dict[str, Any] = {}
    units = [{n: s for n, s in corpus.statuses.get(d, {}).items() if n in names and s != "todo"}
             for d in corpus.texts]
    out["status"] = _attribute_figures(units, names, None, "nominal", diag, "document_attributes.status")
    specs = {a.key: a for a in schema.document_attributes} if schema else {}
    keys = list(specs) + sorted({k for d in corpus.states.values() for s in d.values() for k in s.attributes
                                 if k not in specs})
    for key in keys:
        attr = specs.get(key)
        coded = [{n: s.attributes.get(key) for n, s in corpus.states.get(d, {}).items() if n in names}
                 for d in corpus.texts]
        level = _level(attr, [v for u in coded for v in u.values() if v is not None])
        if level is not None:
            out[key] = _attribute_figures(coded, names, attr, level, diag, f"document_attributes.{key}")
    return out


def _against(corpus: Corpus, labels: list[str], diag: _Diagnostics) -> dict[str, Any]:
    """Each annotator scored against the reference: precision, recall and F1 (pooled over documents)."""
    ref = corpus.reference
    assert ref is not None
    out: dict[str, Any] = {"reference": ref, "annotators": {}}
    for name in corpus.annotators:
        docs = corpus.common((name, ref))
        if not docs:
            diag.add("no_common_documents", f"{name} and the reference {ref} have no counted document in common",
                     pair_key(name, ref))
        entry: dict[str, Any] = {"documents": len(docs)}
        for what, items_of in (("entities", _entity_items), ("claims", _claim_items)):
            entry[what] = {}
            for mode in MODES:
                total = F1Counts()
                per_label: dict[str, F1Counts] = {lab: F1Counts() for lab in labels} if what == "entities" else {}
                for doc in docs:
                    total.add(_counts(items_of(corpus.states[doc][name]), items_of(corpus.states[doc][ref]),
                                      mode, per_label))
                scores = _prf(total)
                if what == "entities":
                    scores["per_label"] = {lab: _prf(c) for lab, c in per_label.items()}
                entry[what][mode] = scores
        out["annotators"][name] = entry
    return out


def _prf(counts: F1Counts) -> dict[str, Any]:
    return {"precision": counts.precision().to_json(), "recall": counts.recall().to_json(),
            "f1": counts.f1().to_json()}
