"""Shared fixtures: the bundled schema, temporary stores, and where ../shared lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"
SEEDS = REPO / "seeds"


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the public corpora live in ../shared/data beside the repository")
    return path


def shared_text_files() -> list[Path]:
    """Every text-like file of the shared corpora (skip the test with the reason when they are absent)."""
    root = shared_data()
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".txt", ".tsv", ".csv", ".jsonl"})
    assert files, f"no text files under {root}"
    return files


@pytest.fixture
def news_schema():
    from annotator.schema import default_schema_path, load_schema

    return load_schema(default_schema_path())


@pytest.fixture
def store(tmp_path):
    from annotator.store.sqlite import SQLiteStore

    s = SQLiteStore(tmp_path / "test.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster per test process, shared by every test that needs the server
    (each takes its own schema with ``new_schema()``); skipped, with the reason, where it cannot start."""
    import pg_server

    reason = pg_server.skip_reason()
    if reason:
        pytest.skip(reason)
    cluster = pg_server.start_cluster()
    yield cluster
    cluster.stop()
