"""Storage: the protocol (``base``), the SQLite default and the factory that picks one from ``--db``."""

from __future__ import annotations

from annotator.store.base import AddResult, LogEntry, Position, Store

DEFAULT_DB = "annotations.db"


def open_store(db: str | None = None) -> Store:
    """``--db`` value → store: a ``postgresql://`` URL for a team server, else an SQLite file."""
    db = db or DEFAULT_DB
    if db.startswith(("postgresql://", "postgres://")):
        from annotator.store.postgres import PostgresStore

        return PostgresStore(db)
    from annotator.store.sqlite import SQLiteStore

    return SQLiteStore(db)


__all__ = ["AddResult", "LogEntry", "Position", "Store", "open_store", "DEFAULT_DB"]
