"""``annotator annotate``: open the annotation app (the README's "run" command).

With no PATH it opens the store (default ``annotations.db``), first importing the
bundled ``seeds/`` when the store is empty; PATHs (``.txt`` files or folders) are
imported first, duplicates skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from annotator.commands._common import add_db_argument, add_schema_argument, schema_from, store_from
from annotator.errors import AnnotatorError
from annotator.terminal.rtl_mode import MODES

if TYPE_CHECKING:
    from concurrent.futures import Future

    from annotator.session import AnnotationSession
    from annotator.store import SessionClaim

NAME = "annotate"
HELP = "label entities and claims in the terminal (the default command)"
DESCRIPTION = (
    "Open the annotation app. With no PATH it opens the store (--db), importing the bundled "
    "seeds/ first when the store is empty; PATHs (.txt files or folders) are imported first, "
    "duplicates skipped. Every change is saved when it is made; ctrl+q quits, ? lists every key."
)


def seeds_dir():
    """The bundled seeds folder as a context manager yielding a real directory (wheel-safe)."""
    from annotator import bundled

    return bundled.seeds()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=".txt files or folders to import before opening (duplicates are skipped)")
    add_schema_argument(p)
    add_db_argument(p)
    p.add_argument("--annotator", metavar="NAME", help="whose labels these are (default: your login name)")
    p.add_argument("--rtl-mode", choices=MODES, default="auto",
                   help="how to stop the terminal re-ordering the already ordered text: auto (probe), "
                        "explicit (ECMA-48 BDSM), lro (wrap lines in LRO…PDF), plain (nothing)")
    p.add_argument("--theme", choices=("dark", "light"), default="dark", help="colour theme (ctrl+t switches)")
    p.add_argument("--keymap", metavar="FILE",
                   help="YAML file rebinding keys by binding id (default: $XDG_CONFIG_HOME/annotator/keymap.yaml "
                        "or ~/.config/annotator/keymap.yaml, if it exists); see docs/tui.md")
    p.add_argument("--recommender", action="append", default=[], metavar="NAME",
                   help="propose on each opened document with this recommender (repeatable): string-match, "
                        "patterns, claim-cues, camel-ner or a plug-in's; see docs/recommenders.md")
    p.add_argument("--take-over", action="store_true",
                   help="end this annotator's other session (even a live one, on any machine) and open anyway")


def _import(store, schema, paths: list[str]) -> None:
    from annotator.importing import import_paths

    def show(problem) -> None:
        print(f"  {problem}", file=sys.stderr)

    summary = import_paths(store, schema, paths, on_problem=show)
    if summary.documents_added or summary.rejected:
        for line in summary.lines():
            print(line, file=sys.stderr)


def terminal_mode(requested: str) -> str:
    """The bidi mode to run in: ``auto`` asks the terminal (before Textual takes it over)."""
    from annotator.terminal.rtl_mode import probe_bdsm, resolve_mode

    probe = probe_bdsm() if requested == "auto" else None
    return resolve_mode(requested, probe)


def _recommenders(names: list[str]) -> tuple:
    """One recommender per distinct name, in the order given (``AnnotatorError`` for an unknown one)."""
    if not names:
        return ()  # recommend is not imported unless asked for
    from annotator.recommend import get_recommender

    return tuple(get_recommender(name) for name in dict.fromkeys(names))


def run(args: argparse.Namespace) -> int:
    # The cyclic collector is off until the first paint (``AnnotatorApp.started``): start-up makes
    # hundreds of thousands of objects that live as long as the app, and collecting walked them all.
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


@contextlib.contextmanager
def _collecting() -> Iterator[None]:
    """The collector on while PATHs are imported (any number of files: their garbage is not
    start-up's bounded few cycles), off again after."""
    gc.enable()
    try:
        yield
    finally:
        gc.disable()


def _claim_meanwhile(session: AnnotationSession, *, take_over: bool) -> Future[SessionClaim | None]:
    """``session.claim`` on a thread of its own, started at once; the future's ``result()`` waits for
    it and returns (or raises) what the claim did.

    Why: the claim is one write, committed with ``synchronous=FULL`` (the store's rule), so it waits
    for the disk (4–15 ms here) and uses almost no CPU; meanwhile ``annotate`` imports the app, about
    100 ms of CPU. The store is used by nothing else until ``result()`` (one thread at a time).
    ``concurrent.futures`` costs start-up nothing: asyncio (which Textual needs) imports it, already
    before this is called (``python -X importtime``)."""
    from concurrent.futures import Future

    claimed: Future[SessionClaim | None] = Future()

    def claim() -> None:
        try:
            claimed.set_result(session.claim(take_over=take_over))
        except BaseException as exc:  # handed to the caller's thread by ``result``
            claimed.set_exception(exc)

    threading.Thread(target=claim, name="claim", daemon=True).start()
    return claimed


def _run(args: argparse.Namespace) -> int:
    from annotator.session import AnnotationSession, default_annotator
    from annotator.tui.bindings import RESERVED_HOTKEYS
    from annotator.tui.keymap import find_keymap

    schema = schema_from(args, reserved=RESERVED_HOTKEYS)
    recommenders = _recommenders(args.recommender or [])  # an unknown name is refused before anything opens
    keymap = find_keymap(args.keymap)
    if keymap is not None:
        keymap.resolve(schema)  # a bad keymap is refused before the store is opened or changed
    store = store_from(args)
    name = args.annotator or default_annotator()
    try:
        if args.paths:
            with _collecting():
                _import(store, schema, args.paths)
        elif store.document_at(1) is None:  # empty (counting every document would cost a scan)
            with seeds_dir() as seeds, _collecting():
                _import(store, schema, [str(seeds)])
        session = AnnotationSession(store, schema, name)
    except AnnotatorError:
        store.close()
        raise
    claiming = _claim_meanwhile(session, take_over=args.take_over)
    try:
        from annotator.terminal.rtl_mode import enter_mode, exit_mode
        from annotator.tui.app import AnnotatorApp  # imported while the claim waits for the disk
    finally:
        try:
            ended = claiming.result()  # a refused claim raises here, before anything is drawn
        except BaseException:
            store.close()
            raise
    try:
        if ended is not None and ended.state != "gone":
            how = "took over the live" if ended.state == "live" else "ended the expired"
            print(f"annotator: warning: {how} session of {name!r} ({ended.describe()})", file=sys.stderr)
        mode = terminal_mode(args.rtl_mode)
        app = AnnotatorApp(session, rtl_mode=mode, keymap=keymap, recommenders=recommenders,
                           theme="textual-light" if args.theme == "light" else "textual-dark")
        enter_mode(mode)
        try:
            app.run()
        finally:
            exit_mode(mode)
    finally:
        try:
            store.release_session(name)
        finally:
            store.close()
    return app.return_code or 0
