"""UAX #9 per line: L1 (reset trailing whitespace and separators) and L2 (reverse runs).

The engine applies them to *atoms* (clusters, lam-alef ligatures; see
:mod:`annotator.layout.atoms`), the tests to characters: both through these functions.
L3 (marks stay after their base) is the atoms themselves; L4 (mirroring) is done where
cells get their text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from annotator.layout.bidi.classes import TRAILING_RESET

# L1 role of a class: 1 reset when trailing (before a separator or at the end of the line),
# 2 always reset (a segment or paragraph separator); absent: never reset.
L1_ROLE = {**{cls: 1 for cls in TRAILING_RESET}, "S": 2, "B": 2}


def l1_roles(classes: Sequence[str]) -> bytes:
    """The L1 role (see ``L1_ROLE``) of every character, from its class."""
    role = L1_ROLE.get
    return bytes([role(cls, 0) for cls in classes])


def line_levels(levels: list[int], roles: Sequence[int], begin: int, end: int, para_level: int,
                *, separators: bool = True) -> tuple[list[int], list[int]]:
    """L1 on the units ``[begin, end)`` of a line (characters, or atoms): separators, and
    whitespace (and isolate or removed controls) before a separator or at the end of the line,
    go back to the paragraph level.

    Returns the line's levels, and the (line-relative) units whose direction L1 changed.
    ``separators=False`` says no unit of the paragraph is a separator (skips that scan).
    """
    result = levels[begin:end]
    flipped = []
    k = end - begin - 1
    while k >= 0 and roles[begin + k]:  # the whitespace ending the line
        if (result[k] ^ para_level) & 1:
            flipped.append(k)
        result[k] = para_level
        k -= 1
    if separators:
        trailing = False
        for k in range(end - begin - 1, -1, -1):
            r = roles[begin + k]
            if r == 2 or (r == 1 and trailing):
                if (result[k] ^ para_level) & 1:
                    flipped.append(k)
                result[k] = para_level
                trailing = True
            else:
                trailing = False
    return result, flipped


def reorder(levels: list[int]) -> list[int]:
    """L2: visual order (indices into ``levels``, left to right) of units with these levels:
    from the highest level down to the lowest odd one, reverse every run at that level or higher."""
    order = list(range(len(levels)))
    for a, b in reversals(levels):
        order[a:b] = order[a:b][::-1]
    return order


_RUN = re.compile(b"\x01+")
# level -> a table mapping each level byte to 1 when at least ``level`` (built by slicing: 256 generator
# loops of 256 at import cost 5 ms of start-up)
_AT_LEAST = [b"\x00" * level + b"\x01" * (256 - level) for level in range(256)]


def reversals(levels: list[int]) -> list[tuple[int, int]]:
    """L2 as the slices ``[a, b)`` to reverse, one after the other, to put units with these
    levels in visual order. A run at one level lies inside a run at any lower level, so every
    run is found on the levels as given (not as reordered so far), by a search in C per level."""
    if not levels:
        return []
    highest, lowest = max(levels), min(levels)
    if highest == lowest:
        return [(0, len(levels))] if highest & 1 else []
    by_level = bytes(levels)
    return [match.span() for level in range(highest, (lowest | 1) - 1, -1)
            for match in _RUN.finditer(by_level.translate(_AT_LEAST[level]))]
