"""Layout engine speed, side by side with python-bidi's get_display on the same text.

get_display (Rust) does less: no wrapping, no offset map, no mirroring, no cells. Run:

    .venv/bin/python bench/bench_layout.py

Figures are the best of several repeats, in CPU time of this process (time.process_time),
so that other work on a shared machine does not count. The engine pauses the cyclic garbage
collector during a layout for every caller, so the figures include that, as the app sees it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bidi import get_display

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from annotator.layout import DocumentLayout, LayoutOptions, layout_text, split_paragraphs  # noqa: E402
from annotator.layout.shaping import clear_cache  # noqa: E402


def best(fn, repeats: int = 7, number: int = 1) -> float:
    """Best time per call in seconds."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            fn()
        times.append((time.process_time() - start) / number)
    return min(times)


def corpus() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt")))


def article(size: int = 3000) -> str:
    text = corpus()[:size]
    return text[: text.rfind(" ")] if len(text) == size else text


def document(size: int = 200_000) -> str:
    base = corpus()
    return (base * (size // len(base) + 1))[:size]


def get_display_all(text: str) -> None:
    for para in split_paragraphs(text):
        if para.end > para.start:
            get_display(text[para.start:para.end], base_dir="R")


def row(name: str, chars: int, ours: float, theirs: float | None) -> str:
    line = f"{name:34s} {chars:>8,d} chars  engine {ours * 1000:9.2f} ms  {chars / ours / 1e6:6.2f} M chars/s"
    if theirs is not None:
        line += f"  | get_display {theirs * 1000:8.2f} ms  {chars / theirs / 1e6:6.2f} M chars/s  ratio {ours / theirs:5.1f}x"
    return line


def main() -> None:
    options = LayoutOptions(80)
    small = article()
    big = document()
    print(f"python {sys.version.split()[0]}")
    number = 20
    print(row("article, width 80 (layout_text)", len(small),
              best(lambda: layout_text(small, options), number=number),
              best(lambda: get_display_all(small), number=number)))
    print(row("article, word-shape cache cleared", len(small),
              best(lambda: (clear_cache(), layout_text(small, options)), number=number), None))
    print(row("article, no shaping", len(small),
              best(lambda: layout_text(small, LayoutOptions(80, shape=False)), number=number), None))
    print(row("article, general paths only", len(small),
              best(lambda: layout_text(small, LayoutOptions(80, fast_paths=False)), number=number), None))
    print(row("200k document, width 80 (all)", len(big),
              best(lambda: layout_text(big, options), repeats=3),
              best(lambda: get_display_all(big), repeats=3)))

    # DocumentLayout: what the TUI pays.
    doc_first = best(lambda: DocumentLayout(big, options).lines(0, 40), repeats=5)
    print(f"{'200k DocumentLayout: first screen':34s} {doc_first * 1000:9.2f} ms (40 lines, lazy)")
    doc = DocumentLayout(big, options)
    _ = doc.line_count
    paragraphs = split_paragraphs(big)
    middle = paragraphs[len(paragraphs) // 2]

    def edit() -> None:
        edited = big[:middle.start] + "ال" + big[middle.start:]
        doc.set_text(edited)
        _ = doc.line_count
        doc.set_text(big)
        _ = doc.line_count

    print(f"{'200k DocumentLayout: one edit':34s} {best(edit, repeats=3) / 2 * 1000:9.2f} ms "
          f"(set_text + line_count; one paragraph re-laid out)")

    def rewidth() -> None:
        doc.set_width(60)
        _ = doc.line_count
        doc.set_width(80)
        _ = doc.line_count

    print(f"{'200k DocumentLayout: width change':34s} {best(rewidth, repeats=3) / 2 * 1000:9.2f} ms "
          f"(back to a cached width)")


if __name__ == "__main__":
    main()
