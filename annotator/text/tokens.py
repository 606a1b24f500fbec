"""Word tokens with exact code-point offsets into the untouched text.

camel-tools' ``simple_word_tokenize`` rule decides where tokens break (whitespace, and
every Unicode punctuation/symbol/emoji becomes its own token: ``2019.`` is
``2019`` + ``.``, ``،`` stands alone, ``12.5`` is ``12`` ``.`` ``5``). Its output
is a list of strings, so we align it back to the source and never re-join it.

Alignment (why it cannot shift a character): the text is cut into maximal
non-whitespace runs ("words", whitespace = ``str.isspace``, the same notion
camel-tools splits on); each run is tokenized on its own and every output token
must be found at or after a cursor inside that run. A token that cannot be found
(camel-tools altered it) is skipped. Characters of the run that no token covers
are attached to the token just before them (or, at the very start of the run,
to the token after them); a run with no token at all becomes one token. So every
non-whitespace character is in exactly one token and ``Token.text`` is always
``source[start:end]``. Today camel-tools keeps bidi controls, ZWJ/ZWNJ, tatweel,
harakat and lone surrogates inside the word they touch, and an emoji sequence is
one ``symbol`` token; the attachment rule is the safety net if that changes.
The rule runs as ``wordbreak.simple_word_tokenize``, the same algorithm without
camel-tools' import-time tables (checked token for token against camel-tools' own).

The one place camel-tools' cuts are undone: a cut inside an extended grapheme
cluster (a haraka after punctuation, an emoji ZWJ sequence it does not know) is
merged back, so no token edge separates a character from its combining marks.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import regex

from annotator.text.clitics import clitic_edges_in
from annotator.text.wordbreak import CommonTokens, common_chunks, simple_word_tokenize

__all__ = ["Token", "tokenize", "token_offsets", "proclitic_edges", "token_kind"]


class Token(NamedTuple):
    """One token: ``text == source[start:end]``; offsets are code points.

    A named tuple rather than a frozen dataclass: a big document's windows keep tens of
    thousands of tokens, and a tuple of plain values is left alone by the cyclic garbage
    collector (a dataclass instance and its ``__dict__`` are scanned at every collection).
    """

    start: int
    end: int
    text: str
    kind: str  # "word" | "number" | "punct" | "symbol" | "other"
    clitic_edges: tuple[int, ...] = ()  # absolute offsets strictly inside (start, end)


_new = tuple.__new__
_WORD_RUN = re.compile(r"\S+")  # stdlib re: \s is exactly str.isspace (regex differs on FS/GS/RS/US)
_HAS_LETTER = regex.compile(r"\p{L}")
_HAS_SYMBOL = regex.compile(r"[\p{S}\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]")
_HAS_DIGIT = regex.compile(r"\p{Nd}")
_HAS_PUNCT = regex.compile(r"\p{P}")


@lru_cache(maxsize=4096)
def token_kind(text: str) -> str:
    """Classify a token: letters make a word (``و2013`` is a word), then
    symbols/emoji, digits, punctuation; invisible-only tokens (a lone LRM) are "other"."""
    if _HAS_LETTER.search(text):
        return "word"
    if _HAS_SYMBOL.search(text):
        return "symbol"
    if _HAS_DIGIT.search(text):
        return "number"
    if _HAS_PUNCT.search(text):
        return "punct"
    return "other"


def _split_run(run: str) -> tuple[tuple[int, int], ...]:
    """Relative [start, end) pieces of one whitespace-free run, covering it exactly."""
    pieces: list[list[int]] = []
    cursor = 0
    for piece in simple_word_tokenize(run):
        if not piece:
            continue
        found = run.find(piece, cursor)
        if found < 0:
            continue  # camel-tools changed this token; its characters get attached below
        start = found
        if found > cursor:  # uncovered characters: glue them to the previous token
            if pieces:
                pieces[-1][1] = found
            else:
                start = 0  # leading uncovered characters join the first token
        pieces.append([start, found + len(piece)])
        cursor = found + len(piece)
    if not pieces:
        return ((0, len(run)),)
    pieces[-1][1] = len(run)  # trailing uncovered characters join the last token
    if len(pieces) > 1:
        pieces = _whole_graphemes(run, pieces)
    return tuple((s, e) for s, e in pieces)


_GRAPHEME = regex.compile(r"\X")


def _whole_graphemes(run: str, pieces: list[list[int]]) -> list[list[int]]:
    """Merge a piece into the one before it when the cut between them falls inside a
    user-perceived character: a haraka after punctuation (``.َ``), an emoji ZWJ
    sequence camel-tools does not know (``😀‍😀``). A span edge can then never
    separate a letter from its marks."""
    bounds = {m.end() for m in _GRAPHEME.finditer(run)}
    merged = [pieces[0]]
    for start, end in pieces[1:]:
        if start in bounds:
            merged.append([start, end])
        else:
            merged[-1][1] = end
    return merged


@lru_cache(maxsize=65536)
def _analyse_run(run: str) -> tuple[tuple[int, int, str, str, tuple[int, ...]], ...]:
    """(start, end, text, kind, clitic edges) of each token of a run, relative to
    the run; cached because running text repeats its words a lot."""
    out = []
    for start, end in _split_run(run):
        piece = run[start:end]
        kind = token_kind(piece)
        edges = tuple(start + e for e in clitic_edges_in(piece)) if kind == "word" else ()
        out.append((start, end, piece, kind, edges))
    return tuple(out)


def tokenize(text: str, start: int = 0, end: int | None = None, *, offset: int = 0) -> list[Token]:
    """All tokens of ``text`` in order, non-overlapping, with code-point offsets; only those of
    ``text[start:end]`` when given (a window: ``start`` and ``end`` must not fall inside a token).
    ``offset``: where ``text`` starts in the document (a window's slice), added to every offset as
    the tokens are made (never by making them again).

    Taken a chunk at a time (``wordbreak.common_chunks``, cut at white space): a chunk of common characters
    (``wordbreak.common_tokens``, most text) is split in one regular-expression pass, about twice as
    fast as the per-word path when a window's words are new (``bench/bench_text.py``); any other chunk
    goes the per-word path. Both give the same tokens (``tests/test_text_tokens_common.py``)."""
    tokens: list[Token] = []
    for a, b, common in common_chunks(text, start, end):
        if common is None:
            _runs_into(tokens, text, a, b, offset)
        else:
            _common_into(tokens, common, a + offset)
    return tokens


@lru_cache(maxsize=65536)
def _kind_and_edges(piece: str) -> tuple[str, tuple[int, ...]]:
    """A token's kind and relative clitic edges, exactly as ``_analyse_run`` gives them."""
    kind = token_kind(piece)
    return kind, clitic_edges_in(piece) if kind == "word" else ()


def _common_into(tokens: list[Token], common: CommonTokens, shift: int) -> None:
    """Append the tokens of a chunk of common text (its ``common_tokens``, offsets moved by ``shift``)."""
    append = tokens.append
    for s, e, piece in zip(*common, strict=True):
        kind, edges = _kind_and_edges(piece)
        s += shift
        if edges:
            edges = tuple(s + x for x in edges)
        append(_new(Token, (s, e + shift, piece, kind, edges)))


def _runs_into(tokens: list[Token], text: str, start: int, stop: int, offset: int = 0) -> None:
    """Append the tokens of ``text[start:stop]`` run by run (the general path)."""
    append = tokens.append
    for match in _WORD_RUN.finditer(text, start, stop):
        base = match.start() + offset
        for s, e, piece, kind, edges in _analyse_run(match.group()):
            if edges:
                edges = tuple(base + x for x in edges)
            append(_new(Token, (base + s, base + e, piece, kind, edges)))


def token_offsets(text: str, start: int = 0, end: int | None = None) -> tuple[list[int], list[int]]:
    """The starts and ends of the tokens of ``text[start:end]``, exactly ``tokenize``'s, without making
    ``Token`` objects (an export needs only offsets; a caller bounds the window)."""
    starts: list[int] = []
    ends: list[int] = []
    add_start, add_end = starts.append, ends.append
    for match in _WORD_RUN.finditer(text, start, len(text) if end is None else end):
        bounds = _run_bounds(match.group())
        if len(bounds) == 1:  # most runs are one token, which covers the run
            add_start(match.start())
            add_end(match.end())
            continue
        base = match.start()
        for s, e in bounds:
            add_start(base + s)
            add_end(base + e)
    return starts, ends


@lru_cache(maxsize=65536)
def _run_bounds(run: str) -> tuple[tuple[int, int], ...]:
    return tuple((s, e) for s, e, *_ in _analyse_run(run))


def proclitic_edges(text: str, token: Token) -> tuple[int, ...]:
    """Suggested proclitic boundaries of ``token`` (absolute offsets into ``text``).

    They are hints for moving a span edge past و ف ب ل ك / ال / لل, not a
    morphological analysis: ``وزير`` offers an edge after و too.
    """
    if text[token.start:token.end] != token.text:
        raise ValueError(f"token {token.text!r} does not match text at {token.start}:{token.end}")
    return tuple(token.start + e for e in clitic_edges_in(token.text))
