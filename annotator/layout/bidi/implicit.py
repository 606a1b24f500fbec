"""UAX #9 on one isolating run sequence: weak types (W1–W7), paired brackets (N0), neutrals
(N1–N2) and implicit levels (I1–I2).

Each rule has exactly one implementation. W1–W7, N1–N2 and I1–I2 run with regular
expressions and ``str.translate`` on a string of one-letter type *codes* (``_CODES``), several
times faster than loops over lists; N0 pairs characters, so it runs on a list of class names.
:func:`resolve_weak`, :func:`resolve_neutrals` and :func:`implicit_levels` are the same code
for callers (the stage tests) that hold a list of class names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from annotator.layout.bidi.classes import CLASS_CODES, CLASS_OF_CODE
from annotator.layout.unicode_data import CLOSING_BRACKETS, OPENING_BRACKETS

MAX_BRACKET_DEPTH = 63

# One code per class (:data:`.classes.CLASS_CODES`; X9-removed classes never are in a sequence).
_CODES = CLASS_CODES
_NAMES = CLASS_OF_CODE
_ISOLATE_CODES = "ijfp"
_NEUTRAL_CODES = "BSwo" + _ISOLATE_CODES  # N1: neutrals and isolate controls (NI)

_LEADING_MARKS = re.compile("^m+")
_MARKS_AFTER = re.compile("([^m])(m+)")
_AFTER_AL = re.compile("A[^LRAE]*E[^LRA]*")  # from an AL to the next strong, holding an EN
_ES_CS_BETWEEN_EN = re.compile("(?<=E)[sc](?=E)")
_CS_BETWEEN_AN = re.compile("(?<=N)c(?=N)")
_TERMINATORS = re.compile("t+")
_SEPARATORS_TO_ON = str.maketrans("stc", "ooo")
_AFTER_L = re.compile("L[^LRE]*E[^LR]*")
_BEFORE_STRONG = re.compile("^[^LR]*")
# N1: a run of neutrals between two L, or between two of R/EN/AN (fixed one-character
# lookarounds suffice: a maximal run is preceded and followed by non-neutrals).
_NEUTRALS_BETWEEN_L = re.compile(f"(?<=L)[{_NEUTRAL_CODES}]+(?=L)")
_NEUTRALS_BETWEEN_R = re.compile(f"(?<=[REN])[{_NEUTRAL_CODES}]+(?=[REN])")
_ANY_NEUTRAL = re.compile(f"[{_NEUTRAL_CODES}]")
_NEUTRALS_TO = {d: str.maketrans(_NEUTRAL_CODES, d * len(_NEUTRAL_CODES)) for d in "LR"}
_BRACKET_CHARS = re.compile("[" + re.escape("".join(OPENING_BRACKETS) + "".join(CLOSING_BRACKETS)) + "]")


def type_codes(types: Iterable[str]) -> str:
    """The code string of a list of class names (none removed by X9)."""
    return "".join([_CODES[t] for t in types])


def type_names(codes: str) -> list[str]:
    """The class names of a code string."""
    return [_NAMES[c] for c in codes]


# ---------------------------------------------------------------------------------------
# W1–W7
# ---------------------------------------------------------------------------------------
def _marks_after(match: re.Match[str]) -> str:
    """W1: marks take the type of the character before them (ON after an isolate control)."""
    before = match.group(1)
    if before in _ISOLATE_CODES:
        return before + "o" * len(match.group(2))
    return before * len(match.group())


def weak_codes(s: str, sos: str) -> str:
    """W1–W7 on the codes of one isolating run sequence."""
    if "m" in s:  # W1
        s = _LEADING_MARKS.sub(lambda m: sos * len(m.group()), s)
        s = _MARKS_AFTER.sub(_marks_after, s)
    if "A" in s:
        if "E" in s:  # W2
            s = _AFTER_AL.sub(lambda m: m.group().replace("E", "N"), s)
        s = s.replace("A", "R")  # W3
    if "s" in s or "c" in s or "t" in s:
        if "E" in s:
            s = _ES_CS_BETWEEN_EN.sub("E", s)  # W4
        if "N" in s:
            s = _CS_BETWEEN_AN.sub("N", s)
        if "t" in s and "E" in s:  # W5
            before, n = s, len(s)
            s = _TERMINATORS.sub(lambda m: "E" * len(m.group()) if (
                (m.start() and before[m.start() - 1] == "E") or (m.end() < n and before[m.end()] == "E"))
                else m.group(), before)
        s = s.translate(_SEPARATORS_TO_ON)  # W6
    if "E" in s and (sos == "L" or "L" in s):  # W7
        s = _AFTER_L.sub(lambda m: m.group().replace("E", "L"), s)
        if sos == "L":
            s = _BEFORE_STRONG.sub(lambda m: m.group().replace("E", "L"), s, count=1)
    return s


def resolve_weak(types: list[str], sos: str) -> None:
    """W1–W7 on the class names of one isolating run sequence (changed in place)."""
    types[:] = type_names(weak_codes(type_codes(types), sos))


# ---------------------------------------------------------------------------------------
# N0: paired brackets
# ---------------------------------------------------------------------------------------
def bracket_pairs(chars: list[str], types: list[str]) -> list[tuple[int, int]]:
    """BD16: positions (within the sequence) of paired brackets, sorted by the opening one."""
    return _bracket_pairs("".join(chars), type_codes(types))


def _bracket_pairs(chars: str, codes: str) -> list[tuple[int, int]]:
    """:func:`bracket_pairs` on the sequence's characters and type codes (ON is ``o``)."""
    stack: list[tuple[str, int]] = []
    pairs: list[tuple[int, int]] = []
    for match in _BRACKET_CHARS.finditer(chars):  # only brackets can pair: skip the rest in C
        k = match.start()
        if codes[k] != "o":
            continue
        ch = chars[k]
        opening = OPENING_BRACKETS.get(ch)
        if opening is not None:
            if len(stack) == MAX_BRACKET_DEPTH:
                break
            stack.append((opening, k))
            continue
        closing = CLOSING_BRACKETS.get(ch)
        if closing is not None:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == closing:
                    pairs.append((stack[depth][1], k))
                    del stack[depth:]
                    break
    pairs.sort()
    return pairs


