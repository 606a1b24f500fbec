"""Issue 12 aims 4 and 2, import and export throughput: rates, peak memory at two sizes, one huge document.

Run: .venv/bin/python bench/bench_throughput.py [--docs 2000] [--small 1000] [--big 20000 (the issue: 1000000)]
         [--big-import 10000 (the issue: 100000)] [--formats native,conll,…] [--conll-tokens 500000] [--folder DIR]
         [--huge-mb 10 (100 for aim 2's big case)] [--huge-only] [--reference OLD-CHECKOUT] [--pg] [--skip-rss]
         [--import-only] [--rounds 3]
Everything is generated in a temporary folder (or --folder):

- import vs tokenizing: --docs labelled news documents (the bundled seeds, about 2,700 characters
  each, made unique; an entity on every 25th word) imported from native JSONL into a new SQLite
  store, against camel-tools' ``simple_word_tokenize`` over the same texts. Aim: import time at
  most 1.3x the tokenizing time (30% overhead). With --reference OLD-CHECKOUT, the import's CPU time over
  tokenizing's by this code and by OLD's, alternated --rounds times in processes of their own (the load
  changes the rate of both alike); --import-only stops after it.
- export rate: those documents exported in every format, as documents per second of CPU time (the
  wall-clock rate beside it: on a shared machine the load decides that one). Aim: at least 10,000
  documents/s. Tokenizing formats are also set against the rate of tokenizing alone, and CoNLL and Prodigy
  against their ceiling: the parts any writer of the format must do (reading the store, the token tables
  the store kept at import (our tokenizer where it kept none), writing the same bytes), each timed alone,
  summed. brat as a folder is set, round by round, against a bare loop creating the same files in the same
  parent folder (the file system's pace, which drifts from minute to minute). ``brat-tar`` and ``brat-tgz``
  are brat written as one archive (``-o corpus.tar``, ``corpus.tar.gz``), set against the folder's rate.
- memory: peak RSS of a separate process exporting --small and --big documents in each format
  (a store built with direct inserts: ``bench_store_scale.build_store``), and importing --small
  and --big-import documents of native JSONL. Aim: flat (the big run within 1.5x of the small one,
  plus 50 MB).
- one CoNLL sentence of --conll-tokens tokens imported and exported again (time, peak RSS).
- one huge document (issue 12 aim 2, --huge-mb MB of Arabic) imported from .txt and from native JSONL
  and exported (native, text, label-studio, conll), each in its own process: time, and peak RSS beyond
  a bare start-up as a multiple of the document's size (aim: import at most 3x, export at most 10x);
  with --reference, the imports also by older code in the same run.
- with --reference, each export rate is also measured by this code and by the older code, each in its own
  process, alternately, three rounds: the ratio per round.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from _common import load_average  # noqa: E402

RSS_FLAT = (1.5, 50)  # the big run's peak RSS at most 1.5x the small run's, plus 50 MB

CHILD = r"""
import sys, time
if {pyc!r}:  # bytecode caches kept there, as an installed package has them (compiling costs memory too)
    sys.dont_write_bytecode, sys.pycache_prefix = False, {pyc!r}
