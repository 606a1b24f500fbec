"""Matching/search normalization and search that answers in original offsets.

The normalization is only ever applied to copies used for comparison, never to
stored text. Per character it applies the camel-tools normalizers
(``normalize_unicode`` (NFKC: presentation forms such as ``ﻭ`` or ``ﻻ`` become
plain letters), ``dediac_ar``, ``normalize_alef_ar``, ``normalize_alef_maksura_ar``,
``normalize_teh_marbuta_ar``), then also drops tatweel, the remaining Arabic
combining marks (Quranic marks, hamza above/below), bidi controls (LRM, RLM,
ALM, embeddings/overrides, isolates) and ZWJ/ZWNJ/ZWSP/BOM, lower-cases
(so Latin search is case-insensitive) and folds Arabic-Indic and Persian
digits to ASCII digits (``٢٠١٩`` matches ``2019``). Any whitespace becomes a
space and a run of whitespace (ignoring dropped characters) becomes one space.

Because every rule is per character, the normalized text carries a map from
each normalized position back to the original code point; ``search`` uses it
so the spans it returns slice the original text exactly.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
    normalize_unicode,
)

from annotator.text.clusters import widen
from annotator.text.segments import TextSpan

__all__ = ["normalize_for_search", "normalized_with_map", "search", "search_normalized"]

_TATWEEL = "\u0640"
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u061c\ufeff"  # ZWSP ZWNJ ZWJ LRM RLM ALM BOM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
)
_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF))


def _is_arabic_mark(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch) == "Mn" and any(lo <= code <= hi for lo, hi in _ARABIC_BLOCKS)


@lru_cache(maxsize=8192)
def _normalize_char(ch: str) -> str:
    """What one original character becomes for matching ('' = dropped)."""
    if ch.isspace():
        return " "
    if ch < "\x80":
        return ch.lower()
    # compatibility forms first (ﻭ → و, ﻻ → لا, full-width Latin), then the Arabic rules
    return "".join(_fold(c) for c in normalize_unicode(ch)).strip(" ")


def _fold(ch: str) -> str:
    if ch.isspace():
        return " "
    if ch == _TATWEEL or ch in _INVISIBLE or _is_arabic_mark(ch):
        return ""
    out: str = normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(dediac_ar(ch))))
    if len(out) == 1 and out.isdigit():
        value = unicodedata.digit(out, None)
        if value is not None:
            return str(value)
    return out.lower()


def normalized_with_map(text: str) -> tuple[str, list[int]]:
    """The normalized text and, for each of its positions, the original offset it came from."""
    parts: list[str] = []
    origin: list[int] = []
    after_space = False
    for i, ch in enumerate(text):
        norm = _normalize_char(ch)
        if not norm:
            continue
        if norm == " ":
            if after_space:
                continue  # a run of whitespace is one space
            after_space = True
        else:
            after_space = False
        parts.append(norm)
        origin.extend([i] * len(norm))
    return "".join(parts), origin


def normalize_for_search(s: str) -> str:
    """The form used to compare strings (never stored)."""
    return normalized_with_map(s)[0]


def search(text: str, query: str) -> list[TextSpan]:
    """Non-overlapping matches of ``query`` in ``text`` under search normalization,
    as spans of the original text. A span starts at the first matched character and
    ends after the last one plus the combining marks (harakat) that sit on it; it
    never starts or ends between a letter and its marks. Whitespace in the query
    matches any run of whitespace (a line break, NBSP, several spaces)."""
    return search_normalized(text, normalized_with_map(text), query)


def search_normalized(text: str, normalized: tuple[str, list[int]], query: str) -> list[TextSpan]:
    """``search`` with ``normalized_with_map(text)`` already computed (``TextIndex`` caches it)."""
    needle = normalize_for_search(query).strip(" ")
    if not needle:
        return []
    haystack, origin = normalized
    spans: list[TextSpan] = []
    pos = haystack.find(needle)
    while pos >= 0:
        # from the first matched character to the last, widened to whole clusters
        start, end = widen(text, origin[pos], origin[pos + len(needle) - 1] + 1)
        if not spans or start >= spans[-1].end:  # two hits inside one expanded character (ﻻ)
            spans.append(TextSpan(start, end))
        pos = haystack.find(needle, pos + len(needle))
    return spans

