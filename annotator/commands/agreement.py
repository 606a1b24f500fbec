"""``annotator agreement``: how far the annotators of a store agree (span F1, α, κ).

A readable table by default; ``--format json`` one JSON object, ``--format csv`` one row per
figure. Every figure carries the number of items it rests on and is null where undefined.
The computation lives in ``annotator.agreement``; this module only reads options and writes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from annotator.commands._common import add_db_argument, comma_list, existing_store_from
from annotator.console import message_safe, say
from annotator.model.annotations import DOC_STATUSES

NAME = "agreement"
HELP = "inter-annotator agreement: span F1, Krippendorff's alpha, Cohen's/Fleiss' kappa"
FORMATS = ("table", "json", "csv")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    p.add_argument("--annotators", action="append", metavar="A,B,…",
                   help="only these annotators (comma-separated or repeated; default: all in the store)")
    p.add_argument("--documents", action="append", metavar="ID,…",
                   help="only these documents (comma-separated or repeated; default: all)")
    p.add_argument("--against", metavar="NAME",
                   help="also score each annotator against this reference annotator (precision, recall, F1)")
    p.add_argument("--status", action="append", metavar="S",
                   help="the statuses that make a document count for an annotator (comma-separated or "
                        f"repeated; default done): {', '.join(DOC_STATUSES)}")
    p.add_argument("--schema", metavar="FILE",
                   help="the label schema that says each attribute's level (a file or a bundled name); "
                        "default: the bundled schema the annotations name, else news")
    p.add_argument("--format", default="table", choices=FORMATS, help="table (default), json or csv")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE, replaced atomically ('-' or nothing: standard output)")


def run(args: argparse.Namespace) -> int:
    from annotator.agreement import agreement_report, collect
    from annotator.agreement.output import csv_rows, table_lines
    from annotator.errors import AnnotatorError
    from annotator.exporting import atomic_output, output_target

    statuses = comma_list(args.status) or ["done"]
    bad = [s for s in statuses if s not in DOC_STATUSES]
    if bad:
        raise AnnotatorError(f"--status {bad[0]!r} is not a status (statuses: {', '.join(DOC_STATUSES)})")
    target = output_target(args.output)  # checked before any work
    store = existing_store_from(args)
    try:
        corpus = collect(store, comma_list(args.annotators), comma_list(args.documents), statuses, args.against)
    finally:
        store.close()
    schema = _schema(args, corpus)
    report = agreement_report(corpus, schema)
    report["statuses"] = statuses
    report["schema"] = schema.name
    if args.format == "json":
        text = json.dumps(report, indent=2) + "\n"  # ASCII escapes: exact, and safe on a terminal
    elif args.format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(csv_rows(report))
        text = buffer.getvalue()
    else:
        text = "".join(message_safe(line) + "\n" for line in table_lines(report))
    if target is None:
        if args.format == "table":
            for line in table_lines(report):
                say(line)
        else:
            sys.stdout.write(text)
        return 0
    with atomic_output(target) as fh:
        fh.write(text)
    print(f"agreement written to {args.output} ({args.format})", file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace, corpus):
    """``--schema``, else the one bundled schema the counted annotations were made under, else news."""
    from annotator.commands._common import schema_from
    from annotator.schema import bundled_schema_names, bundled_schema_path, load_schema

    if getattr(args, "schema", None):
        return schema_from(args)
    used = {s.schema_name for d in corpus.states.values() for s in d.values() if s.schema_name}
    if len(used) == 1 and (name := used.pop()) in bundled_schema_names():
        return load_schema(bundled_schema_path(name))
    return schema_from(args)
