"""``annotator assign``: deal documents out to a team, list who has what, or switch on the dynamic queue.

Exit codes: 0 done, 2 nothing changed (a user mistake, one line; unknown ids in
``--documents`` are each reported with file and line first). See docs/assignment.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from annotator.assignment import (
    DEFAULT_LEASE_MINUTES,
    SETTING,
    AssignmentError,
    DynamicQueue,
    check_team,
    deal,
    loads,
)
from annotator.commands._common import add_db_argument, existing_store_from
from annotator.console import say
from annotator.errors import AnnotatorError, InputError
from annotator.model.annotations import DOC_STATUSES
from annotator.model.checks import id_problem
from annotator.store.base import Store

NAME = "assign"
HELP = "deal documents out to annotators (--overlap N each), list assignments, or use a dynamic queue"

# documents' overall status for --status: the furthest any annotator has taken it
STATUS_RANK = {"todo": 0, "skipped": 1, "in_progress": 2, "done": 3}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--annotators", metavar="A,B,…", help="deal documents to these annotators (comma-separated)")
    what.add_argument("--list", action="store_true", help="print every assigned document and its annotators")
    what.add_argument("--unassign", metavar="NAME", help="return NAME's unfinished (not done) documents to the pool")
    what.add_argument("--dynamic", action="store_true",
                      help="deal nothing in advance: each annotator takes the next document when they ask for it")
    what.add_argument("--no-dynamic", action="store_true", help="end dynamic mode (documents taken so far stay taken)")
    p.add_argument("--overlap", type=int, default=None, metavar="N",
                   help="how many different annotators each document gets (default 1)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--documents", metavar="FILE", help="deal only these documents: a text file, one id a line")
    which.add_argument("--status", choices=DOC_STATUSES, metavar="S",
                       help="deal only documents whose furthest status among all annotators is S "
                            "(todo: nobody has started it)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="the draw that breaks ties between equally loaded annotators (default 0): "
                        "the same seed deals the same way")
    p.add_argument("--lease", type=float, default=None, metavar="MINUTES",
                   help=f"dynamic mode: a document taken but untouched this long returns to the pool "
                        f"(default {DEFAULT_LEASE_MINUTES:g})")
    p.add_argument("--format", choices=("text", "json"), default="text", help="--list output (default text)")


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    store = existing_store_from(args)
    try:
        if args.list:
            _list(store, args.format)
        elif args.unassign is not None:
            _unassign(store, args)
        elif args.dynamic:
            _dynamic(store, args)
        elif args.no_dynamic:
            _no_dynamic(store, args)
        else:
            _deal(store, args)
    finally:
        store.close()
    return 0


def _check_options(args: argparse.Namespace) -> None:
    """Every option mistake before the store is opened."""
    dealing = args.annotators is not None
    if not (dealing or args.list or args.unassign is not None or args.dynamic or args.no_dynamic):
        raise AssignmentError("say what to do: --annotators a,b,… to deal documents, --list, --unassign NAME, "
                              "or --dynamic")
    if (args.documents or args.status) and not dealing:
        raise AssignmentError("--documents and --status choose what --annotators deals out")
    if args.overlap is not None and not (dealing or args.dynamic):
        raise AssignmentError("--overlap goes with --annotators or --dynamic")
    if args.lease is not None and not args.dynamic:
        raise AssignmentError("--lease goes with --dynamic")
    if args.lease is not None and not args.lease > 0:  # also refuses nan
        raise AssignmentError(f"--lease must be a positive number of minutes, not {args.lease:g}")
    if args.overlap is not None and args.overlap < 1:
        raise AssignmentError(f"--overlap must be at least 1, not {args.overlap}")
    if args.format != "text" and not args.list:
        raise AssignmentError("--format goes with --list")
    if args.unassign is not None and (problem := id_problem(args.unassign, "annotator name")):
        raise AssignmentError(problem)


# -- dealing ------------------------------------------------------------------------------


def _deal(store: Store, args: argparse.Namespace) -> None:
    team = [name.strip() for name in args.annotators.split(",")]
    overlap = args.overlap or 1
    check_team(team, overlap)  # names first, before any file is read
    existing = store.assignments()
    if args.documents:
        wanted = _read_ids(args.documents, store)
    elif args.status:
        wanted = _with_status(store, args.status)
    else:
        wanted = store.document_ids()
    pairs = deal(wanted, team, overlap, existing, args.seed)
    added = store.assign(pairs)
    after = dict(existing)
    for doc_id, name in pairs:
        after[doc_id] = [*after.get(doc_id, []), name]
    full = sum(1 for d in dict.fromkeys(wanted) if len(existing.get(d, ())) >= overlap)
    dealt_to = len({d for d, _ in pairs})
    say(f"{args.db}: dealt {added} assignment(s) over {dealt_to} document(s) to {len(team)} annotator(s) "
        f"(overlap {overlap}, seed {args.seed})")
    if full:
        say(f"  {full} document(s) already had {overlap} or more annotators: left as they were")
    per = loads(after)
    say("  loads: " + ", ".join(f"{name} {per.get(name, 0)}" for name in team))
    others = sorted(set(per) - set(team))
    if others:
        say("  also assigned: " + ", ".join(f"{name} {per[name]}" for name in others))
    if not wanted:
        say("  no documents to deal")


def _read_ids(path: str, store: Store) -> list[str]:
    """The ids in ``path``, one a line (blank lines ignored); every unknown one reported with its line."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise AnnotatorError(f"{path}: cannot read it ({exc.strerror or exc}); nothing was assigned") from None
    known = set(store.document_ids())
    ids: list[str] = []
    problems = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            say(f"{InputError(f'not UTF-8 (byte {exc.start})', path, number)}", file=sys.stderr)
            problems += 1
            continue
        doc_id = text.strip()
        if not doc_id:
            continue
        problem = id_problem(doc_id, "document id")
        if problem is None and doc_id not in known:
            problem = f"no document {doc_id!r} in the store"
        if problem:
            say(str(InputError(problem, path, number)), file=sys.stderr)
            problems += 1
            continue
        ids.append(doc_id)
    if problems:
        raise AnnotatorError(f"{path}: {problems} line(s) name no document of the store (see above); "
                             "nothing was assigned")
    return ids


