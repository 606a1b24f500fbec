"""Options shared by several commands (--db, --schema, --annotator), defined once."""

from __future__ import annotations

import argparse
from collections.abc import Collection

from annotator.schema import default_schema_path, load_schema, resolve_schema_path
from annotator.schema.model import Schema
from annotator.store import DEFAULT_DB, Store, open_store


def comma_list(values: list[str] | None) -> list[str] | None:
    """A repeatable comma-separated option (``--x a,b --x c``) as [a, b, c], empty pieces dropped;
    None when it was not given."""
    if not values:
        return None
    return [piece.strip() for value in values for piece in value.split(",") if piece.strip()]


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, metavar="DB",
                        help=f"the store: an SQLite file (default: {DEFAULT_DB} in this folder) "
                             "or a postgresql:// URL")


def add_schema_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schema", metavar="FILE",
                        help="label schema: a YAML file or a bundled name (news, wojood, conll); default news")


def schema_from(args: argparse.Namespace, *, reserved: Collection[str] = frozenset()) -> Schema:
    """The schema of ``--schema``; ``reserved``: hotkeys the app that will use it keeps."""
    spec = getattr(args, "schema", None)
    return load_schema(resolve_schema_path(spec) if spec else default_schema_path(), reserved=reserved)


def store_from(args: argparse.Namespace) -> Store:
    """The store of ``--db``, made if none exists there: for ``import`` and ``annotate`` only."""
    return open_store(args.db, create=True)


def existing_store_from(args: argparse.Namespace) -> Store:
    """The store of ``--db``, which must exist: a mistyped name is one line, and nothing is created."""
    return open_store(args.db, create=False)
