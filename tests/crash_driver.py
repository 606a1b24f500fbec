"""A worker the hardening tests run in subprocesses, then kill or race against each other.

Every mode drives the same layer the TUI uses (``AnnotationSession`` over
``SQLiteStore``, ``import_paths``, ``export_store``) and prints one flushed line
per acknowledged call, so the test knows exactly what the user was told was saved:

    ops DB SEED STEPS          the deterministic step plan of ``plan(SEED)``; "ACK <n>" after step n
    import DB FILE             import a JSONL file; "START" when it begins, "DONE" at the end
    export DB OUT              export the store as native JSONL to OUT, atomically; "DONE" at the end
    hammer DB ANNOTATOR N      N entity additions as fast as possible; "ACK <i>" after each
    hold DB SECONDS ROUNDS     hold the write lock SECONDS at a time, ROUNDS times; "HELD <i>" each time

Errors are printed as "ERROR <message>" (and exit 3) so the test sees them as
text, never as a traceback.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from annotator.errors import AnnotatorError, OperationError  # noqa: E402
from annotator.model.annotations import Document  # noqa: E402
from annotator.schema import default_schema_path, load_schema  # noqa: E402
from annotator.session import AnnotationSession  # noqa: E402
from annotator.store.sqlite import SQLiteStore  # noqa: E402

ANNOTATOR = "crash"
BASE = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
DOC_COUNT = 4
LABELS = ("PER", "ORG", "GPE", "LOC", "DATE")


def kill_once_stored(proc, db: Path | str, seed: int, spread: float) -> None:
    """SIGKILL ``proc`` (an import into the SQLite store ``db``) a random moment within ``spread``
    seconds after its first document is stored (read-only polling; at most 120 s), and reap it: the
    kill-mid-import tests of both import paths land it the same way."""
    import signal
    try:
        deadline, stored = time.monotonic() + 120, 0
        while stored == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as ro:
                    stored = ro.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            except sqlite3.Error:
                pass
        time.sleep(random.Random(seed).uniform(0, spread))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()


def doc_text(i: int) -> str:
    return f"{BASE} ({i})"


def plan(seed: int, steps: int) -> list[tuple]:
    """A deterministic list of steps: the same seed always gives the same actions.

    The steps do not know the state; one that the state refuses (an overlap, an
    undo with nothing to undo) is a refusal, and refusals are part of the plan too.
    """
    rng = random.Random(seed)
    words = [(0, 3), (4, 9), (10, 14), (15, 17), (18, 22), (23, 28), (29, 40), (41, 46), (47, 50),
             (51, 58), (59, 62), (63, 67)]
    out: list[tuple] = [("add_doc", i) for i in range(DOC_COUNT)]
    while len(out) < steps:
        doc = f"d{rng.randrange(DOC_COUNT)}"
        r = rng.random()
        if r < 0.35:
            start, end = rng.choice(words)
            out.append(("add_entity", doc, start, end, rng.choice(LABELS)))
        elif r < 0.45:
            out.append(("remove_entity", doc, f"e{rng.randrange(1, 8)}"))
        elif r < 0.52:
            out.append(("relabel_entity", doc, f"e{rng.randrange(1, 8)}", rng.choice(LABELS)))
        elif r < 0.62:
            out.append(("undo", doc))
        elif r < 0.68:
            out.append(("redo", doc))
        elif r < 0.74:
            start, end = rng.choice(words)
            out.append(("add_claim", doc, start, min(len(BASE), end + rng.randrange(0, 30))))
        elif r < 0.80:
            out.append(("set_notes", doc, "ملاحظة " * rng.randrange(0, 4) + str(rng.randrange(100))))
        elif r < 0.86:
            out.append(("set_status", doc, rng.choice(("in_progress", "flagged", "skipped", "done"))))
        elif r < 0.92:
            out.append(("link_claimer", doc, f"c{rng.randrange(1, 4)}", f"e{rng.randrange(1, 8)}"))
        else:
            out.append(("save_position", doc, rng.randrange(60)))
    return out


def run_step(session: AnnotationSession, step: tuple) -> str:
    """Apply one step; returns "ok" or "refused" (a refused step changes nothing)."""
    kind, *args = step
    try:
        if kind == "add_doc":
            session.store.add_document(Document(f"d{args[0]}", doc_text(args[0])))
        elif kind in ("undo", "redo"):
            done = getattr(session, kind)(*args)
            return "ok" if done is not None else "refused"
        elif kind == "save_position":
            session.save_position(*args)
        else:
            getattr(session, kind)(*args)
    except OperationError:
        return "refused"
    return "ok"


def schema():
    return load_schema(default_schema_path())


def _ops(db: str, seed: int, steps: int) -> None:
    store = SQLiteStore(db)
    store.claim_session(ANNOTATOR)  # as the TUI does: a stale claim of a killed run must not block
    session = AnnotationSession(store, schema(), ANNOTATOR)
    for n, step in enumerate(plan(seed, steps), start=1):
        run_step(session, step)
        print(f"ACK {n}", flush=True)
    store.close()


def _import(db: str, path: str) -> None:
    from annotator.importing import import_paths

    store = SQLiteStore(db)
    rules = schema()
    print("START", flush=True)
    summary = import_paths(store, rules, [path], format_name="native")
    store.close()
    for problem in summary.problems:
        print(f"PROBLEM {problem}", flush=True)
    print("DONE", flush=True)


def _export(db: str, out: str) -> None:
    from annotator.exporting import export_store
    from annotator.formats.base import get_format

    store = SQLiteStore(db)
    export_store(store, schema(), get_format("native"), out)
    store.close()
    print("DONE", flush=True)


def _hammer(db: str, annotator: str, n: int) -> None:
    store = SQLiteStore(db)
    session = AnnotationSession(store, schema(), annotator)
    ids = session.document_ids()
    for i in range(n):
        doc = ids[i % len(ids)]
        # Each document gets its entities at distinct single characters: never an overlap.
        k = i // len(ids)
        session.add_entity(doc, k, k + 1, LABELS[i % len(LABELS)])
        print(f"ACK {i + 1}", flush=True)
    store.close()


def _hold(db: str, seconds: float, rounds: int) -> None:
    raw = sqlite3.connect(db, isolation_level=None, timeout=60)
    for i in range(rounds):
        raw.execute("BEGIN IMMEDIATE")
        print(f"HELD {i + 1}", flush=True)
        time.sleep(seconds)
        raw.execute("COMMIT")
        time.sleep(0.05)
    raw.close()


def main(argv: list[str]) -> int:
    mode, db, *rest = argv
    try:
        if mode == "ops":
            _ops(db, int(rest[0]), int(rest[1]))
        elif mode == "import":
            _import(db, rest[0])
        elif mode == "export":
            _export(db, rest[0])
        elif mode == "hammer":
            _hammer(db, rest[0], int(rest[1]))
        elif mode == "hold":
            _hold(db, float(rest[0]), int(rest[1]))
        else:
            print(f"ERROR unknown mode {mode}", flush=True)
            return 2
    except AnnotatorError as exc:
        print(f"ERROR {exc}", flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