def _with_status(store: Store, status: str) -> list[str]:
    furthest: dict[str, str] = {}
    for name in store.all_annotators():
        for doc_id, st in store.statuses(name).items():
            if STATUS_RANK.get(st, 0) > STATUS_RANK.get(furthest.get(doc_id, "todo"), 0):
                furthest[doc_id] = st
    return [d for d in store.document_ids() if furthest.get(d, "todo") == status]


# -- the rest ------------------------------------------------------------------------------

# characters JSON may carry raw that a terminal would act on (C1, bidi controls, line separators)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _list(store: Store, fmt: str) -> None:
    assigned = store.assignments()
    if fmt == "json":
        text = json.dumps(assigned, ensure_ascii=False, indent=1)
        sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
        return
    for doc_id, names in assigned.items():
        say(f"{doc_id}: {', '.join(names)}")
    if not assigned:
        say("no document is assigned", file=sys.stderr)
    queue = DynamicQueue.from_setting(store.get_setting(SETTING))
    if queue is not None:
        say(f"(dynamic mode: overlap {queue.overlap}, lease {queue.lease_seconds / 60:g} min)", file=sys.stderr)


def _unassign(store: Store, args: argparse.Namespace) -> None:
    returned = store.unassign(args.unassign)
    say(f"{args.db}: returned {len(returned)} unfinished document(s) of {args.unassign} to the pool")


def _dynamic(store: Store, args: argparse.Namespace) -> None:
    queue = DynamicQueue(args.overlap or 1, 60 * (args.lease if args.lease is not None else DEFAULT_LEASE_MINUTES))
    store.set_setting(SETTING, queue.to_setting())
    say(f"{args.db}: dynamic mode: each document goes to {queue.overlap} annotator(s), one document at a time as "
        f"each asks for the next; one taken but untouched for {queue.lease_seconds / 60:g} min returns to the pool")


def _no_dynamic(store: Store, args: argparse.Namespace) -> None:
    store.set_setting(SETTING, None)
    say(f"{args.db}: dynamic mode is off; documents already taken stay with their annotators")
