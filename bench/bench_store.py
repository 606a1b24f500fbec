"""What durability costs: actions per second through the session (each one fsynced before it
returns), import and export records per second, and actions per second with two writers.

Run: .venv/bin/python bench/bench_store.py [folder]   (prints figures; no pass/fail)
The folder (default: a temporary one) decides the disk measured: fsync speed is the disk's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from annotator.exporting import export_store
from annotator.formats.base import get_format
from annotator.importing import import_paths
from annotator.model.annotations import Document
from annotator.schema import default_schema_path, load_schema
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[1]
TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."
SCHEMA = load_schema(default_schema_path())


def timed(label: str, count: int, unit: str, fn) -> None:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {count:>6} {unit:<8} {seconds:7.2f} s  {count / seconds:9.0f} {unit}/s")


def actions(folder: Path, n: int = 500) -> None:
    store = SQLiteStore(folder / "actions.db")
    session = AnnotationSession(store, SCHEMA, "alice")
    for i in range(20):
        store.add_document(Document(f"d{i}", f"{TEXT} {i}"))

    def run() -> None:
        for i in range(n):
            doc = f"d{i % 20}"
            if i % 3 == 2:
                session.undo(doc)
            else:
                session.set_notes(doc, f"note {i}")

    timed("session actions (notes, undo)", n, "actions", run)
    store.close()


def import_export(folder: Path, n: int = 5000) -> None:
    source = folder / "big.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"id": f"r{i}", "text": f"{TEXT} [{i}]", "annotator": "importer",
                                  "entities": [{"id": "e1", "start": 4, "end": 14, "label": "PER"}]},
                                 ensure_ascii=False) + "\n")
    store = SQLiteStore(folder / "import.db")
    timed("import native JSONL with labels", n, "records",
          lambda: import_paths(store, SCHEMA, [source], format_name="native"))
    timed("export native JSONL (atomic)", n, "records",
          lambda: export_store(store, SCHEMA, get_format("native"), str(folder / "out.jsonl")))
    store.close()


def two_writers(folder: Path, n: int = 300) -> None:
    db = folder / "two.db"
    store = SQLiteStore(db)
    for i in range(5):
        store.add_document(Document(f"s{i}", f"{TEXT} ({i})"))
    store.close()
    driver = REPO / "tests" / "crash_driver.py"

    def run() -> None:
        procs = [subprocess.Popen([sys.executable, str(driver), "hammer", str(db), who, str(n)],
                                  stdout=subprocess.DEVNULL) for who in ("alice", "bob")]
        for proc in procs:
            proc.wait()

    timed("two processes adding entities at once", 2 * n, "actions", run)


def main() -> None:
    with tempfile.TemporaryDirectory(dir=sys.argv[1] if len(sys.argv) > 1 else None) as tmp:
        folder = Path(tmp)
        print(f"store benchmarks in {folder}")
        actions(folder)
        import_export(folder)
        two_writers(folder)


if __name__ == "__main__":
    main()
