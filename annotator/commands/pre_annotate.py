"""``annotator pre-annotate``: run a recommender over documents and write its proposals.

Proposals go into annotator A's work on each document as pre-annotations (spans with source
``recommend:<name>``, never accepted labels), through the session (validated, logged, one undo
step per document); the annotator accepts or rejects them in the app. A "todo" document stays
"todo", and finished documents (done, skipped) are left alone. See docs/recommenders.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TextIO, TypeVar

from annotator.commands._common import (
    add_db_argument,
    add_schema_argument,
    comma_list,
    existing_store_from,
    schema_from,
)
from annotator.console import say, terminal_safe
from annotator.errors import AnnotatorError, OperationError, StoreError

NAME = "pre-annotate"
HELP = "propose entities and claims with a recommender (string-match, patterns, claim-cues, camel-ner)"
EPILOG = """exit codes:
  0  every chosen document was pre-annotated (or had nothing to propose)
  1  some documents could not be written (each is named)
  2  usage error (unknown recommender, bad patterns file, model not installed…): nothing written"""

T = TypeVar("T")

# options that only one built-in recommender reads: given to another, they are a mistake
_OPTION_OWNER = {"patterns": "patterns", "learn_from": "string-match", "cues": "claim-cues", "ner_model": "camel-ner"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    from annotator.recommend.base import BUILTIN

    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    add_db_argument(p)
    add_schema_argument(p)
    p.add_argument("--recommender", required=True, metavar="NAME",
                   help="one of: " + ", ".join(BUILTIN) + ", or a plug-in's (entry points annotator.recommenders)")
    p.add_argument("--annotator", metavar="A", help="whose work the proposals go into (default: your login)")
    p.add_argument("--documents", action="append", metavar="ID,…",
                   help="only these documents (comma-separated or repeated; default: the annotator's "
                        "assigned documents, else all)")
    p.add_argument("--learn-from", action="append", metavar="A,B",
                   help="string-match: whose labels it learns from (default: everyone's)")
    p.add_argument("--patterns", metavar="FILE", help="patterns: Prodigy patterns JSONL or a text<TAB>label file")
    p.add_argument("--cues", metavar="FILE", help="claim-cues: a cue file in place of the bundled claim_cues.yaml")
    p.add_argument("--ner-model", metavar="DIR", help="camel-ner: a model folder in place of the installed one")


class _Bar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal (never in a log or pipe)."""

    def __init__(self, stream: TextIO, total: int | None, what: str) -> None:
        self.stream, self.total, self.what = stream, total, what
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._drawn = 0.0

    def update(self, done: int, total: int | None = None, what: str | None = None, *, force: bool = False) -> None:
        if not self.live:
            return
        if total is not None:
            self.total = total
        if what:
            self.what = what
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        elapsed = f"{now - self.started:.0f}s"
        if self.total:
            filled = int(30 * done / self.total)
            line = f"{self.what} [{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} {elapsed}"
        else:
            line = f"{self.what}… {done or ''} {elapsed}"
        self.stream.write("\r\x1b[2K" + terminal_safe(line, one_line=True))
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _waiting(future: Future[T], bar: _Bar, done: int | Callable[[], int]) -> T:
    """The worker's result, redrawing the bar while it works (a model can take seconds per document)."""
    while True:
        try:
            return future.result(timeout=0.1)
        except TimeoutError:
            bar.update(done() if callable(done) else done)