sys.path.insert(0, {repo!r})
from annotator.cli import main
t = time.perf_counter()
code = main({argv!r})
seconds = time.perf_counter() - t
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report the parent's size
hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print("RESULT", code, seconds, hwm / 1024, file=sys.stderr)
"""


def run_child(argv: list[str], repo: Path = REPO, pyc: Path | None = None) -> tuple[int, float, float]:
    """``annotator ARGV`` in a new process (the code of ``repo``; bytecode cached in ``pyc``): (exit code,
    seconds, peak RSS in MB)."""
    res = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(repo), argv=argv, pyc=str(pyc or ""))],
                         capture_output=True, text=True, cwd=repo)
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
    t, c = time.perf_counter(), time.process_time()
    for text in texts:
        simple_word_tokenize(text)
    LAST_CPU[0] = time.process_time() - c
    return time.perf_counter() - t


LAST_CPU = [0.0]  # CPU seconds of the last tokenize_seconds or import_seconds (the load does not stretch them)


def import_seconds(source: Path, db: Path) -> float:
    from annotator.importing import import_paths
    from annotator.schema import default_schema_path, load_schema
    from annotator.store.sqlite import SQLiteStore

    schema = load_schema(default_schema_path())
    store = SQLiteStore(db)
    t, c = time.perf_counter(), time.process_time()
    summary = import_paths(store, schema, [source], format_name="native")
    seconds = time.perf_counter() - t
    LAST_CPU[0] = time.process_time() - c
    store.close()
    assert summary.complete and summary.documents_added > 0, summary.lines()
    return seconds


IMPORT_CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from camel_tools.tokenizers.word import simple_word_tokenize
from annotator.importing import import_paths
from annotator.schema import default_schema_path, load_schema
from annotator.store.sqlite import SQLiteStore
texts = [json.loads(line)["text"] for line in open({source!r}, encoding="utf-8")]
schema, store = load_schema(default_schema_path()), SQLiteStore({db!r})
simple_word_tokenize(texts[0])
def tokenizing():
    c = time.process_time()
    for text in texts:
        simple_word_tokenize(text)
    return time.process_time() - c
before = tokenizing()
c = time.process_time()
summary = import_paths(store, schema, [{source!r}], format_name="native")
cpu = time.process_time() - c
assert summary.complete, summary.lines()
print("RESULT", cpu, (before + tokenizing()) / 2)
"""
# The same import and tokenizing under cProfile, for their count of Python function calls: a figure the
# load does not change (CPU time swings by a quarter on this shared machine), for the Python part only.
CALLS_CHILD = IMPORT_CHILD.replace("def tokenizing():", """import cProfile, pstats
def calls(work):
    profile = cProfile.Profile()
    profile.runcall(work)
    return pstats.Stats(profile).total_calls
def tokenizing():""").replace("before = tokenizing()", """print("CALLS", calls(lambda: import_paths(store, schema, [{source!r}], format_name="native")) / len(texts),
      calls(tokenizing) / len(texts))
raise SystemExit(0)""")


def _child_figures(child: str, prefix: str, repo: Path, source: Path, db: Path) -> list[str]:
    """Run ``child`` (one of the import children) by the code of ``repo`` into a new ``db``: the figures of
    its output line that starts with ``prefix``."""
    db.unlink(missing_ok=True)
    return _child_line(child.format(repo=str(repo), source=str(source), db=str(db)), prefix, f"the import by {repo}",
                       cwd=repo)


def _child_line(code: str, prefix: str, what: str, cwd: Path | None = None) -> list[str]:
    """Run ``code`` in a new Python process: the figures of its output line that starts with ``prefix``."""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith(prefix)), None)
    if line is None:
        raise SystemExit(f"{what} failed:\n{res.stderr[-2000:]}")
    return line.split()[1:]


def import_cpu_ratio(repo: Path, source: Path, db: Path) -> float:
    """The import's CPU time over tokenizing's (before and after it, averaged), by the code of ``repo``, in
    a process of its own: the same measure for this checkout and an older one, alternated in one run."""
    cpu, tokenizing = _child_figures(IMPORT_CHILD, "RESULT", repo, source, db)
    return float(cpu) / float(tokenizing)


def import_against_reference(reference: Path, source: Path, folder: Path, rounds: int) -> None:
    """This checkout's import and ``reference``'s, alternated ``rounds`` times, each in its own process."""
    ratios: dict[str, list[float]] = {"this checkout": [], str(reference): []}
    for _ in range(rounds):
        for name, repo in (("this checkout", REPO), (str(reference), reference)):
            ratios[name].append(import_cpu_ratio(repo, source, folder / "news-ab.db"))
    print(f"  import CPU time over tokenizing's, alternated in separate processes (load {load_average()}):")
    for name, found in ratios.items():
        print(f"    {name:<30} median {sorted(found)[len(found) // 2]:.2f}x (each: "
              + ", ".join(f"{r:.2f}x" for r in found) + ")")
    print("  Python function calls per document (cProfile; the load does not change them):")
    for name, repo in (("this checkout", REPO), (str(reference), reference)):
        imported, tokenized = _child_figures(CALLS_CHILD, "CALLS", repo, source, folder / "news-ab.db")
        print(f"    {name:<30} import {float(imported):,.0f}, simple_word_tokenize {float(tokenized):,.0f}")


