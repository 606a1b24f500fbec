"""``annotator export``: write the store's documents and labels, atomically."""

from __future__ import annotations

import argparse
import sys

from annotator.commands._common import add_db_argument, add_schema_argument, existing_store_from, schema_from
from annotator.formats.base import all_formats, get_format
from annotator.model.annotations import DOC_STATUSES

NAME = "export"
HELP = "export documents and labels (native JSONL by default, or another tool's format)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    add_schema_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", help="output file (default: standard output)")
    p.add_argument("--format", default="native", choices=sorted(all_formats()), metavar="F",
                   help="output format (default native); one of: " + ", ".join(sorted(all_formats())))
    p.add_argument("--annotator", action="append", metavar="A", help="only this annotator's records (repeatable)")
    p.add_argument("--status", action="append", choices=DOC_STATUSES, metavar="S",
                   help="only records with this status (repeatable): " + ", ".join(DOC_STATUSES))


def run(args: argparse.Namespace) -> int:
    from annotator.exporting import check_writable, export_store
    from pathlib import Path

    fmt = get_format(args.format)
    if args.output and args.output != "-" and not getattr(fmt, "writes_folders", False):
        check_writable(Path(args.output))  # before opening anything
    schema = schema_from(args)
    store = existing_store_from(args)
    try:
        ctx = export_store(store, schema, fmt, args.output, annotators=args.annotator, statuses=args.status)
    finally:
        store.close()
    for problem in ctx.problems:
        print(f"  {problem}", file=sys.stderr)
    if args.output and args.output != "-":
        print(f"exported to {args.output} ({fmt.name})", file=sys.stderr)
    return 0
