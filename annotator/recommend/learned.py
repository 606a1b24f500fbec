"""``string-match``: every span annotators have labelled is proposed wherever its text occurs again.

What a span teaches is its token sequence under the project's search normalization
(``text.matching.normalize_for_search``: harakat, alef forms, teh marbuta, tatweel, bidi marks…)
with the label it was given; it is proposed wherever the same sequence of whole tokens occurs,
in the same document and in every other. The first token may carry proclitics the labelled
span did not (``والأردن``, ``بالأردن`` for a learned ``الأردن``): the edges ``text.clitics``
suggests are tried, and the proposal starts after the proclitic (after ``لل``, the ل + article
of ``للأمم``, at the article's ل, the article read back). A sequence labelled with
several labels is proposed with the most frequent one; its score is that label's share.

Only the annotators' own labels teach (spans whose ``source`` is null), never pre-annotations,
so proposals cannot teach themselves. ``learn_from`` (names) limits whose labels count; by
default everyone's. ``observe`` replaces what one (document, annotator) taught, so labelling,
relabelling and removing in the app update it at once.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, ClassVar, TypeVar

from annotator.layout.stored import Text, stored_text
from annotator.layout.windows import Windows
from annotator.model.annotations import Annotations, Document
from annotator.recommend.base import Progress, Proposal, RecommendContext, Recommender
from annotator.text.matching import normalize_for_search
from annotator.text.tokens import Token, tokenize

__all__ = ["StringMatch", "Lexicon", "scan_tokens", "span_key", "tokens_by_window"]

Key = tuple[str, ...]
F = TypeVar("F")
_MIN_CHARS = 2  # a key of one letter (a stray clitic labelled) would be proposed everywhere


def span_key(text: str) -> Key:
    """The normalized token sequence a labelled span is matched by (empty tokens such as a
    lone bidi mark left out); () when there is too little to match on."""
    key = tuple(n for n in (normalize_for_search(t.text) for t in tokenize(text)) if n)
    if sum(ch.isalnum() for part in key for ch in part) < _MIN_CHARS:
        return ()
    return key


def tokens_by_window(text: str) -> Iterator[list[Token]]:
    """The tokens of ``text`` (as ``tokenize(text)``) a window at a time (``layout.windows``: no
    window splits a token), so a scan of a 100 MB text holds one window's tokens, not all of them.
    Between windows the thread gives up the GIL (``time.sleep(0)``): a scan in a worker then
    holds up the UI thread for about one window's work (a millisecond or two), not Python's
    5 ms switch interval at each of its turns."""
    windows = Windows(text)
    for k in range(windows.count):
        start, end = windows.bounds(k)
        if start < end:
            yield tokenize(text, start, end)
        if windows.count > 1:
            time.sleep(0)


def scan_tokens(text: str, reach: int,
                form: Callable[[Token], F | None]) -> Iterator[tuple[list[Token], list[F], range]]:
    """The places ``i`` in the tokens of ``text`` that have a form (``form`` gives None to leave a
    token out), in order and a batch at a time, with the tokens and their forms read so far: at
    each, ``tokens[i:i + reach]`` is read whole (or what the text has left). The one buffer of the
    scans that match a sequence of tokens (``string-match``, ``patterns``): read a window at a time
    (``tokens_by_window``) and dropped behind the places done, so a scan of a 100 MB text holds a
    few windows' tokens."""
    tokens: list[Token] = []
    forms: list[F] = []
    i = 0
    for window in tokens_by_window(text):
        for t in window:
            f = form(t)
            if f is not None:
                tokens.append(t)
                forms.append(f)
        until = len(tokens) - reach + 1  # a sequence starting before it is whole in what is read
        if until > i:
            yield tokens, forms, range(i, until)
            i = until
        if i > 4096:
            del tokens[:i], forms[:i]
            i = 0
    if i < len(tokens):
        yield tokens, forms, range(i, len(tokens))


def _normalized(token: Token) -> str | None:
    """A token's search form; None (left out) for one that normalizes to nothing (a lone bidi mark)."""
    return normalize_for_search(token.text) or None


def _first_token_forms(text: str, token: Token, norm: str) -> list[tuple[int, str]]:
    """Where a match may start in its first token, with the normalized rest: the whole token,
    then after each proclitic edge ``text.clitics`` suggests (و ف ب ك ل, not the article: it
    belongs to the word). After ``لل`` (ل + the article, its alef dropped) the rest is read with
    the article back (للأمم → الأمم, from the second ل)."""
    forms = [(token.start, norm)]
    for edge in token.clitic_edges:
        prefix = normalize_for_search(text[token.start:edge])
        if prefix.endswith("ال"):
            continue  # the article belongs to the word: a learned رئيس is not proposed inside الرئيس
        forms.append((edge, normalize_for_search(text[edge:token.end])))
        if prefix.endswith("لل"):
            lam = edge - 1
            while lam > token.start and not unicodedata.category(text[lam]).startswith("L"):
                lam -= 1  # back over the second ل's marks
            if text[lam] != "\u0640":
                forms.append((lam, "ا" + normalize_for_search(text[lam:token.end])))
    return forms


