"""Editing below the TUI: what a key changes (``editor``) and saving it off the UI thread (``saver``).

Layering: ``editing`` uses ``session`` (the one write path) and the model; the TUI
uses ``editing``; nothing here imports Textual.
"""

from annotator.editing.editor import Answer, ClaimChoice, Edit, Editor, Refusal, Where
from annotator.editing.find import find_matches, step_match
from annotator.editing.saver import Failed, Outcome, Saved, Saver
from annotator.editing.spans import SpanChange, SpanIndex, innermost_first

__all__ = ["Answer", "ClaimChoice", "Edit", "Editor", "Failed", "Outcome", "Refusal", "Saved", "Saver", "SpanChange",
           "SpanIndex", "Where",
           "find_matches", "innermost_first", "step_match"]
