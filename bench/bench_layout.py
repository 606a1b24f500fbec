"""Layout engine speed, side by side with python-bidi's get_display on the same text.

get_display (Rust) does less: no shaping, no wrapping, no offset map, no cells. Both get the
same paragraphs (split by ``split_paragraphs``, each called with a right-to-left base), and
both are timed in the same loop, alternately, so that a change in the machine's load hits
both. Run:

    .venv/bin/python bench/bench_layout.py            # about a minute
    .venv/bin/python bench/bench_layout.py --repo DIR # the engine of another checkout (before/after)
    .venv/bin/python bench/bench_layout.py --instructions [--repo DIR]  # instructions per layout (callgrind)

Figures are medians of the alternated repeats, in CPU time of this process
(time.process_time), with the load average printed beside them; the ratio is the ratio of
the medians. The engine pauses the cyclic garbage collector during a layout for every
caller, so the figures include that, as the app sees it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bidi import get_display

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import callgrind_instructions  # noqa: E402


def medians(ours: Callable[[], object], theirs: Callable[[], object] | None, repeats: int,
            number: int = 1) -> tuple[float, float | None]:
    """Median CPU seconds per call of ``ours`` and ``theirs``, timed alternately."""
    ours()
    if theirs is not None:
        theirs()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        for fn, out in ((ours, a), (theirs, b)):
            if fn is None:
                continue
            start = time.process_time()
            for _ in range(number):
                fn()
            out.append((time.process_time() - start) / number)
    return statistics.median(a), (statistics.median(b) if b else None)


def seeds_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt")))


def article(size: int = 3000) -> str:
    text = seeds_text()[:size]
    return text[: text.rfind(" ")] if len(text) == size else text


def document(size: int = 200_000) -> str:
    base = seeds_text()
    return (base * (size // len(base) + 1))[:size]


def mixed_paragraph(size: int = 20_000) -> str:
    """One long paragraph of Arabic, Latin, digits and brackets (every bidi path of a line)."""
    piece = "قال المتحدث (John Smith) إن 2,500 شخص حضروا مؤتمر UN-2024 في «جنيف»، أي 12.5% أكثر. "
    return (piece * (size // len(piece) + 1))[:size]


def corpus_text() -> str | None:
    """The shared corpora's Arabic text (../shared/data), when present: diacritized news, tweets."""
    data = REPO.parent / "shared" / "data"
    files = [data / "diacritics_wikinews" / "WikiNewsTruth.txt", data / "diacritics_tashkeela" / "val_lines1-300.txt"]
    texts = [f.read_text(encoding="utf-8") for f in files if f.is_file()]
    return "\n".join(texts) or None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose annotator.layout is timed")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--instructions", action="store_true",
                        help="instead: the instructions one layout of the 200k document runs, counted by valgrind's "
                             "callgrind (a few minutes): what the machine's load does not change")
    args = parser.parse_args()
    if args.instructions:
        instructions(args.repo.resolve())
        return
    sys.path.insert(0, str(args.repo.resolve()))
    from annotator.layout import LayoutOptions, layout_text, split_paragraphs

    def get_display_all(text: str) -> None:
        for para in split_paragraphs(text):
            if para.end > para.start:
                get_display(text[para.start:para.end], base_dir="R")

    options = LayoutOptions(80)
    texts = [("article, width 80", article(), 20), ("200k document, width 80", document(), 1),
             ("mixed 20k paragraph, width 80", mixed_paragraph(), 3)]
    corpus = corpus_text()
    if corpus is not None:
        texts.append(("shared corpora (diacritized)", corpus, 1))
    else:
        print("(../shared/data absent: the corpora row is skipped)")
    print(f"python {sys.version.split()[0]}; engine from {args.repo.resolve()}; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    ratios = []
    for name, text, number in texts:
        ours, theirs = medians(lambda t=text: layout_text(t, options), lambda t=text: get_display_all(t),
                               args.repeats, number)
        assert theirs is not None
        ratios.append(ours / theirs)
        print(f"{name:32s} {len(text):>9,d} chars  engine {ours * 1000:8.2f} ms  {len(text) / ours / 1e6:5.2f} M/s"
              f"  | get_display {theirs * 1000:7.2f} ms  {len(text) / theirs / 1e6:6.2f} M/s"
              f"  ratio {ours / theirs:5.1f}x  (load {os.getloadavg()[0]:.2f})")
    general, _ = medians(lambda: layout_text(texts[0][1], LayoutOptions(80, fast_paths=False)), None,
                         args.repeats, 20)
    print(f"{'article, general paths only':32s} {len(texts[0][1]):>9,d} chars  engine {general * 1000:8.2f} ms")
    if args.repo.resolve() == REPO:
        bench_document_layout(document(), options, args.repeats)
    print(f"ratio to get_display, 200k document: {ratios[1]:.1f}x (median of {args.repeats}, "
          f"load average {os.getloadavg()[0]:.2f} at the end)")


# one process lays the document out once (imports, tables, caches warm), then ``sys.argv[2]`` more times
_LAYOUTS = """
import sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, {bench!r})
from bench_layout import document
from annotator.layout import LayoutOptions, layout_text
text, options = document(), LayoutOptions(80)
layout_text(text, options)
for _ in range(int(sys.argv[2])):
    layout_text(text, options)
"""


def instructions(repo: Path, layouts: int = 2) -> None:
    """Instructions per layout of the 200k document: a process making ``1 + layouts`` layouts minus one
    making one, over ``layouts``, so imports and first-use tables cancel out (PYTHONHASHSEED fixed)."""
    import shutil

    if shutil.which("valgrind") is None:
        sys.exit("bench_layout: --instructions needs valgrind")
    code = _LAYOUTS.format(bench=str(Path(__file__).resolve().parent))
    env = os.environ | {"PYTHONHASHSEED": "0"}
    counts = [callgrind_instructions([sys.executable, "-c", code, str(repo), str(extra)], env)
              for extra in (0, layouts)]
    per_layout = (counts[1] - counts[0]) / layouts
    print(f"engine from {repo}: {per_layout / 1e6:,.1f} M instructions per layout of the 200k document "
          f"(width 80; {layouts} layouts after a first; load average {os.getloadavg()[0]:.2f})")


def bench_document_layout(big: str, options: object, repeats: int) -> None:
    """What the TUI pays: DocumentLayout's first screen, one edit, a width change."""
    from annotator.layout import DocumentLayout, LayoutOptions, split_paragraphs

    assert isinstance(options, LayoutOptions)
    first, _ = medians(lambda: DocumentLayout(big, options).lines(0, 40), None, repeats)
    print(f"{'200k DocumentLayout: first screen':32s} {first * 1000:8.2f} ms (40 lines, lazy)")
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

    one_edit, _ = medians(edit, None, 3)
    print(f"{'200k DocumentLayout: one edit':32s} {one_edit / 2 * 1000:8.2f} ms "
          f"(set_text + line_count; one paragraph re-laid out)")

    def rewidth() -> None:
        doc.set_width(60)
        _ = doc.line_count
        doc.set_width(80)
        _ = doc.line_count

    width_change, _ = medians(rewidth, None, 3)
    print(f"{'200k DocumentLayout: width change':32s} {width_change / 2 * 1000:8.2f} ms (back to a cached width)")


if __name__ == "__main__":
    main()
