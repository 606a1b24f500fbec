"""Keystroke-to-repaint latency of the annotation app, and start-up time to the first paint.

Runs the real app headless (Textual's ``run_test``) on a ~200-token and a ~20,000-token
document and times, per key, from the moment the app receives the key event to the end
of the last screen repaint it caused (``App.on_event`` and the screen's compositor
refresh are wrapped to record the times; the pilot's idle-waiting sleeps are not counted).
The repaint includes Textual's frame pacing (a repaint waits for the next frame tick).
Prints p50/p95 in milliseconds; the aim is p95 <= 16 ms, flat in document length,
and a first paint under one second. Also times the real command in tmux when tmux is
installed (process start to the first screen showing the document).

    .venv/bin/python bench/bench_tui.py [--keys 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _keyclock import KeyClock, percentile  # noqa: E402

from annotator.model.annotations import Document  # noqa: E402
from annotator.schema import default_schema_path, load_schema  # noqa: E402
from annotator.session import AnnotationSession  # noqa: E402
from annotator.store import open_store  # noqa: E402
from annotator.text import tokenize  # noqa: E402


def corpus_text(tokens: int) -> str:
    """At least ``tokens`` tokens of seed text; paragraphs numbered so none repeats exactly."""
    seeds = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    paragraphs = [p for s in seeds for p in s.split("\n") if p.strip()]
    out: list[str] = []
    count = 0
    i = 0
    while count < tokens:
        para = f"({i}) {paragraphs[i % len(paragraphs)]}"
        out.append(para)
        count += len(tokenize(para))
        i += 1
    text = "\n".join(out)
    if tokens < 1000:  # trim the small one to about the asked size
        toks = tokenize(text)
        text = text[: toks[min(tokens, len(toks)) - 1].end]
    return text


async def measure(text: str, keys: int) -> dict[str, list[float]]:
    from annotator.tui.app import AnnotatorApp

    tmp = tempfile.mkdtemp()
    store = open_store(os.path.join(tmp, "bench.db"))
    store.add_document(Document("bench", text))
    session = AnnotationSession(store, load_schema(default_schema_path()), "bench")
    app = AnnotatorApp(session, clock=lambda: "")
    results: dict[str, list[float]] = {"first paint": [], "cursor move": [], "extend selection": [],
                                       "apply label": [], "side panel updated": []}
    start = time.perf_counter()
    async with app.run_test(size=(100, 30)) as pilot:
        # The first frame that draws the screen or the text, not the app's first idle moment: a
        # document of up to 500,000 characters is counted (its scrollbar) in the background after
        # it is shown, and Pilot's pause waits for that too.
        clock = KeyClock(app)
        while not clock.painted and time.perf_counter() - start < 60:
            await asyncio.sleep(0.001)
        results["first paint"].append(((clock.painted or [time.perf_counter()])[0] - start) * 1000)
        await pilot.pause()

        async def timed(name: str, *press: str) -> None:
            text_ms, panel_ms = await clock.press(pilot, *press, settle=0.1)
            if text_ms == text_ms:  # not NaN
                results[name].append(text_ms)
            if name == "apply label" and panel_ms == panel_ms:
                results["side panel updated"].append(panel_ms)

        # Walk into the middle of the document first, so lengths matter if they would.
        await pilot.press("ctrl+end")
        for _ in range(10):
            await pilot.press("pageup")
        await pilot.pause()
        for i in range(keys):
            await timed("cursor move", "left")
            await timed("extend selection", "shift+left")
            await pilot.press("escape")
            await timed("apply label", "123"[i % 3])
            await pilot.press("x")  # remove it again so the document does not fill up
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return results


def tmux_first_paint() -> float | None:
    """Seconds from starting ``annotator annotate`` in tmux to the document on screen."""
    if shutil.which("tmux") is None:
        return None
    tmp = Path(tempfile.mkdtemp())
    shutil.copytree(REPO / "seeds", tmp / "seeds")
    sock = f"bench-tui-{os.getpid()}"
    cmd = (f"cd {tmp} && {sys.executable} -m annotator annotate seeds --db {tmp}/b.db "
           f"--annotator bench; sleep 30")
    try:
        t0 = time.perf_counter()
        subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "100", "-y", "30", cmd], check=True)
        while time.perf_counter() - t0 < 30:
            shot = subprocess.run(["tmux", "-L", sock, "capture-pane", "-p"], capture_output=True,
                                  text=True).stdout
            if "finished" in shot and "/5" in shot:
                return time.perf_counter() - t0
            time.sleep(0.01)
        return None
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100, help="presses per measured action")
    args = parser.parse_args()
    for size in (200, 20_000):
        text = corpus_text(size)
        n_tokens = len(tokenize(text))
        results = asyncio.run(measure(text, args.keys))
        print(f"document of {n_tokens} tokens ({len(text)} characters):")
        for name, values in results.items():
            if name == "first paint":
                print(f"  {name:<18} {values[0]:8.1f} ms (in-process, headless)")
            else:
                print(f"  {name:<18} p50 {percentile(values, 0.5):6.2f} ms   p95 {percentile(values, 0.95):6.2f} ms"
                      f"   (n={len(values)}, mean {statistics.mean(values):.2f})")
    startup = tmux_first_paint()
    if startup is None:
        print("start-up in tmux: skipped (tmux missing or no paint)")
    else:
        print(f"start-up of `annotator annotate` in tmux to the first painted document: {startup * 1000:.0f} ms")


if __name__ == "__main__":
    main()
