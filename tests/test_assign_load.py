"""The load test of issue 11 §4: 20 annotator processes on a throwaway PostgreSQL cluster work through a
dynamic queue with overlap 2 at once. No document goes to more than two of them, nothing acknowledged
is lost, every document ends with exactly two. ``bench/bench_team.py`` runs the same with figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_team  # noqa: E402

pytestmark = pytest.mark.load


def _check(run: dict, processes: int, docs: int) -> None:
    results = run["results"]
    assert not run["problems"], run["problems"]
    assert len(results) == processes
    per_doc: dict[str, list[str]] = {}
    for r in results:
        assert len(r["taken"]) == len(set(r["taken"])), r["who"]
        for doc_id in r["taken"]:
            per_doc.setdefault(doc_id, []).append(r["who"])
    assert len(per_doc) == docs and all(len(names) == 2 for names in per_doc.values()), per_doc
    assert all(r["latency"]["label"] for r in results)  # every process worked
    bench_team.report(f"load test ({processes} processes)", run)  # the figures, shown with -s


def test_twenty_annotators_on_postgres_share_a_dynamic_queue(pg_cluster):
    docs = 60
    run = bench_team.run_team(pg_cluster.new_database("load"), 20, docs, max_docs=10, seconds=120)
    _check(run, 20, docs)


def test_four_annotators_on_sqlite_share_a_dynamic_queue(tmp_path):
    docs = 30
    run = bench_team.run_team(str(tmp_path / "team.db"), 4, docs, max_docs=20, seconds=120)
    _check(run, 4, docs)
