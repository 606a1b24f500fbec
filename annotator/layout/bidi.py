"""The Unicode Bidirectional Algorithm (UAX #9), one function per stage, like FriBidi.

python-bidi exposes no levels, so the algorithm is implemented here. Levels are
resolved once per paragraph (:func:`resolve_levels`: P2–P3, X1–X10, W1–W7, N0, N1–N2,
I1–I2); each wrapped line is then reordered with :func:`line_levels` (L1) and
:func:`reorder` (L2). L3 (marks after their base) and L4 (mirroring) are applied by
the engine, which works on clusters.

Classes are short strings (``"L"``, ``"AL"``, ``"NSM"``…); characters the algorithm
removes (X9: embeddings, overrides, PDF, BN) get the level of the character before them,
as FriBidi does, so every character has a level.
"""

from __future__ import annotations

import re
import unicodedata

from annotator.layout.unicode_data import CLOSING_BRACKETS, OPENING_BRACKETS

MAX_DEPTH = 125
MAX_BRACKET_DEPTH = 63

EMBEDDINGS = frozenset(("LRE", "RLE", "LRO", "RLO"))
ISOLATE_INITIATORS = frozenset(("LRI", "RLI", "FSI"))
ISOLATES = frozenset(("LRI", "RLI", "FSI", "PDI"))
REMOVED = frozenset(("LRE", "RLE", "LRO", "RLO", "PDF", "BN"))  # X9
EXPLICIT = REMOVED | ISOLATES
STRONG = frozenset(("L", "R", "AL"))
_SEPARATORS = frozenset(("ES", "ET", "CS"))
NEUTRAL_OR_ISOLATE = frozenset(("B", "S", "WS", "ON", "LRI", "RLI", "FSI", "PDI"))
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


def bidi_classes(text: str) -> list[str]:
    """Bidi_Class of every character of ``text``."""
    get = _CLASS_CACHE.get
    classes = [get(ch) for ch in text]
    if None in classes:
        classes = [cls if cls is not None else _lookup_class(ch) for ch, cls in zip(text, classes)]
    return classes  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------
# P2–P3: paragraph level
# ---------------------------------------------------------------------------------------
def first_strong_level(classes: list[str], start: int = 0, end: int | None = None,
                       *, stop_at_pdi: bool = False) -> int | None:
    """P2–P3: 0 or 1 from the first strong character outside isolates; None if there is none.

    With ``stop_at_pdi`` (used for FSI) the search ends at the PDI matching the isolate.
    """
    if end is None:
        end = len(classes)
    depth = 0
    for i in range(start, end):
        cls = classes[i]
        if cls in ISOLATE_INITIATORS:
            depth += 1
        elif cls == "PDI":
            if depth:
                depth -= 1
            elif stop_at_pdi:
                return None
        elif depth == 0:
            if cls == "L":
                return 0
            if cls == "R" or cls == "AL":
                return 1
        elif cls == "B":
            return None
    return None


def paragraph_level(classes: list[str], direction: str) -> int:
    """Embedding level of a paragraph: forced (``rtl``/``ltr``) or P2–P3 (``auto``).

    ``auto`` falls back to right-to-left when the paragraph has no strong character
    (digits, punctuation): our documents are Arabic.
    """
    if direction == "rtl":
        return 1
    if direction == "ltr":
        return 0
    level = first_strong_level(classes)
    return 1 if level is None else level


# ---------------------------------------------------------------------------------------
# X1–X9: explicit levels and directions
# ---------------------------------------------------------------------------------------
def matching_pdis(classes: list[str]) -> dict[int, int]:
    """BD9: index of each isolate initiator -> index of its matching PDI (when there is one)."""
    matches: dict[int, int] = {}
    stack: list[int] = []
    for i, cls in enumerate(classes):
        if cls in ISOLATE_INITIATORS:
            stack.append(i)
        elif cls == "PDI" and stack:
            matches[stack.pop()] = i
        elif cls == "B":
            stack.clear()
    return matches


def isolate_directions(classes: list[str]) -> dict[int, int]:
    """P2–P3 for the content of every isolate initiator: 0 or 1 from the first strong character
    inside it (not inside a nested isolate), up to its matching PDI; absent if there is none.

    One pass for the whole paragraph, so that thousands of FSIs cost no more than one.
    """
    found: dict[int, int] = {}
    stack: list[int] = []
    for i, cls in enumerate(classes):
        if cls in ISOLATE_INITIATORS:
            stack.append(i)
        elif cls == "PDI":
            if stack:
                stack.pop()
        elif cls == "B":
            stack.clear()
        elif stack and (cls == "L" or cls == "R" or cls == "AL"):
            top = stack[-1]
            if top not in found:
                found[top] = 0 if cls == "L" else 1
    return found