TOKENIZING = ("prodigy", "conll")  # formats that tokenize every text as they write it


def export_seconds(db: Path, out: Path, fmt: str = "native") -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one export (its split between our code and the kernel: ``LAST_SPLIT``)."""
    from annotator.exporting import export_store
    from annotator.formats.base import get_format
    from annotator.schema import default_schema_path, load_schema
    from annotator.store.sqlite import SQLiteStore

    store = SQLiteStore(db)
    t, c, times = time.perf_counter(), time.process_time(), os.times()
    export_store(store, load_schema(default_schema_path()), get_format(BRAT_ARCHIVES.get(fmt, (fmt,))[0]), out)
    seconds, cpu, after = time.perf_counter() - t, time.process_time() - c, os.times()
    LAST_SPLIT[:] = [after.user - times.user, after.system - times.system]
    store.close()
    return cpu, seconds


LAST_SPLIT = [0.0, 0.0]  # user and system CPU seconds of the last export_seconds
# brat shipped as one archive (-o corpus.tar / .tar.gz): the format, and the suffix of its output
BRAT_ARCHIVES = {"brat-tar": ("brat", ".tar"), "brat-tgz": ("brat", ".tar.gz")}


def out_name(fmt: str) -> str:
    """The output's suffix for ``fmt`` (a name of --formats): brat's archives end as archives."""
    return BRAT_ARCHIVES[fmt][1] if fmt in BRAT_ARCHIVES else f".{fmt}"


def conll_sentence(path: Path, tokens: int) -> None:
    """One sentence of ``tokens`` tokens, an entity every 50 tokens (B-PER I-PER)."""
    words = ("قال", "مصطفى", "بالي", "إن", "قوات", "سوريا", "الديمقراطية", "سيطرت", "على", "الباغوز")
    with path.open("w", encoding="utf-8") as out:
        for i in range(tokens):
            tag = "B-PER" if i % 50 == 1 else "I-PER" if i % 50 == 2 else "O"
            out.write(f"{words[i % len(words)]} {tag}\n")
        out.write("\n")


def huge_texts(folder: Path, mb: int) -> tuple[Path, Path, int]:
    """One document of about ``mb`` MB of Arabic (the seeds over and over, paragraphs kept) as a .txt file
    and as a native JSONL record with an entity on every 500th long word; (txt, jsonl, characters)."""
    seeds = "\n\n".join(p.read_text(encoding="utf-8").strip() for p in sorted((REPO / "seeds").glob("*.txt")))
    text = (seeds + "\n\n") * (mb * 1_000_000 // len((seeds + "\n\n").encode()) + 1)
    txt, jsonl = folder / f"huge-{mb}.txt", folder / f"huge-{mb}.jsonl"
    txt.write_text(text, encoding="utf-8")
    words = [m for k, m in enumerate(re.finditer(r"[\u0621-\u064a]{4,}", text)) if k % 500 == 0]
    entities = [{"id": f"e{k}", "start": m.start(), "end": m.end(), "label": "PER"} for k, m in enumerate(words)
                if not "\u064b" <= text[m.end()] <= "\u0670"]  # not before a diacritic: a whole letter
    with jsonl.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"id": "huge", "text": text, "annotator": "importer", "status": "done",
                              "entities": entities}, ensure_ascii=False) + "\n")
    return txt, jsonl, len(text)


def huge_document(folder: Path, mb: int, aims: dict[str, bool], reference: Path | None = None,
                  pg: bool = False) -> None:
    """Aim 2's import and export side: one document of ``mb`` MB, each step in its own process; with
    ``reference`` (older code, e.g. ``git archive main | tar -x -C /tmp/before``), each import is
    also run by that code, in the same run, for a before/after; with ``pg``, the imports also
    into a throwaway PostgreSQL cluster (the peak RSS of the client process: the server holds the row)."""
    txt, jsonl, chars = huge_texts(folder, mb)
    size = txt.stat().st_size / 1e6
    print(f"one document of {size:.0f} MB ({chars:,} characters of Arabic; a Python string of {2 * chars / 1e6:.0f} MB):"
          f" load average {load_average()}")
    pyc = folder / "pyc"
    codes = [("", REPO)] + ([(" (reference)", reference)] if reference is not None else [])
    tiny = folder / "huge-tiny.txt"
    tiny.write_text("قال.\n", encoding="utf-8")
    for _, repo in codes:  # bytecode compiled once, as when installed, then each import's own start-up
        run_child(["import", "--db", str(folder / "huge-warm.db"), str(tiny)], repo, pyc)
    _, _, base = run_child(["stats", "--db", str(folder / "none.db")], REPO, pyc)  # the interpreter and the CLI
    _, _, small = run_child(["import", "--db", str(folder / "huge-small.db"), str(tiny)], REPO, pyc)
    print(f"  a process that only starts the command line: peak RSS {base:.0f} MB (the first base below); one that "
          f"imports a one-line .txt: {small:.0f} MB ({(small - base) / size:.1f}x the document; an import's own base)")
    bounded = True
    steps = []
    for what, argv in (("import .txt", ["import", "--db", "{db}-txt.db", str(txt)]),
                       ("import native JSONL", ["import", "--db", "{db}-jsonl.db", "--format", "native", str(jsonl)])):
        for label, repo in codes[::-1]:  # the reference first: the store the exports read is made by this code
            steps.append((what + label, [a.format(db=str(folder / f"huge{label.strip(' ()')}")) for a in argv], repo,
                          HUGE_IMPORT_PER_MB if not label else None, small))
    cluster = _pg_cluster() if pg else None
    if cluster is not None:
        _, _, small_pg = run_child(["import", "--db", cluster.new_database("huge"), str(tiny)], REPO, pyc)
        print(f"  a process that imports a one-line .txt into PostgreSQL: {small_pg:.0f} MB "
              f"({(small_pg - base) / size:.1f}x the document)")
    for what, argv in (("import .txt", [str(txt)]), ("import native JSONL", ["--format", "native", str(jsonl)])):
        for label, repo in codes[::-1] if cluster is not None else ():
            steps.append((f"PostgreSQL {what}{label}", ["import", "--db", cluster.new_database("huge"), *argv], repo,
                          HUGE_IMPORT_PER_MB if not label else None, small_pg))
    for fmt in ("native", "text", "label-studio", "conll"):
        steps.append((f"export {fmt}", ["export", "--db", str(folder / "huge-jsonl.db"), "--format", fmt, "-o",
                                        str(folder / f"huge-out.{fmt}")], REPO, HUGE_RSS_PER_MB, None))
    for name, argv, repo, bound, own in steps:
        code, seconds, rss = run_child(argv, repo, pyc)
        ratio = (rss - base) / size
        mine = (rss - own) / size if own is not None else ratio  # an import: beyond its own start-up
        ok = code == 0 and (bound is None or mine <= bound)
        bounded &= ok
        print(f"  {name:<42} {seconds:6.1f} s, peak RSS {rss:6.0f} MB: {ratio:4.1f}x the document beyond the "
              f"command line's start-up" + (f", {mine:4.1f}x beyond its own" if own is not None else "")
              + f" (exit {code}){'' if ok else '  TOO MUCH'}")
    aims[f"one {size:.0f} MB document imported within {HUGE_IMPORT_PER_MB}x its size beyond the import's own "
         f"start-up and exported within {HUGE_RSS_PER_MB}x beyond the command line's"] = bounded
    for f in folder.glob("huge*"):
        f.unlink()
    if cluster is not None:
        cluster.stop()


def _pg_cluster():  # noqa: ANN202 - tests/pg_server's cluster, or None (said why)
    sys.path.insert(0, str(REPO / "tests"))
    import pg_server

    reason = pg_server.skip_reason()
    if reason:
        print(f"  PostgreSQL: not measured: {reason}")
        return None
    return pg_server.start_cluster()


HUGE_RSS_PER_MB = 10  # a huge document's export may use this many times its size, beyond start-up
HUGE_IMPORT_PER_MB = 3  # and its import this many (8-10x before long texts went in pieces)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # defaults for a run of a few minutes; the sizes: --big 1000000 --big-import 100000 --huge-mb 100
    p.add_argument("--docs", type=int, default=2000)
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--big", type=int, default=20_000)
    p.add_argument("--big-import", type=int, default=10_000)
    p.add_argument("--formats", default="native,prodigy,doccano,label-studio,label-studio-min,brat,brat-tar,"
                                        "brat-tgz,conll")
    p.add_argument("--huge-mb", type=int, default=10, help="one document of this many MB of Arabic (0: skip; try 100)")
    p.add_argument("--skip-rss", action="store_true", help="skip the peak-RSS runs at --small and --big documents")
    p.add_argument("--conll-tokens", type=int, default=500_000)
    p.add_argument("--folder", type=Path, default=None)
    p.add_argument("--huge-only", action="store_true", help="only the huge document (--huge-mb)")
    p.add_argument("--reference", type=Path, default=None,
                   help="a checkout of older code: the news import, the huge document's imports and the export "
                        "rates are also measured with it in the same run, for a before/after")
    p.add_argument("--import-only", action="store_true", help="only the news import against tokenizing")
    p.add_argument("--rounds", type=int, default=3,
                   help="with --reference: rounds of the import against tokenizing, and of each export, each "
                        "checkout in turn")
    p.add_argument("--pg", action="store_true", help="the huge document's imports also into a throwaway PostgreSQL")
    p.add_argument("--writer-instructions", action="store_true",
                   help="with --export-only: each format's writer alone (records read first), callgrind instructions a "
                        "document, by this code (and --reference's)")
    p.add_argument("--export-only", action="store_true",
                   help="only the export rates of the news documents (the store is still imported to build them)")
    args = p.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    folder.mkdir(parents=True, exist_ok=True)
    aims: dict[str, bool] = {}
    if args.huge_only:
        huge_document(folder, args.huge_mb or 10, aims, args.reference, args.pg)
        return _end(folder, args.folder is None, aims)

    # -- import against tokenizing, and the export rate ------------------------------------
    texts = news_texts(args.docs)
    source = folder / "news.jsonl"
    labelled_jsonl(source, texts)
    chars = sum(map(len, texts))
    tok = tokenize_seconds(texts)
    tok_cpu = LAST_CPU[0]
    db = folder / "news.db"
    if not (args.export_only and db.exists()):  # --export-only with --folder: reuse the store built before
        db.unlink(missing_ok=True)
        imp = import_seconds(source, db)
        ratio = imp / tok
        print(f"{args.docs:,} news documents ({chars / args.docs:,.0f} characters, "
              f"{sum(1 for _ in open(source, encoding='utf-8'))} records):")
        print(f"  simple_word_tokenize {args.docs / tok:8,.0f} documents/s ({tok:.2f} s)")
        print(f"  import               {args.docs / imp:8,.0f} documents/s ({imp:.2f} s): {ratio:.2f}x the "
              f"tokenizing time, overhead {100 * (ratio - 1):+.0f}% (aim: at most +30%); in CPU time "
              f"{LAST_CPU[0] / tok_cpu:.2f}x (import {LAST_CPU[0]:.2f} s, tokenizing {tok_cpu:.2f} s; load "
              f"{load_average()})")
        aims["import overhead at most 30% over simple_word_tokenize"] = ratio <= 1.3
        if args.reference is not None:
            import_against_reference(args.reference, source, folder, args.rounds)
        if args.import_only:
            return _end(folder, args.folder is None, aims)
    print(f"  export, each format, long labelled documents: documents/s of CPU time (wall clock, which the "
          f"load decides, in brackets); aim: at least 10,000/s; load average {load_average()}")
    rates: dict[str, float] = {}  # documents/s of CPU time, by format
    for fmt in args.formats.split(","):
        if fmt == "brat":  # a folder: each round into a fresh one, set against a bare loop making the same files
            rates[fmt] = brat_against_bare(db, folder / "news-out.brat", args.docs)
            aims[f"export {fmt} at least 10,000 long labelled documents/s (CPU time)"] = rates[fmt] >= 10_000
            continue
        runs = []
        for _ in range(2):
            runs.append((*export_seconds(db, folder / f"news-out{out_name(fmt)}", fmt), *LAST_SPLIT))
        cpu, wall, user, system = min(runs)
        print(f"    {fmt:<17} {args.docs / cpu:8,.0f}/s ({args.docs / wall:,.0f}/s)"
              + (f", {tok / cpu:.2f}x the rate of tokenizing alone" if fmt in TOKENIZING else "")
              + (f"; {args.docs / cpu / rates['brat']:.2f}x the folder's rate in this run"
                 if fmt in BRAT_ARCHIVES and "brat" in rates else ""))
        rates[fmt] = args.docs / cpu
        aims[f"export {fmt} at least 10,000 long labelled documents/s (CPU time)"] = args.docs / cpu >= 10_000
        out = folder / f"news-out{out_name(fmt)}"
        if args.reference is not None and fmt not in BRAT_ARCHIVES:
            compare_with_reference(args.reference, db, out, fmt, args.docs, args.rounds)
        if fmt in CEILINGS:
            ceiling(fmt, db, out, texts, cpu)
        if out.is_dir():
            for f in out.iterdir():
                f.unlink()
            out.rmdir()
        else:
            out.unlink(missing_ok=True)

    if not args.skip_rss and not args.export_only:
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
                out = folder / f"out-{size}{out_name(fmt)}"
                code, seconds, rss = run_child(["export", "--db", str(stores[size]), "--format",
                                                BRAT_ARCHIVES.get(fmt, (fmt,))[0], "-o", str(out)])
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

    if args.export_only and args.writer_instructions:
        writer_instructions(db, args.formats.split(","), [REPO] + ([args.reference] if args.reference else []))
    if args.export_only:
        args.conll_tokens = args.huge_mb = 0
    # -- one CoNLL sentence of many tokens ---------------------------------------------------
    if args.conll_tokens:
        conll_sentence_figures(folder, args.conll_tokens, aims)

    # -- one huge document ------------------------------------------------------------------
    if args.huge_mb:
        huge_document(folder, args.huge_mb, aims, args.reference, args.pg)
    return _end(folder, args.folder is None, aims)


EXPORT_CHILD = r"""
import sys, time
sys.path.insert(0, {repo!r})
from annotator.exporting import export_store
from annotator.formats.base import get_format
from annotator.schema import default_schema_path, load_schema
from annotator.store.sqlite import SQLiteStore
schema, fmt = load_schema(default_schema_path()), get_format({fmt!r})
def once():
    store = SQLiteStore({db!r})
    c = time.process_time()
    export_store(store, schema, fmt, {out!r})
    cpu = time.process_time() - c
    store.close()
    return cpu
