"""``annotator backup``: a safe copy of an SQLite store, even while annotators are working.

Copying the ``.db`` file misses what is still in its ``-wal`` file (acknowledged
work); this uses SQLite's online backup API instead (``SQLiteStore.backup``).
A PostgreSQL database is backed up with the server's own tool, ``pg_dump``.
"""

from __future__ import annotations

import argparse
import sys

from annotator.commands._common import add_db_argument, existing_store_from
from annotator.errors import StoreError
from annotator.store import is_postgres

NAME = "backup"
HELP = "copy an SQLite store to FILE safely, even while annotators are working"
DESCRIPTION = ("Copy the store (--db) to FILE with SQLite's online backup API: a consistent copy that "
               "includes every saved action, made while the app keeps running, written atomically and "
               "checked. An existing FILE is kept unless --force. For PostgreSQL use pg_dump.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    p.add_argument("file", metavar="FILE", help="the backup file to write (a new SQLite store)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    if is_postgres(args.db):
        raise StoreError("backup copies SQLite stores; back up a PostgreSQL database with pg_dump "
                         "(for example: pg_dump -Fc -f FILE DBNAME)")
    store = existing_store_from(args)
    try:
        documents, operations = store.backup(args.file, force=args.force)
    finally:
        store.close()
    print(f"backed up {args.db} to {args.file}: {documents} document(s), {operations} logged operation(s), "
          "integrity ok", file=sys.stderr)
    return 0