def _options(args: argparse.Namespace, store: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    learn_from = comma_list(args.learn_from) or []
    if learn_from:
        known = set(store.all_annotators())
        unknown = [n for n in learn_from if n not in known]
        if unknown:
            raise AnnotatorError(f"--learn-from: no labels by {', '.join(unknown)} in this store "
                                 f"(annotators: {', '.join(sorted(known)) or 'none'})")
        options["learn_from"] = learn_from
    for key in ("patterns", "cues", "ner_model"):
        if getattr(args, key):
            options[key] = getattr(args, key)
    return options


def run(args: argparse.Namespace) -> int:
    from annotator.recommend.apply import proposals_operation
    from annotator.recommend.base import BUILTIN, RecommendContext, get_recommender
    from annotator.recommend.patterns import PatternsError
    from annotator.session import AnnotationSession, default_annotator

    recommender = get_recommender(args.recommender)
    schema = schema_from(args)
    annotator = args.annotator or default_annotator()
    store = existing_store_from(args)
    err = sys.stderr
    try:
        options = _options(args, store)
        if args.recommender in BUILTIN:
            for key in options:
                if _OPTION_OWNER[key] != args.recommender:
                    flag = "--" + key.replace("_", "-")
                    raise AnnotatorError(f"{flag} is an option of the {_OPTION_OWNER[key]} recommender, "
                                         f"not of {args.recommender}")
        context = RecommendContext(schema, annotator, options)
        all_ids = store.document_ids()
        wanted = comma_list(args.documents) or []
        if wanted:
            missing = [d for d in wanted if d not in set(all_ids)]
            if missing:
                raise AnnotatorError(f"--documents: no document {', '.join(missing[:5])}"
                                     f"{' …' if len(missing) > 5 else ''} in {args.db}")
            ids = list(dict.fromkeys(wanted))
        else:
            ids = store.assigned_documents(annotator) or all_ids
        statuses = store.statuses(annotator)
        finished = [d for d in ids if statuses.get(d) in ("done", "skipped")]
        ids = [d for d in ids if statuses.get(d) not in ("done", "skipped")]

        # the bar draws with \r and an erase-line escape, so it writes past the message escaping
        # of cli.main's stderr wrapper (console.SafeMessages); its own text is made safe in _Bar
        bar = _Bar(getattr(err, "_stream", err), None, f"{recommender.name}: preparing")
        worker = ThreadPoolExecutor(max_workers=1) if recommender.slow else None
        try:
            prepared = [0]

            def tick(done: int, total: int | None, what: str) -> None:
                prepared[0] = done
                if worker is None:  # a slow recommender's worker must not draw: the main thread does
                    bar.update(done, total, what)
                else:
                    bar.what = what

            try:
                if worker is not None:
                    _waiting(worker.submit(recommender.prepare, store, context, tick), bar, lambda: prepared[0])
                else:
                    recommender.prepare(store, context, tick)
            except PatternsError as exc:
                bar.close()
                for problem in exc.problems:
                    print(f"  {problem}", file=err)
                raise
            session = AnnotationSession(store, schema, annotator)
            bar.total, bar.what = len(ids), f"{recommender.name}: proposing"
            proposed = added = touched = 0
            failed: list[str] = []
            for n, doc_id in enumerate(ids):
                bar.update(n)
                doc = session.document(doc_id)
                state = session.annotations(doc_id)
                if worker is not None:
                    found = _waiting(worker.submit(recommender.propose, doc, state, context), bar, n)
                else:
                    found = recommender.propose(doc, state, context)
                proposed += len(found)
                op = proposals_operation(found, state, doc.text, schema)
                if op is None:
                    continue
                try:
                    session.apply(doc_id, op)
                except (OperationError, StoreError) as exc:
                    failed.append(doc_id)
                    bar.close()
                    print(f"{doc_id}: proposals not written: {exc}", file=err)
                    continue
                added += len(op.entities) + len(op.claims)
                touched += 1
            bar.update(len(ids), force=True)
        finally:
            bar.close()
            if worker is not None:
                worker.shutdown(wait=True)
    finally:
        store.close()
    say(f"{recommender.name}: {added} proposal(s) added for {annotator} on {touched} of {len(ids)} document(s)"
        + (f" ({proposed - added} of {proposed} left out: already labelled, rejected, or against the schema)"
           if proposed > added else ""))
    if finished:
        say(f"  {len(finished)} finished document(s) (done or skipped) left alone")
    unmapped = getattr(recommender, "unmapped", None)
    if unmapped:
        say(f"  not proposed, no label for them in schema {schema.name}: "
            + ", ".join(f"{kind} {count}" for kind, count in sorted(unmapped.items())))
    if failed:
        say(f"  {len(failed)} document(s) not written (named above)")
        return 1
    return 0