once()  # imports and tables made once, as in a long export
print("CPU", min(once() for _ in range({runs})))
"""


def compare_with_reference(reference: Path, db: Path, out: Path, fmt: str, docs: int, rounds: int = 3) -> None:
    """The export of ``fmt`` by this code and by ``reference`` (an older checkout: ``git archive main | tar -x
    -C DIR``), each in its own process, alternating, ``rounds`` times: documents/s of CPU time (best of two
    exports after a first) and this code's rate as a multiple of the reference's, per round."""
    rates: dict[str, list[float]] = {"this": [], "reference": []}
    for _ in range(rounds):
        for name, repo in (("reference", reference), ("this", REPO)):
            code = EXPORT_CHILD.format(repo=str(repo), fmt=fmt, db=str(db), out=str(out), runs=2)
            rates[name].append(docs / float(_child_line(code, "CPU", f"export {fmt} by {repo}")[0]))
    print(f"      against the reference ({reference}), each in its own process, alternating: this code "
          + ", ".join(f"{a:,.0f}" for a in rates["this"]) + "/s; the reference "
          + ", ".join(f"{b:,.0f}" for b in rates["reference"]) + "/s: "
          + ", ".join(f"{a / b:.2f}x" for a, b in zip(rates["this"], rates["reference"], strict=True))
          + f" (load {load_average()})")


CEILINGS = ("conll", "prodigy")  # formats whose limit is shown: what their unavoidable parts cost alone


def ceiling(fmt: str, db: Path, out: Path, texts: list[str], cpu: float) -> None:
    """What the export of ``fmt`` could reach at best in this process: the sum of the CPU time of the parts
    any writer must do, each measured alone (reading the store; reading and checking the token tables the
    store kept, or tokenizing when it kept none; writing the same bytes), against the export's own time."""
    from annotator.exporting import iter_records
    from annotator.formats._spans import spaced, unpack
    from annotator.store.sqlite import SQLiteStore
    from annotator.text.bounds import token_table

    def cpu_of(work) -> float:
        best = float("inf")
        for _ in range(2):
            c = time.process_time()
            work()
            best = min(best, time.process_time() - c)
        return best

    store = SQLiteStore(db)
    read = cpu_of(lambda: sum(1 for _ in iter_records(store)))
    by_id = {doc.id: doc.text for doc in store.iter_documents()}

    def kept() -> None:  # what the writers do instead of tokenizing: read each kept table, check it
        for doc_id, blob in store.iter_token_bounds():
            text = by_id[doc_id]
            spaced(text, unpack(blob, text))
    tables = sum(1 for _ in store.iter_token_bounds())
    parts = {"reading the store": read}
    if tables == len(texts):
        parts["reading and checking the kept token tables (the writers' path)"] = cpu_of(kept)
    else:
        parts["tokenizing (the writers' path: no kept tables)"] = cpu_of(lambda: [token_table(t) for t in texts])
    tokenizing = cpu_of(lambda: [token_table(t) for t in texts])
    store.close()
    body = out.read_text(encoding="utf-8")
    pieces = body.split("\n\n") if fmt == "conll" else body.splitlines(keepends=True)
    sink = out.with_suffix(".again")

    def write() -> None:
        with sink.open("w", encoding="utf-8") as f:
            for piece in pieces:
                f.write(piece)
    parts["writing its bytes"] = cpu_of(write)

    def bare() -> None:  # no store, no tokenizer rule, no checks: white-space words written as the format
        with sink.open("w", encoding="utf-8") as f:
            for text in texts:
                words = text.split()
                if fmt == "conll":
                    f.write(" O\n".join(words) + " O\n\n")
                else:
                    f.write(json.dumps([{"text": w, "start": 0, "end": 0, "id": i, "ws": True}
                                        for i, w in enumerate(words)], ensure_ascii=False) + "\n")
    floor = cpu_of(bare)
    sink.unlink()
    n = len(texts)
    best = sum(parts.values())
    print("      " + "; ".join(f"{name} alone {n / t:,.0f}/s" for name, t in parts.items())
          + f": at best {n / best:,.0f}/s, the export reaches {best / cpu:.0%} of that")
    print(f"      (our tokenizer alone, which the kept tables spare: {n / tokenizing:,.0f}/s)")
    print(f"      the bare minimum in pure Python (white-space words written as {fmt}, a "
          f"{'line' if fmt == 'conll' else 'JSON object'} each, nothing else): {n / floor:,.0f}/s")


