"""The Unicode Bidirectional Algorithm (UAX #9), one module per stage, like FriBidi.

python-bidi exposes no levels, so the algorithm is implemented here:

- :mod:`.classes`: Bidi_Class of each character (BD1);
- :mod:`.explicit`: paragraph level (P2–P3), explicit levels (X1–X8), isolating run
  sequences with their sos and eos (X10);
- :mod:`.implicit`: weak types (W1–W7), brackets (N0), neutrals (N1–N2), implicit levels
  (I1–I2) on one sequence;
- :mod:`.levels`: the paragraph from P2 to I2 (:func:`resolve_levels`), once per paragraph;
- :mod:`.line`: L1 and L2 on each wrapped line (L3 and L4 are the engine's: it works on
  clusters).

Classes are short strings (``"L"``, ``"AL"``, ``"NSM"``…); characters the algorithm removes
(X9: embeddings, overrides, PDF, BN) get the level of the character before them, as FriBidi
does, so every character has a level. Imports flow one way: classes, then explicit and
implicit, then levels; line needs only classes.
"""

from annotator.layout.bidi.classes import (
    EMBEDDINGS,
    EXPLICIT,
    ISOLATE_INITIATORS,
    ISOLATES,
    REMOVED,
    TRAILING_RESET,
    bidi_class,
    bidi_classes,
)
from annotator.layout.bidi.explicit import (
    MAX_DEPTH,
    explicit_levels,
    first_strong_level,
    isolate_directions,
    isolating_run_sequences,
    matching_pdis,
    paragraph_level,
    sequence_bounds,
)
from annotator.layout.bidi.implicit import (
    MAX_BRACKET_DEPTH,
    bracket_pairs,
    implicit_levels,
    resolve_brackets,
    resolve_neutrals,
    resolve_sequence,
    resolve_weak,
)
from annotator.layout.bidi.levels import resolve_levels, resolve_simple
from annotator.layout.bidi.line import L1_ROLE, l1_roles, line_levels, reorder

__all__ = [
    "EMBEDDINGS", "EXPLICIT", "ISOLATES", "ISOLATE_INITIATORS", "L1_ROLE", "MAX_BRACKET_DEPTH",
    "MAX_DEPTH", "REMOVED", "TRAILING_RESET",
    "bidi_class", "bidi_classes", "bracket_pairs", "explicit_levels", "first_strong_level",
    "implicit_levels", "isolate_directions", "isolating_run_sequences", "l1_roles", "line_levels",
    "matching_pdis", "paragraph_level", "reorder", "resolve_brackets", "resolve_levels",
    "resolve_neutrals", "resolve_sequence", "resolve_simple", "resolve_weak", "sequence_bounds",
]
