"""How one character is drawn: its kind, width and cell text, alone or as a code byte.

Kinds: a base (letter, digit, punctuation, no-break space), a combining mark, an invisible
format character (hidden, or a marker with ``show_controls``), a C0/C1 control (always a
visible symbol: raw controls never reach the terminal), a tab, or a breaking space.

Which characters are two cells wide is ``wcwidth``'s answer, read from a table generated
from it (``_wide_table.py``): importing ``wcwidth`` costs about 10 ms of start-up, the table
well under one. ``tests/test_startup.py`` checks the table against ``wcwidth`` on every code
point; when ``wcwidth`` changes, it fails and says how to regenerate:

    .venv/bin/python -m annotator.layout.tablegen
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache

from annotator.layout._wide_table import WIDE_BOUNDS

DOTTED_CIRCLE = "\u25cc"
REPLACEMENT = "\ufffd"

# Invisible characters: drawn as nothing by default, as these markers with show_controls.
CONTROL_MARKERS = {
    "\u200e": "\u2192",  # LRM  →
    "\u200f": "\u2190",  # RLM  ←
    "\u061c": "\u219a",  # ALM  ↚
    "\u202a": "\u21c9",  # LRE  ⇉
    "\u202b": "\u21c7",  # RLE  ⇇
    "\u202c": "\u21a5",  # PDF  ↥
    "\u202d": "\u21db",  # LRO  ⇛
    "\u202e": "\u21da",  # RLO  ⇚
    "\u2066": "\u21e5",  # LRI  ⇥
    "\u2067": "\u21e4",  # RLI  ⇤
    "\u2068": "\u21b9",  # FSI  ↹
    "\u2069": "\u21a7",  # PDI  ↧
    "\u200d": "\u203f",  # ZWJ  ‿
    "\u200c": "\u00a6",  # ZWNJ ¦
    "\ufeff": "\u2300",  # BOM  ⌀
    "\u200b": "\u2423",  # ZWSP ␣
    "\u00ad": "\u2010",  # soft hyphen ‐
}
OTHER_INVISIBLE_MARKER = "\u25c7"  # ◇ any other format character
C1_MARKER = "\u2370"  # ⍰ C1 control
DEL_MARKER = "\u2421"  # ␡

NO_BREAK_SPACES = frozenset("\u00a0\u2007\u202f")

# Character kinds
BASE, MARK, HIDDEN, CONTROL, TAB, SPACE = range(1, 7)  # never 0: looked up with `or`

KIND_CACHE: dict[str, int] = {}


def char_kind(ch: str) -> int:
    """How a character is drawn: base, combining mark, invisible, control symbol, tab or space."""
    kind = KIND_CACHE.get(ch)
    if kind is None:
        kind = KIND_CACHE[ch] = _char_kind(ch)
    return kind


def _char_kind(ch: str) -> int:
    if ch == "\t":
        return TAB
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return CONTROL
    if 0xD800 <= cp <= 0xDFFF:
        return BASE  # lone surrogate: drawn as U+FFFD
    if ch in CONTROL_MARKERS:
        return HIDDEN
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me"):
        return MARK
    if cat == "Cf" or cat in ("Zl", "Zp"):
        return HIDDEN
    if cat == "Zs":
        return BASE if ch in NO_BREAK_SPACES else SPACE
    return BASE


@cache
def base_text_width(ch: str) -> tuple[str, int]:
    """Text and width of a drawn base character (before shaping and mirroring)."""
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:
        return REPLACEMENT, 1
    return ch, 2 if is_wide(ch) else 1


def is_wide(ch: str) -> bool:
    """``wcwidth(ch) == 2`` (East Asian wide or full-width, wide emoji), from the generated table."""
    return bisect_right(WIDE_BOUNDS, ord(ch)) & 1 == 1  # inside a [start, end) pair


def control_symbol(ch: str) -> str:
    """Visible stand-in for a C0/C1 control (ESC → ␛): raw controls never reach the terminal."""
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)
    if cp == 0x7F:
        return DEL_MARKER
    return C1_MARKER


def invisible_marker(ch: str) -> str:
    """What an invisible character is drawn as with ``show_controls``."""
    return CONTROL_MARKERS.get(ch, OTHER_INVISIBLE_MARKER)


# (width, whitespace?, cell text, shapeable base?) of a character alone in its atom;
# width -1 when it depends on where it is (a tab, a mark).
CharInfo = tuple[int, bool, "str | None", bool]
_SHOWN_INFO: dict[str, CharInfo] = {}
_HIDDEN_INFO: dict[str, CharInfo] = {}
CHAR_INFO: dict[bool, dict[str, CharInfo]] = {True: _SHOWN_INFO, False: _HIDDEN_INFO}  # by show_controls


def char_info(ch: str, show: bool) -> CharInfo:
    """:data:`CharInfo` of ``ch`` (computed once; look in ``CHAR_INFO[show]`` first)."""
    kind = char_kind(ch)
    if kind == BASE:
        glyph, width = base_text_width(ch)
        info: CharInfo = (width, False, glyph, True)
    elif kind == SPACE:
        width = base_text_width(ch)[1]
        info = (width, True, " " * width, False)
    elif kind == HIDDEN:
        info = (1, False, invisible_marker(ch), False) if show else (0, False, "", False)
    elif kind == CONTROL:
        info = (1, False, control_symbol(ch), False)
    else:  # TAB, MARK
        info = (-1, False, None, False)
    CHAR_INFO[show][ch] = info
    return info


# -- one code byte per character, for whole-string operations --------------------------------
class CodeTable(dict[int, str]):
    """``str.translate`` table: character -> one code character, computed on first use."""

    def __init__(self, code: Callable[[str], int]) -> None:
        super().__init__()
        self._code = code

    def __missing__(self, cp: int) -> str:
        code = self[cp] = chr(self._code(chr(cp)))
        return code


def _char_code(ch: str, show: bool) -> int:
    """Everything the engine needs of a character alone, in one byte: its kind (:func:`char_kind`,
    bits 0-2), width (bits 3-4), whitespace (bit 5), and bit 6 when its cell text is itself."""
    kind = char_kind(ch)
    width, space, glyph, _ = char_info(ch, show)
    if width < 0:  # a tab or a mark: its width depends on where it is
        return kind | (64 if kind == MARK else 0)
    return kind | width << 3 | (32 if space else 0) | (64 if glyph == ch else 0)


def _code_table(show: bool) -> CodeTable:
    return CodeTable(lambda ch: _char_code(ch, show))


CHAR_CODES = {show: _code_table(show) for show in (False, True)}  # by show_controls
WIDTH_OF_CODE = bytes(code >> 3 & 3 for code in range(256))
SPACE_OF_CODE = bytes(code >> 5 & 1 for code in range(256))
KIND_OF_CODE = bytes(code & 7 for code in range(256))
# 1 for a code whose character is not drawn as itself (below 64: bit 6 clear, codes end at 127), else 0: the
# one form of that class (``bytes.translate`` to it, then ``bytes.find(1)``: C passes, cheaper than a search)
NOT_ITSELF_OF_CODE = bytes(code < 64 for code in range(256))
