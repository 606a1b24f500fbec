"""Speed of the text model on big documents: a ~1 MB text and a 50,000-token text.

Run: .venv/bin/python bench/bench_text.py   (prints seconds; no pass/fail)
The text is built from the repo seeds (plus ../shared/data corpora when present),
with every word made unique-ish so the tokenizer's per-word cache does not flatter it.
The last section compares ``tokenize``'s one-pass path for common text with the per-word path on
the windows the app tokenizes (``TextIndex``), as ratios measured alternately in the same run.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from annotator.text import TextIndex, paragraphs, search, sentences, tokenize
from annotator.text import tokens as tokens_module

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def source_text() -> str:
    parts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    for rel in ("diacritics_wikinews/WikiNewsTruth.txt", "diacritics_tashkeela/val_lines1-300.txt"):
        if (DATA / rel).exists():
            parts.append((DATA / rel).read_text(encoding="utf-8"))
    return "\n".join(parts)


def varied(base: str, size: int) -> str:
    """Repeat ``base`` up to ``size`` code points, salting words so they are not all cached."""
    rng = random.Random(7)
    words = base.split(" ")
    out: list[str] = []
    total = 0
    while total < size:
        w = rng.choice(words)
        if rng.random() < 0.5:
            w += "ـ" * rng.randint(0, 2) + rng.choice("بتثجحخدذرزسشصضطظعغفقكلمنهوي")
        out.append(w)
        total += len(w) + 1
    return " ".join(out)[:size]


def clear_caches() -> None:
    """Forget every word the tokenizer has seen (as when a document first opens)."""
    for cached in (tokens_module._analyse_run, tokens_module._run_bounds, tokens_module._kind_and_edges,
                   tokens_module.token_kind):
        cached.cache_clear()


def timed(label: str, fn, *args) -> object:
    clear_caches()
    t0 = time.perf_counter()
    result = fn(*args)
    print(f"  {label:<28} {time.perf_counter() - t0:7.3f} s")
    return result


def main() -> None:
    base = source_text()
    big = varied(base, 1_000_000)
    print(f"1 MB text: {len(big):,} code points")
    toks = timed("tokenize", tokenize, big)
    print(f"  ({len(toks):,} tokens)")
    timed("sentences", sentences, big)
    timed("paragraphs", paragraphs, big)
    timed("TextIndex (built lazily: nothing is analysed yet)", TextIndex, big)
    timed("search 'الحكومة'", search, big, "الحكومة")

    toks50 = tokenize(big)
    cut = toks50[min(50_000, len(toks50)) - 1].end
    doc = big[:cut]
    print(f"50,000-token text: {len(doc):,} code points")
    index = timed("TextIndex", TextIndex, doc)
    t0 = time.perf_counter()
    for offset in range(0, len(doc), 7):
        index.token_at(offset)
        index.sentence_at(offset)
        index.snap_to_tokens(offset, offset + 20)
    n = len(range(0, len(doc), 7))
    print(f"  {n:,} lookups (token_at+sentence_at+snap) {time.perf_counter() - t0:7.3f} s")
    common_path(doc)


def common_path(doc: str, rounds: int = 5) -> None:
    """``tokenize`` of each window of ``doc`` (one ``re.split`` for common text) against the per-word
    path alone (``_runs_into``), alternately, best of ``rounds``: with the caches cleared before each
    pass (a document just opened: its words are new) and with them warm (the cursor moving back)."""
    index = TextIndex(doc)
    windows = [index.windows.bounds(k) for k in range(index.windows.count)]

    def per_word() -> None:
        for start, end in windows:
            tokens_module._runs_into([], doc, start, end)

    def one_pass() -> None:
        for start, end in windows:
            tokenize(doc, start, end)

    print(f"common text, {len(windows):,} windows of the 50,000-token text "
          f"(load average {os.getloadavg()[0]:.2f}):")
    for label, cold in (("new words (caches cleared)", True), ("words seen before (warm caches)", False)):
        best = {per_word: float("inf"), one_pass: float("inf")}
        for _ in range(rounds):
            for fn in best:
                if cold:
                    clear_caches()
                else:
                    fn()  # warm its own caches
                t0 = time.perf_counter()
                fn()
                best[fn] = min(best[fn], time.perf_counter() - t0)
        print(f"  {label:<32} per-word {best[per_word]:6.3f} s, one pass {best[one_pass]:6.3f} s: "
              f"{best[per_word] / best[one_pass]:.2f}x faster")


if __name__ == "__main__":
    main()
