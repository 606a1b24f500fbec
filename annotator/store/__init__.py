"""Storage: the protocol (``base``), the SQLite default and the factory that picks one from ``--db``."""

from __future__ import annotations

from annotator.store.base import AddResult, LogEntry, Position, SessionClaim, Store

DEFAULT_DB = "annotations.db"


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def open_store(db: str | None = None, *, create: bool = True) -> Store:
    """``--db`` value → store: a ``postgresql://`` URL for a team server, else an SQLite file.

    An existing file or database that is not an annotation store is refused,
    untouched. ``create=False`` (every command but ``import`` and ``annotate``)
    also refuses where no store exists yet: "no annotation store at …", and
    nothing is created, so a mistyped ``--db`` cannot stand in for the real store.
    """
    db = db or DEFAULT_DB
    if is_postgres(db):
        from annotator.store.postgres import PostgresStore

        return PostgresStore(db, create=create)
    from annotator.store.sqlite import SQLiteStore

    return SQLiteStore(db, create=create)


__all__ = ["AddResult", "LogEntry", "Position", "SessionClaim", "Store", "open_store", "is_postgres", "DEFAULT_DB"]