def bare_files(files: list[tuple[str, bytes]], parent: Path) -> float:
    """CPU seconds of what any folder writer must do for ``files``: a fresh folder in ``parent`` (the export's own
    folder type), each file created (``O_EXCL``), written and closed through the folder's descriptor, then the file
    system synced once (``syncfs``), as the export does before swapping its folder in. Removed afterwards, untimed."""
    from annotator.exporting import _sync_files

    c = time.process_time()
    again = Path(tempfile.mkdtemp(dir=parent))
    dfd = os.open(again, os.O_RDONLY | os.O_DIRECTORY)
    for name, data in files:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=dfd)
        os.write(fd, data)
        os.close(fd)
    os.close(dfd)
    _sync_files(again)
    cpu = time.process_time() - c
    shutil.rmtree(again)
    return cpu


def brat_against_bare(db: Path, out: Path, docs: int, rounds: int = 3) -> float:
    """brat as a folder, each round into a fresh target (the last one removed untimed: no round pays for
    removing the one before), alternated with ``bare_files`` of the same files in the same parent (before the
    export in odd rounds, after it in even ones: what the file system was just asked weighs on both): the export's
    rate and its ratio to the bare loop's, per round (the file system's pace drifts within minutes, so only a
    ratio in the same minute says how close to its limit the export is). Returns the best export rate."""
    best, ratios, bare_rates, kernel = 0.0, [], [], []
    export_seconds(db, out, "brat")
    files = [(f.name, f.read_bytes()) for f in sorted(out.iterdir())]
    for k in range(rounds):
        bare = bare_files(files, out.parent) if k % 2 else 0.0  # which goes first alternates too
        shutil.rmtree(out, ignore_errors=True)
        cpu, _wall = export_seconds(db, out, "brat")
        system = LAST_SPLIT[1]
        bare = bare or bare_files(files, out.parent)
        best = max(best, docs / cpu)
        ratios.append(bare / cpu)
        bare_rates.append(docs / bare)
        kernel.append(system / cpu)
    shutil.rmtree(out, ignore_errors=True)
    print(f"    {'brat':<17} {best:8,.0f}/s (best of {rounds} rounds, each into a fresh folder); in the kernel "
          + ", ".join(f"{k:.0%}" for k in kernel) + " of the CPU time")
    print("      a bare loop creating the same files (open, write, close; syncfs) in the same parent, alternated: "
          + ", ".join(f"{r:,.0f}" for r in bare_rates) + "/s; the export reaches "
          + ", ".join(f"{r:.0%}" for r in ratios) + " of it, round by round")
    return best


