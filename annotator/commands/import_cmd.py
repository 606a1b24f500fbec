"""``annotator import``: bring texts and labelled data into the store."""

from __future__ import annotations

import argparse
import sys

from annotator.commands._common import add_db_argument, add_schema_argument, schema_from, store_from
from annotator.console import say
from annotator.formats.base import format_names

NAME = "import"
HELP = "import .txt files, folders, JSONL or another tool's format into the store"
EPILOG = """exit codes:
  0  every record was imported whole (notes and --repair repairs may still be listed)
  1  some records were rejected or imported in part: each problem is listed with its file and line
  2  usage error or nothing could be done (bad option, unreadable schema or store)"""
EXIT_ALL_IMPORTED, EXIT_SOME_REJECTED = 0, 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to import")
    add_db_argument(p)
    add_schema_argument(p)
    p.add_argument("--format", choices=format_names(), metavar="F",
                   help="input format (default: detected from the content and reported); one of: "
                        + ", ".join(format_names()))
    p.add_argument("--annotator", metavar="NAME",
                   help="store imported labels as this annotator's (default: the file's, else your login)")
    p.add_argument("--label-map", metavar="FILE", help="map foreign labels onto the schema's (YAML or TSV)")
    p.add_argument("--repair", action="store_true",
                   help="repair what can be repaired (e.g. an inside-tag without a begin); repairs are counted")
    p.add_argument("--replace", action="store_true",
                   help="overwrite an annotator's existing labels on a document (the old ones stay in the log)")
    p.add_argument("--quiet", action="store_true", help="print only the summary")


def run(args: argparse.Namespace) -> int:
    from annotator.importing import import_paths

    schema = schema_from(args)
    label_map = {}
    if args.label_map:
        from annotator.formats.labelmap import load_label_map

        label_map = load_label_map(args.label_map)
    store = store_from(args)
    try:
        def show(problem) -> None:
            if not args.quiet:
                print(f"  {problem}", file=sys.stderr)

        summary = import_paths(store, schema, args.paths, format_name=args.format, annotator=args.annotator,
                               label_map=label_map, repair=args.repair, replace=args.replace, on_problem=show)
    finally:
        store.close()
    if not args.format and not args.quiet:
        for path, how in summary.formats.items():
            print(f"{path}: read as {how}", file=sys.stderr)
    for line in summary.lines():
        say(line)  # the same escaping as every message (console.py)
    return EXIT_ALL_IMPORTED if summary.complete else EXIT_SOME_REJECTED
