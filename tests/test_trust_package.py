"""Installing for real: the wheel carries the bundled schemas and seeds, the package reads them with
importlib.resources (also from a zip), and pyproject declares exactly the distributions imported."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import annotator
from annotator.commands.annotate import seeds_dir
from annotator.schema import (
    bundled_schema_names,
    default_schema_path,
    load_schema,
    resolve_schema_path,
)

REPO = Path(__file__).resolve().parent.parent
PACKAGE = Path(annotator.__file__).resolve().parent
BUNDLED = PACKAGE / "bundled"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SCHEMA_FILES = sorted((REPO / "schemas").glob("*.yaml"))
SEED_FILES = sorted((REPO / "seeds").glob("*.txt"))


def _copy_sources(dest: Path) -> Path:
    """What a wheel is built from, copied so no build/ or egg-info lands in the checkout."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(PACKAGE, dest / "annotator", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


# --- the bundled data lives in the package ------------------------------------------------

def test_checkout_folders_are_the_package_folders():
    """``schemas/`` and ``seeds/`` at the top of a checkout are the very folders the package ships."""
    assert len(SCHEMA_FILES) == 5 and len(SEED_FILES) == 5
    assert (REPO / "schemas").resolve() == (BUNDLED / "schemas").resolve()
    assert (REPO / "seeds").resolve() == (BUNDLED / "seeds").resolve()


def test_default_schema_and_seeds_are_read_from_inside_the_package():
    assert default_schema_path().resolve().is_relative_to(PACKAGE)
    assert resolve_schema_path("wojood").resolve().is_relative_to(PACKAGE)
    assert set(bundled_schema_names()) == {p.stem for p in SCHEMA_FILES}
    assert load_schema(default_schema_path()).name == "news"
    with seeds_dir() as folder:
        assert folder.resolve().is_relative_to(PACKAGE)
        assert sorted(p.name for p in folder.glob("*.txt")) == [p.name for p in SEED_FILES]


def test_bundled_data_is_found_when_the_package_is_a_zip(tmp_path):
    """No file on disk (a zip import): the schema and seeds are copied out, and load the same."""
    archive = tmp_path / "annotator.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in PACKAGE.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                z.write(path, path.relative_to(PACKAGE.parent).as_posix())
    probe = (
        "import json, annotator\n"
        "from annotator.schema import default_schema_path, load_schema, bundled_schema_names\n"
        "from annotator.commands.annotate import seeds_dir\n"
        "with seeds_dir() as folder:\n"
        "    seeds = {p.name: p.read_text(encoding='utf-8') for p in folder.glob('*.txt')}\n"
        "print(json.dumps({'module': annotator.__file__, 'schema': load_schema(default_schema_path()).name,\n"
        "                  'names': list(bundled_schema_names()), 'seeds': seeds}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(archive)}, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["module"].startswith(str(archive))
    assert got["schema"] == "news"
    assert got["names"] == sorted(p.stem for p in SCHEMA_FILES)
    assert got["seeds"] == {p.name: p.read_text(encoding="utf-8") for p in SEED_FILES}


# --- the wheel carries it -----------------------------------------------------------------

def test_wheel_contains_every_bundled_schema_and_seed(tmp_path):
    source = _copy_sources(tmp_path / "src")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("annotator-*.whl")
    with zipfile.ZipFile(wheel) as z:
        inside = {name: z.read(name) for name in z.namelist() if name.startswith("annotator/bundled/")}
    for folder, files in (("schemas", SCHEMA_FILES), ("seeds", SEED_FILES)):
        for path in files:
            name = f"annotator/bundled/{folder}/{path.name}"
            assert name in inside, f"{name} is missing from {wheel.name}"
            assert inside[name] == path.read_bytes(), f"{name} differs in {wheel.name}"


# --- dependencies: exactly what is imported -------------------------------------------------

def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_normalize(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", r).group()) for r in requirements}


def _imported_distributions(folder: Path, local: set[str] = frozenset()) -> dict[str, set[str]]:
    """Distribution name -> the files importing it, for every third-party import under ``folder``."""
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top == "annotator" or top in local:
                    continue
                for dist in owners.get(top, [f"<{top}: no installed distribution>"]):
                    found.setdefault(_normalize(dist), set()).add(path.relative_to(REPO).as_posix())
    return found


def test_runtime_dependencies_are_exactly_the_imported_distributions():
    """An import under annotator/ that pyproject does not declare, or a declared dependency nothing
    imports (python-bidi is for the benchmark only), fails here, naming the files."""
    project = PYPROJECT["project"]
    runtime = _requirement_names(project["dependencies"])
    postgres = _requirement_names(project["optional-dependencies"]["postgres"])
    serve = _requirement_names(project["optional-dependencies"]["serve"])
    imported = _imported_distributions(PACKAGE)
    undeclared = {d: sorted(f) for d, f in imported.items() if d not in runtime | postgres | serve}
    assert not undeclared, f"imported but not declared in [project] dependencies: {undeclared}"
    unused = runtime - set(imported)
    assert not unused, f"declared runtime dependencies that annotator/ never imports: {sorted(unused)}"
    assert "python-bidi" not in runtime
    # psycopg is only needed for a PostgreSQL store, and only imported when one is opened.
    assert postgres <= set(imported) and set(imported["psycopg"]) == {"annotator/store/postgres.py"}
    # the serve extra (textual-serve, aiohttp) only for `annotator serve`, imported when it runs.
    assert serve <= set(imported)
    assert set().union(*(imported[d] for d in serve)) <= {
        "annotator/commands/serve.py", "annotator/serve/web.py", "annotator/serve/process.py"}


def test_tests_and_benchmarks_import_only_declared_distributions():
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    runtime = _requirement_names(project["dependencies"])
    local = {p.stem for p in (REPO / "tests").glob("*.py")} | {p.stem for p in (REPO / "bench").glob("*.py")}
    for folder, allowed in (("tests", runtime | _requirement_names(extras["test"])),
                            ("bench", runtime | _requirement_names(extras["bench"]))):
        imported = _imported_distributions(REPO / folder, local)
        undeclared = {d: sorted(f) for d, f in imported.items() if d not in allowed}
        assert not undeclared, f"{folder}/ imports distributions its extra does not declare: {undeclared}"
    assert _requirement_names(extras["bench"]) == {"python-bidi"}


def test_bootstrap_installs_the_test_bench_and_lint_extras():
    """The README runs the tests, benchmarks and scripts/lint from .venv, so bootstrap installs those extras."""
    bootstrap = (REPO / "scripts" / "bootstrap").read_text(encoding="utf-8")
    assert re.search(r'pip install -q -e "\.\[test,bench,lint\]"', bootstrap)


def test_ci_lints_and_checks_the_installed_wheel_before_the_tests():
    steps = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
             if line.strip().startswith("scripts/")]
    assert steps == ["scripts/lint", "scripts/check-wheel", "scripts/test"]
