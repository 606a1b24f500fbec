"""camel-tools' ``simple_word_tokenize``, without importing camel-tools.

Why: ``camel_tools.tokenizers.word`` imports ``camel_tools.utils.charsets``, which
builds its tables at import time by asking ``unicodedata`` about all 1,114,112 code
points (0.5-0.9 s) and imports the ``emoji`` package; the app's first screen needs
the tokens of one document and nothing else from camel-tools.

The algorithm below is camel-tools 1.6's ``_simple_word_tokenize`` (MIT licence,
New York University Abu Dhabi) line for line, with the same regular expression;
only the table lookup ``match in _SYMBOLS_ALL`` is replaced by ``is_symbol(match)``:

- camel-tools' ``UNICODE_PUNCT_SYMBOL_CHARSET`` is every single character whose
  ``unicodedata.category`` starts with P or S: here the same call, per character, so
  it is the same set by construction on any Python;
- camel-tools' ``EMOJI_ALL_CHARSET`` is the ``emoji`` package's ``EMOJI_DATA`` keys:
  here a table generated from that set (``_emoji_table.py``, the keys that are not
  already single P/S characters).

``tests/test_startup.py`` checks ``is_symbol`` against camel-tools' own set on every
code point and every emoji sequence, and the tokens against ``simple_word_tokenize``
on the seeds, the shared corpora and generated text; when the ``emoji`` package
changes, it fails and says how to regenerate the table:

    .venv/bin/python -m annotator.text.wordbreak > annotator/text/_emoji_table.py
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate

import regex

from annotator.text._emoji_table import EMOJI

__all__ = ["CHUNK", "simple_word_tokenize", "is_symbol", "common_chunks", "common_pieces", "common_tokens"]

# camel_tools.tokenizers.word._SYMBOLS_RE, verbatim (UTS #51 emoji sequences, symbols, punctuation)
_SYMBOLS_RE = regex.compile(
    r"(?:(?:\p{RI}\p{RI}|\p{Emoji}(?:\p{EMod}|\uFE0F\u20E3?|[\U000E0020-\U000E007E]+\U000E007F)?(?:\u200D(?:\p{RI}\p{RI}|\p{Emoji}(?:\p{EMod}|\uFE0F\u20E3?|[\U000E0020-\U000E007E]+\U000E007F)?))*)|(?:[0-9*#]\u20e3)|\p{S}|\p{P})"
)


@lru_cache(maxsize=4096)
def is_symbol(s: str) -> bool:
    """``s in camel_tools.tokenizers.word._SYMBOLS_ALL``: one punctuation or symbol
    character, or an emoji (sequence) the ``emoji`` package knows."""
    if len(s) == 1 and unicodedata.category(s)[0] in "PS":
        return True
    return s in EMOJI


def simple_word_tokenize(s: str, split_digits: bool = False) -> list[str]:
    """Split on whitespace, then cut every punctuation/symbol character and emoji
    sequence out as its own token (camel-tools' rule; ``split_digits`` is not supported)."""
    if split_digits:
        raise NotImplementedError("split_digits: use camel_tools.tokenizers.word")
    tokens: list[str] = []
    match = _SYMBOLS_RE.match
    for word in s.split():
        word_len = len(word)
        curr_ndx = 0
        curr_start = 0
        while curr_ndx < word_len:
            symbol_match = match(word, pos=curr_ndx)
            if symbol_match is not None:
                match_str = symbol_match[0]
                if is_symbol(match_str):
                    if curr_ndx != curr_start:
                        tokens.append(word[curr_start:curr_ndx])
                    tokens.append(match_str)
                    curr_ndx = curr_start = symbol_match.end()
                    continue
            curr_ndx += 1
        if curr_start < curr_ndx:
            tokens.append(word[curr_start:])
    return tokens


# -- the common characters: tokens in one pass of the C regular expression engine -----------------
# Most text (news, the shared corpora: 99% of lines) is made only of these. Over them the rule above is
# simply "each symbol character alone, each run of the other characters one token", and
# ``annotator.text.tokens`` aligns nothing (no token is altered, no cut falls inside a grapheme
# cluster), so the tokens' offsets can come from one ``split`` instead of a Python loop per word.
# Why each class is safe (``tests/test_scale_export_fast.py`` checks it on every code point):
# - SPACE is exactly ``str.isspace`` (what ``str.split`` and the token runs split on);
# - SYMBOL characters are single P/S characters, ``is_symbol`` of each, that no emoji sequence can
#   extend with another common character, and that never join a grapheme cluster with a neighbour;
# - WORD characters are letters, digits and marks that are neither symbols nor emoji-symbols; only
#   MARK among them extend a grapheme cluster, so a mark right after a symbol (a cut inside a
#   cluster, which ``tokens`` merges) is left to the general path.
_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SYMBOL = ("!-/:-@\\[-`{-~\u00a1-\u00a9\u00ab\u00ac\u00ae-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7"
           "\u00f7\u060c\u061b\u061f\u066a-\u066d\u06d4\u2010-\u2027\u2030-\u205e")
_MARK = "\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
_WORD = ("0-9A-Za-z\u00aa\u00b2\u00b3\u00b5\u00b9\u00ba\u00bc-\u00be\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
         "\u0620-\u064a\u0660-\u0669\u066e\u066f\u0671-\u06d3\u06d5\u06e5\u06e6\u06ee-\u06fc\u06ff"
         "\u0750-\u077f" + _MARK)


@lru_cache(maxsize=1)
def _common_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use (not at start-up): stdlib ``re``; the whole text is of these classes with
    no mark after a symbol (possessive: no backtracking), and the token pattern ``split`` cuts at."""
    return (re.compile(f"(?:[{_SPACE}{_WORD}]++|[{_SYMBOL}]++(?![{_MARK}]))*+"),
            re.compile(f"([{_SYMBOL}]|[{_WORD}]++)"))


def common_pieces(text: str) -> list[str] | None:
    """For a text made only of common characters, its one ``split`` into white space (maybe empty)
    and tokens alternating, white space first and last (``annotator.text.tokens.tokenize``'s tokens
    at the odd places); None for any other text. The one test of "common", for ``common_tokens``
    and for ``bounds.pack`` (which builds its arrays straight from the pieces)."""
    whole, token = _common_patterns()
    if whole.fullmatch(text) is None:
        return None
    return token.split(text)


def common_tokens(text: str) -> CommonTokens | None:
    """The starts, ends and texts of the tokens of ``text`` (``annotator.text.tokens.tokenize``'s)
    when it is made only of common characters, else None: ``common_pieces``, their lengths summed
    in C; several times faster than the general path, and the token texts come with it."""
    pieces = common_pieces(text)
    if pieces is None:
        return None
    bounds = list(accumulate(map(len, pieces)))
    return bounds[0:-1:2], bounds[1::2], pieces[1::2]


CommonTokens = tuple[list[int], list[int], list[str]]
CHUNK = 1 << 16  # characters tried as common text at a time (a rare character sends only its chunk the general way)
_SPACE_CHAR = re.compile(r"\s")  # stdlib re: \s is exactly str.isspace


def common_chunks(text: str, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, int, CommonTokens | None]]:
    """``text[start:stop]`` a chunk of about ``CHUNK`` characters at a time, each cut at white space
    (which no token crosses, so the chunks' tokens are the whole stretch's), with its ``common_tokens``
    (offsets relative to the chunk), None for a chunk that is not common text; an empty stretch is one
    empty chunk. The one chunking loop of ``tokens.tokenize`` and ``bounds.token_table``: a huge text
    is never split whole, and a rare character sends only its own chunk the general way."""
    stop = len(text) if stop is None else stop
    while True:
        cut = stop
        if stop - start > CHUNK:
            space = _SPACE_CHAR.search(text, start + CHUNK, stop)
            cut = space.start() if space else stop
        yield start, cut, common_tokens(text[start:cut])
        if cut >= stop:
            return
        start = cut


def generate_table() -> str:
    """The source of ``_emoji_table.py``: camel-tools' own emoji set (the ``emoji`` package's keys)."""
    from importlib.metadata import version

    from camel_tools.utils.charsets import EMOJI_ALL_CHARSET

    keys = sorted(k for k in EMOJI_ALL_CHARSET if not (len(k) == 1 and unicodedata.category(k)[0] in "PS"))
    lines = [
        '"""Generated by ``python -m annotator.text.wordbreak``: the ``emoji`` package\'s EMOJI_DATA keys',
        "(camel-tools' EMOJI_ALL_CHARSET) that are not single punctuation/symbol characters.",
        f"From emoji {version('emoji')} (unicodedata: Unicode {unicodedata.unidata_version}); do not edit.",
        '"""',
        "",
        f"EMOJI_VERSION = {version('emoji')!r}",
        "# one string constant split at import: 30 times faster to load than a tuple of 3,000 strings",
        "EMOJI = frozenset((",
        *(f"    {ascii(k + chr(10))}" for k in keys[:-1]),
        f"    {ascii(keys[-1])}",
        ').split("\\n"))',
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - the generator
    import sys

    sys.stdout.write(generate_table())
