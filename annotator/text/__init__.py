"""Arabic text model: tokens, sentences, paragraphs, proclitic edges and search,
all as code-point offsets into the untouched text (which is never modified)."""

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
