"""Issue 12 aim 3, "any store size": the app, the document list and `stats` on a store of --size documents.

Run: .venv/bin/python bench/bench_store_scale.py [--size 1000000] [--folder DIR] [--keep]
Builds a store of --size documents (default 1,000,000; short news sentences, 30% of them
labelled by "amal" with a mix of statuses, 0.1% flagged) with direct batched inserts, once,
in a temporary folder (or --folder; --keep leaves it there and a later run reuses it), and a
5-document store. Then it measures, printing each figure, and says which aims hold:

- the app's first screen (Pilot, headless) on both stores: within 2x of the 5-document store;
- the document list opening, and each typed character of an id, a text and a status filter
  (Pilot: the key press to the list repainted, and the store queries alone): under 0.5 s to
  open, under 100 ms per character;
- `annotator stats` (in-process and as a command): under 2 s;
- the query plans: text search through FTS5, statuses and counts through indexes.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from annotator.model.annotations import Annotations, Document, Entity  # noqa: E402
from annotator.model.operations import ReplaceAnnotations, apply_operation  # noqa: E402
from annotator.schema import default_schema_path, load_schema  # noqa: E402
from annotator.store.sql_reads import dumps_ascii, encode_text, now_iso, tally  # noqa: E402
from annotator.store.sqlite import SQLiteStore  # noqa: E402
from annotator.text.search_fold import fold  # noqa: E402

SCHEMA = load_schema(default_schema_path())
ANNOTATOR = "amal"
MARK = "@@DOC@@"


def sentences() -> list[str]:
    """Sentences of the bundled seeds, 60 to 300 characters: the texts of the generated store."""
    out = []
    for path in sorted((REPO / "seeds").glob("*.txt")):
        for part in re.split(r"(?<=[.!؟?])\s+|\n+", path.read_text(encoding="utf-8")):
            part = part.strip()
            if 60 <= len(part) <= 300:
                out.append(part)
    return out


def _template(text: str, status: str) -> tuple[str, str, str, str]:
    """A labelled state of ``text`` (two entities on words), its log entry and its tally, with the
    document id left as MARK: each labelled document fills in its own id."""
    words = [m.span() for m in re.finditer(r"\S{3,}", text)]
    entities = tuple(Entity(f"e{i}", s, e, label) for i, ((s, e), label) in
                     enumerate(zip(words[1::4][:2], ("PER", "ORG"), strict=False)))
    ann = Annotations(MARK, ANNOTATOR, entities=entities, status=status)
    after, inverse = apply_operation(ReplaceAnnotations(ann), Annotations(MARK, ANNOTATOR), text, SCHEMA)
    at = now_iso()
    after = after.with_(version=1, created_at=at, updated_at=at)
    return (dumps_ascii(after.to_json()), dumps_ascii(ReplaceAnnotations(ann).to_json()),
            dumps_ascii(inverse.to_json()), dumps_ascii(tally(after)))


def status_of(i: int) -> str | None:
    """Who is labelled and how: 30% of the documents, 0.1% of them flagged (a rare status)."""
    if i % 10 >= 3:
        return None
    if i % 1000 == 1:
        return "flagged"
    return ("done", "in_progress", "done", "skipped", "done")[(i // 10) % 5]


def build_store(path: Path, size: int, *, progress: bool = True) -> None:
    """``size`` documents (and labels) written straight into a new store, 20,000 rows per transaction."""
    SQLiteStore(path).close()  # the schema, made by the store itself
    texts = sentences()
    folded = [fold(t) for t in texts]
    templates: dict[tuple[int, str], tuple[str, str, str, str]] = {}
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    at = now_iso()
    start = time.perf_counter()
    step = 20_000
    for lo in range(0, size, step):
        docs, anns, log = [], [], []
        for i in range(lo, min(lo + step, size)):
            k = i % len(texts)
            doc_id = f"doc-{i:07d}"
            text = f"{texts[k]} [{i}]"
            doc = Document(doc_id, text)
            docs.append((i + 1, doc_id, encode_text(text), doc.hash, "{}", at, f"{doc_id} {folded[k]} [{i}]"))
            status = status_of(i)
            if status is not None:
                if (k, status) not in templates:
                    templates[(k, status)] = _template(texts[k], status)
                state, op, inverse, counted = templates[(k, status)]
                anns.append((doc_id, ANNOTATOR, state.replace(MARK, doc_id), 1, status, at, at, counted))
                log.append((doc_id, ANNOTATOR, "do", op.replace(MARK, doc_id), inverse.replace(MARK, doc_id), 1, at))
        db.execute("BEGIN")
        db.executemany("INSERT INTO documents(seq, id, text, hash, meta, added_at, search) VALUES (?,?,?,?,?,?,?)",
                       docs)
        db.execute("INSERT INTO documents_fts(rowid, search) SELECT seq, search FROM documents WHERE seq > ?", (lo,))
        db.executemany("INSERT INTO annotations(doc_id, annotator, state, version, status, created_at, updated_at, "
                       "counted) VALUES (?,?,?,?,?,?,?,?)", anns)
        db.executemany("INSERT INTO oplog(doc_id, annotator, action, op, inverse, version, at) "
                       "VALUES (?,?,?,?,?,?,?)", log)
        db.execute("COMMIT")
        if progress and (lo // step) % 10 == 0:
            done = min(lo + step, size)
            rate = done / (time.perf_counter() - start)
            print(f"  built {done:>9,} of {size:,} documents ({rate:,.0f}/s)", flush=True)
    db.execute("PRAGMA optimize")
    db.close()


def _app(db: Path, annotator: str = ANNOTATOR):
    from annotator.session import AnnotationSession
    from annotator.tui.app import AnnotatorApp

    store = SQLiteStore(db)
    return AnnotatorApp(AnnotationSession(store, SCHEMA, annotator), clock=lambda: ""), store


def leave_at_the_end(db: Path, annotator: str) -> None:
    """``annotator`` left off at the last document: resuming there counts the whole order up to it."""
    from annotator.store.base import Position

    store = SQLiteStore(db)
    store.set_position(annotator, Position(store.document_at(store.count_documents()), 0))
    store.close()


async def first_screen(db: Path, annotator: str = ANNOTATOR) -> float:
    """Seconds from opening the store to the annotate screen showing a document (Pilot, headless)."""
    from annotator.tui.screens.annotate import AnnotateScreen

    start = time.perf_counter()
    app, store = _app(db, annotator)
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, AnnotateScreen) and getattr(app.screen, "doc_id", None)):
            await pilot.pause(0.01)
        await pilot.pause()
        seconds = time.perf_counter() - start
        await pilot.press("ctrl+q")
    store.close()
    return seconds


async def document_list(db: Path, size: int) -> dict[str, object]:
    """The list through the app: open it, type an id, a text, pick a status, open the chosen document.

    For each step two figures: the list's own work (building the screen, or ``refill``: the store
    queries and the rows), and the key press until the app is idle again as Pilot sees it (which
    also holds Textual's repaint and Pilot's own waiting: compare it with the 5-document store)."""
    from textual.widgets import Select

    from annotator.tui.screens.documents import DocumentListScreen

    work: list[float] = []
    original_init, original_refill = DocumentListScreen.__init__, DocumentListScreen.refill

    def timed_init(self, *a, **k) -> None:
        t = time.perf_counter()
        original_init(self, *a, **k)
        work.append(time.perf_counter() - t)

    def timed_refill(self) -> None:
        t = time.perf_counter()
        original_refill(self)
        work.append(time.perf_counter() - t)

    DocumentListScreen.__init__, DocumentListScreen.refill = timed_init, timed_refill  # type: ignore[method-assign]
    out: dict[str, object] = {}
    app, store = _app(db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            main = app.screen
            start = time.perf_counter()
            await pilot.press("slash")
            await pilot.pause()
            assert isinstance(app.screen, DocumentListScreen)
            out["open"] = (sum(work), time.perf_counter() - start)
            listing = app.screen
            target = f"doc-{max(size * 3 // 4 - 3, 0):07d}"
            for name, query in (("id", target), ("text", "الحكومه المصريه")):
                times = []
                for ch in query:
                    work.clear()
                    t = time.perf_counter()
                    await pilot.press(ch if ch != " " else "space")
                    await pilot.pause()
                    times.append((sum(work), time.perf_counter() - t))
                out[f"typing {name}"] = times
                if name == "id":
                    assert listing._shown and listing._shown[0] == target, listing._shown[:3]
                for _ in query:
                    await pilot.press("backspace")
                await pilot.pause()
            select = listing.query_one("#filter", Select)
            times = []
            for status in ("flagged", "done", "todo"):
                work.clear()
                t = time.perf_counter()
                select.value = status
                await pilot.pause()
                times.append((sum(work), time.perf_counter() - t))
            out["status filter"] = times
            select.clear()
            await pilot.pause()
            for ch in target:
                await pilot.press(ch)
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            out["opened"] = getattr(main, "doc_id", None) == target
            await pilot.press("ctrl+q")
    finally:
        DocumentListScreen.__init__, DocumentListScreen.refill = original_init, original_refill  # type: ignore
        store.close()
    return out


def store_queries(db: Path, size: int) -> dict[str, list[float]]:
    """The store's answer to each prefix as it is typed (document_page + count_matching), no UI."""
    store = SQLiteStore(db)
    out: dict[str, list[float]] = {}
    for name, query, status in (("id", f"doc-{size // 2:07d}", None), ("text", "الحكومه المصريه", None),
                                ("text, done", "الحكومه", "done"), ("rare text", "زلزال", None)):
        times = []
        for n in range(1, len(query) + 1):
            t = time.perf_counter()
            store.document_page(ANNOTATOR, query=query[:n], status=status, limit=60)
            store.count_matching(ANNOTATOR, query=query[:n], status=status)
            times.append(time.perf_counter() - t)
        out[name] = times
    for status in ("flagged", "done", "todo", "skipped"):
        t = time.perf_counter()
        store.document_page(ANNOTATOR, status=status, limit=60)
        store.count_matching(ANNOTATOR, status=status)
        out[f"status {status}"] = [time.perf_counter() - t]
    store.close()
    return out


