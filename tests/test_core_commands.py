"""The small commands: stats and check."""

from __future__ import annotations

import os
import subprocess
import sys

from annotator.model.annotations import Document
from annotator.session import AnnotationSession
from annotator.store.sqlite import SQLiteStore

TEXT = "قال مصطفى بالي إن قوات سوريا الديمقراطية سيطرت على الباغوز عام 2019."


def cli(*args):
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=os.environ)


def test_stats_reports_progress_and_labels(tmp_path, news_schema):
    db = tmp_path / "a.db"
    store = SQLiteStore(db)
    store.add_document(Document("s1", TEXT))
    store.add_document(Document("s2", TEXT + "!"))
    s = AnnotationSession(store, news_schema, "amal")
    s.add_entity("s1", 4, 14, "PER")
    s.add_entity("s1", 18, 40, "ORG")
    s.set_status("s1", "done")
    store.close()
    res = cli("stats", "--db", db)
    assert res.returncode == 0, res.stderr
    assert "2 document(s)" in res.stdout
    assert "amal: 50% finished (todo 1, done 1); 2 entities, 0 claims" in res.stdout
    assert "ORG 1, PER 1" in res.stdout


def test_check_store_and_schema(tmp_path):
    db = tmp_path / "a.db"
    SQLiteStore(db).close()
    res = cli("check", "--db", db)
    assert res.returncode == 0 and "ok" in res.stdout
    res = cli("check", "--schema", "news")
    assert res.returncode == 0 and "schema news" in res.stdout and "valid" in res.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\nlabels: []\n")
    res = cli("check", "--schema", bad)
    assert res.returncode == 2 and str(bad) in res.stderr and "Traceback" not in res.stderr
    res = cli("check", "--db", tmp_path / "missing.db")
    assert res.returncode == 2 and "no annotation store at" in res.stderr
