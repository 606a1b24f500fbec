"""``claim-cues``: claims proposed from attribution cues and quoted speech, with a proposed claimer.

The cues are data (``claim_cues.yaml`` in this package, or another file with the ``cues``
option), matched as whole tokens under the search normalization and after proclitics
(``Lexicon``, as ``string-match`` matches). In each sentence (``text.segments``):

* quoted speech («…», “…”, "…") of at least ``min_quote_words`` words is a claim: the text
  inside the quotes;
* otherwise a verb of saying (قال، أعلن، أكد…) proposes the clause after it: after the
  complementizer (إن، أن، بأن، :) when one follows within ``max_subject_tokens`` tokens, else
  after a particle of the verb (أشار إلى) or after the mention that opens it (the verb's subject)
  and what is bracketed or labelled right after it (an alias «( قسد )», a date), up to the next
  cue, a second reported clause (وإن، وأن) or the end of the sentence;
* a source phrase (بحسب، وفقاً لـ…) proposes the clause before it, or, when it opens the
  sentence, the clause after the first comma that follows it.

The claimer is an entity already on the document (a label or a proposal, so run
``string-match``, ``patterns`` or ``camel-ner`` first) whose label is one of ``claimer_labels``
that the schema allows: the cue's subject (the mention between a verb and its clause, the first
of the earliest label in ``claimer_labels``, so a person before the organisation they speak for;
or right after a source phrase), else the nearest one ending before the cue (or quote) in the
sentence, else the claimer of the nearest claim before it (وأضاف: the same speaker goes on).
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, ClassVar

import yaml

from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Document, Entity
from annotator.recommend.base import Progress, Proposal, RecommendContext, Recommender, read_text_file
from annotator.recommend.learned import Lexicon, span_key
from annotator.schema.model import Schema
from annotator.text.matching import normalize_for_search
from annotator.text.overlaps import SpansByStart
from annotator.text.segments import sentences
from annotator.text.tokens import Token, tokenize

__all__ = ["ClaimCues", "CueSet", "load_cues"]

_WORDS = ("word", "number")
CHUNK = 4096  # characters: a long text is read in pieces cut at line breaks (no sentence or quote crosses one)


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """[start, end) pieces of ``text``, each cut just after a line feed at least ``CHUNK``
    characters on (a line longer than that is one piece): what ``propose`` reads at a time."""
    p, n = 0, len(text)
    while p < n:
        cut = text.find("\n", p + CHUNK - 1)
        end = n if cut < 0 else cut + 1
        yield p, end
        p = end


@dataclass
class CueSet:
    """The cues of one data file, ready to match."""

    cues: Lexicon  # label "verb" or "source"
    complementizers: frozenset[str]
    quotes: tuple[tuple[str, str], ...]
    min_quote_words: int
    min_claim_words: int
    max_subject_tokens: int
    claimer_labels: tuple[str, ...]
    particles: frozenset[str] = frozenset()


def _strings(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AnnotatorError(f"{where}: {key} must be a list of words")
    return value


def _count(data: dict[str, Any], key: str, default: int, where: str) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AnnotatorError(f"{where}: {key} must be a whole number of at least 1, not {value!r}")
    return value


def _cue_key(text: str) -> tuple[str, ...]:
    """A cue's tokens; a last one-letter word (لـ of وفقاً لـ) is dropped: it is glued to the next word."""
    key = span_key(text)
    if len(key) > 1 and len(key[-1]) == 1:
        key = key[:-1]
    return key


