"""The storage protocol: what the session layer needs from a database.

SQLite (``annotator.store.sqlite``) is the embedded default; a PostgreSQL
implementation fills the same protocol for teams. Nothing above this layer
knows which one it talks to. Every write is durable before the call returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ContextManager, Iterator, Protocol

from annotator.model.annotations import Annotations, Document
from annotator.model.operations import Operation


@dataclass(frozen=True)
class LogEntry:
    """One line of the append-only operation log of a (document, annotator)."""

    seq: int
    doc_id: str
    annotator: str
    action: str  # "do", "undo" or "redo"
    op: Operation  # what was applied to the state (for undo: the inverse)
    ref: int | None  # for undo/redo: the seq of the "do" entry concerned
    at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class AddResult:
    doc_id: str
    added: bool  # False: the same text was already stored (under ``doc_id``)
    renamed_from: str | None = None  # the input's id, when it had to be made unique


@dataclass(frozen=True)
class Position:
    """Where an annotator left off: resumed at the next start."""

    doc_id: str | None
    cursor: int = 0


class Store(Protocol):
    path: str

    # documents
    def add_document(self, doc: Document) -> AddResult: ...
    def get_document(self, doc_id: str) -> Document | None: ...
    def document_ids(self) -> list[str]: ...
    def iter_documents(self) -> Iterator[Document]: ...
    def count_documents(self) -> int: ...

    # annotations
    def load(self, doc_id: str, annotator: str) -> Annotations: ...
    def iter_annotations(self, annotator: str | None = None) -> Iterator[Annotations]: ...
    def annotators(self, doc_id: str) -> list[str]: ...
    def statuses(self, annotator: str) -> dict[str, str]: ...

    def commit(self, doc_id: str, annotator: str, expected_version: int, new_state: Annotations,
               action: str, op: Operation, inverse: Operation | None, ref: int | None) -> Annotations:
        """Write the new state and the log entry in one durable transaction.

        Raises StoreError if the stored version is not ``expected_version``
        (someone else wrote in between), so no write is ever lost silently.
        """
        ...

    def undo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None:
        """The "do" entry an undo would revert now and its inverse, or None."""
        ...

    def redo_target(self, doc_id: str, annotator: str) -> tuple[int, Operation] | None: ...
    def history(self, doc_id: str, annotator: str) -> list[LogEntry]: ...

    # where each annotator left off
    def get_position(self, annotator: str) -> Position: ...
    def set_position(self, annotator: str, position: Position) -> None: ...

    # one live session per annotator
    def claim_session(self, annotator: str) -> None: ...
    def release_session(self, annotator: str) -> None: ...

    # several writes as one (an import record: document + annotations); nested writes join it
    def transaction(self) -> ContextManager[None]: ...

    # health and audit
    def integrity_check(self) -> str: ...
    def count_log(self) -> int: ...
    def all_annotators(self) -> list[str]: ...

    def close(self) -> None: ...
