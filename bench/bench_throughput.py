"""Issue 12 aim 4, import and export throughput: rates, and peak memory at two sizes.

Run: .venv/bin/python bench/bench_throughput.py [--docs 5000] [--small 1000] [--big 1000000]
         [--big-import 100000] [--formats native,conll,…] [--conll-tokens 500000] [--folder DIR]
Everything is generated in a temporary folder (or --folder):

- import vs tokenizing: --docs labelled news documents (the bundled seeds, about 2,700 characters
  each, made unique; an entity on every 25th word) imported from native JSONL into a new SQLite
  store, against camel-tools' ``simple_word_tokenize`` over the same texts. Aim: import time at
  most 1.3x the tokenizing time (30% overhead).
- export rate: those documents exported as native JSONL. Aim: at least 10,000 documents/s.
- memory: peak RSS of a separate process exporting --small and --big documents in each format
  (a store built with direct inserts: ``bench_store_scale.build_store``), and importing --small
  and --big-import documents of native JSONL. Aim: flat (the big run within 1.5x of the small one,
  plus 50 MB).
- one CoNLL sentence of --conll-tokens tokens imported and exported again (time, peak RSS).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

RSS_FLAT = (1.5, 50)  # the big run's peak RSS at most 1.5x the small run's, plus 50 MB

CHILD = r"""
import resource, sys, time
sys.path.insert(0, {repo!r})
from annotator.cli import main
t = time.perf_counter()
code = main({argv!r})
seconds = time.perf_counter() - t
print("RESULT", code, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
"""


def run_child(argv: list[str]) -> tuple[int, float, float]:
    """``annotator ARGV`` in a new process: (exit code, seconds, peak RSS in MB)."""
    res = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO), argv=argv)], capture_output=True,
                         text=True, cwd=REPO)
    line = next((ln for ln in res.stderr.splitlines() if ln.startswith("RESULT")), None)
    if line is None:
        raise SystemExit(f"annotator {' '.join(argv)} failed:\n{res.stderr[-2000:]}")
    _, code, seconds, rss = line.split()
    return int(code), float(seconds), float(rss)


def news_texts(n: int) -> list[str]:
    seeds = [p.read_text(encoding="utf-8").strip() for p in sorted((REPO / "seeds").glob("*.txt"))]
    return [f"{seeds[i % len(seeds)]}\n[{i}]" for i in range(n)]


def labelled_jsonl(path: Path, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i, text in enumerate(texts):
            words = [m.span() for m in re.finditer(r"\S{3,}", text)][::25]
            entities = [{"id": f"e{k}", "start": s, "end": e, "label": ("PER", "ORG", "GPE")[k % 3]}
                        for k, (s, e) in enumerate(words)]
            out.write(json.dumps({"id": f"news-{i:07d}", "text": text, "annotator": "importer", "status": "done",
                                  "entities": entities}, ensure_ascii=False) + "\n")


def tokenize_seconds(texts: list[str]) -> float:
    from camel_tools.tokenizers.word import simple_word_tokenize

    simple_word_tokenize(texts[0])
    t = time.perf_counter()
    for text in texts:
        simple_word_tokenize(text)
    return time.perf_counter() - t


def import_seconds(source: Path, db: Path) -> float:
    from annotator.importing import import_paths
    from annotator.schema import default_schema_path, load_schema
    from annotator.store.sqlite import SQLiteStore

    schema = load_schema(default_schema_path())
    store = SQLiteStore(db)
    t = time.perf_counter()
    summary = import_paths(store, schema, [source], format_name="native")
    seconds = time.perf_counter() - t
    store.close()
    assert summary.complete and summary.documents_added > 0, summary.lines()
    return seconds


def export_seconds(db: Path, out: Path, fmt: str = "native") -> float:
    from annotator.exporting import export_store
    from annotator.formats.base import get_format
    from annotator.schema import default_schema_path, load_schema
    from annotator.store.sqlite import SQLiteStore

    store = SQLiteStore(db)
    t = time.perf_counter()
    export_store(store, load_schema(default_schema_path()), get_format(fmt), out)
    seconds = time.perf_counter() - t
    store.close()
    return seconds


def conll_sentence(path: Path, tokens: int) -> None:
    """One sentence of ``tokens`` tokens, an entity every 50 tokens (B-PER I-PER)."""
    words = ("قال", "مصطفى", "بالي", "إن", "قوات", "سوريا", "الديمقراطية", "سيطرت", "على", "الباغوز")
    with path.open("w", encoding="utf-8") as out:
        for i in range(tokens):
            tag = "B-PER" if i % 50 == 1 else "I-PER" if i % 50 == 2 else "O"
            out.write(f"{words[i % len(words)]} {tag}\n")
        out.write("\n")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=5000)
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--big", type=int, default=1_000_000)
    p.add_argument("--big-import", type=int, default=100_000)
    p.add_argument("--formats", default="native,prodigy,doccano,label-studio,brat,conll")
    p.add_argument("--conll-tokens", type=int, default=500_000)
    p.add_argument("--folder", type=Path, default=None)
    args = p.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    folder.mkdir(parents=True, exist_ok=True)
    aims: dict[str, bool] = {}

    # -- import against tokenizing, and the export rate ------------------------------------
    texts = news_texts(args.docs)
    source = folder / "news.jsonl"
    labelled_jsonl(source, texts)
    chars = sum(map(len, texts))
    tok = tokenize_seconds(texts)
    db = folder / "news.db"
    db.unlink(missing_ok=True)
    imp = import_seconds(source, db)
    ratio = imp / tok
    print(f"{args.docs:,} news documents ({chars / args.docs:,.0f} characters, "
          f"{sum(1 for _ in open(source, encoding='utf-8'))} records):")
    print(f"  simple_word_tokenize {args.docs / tok:8,.0f} documents/s ({tok:.2f} s)")
    print(f"  import               {args.docs / imp:8,.0f} documents/s ({imp:.2f} s): {ratio:.2f}x the "
          f"tokenizing time, overhead {100 * (ratio - 1):+.0f}% (aim: at most +30%)")
    aims["import overhead at most 30% over simple_word_tokenize"] = ratio <= 1.3
    exp = min(export_seconds(db, folder / "news-out.jsonl") for _ in range(2))
    print(f"  export (native)      {args.docs / exp:8,.0f} documents/s ({exp:.2f} s) (aim: at least 10,000/s)")
    aims["export at least 10,000 documents/s"] = args.docs / exp >= 10_000

    # -- memory: a separate process per run, two sizes -----------------------------------------
    from bench_store_scale import build_store

    flat = True
    stores = {}
    for size in (args.small, args.big):
        stores[size] = folder / f"export-{size}.db"
        if not stores[size].exists():
            print(f"building a {size:,}-document store …", flush=True)
            build_store(stores[size], size, progress=size >= 200_000)
    print(f"export, peak RSS at {args.small:,} and {args.big:,} documents (a process each):")
    for fmt in args.formats.split(","):
        figures = []
        for size in (args.small, args.big):
            out = folder / f"out-{size}.{fmt}"
            code, seconds, rss = run_child(["export", "--db", str(stores[size]), "--format", fmt, "-o", str(out)])
            figures.append((seconds, rss))
        (s1, r1), (s2, r2) = figures
        ok = r2 <= r1 * RSS_FLAT[0] + RSS_FLAT[1]
        flat &= ok
        print(f"  {fmt:<14} {r1:7.0f} MB → {r2:7.0f} MB ({'flat' if ok else 'GROWS'}); "
              f"{args.big / s2:8,.0f} documents/s at {args.big:,}")
    figures = []
    for size in (args.small, args.big_import):
        src = folder / f"import-{size}.jsonl"
        labelled_jsonl(src, news_texts(size))
        target = folder / f"import-{size}.db"
        target.unlink(missing_ok=True)
        code, seconds, rss = run_child(["import", "--db", str(target), "--format", "native", str(src)])
        figures.append((seconds, rss))
        src.unlink()
        target.unlink()
    (s1, r1), (s2, r2) = figures
    ok = r2 <= r1 * RSS_FLAT[0] + RSS_FLAT[1]
    flat &= ok
    print(f"import (native), peak RSS at {args.small:,} and {args.big_import:,} documents: {r1:.0f} MB → {r2:.0f} MB "
          f"({'flat' if ok else 'GROWS'}); {args.big_import / s2:,.0f} documents/s")
    aims["every format streams: memory flat"] = flat

    # -- one CoNLL sentence of many tokens ---------------------------------------------------
    conll = folder / "one-sentence.conll"
    conll_sentence(conll, args.conll_tokens)
    cdb = folder / "conll.db"
    cdb.unlink(missing_ok=True)
    code, seconds, rss = run_child(["import", "--db", str(cdb), "--format", "conll", str(conll)])
    print(f"a CoNLL sentence of {args.conll_tokens:,} tokens ({conll.stat().st_size / 1e6:.1f} MB): "
          f"import {seconds:.1f} s, peak RSS {rss:.0f} MB (exit {code})")
    code2, seconds2, rss2 = run_child(["export", "--db", str(cdb), "--format", "conll", "-o", str(folder / "o.conll")])
    print(f"  exported again as CoNLL: {seconds2:.1f} s, peak RSS {rss2:.0f} MB (exit {code2})")
    aims["a 500k-token CoNLL sentence streams (under 20 s and 500 MB each way)"] = (
        code == 0 and code2 == 0 and max(seconds, seconds2) < 20 and max(rss, rss2) < 500)

    print("aim 4:")
    for name, held in aims.items():
        print(f"  {'holds ' if held else 'MISSED'} {name}")
    if args.folder is None:
        for f in sorted(folder.rglob("*"), reverse=True):
            f.rmdir() if f.is_dir() else f.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
