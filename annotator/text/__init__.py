"""Arabic text model: tokens, sentences, paragraphs, proclitic edges and search,
all as code-point offsets [start, end) into the untouched text, which is never
modified (normalization happens only on copies used for matching).

- ``tokenize``: camel-tools ``simple_word_tokenize`` aligned back to offsets;
  every non-space character lands in exactly one token (see ``tokens``).
- ``Token.clitic_edges`` / ``proclitic_edges``: suggested edges after و ف ب ل ك,
  ال, لل and their combinations; hints, not morphology (see ``clitics``).
- ``sentences`` / ``paragraphs``: trimmed spans (see ``segments``).
- ``normalize_for_search`` / ``search``: camel-tools normalizers plus tatweel,
  bidi-control and joiner removal; hits come back as original offsets (see ``search``).
- ``TextIndex``: all of the above for one document, with offset lookups.
"""

from annotator.text.index import TextIndex
from annotator.text.search import normalize_for_search, normalized_with_map, search
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
