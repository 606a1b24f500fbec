"""``annotator adjudicate``: merge the annotators' finished work into a gold standard.

Without ``--auto`` it opens the app in adjudication mode over the documents that at least two
annotators finished (``tui.screens.adjudicate``); with ``--auto unanimous|majority`` it writes
what enough annotators agree on and reports what is left to decide by hand. Either way gold is
written as the annotator ``--as`` (default ``gold``) through ``AnnotationSession``, under that
annotator's one live session claim. The merging rules live in ``annotator.adjudication``.
"""

from __future__ import annotations

import argparse
import sys

from annotator.commands._common import (
    add_db_argument,
    add_schema_argument,
    comma_list,
    existing_store_from,
    schema_from,
)
from annotator.console import say
from annotator.errors import AnnotatorError
from annotator.terminal.rtl_mode import MODES

NAME = "adjudicate"
HELP = "merge the annotators' finished work into a gold standard (the app, or --auto)"
DESCRIPTION = (
    "Adjudicate the documents at least two annotators marked done. Without --auto: the app, over "
    "the gold annotator's labels with every annotator's proposals beside them. With --auto "
    "unanimous|majority: write what all (or more than half) of them agree on, report what is left."
)
MIN_ANNOTATORS = 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    add_schema_argument(p)
    p.add_argument("--annotators", action="append", metavar="A,B,…",
                   help="whose work to merge (comma-separated or repeated; default: everyone but --as)")
    p.add_argument("--as", dest="gold", default="gold", metavar="NAME",
                   help="the annotator the result is written as (default gold)")
    p.add_argument("--auto", choices=("unanimous", "majority"),
                   help="without the app: write what all / more than half of the finished annotators agree on")
    p.add_argument("--take-over", action="store_true",
                   help="end the gold annotator's other session (even a live one) and open anyway")
    p.add_argument("--rtl-mode", choices=MODES, default="auto",
                   help="as for `annotate`")


def adjudicable(store, annotators: list[str] | None, gold: str) -> dict[str, dict]:
    """Document id -> the finished annotators' states, for documents at least two of them finished."""
    from annotator.adjudication import finished_states

    out = {}
    for doc_id in store.document_ids():
        states = finished_states(store, doc_id, annotators, gold)
        if len(states) >= MIN_ANNOTATORS:
            out[doc_id] = states
    return out


def _check_names(store, annotators: list[str] | None, gold: str) -> None:
    known = store.all_annotators()
    for name in annotators or ():
        if name not in known:
            raise AnnotatorError(f"no annotator {name!r} in {store.path} (it has: {', '.join(known) or 'none'})")
        if name == gold:
            raise AnnotatorError(f"{name!r} is the annotator gold is written as (--as): it cannot also be merged")


def run(args: argparse.Namespace) -> int:
    from annotator.adjudication import AdjudicationSession
    from annotator.store.base import storable_name
    from annotator.tui.bindings import RESERVED_HOTKEYS
    from annotator.tui.screens.adjudicate import ADJUDICATE_HOTKEYS

    gold = args.gold.strip()
    if not gold:
        raise AnnotatorError("--as needs a name")
    storable_name(gold, "--as")
    annotators = comma_list(args.annotators)
    schema = schema_from(args, reserved=RESERVED_HOTKEYS | ADJUDICATE_HOTKEYS)
    store = existing_store_from(args)
    try:
        _check_names(store, annotators, gold)
        docs = adjudicable(store, annotators, gold)
        session = AdjudicationSession(store, schema, gold, list(docs))
        ended = session.claim(take_over=args.take_over)
        if ended is not None and ended.state != "gone":
            how = "took over the live" if ended.state == "live" else "ended the expired"
            print(f"annotator: warning: {how} session of {gold!r} ({ended.describe()})", file=sys.stderr)
        try:
            if args.auto:
                return _auto(session, docs, args.auto)
            return _app(session, annotators, args)
        finally:
            store.release_session(gold)
    finally:
        store.close()


def _auto(session, docs: dict[str, dict], mode: str) -> int:
    from annotator.adjudication import auto_plan, candidates

    written = remaining = changed = unsettled = 0
    for doc_id, states in docs.items():
        doc = session.document(doc_id)
        plan = auto_plan(candidates(states), session.annotations(doc_id), doc.text, session.schema, mode)
        if plan.op is not None:
            session.apply(doc_id, plan.op)
            changed += 1
        written += len(plan.written)
        unsettled += sum(c.kind == "claim" and not c.settled for c in plan.written)
        remaining += len(plan.remaining)
        for cand, why in plan.refused:
            say(f"  {doc_id}: {cand.describe()} not written: {why}", file=sys.stderr)
    say(f"adjudicated {len(docs)} document(s) finished by at least {MIN_ANNOTATORS} annotators ({mode}): "
        f"{written} item(s) written into {session.annotator!r} in {changed} document(s); "
        f"{remaining} item(s) remain to decide by hand (`annotator adjudicate`)"
        + (f"; {unsettled} written claim(s) have attributes or a claimer the annotators disputed (left at "
           "the schema's default / unlinked): check them in the app" if unsettled else ""))
    return 0


def _app(session, annotators: list[str] | None, args: argparse.Namespace) -> int:
    from annotator.commands.annotate import terminal_mode
    from annotator.terminal.rtl_mode import enter_mode, exit_mode
    from annotator.tui.screens.adjudicate import AdjudicatorApp

    if not session.adjudicable:
        raise AnnotatorError(f"no document in {session.store.path} was marked done by at least "
                             f"{MIN_ANNOTATORS} annotators: nothing to adjudicate")
    mode = terminal_mode(args.rtl_mode)
    app = AdjudicatorApp(session, annotators, rtl_mode=mode)
    enter_mode(mode)
    try:
        app.run()
    finally:
        exit_mode(mode)
    return app.return_code or 0
