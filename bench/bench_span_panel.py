"""The side panel's own work per change among thousands of spans (issue 12, aim 2), REV's code and this checkout.

In the app run headless, a document with N proposals (one word in three): a label on a free word near the top
(its change found beforehand, as the editor does once per state shown), handed to ``SpanPanel.follow`` and
``show``, then every line on screen drawn (``render_line``, as a repaint would); then its undo the same way;
``--changes`` times in all. Only calls both panels answer (``follow``, ``show``, ``render_line``), so the same
child runs on REV's code (``git archive`` into a temporary folder, put first on the child's ``sys.path``) and on
this checkout, alternating, with 100 proposals on the same text as the reference (whatever the spans cost).

Figures: UI-thread CPU per change (``thread_time``), median of the rounds; with ``--callgrind`` also the
instructions per change, counted by valgrind (a run with the changes less one without, over ``--changes``):
a figure the machine's load does not change.

    .venv/bin/python bench/bench_span_panel.py --before bdb17ed [--spans 8000,30000] [--changes 200] [--callgrind]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))  # this checkout's code, not the shared venv's install (REV's goes before it)

import _common  # noqa: E402

WORD = "بيت"


def at(k: int) -> int:
    """Where the ``k``th word starts."""
    return k * (len(WORD) + 1)


def build_store(path: Path, spans: int, words_for: int) -> None:
    """One document of ``3 * words_for`` words with ``spans`` proposals, one word in three."""
    from annotator.model.annotations import Document, Entity
    from annotator.model.operations import AddProposals
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession
    from annotator.store import open_store

    store = open_store(str(path))
    store.add_document(Document("big", " ".join([WORD] * (3 * words_for + 10))))
    proposals = tuple(Entity(f"p{i}", at(3 * i), at(3 * i) + len(WORD), "GPE", source="string-match")
                      for i in range(spans))
    AnnotationSession(store, load_schema(default_schema_path()), "bench").apply("big", AddProposals(proposals))
    store.close()


async def child(store_path: str, changes: int) -> dict:
    """``changes`` panel updates (a label, its undo, …) with the lines on screen drawn after each; their CPU."""
    import dataclasses

    import annotator
    from annotator.editing.spans import SpanChange
    from annotator.model.annotations import Entity
    from annotator.schema import default_schema_path, load_schema
    from annotator.session import AnnotationSession
    from annotator.store import open_store
    from annotator.tui.app import AnnotatorApp
    from annotator.tui.widgets.span_panel import SpanPanel

    schema = load_schema(default_schema_path())
    app = AnnotatorApp(AnnotationSession(open_store(store_path), schema, "bench"), clock=lambda: "")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(SpanPanel)
        text, plain = app.screen.view.text, app.screen.state
        label = Entity("h1", at(1), at(1) + len(WORD), "PER")  # a free word: the second row
        labelled = dataclasses.replace(plain, entities=(plain.entities[0], label, *plain.entities[1:]))
        steps = [(SpanChange(plain, labelled), labelled), (SpanChange(labelled, plain), plain)]
        height = panel.scrollable_content_region.height
        for y in range(height):
            panel.render_line(y)
        start = time.thread_time()
        for k in range(changes):
            change, state = steps[k % 2]
            panel.follow(change)
            panel.show(text, state)
            for y in range(height):
                panel.render_line(y)
        cpu_ms = (time.thread_time() - start) * 1000 / max(changes, 1)
    app.session.store.close()
    return {"code": str(Path(annotator.__file__).parent), "cpu_ms": cpu_ms, "spans": len(plain.entities)}


def run(store: Path, code: Path | None, changes: int, callgrind: bool = False) -> dict | int:
    """The child on a copy of ``store``, on ``code`` (None: this checkout); its figures, or its instructions."""
    env = dict(os.environ)
    if code is not None:
        env["BENCH_CODE"] = str(code)
    copy = store.with_name("copy.db")
    shutil.copyfile(store, copy)
    command = [sys.executable, __file__, "--child", str(copy), "--changes", str(changes)]
    if callgrind:
        return _common.callgrind_instructions(command, env)
    res = _common.run_child(command[1:], copy, timeout=3600, env=env)
    assert (code is None) == (res["code"] == str(REPO / "annotator")), res
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV", required=False, default="bdb17ed", help="the code compared with")
    parser.add_argument("--spans", default="8000,30000", metavar="N,N", help="the spans of each document")
    parser.add_argument("--changes", type=int, default=200, help="changes per child (a label, its undo, …)")
    parser.add_argument("--rounds", type=int, default=3, help="children each way, alternating")
    parser.add_argument("--callgrind", action="store_true", help="also instructions per change (slow)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if os.environ.get("BENCH_CODE"):
            sys.path.insert(0, os.environ["BENCH_CODE"])
        print(json.dumps(asyncio.run(child(args.child, args.changes))))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-panel-"))
    try:
        old = tmp / "before"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.before, "annotator"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        print(f"machine: {_common.machine()}")
        print(f"the side panel's follow + show + the lines on screen drawn, per change: {args.before} / this "
              f"checkout ({args.rounds} processes each way, {args.changes} changes each, alternating)", flush=True)
        for spans in (int(n) for n in args.spans.split(",")):
            cost: dict[int, tuple[float, float]] = {}
            for n in (100, spans):
                store = tmp / f"s{n}of{spans}.db"
                build_store(store, n, spans)
                runs: dict[str, list[float]] = {"before": [], "after": []}
                for _ in range(args.rounds):
                    for name, code in (("before", old), ("after", None)):
                        res = run(store, code, args.changes)
                        assert isinstance(res, dict) and res["spans"] == n, res
                        runs[name].append(res["cpu_ms"])
                b, a = (statistics.median(runs[k]) for k in ("before", "after"))
                cost[n] = (b, a)
                print(f"{n:>7} spans: median {b:.3f} / {a:.3f} ms a change ({b / a:.2f}x); "
                      f"each run {runs['before']} / {runs['after']}", flush=True)
                if args.callgrind and n == spans:
                    per = []
                    for code in (old, None):
                        full, none = (run(store, code, k, callgrind=True) for k in (args.changes, 0))
                        assert isinstance(full, int) and isinstance(none, int)
                        per.append((full - none) / args.changes)
                    print(f"{n:>7} spans: instructions a change {per[0]:,.0f} / {per[1]:,.0f} "
                          f"({per[0] / per[1]:.2f}x)", flush=True)
            (rb, ra), (b, a) = cost[100], cost[spans]
            print(f"{spans:>7} spans beyond 100 on the same text: {b - rb:.3f} / {a - ra:.3f} ms a change")
        print(f"machine after the run: {_common.machine()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
