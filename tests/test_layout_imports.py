"""The layout package's modules import one another one way (no cycles), stage by stage, and
nothing else of annotator (a pure core: no Textual, no store)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

LAYOUT = Path(__file__).resolve().parents[1] / "annotator" / "layout"


def module_name(path: Path) -> str:
    parts = path.relative_to(LAYOUT.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Modules of annotator imported by ``path`` (at any depth of the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "annotator" or name.startswith(("annotator.", "textual"))}


GRAPH = {module_name(p): imports_of(p) for p in sorted(LAYOUT.rglob("*.py"))}


def test_layout_imports_nothing_else_of_annotator_nor_textual():
    outside = {m: sorted(i for i in deps if not i.startswith("annotator.layout")) for m, deps in GRAPH.items()}
    assert {m: deps for m, deps in outside.items() if deps} == {}


def test_layout_imports_have_no_cycle():
    # A package's __init__ only gathers its modules: an import of it counts as one of each.
    def expand(dep: str) -> set[str]:
        return {m for m in GRAPH if m.startswith(dep + ".")} if dep == "annotator.layout.bidi" else {dep}

    graph = {m: {d for dep in deps for d in expand(dep) if d != m} for m, deps in GRAPH.items()
             if m != "annotator.layout"}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the failure message
        pytest.fail(f"import cycle in annotator.layout: {error.args[1]}")
    # Each stage imports only earlier ones: foundations, then atoms, then breaking and cells,
    # then the engine's pipeline, then the document layout.
    rank = {"atoms": 1, "breaking": 2, "cells": 2, "engine": 3, "document": 4}

    def rank_of(module: str) -> int:
        return rank.get(module.removeprefix("annotator.layout."), 0)

    backwards = [(m, d) for m, deps in graph.items() for d in deps if rank_of(d) >= rank_of(m) > 0]
    assert backwards == []
