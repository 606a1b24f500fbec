"""``annotator stats``: how far each annotator has come, and what the store holds."""

from __future__ import annotations

import argparse
from collections import Counter

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
            statuses = Counter(store.statuses(name).values())
            statuses["todo"] += total - sum(statuses.values())
            labels: Counter[str] = Counter()
            claims = 0
            for state in store.iter_annotations(name):
                labels.update(e.label for e in state.entities)
                claims += len(state.claims)
            done = statuses["done"] + statuses["skipped"]
            pct = 100 * done / total if total else 0.0
            parts = ", ".join(f"{s} {statuses[s]}" for s in DOC_STATUSES if statuses[s])
            say(f"  {name}: {pct:.0f}% finished ({parts}); {sum(labels.values())} entities, {claims} claims")
            if labels:
                say("    " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    finally:
        store.close()
    return 0