def explicit_levels(classes: list[str], para_level: int) -> tuple[list[int], list[str]]:
    """X1–X8: embedding level of every character and its class after overrides (X6).

    Characters removed by X9 keep a placeholder level here; see :func:`resolve_levels`.
    """
    n = len(classes)
    levels = [para_level] * n
    types = list(classes)
    # Stack entries: (level, override class or None, isolate?)
    stack: list[tuple[int, str | None, bool]] = [(para_level, None, False)]
    overflow_isolates = overflow_embeddings = valid_isolates = 0
    fsi = isolate_directions(classes) if "FSI" in classes else {}
    for i in range(n):
        cls = classes[i]
        level, override, _ = stack[-1]
        if cls in EMBEDDINGS:
            new = (level + 1) | 1 if cls[0] == "R" else (level + 2) & ~1
            if new <= MAX_DEPTH and overflow_isolates == 0 and overflow_embeddings == 0:
                stack.append((new, {"LRO": "L", "RLO": "R"}.get(cls), False))
            elif overflow_isolates == 0:
                overflow_embeddings += 1
            levels[i] = level
        elif cls in ISOLATE_INITIATORS:
            levels[i] = level
            if override:
                types[i] = override
            rtl = cls == "RLI"
            if cls == "FSI":
                rtl = fsi.get(i) == 1
            new = (level + 1) | 1 if rtl else (level + 2) & ~1
            if new <= MAX_DEPTH and overflow_isolates == 0 and overflow_embeddings == 0:
                valid_isolates += 1
                stack.append((new, None, True))
            else:
                overflow_isolates += 1
        elif cls == "PDI":
            if overflow_isolates:
                overflow_isolates -= 1
            elif valid_isolates:
                overflow_embeddings = 0
                while not stack[-1][2]:
                    stack.pop()
                stack.pop()
                valid_isolates -= 1
            level, override, _ = stack[-1]
            levels[i] = level
            if override:
                types[i] = override
        elif cls == "PDF":
            if overflow_isolates:
                pass
            elif overflow_embeddings:
                overflow_embeddings -= 1
            elif not stack[-1][2] and len(stack) >= 2:
                stack.pop()
            levels[i] = level
        elif cls == "B":
            levels[i] = para_level
        elif cls == "BN":
            levels[i] = level
        else:
            levels[i] = level
            if override:
                types[i] = override
    return levels, types


# ---------------------------------------------------------------------------------------
# X10: isolating run sequences
# ---------------------------------------------------------------------------------------
def isolating_run_sequences(classes: list[str], levels: list[int]) -> list[list[int]]:
    """BD13: the isolating run sequences (lists of indices, X9-removed characters left out)."""
    pdis = matching_pdis(classes)
    runs: list[list[int]] = []
    current: list[int] = []
    current_level = -1
    for i, cls in enumerate(classes):
        if cls in REMOVED:
            continue
        if levels[i] != current_level and current:
            runs.append(current)
            current = []
        current_level = levels[i]
        current.append(i)
    if current:
        runs.append(current)
    run_of_start = {run[0]: k for k, run in enumerate(runs)}
    sequences: list[list[int]] = []
    for run in runs:
        first = run[0]
        if classes[first] == "PDI" and first in _matched_pdis(pdis):
            continue  # continues the sequence of its initiator
        seq = list(run)
        while classes[seq[-1]] in ISOLATE_INITIATORS and seq[-1] in pdis:
            pdi = pdis[seq[-1]]
            k = run_of_start.get(pdi)
            if k is None:
                break
            seq.extend(runs[k])
        sequences.append(seq)
    return sequences


def _matched_pdis(pdis: dict[int, int]) -> set[int]:
    return set(pdis.values())


