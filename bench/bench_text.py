"""Speed of the text model on big documents: a ~1 MB text and a 50,000-token text.

Run: .venv/bin/python bench/bench_text.py   (prints seconds; no pass/fail)
The text is built from the repo seeds (plus ../shared/data corpora when present),
with every word made unique-ish so the tokenizer's per-word cache does not flatter it.
"""

from __future__ import annotations

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


def timed(label: str, fn, *args) -> object:
    tokens_module._analyse_run.cache_clear()
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


if __name__ == "__main__":
    main()
