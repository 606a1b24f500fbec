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
    CLASS_CODE_TABLE,
    CLASS_CODES,
    CLASS_OF_CODE,
    EMBEDDINGS,
    EXPLICIT,
    ISOLATE_INITIATORS,
    ISOLATES,
    REMOVED,
    TRAILING_RESET,
    bidi_class,
    bidi_classes,
    bidi_codes,
)
from annotator.layout.bidi.explicit import (
    MAX_DEPTH,
    explicit_levels,
    first_strong_level,
    isolate_directions,
    isolating_run_sequences,
    matching_pdis,
    paragraph_level,
    paragraph_level_of_codes,
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
from annotator.layout.bidi.levels import (
    has_explicit,
    resolve_levels,
    resolve_simple,
    resolve_simple_codes,
)
from annotator.layout.bidi.line import L1_ROLE, l1_roles, line_levels, reorder, reversals

__all__ = [
    "CLASS_CODE_TABLE", "CLASS_CODES", "CLASS_OF_CODE",
    "EMBEDDINGS", "EXPLICIT", "ISOLATES", "ISOLATE_INITIATORS", "L1_ROLE", "MAX_BRACKET_DEPTH",
    "MAX_DEPTH", "REMOVED", "TRAILING_RESET",
    "bidi_class", "bidi_classes", "bidi_codes", "has_explicit", "paragraph_level_of_codes",
    "resolve_simple_codes", "bracket_pairs", "explicit_levels", "first_strong_level",
    "implicit_levels", "isolate_directions", "isolating_run_sequences", "l1_roles", "line_levels",
    "matching_pdis", "paragraph_level", "reorder", "resolve_brackets", "resolve_levels",
    "resolve_neutrals", "resolve_sequence", "reversals", "resolve_simple", "resolve_weak", "sequence_bounds",
]