WRITER_CHILD = r"""
import sys
from itertools import islice
sys.path.insert(0, {repo!r})
from annotator.exporting import iter_records
from annotator.formats.base import WriteContext, get_format
from annotator.schema import default_schema_path, load_schema
from annotator.store.sqlite import SQLiteStore
fmt, ctx = get_format({fmt!r}), WriteContext(load_schema(default_schema_path()))
records = list(islice(iter_records(SQLiteStore({db!r}), tokens=fmt.uses_tokens), {docs}))  # as the export reads them
for _ in range({rounds}):
    with open({out!r}, "w", encoding="utf-8") as out:
        fmt.write(records, out, ctx)
"""


def writer_instructions(db: Path, formats: list[str], repos: list[Path], docs: int = 300) -> None:
    """Each format's writer alone: callgrind instructions a document of writing ``docs`` records read beforehand
    (a child writing them three times, less one writing them once: reading, imports and the first write's
    warm-up cancel), by each checkout of ``repos``."""
    from _common import callgrind_instructions

    print(f"  the writers alone, callgrind instructions a document ({docs} documents read first):")
    def count(repo: Path, fmt: str, rounds: int) -> int:
        code = WRITER_CHILD.format(repo=str(repo), db=str(db), docs=docs, fmt=fmt, rounds=rounds,
                                   out=str(db.with_suffix(".writer-out")))
        return callgrind_instructions([sys.executable, "-c", code], dict(os.environ), cwd=repo)

    for repo in repos:
        print(f"    {str(repo):<30} " + ", ".join(
            f"{fmt} {(count(repo, fmt, 3) - count(repo, fmt, 1)) / (2 * docs) / 1e3:,.0f} k" for fmt in formats),
            flush=True)


