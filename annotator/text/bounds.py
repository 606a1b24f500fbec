"""Token boundaries as exports use them: computed from the text, or kept by the store since import.

``token_table`` tokenizes a text (``tokens.tokenize``'s tokens) into integer arrays, never a
``Token`` per token. A store keeps each document's table from the day it is added (``pack``):
tokenizing is most of a CoNLL or Prodigy export's time (one regular-expression pass over a news
text runs at about 7,500 documents/s), and a stored text never changes. What is kept is tagged
with ``tokenizer_version()``, a digest of the tokenizer's own source and of the Unicode tables it
reads, so any change to the rules makes every stored table be ignored (``unpack`` is only given
tables of the current version) and the text tokenized again: never stale tokens. The writers read
the packed value back (``formats._spans.kept_tokens``).

The packed value: its number type, "H" or "I" and three NUL bytes, then little-endian unsigned integers
of that type (16 bits for a text under 65,536 characters, else 32): the token count n and the count r of
*runs* (maximal stretches of tokens each separated from the next by exactly one space " "), then
n token starts, n token ends, n "before" counts (the token characters before each token: where its
line starts in a one-line-per-token output), r run starts and r run ends (code-point offsets). Runs
let a writer handle a whole stretch of tokens with one C call (``str.replace``, ``str.split``)
instead of one per token.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from array import array
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from annotator.text.wordbreak import common_tokens

__all__ = ["Offsets", "token_table", "tokenizer_version", "pack", "STORED_MAX"]

Offsets = Sequence[int]
_CHUNK = 1 << 16  # characters tokenized at a time
_SPACE = re.compile(r"\s")  # stdlib re, as the tokenizer's runs: \s is exactly str.isspace
# Texts from this length on keep no table: it would cost 12 bytes a token in memory while the document
# is added, and a huge text is exported a chunk at a time anyway (``token_table``).
STORED_MAX = 1 << 20
_LAYOUT = "2"  # the packed value's layout; part of the version


def token_table(text: str) -> tuple[Offsets, Offsets, list[str] | None]:
    """Token starts, ends and, for a text of common characters that is one chunk, the token texts.

    A text of common characters (``wordbreak.common_tokens``: most text) is tokenized by one
    regular expression pass, its offsets two lists; any other text a chunk at a time (cut at white
    space, which no token crosses, so the tokens are those of the whole text) into two arrays of
    machine integers (16 bytes a token): a 100 MB document never holds a Python object per token."""
    if len(text) <= _CHUNK:
        common = common_tokens(text)
        if common is not None:
            return common
    from annotator.text.tokens import token_offsets

    starts, ends = array("q"), array("q")
    pos, size = 0, len(text)
    while pos < size:
        cut = size
        if size - pos > _CHUNK:
            space = _SPACE.search(text, pos + _CHUNK)
            cut = space.start() if space else size
        common = common_tokens(text[pos:cut])
        if common is None:
            starts_, ends_ = token_offsets(text, pos, cut)
            starts.extend(starts_)
            ends.extend(ends_)
        else:
            starts.extend(map(pos.__add__, common[0]))
            ends.extend(map(pos.__add__, common[1]))
        pos = cut
    return starts, ends, None


@lru_cache(maxsize=1)
def tokenizer_version() -> str:
    """What decides the tokens, as a short digest: the source of the modules that hold the rule (this
    one, ``tokens``, ``wordbreak`` and its emoji table), the Unicode data of Python and of ``regex``,
    and the packed layout. Any edit there, even a comment, retires the stored tables (they are
    recomputed); a rule can never change unnoticed."""
    import regex

    from annotator.text import _emoji_table, tokens, wordbreak

    digest = hashlib.sha256(f"{_LAYOUT}|{unicodedata.unidata_version}|{regex.__version__}|"
                            f"{sys.version_info[:2]}".encode())
    for module in (sys.modules[__name__], tokens, wordbreak, _emoji_table):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def pack(text: str) -> bytes | None:
    """The table to keep for ``text`` (see the module's docstring), or None for a text too long to keep one."""
    if len(text) >= STORED_MAX:
        return None
    starts, ends, _ = token_table(text)
    n = len(starts)
    code = "H" if len(text) < 1 << 16 else "I"  # 16-bit numbers for most texts: half the bytes to read
    before, total = array(code, bytes(array(code).itemsize * n)), 0
    run_starts, run_ends = array(code), array(code)
    if n:
        run_starts.append(starts[0])
        for k in range(n):
            before[k] = total
            total += ends[k] - starts[k]
            if k + 1 < n and (starts[k + 1] - ends[k] != 1 or text[ends[k]] != " "):
                run_ends.append(ends[k])
                run_starts.append(starts[k + 1])
        run_ends.append(ends[-1])
    values = array(code, [n, len(run_starts)])
    for part in (starts, ends, before, run_starts, run_ends):
        values.extend(part) if isinstance(part, array) and part.typecode == code else values.fromlist(list(part))
    if sys.byteorder == "big":  # pragma: no cover - little-endian machines
        values.byteswap()
    return code.encode() + b"\0\0\0" + values.tobytes()
