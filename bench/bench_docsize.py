"""Any document size (issue 12, aims 2 and 5): opening, memory and keys on one huge document.

Builds its own single-document stores (the store API, in a child process), then opens each
in a fresh child process running the real app headless (Textual's ``run_test``, 100×30) and
measures:

- time to the first screen: from opening the store to the first screen painted with the
  document (the cursor's window; the cursor starts at the top), median of ``--rounds``, and its
  ratio to the 3 KB document's (aim 2: at most 2); with how much of the text was read for it (a
  big text is read by ranges: ``layout.stored.StoredText``);
- peak resident memory of that process (``ru_maxrss``), beyond the small document's;
- keystroke latency at the end of the document (after ``ctrl+end``): from the key event to
  the end of the repaint it caused (as ``bench_tui.py`` measures it), p50/p95;
- one label key, one find (ctrl+f, a word, enter) and one ``g`` there: their latency and
  whether they did what they should (an entity added at the cursor, the cursor on a match,
  the cursor on a sentence with no label);
- keystroke latency inside a 1 MB single-line paragraph (aim 5: only the lines on screen
  are wrapped and laid out).

Default sizes: 3 KB and 10 MB (about two minutes); ``--full`` adds 100 MB (building its
store takes a minute, and it needs about 1 GB of free memory while it is built).

    .venv/bin/python bench/bench_docsize.py [--full] [--rounds 3] [--keys 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import _common  # noqa: E402
from _common import machine  # noqa: E402
from _keyclock import KeyClock, percentile  # noqa: E402

KEY_BUDGET_MS = 16.0
OPEN_RATIO = 2.0
MEMORY_BUDGET_MB = 300.0
QUERY = "سوريا"


def seed_paragraphs() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((REPO / "annotator" / "bundled" / "seeds").glob("*.txt"))]
    return [p for s in seeds for p in s.split("\n") if p.strip()]


def document_text(nbytes: int, single_line: bool = False) -> str:
    """About ``nbytes`` of UTF-8 seed text, paragraphs numbered so none repeats exactly
    (joined by spaces into one line when ``single_line``)."""
    paragraphs = seed_paragraphs()
    out: list[str] = []
    size = i = 0
    while size < nbytes:
        para = f"({i}) {paragraphs[i % len(paragraphs)]}"
        out.append(para)
        size += len(para.encode("utf-8")) + 1
        i += 1
    return (" " if single_line else "\n").join(out)


def build_store(path: Path, nbytes: int, single_line: bool) -> None:
    from annotator.model.annotations import Document
    from annotator.store import open_store

    store = open_store(str(path))
    store.add_document(Document("big", document_text(nbytes, single_line)))
    store.close()


async def child(store_path: str, keys: int, middle: bool) -> dict:
    """Runs in a fresh process: open the app on the store, then (``keys``) measure keys."""
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession
    from annotator.store import open_store
    from annotator.tui.app import AnnotatorApp
    from annotator.tui.widgets.document_view import DocumentView

    schema = load_schema(default_schema_path())
    start = time.perf_counter()
    store = open_store(store_path)
    session = AnnotationSession(store, schema, f"bench{os.getpid()}")
    app = AnnotatorApp(session, clock=lambda: "")
    out: dict = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        out["open_ms"] = (time.perf_counter() - start) * 1000
        view = app.screen.query_one(DocumentView)
        out["chars"] = len(view.text)
        stats = getattr(view.text, "stats", None)  # a big text is read by ranges (layout.stored.StoredText)
        out["read_at_open"] = stats["read"] if stats is not None and not stats["whole"] else len(view.text)
        out["rss_open_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if keys:
            clock = KeyClock(app)

            async def timed(*press: str) -> float:
                return (await clock.press(pilot, *press, settle=0.05))[0]

            if middle:  # into the middle of the paragraph, without a key per word
                view.move_to(len(view.text) // 2)
                view.scroll_cursor_into_view(center=True)
            else:
                await pilot.press("ctrl+end")
            await pilot.pause()
            out["cursor_at"] = view.cursor
            moves = []
            for i in range(keys):
                moves.append(await timed("left" if i % 4 else "down"))
                moves.append(await timed("shift+left"))
                await pilot.press("escape")
            out["key_p50_ms"] = percentile(moves, 0.5)
            out["key_p95_ms"] = percentile(moves, 0.95)
            out["keys"] = len(moves)
            out["worst_ms"] = [round(v, 1) for v in sorted(moves)[-8:]]
            # one label, one find, one g, there
            word = view.nav.token_span(view.cursor)
            out["label_ms"] = await timed("1")
            await pilot.pause(0.2)
            state = app.screen.editor.state
            out["label_ok"] = any((e.start, e.end) == word for e in state.entities)
            await pilot.press("ctrl+f")
            await pilot.pause()
            for ch in QUERY:
                await pilot.press(ch)
            await pilot.pause()
            out["find_ms"] = await timed("enter")
            sel = view.selection
            out["find_ok"] = sel is not None and view.text[sel.start:sel.end] == QUERY
            await pilot.press("escape")
            out["g_ms"] = await timed("g")
            sentence = view.nav.sentence_span(view.cursor)
            out["g_ok"] = sentence is not None and not view.spans.covers(*sentence)
            out["layout_windows_cached"] = len(view.doc_layout._lines)
            out["index_chars_tokenized"] = view.index.stats["tokenized"]
        out["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    return out


def run_child(store: Path, keys: int, middle: bool = False) -> dict:
    return _common.run_child([__file__, "--child", str(store), "--keys", str(keys)] + (["--middle"] if middle else []),
                             store, timeout=1800)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 100 MB")
    parser.add_argument("--rounds", type=int, default=3, help="openings per size (median)")
    parser.add_argument("--keys", type=int, default=60, help="key pairs timed per document")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--middle", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.keys, args.middle))))
        return
    if args.build:
        build_store(Path(args.build[0]), int(args.build[1]), args.build[2] == "line")
        return

    sizes = [("3 KB", 3_000), ("10 MB", 10_000_000)] + ([("100 MB", 100_000_000)] if args.full else [])
    tmp = Path(tempfile.mkdtemp(prefix="bench-docsize-"))
    try:
        print(f"machine: {machine()}")
        stores = {}
        for name, nbytes in [*sizes, ("1 MB line", 1_000_000)]:
            path = tmp / f"{name.replace(' ', '_')}.db"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--build", str(path), str(nbytes),
                            "line" if "line" in name else "paras"], check=True, timeout=3600)
            stores[name] = path
            print(f"built {name} store in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.1f} MB file)")
        results: dict[str, dict] = {}
        opens: dict[str, list[float]] = {name: [] for name, _ in sizes}
        for r in range(args.rounds):  # sizes alternate within each round
            for name, _ in sizes:
                res = run_child(stores[name], args.keys if r == 0 else 0)
                opens[name].append(res["open_ms"])
                if r == 0:
                    results[name] = res
        line = run_child(stores["1 MB line"], args.keys, middle=True)

        small = "3 KB"
        base_open = statistics.median(opens[small])
        base_rss = results[small]["rss_peak_mb"]
        print()
        print(f"{'document':>10} {'chars':>11} {'open ms':>8} {'ratio':>6} {'peak RSS MB':>11} {'+ over 3 KB':>11} "
              f"{'key p50':>8} {'key p95':>8} {'label':>12} {'find':>12} {'g':>12}")
        holds = True
        for name, _ in sizes:
            res = results[name]
            med = statistics.median(opens[name])
            ratio = med / base_open
            extra = res["rss_peak_mb"] - base_rss

            def act(key: str, res: dict = res) -> str:
                return f"{res[key + '_ms']:6.1f} {'ok' if res[key + '_ok'] else 'FAIL'}"
            print(f"{name:>10} {res['chars']:>11,} {med:8.0f} {ratio:6.2f} {res['rss_peak_mb']:11.0f} {extra:11.0f} "
                  f"{res['key_p50_ms']:8.2f} {res['key_p95_ms']:8.2f} {act('label'):>12} {act('find'):>12} "
                  f"{act('g'):>12}")
            if name != small:
                ok_open = ratio <= OPEN_RATIO
                ok_mem = extra < MEMORY_BUDGET_MB
                ok_keys = res["key_p95_ms"] < KEY_BUDGET_MS
                ok_acts = res["label_ok"] and res["find_ok"] and res["g_ok"]
                holds = holds and ok_open and ok_mem and ok_keys and ok_acts
                print(f"{'':>10} aim 2 at {name}: open within {OPEN_RATIO}× of 3 KB: {'yes' if ok_open else 'NO'}; "
                      f"memory under {MEMORY_BUDGET_MB:.0f} MB beyond 3 KB: {'yes' if ok_mem else 'NO'}; "
                      f"key p95 under {KEY_BUDGET_MS:.0f} ms: {'yes' if ok_keys else 'NO'}; "
                      f"label, find and g work: {'yes' if ok_acts else 'NO'}")
        print("text read for the first screen (code points): " + "; ".join(
            f"{n}: {results[n].get('read_at_open', results[n]['chars']):,} of {results[n]['chars']:,}" for n, _ in sizes))
        print("openings per size (ms): " + "; ".join(f"{n}: {', '.join(f'{v:.0f}' for v in opens[n])}"
                                                     for n, _ in sizes))
        print("worst keys (ms; the tail the p95 hides): " + "; ".join(
            f"{n}: {', '.join(f'{v:.0f}' for v in r['worst_ms'][-4:])}"
            for n, r in [*((n, results[n]) for n, _ in sizes), ("1 MB line", line)]))
        ok_line = line["key_p95_ms"] < KEY_BUDGET_MS
        print(f"\n1 MB single-line paragraph ({line['chars']:,} chars), cursor in its middle: open {line['open_ms']:.0f} ms, "
              f"key p50 {line['key_p50_ms']:.2f} ms, p95 {line['key_p95_ms']:.2f} ms; "
              f"label {'ok' if line['label_ok'] else 'FAIL'}, find {'ok' if line['find_ok'] else 'FAIL'}, "
              f"g {'ok' if line['g_ok'] else 'FAIL'}")
        print(f"aim 5 (the per-paragraph path fits the key budget on a 1 MB paragraph): {'holds' if ok_line else 'NOT met'}")
        print(f"aim 2 ({', '.join(n for n, _ in sizes[1:])}): {'holds' if holds else 'NOT met'}"
              + ("" if args.full else " (100 MB not run: --full)"))
        print(f"machine after the run: {machine()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