def conll_sentence_figures(folder: Path, tokens: int, aims: dict[str, bool]) -> None:
    """One CoNLL sentence of ``tokens`` tokens imported and exported again, each in a process."""
    conll = folder / "one-sentence.conll"
    conll_sentence(conll, tokens)
    cdb = folder / "conll.db"
    cdb.unlink(missing_ok=True)
    code, seconds, rss = run_child(["import", "--db", str(cdb), "--format", "conll", str(conll)])
    print(f"a CoNLL sentence of {tokens:,} tokens ({conll.stat().st_size / 1e6:.1f} MB): "
          f"import {seconds:.1f} s, peak RSS {rss:.0f} MB (exit {code})")
    code2, seconds2, rss2 = run_child(["export", "--db", str(cdb), "--format", "conll", "-o", str(folder / "o.conll")])
    print(f"  exported again as CoNLL: {seconds2:.1f} s, peak RSS {rss2:.0f} MB (exit {code2})")
    aims["a 500k-token CoNLL sentence streams (under 20 s and 500 MB each way)"] = (
        code == 0 and code2 == 0 and max(seconds, seconds2) < 20 and max(rss, rss2) < 500)


def _end(folder: Path, remove: bool, aims: dict[str, bool]) -> int:
    print("aims 2 and 4:")
    for name, held in aims.items():
        print(f"  {'holds ' if held else 'MISSED'} {name}")
    if remove:
        for f in sorted(folder.rglob("*"), reverse=True):
            f.rmdir() if f.is_dir() else f.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
