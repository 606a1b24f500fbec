"""The architecture, checked from the source (issue 10): imports flow one way between layers,
no module imports itself back through others, and no file grows past ~400 lines unsaid.

The layers, lowest first; a module may import its own layer and those below, never above:

0. foundations: ``errors``, ``console``, ``plugins``, ``bundled``, ``terminal`` (know no other part)
1. ``text``, ``layout``: Unicode text and how it is laid out
2. ``model``, ``schema``: documents, labels, operations and what a schema allows
3. ``store``, ``formats``, ``assignment``, ``recommend``: persistence, files, dealing, proposals
4. ``session``, ``editing``, ``importing``, ``exporting``, ``agreement``, ``serve``: the work done
5. ``tui``, ``commands``, ``cli``, ``__main__``: the front ends
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "annotator"

LAYERS: dict[str, int] = {
    "errors": 0, "console": 0, "plugins": 0, "bundled": 0, "terminal": 0,
    "text": 1, "layout": 1,
    "model": 2, "schema": 2,
    "store": 3, "formats": 3, "assignment": 3, "recommend": 3,
    "session": 4, "editing": 4, "importing": 4, "exporting": 4, "agreement": 4, "serve": 4,
    "tui": 5, "commands": 5, "cli": 5, "__main__": 5,
}
MAX_LINES = 400
LONG_REASON = "Long because"  # a line of the module docstring of a longer file, saying why


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def part_of(module: str) -> str:
    """The top-level part a module belongs to (``annotator.formats.base`` -> ``formats``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(module: str) -> list[tuple[str, int, bool]]:
    """``(imported annotator module, line, runtime)`` for every import in ``module``, deferred
    ones inside functions included; ``runtime`` is False under ``if TYPE_CHECKING:``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, runtime: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for sub in child.body:
                    visit_one(sub, False)
                for sub in child.orelse:
                    visit_one(sub, runtime)
            else:
                visit_one(child, runtime)

    def visit_one(node: ast.AST, runtime: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((a.name, node.lineno, runtime) for a in node.names if a.name.startswith("annotator"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if base == "annotator" or base.startswith("annotator."):
                for alias in node.names:  # `from annotator.x import y`: y may be a module itself
                    sub = f"{base}.{alias.name}"
                    found.append((sub if sub in MODULES else base, node.lineno, runtime))
        visit(node, runtime)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


def test_every_part_has_a_layer():
    parts = {part_of(m) for m in MODULES} - {""}
    assert not parts - set(LAYERS), f"add to LAYERS (and to the docstring): {sorted(parts - set(LAYERS))}"


def test_imports_flow_down_the_layers():
    wrong = []
    for module in MODULES:
        here = part_of(module)
        for target, line, _ in imports(module):
            there = part_of(target)
            if here and there and here != there and LAYERS[there] > LAYERS[here]:
                wrong.append(f"{MODULES[module].relative_to(ROOT.parent)}:{line}: {here} (layer {LAYERS[here]}) "
                             f"imports {target} (layer {LAYERS[there]})")
    assert not wrong, "a lower layer imports a higher one:\n" + "\n".join(wrong)


def test_the_pure_core_knows_nothing_of_textual():
    core = {"text", "layout", "model", "schema", "store", "formats", "session", "editing"}
    wrong = []
    for module, path in MODULES.items():
        if part_of(module) in core:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                wrong += [f"{module}:{node.lineno} imports {n}" for n in names if n.split(".")[0] == "textual"]
    assert not wrong, "\n".join(wrong)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_between_modules():
    """Deferred imports inside functions count: a cycle hidden in a function is still a cycle.
    Imports only for type checking do not run, so they cannot make one."""
    graph = {m: {t for t, _, runtime in imports(m) if runtime and t != m and t in MODULES} for m in MODULES}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def long_reason(path: Path) -> bool:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return any(line.strip().startswith(LONG_REASON) for line in doc.splitlines())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_file_over_400_lines_without_a_reason(module):
    path = MODULES[module]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES or long_reason(path), (
        f"{path.relative_to(ROOT.parent)} has {lines} lines: split it, or say why it is one file in a "
        f"line of its module docstring starting {LONG_REASON!r}")
