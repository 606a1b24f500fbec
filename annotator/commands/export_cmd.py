"""``annotator export``: write the store's documents and labels, atomically.

Exit codes: 0 written, 1 written but some document records could not be (each reported),
2 nothing written (a user mistake, one line).
"""

from __future__ import annotations

import argparse
import sys

from annotator.commands._common import add_db_argument, add_schema_argument, existing_store_from, schema_from
from annotator.formats.base import format_names, get_format
from annotator.model.annotations import DOC_STATUSES

NAME = "export"
HELP = "export documents and labels (native JSONL by default, or another tool's format)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    add_schema_argument(p)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="output file, replaced atomically; a symlink is followed and kept; '-' or nothing: "
                        "standard output; a device, FIFO or socket is refused (brat: a folder, replaced whole, or "
                        "one archive of the same files when FILE ends .tar, .tar.gz or .tgz)")
    p.add_argument("--format", default="native", choices=format_names(), metavar="F",
                   help="output format (default native); one of: " + ", ".join(format_names()))
    p.add_argument("--annotator", action="append", metavar="A", help="only this annotator's records (repeatable)")
    p.add_argument("--status", action="append", choices=DOC_STATUSES, metavar="S",
                   help="only records with this status (repeatable): " + ", ".join(DOC_STATUSES))


def run(args: argparse.Namespace) -> int:
    from annotator.exporting import export_store, export_target

    fmt = get_format(args.format)
    target = export_target(fmt, args.output)  # every check on the output, before the store is opened
    schema = schema_from(args)
    store = existing_store_from(args)
    try:
        ctx = export_store(store, schema, fmt, args.output, annotators=args.annotator, statuses=args.status)
    finally:
        store.close()
    for problem in ctx.problems:
        print(f"  {problem}", file=sys.stderr)
    if target is not None:
        print(f"exported to {args.output} ({fmt.name})", file=sys.stderr)
    if ctx.skipped:
        print(f"annotator: {ctx.skipped} document record(s) could not be written (see above)", file=sys.stderr)
        return 1
    return 0
