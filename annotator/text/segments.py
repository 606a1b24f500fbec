"""Paragraphs and sentences as code-point spans of the untouched text.

Paragraphs are split at ``\\n``, ``\\r\\n``, ``\\r`` and U+2029, the same
separators as ``annotator.layout.paragraphs``; every line with non-space content
is a paragraph. Every line break ``str.splitlines`` knows (those, plus U+2028,
U+0085, VT, FF, FS/GS/RS) ends a sentence. Inside a line a sentence ends after
``.`` ``!`` ``?`` ``؟`` ``…`` (a run such as ``...`` or ``؟!`` stays together),
together with any closing quotes/brackets, marks and bidi controls right after
it. A terminator glued to a following digit or Latin letter (``12.5``, ``3.14``,
``t.co``) does not end a sentence; ``١٢٣٫٥`` and ``1,000`` never contain a
terminator. Spans never include leading or trailing whitespace, and together the
sentences cover every non-whitespace character exactly once. Abbreviations
(``U.S. Army``) are not recognised: keep it simple and predictable.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

from annotator.layout.stored import Text
from annotator.layout.windows import PARAGRAPH_BREAK

__all__ = ["TextSpan", "sentences", "paragraphs", "line_spans", "trimmed"]


@dataclass(frozen=True)
class TextSpan:
    """[start, end) in code points."""

    start: int
    end: int


_LINE_BREAK = regex.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TERMINATORS = frozenset(".!?؟…")
_TERMINATOR_RE = regex.compile(r"[.!?؟…]")
_NOT_A_BREAK_AFTER = regex.compile(r"[0-9\p{Nd}\p{Latin}]")
_CLOSERS = frozenset("\"'»›")


def line_spans(text: str, breaks: regex.Pattern[str] = _LINE_BREAK) -> list[TextSpan]:
    """Every line's content (without its break), empty lines included; a line
    ends at any ``str.splitlines`` break unless ``breaks`` says otherwise."""
    spans: list[TextSpan] = []
    start = 0
    for brk in breaks.finditer(text):
        spans.append(TextSpan(start, brk.start()))
        start = brk.end()
    spans.append(TextSpan(start, len(text)))
    return spans


def trimmed(text: Text, start: int, end: int) -> TextSpan | None:
    """``text[start:end]`` without its leading and trailing white space (None when nothing is left):
    the one rule of a paragraph's and a sentence's edges, here and in ``index.TextIndex``."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return TextSpan(start, end) if start < end else None


def paragraphs(text: str) -> list[TextSpan]:
    """One span per paragraph (\\n, \\r\\n, \\r, U+2029) with non-space content, trimmed."""
    out = []
    for line in line_spans(text, PARAGRAPH_BREAK):
        span = trimmed(text, line.start, line.end)
        if span is not None:
            out.append(span)
    return out


def _closes_sentence(ch: str) -> bool:
    """Characters that stay with the sentence just ended: closing quotes and
    brackets, combining marks, bidi/format controls."""
    if ch in _CLOSERS:
        return True
    return unicodedata.category(ch) in ("Pe", "Pf", "Mn", "Me", "Cf")


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    """Offsets just after each sentence-ending terminator group inside [start, end).
    A group with nothing but whitespace before it in its sentence (a leading
    ``...``) does not end that sentence."""
    ends: list[int] = []
    cut = start  # where the current sentence began
    skip = start  # terminators before this were already handled as part of a group
    for match in _TERMINATOR_RE.finditer(text, start, end):
        i = match.start()
        if i < skip:
            continue
        j = i + 1
        while j < end and text[j] in _TERMINATORS:
            j += 1
        skip = j
        if j < end and _NOT_A_BREAK_AFTER.match(text[j]):
            continue  # 12.5, 3.14, t.co: the terminator is inside a token
        if text[cut:i].isspace() or cut == i:
            continue  # nothing to end yet
        while j < end and _closes_sentence(text[j]):
            j += 1
        ends.append(j)
        cut = skip = j
    return ends


def sentences(text: str) -> list[TextSpan]:
    """Sentence spans in order; they never cross a line break."""
    out: list[TextSpan] = []
    for line in line_spans(text):
        cut = line.start
        for stop in _sentence_ends(text, line.start, line.end):
            span = trimmed(text, cut, stop)
            if span is not None:
                out.append(span)
            cut = stop
        span = trimmed(text, cut, line.end)
        if span is not None:
            out.append(span)
    return out

