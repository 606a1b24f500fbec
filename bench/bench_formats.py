"""Streaming import/export: time and peak Python memory on large generated files.

Run: .venv/bin/python bench/bench_formats.py [N]   (prints figures; no pass/fail)
For each format, N documents are written to a temporary file, then read back as a
stream (each record dropped after use) and written out again as a stream. Flat
memory means the peak stays about the same when N grows (try N = 20000 and 80000).
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from annotator.exporting import export_records
from annotator.formats.base import ReadContext, Record, WriteContext, get_format
from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.schema.model import ClaimSpec, EntityLabel, Schema

TEXT = "قال مصطفى بالي 😀 إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019 ."
SCHEMA = Schema("bench", "1", labels=tuple(EntityLabel(k, k, k, "red", str(i)) for i, k in
                                          enumerate(("PER", "ORG", "GPE", "LOC", "DATE"))),
                claims=ClaimSpec(enabled=True))


def records(n: int):
    per, org, gpe = TEXT.index("مصطفى"), TEXT.index("قوات"), TEXT.index("سوريا")
    for i in range(n):
        entities = (Entity("e1", per, per + 10, "PER"), Entity("e2", org, org + 22, "ORG"),
                    Entity("e3", gpe, gpe + 5, "GPE"))
        claims = (Claim("c1", org, len(TEXT) - 2, {"verdict": "true"}, "e1"),)
        yield Record(Document(f"doc-{i}", TEXT), Annotations(f"doc-{i}", "alice", entities=entities, claims=claims))


def measure(label: str, work) -> None:
    tracemalloc.start()
    t0 = time.perf_counter()
    count = work()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<6} {count:>7} records  {seconds:7.2f} s  peak {peak / 1e6:7.2f} MB")


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("native", "prodigy", "doccano", "label-studio", "label-studio-min", "conll", "araieval"):
            fmt = get_format(name)
            src = Path(tmp) / f"{name}.data"
            export_records(fmt, records(n), src, WriteContext(SCHEMA))
            print(f"{name}: {src.stat().st_size / 1e6:.1f} MB")

            def read_all(fmt=fmt, src=src) -> int:
                return sum(1 for _ in fmt.read(src, ReadContext()))

            def round_trip(fmt=fmt, src=src, name=name) -> int:
                count = 0

                def stream():
                    nonlocal count
                    for rec in fmt.read(src, ReadContext()):
                        count += 1
                        yield rec

                export_records(fmt, stream(), Path(tmp) / f"{name}.out", WriteContext(SCHEMA))
                return count

            measure("read", read_all)
            measure("copy", round_trip)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