def sequence_bounds(seq: list[int], classes: list[str], levels: list[int], para_level: int,
                    matched: dict[int, int]) -> tuple[str, str]:
    """X10: sos and eos of an isolating run sequence (``"L"`` or ``"R"``)."""
    level = levels[seq[0]]
    before = para_level
    i = seq[0] - 1
    while i >= 0:
        if classes[i] not in REMOVED:
            before = levels[i]
            break
        i -= 1
    last = seq[-1]
    after = para_level
    if not (classes[last] in ISOLATE_INITIATORS):
        j = last + 1
        n = len(classes)
        while j < n:
            if classes[j] not in REMOVED:
                after = levels[j]
                break
            j += 1
    elif last not in matched:
        after = para_level
    sos = "R" if max(before, level) & 1 else "L"
    eos = "R" if max(after, levels[last]) & 1 else "L"
    return sos, eos


# ---------------------------------------------------------------------------------------
# W1–W7: weak types (on one isolating run sequence)
# ---------------------------------------------------------------------------------------
def _resolve_nsm(types: list[str], sos: str) -> None:
    """W1: NSM takes the type of the previous character (ON after an isolate initiator or PDI)."""
    prev = sos
    for k in range(len(types)):
        t = types[k]
        if t == "NSM":
            types[k] = "ON" if prev in ISOLATES else prev
        else:
            prev = t


def resolve_weak(types: list[str], sos: str) -> None:
    """W1–W7 on the types of one isolating run sequence (changed in place)."""
    n = len(types)
    present = set(types)
    if "EN" not in present and "ES" not in present and "ET" not in present and "CS" not in present:
        # Fast path: only W1 and W3 can change anything.
        if "NSM" in present:
            _resolve_nsm(types, sos)
        if "AL" in present:
            types[:] = ["R" if t == "AL" else t for t in types]
        return
    if "NSM" in present:
        _resolve_nsm(types, sos)
    # W2: EN after AL becomes AN.  W3: AL becomes R.
    last_strong = sos
    for k in range(n):
        t = types[k]
        if t == "EN":
            if last_strong == "AL":
                types[k] = "AN"
        elif t in STRONG:
            last_strong = t
            if t == "AL":
                types[k] = "R"
    # W4: a single ES between ENs, a single CS between numbers of the same kind.
    for k in [k for k, t in enumerate(types) if t == "ES" or t == "CS"]:
        if 0 < k < n - 1:
            before, after = types[k - 1], types[k + 1]
            if before == after and (before == "EN" or (before == "AN" and types[k] == "CS")):
                types[k] = before
    # W5: a sequence of ETs next to an EN becomes EN.
    if "ET" in present:
        k = 0
        while k < n:
            if types[k] == "ET":
                end = k
                while end < n and types[end] == "ET":
                    end += 1
                if (k > 0 and types[k - 1] == "EN") or (end < n and types[end] == "EN"):
                    for m in range(k, end):
                        types[m] = "EN"
                k = end
            else:
                k += 1
    # W6: remaining separators and terminators become ON.
    types[:] = ["ON" if t in _SEPARATORS else t for t in types]
    # W7: EN after L (or sos L) becomes L.
    if "EN" in types and (sos == "L" or "L" in present):
        last_strong = sos
        for k in range(n):
            t = types[k]
            if t == "EN":
                if last_strong == "L":
                    types[k] = "L"
            elif t == "L" or t == "R":
                last_strong = t


# ---------------------------------------------------------------------------------------
# N0: paired brackets
# ---------------------------------------------------------------------------------------
def bracket_pairs(chars: list[str], types: list[str]) -> list[tuple[int, int]]:
    """BD16: positions (within the sequence) of paired brackets, sorted by the opening one."""
    stack: list[tuple[str, int]] = []
    pairs: list[tuple[int, int]] = []
    for k, ch in enumerate(chars):
        if types[k] != "ON":
            continue
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


def _strong_direction(t: str) -> str | None:
    if t == "L":
        return "L"
    if t == "R" or t == "EN" or t == "AN":
        return "R"
    return None


def resolve_brackets(chars: list[str], types: list[str], original: list[str], level: int,
                     sos: str) -> None:
    """N0 on one isolating run sequence: a bracket pair takes the direction of its content."""
    pairs = bracket_pairs(chars, types)
    if not pairs:
        return
    embedding = "R" if level & 1 else "L"
    opposite = "L" if embedding == "R" else "R"
    n = len(types)
    for open_k, close_k in pairs:
        found_opposite = False
        resolved = None
        for k in range(open_k + 1, close_k):
            d = _strong_direction(types[k])
            if d == embedding:
                resolved = embedding
                break
            if d == opposite:
                found_opposite = True
        if resolved is None:
            if not found_opposite:
                continue
            context = sos
            for k in range(open_k - 1, -1, -1):
                d = _strong_direction(types[k])
                if d is not None:
                    context = d
                    break
            resolved = opposite if context == opposite else embedding
        for k in (open_k, close_k):
            types[k] = resolved
            m = k + 1
            while m < n and original[m] == "NSM":
                types[m] = resolved
                m += 1


