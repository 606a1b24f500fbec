"""UAX #9 paragraph level (P2–P3), explicit levels (X1–X8) and isolating run sequences (X10)."""

from __future__ import annotations

import re

from annotator.layout.bidi.classes import CLASS_OF_CODE, EMBEDDINGS, ISOLATE_INITIATORS, REMOVED

MAX_DEPTH = 125

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


_FIRST_STRONG_CODE = re.compile("[LRAijfp]")  # a strong class code, or an isolate control's


def paragraph_level_of_codes(codes: str, direction: str) -> int:
    """:func:`paragraph_level` from class codes (``classes.bidi_codes``): a search in C, unless an
    isolate control comes before the first strong character (then the names, as there)."""
    if direction == "rtl":
        return 1
    if direction == "ltr":
        return 0
    found = _FIRST_STRONG_CODE.search(codes)
    if found is None:
        return 1
    code = found.group()
    if code == "L":
        return 0
    if code in "RA":
        return 1
    return paragraph_level([CLASS_OF_CODE[c] for c in codes], direction)


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
    matched = set(pdis.values())
    sequences: list[list[int]] = []
    for run in runs:
        first = run[0]
        if classes[first] == "PDI" and first in matched:
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
    if classes[last] not in ISOLATE_INITIATORS:
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