def plans(db: Path) -> list[str]:
    store = SQLiteStore(db)
    out = []
    for label, args in (("text", ("الحكومه", None)), ("rare status", ("", "flagged")), ("id", ("doc-00", None))):
        sql, params = store._listing(ANNOTATOR, *args, (0, False), None)
        detail = " / ".join(r[3] for r in store._read("EXPLAIN QUERY PLAN " + sql, params))
        out.append(f"{label}: {detail}")
    store.close()
    return out


def stats_times(db: Path) -> tuple[float, float, str]:
    import contextlib
    import io

    from annotator.cli import main

    buf = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        main(["stats", "--db", str(db)])
    inproc = time.perf_counter() - t
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "annotator", "stats", "--db", str(db)], capture_output=True,
                         text=True, cwd=REPO)
    cli = time.perf_counter() - t
    return inproc, cli, (res.stdout or buf.getvalue()).strip()


def ms(values: list[float]) -> str:
    return f"max {max(values) * 1000:6.1f} ms, median {sorted(values)[len(values) // 2] * 1000:6.1f} ms"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--folder", type=Path, default=None)
    p.add_argument("--keep", action="store_true", help="keep the built stores (reused by the next run)")
    args = p.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    big, small = folder / f"scale-{args.size}.db", folder / "scale-5.db"
    if not big.exists():
        print(f"building a {args.size:,}-document store in {folder} …", flush=True)
        t = time.perf_counter()
        build_store(big, args.size)
        print(f"  built in {time.perf_counter() - t:.0f} s, {big.stat().st_size / 1e9:.2f} GB", flush=True)
    if not small.exists():
        build_store(small, 5, progress=False)
    SQLiteStore(big).close()  # any migration or backfill happens here, not in a measurement

    small_first = min(asyncio.run(first_screen(small)) for _ in range(2))
    big_first = min(asyncio.run(first_screen(big)) for _ in range(2))
    for db in (small, big):
        leave_at_the_end(db, "late")
    small_late = min(asyncio.run(first_screen(small, "late")) for _ in range(2))
    big_late = min(asyncio.run(first_screen(big, "late")) for _ in range(2))
    ratio = max(big_first / small_first, big_late / small_late)
    print(f"first screen: {args.size:,} documents {big_first:.2f} s, 5 documents {small_first:.2f} s "
          f"({big_first / small_first:.2f}x; aim: within 2x)")
    print(f"  resuming at the last document: {big_late:.2f} s against {small_late:.2f} s "
          f"({big_late / small_late:.2f}x)")

    listing = asyncio.run(document_list(big, args.size))
    baseline = asyncio.run(document_list(small, 5))
    opened, opened_pilot = listing["open"]  # type: ignore[misc]
    print(f"document list opens: the list's work {opened * 1000:.0f} ms (aim: under 500 ms); key to idle in "
          f"Pilot {opened_pilot * 1000:.0f} ms (5 documents: {baseline['open'][1] * 1000:.0f} ms)")  # type: ignore
    for key in ("typing id", "typing text", "status filter"):
        pairs = listing[key]
        print(f"  {key:<14} per key: the list's work {ms([w for w, _ in pairs])}; "  # type: ignore[union-attr]
              f"key to idle in Pilot {ms([p for _, p in pairs])} "  # type: ignore[union-attr]
              f"(5 documents: {ms([p for _, p in baseline[key]])})")  # type: ignore[union-attr]
    print(f"  enter opened the chosen document: {listing['opened']}")
    queries = store_queries(big, args.size)
    for key, values in queries.items():
        print(f"  store query, {key:<14}: {ms(values)}")
    for line in plans(big):
        print(f"  plan {line}")

    inproc, cli, text = stats_times(big)
    print(f"stats: {inproc:.2f} s in process, {cli:.2f} s as a command (aim: under 2 s)")
    print("  " + text.replace("\n", "\n  "))

    typed = max(w for key in ("typing id", "typing text", "status filter") for w, _ in listing[key])  # type: ignore
    aims = {
        "first screen within 2x of 5 documents": ratio <= 2.0,
        "document list opens under 0.5 s": opened < 0.5,
        "each typed character under 100 ms": typed < 0.1,
        "the chosen document opens": bool(listing["opened"]),
        "stats under 2 s": cli < 2.0,
    }
    print(f"aim 3 at {args.size:,} documents:")
    for name, held in aims.items():
        print(f"  {'holds ' if held else 'MISSED'} {name}")
    if not args.keep and args.folder is None:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