# N0 reads strong types: L, and R for R, EN and AN (codes R, E, N; AL is R after W3).
_STRONG_CODE = {"L": "L", "R": "R", "E": "R", "N": "R"}
_STRONG_OF = {"L": re.compile("L"), "R": re.compile("[REN]")}


def resolve_brackets(chars: list[str], types: list[str], original: list[str], level: int,
                     sos: str) -> None:
    """N0 on one isolating run sequence (class names, ``types`` changed in place)."""
    types[:] = type_names(bracket_codes("".join(chars), type_codes(types), type_codes(original), level, sos))


def bracket_codes(chars: str, codes: str, original: str, level: int, sos: str) -> str:
    """N0 on one isolating run sequence: a bracket pair takes the direction of its content.

    On type codes after W1–W7 (``original``: before them, for the marks after a bracket); the
    content of a pair is searched in C."""
    pairs = _bracket_pairs(chars, codes)
    if not pairs:
        return codes
    embedding = "R" if level & 1 else "L"
    opposite = "L" if embedding == "R" else "R"
    same_as_embedding, same_as_opposite = _STRONG_OF[embedding], _STRONG_OF[opposite]
    strong = _STRONG_CODE.get
    types = list(codes)
    n = len(types)
    for open_k, close_k in pairs:
        inside = "".join(types[open_k + 1:close_k])
        if same_as_embedding.search(inside):
            resolved = embedding
        elif not same_as_opposite.search(inside):
            continue
        else:
            context = sos
            for k in range(open_k - 1, -1, -1):
                d = strong(types[k])
                if d is not None:
                    context = d
                    break
            resolved = opposite if context == opposite else embedding
        for k in (open_k, close_k):
            types[k] = resolved
            m = k + 1
            while m < n and original[m] == "m":
                types[m] = resolved
                m += 1
    return "".join(types)


# ---------------------------------------------------------------------------------------
# N1–N2, I1–I2
# ---------------------------------------------------------------------------------------
def neutral_codes(s: str, level: int, sos: str, eos: str) -> str:
    """N1–N2: a run of neutrals between the same direction takes it, else the embedding one.

    Runs between two strong types of the direction opposite to the embedding take it (N1);
    every other neutral takes the embedding direction (N1 or N2).
    """
    if not _ANY_NEUTRAL.search(s):
        return s
    embedding = "R" if level & 1 else "L"
    padded = sos + s + eos
    if embedding == "R":
        padded = _NEUTRALS_BETWEEN_L.sub(lambda m: "L" * len(m.group()), padded)
    else:
        padded = _NEUTRALS_BETWEEN_R.sub(lambda m: "R" * len(m.group()), padded)
    return padded[1:-1].translate(_NEUTRALS_TO[embedding])


def resolve_neutrals(types: list[str], level: int, sos: str, eos: str) -> None:
    """N1–N2 on the class names of one isolating run sequence (changed in place)."""
    types[:] = type_names(neutral_codes(type_codes(types), level, sos, eos))


_IMPLICIT_TABLES: dict[int, dict[int, str]] = {}


def _implicit_table(level: int) -> dict[int, str]:
    """I1–I2 as a translation table: type code -> the character whose code point is the level."""
    table = _IMPLICIT_TABLES.get(level)
    if table is None:
        if level & 1:
            table = str.maketrans({"L": chr(level + 1), "E": chr(level + 1), "N": chr(level + 1),
                                   "R": chr(level)})
        else:
            table = str.maketrans({"L": chr(level), "R": chr(level + 1), "E": chr(level + 2),
                                   "N": chr(level + 2)})
        _IMPLICIT_TABLES[level] = table
    return table


def implicit_codes(s: str, level: int) -> list[int]:
    """I1–I2: the final level of each resolved code (L, R, E or N) of a sequence at ``level``."""
    return list(s.translate(_implicit_table(level)).encode("latin-1"))


def implicit_levels(types: list[str], level: int) -> list[int]:
    """I1–I2 on resolved class names (L, R, EN, AN)."""
    return implicit_codes(type_codes(types), level)


# ---------------------------------------------------------------------------------------
# One sequence, W1 to I2
# ---------------------------------------------------------------------------------------
def resolve_sequence(chars: str, codes: str, original: str, level: int, sos: str,
                     eos: str) -> list[int]:
    """Levels of one isolating run sequence: its characters, their type codes after X1–X8,
    the codes of their original classes (N0 needs the marks), its embedding level, sos and eos."""
    s = weak_codes(codes, sos)
    if "o" in s and _BRACKET_CHARS.search(chars):  # N0
        s = bracket_codes(chars, s, original, level, sos)
    return implicit_codes(neutral_codes(s, level, sos, eos), level)
