"""Storage: the contract (``base.Store``), and ``open_store``, which picks a store by the scheme of ``--db``.

Stores are registered by URL scheme: ``sqlite`` for a plain file path (the default),
``postgresql://`` (or ``postgres://``) for a team server, and any scheme an installed
package declares in the ``annotator.stores`` entry-point group (``annotator.plugins``).
A store's module, and so its database driver, is imported only when its scheme is used.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from annotator.errors import AnnotatorError
from annotator.store.base import AddResult, LogEntry, Position, SessionClaim, Store

if TYPE_CHECKING:
    from annotator.plugins import Registry

DEFAULT_DB = "annotations.db"

# The built-in stores, by scheme: each module is imported the first time its scheme is used.
BUILTIN_STORES: dict[str, str] = {
    "sqlite": "annotator.store.sqlite:SQLiteStore",  # a plain path (no scheme://)
    "postgresql": "annotator.store.postgres:PostgresStore",
    "postgres": "annotator.store.postgres:PostgresStore",
}
STORE_GROUP = "annotator.stores"  # the entry-point group through which other packages add stores
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def store_scheme(db: str) -> str:
    """The registry key for a ``--db`` value: its URL scheme, lower-cased, or ``sqlite`` for a path."""
    match = _SCHEME.match(db)
    if match is None:
        return "sqlite"
    scheme = match.group(1).lower()
    if scheme == "sqlite":
        raise AnnotatorError(f"--db {db}: give an SQLite store as a plain file path, without sqlite://")
    return scheme


def _make_store(obj: object, scheme: str) -> type[Store]:
    """A registered store: a complete subclass of ``Store`` (constructed per ``--db``)."""
    from annotator.plugins import PluginError, missing_methods

    if not (isinstance(obj, type) and issubclass(obj, Store)):
        raise PluginError(f"{obj!r} is not a subclass of annotator.store.base.Store")
    if missing := missing_methods(obj):
        raise PluginError(f"{obj.__qualname__} does not implement {', '.join(missing)}")
    return obj


@functools.cache
def registry() -> Registry[type[Store]]:
    from annotator.plugins import Registry

    return Registry(kind="store scheme", group=STORE_GROUP, builtins=BUILTIN_STORES, make=_make_store,
                    name_pattern=r"[a-z][a-z0-9+.-]*")


def open_store(db: str | None = None, *, create: bool = True) -> Store:
    """``--db`` value → store: a ``postgresql://`` URL for a team server, another registered
    scheme for a plugin's store, else an SQLite file.

    An existing file or database that is not an annotation store is refused,
    untouched. ``create=False`` (every command but ``import`` and ``annotate``)
    also refuses where no store exists yet: "no annotation store at …", and
    nothing is created, so a mistyped ``--db`` cannot stand in for the real store.
    """
    db = db or DEFAULT_DB
    try:
        cls = registry().get(store_scheme(db))
    except AnnotatorError as exc:
        raise AnnotatorError(f"--db: {exc}") from None  # not the URL itself: it may hold a password
    return cls(db, create=create)


__all__ = ["AddResult", "LogEntry", "Position", "SessionClaim", "Store", "open_store", "is_postgres", "DEFAULT_DB",
           "store_scheme", "BUILTIN_STORES", "STORE_GROUP"]
