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
import sys
import unicodedata
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate, compress, count, repeat
from operator import ne, sub
from pathlib import Path

from annotator.text import wordbreak

__all__ = ["Offsets", "token_table", "tokenizer_version", "pack", "STORED_MAX"]

Offsets = Sequence[int]
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
    starts, ends = array("q"), array("q")
    for a, b, common in wordbreak.common_chunks(text):
        if common is None:
            from annotator.text.tokens import token_offsets

            starts_, ends_ = token_offsets(text, a, b)
            starts.extend(starts_)
            ends.extend(ends_)
        elif b - a == len(text) <= wordbreak.CHUNK:
            return common  # one chunk: its lists, with the token texts
        else:
            starts.extend(map(a.__add__, common[0]))
            ends.extend(map(a.__add__, common[1]))
    return starts, ends, None


@lru_cache(maxsize=1)
def tokenizer_version() -> str:
    """What decides the tokens, as a short digest: the source of the modules that hold the rule (this
    one, ``tokens`` and ``wordbreak``), the emoji set and Unicode version its table was made from, the
    Unicode data of Python and of ``regex``, and the packed layout. Any edit there, even a comment,
    retires the stored tables (they are recomputed); a rule can never change unnoticed. Read from the
    files, without importing ``tokens`` (under a millisecond, once a process)."""
    from importlib.util import find_spec

    import regex  # imported with wordbreak anyway

    digest = hashlib.sha256(f"{_LAYOUT}|{unicodedata.unidata_version}|{regex.__version__}|"
                            f"{sys.version_info[:2]}".encode())
    for name in (__name__, "annotator.text.tokens", "annotator.text.wordbreak"):
        spec = find_spec(name)
        digest.update(Path(str(spec.origin if spec else name)).read_bytes())
    table = find_spec("annotator.text._emoji_table")
    with open(str(table.origin if table else ""), "rb") as head:  # its head: which emoji and Unicode it is from
        digest.update(head.read(512))
    return digest.hexdigest()[:16]


def pack(text: str) -> bytes | None:
    """The table to keep for ``text`` (see the module's docstring), or None for a text too long to keep one.
    Common text (most) is made from the pieces of the tokenizer's one ``split`` (``wordbreak.common_pieces``:
    white space and tokens alternating) by C loops (``map``, ``accumulate``, ``compress``): about a tenth
    of tokenizing."""
    if len(text) >= STORED_MAX:
        return None
    code = "H" if len(text) < 1 << 16 else "I"  # 16-bit numbers for most texts: half the bytes to read
    pieces = wordbreak.common_pieces(text) if len(text) <= wordbreak.CHUNK else None
    if pieces is not None:  # white space and tokens alternating: arrays made in C, no list per token
        edges = array(code, list(accumulate(map(len, pieces))))  # from a list: quicker than from an iterator
        starts, ends = edges[0:-1:2], edges[1::2]
        before = array(code, list(accumulate(map(len, pieces[1:-2:2]), initial=0)) if starts else [])
        cuts = list(compress(count(), map(ne, pieces[2:-1:2], repeat(" "))))  # gap k: after token k
    else:
        offsets = token_table(text)
        starts, ends = array(code, offsets[0]), array(code, offsets[1])
        before = array(code, accumulate(map(sub, ends[:-1], starts[:-1]), initial=0)) if starts else array(code)
        cuts = [k for k in range(len(starts) - 1) if starts[k + 1] - ends[k] != 1 or text[ends[k]] != " "]
    n = len(starts)
    run_starts = array(code, [starts[0], *(starts[k + 1] for k in cuts)] if n else [])
    run_ends = array(code, [*(ends[k] for k in cuts), ends[-1]] if n else [])
    parts = (array(code, [n, len(run_starts)]), starts, ends, before, run_starts, run_ends)
    if sys.byteorder == "big":  # pragma: no cover - little-endian machines
        for part in parts:
            part.byteswap()
    return code.encode() + b"\0\0\0" + b"".join(part.tobytes() for part in parts)
