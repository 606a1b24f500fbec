"""The annotation screen's claims: mark one, open its form, pick its claimer by moving; and
the identities claimers are compared by: link the entity under the cursor to another mention.

The claim form posts ``ClaimFormScreen.Save``; the ``Editor`` decides the change and the
write path saves it, then the form is shown the new state (or the problem).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from annotator.editing import ClaimChoice, Edit, Refusal
from annotator.tui.screens.parts import ScreenPart
from annotator.tui.shown import shown

if TYPE_CHECKING:  # the form is imported when it opens: not at start-up
    from annotator.tui.screens.claim_form import ClaimFormScreen


class ClaimActions(ScreenPart):
    """Mixed into ``AnnotateScreen`` (which provides ``view``, ``status``, ``editor``, ``commit``)."""

    def action_claim(self) -> None:
        if self.editor is None:
            return
        view = self.view
        self.commit(self.editor.add_claim(self.where(), view.nav.sentence_span(view.cursor)),
                    then=self._open_added_claim)

    def _open_added_claim(self, edit: Edit) -> None:
        if edit.created is not None:
            self.view.set_selection(None)
            self.call_later(self._claim_added, edit.created)  # once the claim itself is queued for saving

    def _claim_added(self, claim_id: str) -> None:
        self._propose_claimer(claim_id)
        self.open_claim_form(claim_id)

    def _propose_claimer(self, claim_id: str) -> None:
        """A new claim without a claimer gets the one a claim recommender (``claim-cues``) proposes
        now, from the entities and claimers labelled since the document opened (the proposal that
        overlaps the claim most), as its own undo step; the form then opens with it set."""
        state, doc_id = self.state, self.doc_id
        claim = state.claim(claim_id) if state is not None else None
        if state is None or claim is None or claim.claimer is not None or doc_id is None or self.editor is None:
            return
        recs = [rec for rec in self.recommenders if "claim" in rec.kinds and not rec.slow]
        if not recs:
            return  # nothing to ask: the document is not read whole
        doc = self._open_document()  # kept: ``session.document`` would wait for the claim's save
        for rec in recs:
            found = self._propose(rec, doc, state, near=(claim.start, claim.end))
            overlapping = [p for p in found if p.kind == "claim" and p.claimer and p.start < claim.end
                           and claim.start < p.end] if not isinstance(found, str) else []
            if not overlapping:
                continue
            best = max(overlapping, key=lambda p: min(p.end, claim.end) - max(p.start, claim.start))
            answer = self.commit(self.editor.set_claimer(claim_id, best.claimer))
            entity = answer.after.entity(best.claimer) if isinstance(answer, Edit) and best.claimer else None
            if entity is not None:
                self.status.say(f"claimer «{shown(self.view.text[entity.start:entity.end])}» proposed by {rec.name} "
                                "(delete on its row clears it)")
                return

    def action_edit_claim(self) -> None:
        if self.editor is not None:
            self._choose(self.editor.claim_to_edit(self.where()), self.open_claim_form)

    def action_link_claimer(self) -> None:
        if self.editor is not None:
            self._choose(self.editor.claim_to_link(self.where()), self.start_link)

    def action_link_identity(self) -> None:
        """Pick the mention the entity under the cursor is the same as (or unlink it)."""
        from annotator.tui.screens.identity_picker import IdentityPickerScreen  # loads the search normalizer

        if self.editor is None:
            return
        entity = self.editor.entity_to_link(self.where())
        if isinstance(entity, Refusal):
            self.status.say(entity.reason, error=entity.error)
            return
        entity_id = entity.id

        def picked(result: str | None) -> None:
            if self.editor is None or not result:
                return
            if result == IdentityPickerScreen.UNLINK:
                self.commit(self.editor.unlink_identity(entity_id))
            else:
                self.commit(self.editor.link_identity(entity_id, result))
            self.status.set_info(self.describe_cursor())

        self.app.push_screen(IdentityPickerScreen(self.editor, self.view.index, entity_id), picked)

    def _choose(self, answer: ClaimChoice | Refusal, then: Callable[[str], None]) -> None:
        if isinstance(answer, Refusal):
            self.status.say(answer.reason, error=answer.error)
        else:
            then(answer.claim_id)

    def open_claim_form(self, claim_id: str) -> None:
        if self.editor is None:
            return
        from annotator.tui.screens.claim_form import ClaimFormScreen

        form = ClaimFormScreen(self.editor, claim_id, self.view.index, reply_to=self)

        def closed(result: str | None) -> None:
            self._form = None
            if result == ClaimFormScreen.LINK_BY_MOVING:
                self.start_link(claim_id)

        self._form = form
        self.app.push_screen(form, closed)

    def on_claim_form_screen_save(self, message: ClaimFormScreen.Save) -> None:
        """The claim form asks for a value; its outcome goes back to it as a problem or a new state."""
        if self.editor is None:
            return
        from annotator.tui.widgets.claim_form import CLAIMER_ROW  # loaded with the form that sent this

        if message.key == CLAIMER_ROW:
            claimer = message.value if isinstance(message.value, str) and message.value else None
            answer = self.editor.set_claimer(message.claim_id, claimer)
        else:
            answer = self.editor.set_claim_attribute(message.claim_id, message.key, message.value)
        shown_answer = self.commit(answer)
        if isinstance(shown_answer, Refusal) and self._form is not None:
            self._form.show_problem(shown_answer.reason)

    def start_link(self, claim_id: str) -> None:
        self.linking = claim_id
        self.view.set_selection(None)
        self.status.set_info(self.describe_cursor())

    def _finish_link(self) -> None:
        if self.editor is None or self.linking is None:
            return
        answer = self.editor.link_claimer(self.linking, self.where())
        if isinstance(answer, Edit):
            self.linking = None
        self.commit(answer)