def load_cues(path: str | None = None) -> CueSet:
    """The cues of ``path`` (default: the bundled ``claim_cues.yaml``); a bad file is one clear error."""
    if path is None:
        where = "claim_cues.yaml (bundled)"
        raw = resources.files("annotator.recommend").joinpath("claim_cues.yaml").read_text(encoding="utf-8")
    else:
        where, raw = path, read_text_file(path, "claim cues")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise AnnotatorError(f"{where}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise AnnotatorError(f"{where}: expected a mapping with verbs, sources, complementizers, quotes")
    unknown = sorted(set(data) - {"verbs", "sources", "complementizers", "quotes", "min_quote_words",
                                  "min_claim_words", "max_subject_tokens", "claimer_labels", "particles"})
    if unknown:
        raise AnnotatorError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    cues = Lexicon()
    for kind in ("verbs", "sources"):
        for word in _strings(data, kind, where):
            key = _cue_key(word)
            if not key:
                raise AnnotatorError(f"{where}: cue {word!r} has too little text to match on")
            cues.add(key, kind[:-1])
    quotes = data.get("quotes", [])
    if not isinstance(quotes, list) or not all(
            isinstance(q, list) and len(q) == 2 and all(isinstance(c, str) and len(c) == 1 for c in q) for q in quotes):
        raise AnnotatorError(f"{where}: quotes must be a list of [open, close] pairs of one character each")
    return CueSet(
        cues=cues,
        complementizers=frozenset(normalize_for_search(w).strip() for w in _strings(data, "complementizers", where)),
        quotes=tuple((q[0], q[1]) for q in quotes),
        min_quote_words=_count(data, "min_quote_words", 3, where),
        min_claim_words=_count(data, "min_claim_words", 3, where),
        max_subject_tokens=_count(data, "max_subject_tokens", 8, where),
        claimer_labels=tuple(_strings(data, "claimer_labels", where)),
        particles=frozenset(normalize_for_search(w).strip() for w in _strings(data, "particles", where)),
    )


def _claimer_labels(cues: CueSet, schema: Schema) -> frozenset[str]:
    allowed = set(schema.claims.claimer_labels or schema.label_keys)
    return frozenset(label for label in cues.claimer_labels if label in allowed)


@dataclass
class _Reading:
    """What one ``propose`` call reads by, passed to its helpers, never kept on the recommender:
    the app asks about a hand claim's claimer on the UI thread (``propose_near``) while the
    opening's proposals may be made in a worker."""

    rank: dict[str, int]  # claimer label → its place in ``claimer_labels``
    speakers: list[tuple[int, str]]  # (end, claimer) of the claims that have one
    labelled: list[tuple[int, int]] = field(default_factory=list)  # bounds of the entities touching the piece
    base: int = 0  # where the piece being read starts in the document


class ClaimCues(Recommender):
    name: ClassVar[str] = "claim-cues"
    description: ClassVar[str] = "claims from attribution cues (قال، أعلن، بحسب…) and quoted speech, with a claimer"
    kinds: ClassVar[frozenset[str]] = frozenset({"claim"})

    def __init__(self, cues: CueSet | None = None) -> None:
        self.cues = cues

    def prepare(self, store: Any, context: RecommendContext, progress: Progress | None = None) -> None:
        if not context.schema.claims.enabled:
            raise AnnotatorError(
                f"schema {context.schema.name} does not allow claims: claim-cues has nothing to propose")
        self.cues = load_cues(context.options.get("cues"))

    def propose(self, document: Document, annotations: Annotations, context: RecommendContext) -> list[Proposal]:
        return self._propose_pieces(document, annotations, context, 0, len(document.text))

    def propose_near(self, document: Document, annotations: Annotations, context: RecommendContext,
                     start: int, end: int) -> list[Proposal]:
        """Only the pieces (``_chunks``) that overlap ``[start, end)`` are read: every proposal lies
        inside one piece, so those that overlap the span are all there."""
        return self._propose_pieces(document, annotations, context, start, end)

    def _propose_pieces(self, document: Document, annotations: Annotations, context: RecommendContext,
                        near_start: int, near_end: int) -> list[Proposal]:
        """Read a piece of the text at a time (``_chunks``, cut at line breaks, which no sentence or
        quote crosses), with the labels that touch it, so a long document costs its length, not
        its length times its cues; between pieces the GIL is given up (``learned.tokens_by_window``)."""
        cues = self.cues = self.cues or load_cues(context.options.get("cues"))
        text = document.text
        labels = _claimer_labels(cues, context.schema)
        mentions = sorted((e for e in annotations.entities if e.label in labels), key=lambda e: (e.start, e.end))
        mention_starts = [m.start for m in mentions]
        labelled = SpansByStart.of_pairs((e.start, e.end) for e in annotations.entities)
        reading = _Reading({label: n for n, label in enumerate(cues.claimer_labels)},
                           sorted(((c.end, c.claimer) for c in annotations.claims if c.claimer), key=lambda x: x[0]))
        out: list[Proposal] = []
        for start, end in _chunks(text):
            if start >= near_end:
                break  # the pieces come in order: none after this one is near the span asked about
            if end <= near_start:
                continue
            reading.base = start
            piece = [replace(m, start=m.start - start, end=m.end - start)
                     for m in mentions[bisect_left(mention_starts, start):bisect_left(mention_starts, end)]]
            reading.labelled = [(s - start, e - start) for s, e in labelled.overlapping(start, end)]
            out += (replace(p, start=p.start + start, end=p.end + start) for p in self._propose_in(
                text[start:end] if (start, end) != (0, len(text)) else text, piece, cues, reading))
            if end < len(text):
                time.sleep(0)
        return out

    def _propose_in(self, text: str, mentions: list[Entity], cues: CueSet, reading: _Reading) -> list[Proposal]:
        """The proposals of one piece of the text (offsets in the piece)."""
        tokens = tokenize(text)
        starts = [t.start for t in tokens]
        hits = cues.cues.find(text)
        quotes = self._quotes(text, cues)
        out: list[Proposal] = []
        for sent in sentences(text):
            toks = tokens[bisect_left(starts, sent.start):bisect_left(starts, sent.end)]
            inside = [(s, e) for s, e in quotes if sent.start <= s < sent.end]
            # cues inside quoted speech are part of the quote, not attributions
            found = [(s, e, cues.cues.labels[k].most_common(1)[0][0]) for s, e, k in hits
                     if sent.start <= s and e <= sent.end and not any(qs <= s < qe for qs, qe in quotes)]
            if inside:
                for s, e in inside:
                    before = [f for f in found if f[1] <= s] or found
                    claimer = self._claimer(mentions, toks, before[-1] if before else None, sent.start, s,
                                            reading) or self._speaker_before(s, reading)
                    cue_word = f'cue "{text[before[-1][0]:before[-1][1]]}" and ' if before else ""
                    out.append(Proposal("claim", s, e, None, 0.8 if found else 0.6, self.name, claimer,
                                        f"{cue_word}quoted speech"))
                continue
            for n, cue in enumerate(found):
                limit = found[n + 1][0] if n + 1 < len(found) else sent.end
                proposal = self._clause(text, toks, cue, limit, sent.start, mentions, cues, reading)
                if proposal is not None:
                    out.append(proposal)
        return out

    # -- pieces ------------------------------------------------------------------------

    def _quotes(self, text: str, cues: CueSet) -> list[tuple[int, int]]:
        """[start, end) of the text inside each pair of quotes (not across a line break) with
        at least ``min_quote_words`` words."""
        out = []
        for open_q, close_q in cues.quotes:
            pos = 0
            while (i := text.find(open_q, pos)) >= 0:
                j = text.find(close_q, i + 1)
                if j < 0:
                    break
                pos = j + 1
                if "\n" in text[i + 1:j] or "\r" in text[i + 1:j]:
                    pos = i + 1
                    continue
                words = [t for t in tokenize(text[i + 1:j]) if t.kind in _WORDS]
                if len(words) >= cues.min_quote_words:
                    out.append((i + 1 + words[0].start, i + 1 + words[-1].end))
        return sorted(out)

    def _clause(self, text: str, toks: list[Token], cue: tuple[int, int, str], limit: int, sent_start: int,
                mentions: list[Entity], cues: CueSet, reading: _Reading) -> Proposal | None:
        start, end, kind = cue
        after = [t for t in toks if t.start >= end and t.end <= limit]
        word = text[start:end]
        if kind == "verb":
            subject_end = end
            claim_from = None
            for k, t in enumerate(after[:cues.max_subject_tokens]):
                if normalize_for_search(t.text).strip() in cues.complementizers:
                    subject_end, claim_from = t.start, k + 1
                    break
            subject = self._mention_in(mentions, end, subject_end, reading) if claim_from is not None else \
                self._mention_at(mentions, after[0].start if after else end, limit)
            if claim_from is None and subject is None and after and \
                    normalize_for_search(after[0].text).strip() in cues.particles:
                claim_from = 1  # أشار إلى …: the particle belongs to the verb
            if claim_from is None:
                claim_from = next(
                    (k for k, t in enumerate(after) if subject is None or t.start >= subject.end), len(after))
                if subject is not None:  # an alias in brackets or a labelled date after the subject
                    while claim_from < len(after) and self._aside(after[claim_from], reading):
                        claim_from += 1
            clause = self._first_clause(after[claim_from:], cues)
            why = f'cue "{word}"'
        else:
            subject = self._mention_at(mentions, after[0].start if after else end, limit)
            before = [t for t in toks if t.end <= start and t.start >= sent_start]
            if len([t for t in before if t.kind in _WORDS]) >= cues.min_claim_words:
                clause = before
            else:
                comma = next((k for k, t in enumerate(after) if t.text in ("،", ",")), None)
                clause = after[comma + 1:] if comma is not None else []
            why = f'source cue "{word}"'
        words = [t for t in clause if t.kind in _WORDS]
        if len(words) < cues.min_claim_words:
            return None
        claimer = subject or self._nearest_before(mentions, sent_start, start)
        claimer_id = claimer.id if claimer else self._speaker_before(start, reading)
        score = 0.6 if kind == "source" or subject is not None else 0.4
        return Proposal("claim", words[0].start, words[-1].end, None, score, self.name, claimer_id, why)

    @staticmethod
    def _mention_in(mentions: list[Entity], start: int, end: int, reading: _Reading) -> Entity | None:
        """The subject inside [start, end) (between a verb and its clause): the first mention of the
        earliest label in ``claimer_labels`` (a person before the organisation they speak for)."""
        inside = [m for m in mentions if start <= m.start and m.end <= end]
        rank = reading.rank
        return min(inside, key=lambda m: (rank.get(m.label, len(rank)), m.start)) if inside else None

    @staticmethod
    def _aside(token: Token, reading: _Reading) -> bool:
        """A token read past between a subject and its clause: a bracket, or part of a labelled span."""
        return token.text in ("(", ")", "[", "]") or any(s <= token.start and token.end <= e
                                                         for s, e in reading.labelled)

    @staticmethod
    def _first_clause(clause: list[Token], cues: CueSet) -> list[Token]:
        """The clause up to a second reported clause (وإن، وأن …: و before a complementizer)."""
        for k, t in enumerate(clause):
            norm = normalize_for_search(t.text).strip()
            if k and norm.startswith("و") and norm[1:] in cues.complementizers:
                return clause[:k]
        return clause

    @staticmethod
    def _speaker_before(offset: int, reading: _Reading) -> str | None:
        """The claimer of the nearest claim ending before ``offset`` in the piece (the speaker who goes on)."""
        n = bisect_right(reading.speakers, offset + reading.base, key=lambda x: x[0])
        return reading.speakers[n - 1][1] if n else None

    @staticmethod
    def _mention_at(mentions: list[Entity], offset: int, limit: int) -> Entity | None:
        """The mention that starts at ``offset`` (the word right after the cue), if any."""
        return next((m for m in mentions if m.start == offset and m.end <= limit), None)

    @staticmethod
    def _nearest_before(mentions: list[Entity], sent_start: int, offset: int) -> Entity | None:
        before = [m for m in mentions if sent_start <= m.start and m.end <= offset]
        return max(before, key=lambda m: (m.end, -m.start)) if before else None

    def _claimer(self, mentions: list[Entity], toks: list[Token], cue: tuple[int, int, str] | None,
                 sent_start: int, quote_start: int, reading: _Reading) -> str | None:
        """A quote's claimer: the subject of its cue (a verb's, between the verb and the quote, or
        right after it when the quote comes first; a source phrase's, right after it), else the
        nearest mention before the quote in the sentence."""
        subject = None
        if cue is not None:
            start, end, kind = cue
            after = next((t.start for t in toks if t.start >= end), end)
            if kind == "verb" and end <= quote_start:
                subject = self._mention_in(mentions, end, quote_start, reading)
            else:
                subject = self._mention_at(mentions, after, after + 10_000)
        found = subject or self._nearest_before(mentions, sent_start, quote_start)
        return found.id if found else None