# ---------------------------------------------------------------------------------------
# N1–N2: neutrals;  I1–I2: implicit levels
# ---------------------------------------------------------------------------------------
def resolve_neutrals(types: list[str], level: int, sos: str, eos: str) -> None:
    """N1–N2: a run of neutrals between the same direction takes it, else the embedding one."""
    n = len(types)
    embedding = "R" if level & 1 else "L"
    neutral = [t in NEUTRAL_OR_ISOLATE for t in types]
    neutral.append(False)  # sentinel: every run ends
    k = -1
    while True:
        try:
            k = neutral.index(True, k + 1)
        except ValueError:
            return
        end = neutral.index(False, k)
        before = sos if k == 0 else _strong_direction(types[k - 1])
        after = eos if end == n else _strong_direction(types[end])
        resolved = before if before == after else embedding
        types[k:end] = [resolved] * (end - k)
        k = end


def implicit_levels(types: list[str], level: int) -> list[int]:
    """I1–I2: the final level of each character of a sequence from its resolved type."""
    if level & 1:
        return [level + 1 if t in ("L", "EN", "AN") else level for t in types]
    return [level + 1 if t == "R" else level + 2 if t in ("AN", "EN") else level for t in types]


# ---------------------------------------------------------------------------------------
# The whole paragraph
# ---------------------------------------------------------------------------------------
def resolve_levels(text: str, classes: list[str], para_level: int) -> list[int]:
    """Embedding level of every character of one paragraph (before the per-line rule L1)."""
    n = len(text)
    if n == 0:
        return []
    if not any(cls in EXPLICIT for cls in set(classes)):
        # No embeddings, overrides, isolates or BN: one sequence, the whole paragraph.
        return resolve_simple(text, classes, para_level)
    levels, types = explicit_levels(classes, para_level)
    matched = matching_pdis(classes)
    result = list(levels)
    for seq in isolating_run_sequences(classes, levels):
        level = levels[seq[0]]
        sos, eos = sequence_bounds(seq, classes, levels, para_level, matched)
        seq_types = [types[i] for i in seq]
        seq_original = [classes[i] for i in seq]
        _resolve_sequence(text, seq, seq_types, seq_original, level, sos, eos)
        for i, lv in zip(seq, implicit_levels(seq_types, level)):
            result[i] = lv
    # X9-removed characters take the level of the character before them (as FriBidi does).
    for i in range(n):
        if classes[i] in REMOVED:
            result[i] = result[i - 1] if i else para_level
    return result


# -- the same W1–I2 on a string of one-letter codes, for paragraphs without explicit controls
_CODES = {"L": "L", "R": "R", "AL": "A", "EN": "E", "ES": "s", "ET": "t", "CS": "c", "NSM": "m",
          "ON": "o", "WS": "w", "S": "S", "B": "B", "AN": "N"}
_NAMES = {code: name for name, code in _CODES.items()}
_LEADING_MARKS = re.compile("^m+")
_MARKS_AFTER = re.compile("([^m])(m+)")
_AFTER_AL = re.compile("A[^LRAE]*E[^LRA]*")  # from an AL to the next strong, holding an EN
_ES_CS_BETWEEN_EN = re.compile("(?<=E)[sc](?=E)")
_CS_BETWEEN_AN = re.compile("(?<=N)c(?=N)")
_TERMINATORS = re.compile("t+")
_AFTER_L = re.compile("L[^LRE]*E[^LR]*")
_BEFORE_STRONG = re.compile("^[^LR]*")
# N1: a run of neutrals between two L, or between two of R/EN/AN (fixed one-character
# lookarounds suffice: a maximal run is preceded and followed by non-neutrals).
_NEUTRALS_BETWEEN_L = re.compile("(?<=L)[BSwo]+(?=L)")
_NEUTRALS_BETWEEN_R = re.compile("(?<=[REN])[BSwo]+(?=[REN])")
_NEUTRALS_TO = {"L": str.maketrans("BSwo", "LLLL"), "R": str.maketrans("BSwo", "RRRR")}
_SEPARATORS_TO_ON = str.maketrans("stc", "ooo")
_BRACKET_CHARS = re.compile("[" + re.escape("".join(OPENING_BRACKETS) + "".join(CLOSING_BRACKETS)) + "]")


