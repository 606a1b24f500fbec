"""``annotator stats``: how far each annotator has come, and what the store holds.

Every figure comes from an aggregate or from the counts the store keeps as annotations
change (``Store.status_counts``, ``Store.label_counts``): no document or state is read,
so it answers as quickly on a million documents as on five.
"""

from __future__ import annotations

import argparse

from annotator.commands._common import add_db_argument, existing_store_from
from annotator.console import say
from annotator.model.annotations import DOC_STATUSES

NAME = "stats"
HELP = "show documents, annotators, progress and label counts of a store"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)


def run(args: argparse.Namespace) -> int:
    store = existing_store_from(args)
    try:
        total = store.count_documents()
        say(f"{args.db}: {total} document(s), {store.count_log()} logged operation(s)")
        for name in store.all_annotators():
            statuses = store.status_counts(name)
            labels, claims = store.label_counts(name)
            done = statuses.get("done", 0) + statuses.get("skipped", 0)
            pct = 100 * done / total if total else 0.0
            parts = ", ".join(f"{s} {statuses[s]}" for s in DOC_STATUSES if statuses.get(s))
            say(f"  {name}: {pct:.0f}% finished ({parts}); {sum(labels.values())} entities, {claims} claims")
            if labels:
                say("    " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    finally:
        store.close()
    return 0
