"""Arabic text model: tokens, sentences, paragraphs, proclitic edges and search,
all as code-point offsets [start, end) into the untouched text, which is never
modified (normalization happens only on copies used for matching).

- ``tokenize``: camel-tools' ``simple_word_tokenize`` rule (``wordbreak``, without
  camel-tools' import-time tables) aligned back to offsets; every non-space character
  lands in exactly one token (see ``tokens``).
- ``Token.clitic_edges`` / ``proclitic_edges``: suggested edges after و ف ب ل ك,
  ال, لل and their combinations; hints, not morphology (see ``clitics``).
- ``sentences`` / ``paragraphs``: trimmed spans (see ``segments``).
- ``normalize_for_search`` / ``search``: camel-tools normalizers plus tatweel,
  bidi-control and joiner removal; hits come back as original offsets (see ``matching``).
- ``TextIndex``: all of the above for one document, with offset lookups.
- ``clusters``: where a span edge may fall (a letter is never split from its marks);
  the one rule behind operation validation, search hits and the cursor's nudge.

The names above are loaded on first use (PEP 562): importing camel-tools takes about
a second, and only search (``matching``) needs it; the model imports ``text.clusters``
and the app tokenizes its first document without it (docs/performance.md, "Start-up").
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from annotator.text.index import TextIndex
    from annotator.text.matching import normalize_for_search, normalized_with_map, search
    from annotator.text.segments import TextSpan, line_spans, paragraphs, sentences
    from annotator.text.tokens import Token, proclitic_edges, tokenize

__all__ = [
    "Token",
    "TextSpan",
    "TextIndex",
    "tokenize",
    "sentences",
    "paragraphs",
    "line_spans",
    "proclitic_edges",
    "normalize_for_search",
    "normalized_with_map",
    "search",
]

_HOME = {
    "TextIndex": "index",
    "normalize_for_search": "matching",
    "normalized_with_map": "matching",
    "search": "matching",
    "TextSpan": "segments",
    "line_spans": "segments",
    "paragraphs": "segments",
    "sentences": "segments",
    "Token": "tokens",
    "proclitic_edges": "tokens",
    "tokenize": "tokens",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
