"""What the annotation screen's parts (``Navigation``, ``ClaimActions``, ``Writes``) use of the
``AnnotateScreen`` they are mixed into, declared once so that mypy checks them.

At run time ``ScreenPart`` is a plain ``object`` with annotations only: the screen itself
provides every attribute (``AnnotateScreen.__init__``) and method named here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

    from annotator.editing import Answer, Edit, Editor, Saver, Where
    from annotator.model.annotations import Annotations, Document
    from annotator.recommend import Proposal, Recommender
    from annotator.schema.model import Schema
    from annotator.session import AnnotationSession
    from annotator.tui.lanes import Lane
    from annotator.tui.screens.claim_form import ClaimFormScreen
    from annotator.tui.widgets.document_view import DocumentView
    from annotator.tui.widgets.status_line import StatusLine

    _Screen = Screen[Any]
else:
    _Screen = object


class ScreenPart(_Screen):
    """The base of each part of ``AnnotateScreen``: the screen's state, as the screen sets it."""

    session: AnnotationSession
    schema: Schema
    doc_id: str | None
    editor: Editor | None  # over the state shown (acknowledged + pending changes)
    acked: Annotations | None  # the last state the store acknowledged
    saver: Saver
    linking: str | None  # claim id whose claimer is being picked by moving
    _history_pending: int
    _form: ClaimFormScreen | None
    _gone: bool
    _position_timer: Timer | None
    _panel_timer: Timer | None
    recommenders: tuple[Recommender, ...]  # given with --recommender (``FindActions`` runs them)
    proposing: Lane  # the quick recommenders' work, in order (``tui.lanes``)
    proposing_slow: Lane  # the slow ones'

    if TYPE_CHECKING:  # defined by AnnotateScreen or by another part
        @property
        def view(self) -> DocumentView: ...

        @property
        def status(self) -> StatusLine: ...

        @property
        def state(self) -> Annotations | None: ...

        def _show_header(self) -> None: ...

        def describe_cursor(self) -> str: ...

        def _related(self) -> tuple[tuple[int, int], ...]: ...

        def save_position(self) -> None: ...

        def _propose(self, rec: Recommender, doc: Document, state: Annotations,
                     near: tuple[int, int] | None = None) -> list[Proposal] | str: ...

        def _open_document(self, doc_id: str | None = None) -> Document: ...

        def where(self) -> Where: ...

        def commit(self, answer: Answer | None, *, then: Callable[[Edit], None] | None = None,
                   wait: bool = True) -> Answer | None: ...
