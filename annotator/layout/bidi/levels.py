"""Embedding levels of a paragraph: UAX #9 from P2 to I2, stage by stage."""

from __future__ import annotations

from annotator.layout.bidi.classes import CLASS_CODES, EXPLICIT, REMOVED
from annotator.layout.bidi.explicit import (
    explicit_levels,
    isolating_run_sequences,
    matching_pdis,
    sequence_bounds,
)
from annotator.layout.bidi.implicit import resolve_sequence, type_codes


def resolve_levels(text: str, classes: list[str], para_level: int, *, fast_paths: bool = True) -> list[int]:
    """Embedding level of every character of one paragraph (before the per-line rule L1).

    Fast path (``fast_paths``, no explicit control or BN in the paragraph): X1–X10 would
    give one sequence, the whole paragraph at ``para_level``, so they are skipped.
    """
    n = len(text)
    if n == 0:
        return []
    if fast_paths and EXPLICIT.isdisjoint(classes):
        return resolve_simple(text, classes, para_level)
    levels, types = explicit_levels(classes, para_level)
    matched = matching_pdis(classes)
    result = list(levels)
    for seq in isolating_run_sequences(classes, levels):
        level = levels[seq[0]]
        sos, eos = sequence_bounds(seq, classes, levels, para_level, matched)
        resolved = resolve_sequence("".join([text[i] for i in seq]), type_codes([types[i] for i in seq]),
                                    type_codes([classes[i] for i in seq]), level, sos, eos)
        for i, lv in zip(seq, resolved, strict=True):
            result[i] = lv
    # X9-removed characters take the level of the character before them (as FriBidi does).
    for i in range(n):
        if classes[i] in REMOVED:
            result[i] = result[i - 1] if i else para_level
    return result


def resolve_simple(text: str, classes: list[str], para_level: int) -> list[int]:
    """Levels of a paragraph without explicit controls or BN: one isolating run sequence,
    the whole paragraph, with sos and eos the paragraph direction."""
    return resolve_simple_codes(text, type_codes(classes), para_level)


def resolve_simple_codes(text: str, codes: str, para_level: int) -> list[int]:
    """:func:`resolve_simple` on the class codes of the paragraph (``classes.bidi_codes``).

    A right-to-left paragraph with no left-to-right character and no number (most Arabic
    prose) is at its own level throughout: every weak and neutral type resolves to R.
    """
    if para_level & 1 and not holds_any(codes, _LTR_OR_NUMBER):
        return [para_level] * len(codes)
    sos = "R" if para_level & 1 else "L"
    return resolve_sequence(text, codes, codes, para_level, sos, sos)


_LTR_OR_NUMBER = "LEN"  # the codes of L, EN, AN
_EXPLICIT_CODES = "".join(CLASS_CODES[c] for c in sorted(EXPLICIT))


def holds_any(codes: str, chars: str) -> bool:
    """Whether ``codes`` holds one of ``chars``. One ``in`` per character of ``chars`` (a C search for
    one character, a word at a time): over a paragraph that holds none (the usual answer, so every
    character is looked at) several times cheaper than a character class's search, which tests the
    characters one by one."""
    for ch in chars:
        if ch in codes:
            return True
    return False


def has_explicit(codes: str) -> bool:
    """Whether class codes hold an explicit control or BN (X1–X10 cannot be skipped)."""
    return holds_any(codes, _EXPLICIT_CODES)
