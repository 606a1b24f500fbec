"""Bidi_Class of characters (UAX #9 BD1) and the sets of classes the rules name."""

from __future__ import annotations

import unicodedata

from annotator.layout.codes import ByteTable

EMBEDDINGS = frozenset(("LRE", "RLE", "LRO", "RLO"))
ISOLATE_INITIATORS = frozenset(("LRI", "RLI", "FSI"))
ISOLATES = frozenset(("LRI", "RLI", "FSI", "PDI"))
REMOVED = frozenset(("LRE", "RLE", "LRO", "RLO", "PDF", "BN"))  # X9
EXPLICIT = REMOVED | ISOLATES
# L1: characters reset to the paragraph level before a separator or at the end of a line.
TRAILING_RESET = frozenset(("WS", "LRI", "RLI", "FSI", "PDI", "BN", "LRE", "RLE", "LRO", "RLO", "PDF"))

# Default Bidi_Class of unassigned code points (DerivedBidiClass.txt @missing lines).
_DEFAULT_RANGES = (
    (0x0590, 0x05FF, "R"), (0x0600, 0x07BF, "AL"), (0x07C0, 0x085F, "R"), (0x0860, 0x08FF, "AL"),
    (0x20A0, 0x20CF, "ET"), (0xFB1D, 0xFB4F, "R"), (0xFB50, 0xFDCF, "AL"), (0xFDD0, 0xFDEF, "BN"),
    (0xFDF0, 0xFDFF, "AL"), (0xFE70, 0xFEFF, "AL"), (0xFFF0, 0xFFF8, "BN"), (0x2060, 0x206F, "BN"),
    (0x10800, 0x10CFF, "R"), (0x10D00, 0x10D3F, "AL"), (0x10D40, 0x10EBF, "R"),
    (0x10EC0, 0x10EFF, "AL"), (0x10F00, 0x10F2F, "R"), (0x10F30, 0x10F6F, "AL"),
    (0x10F70, 0x10FFF, "R"), (0x1E800, 0x1EC6F, "R"), (0x1EC70, 0x1ECBF, "AL"),
    (0x1ECC0, 0x1ECFF, "R"), (0x1ED00, 0x1ED4F, "AL"), (0x1ED50, 0x1EDFF, "R"),
    (0x1EE00, 0x1EEFF, "AL"), (0x1EF00, 0x1EFFF, "R"), (0xE0000, 0xE0FFF, "BN"),
)

_CLASS_CACHE: dict[str, str] = {}


def _lookup_class(ch: str) -> str:
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:
        cls = "ON"  # lone surrogate from a bad decoder: drawn as U+FFFD, a neutral
    else:
        cls = unicodedata.bidirectional(ch)
        if not cls:
            cls = "L"
            for lo, hi, default in _DEFAULT_RANGES:
                if lo <= cp <= hi:
                    cls = default
                    break
            if cp & 0xFFFE == 0xFFFE:
                cls = "BN"
    _CLASS_CACHE[ch] = cls
    return cls


def bidi_class(ch: str) -> str:
    """Bidi_Class of one character (cached)."""
    cls = _CLASS_CACHE.get(ch)
    return cls if cls is not None else _lookup_class(ch)


# One code character per class, for whole-string work (``str.translate``, regular expressions):
# the sequence codes of :mod:`.implicit` plus codes for the classes X9 removes.
CLASS_CODES = {"L": "L", "R": "R", "AL": "A", "EN": "E", "ES": "s", "ET": "t", "CS": "c", "NSM": "m",
               "ON": "o", "WS": "w", "S": "S", "B": "B", "AN": "N", "LRI": "i", "RLI": "j", "FSI": "f",
               "PDI": "p", "LRE": "x", "RLE": "y", "LRO": "X", "RLO": "Y", "PDF": "P", "BN": "b"}
CLASS_OF_CODE = {code: name for name, code in CLASS_CODES.items()}


# Character -> the code of its class (``str.translate`` table, and pages for ``codes.Pages``).
CLASS_CODE_TABLE = ByteTable(lambda ch: ord(CLASS_CODES[bidi_class(ch)]), "bidi-class")


def bidi_codes(text: str) -> str:
    """The class code (:data:`CLASS_CODES`) of every character of ``text``, as one string, in C:
    what the fast paths read instead of a list of class names."""
    return text.translate(CLASS_CODE_TABLE)


def bidi_classes(text: str) -> list[str]:
    """Bidi_Class of every character of ``text``."""
    get = _CLASS_CACHE.get
    found = [get(ch) for ch in text]
    if None in found:
        return [cls if cls is not None else _lookup_class(ch) for ch, cls in zip(text, found, strict=True)]
    return found  # type: ignore[return-value]  # no None left: checked above
