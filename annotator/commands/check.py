"""``annotator check``: validate a schema file, or verify that a store is sound."""

from __future__ import annotations

import argparse

from annotator.commands._common import add_db_argument, existing_store_from
from annotator.console import say

NAME = "check"
HELP = "check a schema file (--schema) or a store's integrity (--db)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    p.add_argument("--schema", metavar="FILE", help="check this schema file instead of the store")


def run(args: argparse.Namespace) -> int:
    if args.schema:
        from annotator.schema import load_schema, resolve_schema_path
        from annotator.tui.bindings import RESERVED_HOTKEYS  # the same answer as `annotate`

        schema = load_schema(resolve_schema_path(args.schema), reserved=RESERVED_HOTKEYS)
        say(f"{args.schema}: schema {schema.name} {schema.version} is valid: "
            f"{len(schema.labels)} labels, claims {'on' if schema.claims.enabled else 'off'}, "
            f"{len(schema.claims.attributes)} claim attributes")
        return 0
    store = existing_store_from(args)
    try:
        result = store.integrity_check()
        problems = _span_problems(store)
    finally:
        store.close()
    if result != "ok" or problems:
        say(f"{args.db}: PROBLEMS FOUND")
        if result != "ok":
            say(f"  integrity: {result}")
        for p in problems:
            say(f"  {p}")
        return 1
    say(f"{args.db}: ok (database integrity, every span inside its text)")
    return 0


def _span_problems(store) -> list[str]:
    problems = []
    texts: dict[str, int] = {}
    for state in store.iter_annotations():
        if state.doc_id not in texts:
            doc = store.get_document(state.doc_id)
            texts[state.doc_id] = len(doc.text) if doc else -1
        n = texts[state.doc_id]
        for span in (*state.entities, *state.claims):
            if not 0 <= span.start < span.end <= n:
                problems.append(f"{state.doc_id}/{state.annotator}: span {span.id} [{span.start}, {span.end}) "
                                f"outside the text (length {n})")
    return problems