class Lexicon:
    """Learned keys with their label counts, indexed by first token for matching."""

    def __init__(self) -> None:
        self.labels: dict[Key, Counter[str]] = {}
        self._lengths: dict[str, Counter[int]] = {}  # first token -> key lengths (with counts)

    def add(self, key: Key, label: str, n: int = 1) -> None:
        if not key:
            return
        counts = self.labels.setdefault(key, Counter())
        if not counts:
            self._lengths.setdefault(key[0], Counter())[len(key)] += 1
        counts[label] += n
        if counts[label] <= 0:
            del counts[label]
        if not counts:
            del self.labels[key]
            lengths = self._lengths[key[0]]
            lengths[len(key)] -= 1
            if lengths[len(key)] <= 0:
                del lengths[len(key)]
            if not lengths:
                del self._lengths[key[0]]

    def lengths(self, first: str) -> list[int]:
        """Lengths of the keys starting with token ``first``, longest first."""
        found = self._lengths.get(first)
        return sorted(found, reverse=True) if found else []

    def best(self, key: Key) -> tuple[str, float, int] | None:
        """(label, its share of the key's labels, times labelled) or None."""
        counts = self.labels.get(key)
        if not counts:
            return None
        total = sum(counts.values())
        label, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return label, n / total, total

    def __len__(self) -> int:
        return len(self.labels)

    def find(self, text: str) -> list[tuple[int, int, Key]]:
        """(start, end, key) of every occurrence of a key in ``text`` as whole tokens, the first
        token also after a suggested proclitic edge: at each token the longest key starting there;
        one inside an earlier match is kept (nested), one that would cross it is not."""
        if not self.labels:
            return []
        longest = max(max(lengths) for lengths in self._lengths.values())
        hits: list[tuple[int, int, Key]] = []
        covered = 0  # the furthest match end so far
        for tokens, norms, places in scan_tokens(text, longest, _normalized):
            for i in places:
                hit = self._match_at(text, tokens, norms, i)
                if hit is None or hit[0] < covered < hit[1]:
                    continue
                hits.append(hit)
                covered = max(covered, hit[1])
        return hits

    def _match_at(self, text: str, tokens: list[Token], norms: list[str], i: int) -> tuple[int, int, Key] | None:
        for start, first in _first_token_forms(text, tokens[i], norms[i]):
            for length in self.lengths(first):
                if i + length <= len(tokens):
                    key = (first, *norms[i + 1:i + length])
                    if key in self.labels:
                        return start, tokens[i + length - 1].end, key
        return None


def _labelled_text(store: Any, doc_id: str) -> Text | None:
    """A labelled document's text to learn from: a big one by ranges (``StoredText``: the pieces holding
    its labels are read, never the whole, which at 100 MB held up the UI thread that prepares), else whole."""
    by_ranges = stored_text(store, doc_id)
    if by_ranges is not None:
        return by_ranges
    doc = store.get_document(doc_id)
    return doc.text if doc is not None else None


class StringMatch(Recommender):
    name: ClassVar[str] = "string-match"
    description: ClassVar[str] = "learned string matching: spans labelled before, wherever their text occurs again"
    learns: ClassVar[bool] = True

    def __init__(self, learn_from: Collection[str] | None = None) -> None:
        self.learn_from: frozenset[str] | None = frozenset(learn_from) if learn_from else None
        self.lexicon = Lexicon()
        self._taught: dict[tuple[str, str | None], list[tuple[Key, str]]] = {}

    # -- learning ----------------------------------------------------------------------

    def prepare(self, store: Any, context: RecommendContext, progress: Progress | None = None) -> None:
        """Learn from every labelled span in ``store`` (of ``options["learn_from"]`` when given)."""
        learn_from = context.options.get("learn_from")
        if learn_from:
            self.learn_from = frozenset(learn_from)
        if store is None:
            return
        last: tuple[str, Text | None] | None = None  # states come document by document: one text at a time
        for n, state in enumerate(store.iter_annotations(), 1):
            if self._learns_from(state.annotator) and any(e.source is None for e in state.entities):
                if last is None or last[0] != state.doc_id:
                    last = (state.doc_id, _labelled_text(store, state.doc_id))
                if last[1] is not None:
                    self._teach(state, last[1])
            if progress is not None:
                progress(n, None, "learning labelled spans")

    def _learns_from(self, annotator: str | None) -> bool:
        return self.learn_from is None or annotator in self.learn_from

    def observe(self, document: Document, annotations: Annotations) -> None:
        """What this (document, annotator) teaches now replaces what it taught before."""
        self._teach(annotations, document.text)

    def _teach(self, annotations: Annotations, text: Text) -> None:
        """``observe`` on the document's text, of which only the labelled spans are read."""
        if not self._learns_from(annotations.annotator):
            return
        where = (annotations.doc_id, annotations.annotator)
        for key, label in self._taught.pop(where, ()):
            self.lexicon.add(key, label, -1)
        taught = [(span_key(text[e.start:e.end]), e.label) for e in annotations.entities if e.source is None]
        taught = [(k, label) for k, label in taught if k]
        for key, label in taught:
            self.lexicon.add(key, label)
        if taught:
            self._taught[where] = taught

    def learn(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Learn (span text, label) pairs directly (benchmarks, tests)."""
        for text, label in pairs:
            self.lexicon.add(span_key(text), label)

    # -- proposing ---------------------------------------------------------------------

    def propose(self, document: Document, annotations: Annotations, context: RecommendContext) -> list[Proposal]:
        return self.matches(document.text)

    def matches(self, text: str) -> list[Proposal]:
        """Proposals for every occurrence of a learned key in ``text`` (``Lexicon.find``)."""
        out = []
        for start, end, key in self.lexicon.find(text):
            best = self.lexicon.best(key)
            assert best is not None
            label, share, seen = best
            reason = f"labelled {label} {seen} time(s) before" if share == 1 else \
                f"labelled {label} in {share:.0%} of {seen} time(s) before"
            out.append(Proposal("entity", start, end, label, round(share, 3), self.name, reason=reason))
        return out
