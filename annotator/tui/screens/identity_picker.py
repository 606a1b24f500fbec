"""Pick the mention the entity under the cursor is the same person or organization as.

The claimer picker's list (``ClaimerPickerScreen``: filter as you type under the search
normalization, ↑/↓ while typing, identities shown), filled with the ``Editor``'s
``identity_candidates`` (nearest mentions first, not those already of the same identity), and a
row to unlink the entity from its identity when it has one.
"""

from __future__ import annotations

from annotator.editing import Editor
from annotator.model.annotations import Entity
from annotator.text import TextIndex
from annotator.tui.screens.claimer_picker import ClaimerPickerScreen
from annotator.tui.shown import shown


class IdentityPickerScreen(ClaimerPickerScreen):
    """Returns the id of the mention to link to, UNLINK, or None (cancelled)."""

    UNLINK = "\0unlink"
    HEADING = "Same as — type to filter, enter links, esc cancels"

    def __init__(self, editor: Editor, index: TextIndex, entity_id: str) -> None:
        super().__init__(editor, index, entity_id)  # lists ``listed``'s mentions, with the screen's editor
        entity = editor.state.entity(entity_id)
        self.linked = entity is not None and entity.identity is not None
        self.current = None
        self.entity_id = entity_id

    def listed(self, editor: Editor, subject_id: str | None) -> list[Entity]:
        """The mentions the entity ``subject_id`` may be linked to, nearest first."""
        if subject_id is None:
            return []
        return editor.identity_candidates(subject_id, self.sentence_of(editor.state.entity(subject_id)))

    def fixed_rows(self) -> list[tuple[str, str]]:
        if self.linked:
            return [("unlink", f"— not the same as the others: unlink {shown(self.entity_id)} —")]
        return []

    def _choose(self, oid: str) -> None:
        self.dismiss(self.UNLINK if oid == "unlink" else oid.removeprefix("e:") or None)