def resolve_simple(text: str, classes: list[str], para_level: int) -> list[int]:
    """Levels of a paragraph without explicit controls (one isolating run sequence).

    The same rules as :func:`resolve_weak`, :func:`resolve_brackets`, :func:`resolve_neutrals`
    and :func:`implicit_levels`, run with regular expressions on a string of one-letter type
    codes: most paragraphs are like this, and this is several times faster than lists.
    """
    n = len(text)
    sos = "R" if para_level & 1 else "L"
    s = "".join([_CODES[c] for c in classes])
    if "m" in s:  # W1
        s = _LEADING_MARKS.sub(lambda m: sos * len(m.group()), s)
        s = _MARKS_AFTER.sub(lambda m: m.group(1) * (len(m.group()) ), s)
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
            s = _TERMINATORS.sub(lambda m: "E" * len(m.group()) if (
                (m.start() and s[m.start() - 1] == "E") or (m.end() < n and s[m.end()] == "E"))
                else m.group(), s)
        s = s.translate(_SEPARATORS_TO_ON)  # W6
    if "E" in s and (sos == "L" or "L" in s):  # W7
        s = _AFTER_L.sub(lambda m: m.group().replace("E", "L"), s)
        if sos == "L":
            s = _BEFORE_STRONG.sub(lambda m: m.group().replace("E", "L"), s, count=1)
    if "o" in s and _BRACKET_CHARS.search(text):  # N0
        types = [_NAMES[c] for c in s]
        resolve_brackets(list(text), types, classes, para_level, sos)
        s = "".join([_CODES[t] for t in types])
    if "o" in s or "w" in s or "S" in s or "B" in s:  # N1-N2
        # Runs between two strong types of the direction opposite to the embedding take it
        # (N1); every other neutral takes the embedding direction (N1 or N2). sos = eos here.
        padded = sos + s + sos
        if sos == "R":
            padded = _NEUTRALS_BETWEEN_L.sub(lambda m: "L" * len(m.group()), padded)
        else:
            padded = _NEUTRALS_BETWEEN_R.sub(lambda m: "R" * len(m.group()), padded)
        s = padded[1:-1].translate(_NEUTRALS_TO[sos])
    return list(s.translate(_implicit_table(para_level)).encode("latin-1"))


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


def _resolve_sequence(text: str, seq: list[int], types: list[str], original: list[str], level: int,
                      sos: str, eos: str) -> None:
    resolve_weak(types, sos)
    if "ON" in types:
        chars = [text[i] for i in seq] if len(seq) != len(text) else list(text)
        resolve_brackets(chars, types, original, level, sos)
    resolve_neutrals(types, level, sos, eos)


# ---------------------------------------------------------------------------------------
# L1–L2: per line
# ---------------------------------------------------------------------------------------
def line_levels(classes: list[str], levels: list[int], start: int, end: int,
                para_level: int) -> list[int]:
    """L1 on the line ``[start, end)``: separators, and whitespace before them or at the end
    of the line, go back to the paragraph level. Returns the line's levels."""
    result = levels[start:end]
    trailing = True  # inside a run of whitespace that reaches the end or a separator
    for k in range(end - start - 1, -1, -1):
        cls = classes[start + k]
        if cls == "S" or cls == "B":
            result[k] = para_level
            trailing = True
        elif cls in TRAILING_RESET:
            if trailing:
                result[k] = para_level
        else:
            trailing = False
    return result


def reorder(levels: list[int]) -> list[int]:
    """L2: visual order (indices into ``levels``, left to right) of units with these levels:
    from the highest level down to the lowest odd one, reverse every run at that level or higher."""
    n = len(levels)
    if n == 0:
        return []
    highest, lowest = max(levels), min(levels)
    if highest == lowest:
        return list(range(n - 1, -1, -1)) if highest & 1 else list(range(n))
    order = list(range(n))
    for level in range(highest, (lowest | 1) - 1, -1):
        inside = [levels[i] >= level for i in order]
        inside.append(False)  # sentinel: every run ends
        k = 0
        while True:
            try:
                k = inside.index(True, k)
            except ValueError:
                break
            end = inside.index(False, k)
            order[k:end] = order[k:end][::-1]
            k = end
    return order
